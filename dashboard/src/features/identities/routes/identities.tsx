import { Anchor, Button, Group, Table, Text, TextInput } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { Time } from '../../../components/time';
import { paths, useScope } from '../../../lib/scope';
import { identitiesQuery } from '../api/identities';

/** Identities SDKs have seen in this environment; look one up by its identifier. */
export default function IdentitiesRoute() {
  const scope = useScope();
  const navigate = useNavigate();
  const [lookup, setLookup] = useState('');
  const [filter, setFilter] = useState('');
  const identities = useInfiniteQuery(identitiesQuery(scope.envId));
  const items = (identities.data?.pages ?? []).flatMap((page) => page.items).filter((identity) => identity.identifier.toLowerCase().includes(filter.trim().toLowerCase()));

  return (
    <Page title="Identities">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (lookup.trim()) navigate(paths.identity(scope, lookup.trim()));
        }}
      >
        <Group align="flex-end">
          <TextInput label="Find an identity by identifier" description="Shows its traits and why it gets each flag" value={lookup} onChange={(event) => setLookup(event.currentTarget.value)} w={320} />
          <Button type="submit">Look up</Button>
        </Group>
      </form>
      <TextInput label="Filter the list below" value={filter} onChange={(event) => setFilter(event.currentTarget.value)} w={320} type="search" />
      {identities.error && <ErrorAlert error={identities.error} />}
      {identities.isPending ? (
        <Loading />
      ) : (
        <Table striped aria-label="Identities">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Identifier</Table.Th>
              <Table.Th scope="col">Traits</Table.Th>
              <Table.Th scope="col">Last seen</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((identity) => (
              <Table.Tr key={identity.identifier}>
                <Table.Th scope="row" fw="normal">
                  <Anchor component={Link} to={paths.identity(scope, identity.identifier)} size="sm">
                    {identity.identifier}
                  </Anchor>
                </Table.Th>
                <Table.Td>
                  <Text size="xs" ff="monospace" lineClamp={1}>
                    {Object.entries(identity.traits)
                      .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
                      .join(' ')}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Time iso={identity.updatedAt} />
                </Table.Td>
              </Table.Tr>
            ))}
            {items.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={3}>
                  <Text size="sm" c="dimmed">
                    No identities{filter ? ' match' : ' yet: SDKs create them when they evaluate flags for a user'}.
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      )}
      {identities.hasNextPage && (
        <Button variant="light" onClick={() => identities.fetchNextPage()} loading={identities.isFetchingNextPage}>
          Load more identities
        </Button>
      )}
    </Page>
  );
}
