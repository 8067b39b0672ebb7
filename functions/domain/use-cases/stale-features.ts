/**
 * Stale features: flags nobody has touched or evaluated for a while, the candidates for clean-up.
 */
import type { Feature, Project } from '../entities.js';
import type { Deps } from './support.js';

const DAY_MS = 86_400_000;

export interface StaleFeature {
  name: string;
  tags: string[];
  /** The latest change to the feature, its state or overrides in any environment (ISO instant). */
  lastChangedAt: string;
  /** The latest day (`YYYY-MM-DD`, UTC) with evaluations in any environment, looked up to twice the window back; null if none. */
  lastEvaluatedOn: string | null;
}

export interface StaleFeatures {
  days: number;
  /** The start of the window: nothing changed or was evaluated since. */
  since: string;
  items: StaleFeature[];
}

const isPermanent = (feature: Feature) => feature.tags.some((tag) => tag.toLowerCase() === 'permanent');
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Features of a project with no change (definition, state or override in any environment) and
 * no evaluation (analytics, in any environment) for `days` days, except those tagged
 * `permanent`. Oldest change first.
 */
export async function listStaleFeatures(deps: Deps, project: Project, days: number): Promise<StaleFeatures> {
  const now = deps.clock().getTime();
  const since = now - days * DAY_MS;
  const [features, environments] = await Promise.all([
    deps.store.listAll({ of: 'features', projectId: project.id }),
    deps.store.listAll({ of: 'environments', projectId: project.id }),
  ]);
  const candidates = features.filter((feature) => !isPermanent(feature));
  const lastChanged = new Map(candidates.map((feature) => [feature.id, feature.updatedAt]));
  const touch = (featureId: string, at: string) => {
    const current = lastChanged.get(featureId);
    if (current !== undefined && at > current) lastChanged.set(featureId, at);
  };
  await Promise.all(
    environments.map(async ({ id: envId }) => {
      const [states, segmentOverrides, tenantOverrides] = await Promise.all([
        deps.store.listAll({ of: 'feature-states', envId }),
        deps.store.listAll({ of: 'segment-overrides', envId }),
        deps.store.listAll({ of: 'tenant-overrides', envId }),
      ]);
      for (const item of [...states, ...segmentOverrides, ...tenantOverrides]) touch(item.featureId, item.updatedAt);
    }),
  );
  const untouched = candidates.filter((feature) => Date.parse(lastChanged.get(feature.id) as string) < since);
  const lastEvaluated = await lastEvaluationDays(deps, environments.map((environment) => environment.id), now, days * 2);
  const cutoffDay = dayOf(now - (days - 1) * DAY_MS);
  const items = untouched
    .filter((feature) => (lastEvaluated.get(feature.name) ?? '') < cutoffDay)
    .map((feature) => ({
      name: feature.name,
      tags: feature.tags,
      lastChangedAt: lastChanged.get(feature.id) as string,
      lastEvaluatedOn: lastEvaluated.get(feature.name) ?? null,
    }))
    .sort((a, b) => (a.lastChangedAt < b.lastChangedAt ? -1 : a.lastChangedAt > b.lastChangedAt ? 1 : a.name < b.name ? -1 : 1));
  return { days, since: new Date(since).toISOString(), items };
}

/** The latest day with evaluations per feature name, over the last `lookbackDays` days of every environment: one read per environment. */
async function lastEvaluationDays(deps: Deps, envIds: string[], now: number, lookbackDays: number): Promise<Map<string, string>> {
  const [fromDay, toDay] = [dayOf(now - (lookbackDays - 1) * DAY_MS), dayOf(now)];
  const counts = (await Promise.all(envIds.map((envId) => deps.store.getEvaluationDays(envId, fromDay, toDay)))).flat();
  const latest = new Map<string, string>();
  for (const { day, feature, count } of counts) {
    if (count > 0 && day > (latest.get(feature) ?? '')) latest.set(feature, day);
  }
  return latest;
}
