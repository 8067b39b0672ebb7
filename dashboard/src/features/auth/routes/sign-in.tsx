import { Button, Container, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { signIn } from '../../../lib/auth';

/** Only paths inside the dashboard: `next` comes from the URL and must not send people elsewhere. */
const safeNext = (next: string | null) => (next && next.startsWith('/') && !next.startsWith('//') ? next : '/');

export default function SignInRoute() {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [checking, setChecking] = useState(false);
  const [params] = useSearchParams();
  const navigate = useNavigate();
  useEffect(() => {
    document.title = 'Sign in · Vexilla';
  }, []);

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
              autoFocus
            />
            <Button type="submit" loading={checking}>
              Sign in
            </Button>
          </Stack>
        </Paper>
        <Text size="sm" c="dimmed" ta="center">
          Running locally? The token is in .vexilla/local.json and printed by npm run dev.
        </Text>
      </Stack>
    </Container>
  );
}
