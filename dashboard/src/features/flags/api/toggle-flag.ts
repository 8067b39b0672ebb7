import { type QueryClient, useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, unwrap } from '../../../api/client';
import { type FeatureState, type FlagsMatrix, type MatrixState, featureStatesQuery, keys } from '../../../api/queries';

export interface ToggleInput {
  projectId: string;
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
 * The matrix with one state changed. Only that environment's list and that state are new
 * objects: every other row keeps its identity, so only the toggled row renders again.
 */
function withState(matrix: FlagsMatrix | undefined, envId: string, featureName: string, change: (state: MatrixState) => MatrixState): FlagsMatrix | undefined {
  if (!matrix) return matrix;
  const index = matrix.features.findIndex((feature) => feature.name === featureName);
  if (index < 0) return matrix;
  return {
    ...matrix,
    environments: matrix.environments.map((environment) =>
      environment.id !== envId ? environment : { ...environment, states: environment.states.map((state, i) => (i === index ? change(state) : state)) },
    ),
  };
}

const setState = (client: QueryClient, { projectId, envId, featureName }: ToggleInput, change: (state: MatrixState) => MatrixState) =>
  client.setQueryData<FlagsMatrix>(keys.flagsMatrix(projectId), (matrix) => withState(matrix, envId, featureName, change));

/**
 * Turns a flag on or off in an environment. The switch moves at once (optimistic); the
 * server's answer then replaces the guess, or the guess is rolled back and the error shown.
 * Once no other change is on its way, the matrix is asked for again (app/provider.tsx).
 */
export function useToggleFlag() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ envId, featureName, enabled, version }: ToggleInput) =>
      unwrap(api.PATCH('/admin/v1/environments/{envId}/feature-states/{featureName}', { params: { path: { envId, featureName } }, body: { enabled, version } })),
    onMutate: async (input) => {
      // A refetch on its way would answer the state before this change: it is dropped.
      await client.cancelQueries({ queryKey: keys.flagsMatrix(input.projectId) });
      const before = client.getQueryData<FlagsMatrix>(keys.flagsMatrix(input.projectId));
      const index = before?.features.findIndex((feature) => feature.name === input.featureName) ?? -1;
      const previous = before?.environments.find((environment) => environment.id === input.envId)?.states[index];
      setState(client, input, (state) => ({ ...state, enabled: input.enabled }));
      return { previous };
    },
    onError: (_error, input, context) => {
      const previous = context?.previous;
      if (previous) setState(client, input, (state) => ({ ...state, enabled: previous.enabled, version: previous.version }));
    },
    onSuccess: (saved: FeatureState, input) => {
      setState(client, input, (state) => ({ ...state, enabled: saved.enabled, version: saved.version }));
      client.setQueryData(keys.featureState(input.envId, saved.featureName), saved);
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
