import { Badge, Group, Paper, Stack, Text } from '@mantine/core';
import type { ChangeConflict, ChangeRequest, EnvironmentOverrides, FeatureState } from '../../../api/queries';
import { JsonDiff } from '../../../components/json-diff';

type Change = ChangeRequest['changes'][number];

type TemplateChange = Extract<Change, { target: 'template-values' }>;

export function changeTitle(change: Change, segmentName: (id: string) => string): string {
  if (change.target === 'template-values') return `template ${change.templateName} · values for the ${change.tenants} tenant(s) it applies to`;
  if (change.target === 'segment-override') return `${change.featureName} · override for segment ${segmentName(change.segmentId)}`;
  if (change.target === 'tenant-override') return `${change.featureName} · override for tenant ${change.tenantId}`;
  return `${change.featureName} · feature state`;
}

/** What is live now for the change's target, and its version (0: absent). */
function liveNow(change: Exclude<Change, TemplateChange>, states: Map<string, FeatureState>, overrides: EnvironmentOverrides | undefined): { content: unknown; version: number } {
  if (change.target === 'segment-override') {
    const override = overrides?.segmentOverrides.find((o) => o.featureName === change.featureName && o.segmentId === change.segmentId);
    return override ? { content: { enabled: override.enabled, value: override.value, priority: override.priority }, version: override.version } : { content: null, version: 0 };
  }
  if (change.target === 'tenant-override') {
    const override = overrides?.tenantOverrides.find((o) => o.featureName === change.featureName && o.tenantId === change.tenantId);
    return override ? { content: { enabled: override.enabled, value: override.value }, version: override.version } : { content: null, version: 0 };
  }
  const state = states.get(change.featureName);
  return state ? { content: { enabled: state.enabled, value: state.value, weights: state.weights }, version: state.version } : { content: null, version: 0 };
}

/** A template change: each feature's value before and after, as proposed (apply reports a template that moved meanwhile). */
function TemplateChangeDiff({ change, applied }: { change: TemplateChange; applied: boolean }) {
  const side = (which: 'before' | 'after') => Object.fromEntries(change.features.map((f) => [f.featureName, f[which]]));
  const title = changeTitle(change, (id) => id);
  return (
    <Paper withBorder p="sm">
      <Stack gap="xs">
        <Text fw={600} size="sm">
          {title}
        </Text>
        <JsonDiff before={side('before')} after={side('after')} label={applied ? `What ${title} changed` : `What applying changes in ${title}`} />
      </Stack>
    </Paper>
  );
}

/** One proposed change: what will change against what is live now, and whether it moved since. */
export function ChangeDiff({ change, states, overrides, segmentName, applied }: { change: Change; states: Map<string, FeatureState>; overrides: EnvironmentOverrides | undefined; segmentName: (id: string) => string; applied: boolean }) {
  if (change.target === 'template-values') return <TemplateChangeDiff change={change} applied={applied} />;
  const live = liveNow(change, states, overrides);
  const moved = !applied && live.version !== change.expectedVersion;
  const title = changeTitle(change, segmentName);
  return (
    <Paper withBorder p="sm">
      <Stack gap="xs">
        <Group gap="xs">
          <Text fw={600} size="sm">
            {title}
          </Text>
          {change.content === null && (
            <Badge color="red" variant="light" size="sm">
              removes it
            </Badge>
          )}
          {moved && (
            <Badge color="orange" variant="light" size="sm">
              changed since proposed (version {change.expectedVersion} → {live.version})
            </Badge>
          )}
        </Group>
        <JsonDiff before={applied ? undefined : live.content} after={change.content} label={applied ? `What ${title} was set to` : `What applying changes in ${title}, against what is live now`} />
      </Stack>
    </Paper>
  );
}

/** A 409 on apply: per target, what it was proposed against, what it is now, and what was proposed. */
export function ConflictList({ conflicts }: { conflicts: ChangeConflict[] }) {
  return (
    <Stack gap="xs">
      {conflicts.map((conflict, i) => (
        <Paper withBorder p="sm" key={i}>
          <Text size="sm" fw={600}>
            {'templateKey' in conflict ? `values of template ${conflict.templateKey}` : conflict.featureName}
            {'segmentId' in conflict ? ` · segment override ${conflict.segmentId}` : 'tenantId' in conflict ? ` · tenant override ${conflict.tenantId}` : ''}: proposed against version {conflict.expectedVersion}, now{' '}
            {conflict.currentVersion === null ? 'gone' : `version ${conflict.currentVersion}`}
          </Text>
          <JsonDiff before={conflict.current} after={conflict.proposed} label={`${'templateKey' in conflict ? `template ${conflict.templateKey}` : conflict.featureName}: live now against proposed`} />
        </Paper>
      ))}
    </Stack>
  );
}
