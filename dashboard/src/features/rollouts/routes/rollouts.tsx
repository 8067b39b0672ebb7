import { Anchor, Badge, Button, Group, Progress, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { ConfirmButton } from '../../../components/confirm-button';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { fromNow } from '../../../components/time';
import { formatValue } from '../../../components/value-view';
import { paths, useScope } from '../../../lib/scope';
import { type Rollout, type RolloutCommand, useRolloutCommand, useRollouts } from '../api/rollouts';
import { NewRolloutDialog } from '../components/new-rollout-dialog';

const STATUS_COLOR: Record<Rollout['status'], string> = {
  'awaiting-approval': 'yellow',
  running: 'blue',
  paused: 'orange',
  completed: 'green',
  'rolled-back': 'red',
  aborted: 'gray',
  cancelled: 'gray',
  failed: 'red',
};

const ACTIONS: Record<Exclude<RolloutCommand, 'abort'>, Rollout['status'][]> = { pause: ['running'], resume: ['paused'], advance: ['running', 'paused'] };
const LABEL: Record<RolloutCommand, string> = { pause: 'Pause', resume: 'Resume', advance: 'Advance', abort: 'Abort' };

function targetText(rollout: Rollout): string {
  if (rollout.target.variant) return `variant ${rollout.target.variant}`;
  if (rollout.target.value !== undefined) return `on, ${formatValue(rollout.target.value)}`;
  return 'on';
}

/** Where the rollout is: the step served, and the next one (or why there is none). */
function StepText({ rollout }: { rollout: Rollout }) {
  const total = rollout.percentages.length;
  const served = rollout.step < 0 ? 'Not started' : `Step ${rollout.step + 1} of ${total}`;
  const plan = rollout.percentages.map((p) => `${p}%`).join(' → ');
  return (
    <Stack gap={2}>
      <Text size="sm">{served}</Text>
      <Text size="xs" c="dimmed">
        {plan}
      </Text>
      {rollout.status === 'running' && rollout.nextStepAt && (
        <Text size="xs">
          Next step{' '}
          <time dateTime={rollout.nextStepAt} title={new Date(rollout.nextStepAt).toLocaleString()}>
            {fromNow(rollout.nextStepAt)}
          </time>
        </Text>
      )}
      {rollout.status === 'paused' && rollout.remainingMs !== undefined && <Text size="xs">Paused; {Math.ceil(rollout.remainingMs / 1000)} s of bake left when resumed</Text>}
    </Stack>
  );
}

/** Progressive rollouts in this environment, newest first, with what can be done to each. */
export default function RolloutsRoute() {
  const scope = useScope();
  const rollouts = useRollouts(scope.envId);
  const command = useRolloutCommand(scope.envId);
  const [creating, setCreating] = useState(false);
  const act = (rollout: Rollout, name: RolloutCommand) => command.mutate({ rollout, command: name });
  const busy = (rollout: Rollout, name: RolloutCommand) => command.isPending && command.variables?.rollout.id === rollout.id && command.variables.command === name;
  const items = rollouts.data ?? [];

  return (
    <Page
      title="Rollouts"
      description={
        <Text size="sm" c="dimmed">
          Features served to a growing percentage of identities, step by step, rolled back when a guard alarm fires.
        </Text>
      }
      actions={<Button onClick={() => setCreating(true)}>New rollout</Button>}
    >
      {(rollouts.error ?? command.error) && <ErrorAlert error={rollouts.error ?? command.error} />}
      {rollouts.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No rollouts in this environment yet.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={900}>
          <Table aria-label="Rollouts" verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Feature</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Progress</Table.Th>
                <Table.Th scope="col">Step</Table.Th>
                <Table.Th scope="col">Guard alarms</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((rollout) => (
                <Table.Tr key={rollout.id} aria-label={`${rollout.featureName} rollout`}>
                  <Table.Td>
                    <Stack gap={2}>
                      <Anchor component={Link} to={paths.feature(scope, rollout.featureName)} fw={600} size="sm">
                        {rollout.featureName}
                      </Anchor>
                      <Text size="xs" c="dimmed">
                        serves {targetText(rollout)}
                        {rollout.description ? ` · ${rollout.description}` : ''}
                      </Text>
                      <Text size="xs" c="dimmed">
                        by {rollout.createdBy.name}, {fromNow(rollout.createdAt)}
                      </Text>
                    </Stack>
                  </Table.Td>
                  <Table.Td>
                    <Stack gap={4} align="flex-start">
                      <Badge variant="light" color={STATUS_COLOR[rollout.status]}>
                        {rollout.status}
                      </Badge>
                      {rollout.changeRequestId && rollout.status === 'awaiting-approval' && (
                        <Anchor component={Link} to={paths.changeRequest(scope, rollout.changeRequestId)} size="xs">
                          Change request
                        </Anchor>
                      )}
                      {rollout.stop && (
                        <Text size="xs" c={rollout.status === 'rolled-back' || rollout.status === 'failed' ? 'red.9' : undefined}>
                          {rollout.stop.alarm ? `Alarm ${rollout.stop.alarm.name} in ${rollout.stop.alarm.state}: ` : ''}
                          {rollout.stop.reason}
                        </Text>
                      )}
                    </Stack>
                  </Table.Td>
                  <Table.Td miw={160}>
                    <Stack gap={4}>
                      <Progress.Root size="lg">
                        <Progress.Section value={rollout.percentage} color={STATUS_COLOR[rollout.status]} aria-label={`${rollout.featureName} rollout at ${rollout.percentage}%`} />
                      </Progress.Root>
                      <Text size="sm" fw={600}>
                        {rollout.percentage}%
                      </Text>
                    </Stack>
                  </Table.Td>
                  <Table.Td>
                    <StepText rollout={rollout} />
                  </Table.Td>
                  <Table.Td>
                    {rollout.guardAlarms.length === 0 ? (
                      <Text size="xs" c="dimmed">
                        none
                      </Text>
                    ) : (
                      <Stack gap={2}>
                        {rollout.guardAlarms.map((alarm) => (
                          <Text size="xs" key={alarm} style={{ wordBreak: 'break-all' }}>
                            {alarm}
                          </Text>
                        ))}
                      </Stack>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs">
                      {(Object.keys(ACTIONS) as (keyof typeof ACTIONS)[])
                        .filter((name) => ACTIONS[name].includes(rollout.status))
                        .map((name) => (
                          <Button key={name} size="compact-sm" variant="light" loading={busy(rollout, name)} onClick={() => act(rollout, name)} aria-label={`${LABEL[name]} the ${rollout.featureName} rollout`}>
                            {LABEL[name]}
                          </Button>
                        ))}
                      {['running', 'paused', 'awaiting-approval'].includes(rollout.status) && (
                        <ConfirmButton
                          size="compact-sm"
                          variant="light"
                          color="red"
                          aria-label={`Abort the ${rollout.featureName} rollout`}
                          loading={busy(rollout, 'abort')}
                          title={`Abort the ${rollout.featureName} rollout?`}
                          message={rollout.status === 'awaiting-approval' ? 'Its change request is cancelled; nothing is served.' : 'Everyone is served what they got before the rollout started.'}
                          confirmLabel="Abort rollout"
                          onConfirm={() => act(rollout, 'abort')}
                        >
                          Abort
                        </ConfirmButton>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <NewRolloutDialog projectId={scope.projectId} envId={scope.envId} opened={creating} onClose={() => setCreating(false)} onCreated={() => setCreating(false)} />
    </Page>
  );
}
