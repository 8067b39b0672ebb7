/**
 * A feature's state in an environment where none is stored, in a module of its own: environment
 * snapshots (the sdk-api's) need it without the feature use cases, whose imports reach the
 * management API's schemas and zod.
 */
import type { Environment, Feature, FeatureState } from '../entities.js';
import { stableUuid } from './support.js';

/** The feature's defaults at version 0. */
export function defaultState(environment: Environment, feature: Feature): FeatureState {
  return {
    type: 'feature-state',
    orgId: environment.orgId,
    projectId: environment.projectId,
    envId: environment.id,
    featureId: feature.id,
    featureName: feature.name,
    enabled: feature.defaultEnabled,
    value: feature.initialValue,
    weights: {},
    hashKey: stableUuid(`${environment.id}:${feature.id}`),
    version: 0,
    createdAt: feature.createdAt,
    updatedAt: feature.updatedAt,
    updatedBy: 'default',
  };
}
