import { Anchor, Breadcrumbs, Button, Checkbox, Code, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../../../api/client';
import { environmentOverridesQuery, useCurrentEnvironment } from '../../../api/queries';
import { ConfirmButton } from '../../../components/confirm-button';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { paths, useScope } from '../../../lib/scope';
import { type Tenant, templatesQuery, tenantQuery, type TraitValue, useDeleteTenant, useSaveTenant } from '../api/tenants';
import { TraitEditor, type TraitRow, traitRow, traitValue } from '../components/trait-editor';

/** One tenant: its name, typed traits and assigned templates; delete after confirming. */
export default function TenantRoute() {
  const scope = useScope();
  const navigate = useNavigate();
  const tenantKey = useParams().tenantKey ?? '';
  const tenant = useQuery(tenantQuery(scope.projectId, tenantKey));
  // Here, not in the form: the form starts again after a save and the outcome must outlive it.
  const save = useSaveTenant(scope.projectId);
  const remove = useDeleteTenant(scope.projectId);
  if (tenant.isPending) return <Loading label="Loading the tenant" />;
  if (!tenant.data) return <ErrorAlert error={tenant.error} />;
  const current = tenant.data;
  return (
    <Page
      title={current.name}
      description={
        <Breadcrumbs>
          <Anchor component={Link} to={paths.tenants(scope)} size="sm">
            Tenants
          </Anchor>
          <Text size="sm">{current.key}</Text>
        </Breadcrumbs>
      }
      actions={
        <ConfirmButton
          variant="subtle"
          title={`Delete the tenant ${current.key}?`}
          message="Its traits and template assignments stop applying to its identities at once. Tenant overrides of its key stay."
          confirmLabel="Delete tenant"
          loading={remove.isPending}
          onConfirm={() => remove.mutate(current.key, { onSuccess: () => navigate(paths.tenants(scope)) })}
        >
          Delete tenant
        </ConfirmButton>
      }
    >
      {remove.error && <ErrorAlert error={remove.error} />}
      <Paper withBorder p="md" component="section" aria-label={`Edit ${current.key}`}>
        {/* Keyed by version: the form starts again from what was saved. */}
        <TenantForm key={`${current.key}@${current.version}`} tenant={current} save={save} />
      </Paper>
      <TenantOverrides tenantKey={current.key} />
    </Page>
  );
}

/** The tenant's own overrides in the environment in view: what wins over its templates there. */
function TenantOverrides({ tenantKey }: { tenantKey: string }) {
  const scope = useScope();
  const environment = useCurrentEnvironment(scope.projectId, scope.envId);
  const overrides = useQuery(environmentOverridesQuery(scope.envId));
  const mine = (overrides.data?.tenantOverrides ?? []).filter((override) => override.tenantId === tenantKey).sort((a, b) => a.featureName.localeCompare(b.featureName));
  const where = environment ? `in ${environment.name}` : 'in this environment';
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="tenant-overrides-heading">
      <Title order={2} size="h4" id="tenant-overrides-heading">
        Overrides {where}
      </Title>
      <Text size="sm" c="dimmed" mb="xs">
        This tenant's own values: they win over its templates and segments. Change them on each flag's page.
      </Text>
      {overrides.error ? (
        <ErrorAlert error={overrides.error} title="The overrides could not be loaded" />
      ) : overrides.isPending ? (
        <Loading label="Loading the overrides" />
      ) : mine.length === 0 ? (
        <Text size="sm">No overrides of {tenantKey} {where}.</Text>
      ) : (
        <Table striped aria-labelledby="tenant-overrides-heading">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Flag</Table.Th>
              <Table.Th scope="col">State</Table.Th>
              <Table.Th scope="col">Value</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {mine.map((override) => (
              <Table.Tr key={override.featureId}>
                <Table.Th scope="row" fw="normal">
                  <Anchor component={Link} to={paths.feature(scope, override.featureName)} size="sm" ff="monospace">
                    {override.featureName}
                  </Anchor>
                </Table.Th>
                <Table.Td>{override.enabled ? 'On' : 'Off'}</Table.Td>
                <Table.Td>
                  <Code>{JSON.stringify(override.value ?? null)}</Code>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Paper>
  );
}

/** The form of a tenant, new (no `tenant`) or existing; `onSaved` after the API accepted it. */
export function TenantForm({ tenant, save, onSaved }: { tenant?: Tenant; save: ReturnType<typeof useSaveTenant>; onSaved?: (saved: Tenant) => void }) {
  const scope = useScope();
  const templates = useQuery(templatesQuery(scope.projectId));
  const templatesError = templates.error;
  const [key, setKey] = useState(tenant?.key ?? '');
  const [name, setName] = useState(tenant?.name ?? '');
  const [rows, setRows] = useState<TraitRow[]>(() => Object.entries(tenant?.traits ?? {}).flatMap(([trait, value]) => (value === null ? [] : [traitRow(trait, value)])));
  const [assigned, setAssigned] = useState<string[]>(tenant?.templates ?? []);
  const [local, setLocal] = useState<Record<string, string>>({});

  // The API's 422 details by field; trait problems go to the row of the trait they name.
  const apiFields = save.error instanceof ApiError ? save.error.fieldErrors() : {};
  const errors: Record<string, string | undefined> = { ...local };
  const shown = new Set<string>();
  const take = (path: string) => {
    shown.add(path);
    return apiFields[path];
  };
  errors.traits ??= take('traits');
  for (const row of rows) errors[`value:${row.id}`] ??= take(`traits.${row.key.trim()}`);
  // Creating sends version 0 ("only if new"): a 409 then means the key is taken, said at the key.
  const taken = !tenant && save.error instanceof ApiError && save.error.status === 409 && save.variables?.tenantKey === key.trim() ? key.trim() : undefined;
  const keyError =
    take('tenantKey') ??
    take('key') ??
    (taken !== undefined ? (
      <>
        A tenant {taken} already exists:{' '}
        <Anchor component={Link} to={paths.tenant(scope, taken)} inherit underline="always">
          open it
        </Anchor>{' '}
        or choose another key.
      </>
    ) : undefined);
  const nameError = take('name');
  const templatesField = take('templates') ?? Object.entries(apiFields).find(([path]) => path.startsWith('templates.'))?.[1];
  for (const path of Object.keys(apiFields)) if (path.startsWith('templates.')) shown.add(path);
  const unplaced = Object.keys(apiFields).filter((path) => !shown.has(path));

  const submit = () => {
    const problems: Record<string, string> = {};
    const traits: Record<string, TraitValue> = {};
    for (const row of rows) {
      const trait = row.key.trim();
      if (!trait) problems[`name:${row.id}`] = 'A trait needs a name';
      else if (trait in traits) problems[`name:${row.id}`] = 'Each trait once';
      const typed = traitValue(row);
      if ('problem' in typed) problems[`value:${row.id}`] = typed.problem;
      else if (trait) traits[trait] = typed.value;
    }
    setLocal(problems);
    if (Object.keys(problems).length) return;
    const tenantKey = tenant?.key ?? key.trim();
    save.mutate(
      { tenantKey, body: { name: name.trim() || undefined, traits, templates: assigned, version: tenant?.version ?? 0 } },
      { onSuccess: (saved) => onSaved?.(saved) },
    );
  };

  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <Stack>
        {tenant ? (
          <Text size="sm">
            Key <code>{tenant.key}</code>: the value identities carry in the project's tenant trait.
          </Text>
        ) : (
          <TextInput label="Key" description="The value identities carry in the project's tenant trait (e.g. acme)" value={key} onChange={(event) => setKey(event.currentTarget.value)} error={keyError} required />
        )}
        <TextInput label="Name" description="Defaults to the key" value={name} onChange={(event) => setName(event.currentTarget.value)} error={nameError} />
        <TraitEditor rows={rows} onChange={setRows} errors={errors} />
        {templatesError ? (
          <ErrorAlert error={templatesError} title="The templates could not be loaded" />
        ) : (
          <Checkbox.Group label="Templates" description="Assigned templates apply to this tenant besides those whose rules match its traits" value={assigned} onChange={setAssigned} error={templatesField}>
            <Stack gap={4} mt={4}>
              {(templates.data ?? []).map((template) => (
                <Checkbox key={template.key} value={template.key} label={`${template.name} (${template.key}, rank ${template.rank})`} />
              ))}
              {templates.data?.length === 0 && (
                <Text size="sm" c="dimmed">
                  No templates in this project yet.
                </Text>
              )}
            </Stack>
          </Checkbox.Group>
        )}
        {save.error && taken === undefined && (!(save.error instanceof ApiError) || save.error.status !== 422 || unplaced.length > 0 || !Object.keys(apiFields).length) && <ErrorAlert error={save.error} />}
        {save.isSuccess && tenant && (
          <Text size="sm" role="status">
            Saved (version {tenant.version}).
          </Text>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={save.isPending}>
            {tenant ? 'Save tenant' : 'Create tenant'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
