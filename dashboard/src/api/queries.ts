/**
 * Server state several pages share (organisation, projects, environments, features, states,
 * segments), as TanStack Query hooks with one key scheme, so a change anywhere refreshes every
 * view of it. Page-specific requests live in their feature's api/ folder.
 */
import { type QueryClient, queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Body, fetchAll, type Schemas, unwrap } from './client';

export type Organisation = Schemas['Organisation'];
export type Project = Schemas['Project'];
export type Environment = Schemas['Environment'];
export type Feature = Schemas['Feature'];
export type FeatureState = Schemas['FeatureState'];
export type Segment = Schemas['Segment'];
export type SegmentRule = Schemas['SegmentRule'];
export type JsonValue = Schemas['JsonValue'];
export type ChangeRequest = Schemas['ChangeRequest'];
export type ChangeConflict = Schemas['ChangeConflict'];
export type FlagsMatrix = Schemas['FlagsMatrix'];
export type MatrixFeature = FlagsMatrix['features'][number];
export type MatrixEnvironment = FlagsMatrix['environments'][number];
export type MatrixState = MatrixEnvironment['states'][number];
export type EnvironmentOverrides = { segmentOverrides: Schemas['SegmentOverride'][]; tenantOverrides: Schemas['TenantOverride'][]; identityOverrides: Schemas['IdentityOverride'][] };

export const keys = {
  organisations: ['organisations'] as const,
  projects: (orgId: string) => ['projects', orgId] as const,
  environments: (projectId: string) => ['environments', projectId] as const,
  environment: (envId: string) => ['environment', envId] as const,
  features: (projectId: string) => ['features', projectId] as const,
  /** The flags page's one request; every change anywhere marks it stale (app/provider.tsx). */
  flagsMatrix: (projectId: string) => ['flags-matrix', projectId] as const,
  featureStates: (envId: string) => ['feature-states', envId] as const,
  featureState: (envId: string, featureName: string) => ['feature-state', envId, featureName] as const,
  environmentOverrides: (envId: string) => ['environment-overrides', envId] as const,
  segments: (projectId: string) => ['segments', projectId] as const,
  stale: (projectId: string, days: number) => ['stale', projectId, days] as const,
  changeRequests: (envId: string) => ['change-requests', envId] as const,
  /** Everything about one environment's features: invalidated after any flag change. */
  envFeatureData: (envId: string) => [keys.featureStates(envId), keys.environmentOverrides(envId)],
};

export const organisationsQuery = () =>
  queryOptions({ queryKey: keys.organisations, queryFn: () => unwrap(api.GET('/admin/v1/organisations')).then((r) => r.items) });

export const projectsQuery = (orgId: string) =>
  queryOptions({
    queryKey: keys.projects(orgId),
    queryFn: () => fetchAll((cursor) => unwrap(api.GET('/admin/v1/organisations/{orgId}/projects', { params: { path: { orgId }, query: { limit: 1000, cursor } } }))),
    enabled: Boolean(orgId),
  });

export const environmentsQuery = (projectId: string) =>
  queryOptions({
    queryKey: keys.environments(projectId),
    queryFn: () =>
      fetchAll((cursor) => unwrap(api.GET('/admin/v1/projects/{projectId}/environments', { params: { path: { projectId }, query: { limit: 1000, cursor } } }))),
    enabled: Boolean(projectId),
  });

export const featuresQuery = (projectId: string) =>
  queryOptions({
    queryKey: keys.features(projectId),
    queryFn: () => fetchAll((cursor) => unwrap(api.GET('/admin/v1/projects/{projectId}/features', { params: { path: { projectId }, query: { limit: 1000, cursor } } }))),
    enabled: Boolean(projectId),
  });

export const featureStatesQuery = (envId: string) =>
  queryOptions({
    queryKey: keys.featureStates(envId),
    queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/feature-states', { params: { path: { envId } } })).then((r) => r.items),
    enabled: Boolean(envId),
  });

export const environmentOverridesQuery = (envId: string) =>
  queryOptions({
    queryKey: keys.environmentOverrides(envId),
    queryFn: (): Promise<EnvironmentOverrides> => unwrap(api.GET('/admin/v1/environments/{envId}/overrides', { params: { path: { envId }, query: {} } })),
    enabled: Boolean(envId),
  });

export const segmentsQuery = (projectId: string) =>
  queryOptions({
    queryKey: keys.segments(projectId),
    queryFn: () => fetchAll((cursor) => unwrap(api.GET('/admin/v1/projects/{projectId}/segments', { params: { path: { projectId }, query: { limit: 1000, cursor } } }))),
    enabled: Boolean(projectId),
  });

export const staleQuery = (projectId: string, days = 30) =>
  queryOptions({
    queryKey: keys.stale(projectId, days),
    queryFn: () => unwrap(api.GET('/admin/v1/projects/{projectId}/stale-features', { params: { path: { projectId }, query: { days } } })),
    enabled: Boolean(projectId),
  });

/** The flags page in one request: every feature once, and its slim state in each environment the caller may read. */
export const flagsMatrixQuery = (projectId: string) =>
  queryOptions({
    queryKey: keys.flagsMatrix(projectId),
    queryFn: () => unwrap(api.GET('/admin/v1/projects/{projectId}/flags-matrix', { params: { path: { projectId } } })),
    enabled: Boolean(projectId),
  });

/**
 * What the flags page's first screen needs (one request), asked for by its route's loader while
 * the page's code is still loading, so the request and the download overlap instead of following
 * each other. Data already cached is not asked for again; a failure is left in the cache for the
 * page to show.
 */
export function prefetchFlagsPage(client: QueryClient, projectId: string): void {
  client.ensureQueryData(flagsMatrixQuery(projectId)).catch(() => undefined);
}

export const useEnvironments = (projectId: string) => useQuery(environmentsQuery(projectId));
export const useFeatures = (projectId: string) => useQuery(featuresQuery(projectId));
export const useSegments = (projectId: string) => useQuery(segmentsQuery(projectId));

/** The environment the URL names, from the project's list (no extra request). */
export function useCurrentEnvironment(projectId: string, envId: string): Environment | undefined {
  return useEnvironments(projectId).data?.find((environment) => environment.id === envId);
}

export type ChangeInput = Body<'createChangeRequest'>['changes'][number];

/** Proposes changes in a governed environment (flags page, feature page, change requests). */
export function useCreateChangeRequest(envId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { title: string; description?: string; changes: ChangeInput[] }) =>
      unwrap(api.POST('/admin/v1/environments/{envId}/change-requests', { params: { path: { envId } }, body: { description: '', ...body } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.changeRequests(envId) }),
  });
}
