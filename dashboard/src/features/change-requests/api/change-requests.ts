import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';
import { environmentOverridesQuery, featureStatesQuery, keys } from '../../../api/queries';

export const changeRequestsQuery = (envId: string) =>
  queryOptions({
    queryKey: keys.changeRequests(envId),
    queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/change-requests', { params: { path: { envId }, query: { limit: 200 } } })),
  });

export const changeRequestQuery = (envId: string, id: string) =>
  queryOptions({
    queryKey: [...keys.changeRequests(envId), id] as const,
    queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/change-requests/{changeRequestId}', { params: { path: { envId, changeRequestId: id } } })),
  });

type Action = 'approve' | 'apply' | 'close';

/** Approve, apply or close, naming the version reviewed: a request edited meanwhile answers 409. */
export function useChangeRequestAction(envId: string, id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ action, version }: { action: Action; version: number }) => {
      const options = { params: { path: { envId, changeRequestId: id } }, body: { version } };
      if (action === 'approve') return unwrap(api.POST('/admin/v1/environments/{envId}/change-requests/{changeRequestId}/approve', options));
      if (action === 'apply') return unwrap(api.POST('/admin/v1/environments/{envId}/change-requests/{changeRequestId}/apply', options));
      return unwrap(api.POST('/admin/v1/environments/{envId}/change-requests/{changeRequestId}/close', options));
    },
    onSettled: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: keys.changeRequests(envId) }),
        client.invalidateQueries({ queryKey: featureStatesQuery(envId).queryKey }),
        client.invalidateQueries({ queryKey: environmentOverridesQuery(envId).queryKey }),
      ]),
  });
}

export function useComment(envId: string, id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (text: string) => unwrap(api.POST('/admin/v1/environments/{envId}/change-requests/{changeRequestId}/comments', { params: { path: { envId, changeRequestId: id } }, body: { text } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.changeRequests(envId) }),
  });
}
