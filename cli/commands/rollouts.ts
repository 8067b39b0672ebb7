/** `vexilla rollouts`: progressive rollouts guarded by CloudWatch alarms, and the local stack's simulated alarms. */
import { type Command, Option } from 'commander';
import { environmentOption, family, leaf, projectOption, run, yesOption } from '../command.js';
import { type Context, type EnvironmentRef, parseValue, table } from '../context.js';
import { CliError, UsageError } from '../errors.js';

interface Rollout {
  id: string;
  featureName: string;
  status: string;
  percentage: number;
  percentages: number[];
  step: number;
  bakeSeconds: number;
  finalBakeSeconds: number;
  nextStepAt?: string;
  changeRequestId?: string;
  guardAlarms: string[];
  history: { step: number; percentage: number; at: string; by: string }[];
  stop?: { reason: string };
  version: number;
}
interface AlarmView {
  alarm: string;
  state: string | null;
  reason: string | null;
}

/** Seconds in `90s`, `30m`, `2h`, `1d` or a plain number of seconds. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d{1,7})(s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new UsageError(`${option} takes a duration like 90s, 30m, 2h or 1d (got "${text}").`);
  const units = { s: 1, m: 60, h: 3600, d: 86_400 };
  return Number(match[1]) * units[(match[2] ?? 's') as keyof typeof units];
}

/** The plan as typed: `--linear 4`, `--exponential 1x5` or `--steps 1,5,25,100` (the API checks the numbers). */
export function parseSteps(options: { linear?: string; exponential?: string; steps?: string }): unknown {
  if (options.exponential !== undefined) {
    const match = /^(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)$/.exec(options.exponential.trim());
    if (!match) throw new UsageError(`--exponential takes <start>x<factor>, like 1x5 for 1, 5, 25, 100 (got "${options.exponential}").`);
    return { type: 'exponential', start: Number(match[1]), factor: Number(match[2]) };
  }
  if (options.steps !== undefined) return { type: 'percentages', percentages: options.steps.split(',').map((p) => Number(p.trim())) };
  return { type: 'linear', steps: Number(options.linear ?? 4) };
}

const stepOf = (r: Rollout) => (r.step < 0 ? `0/${r.percentages.length}` : `${r.step + 1}/${r.percentages.length}`);
const note = (r: Rollout) =>
  r.status === 'awaiting-approval' && r.changeRequestId ? `approve change request ${r.changeRequestId}` : r.stop ? r.stop.reason : r.nextStepAt ? `next step ${r.nextStepAt}` : '';
const line = (r: Rollout) => `${r.featureName}: ${r.status}, ${r.percentage}% (step ${stepOf(r)})${note(r) ? ` — ${note(r)}` : ''}`;

/**
 * A rollout by id, or by feature name: that feature's newest rollout (a feature has at most one
 * running or paused at a time, so the newest is the one a person means).
 */
async function rolloutOf(ctx: Context, env: EnvironmentRef, given: string): Promise<Rollout> {
  const api = await ctx.api();
  if (/^ro_/.test(given)) return api.call<Rollout>('getRollout', { envId: env.id, rolloutId: given });
  const found = (await api.listAll<Rollout>('listRollouts', { envId: env.id })).find((r) => r.featureName === given);
  if (!found) throw new CliError(`No rollout of "${given}" in ${env.name}. (\`vexilla rollouts list --environment ${env.name}\` lists them.)`);
  return found;
}

export function rolloutCommands(program: Command): void {
  const rollouts = family(program, 'rollouts', 'Progressive rollouts: a feature to a growing share of identities, rolled back by your CloudWatch alarms', ['rollout']);
  const withEnv = (command: Command) => command.addOption(environmentOption()).addOption(projectOption());
  type EnvOptions = { environment: string; project?: string; json?: boolean };

  withEnv(leaf(rollouts, 'list', 'List rollouts with their progress, newest first', ['listRollouts'])).action(
    run(async (ctx, options: EnvOptions) => {
      const env = await ctx.environment(options.environment, options.project);
      const items = await (await ctx.api()).listAll<Rollout>('listRollouts', { envId: env.id });
      ctx.print(options.json, items, () =>
        table(
          items.map((r) => ({ id: r.id, feature: r.featureName, status: r.status, percent: `${r.percentage}%`, step: stepOf(r), note: note(r) })),
          ['id', 'feature', 'status', 'percent', 'step', 'note'],
        ),
      );
    }),
  );

  withEnv(leaf(rollouts, 'get <rollout>', 'Show a rollout (by id, or the newest of a feature): plan, step, history, why it stopped', ['getRollout', 'listRollouts'])).action(
    run(async (ctx, given: string, options: EnvOptions) => {
      const env = await ctx.environment(options.environment, options.project);
      const r = await rolloutOf(ctx, env, given);
      ctx.print(options.json, r, () =>
        [
          `${r.id} ${line(r)}`,
          `  plan: ${r.percentages.join('% → ')}%, bake ${r.bakeSeconds} s${r.finalBakeSeconds ? `, final bake ${r.finalBakeSeconds} s` : ''}`,
          `  guard alarms: ${r.guardAlarms.join(', ') || '(none)'}`,
          ...r.history.map((h) => `  ${h.at}  ${h.percentage}% by ${h.by}`),
        ].join('\n'),
      );
    }),
  );

  withEnv(leaf(rollouts, 'start <feature>', 'Roll a feature out step by step (in an environment that requires approvals: once a change request is approved)', ['createRollout']))
    .requiredOption('--bake <duration>', 'how long each step is served before the next: 90s, 30m, 2h, 1d')
    .addOption(new Option('--linear <steps>', 'equal steps: 4 is 25, 50, 75, 100 (the default)').conflicts(['exponential', 'steps']))
    .addOption(new Option('--exponential <start>x<factor>', '1x5 is 1, 5, 25, 100').conflicts(['steps']))
    .option('--steps <percentages>', 'explicit percentages, e.g. 1,5,25,50 (100 is added)')
    .option('--final-bake <duration>', 'serve 100% this long, still guarded, before "completed"')
    .option('--guard <alarm...>', 'CloudWatch alarms (names or ARNs) whose ALARM state rolls it back')
    .addOption(new Option('--value <json>', 'the value to serve (JSON, or a plain string; default: the current one)').conflicts(['variant', 'off']))
    .addOption(new Option('--variant <option id>', 'a multivariate option everyone rolled out gets').conflicts(['off']))
    .option('--off', 'roll out "off" instead of "on"')
    .option('--description <text>', 'why')
    .action(
      run(
        async (
          ctx,
          feature: string,
          options: EnvOptions & { bake: string; linear?: string; exponential?: string; steps?: string; finalBake?: string; guard?: string[]; value?: string; variant?: string; off?: boolean; description?: string },
        ) => {
          const body = {
            featureName: feature,
            target: { enabled: !options.off, ...(options.value !== undefined ? { value: parseValue(options.value) } : {}), ...(options.variant ? { variant: options.variant } : {}) },
            steps: parseSteps(options),
            bakeSeconds: parseDuration(options.bake, '--bake'),
            ...(options.finalBake ? { finalBakeSeconds: parseDuration(options.finalBake, '--final-bake') } : {}),
            ...(options.guard ? { guardAlarms: options.guard } : {}),
            ...(options.description ? { description: options.description } : {}),
          };
          const env = await ctx.environment(options.environment, options.project);
          const r = await (await ctx.api()).call<Rollout>('createRollout', { envId: env.id }, { body });
          ctx.print(options.json, r, () => `Rollout ${r.id} of ${r.featureName} in ${env.name}: ${r.percentages.join('% → ')}%\n${line(r)}`);
        },
      ),
    );

  const command = (name: string, operation: string, description: string, confirm?: string) => {
    const leafCommand = withEnv(leaf(rollouts, `${name} <rollout>`, description, [operation, 'getRollout', 'listRollouts']));
    if (confirm) leafCommand.addOption(yesOption());
    leafCommand.action(
      run(async (ctx, given: string, options: EnvOptions & { yes?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        const current = await rolloutOf(ctx, env, given);
        if (confirm) await ctx.confirm(options.yes, `${confirm} of ${current.featureName} in ${env.name}`);
        // The version just read: if a step ran meanwhile, the API answers 409.
        const r = await (await ctx.api()).call<Rollout>(operation, { envId: env.id, rolloutId: current.id }, { body: { version: current.version } });
        ctx.print(options.json, r, () => line(r));
      }),
    );
  };
  command('pause', 'pauseRollout', 'Hold a rollout at its percentage (an alarm still rolls it back)');
  command('resume', 'resumeRollout', 'Run a paused rollout again (the next step after what was left of the bake)');
  command('advance', 'advanceRollout', 'Serve the next step now (guard alarms are checked first)');
  command('abort', 'abortRollout', 'Roll back to where it started (or cancel one awaiting approval)', 'Abort the rollout');

  withEnv(leaf(rollouts, 'alarms <rollout>', "The current state of a rollout's guard alarms", ['getRolloutAlarms', 'getRollout', 'listRollouts'])).action(
    run(async (ctx, given: string, options: EnvOptions) => {
      const env = await ctx.environment(options.environment, options.project);
      const r = await rolloutOf(ctx, env, given);
      const { items } = await (await ctx.api()).call<{ items: AlarmView[] }>('getRolloutAlarms', { envId: env.id, rolloutId: r.id });
      ctx.print(options.json, items, () => table(items.map((a) => ({ alarm: a.alarm, state: a.state ?? 'no such alarm', reason: a.reason })), ['alarm', 'state', 'reason']));
    }),
  );

  leaf(rollouts, 'alarm <name> <state>', 'The local stack only: set an alarm to OK, ALARM or INSUFFICIENT_DATA, as CloudWatch would (ALARM rolls back the rollouts it guards)', ['simulateAlarm'])
    .option('--reason <text>', 'the state reason (shown in the audit record)')
    .action(
      run(async (ctx, name: string, state: string, options: { reason?: string; json?: boolean }) => {
        const upper = state.toUpperCase();
        if (!['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(upper)) throw new UsageError(`The state is OK, ALARM or INSUFFICIENT_DATA (got "${state}").`);
        const orgId = (await ctx.org()).id;
        const body = { alarmName: name, state: upper, ...(options.reason ? { reason: options.reason } : {}) };
        const result = await (await ctx.api()).call<{ alarmName: string; state: string; changed: boolean }>('simulateAlarm', { orgId }, { body });
        ctx.print(options.json, result, () => `${result.alarmName} is ${result.state}${result.changed ? '' : ' (it already was)'}.`);
      }),
    );
}
