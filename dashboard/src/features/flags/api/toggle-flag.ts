import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../../api/client';
import { type FeatureState, featureStatesQuery, keys } from '../../../api/queries';

export interface ToggleInput {
  envId: string;
  featureName: string;
  enabled: boolean;
  /** The version the person saw: a change made meanwhile answers 409 instead of being overwritten. */
  version: number;
}

/** A stale-version 409 (someone else changed the state), as opposed to a governance refusal. */
export const isVersionConflict = (error: unknown): error is ApiError =>
  error instanceof ApiError && error.status === 409 && typeof (error.details as { currentVersion?: unknown } | undefined)?.currentVersion === 'number';

/**
 * Turns a flag on or off in an environment. The switch moves at once (optimistic); the
 * server's answer then replaces the guess, or the guess is rolled back and the error shown.
 */
export function useToggleFlag() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ envId, featureName, enabled, version }: ToggleInput) =>
      unwrap(api.PATCH('/admin/v1/environments/{envId}/feature-states/{featureName}', { params: { path: { envId, featureName } }, body: { enabled, version } })),
    onMutate: async ({ envId, featureName, enabled }) => {
      const { queryKey } = featureStatesQuery(envId);
      await client.cancelQueries({ queryKey });
      const previous = client.getQueryData(queryKey);
      client.setQueryData(queryKey, (states) => states?.map((state) => (state.featureName === featureName ? { ...state, enabled } : state)));
      return { previous };
    },
    onError: (_error, { envId }, context) => {
      if (context?.previous) client.setQueryData(featureStatesQuery(envId).queryKey, context.previous);
    },
    onSuccess: (saved: FeatureState, { envId }) => {
      client.setQueryData(featureStatesQuery(envId).queryKey, (states) => states?.map((state) => (state.featureName === saved.featureName ? saved : state)));
      client.setQueryData(keys.featureState(envId, saved.featureName), saved);
    },
    onSettled: (_data, _error, { envId, featureName }) => {
      void client.invalidateQueries({ queryKey: featureStatesQuery(envId).queryKey });
      void client.invalidateQueries({ queryKey: keys.featureState(envId, featureName) });
    },
  });
}

/** The state as it is now on the server (for the conflict dialog). */
export const fetchFeatureState = (envId: string, featureName: string) =>
  unwrap(api.GET('/admin/v1/environments/{envId}/feature-states/{featureName}', { params: { path: { envId, featureName } } }));
