import { Badge, Button, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../../../api/client';
import { useEnvironments } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { JsonDiff } from '../../../components/json-diff';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { Time } from '../../../components/time';
import { useScope } from '../../../lib/scope';

/** Every change in the organisation, newest first, with filters in the URL and a before/after diff. */
export default function AuditRoute() {
  const scope = useScope();
  const [params, setParams] = useSearchParams();
  const environments = useEnvironments(scope.projectId);
  const filters = { environment: params.get('environment') ?? '', feature: params.get('feature') ?? '', actor: params.get('actor') ?? '' };
  const [open, setOpen] = useState<string>();
  const setFilter = (name: string, value: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  const audit = useInfiniteQuery({
    queryKey: ['audit', scope.orgId, filters],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/admin/v1/organisations/{orgId}/audit', {
          params: {
            path: { orgId: scope.orgId },
            query: { limit: 50, cursor: pageParam, ...(filters.environment ? { environment: filters.environment } : {}), ...(filters.feature ? { feature: filters.feature } : {}), ...(filters.actor ? { actor: filters.actor } : {}) },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.cursor,
    retry: false,
  });
  const envName = new Map((environments.data ?? []).map((environment) => [environment.id, environment.name]));
  const items = (audit.data?.pages ?? []).flatMap((page) => page.items);

  return (
    <Page title="Audit log">
      <Group align="flex-end" gap="sm">
        <Select
          label="Environment"
          data={[{ value: '', label: 'Any' }, ...(environments.data ?? []).map((environment) => ({ value: environment.id, label: environment.name }))]}
          value={filters.environment}
          onChange={(value) => setFilter('environment', value ?? '')}
          w={200}
          allowDeselect={false}
        />
        <TextInput label="Flag" value={filters.feature} onChange={(event) => setFilter('feature', event.currentTarget.value.trim())} w={200} />
        <TextInput label="Actor (token id)" value={filters.actor} onChange={(event) => setFilter('actor', event.currentTarget.value.trim())} w={200} />
      </Group>
      {audit.error && <ErrorAlert error={audit.error} title="The audit log is for organisation admins" />}
      {audit.isPending ? (
        <Loading />
      ) : (
        <Table aria-label="Audit records, newest first">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">When</Table.Th>
              <Table.Th scope="col">Who</Table.Th>
              <Table.Th scope="col">What</Table.Th>
              <Table.Th scope="col">Where</Table.Th>
              <Table.Th scope="col">
                <span className="visually-hidden">Details</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((record) => (
              <Fragment key={record.id}>
                <Table.Tr>
                  <Table.Td>
                    <Time iso={record.at} />
                  </Table.Td>
                  <Table.Td>{record.actor.name}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color="gray" mr={6}>
                      {record.action}
                    </Badge>
                    <Text span size="sm">
                      {record.subject.kind ?? record.detailType} {record.subject.featureName ?? record.subject.name ?? record.subject.id ?? ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>{record.envId ? (envName.get(record.envId) ?? record.envId) : record.projectId ? 'project' : 'organisation'}</Table.Td>
                  <Table.Td>
                    <Button size="compact-xs" variant="subtle" onClick={() => setOpen(open === record.id ? undefined : record.id)} aria-expanded={open === record.id}>
                      {open === record.id ? 'Hide' : 'Show'} before / after
                    </Button>
                  </Table.Td>
                </Table.Tr>
                {open === record.id && (
                  <Table.Tr>
                    <Table.Td colSpan={5}>
                      <Stack>
                        <JsonDiff before={record.before ?? null} after={record.after ?? null} label={`Before and after of ${record.detailType} ${record.action}`} />
                      </Stack>
                    </Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {audit.hasNextPage && (
        <Button variant="light" onClick={() => audit.fetchNextPage()} loading={audit.isFetchingNextPage}>
          Load older records
        </Button>
      )}
    </Page>
  );
}
