import { Anchor, Button, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { useSegments } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { Time } from '../../../components/time';
import { paths, useScope } from '../../../lib/scope';

const countConditions = (rules: { conditions?: unknown[] | null; rules?: unknown[] | null }[]): number =>
  rules.reduce((total, rule) => total + (rule.conditions?.length ?? 0) + countConditions((rule.rules ?? []) as typeof rules), 0);

export default function SegmentsRoute() {
  const scope = useScope();
  const segments = useSegments(scope.projectId);
  const [search, setSearch] = useState('');
  const shown = (segments.data ?? []).filter((segment) => `${segment.name} ${segment.description}`.toLowerCase().includes(search.trim().toLowerCase()));
  return (
    <Page
      title="Segments"
      actions={
        <Button component={Link} to={paths.newSegment(scope)} size="sm">
          Create segment
        </Button>
      }
    >
      <TextInput label="Search segments" value={search} onChange={(event) => setSearch(event.currentTarget.value)} w={280} type="search" />
      {segments.error && <ErrorAlert error={segments.error} />}
      {segments.isPending ? (
        <Loading />
      ) : (
        <Table striped aria-label="Segments">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Segment</Table.Th>
              <Table.Th scope="col">Conditions</Table.Th>
              <Table.Th scope="col">Changed</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((segment) => (
              <Table.Tr key={segment.id}>
                <Table.Th scope="row" fw="normal">
                  <Anchor component={Link} to={paths.segment(scope, segment.id)} fw={600} size="sm">
                    {segment.name}
                  </Anchor>
                  {segment.description && (
                    <Text size="xs" c="dimmed">
                      {segment.description}
                    </Text>
                  )}
                </Table.Th>
                <Table.Td>{countConditions(segment.rules)}</Table.Td>
                <Table.Td>
                  <Time iso={segment.updatedAt} />
                </Table.Td>
              </Table.Tr>
            ))}
            {shown.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={3}>
                  <Text size="sm" c="dimmed">
                    No segments{search ? ' match' : ' yet'}.
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
