import { Choice } from '../../../components/choice';
import { Anchor, Badge, Breadcrumbs, Button, Group, Stack, Switch, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ConfirmButton } from '../../../components/confirm-button';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { Time } from '../../../components/time';
import { paths, useScope } from '../../../lib/scope';
import { deliveriesQuery, useWebhookActions, webhookQuery } from '../api/webhooks';
import { SecretOnce } from '../components/secret-once';

const STATUS_COLOR = { pending: 'gray', retrying: 'orange', delivered: 'green', failed: 'red' } as const;

/** A webhook: its deliveries with status (failed ones are the dead-letter list), redeliver, rotate. */
export default function WebhookRoute() {
  const scope = useScope();
  const navigate = useNavigate();
  const webhookId = useParams().webhookId ?? '';
  const [show, setShow] = useState<'all' | 'failed'>('all');
  const webhook = useQuery(webhookQuery(scope.envId, webhookId));
  const deliveries = useQuery(deliveriesQuery(scope.envId, webhookId, show === 'failed' ? 'failed' : undefined));
  const actions = useWebhookActions(scope.envId, webhookId);
  const error = actions.update.error ?? actions.rotate.error ?? actions.remove.error ?? actions.redeliver.error;

  if (webhook.isPending) return <Loading label="Loading the webhook" />;
  if (!webhook.data) return <ErrorAlert error={webhook.error} />;
  const hook = webhook.data;
  return (
    <Page
      title={hook.url}
      description={
        <Stack gap={4}>
          <Breadcrumbs>
            <Anchor component={Link} to={paths.webhooks(scope)} size="sm">
              Webhooks
            </Anchor>
            <Text size="sm">{hook.url}</Text>
          </Breadcrumbs>
          <Text size="sm" c="dimmed">
            {hook.events.length ? hook.events.join(', ') : 'All events'} · secret {hook.secretPrefix}…
          </Text>
        </Stack>
      }
      actions={
        <>
          <Switch label="Enabled" checked={hook.enabled} onChange={(event) => actions.update.mutate({ enabled: event.currentTarget.checked, version: hook.version })} />
          <ConfirmButton
            variant="light"
            color="orange"
            title="Rotate the signing secret?"
            message="The old secret stops working at once: receivers must verify with the new one, which is shown once."
            confirmLabel="Rotate secret now"
            onConfirm={() => actions.rotate.mutate()}
            loading={actions.rotate.isPending}
          >
            Rotate secret
          </ConfirmButton>
          <ConfirmButton
            variant="subtle"
            title="Delete this webhook?"
            message={`Nothing more is sent to ${hook.url}; its delivery history goes too.`}
            confirmLabel="Delete webhook"
            onConfirm={() => actions.remove.mutate(undefined, { onSuccess: () => navigate(paths.webhooks(scope)) })}
          >
            Delete webhook
          </ConfirmButton>
        </>
      }
    >
      {error && <ErrorAlert error={error} />}
      {actions.rotate.data && <SecretOnce label="New signing secret" secret={actions.rotate.data.secret} />}
      <Group justify="space-between">
        <Choice
          label="Deliveries to show"
          value={show}
          onChange={(next) => setShow(next as 'all' | 'failed')}
          data={[
            { value: 'all', label: 'All deliveries' },
            { value: 'failed', label: 'Failed (dead letters)' },
          ]}
        />
      </Group>
      {deliveries.error && <ErrorAlert error={deliveries.error} />}
      <Table striped aria-label="Deliveries, newest first">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Event</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
            <Table.Th scope="col">Attempts</Table.Th>
            <Table.Th scope="col">Last answer</Table.Th>
            <Table.Th scope="col">Created</Table.Th>
            <Table.Th scope="col">
              <span className="visually-hidden">Actions</span>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {deliveries.data?.items.map((delivery) => (
            <Table.Tr key={delivery.id}>
              <Table.Td>
                <Text size="sm">{delivery.detailType}</Text>
                <Text size="xs" c="dimmed" ff="monospace">
                  {delivery.id}
                </Text>
              </Table.Td>
              <Table.Td>
                <Badge variant="light" color={STATUS_COLOR[delivery.status]}>
                  {delivery.status}
                </Badge>
              </Table.Td>
              <Table.Td>{delivery.attempts}</Table.Td>
              <Table.Td>
                <Text size="sm">{delivery.lastStatusCode ?? '—'}</Text>
                {delivery.lastError && (
                  <Text size="xs" c="red.9">
                    {delivery.lastError}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                <Time iso={delivery.createdAt} />
              </Table.Td>
              <Table.Td>
                {(delivery.status === 'failed' || delivery.status === 'delivered') && (
                  <Button size="compact-xs" variant="light" onClick={() => actions.redeliver.mutate(delivery.id)} loading={actions.redeliver.isPending && actions.redeliver.variables === delivery.id} aria-label={`Redeliver ${delivery.id}`}>
                    Redeliver
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
          {deliveries.data?.items.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={6}>
                <Text size="sm" c="dimmed">
                  No {show === 'failed' ? 'failed ' : ''}deliveries yet.
                </Text>
              </Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
    </Page>
  );
}
