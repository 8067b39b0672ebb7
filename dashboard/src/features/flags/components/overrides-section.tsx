import { Anchor, Button, Group, NumberInput, Paper, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../../../api/client';
import { type Environment, type Feature, useSegments } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { parseDraft, toDraft, ValueEditor } from '../../../components/value-editor';
import { formatValue, ValueView } from '../../../components/value-view';
import { paths, type Scope } from '../../../lib/scope';
import { featureOverridesQuery, type OverrideRemoval, type OverrideWrite, usePutOverride, useRemoveOverride } from '../api/feature';
import type { Proposal } from './propose-dialog';

type Kind = 'segment' | 'tenant' | 'identity';
const KIND_LABEL: Record<Kind, string> = { segment: 'segment override', tenant: 'tenant override', identity: 'identity override' };

/** Who gets something else than the environment value: segments (in priority order), tenants, identities. */
export function OverridesSection({ feature, environment, scope, onPropose }: { feature: Feature; environment: Environment; scope: Scope; onPropose: (proposal: Proposal) => void }) {
  const overrides = useQuery(featureOverridesQuery(environment.id, feature.name));
  const segments = useSegments(scope.projectId);
  const segmentName = new Map((segments.data ?? []).map((segment) => [segment.id, segment.name]));
  const remove = useRemoveOverride(environment.id, feature.name);
  const governed = (environment.requiredApprovals ?? 0) > 0;

  const propose = (title: string, change: Proposal['changes'][number]) =>
    onPropose({ envId: environment.id, environmentName: environment.name, requiredApprovals: environment.requiredApprovals ?? 0, title, summary: title, changes: [change] });

  const removeOverride = (removal: OverrideRemoval, label: string) => {
    if (governed && removal.kind !== 'identity') {
      return propose(`Remove the ${label} of ${feature.name} in ${environment.name}`, {
        featureName: feature.name,
        ...(removal.kind === 'segment' ? { segmentId: removal.segmentId } : { tenantId: removal.tenantId }),
        remove: true,
      });
    }
    remove.mutate(removal);
  };

  const data = overrides.data;
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="overrides-heading">
      <Stack>
        <Title order={2} size="h4" id="overrides-heading">
          Overrides in {environment.name}
        </Title>
        {overrides.error && <ErrorAlert error={overrides.error} />}
        {remove.error && <ErrorAlert error={remove.error} title="Not removed" />}
        <Table withTableBorder aria-label="Segment overrides, in priority order">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Segment (priority order)</Table.Th>
              <Table.Th scope="col">Priority</Table.Th>
              <Table.Th scope="col">Enabled</Table.Th>
              <Table.Th scope="col">Value</Table.Th>
              <Table.Th scope="col">
                <span className="visually-hidden">Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data?.segmentOverrides.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={5}>
                  <Text size="sm" c="dimmed">
                    No segment overrides.
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
            {data?.segmentOverrides.map((override) => {
              const name = segmentName.get(override.segmentId) ?? override.segmentId;
              return (
                <Table.Tr key={override.segmentId}>
                  <Table.Td>
                    <Anchor component={Link} to={paths.segment(scope, override.segmentId)} size="sm">
                      {name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{override.priority}</Table.Td>
                  <Table.Td>{override.enabled ? 'on' : 'off'}</Table.Td>
                  <Table.Td>
                    <ValueView value={override.value} />
                  </Table.Td>
                  <Table.Td>
                    <Button size="compact-xs" variant="subtle" color="red" onClick={() => removeOverride({ kind: 'segment', segmentId: override.segmentId }, `override for segment ${name}`)} aria-label={`Remove the override for segment ${name}`}>
                      Remove
                    </Button>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
        <OverrideForm kind="segment" feature={feature} environment={environment} segments={(segments.data ?? []).map((segment) => ({ value: segment.id, label: segment.name }))} onPropose={propose} />

        <Table withTableBorder aria-label="Tenant overrides">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Tenant</Table.Th>
              <Table.Th scope="col">Enabled</Table.Th>
              <Table.Th scope="col">Value</Table.Th>
              <Table.Th scope="col">
                <span className="visually-hidden">Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data?.tenantOverrides.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={4}>
                  <Text size="sm" c="dimmed">
                    No tenant overrides.
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
            {data?.tenantOverrides.map((override) => (
              <Table.Tr key={override.tenantId}>
                <Table.Td>{override.tenantId}</Table.Td>
                <Table.Td>{override.enabled ? 'on' : 'off'}</Table.Td>
                <Table.Td>
                  <ValueView value={override.value} />
                </Table.Td>
                <Table.Td>
                  <Button size="compact-xs" variant="subtle" color="red" onClick={() => removeOverride({ kind: 'tenant', tenantId: override.tenantId }, `override for tenant ${override.tenantId}`)} aria-label={`Remove the override for tenant ${override.tenantId}`}>
                    Remove
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <OverrideForm kind="tenant" feature={feature} environment={environment} onPropose={propose} />

        <Table withTableBorder aria-label="Identity overrides">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Identity</Table.Th>
              <Table.Th scope="col">Enabled</Table.Th>
              <Table.Th scope="col">Value</Table.Th>
              <Table.Th scope="col">
                <span className="visually-hidden">Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {data?.identityOverrides.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={4}>
                  <Text size="sm" c="dimmed">
                    No identity overrides.
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
            {data?.identityOverrides.map((override) => (
              <Table.Tr key={override.identifier}>
                <Table.Td>
                  <Anchor component={Link} to={paths.identity(scope, override.identifier)} size="sm">
                    {override.identifier}
                  </Anchor>
                </Table.Td>
                <Table.Td>{override.enabled ? 'on' : 'off'}</Table.Td>
                <Table.Td>
                  <ValueView value={override.value} />
                </Table.Td>
                <Table.Td>
                  <Button size="compact-xs" variant="subtle" color="red" onClick={() => removeOverride({ kind: 'identity', identifier: override.identifier }, `override for ${override.identifier}`)} aria-label={`Remove the override for identity ${override.identifier}`}>
                    Remove
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <OverrideForm kind="identity" feature={feature} environment={environment} onPropose={propose} />
      </Stack>
    </Paper>
  );
}

function OverrideForm({
  kind,
  feature,
  environment,
  segments,
  onPropose,
}: {
  kind: Kind;
  feature: Feature;
  environment: Environment;
  segments?: { value: string; label: string }[];
  onPropose: (title: string, change: Proposal['changes'][number]) => void;
}) {
  const [target, setTarget] = useState<string | null>(null);
  const [priority, setPriority] = useState<number>(0);
  const [enabled, setEnabled] = useState(true);
  const [draft, setDraft] = useState(toDraft(feature.valueType, feature.initialValue));
  const [valueError, setValueError] = useState<string>();
  const put = usePutOverride(environment.id, feature.name);
  const fields = put.error instanceof ApiError ? put.error.fieldErrors() : {};
  const label = KIND_LABEL[kind];
  const governed = (environment.requiredApprovals ?? 0) > 0 && kind !== 'identity';

  const submit = () => {
    const parsed = parseDraft(feature.valueType, draft);
    if (!parsed.ok) return setValueError(parsed.message);
    setValueError(undefined);
    const who = target?.trim();
    if (!who) return;
    const value = parsed.value;
    if (governed) {
      return onPropose(`Override ${feature.name} for ${kind} ${kind === 'segment' ? (segments?.find((s) => s.value === who)?.label ?? who) : who} in ${environment.name}: ${enabled ? 'on' : 'off'}, ${formatValue(value)}`, {
        featureName: feature.name,
        enabled,
        value,
        ...(kind === 'segment' ? { segmentId: who, priority } : { tenantId: who }),
      });
    }
    const write: OverrideWrite =
      kind === 'segment' ? { kind, segmentId: who, body: { enabled, value, priority } } : kind === 'tenant' ? { kind, tenantId: who, body: { enabled, value } } : { kind, identifier: who, body: { enabled, value } };
    put.mutate(write, { onSuccess: () => setTarget(kind === 'segment' ? null : '') });
  };

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
      aria-label={`Add a ${label}`}
      noValidate
    >
      <Group align="flex-end" gap="sm" wrap="wrap">
        {kind === 'segment' ? (
          <Select label="Segment" data={segments ?? []} value={target} onChange={setTarget} w={200} searchable error={fields.segmentId} />
        ) : (
          <TextInput label={kind === 'tenant' ? 'Tenant id' : 'Identifier'} value={target ?? ''} onChange={(event) => setTarget(event.currentTarget.value)} w={200} error={fields.tenantId ?? fields.identifier} />
        )}
        {kind === 'segment' && <NumberInput label="Priority" description="Lower wins" value={priority} onChange={(value) => setPriority(Number(value) || 0)} min={0} w={110} error={fields.priority} />}
        <Switch label="Enabled" checked={enabled} onChange={(event) => setEnabled(event.currentTarget.checked)} mb={8} />
        <div style={{ flex: '1 1 220px' }}>
          <ValueEditor valueType={feature.valueType} draft={draft} onChange={setDraft} error={valueError ?? fields.value} label="Override value" />
        </div>
        <Button type="submit" loading={put.isPending} variant="light" disabled={!target?.trim()}>
          {governed ? `Propose ${label}` : `Add ${label}`}
        </Button>
      </Group>
      {put.error && !(put.error instanceof ApiError && put.error.status === 422 && Object.keys(fields).length) && <ErrorAlert error={put.error} title={`The ${label} was not saved`} />}
    </form>
  );
}
