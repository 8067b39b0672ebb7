/**
 * Evaluations per flag per day in one environment, from the counts SDKs report
 * (`POST /api/v1/analytics/flags/`): what the dashboard charts.
 */
import { getOwn, setOwn } from '../../engine/records.js';
import type { Environment } from '../entities.js';
import type { Deps } from './support.js';

const DAY_MS = 86_400_000;
/** Days read per batch of parallel queries (one query per day). */
const PARALLEL_READS = 15;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface EvaluationAnalytics {
  /** The first and last day (`YYYY-MM-DD`, UTC) of the window, oldest first. */
  from: string;
  to: string;
  /** One entry per day of the window, oldest first, with the count per feature name (0s left out). */
  days: { day: string; counts: Record<string, number> }[];
  /** The window's total per feature name. */
  totals: Record<string, number>;
}

/** The last `days` days (today included, UTC) of evaluation counts, optionally for one feature. */
export async function evaluationAnalytics(deps: Deps, environment: Environment, days: number, feature?: string): Promise<EvaluationAnalytics> {
  const now = deps.clock().getTime();
  const dayList = Array.from({ length: days }, (_, i) => dayOf(now - (days - 1 - i) * DAY_MS));
  const result: EvaluationAnalytics['days'] = [];
  const totals: Record<string, number> = {};
  for (let start = 0; start < dayList.length; start += PARALLEL_READS) {
    const batch = dayList.slice(start, start + PARALLEL_READS);
    const counts = await Promise.all(batch.map((day) => deps.store.getEvaluations(environment.id, day)));
    batch.forEach((day, i) => {
      const byFeature = Object.entries(counts[i] ?? {}).filter(([name, count]) => count > 0 && (feature === undefined || name === feature));
      // Feature names are user data (`constructor` is one): own properties only, never the prototype's.
      for (const [name, count] of byFeature) setOwn(totals, name, (getOwn(totals, name) ?? 0) + count);
      result.push({ day, counts: Object.fromEntries(byFeature) });
    });
  }
  return { from: dayList[0] as string, to: dayList[dayList.length - 1] as string, days: result, totals };
}
