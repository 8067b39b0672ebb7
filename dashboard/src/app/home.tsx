import { Container, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Navigate, useSearchParams } from 'react-router';
import { environmentsQuery, organisationsQuery, projectsQuery } from '../api/queries';
import { ErrorAlert } from '../components/error-alert';
import { Loading } from '../components/loading';
import { meQuery } from '../features/auth/api/me';
import { paths } from '../lib/scope';

/** `/`: the first project and environment the caller can see (in `?org=` when given). */
export function HomeRoute() {
  const organisations = useQuery(organisationsQuery());
  const [params] = useSearchParams();
  const chosen = organisations.data?.find((organisation) => organisation.id === params.get('org'));
  const orgId = (chosen ?? organisations.data?.[0])?.id ?? '';
  // A person in no organisation yet: /me says why (no invitation, an unverified email).
  const me = useQuery({ ...meQuery(), enabled: organisations.data?.length === 0 });
  const projects = useQuery(projectsQuery(orgId));
  const projectId = projects.data?.[0]?.id ?? '';
  const environments = useQuery(environmentsQuery(projectId));
  const envId = environments.data?.[0]?.id;
  const error = organisations.error ?? projects.error ?? environments.error;
  if (envId) return <Navigate to={paths.flags({ orgId, projectId, envId })} replace />;
  const empty = (projects.data && !projectId) || (environments.data && !envId);
  const hint = me.data?.type === 'user' && me.data.organisations.length === 0 ? (me.data.hint ?? 'You are not a member of any organisation: ask an organisation admin to invite you.') : undefined;
  return (
    <Container size="sm" py="xl" component="main">
      {error ? (
        <ErrorAlert error={error} />
      ) : hint ? (
        <Stack>
          <Title order={1}>No organisation yet</Title>
          <Text>{hint}</Text>
        </Stack>
      ) : empty ? (
        <Stack>
          <Title order={1}>Nothing to show yet</Title>
          <Text>This token sees no project with an environment. Create one with the API or `npx vexilla`, then reload.</Text>
        </Stack>
      ) : (
        <Loading label="Loading your projects" />
      )}
    </Container>
  );
}
