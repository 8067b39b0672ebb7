import { Alert, Button, Container, Divider, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { beginSignIn, loadSignInConfig, providerName, signIn, takeSignOutNotice } from '../../../lib/auth';

/** Only paths inside the dashboard: `next` comes from the URL and must not send people elsewhere. */
const safeNext = (next: string | null) => (next && next.startsWith('/') && !next.startsWith('//') ? next : '/');

export default function SignInRoute() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [checking, setChecking] = useState(false);
  const [redirecting, setRedirecting] = useState(false);
  const [providerError, setProviderError] = useState<string>();
  // Why the last session ended (expired, refused), said once.
  const [notice] = useState(takeSignOutNotice);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const config = useQuery({ queryKey: ['sign-in-config'], queryFn: loadSignInConfig, staleTime: Infinity });
  useEffect(() => {
    document.title = 'Sign in · Vexilla';
  }, []);

  const withProvider = async () => {
    if (!config.data) return;
    setRedirecting(true);
    setProviderError(undefined);
    try {
      await beginSignIn(config.data, safeNext(params.get('next')));
    } catch (failure) {
      setRedirecting(false);
      setProviderError(`The identity provider could not be reached: ${(failure as Error).message}`);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!token.trim()) return setError('Paste an admin token (vxa_...)');
    setChecking(true);
    setError(undefined);
    try {
      // Checked before it is kept: a wrong token never reaches session storage.
      const response = await fetch('/admin/v1/organisations', { headers: { authorization: `Bearer ${token.trim()}` } });
      if (response.status === 401) return setError('This token was not accepted: it is unknown or revoked.');
      if (!response.ok) return setError(`The API answered ${response.status}: try again.`);
      signIn(token);
      navigate(safeNext(params.get('next')), { replace: true });
    } catch {
      setError('The API could not be reached.');
    } finally {
      setChecking(false);
    }
  };

  return (
    <Container size={420} py={80} component="main">
      <Stack>
        <Title order={1} ta="center">
          Sign in to Vexilla
        </Title>
        {notice && (
          <Alert color="yellow" variant="light" role="status" title="Signed out">
            {notice}
          </Alert>
        )}
        {config.data && (
          <Paper withBorder p="lg" radius="md">
            <Stack>
              <Button size="md" onClick={withProvider} loading={redirecting}>
                Sign in with {providerName(config.data.issuer)}
              </Button>
              {providerError && (
                <Text c="red.8" size="sm" role="alert">
                  {providerError}
                </Text>
              )}
            </Stack>
          </Paper>
        )}
        {config.data && <Divider label="or, for machine users" labelPosition="center" />}
        <Paper withBorder p="lg" radius="md" component="form" onSubmit={submit} noValidate>
          <Stack>
            <PasswordInput
              label="Admin token"
              description="Kept in this browser tab only, until you sign out or close it."
              value={token}
              onChange={(event) => setToken(event.currentTarget.value)}
              error={error}
              autoComplete="off"
              data-autofocus
              autoFocus={!config.data}
            />
            <Button type="submit" loading={checking} variant={config.data ? 'default' : 'filled'}>
              Sign in
            </Button>
          </Stack>
        </Paper>
        <Text size="sm" c="dimmed" ta="center">
          {config.data && providerName(config.data.issuer) === 'the local identity provider'
            ? 'Running locally? Sign in as demo@example.com (no password); the admin token is in .vexilla/local.json.'
            : 'Running locally? The token is in .vexilla/local.json and printed by npm run dev.'}
        </Text>
      </Stack>
    </Container>
  );
}
