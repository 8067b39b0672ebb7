import { Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { Feature } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { Time } from '../../../components/time';
import { featureAuditQuery } from '../api/feature';

/** Who changed this flag, anywhere in the organisation (the audit log needs an organisation admin). */
export function AuditTrail({ feature, orgId, envNames }: { feature: Feature; orgId: string; envNames: Map<string, string> }) {
  const audit = useQuery(featureAuditQuery(orgId, '', feature.name));
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="audit-heading">
      <Stack>
        <Title order={2} size="h4" id="audit-heading">
          Audit trail
        </Title>
        {audit.error ? (
          <ErrorAlert error={audit.error} title="The audit log is for organisation admins" />
        ) : (audit.data?.items.length ?? 0) === 0 ? (
          <Text size="sm" c="dimmed">
            No changes recorded yet.
          </Text>
        ) : (
          <Table withTableBorder aria-label="Audit trail of this flag, newest first">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">When</Table.Th>
                <Table.Th scope="col">Who</Table.Th>
                <Table.Th scope="col">What</Table.Th>
                <Table.Th scope="col">Where</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {audit.data?.items.map((record) => (
                <Table.Tr key={record.id}>
                  <Table.Td>
                    <Time iso={record.at} />
                  </Table.Td>
                  <Table.Td>{record.actor.name}</Table.Td>
                  <Table.Td>
                    {record.subject.kind ?? record.detailType} {record.action}
                    {record.version !== undefined ? ` (version ${record.version})` : ''}
                  </Table.Td>
                  <Table.Td>{record.envId ? (envNames.get(record.envId) ?? record.envId) : 'project'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Paper>
  );
}
