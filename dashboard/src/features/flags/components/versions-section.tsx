import { Button, Group, Paper, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Environment, Feature, FeatureState } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { JsonDiff } from '../../../components/json-diff';
import { Time } from '../../../components/time';
import { ValueView } from '../../../components/value-view';
import { useRestoreVersion, versionsQuery } from '../api/feature';

/** Every saved version of the flag in this environment, a diff of any two, and one-click restore. */
export function VersionsSection({ feature, environment, state }: { feature: Feature; environment: Environment; state: FeatureState }) {
  const versions = useQuery(versionsQuery(environment.id, feature.name));
  const restore = useRestoreVersion(environment.id, feature.name);
  const items = versions.data?.items ?? [];
  const [left, setLeft] = useState<string | null>(null);
  const [right, setRight] = useState<string | null>(null);
  const options = items.map((version) => ({ value: String(version.version), label: `version ${version.version}` }));
  const a = items.find((version) => String(version.version) === (left ?? String(items[1]?.version ?? '')));
  const b = items.find((version) => String(version.version) === (right ?? String(items[0]?.version ?? '')));
  const content = (version: (typeof items)[number] | undefined) => version && { enabled: version.enabled, value: version.value, weights: version.weights };

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="versions-heading">
      <Stack>
        <Title order={2} size="h4" id="versions-heading">
          Version history in {environment.name}
        </Title>
        {versions.error && <ErrorAlert error={versions.error} />}
        {restore.error && <ErrorAlert error={restore.error} title="Not restored" />}
        {restore.isSuccess && (
          <Text size="sm" c="teal.9" role="status">
            Restored: now version {restore.data.version}.
          </Text>
        )}
        {items.length === 0 ? (
          <Text size="sm" c="dimmed">
            Never changed in {environment.name}: it serves the flag's defaults.
          </Text>
        ) : (
          <Table withTableBorder aria-label="Versions, newest first">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Version</Table.Th>
                <Table.Th scope="col">When</Table.Th>
                <Table.Th scope="col">Enabled</Table.Th>
                <Table.Th scope="col">Value</Table.Th>
                <Table.Th scope="col">
                  <span className="visually-hidden">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((version) => (
                <Table.Tr key={version.version}>
                  <Table.Td>
                    {version.version}
                    {version.restoredFrom !== undefined && (
                      <Text span size="xs" c="dimmed">
                        {' '}
                        (restored from {version.restoredFrom})
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Time iso={version.at} />
                  </Table.Td>
                  <Table.Td>{version.enabled ? 'on' : 'off'}</Table.Td>
                  <Table.Td>
                    <ValueView value={version.value} />
                  </Table.Td>
                  <Table.Td>
                    {version.version === state.version ? (
                      <Text size="xs" c="dimmed">
                        live
                      </Text>
                    ) : (
                      <Button size="compact-xs" variant="light" loading={restore.isPending && restore.variables?.version === version.version} onClick={() => restore.mutate({ version: version.version, current: state.version })}>
                        Restore version {version.version}
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {items.length > 1 && (
          <Stack gap="xs">
            <Group gap="sm">
              <Select label="Compare" data={options} value={left ?? (a ? String(a.version) : null)} onChange={setLeft} w={150} allowDeselect={false} />
              <Select label="with" data={options} value={right ?? (b ? String(b.version) : null)} onChange={setRight} w={150} allowDeselect={false} />
            </Group>
            <JsonDiff before={content(a)} after={content(b)} label={`Changes from version ${a?.version} to version ${b?.version}`} />
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}
