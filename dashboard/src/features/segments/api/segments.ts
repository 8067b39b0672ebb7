import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type Body, unwrap } from '../../../api/client';
import { keys } from '../../../api/queries';

export const segmentQuery = (projectId: string, segmentId: string) =>
  queryOptions({
    queryKey: ['segment', projectId, segmentId] as const,
    queryFn: () => unwrap(api.GET('/admin/v1/projects/{projectId}/segments/{segmentId}', { params: { path: { projectId, segmentId } } })),
    enabled: Boolean(segmentId),
  });

export function useSaveSegment(projectId: string, segmentId: string | undefined) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Body<'createSegment'> & { version?: number }) =>
      segmentId
        ? unwrap(api.PATCH('/admin/v1/projects/{projectId}/segments/{segmentId}', { params: { path: { projectId, segmentId } }, body }))
        : unwrap(api.POST('/admin/v1/projects/{projectId}/segments', { params: { path: { projectId } }, body })),
    onSuccess: (saved) => {
      client.setQueryData(segmentQuery(projectId, saved.id).queryKey, saved);
      return client.invalidateQueries({ queryKey: keys.segments(projectId) });
    },
  });
}

export function useDeleteSegment(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (segmentId: string) => unwrap(api.DELETE('/admin/v1/projects/{projectId}/segments/{segmentId}', { params: { path: { projectId, segmentId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.segments(projectId) }),
  });
}
