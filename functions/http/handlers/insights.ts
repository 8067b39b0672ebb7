import { evaluationAnalytics } from '../../domain/use-cases/evaluation-analytics.js';
import { listEnvironmentOverrides as listOverrides } from '../../domain/use-cases/environment-overrides.js';
import { explainIdentity } from '../../domain/use-cases/explain-identity.js';
import * as schemas from '../../domain/schemas.js';
import { environmentOf, type Handler, ok, param, queryAs } from './context.js';

export const explainIdentityFlags: Handler = async (c) => ok(await explainIdentity(c.deps, environmentOf(c), param(c, 'identifier')));
export const getEvaluationAnalytics: Handler = async (c) => {
  const query = queryAs(c, schemas.evaluationAnalyticsQuery);
  return ok(await evaluationAnalytics(c.deps, environmentOf(c), query.days, query.feature));
};
export const listEnvironmentOverrides: Handler = async (c) => ok(await listOverrides(c.deps, environmentOf(c), queryAs(c, schemas.environmentOverridesQuery).feature));
