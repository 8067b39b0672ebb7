/**
 * Roles as the API models them (functions/domain/schemas.ts rolesSchema): organisation admin, and
 * admin / editor / viewer per project and per environment. One editor and one summary, for
 * members, invitations and group rules alike.
 */
import { Checkbox, Fieldset, Group, NativeSelect, Stack, Text } from '@mantine/core';
import { useQueries, useQuery } from '@tanstack/react-query';
import { environmentsQuery, projectsQuery } from '../../../api/queries';
import type { Role, Roles } from '../api/members';

export interface Place {
  id: string;
  name: string;
}

/** The organisation's projects and every project's environments (named "project / environment"). */
export function usePlaces(orgId: string): { projects: Place[]; environments: Place[] } {
  const projects = useQuery(projectsQuery(orgId)).data ?? [];
  const environments = useQueries({ queries: projects.map((project) => environmentsQuery(project.id)) });
  return {
    projects: projects.map(({ id, name }) => ({ id, name })),
    environments: projects.flatMap((project, index) => (environments[index]?.data ?? []).map((environment) => ({ id: environment.id, name: `${project.name} / ${environment.name}` }))),
  };
}

const ROLE_NAMES: Record<Role, string> = { admin: 'Admin', editor: 'Editor', viewer: 'Viewer' };

/** "Organisation admin; Editor of Demo project; Viewer of Demo project / production". */
export function describeRoles(roles: Roles, places: { projects: Place[]; environments: Place[] }): string {
  const name = (list: Place[], id: string) => list.find((place) => place.id === id)?.name ?? id;
  const parts = [
    ...(roles.organisation === 'admin' ? ['Organisation admin'] : []),
    ...Object.entries(roles.projects ?? {}).map(([id, role]) => `${ROLE_NAMES[role]} of project ${name(places.projects, id)}`),
    ...Object.entries(roles.environments ?? {}).map(([id, role]) => `${ROLE_NAMES[role]} of environment ${name(places.environments, id)}`),
  ];
  return parts.length ? parts.join('; ') : 'No role';
}

const OPTIONS = [{ value: '', label: 'No role' }, ...(['admin', 'editor', 'viewer'] as const).map((role) => ({ value: role, label: ROLE_NAMES[role] }))];

/** Sets or clears one entry of a role map, leaving the map out when it becomes empty. */
function withRole(map: Record<string, Role> | undefined, id: string, role: string): Record<string, Role> | undefined {
  const next = { ...map };
  if (role) next[id] = role as Role;
  else delete next[id];
  return Object.keys(next).length ? next : undefined;
}

/** Drops empty parts, so the body carries only roles that are held. */
export function compactRoles(roles: Roles): Roles {
  return {
    ...(roles.organisation ? { organisation: roles.organisation } : {}),
    ...(roles.projects && Object.keys(roles.projects).length ? { projects: roles.projects } : {}),
    ...(roles.environments && Object.keys(roles.environments).length ? { environments: roles.environments } : {}),
  };
}

/**
 * The roles of `whom` ("Demo Admin", "the invitation", "group engineering"): the legend names them,
 * so every control is found by who it is for. `error` is the API's 422 message for `roles`.
 */
export function RolesFields({ whom, value, onChange, places, error }: { whom: string; value: Roles; onChange: (roles: Roles) => void; places: { projects: Place[]; environments: Place[] }; error?: string | undefined }) {
  const set = (patch: Partial<Roles>) => onChange(compactRoles({ ...value, ...patch }));
  return (
    <Fieldset legend={`Roles of ${whom}`} variant="unstyled">
      <Stack gap="sm">
        <Checkbox
          label="Organisation admin (every project and environment, and its people)"
          checked={value.organisation === 'admin'}
          onChange={(event) => set({ organisation: event.currentTarget.checked ? 'admin' : undefined })}
        />
        {places.projects.length > 0 && (
          <Fieldset legend="Project roles" variant="filled">
            <Group align="flex-start">
              {places.projects.map((project) => (
                <NativeSelect key={project.id} w={280} label={`Project ${project.name}`} data={OPTIONS} value={value.projects?.[project.id] ?? ''} onChange={(event) => set({ projects: withRole(value.projects, project.id, event.currentTarget.value) })} />
              ))}
            </Group>
          </Fieldset>
        )}
        {places.environments.length > 0 && (
          <Fieldset legend="Environment roles" variant="filled">
            <Group align="flex-start">
              {places.environments.map((environment) => (
                <NativeSelect
                  key={environment.id}
                  w={280}
                  label={`Environment ${environment.name}`}
                  data={OPTIONS}
                  value={value.environments?.[environment.id] ?? ''}
                  onChange={(event) => set({ environments: withRole(value.environments, environment.id, event.currentTarget.value) })}
                />
              ))}
            </Group>
          </Fieldset>
        )}
        {error && (
          <Text size="sm" c="red" role="alert">
            Roles: {error}
          </Text>
        )}
      </Stack>
    </Fieldset>
  );
}
