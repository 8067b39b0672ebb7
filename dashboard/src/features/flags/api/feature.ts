/** One feature in one environment: its state, overrides, versions and audit trail. */
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type Body, unwrap } from '../../../api/client';
import { environmentOverridesQuery, featureStatesQuery, keys } from '../../../api/queries';

export const featureQuery = (projectId: string, featureName: string) =>
  queryOptions({
    queryKey: ['feature', projectId, featureName] as const,
    queryFn: () => unwrap(api.GET('/admin/v1/projects/{projectId}/features/{featureName}', { params: { path: { projectId, featureName } } })),
  });

export const featureStateQuery = (envId: string, featureName: string) =>
  queryOptions({
    queryKey: keys.featureState(envId, featureName),
    queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/feature-states/{featureName}', { params: { path: { envId, featureName } } })),
  });

export const featureOverridesQuery = (envId: string, featureName: string) =>
  queryOptions({
    queryKey: ['feature-overrides', envId, featureName] as const,
    queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/overrides', { params: { path: { envId }, query: { feature: featureName } } })),
  });

export const versionsQuery = (envId: string, featureName: string) =>
  queryOptions({
    queryKey: ['versions', envId, featureName] as const,
    queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/feature-states/{featureName}/versions', { params: { path: { envId, featureName }, query: { limit: 100 } } })),
  });

export const featureAuditQuery = (orgId: string, envId: string, featureName: string) =>
  queryOptions({
    queryKey: ['audit', orgId, { envId, featureName }] as const,
    queryFn: () => unwrap(api.GET('/admin/v1/organisations/{orgId}/audit', { params: { path: { orgId }, query: { feature: featureName, limit: 50 } } })),
    retry: false,
  });

/** After any change to a feature in an environment: everything that shows it is refetched. */
function useRefresh(envId: string, featureName: string) {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: keys.featureState(envId, featureName) }),
      client.invalidateQueries({ queryKey: featureStatesQuery(envId).queryKey }),
      client.invalidateQueries({ queryKey: environmentOverridesQuery(envId).queryKey }),
      client.invalidateQueries({ queryKey: ['feature-overrides', envId, featureName] }),
      client.invalidateQueries({ queryKey: ['versions', envId, featureName] }),
      client.invalidateQueries({ queryKey: ['audit'] }),
    ]);
}

export function useSaveState(envId: string, featureName: string) {
  const refresh = useRefresh(envId, featureName);
  return useMutation({
    mutationFn: (body: Body<'patchFeatureState'>) =>
      unwrap(api.PATCH('/admin/v1/environments/{envId}/feature-states/{featureName}', { params: { path: { envId, featureName } }, body })),
    onSettled: refresh,
  });
}

export function useRestoreVersion(envId: string, featureName: string) {
  const refresh = useRefresh(envId, featureName);
  return useMutation({
    mutationFn: ({ version, current }: { version: number; current: number }) =>
      unwrap(
        api.POST('/admin/v1/environments/{envId}/feature-states/{featureName}/versions/{version}/restore', {
          params: { path: { envId, featureName, version: String(version) } },
          body: { version: current },
        }),
      ),
    onSettled: refresh,
  });
}

export function useUpdateFeature(projectId: string, featureName: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Body<'updateFeature'>) => unwrap(api.PATCH('/admin/v1/projects/{projectId}/features/{featureName}', { params: { path: { projectId, featureName } }, body })),
    onSettled: () => Promise.all([client.invalidateQueries({ queryKey: ['feature', projectId, featureName] }), client.invalidateQueries({ queryKey: keys.features(projectId) })]),
  });
}

export type OverrideWrite =
  | { kind: 'segment'; segmentId: string; body: Body<'putSegmentOverride'> }
  | { kind: 'tenant'; tenantId: string; body: Body<'putTenantOverride'> }
  | { kind: 'identity'; identifier: string; body: Body<'putIdentityOverride'> };
export type OverrideRemoval = { kind: 'segment'; segmentId: string } | { kind: 'tenant'; tenantId: string } | { kind: 'identity'; identifier: string };

export function usePutOverride(envId: string, featureName: string) {
  const refresh = useRefresh(envId, featureName);
  return useMutation({
    mutationFn: async (write: OverrideWrite): Promise<unknown> => {
      if (write.kind === 'segment')
        return unwrap(api.PUT('/admin/v1/environments/{envId}/feature-states/{featureName}/segment-overrides/{segmentId}', { params: { path: { envId, featureName, segmentId: write.segmentId } }, body: write.body }));
      if (write.kind === 'tenant')
        return unwrap(api.PUT('/admin/v1/environments/{envId}/feature-states/{featureName}/tenant-overrides/{tenantId}', { params: { path: { envId, featureName, tenantId: write.tenantId } }, body: write.body }));
      return unwrap(api.PUT('/admin/v1/environments/{envId}/identities/{identifier}/overrides/{featureName}', { params: { path: { envId, featureName, identifier: write.identifier } }, body: write.body }));
    },
    onSettled: refresh,
  });
}

export function useRemoveOverride(envId: string, featureName: string) {
  const refresh = useRefresh(envId, featureName);
  return useMutation({
    mutationFn: async (removal: OverrideRemoval): Promise<unknown> => {
      if (removal.kind === 'segment')
        return unwrap(api.DELETE('/admin/v1/environments/{envId}/feature-states/{featureName}/segment-overrides/{segmentId}', { params: { path: { envId, featureName, segmentId: removal.segmentId } } }));
      if (removal.kind === 'tenant')
        return unwrap(api.DELETE('/admin/v1/environments/{envId}/feature-states/{featureName}/tenant-overrides/{tenantId}', { params: { path: { envId, featureName, tenantId: removal.tenantId } } }));
      return unwrap(api.DELETE('/admin/v1/environments/{envId}/identities/{identifier}/overrides/{featureName}', { params: { path: { envId, featureName, identifier: removal.identifier } } }));
    },
    onSettled: refresh,
  });
}
