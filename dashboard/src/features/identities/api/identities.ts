import { infiniteQueryOptions, queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type Body, unwrap } from '../../../api/client';

export const identitiesQuery = (envId: string) =>
  infiniteQueryOptions({
    queryKey: ['identities', envId] as const,
    queryFn: ({ pageParam }) => unwrap(api.GET('/admin/v1/environments/{envId}/identities', { params: { path: { envId }, query: { limit: 100, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.cursor,
  });

export const identityQuery = (envId: string, identifier: string) =>
  queryOptions({
    queryKey: ['identity', envId, identifier] as const,
    queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/identities/{identifier}', { params: { path: { envId, identifier } } })),
    retry: false,
  });

export const explainedQuery = (envId: string, identifier: string) =>
  queryOptions({
    queryKey: ['identity-flags', envId, identifier] as const,
    queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/identities/{identifier}/flags', { params: { path: { envId, identifier } } })),
  });

export function usePutTraits(envId: string, identifier: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Body<'putIdentity'>) => unwrap(api.PUT('/admin/v1/environments/{envId}/identities/{identifier}', { params: { path: { envId, identifier } }, body })),
    onSettled: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: ['identity', envId, identifier] }),
        client.invalidateQueries({ queryKey: ['identity-flags', envId, identifier] }),
        client.invalidateQueries({ queryKey: ['identities', envId] }),
      ]),
  });
}
