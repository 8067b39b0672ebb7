import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, type Body, fetchAll, unwrap } from '../../../api/client';
import type { operations } from '../../../api/schema.gen';
import { keys } from '../../../api/queries';

export type Rollout = operations['getRollout']['responses'][200]['content']['application/json'];
export type CreateRolloutBody = Body<'createRollout'>;
export type RolloutCommand = 'pause' | 'resume' | 'advance' | 'abort';

const rolloutsKey = (envId: string) => ['rollouts', envId] as const;

/** An environment's rollouts, newest first; refreshed while any is moving on its own. */
export function useRollouts(envId: string) {
  return useQuery({
    queryKey: rolloutsKey(envId),
    queryFn: () => fetchAll((cursor) => unwrap(api.GET('/admin/v1/environments/{envId}/rollouts', { params: { path: { envId }, query: { limit: 200, cursor } } }))),
    refetchInterval: (query) => (query.state.data?.some((rollout) => rollout.status === 'running') ? 5_000 : 30_000),
  });
}

/** Every rollout change also changes the feature's state in this environment. */
function useInvalidate(envId: string) {
  const client = useQueryClient();
  return () => Promise.all([client.invalidateQueries({ queryKey: rolloutsKey(envId) }), ...keys.envFeatureData(envId).map((queryKey) => client.invalidateQueries({ queryKey }))]);
}

export function useCreateRollout(envId: string) {
  const invalidate = useInvalidate(envId);
  return useMutation({
    mutationFn: (body: CreateRolloutBody) => unwrap(api.POST('/admin/v1/environments/{envId}/rollouts', { params: { path: { envId } }, body })),
    onSuccess: invalidate,
  });
}

/** Pause, resume, advance or abort, naming the version the person saw (a 409 if it moved since). */
export function useRolloutCommand(envId: string) {
  const invalidate = useInvalidate(envId);
  return useMutation({
    mutationFn: ({ rollout, command }: { rollout: Rollout; command: RolloutCommand }) => {
      const params = { params: { path: { envId, rolloutId: rollout.id } }, body: { version: rollout.version } };
      switch (command) {
        case 'pause':
          return unwrap(api.POST('/admin/v1/environments/{envId}/rollouts/{rolloutId}/pause', params));
        case 'resume':
          return unwrap(api.POST('/admin/v1/environments/{envId}/rollouts/{rolloutId}/resume', params));
        case 'advance':
          return unwrap(api.POST('/admin/v1/environments/{envId}/rollouts/{rolloutId}/advance', params));
        case 'abort':
          return unwrap(api.POST('/admin/v1/environments/{envId}/rollouts/{rolloutId}/abort', params));
      }
    },
    onSettled: invalidate,
  });
}
