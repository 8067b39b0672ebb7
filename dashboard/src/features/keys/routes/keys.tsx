import { Alert, Button, Code, CopyButton, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, unwrap } from '../../../api/client';
import { useCurrentEnvironment } from '../../../api/queries';
import { ConfirmButton } from '../../../components/confirm-button';
import { ErrorAlert } from '../../../components/error-alert';
import { Page } from '../../../components/page';
import { Time } from '../../../components/time';
import { useScope } from '../../../lib/scope';

function ShownOnce({ label, secret }: { label: string; secret: string }) {
  return (
    <Alert color="yellow" variant="light" title={`${label}: copy it now, it is shown only once`} role="alert">
      <Group gap="xs" wrap="nowrap">
        <Code aria-label={label}>{secret}</Code>
        <CopyButton value={secret}>{({ copied, copy }) => <Button size="compact-xs" variant="light" onClick={copy}>{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
      </Group>
    </Alert>
  );
}

/** The environment's SDK keys: one client key (rotate), any number of server keys (create, revoke). */
export default function KeysRoute() {
  const scope = useScope();
  const client = useQueryClient();
  const environment = useCurrentEnvironment(scope.projectId, scope.envId);
  const serverKeys = useQuery({
    queryKey: ['server-keys', scope.envId],
    queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/server-keys', { params: { path: { envId: scope.envId } } })).then((r) => r.items),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['server-keys', scope.envId] });
  const rotate = useMutation({ mutationFn: () => unwrap(api.POST('/admin/v1/environments/{envId}/client-key', { params: { path: { envId: scope.envId } } })) });
  const create = useMutation({
    mutationFn: (name: string) => unwrap(api.POST('/admin/v1/environments/{envId}/server-keys', { params: { path: { envId: scope.envId } }, body: { name } })),
    onSettled: refresh,
  });
  const revoke = useMutation({
    mutationFn: (keyId: string) => unwrap(api.DELETE('/admin/v1/environments/{envId}/server-keys/{keyId}', { params: { path: { envId: scope.envId, keyId } } })),
    onSettled: refresh,
  });
  const [name, setName] = useState('');
  const name422 = create.error instanceof ApiError ? create.error.fieldErrors().name : undefined;

  return (
    <Page title="Environment keys" description={<Text size="sm" c="dimmed">Keys SDKs use for {environment?.name ?? 'this environment'}. Only their first characters are kept visible.</Text>}>
      <Paper withBorder p="md" component="section" aria-labelledby="client-key-heading">
        <Stack>
          <Title order={2} size="h4" id="client-key-heading">
            Client key
          </Title>
          <Text size="sm">For browsers and mobile apps: flags and identities only. Rotating it replaces it at once; apps with the old key stop getting flags.</Text>
          {rotate.error && <ErrorAlert error={rotate.error} />}
          {rotate.data && <ShownOnce label="New client key" secret={rotate.data.key} />}
          <Group>
            <ConfirmButton
              color="orange"
              variant="light"
              title={`Rotate the client key of ${environment?.name ?? 'this environment'}?`}
              message="The current client key stops working immediately. The new key is shown once."
              confirmLabel="Rotate client key now"
              onConfirm={() => rotate.mutate()}
              loading={rotate.isPending}
            >
              Rotate client key
            </ConfirmButton>
          </Group>
        </Stack>
      </Paper>
      <Paper withBorder p="md" component="section" aria-labelledby="server-keys-heading">
        <Stack>
          <Title order={2} size="h4" id="server-keys-heading">
            Server keys
          </Title>
          <Text size="sm">For back ends (ser. prefix): they can also read the whole environment document, for local evaluation.</Text>
          {(serverKeys.error ?? revoke.error) && <ErrorAlert error={serverKeys.error ?? revoke.error} />}
          <Table striped aria-label="Server keys">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Starts with</Table.Th>
                <Table.Th scope="col">Created</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {serverKeys.data?.map((key) => (
                <Table.Tr key={key.id}>
                  <Table.Td>{key.name}</Table.Td>
                  <Table.Td>
                    <Code>{key.prefix}…</Code>
                  </Table.Td>
                  <Table.Td>
                    <Time iso={key.createdAt} />
                  </Table.Td>
                  <Table.Td>
                    <ConfirmButton size="compact-xs" variant="subtle" title={`Revoke the server key ${key.name}?`} message="Back ends using it stop getting flags immediately." confirmLabel="Revoke key" onConfirm={() => revoke.mutate(key.id)} aria-label={`Revoke ${key.name}`}>
                      Revoke
                    </ConfirmButton>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <form
            onSubmit={(event) => {
              event.preventDefault();
              create.mutate(name, { onSuccess: () => setName('') });
            }}
            noValidate
          >
            <Group align="flex-end">
              <TextInput label="New server key name" value={name} onChange={(event) => setName(event.currentTarget.value)} error={name422} w={260} />
              <Button type="submit" variant="light" loading={create.isPending}>
                Create server key
              </Button>
            </Group>
          </form>
          {create.error && !name422 && <ErrorAlert error={create.error} />}
          {create.data && <ShownOnce label={`Server key ${create.data.name}`} secret={create.data.key} />}
        </Stack>
      </Paper>
    </Page>
  );
}
