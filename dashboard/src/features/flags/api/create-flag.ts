import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, type Body, unwrap } from '../../../api/client';
import { keys } from '../../../api/queries';

type CreateBody = Body<'createFeature'>;

export function useCreateFlag(projectId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateBody) => unwrap(api.POST('/admin/v1/projects/{projectId}/features', { params: { path: { projectId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.features(projectId) }),
  });
}
