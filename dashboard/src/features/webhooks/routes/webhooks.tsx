import { Anchor, Badge, Button, Checkbox, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ApiError, type Body } from '../../../api/client';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { paths, useScope } from '../../../lib/scope';
import { useCreateWebhook, webhooksQuery } from '../api/webhooks';
import { SecretOnce } from '../components/secret-once';

type EventType = NonNullable<Body<'createWebhook'>['events']>[number];
const EVENT_TYPES: EventType[] = ['feature-state.changed', 'feature.changed', 'segment.changed', 'identity-override.changed', 'environment.changed', 'change-request.changed', 'schedule.changed'];

/** Webhooks of this environment: signed POSTs of every change to a URL of yours. */
export default function WebhooksRoute() {
  const scope = useScope();
  const webhooks = useQuery(webhooksQuery(scope.envId));
  const create = useCreateWebhook(scope.envId);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<EventType[]>([]);
  const fields = create.error instanceof ApiError ? create.error.fieldErrors() : {};

  return (
    <Page title="Webhooks">
      <Paper withBorder p="md" component="section" aria-labelledby="new-webhook">
        <form
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate({ url: url.trim(), description, events, enabled: true }, { onSuccess: () => setUrl('') });
          }}
          noValidate
        >
          <Stack>
            <Title order={2} size="h4" id="new-webhook">
              Add a webhook
            </Title>
            <TextInput label="URL" description="http(s); no user name or password in it: receivers check the signature" value={url} onChange={(event) => setUrl(event.currentTarget.value)} error={fields.url} required />
            <TextInput label="Description" value={description} onChange={(event) => setDescription(event.currentTarget.value)} error={fields.description} />
            <Checkbox.Group label="Events" description="None ticked: every event" value={events} onChange={(next) => setEvents(next as EventType[])} error={fields.events}>
              <Group mt={4}>
                {EVENT_TYPES.map((type) => (
                  <Checkbox key={type} value={type} label={type} />
                ))}
              </Group>
            </Checkbox.Group>
            {create.error && !Object.keys(fields).length && <ErrorAlert error={create.error} />}
            {create.data && <SecretOnce label={`Signing secret of ${create.data.url}`} secret={create.data.secret} />}
            <Group justify="flex-end">
              <Button type="submit" loading={create.isPending}>
                Add webhook
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
      {webhooks.error && <ErrorAlert error={webhooks.error} />}
      {webhooks.isPending ? (
        <Loading />
      ) : (
        <Table striped aria-label="Webhooks">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">URL</Table.Th>
              <Table.Th scope="col">Events</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Secret</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {webhooks.data?.map((webhook) => (
              <Table.Tr key={webhook.id}>
                <Table.Th scope="row" fw="normal">
                  <Anchor component={Link} to={paths.webhook(scope, webhook.id)} size="sm">
                    {webhook.url}
                  </Anchor>
                  {webhook.description && (
                    <Text size="xs" c="dimmed">
                      {webhook.description}
                    </Text>
                  )}
                </Table.Th>
                <Table.Td>
                  <Text size="xs">{webhook.events.length ? webhook.events.join(', ') : 'all events'}</Text>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={webhook.enabled ? 'green' : 'gray'}>
                    {webhook.enabled ? 'enabled' : 'disabled'}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Text size="xs" ff="monospace">
                    {webhook.secretPrefix}…
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
            {webhooks.data?.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={4}>
                  <Text size="sm" c="dimmed">
                    No webhooks yet.
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      )}
    </Page>
  );
}
