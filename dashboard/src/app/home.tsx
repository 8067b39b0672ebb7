import { Container, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Navigate } from 'react-router';
import { environmentsQuery, organisationsQuery, projectsQuery } from '../api/queries';
import { ErrorAlert } from '../components/error-alert';
import { Loading } from '../components/loading';
import { paths } from '../lib/scope';

/** `/`: the first project and environment the token can see. */
export function HomeRoute() {
  const organisations = useQuery(organisationsQuery());
  const orgId = organisations.data?.[0]?.id ?? '';
  const projects = useQuery(projectsQuery(orgId));
  const projectId = projects.data?.[0]?.id ?? '';
  const environments = useQuery(environmentsQuery(projectId));
  const envId = environments.data?.[0]?.id;
  const error = organisations.error ?? projects.error ?? environments.error;
  if (envId) return <Navigate to={paths.flags({ orgId, projectId, envId })} replace />;
  const empty = (projects.data && !projectId) || (environments.data && !envId);
  return (
    <Container size="sm" py="xl" component="main">
      {error ? (
        <ErrorAlert error={error} />
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
