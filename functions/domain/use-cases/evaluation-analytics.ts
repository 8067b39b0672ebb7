/**
 * Evaluations per flag per day in one environment, from the counts SDKs report
 * (`POST /api/v1/analytics/flags/`): what the dashboard charts.
 */
import { getOwn, setOwn } from '../../engine/records.js';
import type { Environment } from '../entities.js';
import type { Deps } from './support.js';

const DAY_MS = 86_400_000;
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
  const from = dayList[0] as string;
  const to = dayList[dayList.length - 1] as string;
  // Feature names are user data (`constructor` is one): own properties only, never the prototype's.
  const byDay = new Map(dayList.map((day): [string, Record<string, number>] => [day, {}]));
  const totals: Record<string, number> = {};
  for (const { day, feature: name, count } of await deps.store.getEvaluationDays(environment.id, from, to)) {
    const counts = byDay.get(day);
    if (!counts || count <= 0 || (feature !== undefined && name !== feature)) continue;
    setOwn(counts, name, count);
    setOwn(totals, name, (getOwn(totals, name) ?? 0) + count);
  }
  return { from, to, days: [...byDay].map(([day, counts]) => ({ day, counts })), totals };
}
