import { Choice } from '../../../components/choice';
import { Anchor, Badge, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { useCurrentEnvironment } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { Time } from '../../../components/time';
import { paths, useScope } from '../../../lib/scope';
import { changeRequestsQuery } from '../api/change-requests';

const STATUS_COLOR = { open: 'indigo', applied: 'green', closed: 'gray' } as const;

export default function ChangeRequestsRoute() {
  const scope = useScope();
  const environment = useCurrentEnvironment(scope.projectId, scope.envId);
  const requests = useQuery(changeRequestsQuery(scope.envId));
  const [status, setStatus] = useState('open');
  const items = (requests.data?.items ?? []).filter((request) => status === 'all' || request.status === status);
  const required = environment?.requiredApprovals ?? 0;
  return (
    <Page
      title="Change requests"
      description={
        <Text size="sm" c="dimmed">
          {required > 0 ? `${environment?.name} requires ${required} approval${required === 1 ? '' : 's'}: flag changes there are proposed here.` : `${environment?.name ?? 'This environment'} takes changes directly; change requests are optional.`}
        </Text>
      }
    >
      <Choice
        label="Status"
        value={status}
        onChange={setStatus}
        data={[
          { value: 'open', label: 'Open' },
          { value: 'applied', label: 'Applied' },
          { value: 'closed', label: 'Closed' },
          { value: 'all', label: 'All' },
        ]}
        w="fit-content"
      />
      {requests.error && <ErrorAlert error={requests.error} />}
      {requests.isPending ? (
        <Loading />
      ) : (
        <Table striped aria-label="Change requests">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Title</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Changes</Table.Th>
              <Table.Th scope="col">Approvals</Table.Th>
              <Table.Th scope="col">Author</Table.Th>
              <Table.Th scope="col">Opened</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((request) => (
              <Table.Tr key={request.id}>
                <Table.Th scope="row" fw="normal">
                  <Anchor component={Link} to={paths.changeRequest(scope, request.id)} size="sm">
                    {request.title}
                  </Anchor>
                </Table.Th>
                <Table.Td>
                  <Badge color={STATUS_COLOR[request.status]} variant="light">
                    {request.status}
                  </Badge>
                </Table.Td>
                <Table.Td>{request.changes.length}</Table.Td>
                <Table.Td>
                  {request.approvals.length} of {required}
                </Table.Td>
                <Table.Td>{request.author.name}</Table.Td>
                <Table.Td>
                  <Time iso={request.createdAt} />
                </Table.Td>
              </Table.Tr>
            ))}
            {items.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={6}>
                  <Text size="sm" c="dimmed">
                    No {status === 'all' ? '' : `${status} `}change requests.
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
