import { Anchor, Badge, Button, Code, Group, Modal, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { Time } from '../../../components/time';
import { paths, useScope } from '../../../lib/scope';
import { type Template, templatesQuery, tenantsQuery, useSaveTenant } from '../api/tenants';
import { TenantForm } from './tenant';

const showValue = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** A template's rules in one line: `tenant.plan equal enterprise; …` (any rule applies). */
function describeRules(rules: Template['rules']): string {
  const conditions = (rule: Template['rules'][number]): string[] => [
    ...(rule.conditions ?? []).map((condition) => [condition.property, condition.operator, condition.value].filter((part) => part !== undefined && part !== null && part !== '').join(' ')),
    ...(rule.rules ?? []).flatMap(conditions),
  ];
  return rules.flatMap(conditions).join('; ');
}

/** The project's tenants (search and pages from the API) and its templates, read-only. */
export default function TenantsRoute() {
  const scope = useScope();
  // The search lives in the URL: a searched list can be linked to and reloaded.
  const [params, setParams] = useSearchParams();
  const search = params.get('search') ?? '';
  // One request when typing pauses, not one per key.
  const [deferred] = useDebouncedValue(search.trim(), 250);
  const tenants = useInfiniteQuery(tenantsQuery(scope.projectId, deferred));
  const templates = useQuery(templatesQuery(scope.projectId));
  const items = (tenants.data?.pages ?? []).flatMap((page) => page.items);
  const navigate = useNavigate();
  const create = useSaveTenant(scope.projectId);
  // `?new` opens the new-tenant dialog (a tenant may well be keyed "new", so not a path).
  const creating = params.has('new');
  const setCreating = (open: boolean) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (open) next.set('new', '');
      else next.delete('new');
      return next;
    });

  return (
    <Page
      title="Tenants"
      actions={
        <Button size="sm" onClick={() => setCreating(true)}>
          New tenant
        </Button>
      }
    >
      <TextInput
        label="Search tenants"
        description="By key or name, any case"
        type="search"
        w={320}
        value={search}
        onChange={(event) => {
          const next = event.currentTarget.value;
          setParams(
            (current) => {
              const updated = new URLSearchParams(current);
              if (next) updated.set('search', next);
              else updated.delete('search');
              return updated;
            },
            { replace: true },
          );
        }}
      />
      <Modal
        opened={creating}
        onClose={() => {
          setCreating(false);
          create.reset();
        }}
        title="New tenant"
        size="xl"
      >
        <TenantForm save={create} onSaved={(saved) => navigate(paths.tenant(scope, saved.key))} />
      </Modal>
      {tenants.error && <ErrorAlert error={tenants.error} />}
      {tenants.isPending ? (
        <Loading label="Loading tenants" />
      ) : (
        <Table striped aria-label="Tenants" aria-busy={tenants.isFetching || deferred !== search.trim()}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Tenant</Table.Th>
              <Table.Th scope="col">Traits</Table.Th>
              <Table.Th scope="col">Templates</Table.Th>
              <Table.Th scope="col">Changed</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((tenant) => (
              <Table.Tr key={tenant.key}>
                <Table.Th scope="row" fw="normal">
                  <Anchor component={Link} to={paths.tenant(scope, tenant.key)} fw={600} size="sm">
                    {tenant.name}
                  </Anchor>
                  <Text size="xs" c="dimmed" ff="monospace">
                    {tenant.key}
                  </Text>
                </Table.Th>
                <Table.Td>
                  <Text size="xs" ff="monospace">
                    {Object.entries(tenant.traits)
                      .map(([key, value]) => `${key}=${showValue(value)}`)
                      .join(' ')}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {(tenant.templates ?? []).map((key) => (
                      <Badge key={key} variant="light" size="sm">
                        {key}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Time iso={tenant.updatedAt} />
                </Table.Td>
              </Table.Tr>
            ))}
            {items.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={4}>
                  <Text size="sm" c="dimmed">
                    {search.trim() ? 'No tenants match.' : 'No tenants yet.'}
                  </Text>
                </Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      )}
      {tenants.hasNextPage && (
        <Group>
          <Button variant="light" onClick={() => tenants.fetchNextPage()} loading={tenants.isFetchingNextPage}>
            Load more tenants
          </Button>
        </Group>
      )}

      <Title order={2} size="h4" id="templates-heading" mt="lg">
        Templates
      </Title>
      <Text size="sm" c="dimmed">
        They apply in rank order (lower first): to tenants assigned to them and to tenants whose traits match their rules.
      </Text>
      {templates.error && <ErrorAlert error={templates.error} />}
      {templates.isPending ? (
        <Loading label="Loading templates" />
      ) : (
        <Table striped aria-labelledby="templates-heading">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Template</Table.Th>
              <Table.Th scope="col">Rank</Table.Th>
              <Table.Th scope="col">Rules</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {templates.data?.map((template) => (
              <Table.Tr key={template.key}>
                <Table.Th scope="row" fw="normal">
                  <Text size="sm" fw={600}>
                    {template.name}
                  </Text>
                  <Text size="xs" c="dimmed" ff="monospace">
                    {template.key}
                  </Text>
                  {template.description && (
                    <Text size="xs" c="dimmed">
                      {template.description}
                    </Text>
                  )}
                </Table.Th>
                <Table.Td>{template.rank}</Table.Td>
                <Table.Td>{template.rules.length ? <Code>{describeRules(template.rules)}</Code> : <Text size="sm">By assignment only</Text>}</Table.Td>
              </Table.Tr>
            ))}
            {templates.data?.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={3}>
                  <Text size="sm" c="dimmed">
                    No templates in this project yet.
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
