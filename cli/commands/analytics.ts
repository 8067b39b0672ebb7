/** `vexilla analytics`: evaluations per flag per day in an environment, as SDKs report them. */
import type { Command } from 'commander';
import { environmentOption, leaf, projectOption, run } from '../command.js';
import { table } from '../context.js';
import { UsageError } from '../errors.js';

interface EvaluationAnalytics {
  from: string;
  to: string;
  days: { day: string; counts: Record<string, number> }[];
  totals: Record<string, number>;
}

const BARS = '▁▂▃▄▅▆▇█';
// Feature names are user data (`constructor` is one): read counts as own keys only.
const countOf = (counts: Record<string, number>, name: string) => (Object.hasOwn(counts, name) ? (counts[name] as number) : 0);

/** Counts as a sparkline, one character per day (a space for none), scaled to the largest. */
export function sparkline(counts: number[]): string {
  const top = Math.max(0, ...counts);
  return counts.map((count) => (count <= 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((count / top) * (BARS.length - 1)))])).join('');
}

export function analyticsCommand(program: Command): void {
  leaf(program, 'analytics', 'Evaluations per flag per day in an environment, as SDKs report them (busiest first)', ['getEvaluationAnalytics'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .option('--days <n>', 'the last N days, today included (UTC), 1 to 90', '14')
    .option('--feature <name>', 'one feature only: its count on each day')
    .action(
      run(async (ctx, options: { environment: string; project?: string; days: string; feature?: string; json?: boolean }) => {
        const days = Number(options.days);
        if (!Number.isInteger(days) || days < 1 || days > 90) throw new UsageError(`--days must be a whole number from 1 to 90, not "${options.days}".`);
        const env = await ctx.environment(options.environment, options.project);
        const found = await (await ctx.api()).call<EvaluationAnalytics>('getEvaluationAnalytics', { envId: env.id }, { query: { days, feature: options.feature } });
        ctx.print(options.json, found, () => {
          const heading = `Evaluations in ${env.name}, ${found.from} to ${found.to} (UTC)`;
          if (options.feature) {
            const name = options.feature;
            return `${heading}, ${name}: ${countOf(found.totals, name)}\n${table(
              found.days.map(({ day, counts }) => ({ day, evaluations: countOf(counts, name) })),
              ['day', 'evaluations'],
            )}`;
          }
          const features = Object.entries(found.totals).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
          if (features.length === 0) return `${heading}: none reported. (SDKs report evaluations when their analytics are on.)`;
          const rows = features.map(([feature, total]) => ({ feature, total, 'per day': sparkline(found.days.map(({ counts }) => countOf(counts, feature))) }));
          return `${heading}\n${table(rows, ['feature', 'total', 'per day'])}`;
        });
      }),
    );
}
