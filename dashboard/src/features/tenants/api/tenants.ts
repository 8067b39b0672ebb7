import { type InfiniteData, infiniteQueryOptions, type QueryClient, queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type Body, type Schemas, unwrap } from '../../../api/client';

export type Tenant = Schemas['Tenant'];
export type Template = Schemas['Template'];
export type TraitValue = string | number | boolean;

const tenantsKey = (projectId: string) => ['tenants', projectId] as const;

/** Tenants by key, a page at a time; `search` matches key or name in any case (the API does it). */
export const tenantsQuery = (projectId: string, search: string) =>
  infiniteQueryOptions({
    queryKey: [...tenantsKey(projectId), 'list', search] as const,
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/admin/v1/projects/{projectId}/tenants', { params: { path: { projectId }, query: { limit: 50, cursor: pageParam, ...(search ? { search } : {}) } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.cursor,
  });

export const tenantQuery = (projectId: string, tenantKey: string) =>
  queryOptions({
    queryKey: [...tenantsKey(projectId), 'one', tenantKey] as const,
    queryFn: () => unwrap(api.GET('/admin/v1/projects/{projectId}/tenants/{tenantKey}', { params: { path: { projectId, tenantKey } } })),
    enabled: Boolean(tenantKey),
    retry: false,
  });

/** The project's templates, in the order they apply. */
export const templatesQuery = (projectId: string) =>
  queryOptions({
    queryKey: ['templates', projectId] as const,
    queryFn: () => unwrap(api.GET('/admin/v1/projects/{projectId}/templates', { params: { path: { projectId } } })).then((r) => r.items),
  });

/**
 * Every cached page of every search at once, before they refetch: the list shown next never
 * flashes a deleted tenant or old traits.
 */
function updateLists(client: QueryClient, projectId: string, change: (items: Tenant[]) => Tenant[]) {
  client.setQueriesData<InfiniteData<{ items: Tenant[]; cursor?: string }>>({ queryKey: [...tenantsKey(projectId), 'list'] }, (data) =>
    data ? { ...data, pages: data.pages.map((page) => ({ ...page, items: change(page.items) })) } : data,
  );
}

/** Creates (version 0: only if new) or replaces a tenant's name, traits and templates. */
export function useSaveTenant(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ tenantKey, body }: { tenantKey: string; body: Body<'putTenant'> }) =>
      unwrap(api.PUT('/admin/v1/projects/{projectId}/tenants/{tenantKey}', { params: { path: { projectId, tenantKey } }, body })),
    onSuccess: (saved) => {
      client.setQueryData(tenantQuery(projectId, saved.key).queryKey, saved);
      updateLists(client, projectId, (items) => items.map((tenant) => (tenant.key === saved.key ? saved : tenant)));
      return client.invalidateQueries({ queryKey: [...tenantsKey(projectId), 'list'] });
    },
  });
}

export function useDeleteTenant(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (tenantKey: string) => unwrap(api.DELETE('/admin/v1/projects/{projectId}/tenants/{tenantKey}', { params: { path: { projectId, tenantKey } } })),
    onSuccess: (_, tenantKey) => {
      client.removeQueries({ queryKey: tenantQuery(projectId, tenantKey).queryKey });
      updateLists(client, projectId, (items) => items.filter((tenant) => tenant.key !== tenantKey));
      return client.invalidateQueries({ queryKey: [...tenantsKey(projectId), 'list'] });
    },
  });
}
