import { Alert, Anchor, Container, Stack, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Loading } from '../../../components/loading';
import { finishSignIn } from '../../../lib/auth';

/** `/auth/callback`: where the identity provider sends the browser back with the code. */
export default function SignInCallbackRoute() {
  const navigate = useNavigate();
  const [error, setError] = useState<string>();
  useEffect(() => {
    document.title = 'Signing in · Vexilla';
    let current = true;
    finishSignIn(window.location.href).then(
      (next) => current && navigate(next, { replace: true }),
      (failure: unknown) => current && setError((failure as Error).message),
    );
    return () => {
      current = false;
    };
  }, [navigate]);

  return (
    <Container size={480} py={80} component="main">
      {error ? (
        <Stack>
          <Title order={1}>Sign-in refused</Title>
          <Alert color="red" variant="light" role="alert" title="The sign-in could not be completed">
            {error}
          </Alert>
          <Anchor component={Link} to="/sign-in" replace>
            Back to sign-in
          </Anchor>
        </Stack>
      ) : (
        <Loading label="Signing you in" />
      )}
    </Container>
  );
}
