import { Badge, Group, Stack, Text, Timeline } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';
import { ConfirmButton } from '../../../components/confirm-button';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { fromNow } from '../../../components/time';
import { formatValue } from '../../../components/value-view';
import { useScope } from '../../../lib/scope';

const STATUS_COLOR = { scheduled: 'indigo', applied: 'green', cancelled: 'gray', failed: 'red' } as const;

/** Scheduled changes on a timeline (soonest first); a waiting one can be cancelled. */
export default function ScheduledChangesRoute() {
  const scope = useScope();
  const client = useQueryClient();
  const scheduled = useQuery({
    queryKey: ['scheduled', scope.envId],
    queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/scheduled-changes', { params: { path: { envId: scope.envId }, query: { limit: 200 } } })),
    refetchInterval: 10_000,
  });
  const cancel = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/admin/v1/environments/{envId}/scheduled-changes/{scheduledChangeId}', { params: { path: { envId: scope.envId, scheduledChangeId: id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['scheduled', scope.envId] }),
  });
  const items = [...(scheduled.data?.items ?? [])].sort((a, b) => a.runAt.localeCompare(b.runAt));
  return (
    <Page title="Scheduled changes">
      {(scheduled.error ?? cancel.error) && <ErrorAlert error={scheduled.error ?? cancel.error} />}
      {scheduled.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed">
          Nothing scheduled in this environment.
        </Text>
      ) : (
        <Timeline bulletSize={14} lineWidth={2} aria-label="Scheduled changes, soonest first">
          {items.map((item) => (
            <Timeline.Item
              key={item.id}
              title={
                <Group gap="xs">
                  <Text fw={600} size="sm" component="time" dateTime={item.runAt}>
                    {new Date(item.runAt).toLocaleString()} ({fromNow(item.runAt)})
                  </Text>
                  <Badge variant="light" color={STATUS_COLOR[item.status]}>
                    {item.status}
                  </Badge>
                </Group>
              }
            >
              <Stack gap={4}>
                {item.changeRequestId && <Text size="sm">Applies change request {item.changeRequestId}</Text>}
                {item.changes.map((change, i) =>
                  change.target === 'template-values' ? (
                    <Text size="sm" key={i}>
                      template {change.templateKey}: {change.features.map((f) => f.featureName).join(', ')}
                    </Text>
                  ) : (
                    <Text size="sm" key={i}>
                      {change.featureName}
                      {change.target === 'segment-override' ? ` (segment ${change.segmentId})` : change.target === 'tenant-override' ? ` (tenant ${change.tenantId})` : ''}:{' '}
                      {change.content === null ? 'remove' : `${change.content.enabled ? 'on' : 'off'}, ${formatValue(change.content.value)}`}
                    </Text>
                  ),
                )}
                {item.failure && (
                  <Text size="sm" c="red.9">
                    {item.failure}
                  </Text>
                )}
                <Text size="xs" c="dimmed">
                  by {item.createdBy.name}
                </Text>
                {item.status === 'scheduled' && (
                  <Group>
                    <ConfirmButton size="compact-xs" variant="subtle" title="Cancel this scheduled change?" message="It will not apply." confirmLabel="Cancel the change" onConfirm={() => cancel.mutate(item.id)}>
                      Cancel
                    </ConfirmButton>
                  </Group>
                )}
              </Stack>
            </Timeline.Item>
          ))}
        </Timeline>
      )}
    </Page>
  );
}
