import { Anchor, Badge, NumberInput, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { staleQuery } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { Time } from '../../../components/time';
import { paths, useScope } from '../../../lib/scope';

/** Flags nobody changed or evaluated for N days: candidates for clean-up (tag `permanent` to keep one off). */
export default function StaleFlagsRoute() {
  const scope = useScope();
  const [days, setDays] = useState(30);
  const stale = useQuery(staleQuery(scope.projectId, days));
  return (
    <Page title="Stale flags" description={<Text size="sm" c="dimmed">No change and no evaluation in any environment; flags tagged permanent are left out.</Text>}>
      <NumberInput label="Days without change or evaluation" value={days} onChange={(value) => setDays(Math.min(365, Math.max(1, Number(value) || 30)))} min={1} max={365} w={260} />
      {stale.error && <ErrorAlert error={stale.error} />}
      {stale.isPending ? (
        <Loading />
      ) : (
        <Table striped aria-label="Stale flags, oldest change first">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Flag</Table.Th>
              <Table.Th scope="col">Last changed</Table.Th>
              <Table.Th scope="col">Last evaluated</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {stale.data?.items.map((item) => (
              <Table.Tr key={item.name}>
                <Table.Th scope="row" fw="normal">
                  <Anchor component={Link} to={paths.feature(scope, item.name)} size="sm">
                    {item.name}
                  </Anchor>{' '}
                  {item.tags.map((tag) => (
                    <Badge key={tag} size="xs" variant="light" color="gray" ml={4}>
                      {tag}
                    </Badge>
                  ))}
                </Table.Th>
                <Table.Td>
                  <Time iso={item.lastChangedAt} />
                </Table.Td>
                <Table.Td>{item.lastEvaluatedOn ?? 'never (in the window looked at)'}</Table.Td>
              </Table.Tr>
            ))}
            {stale.data?.items.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={3}>
                  <Text size="sm" c="dimmed">
                    No stale flags over {days} days.
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
