/**
 * `vexilla rollouts`: progressive rollouts over the management API, and the local stack's
 * simulated alarms. Kept apart from the other commands so it ports as one piece.
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { apiTarget, callApi } from './api-client.js';
import { type Command, type Io, UsageError } from './command.js';

const usage = `Usage:
  vexilla rollouts list --environment <id|name> [--json]
  vexilla rollouts start <feature> --environment <id|name> --bake <duration>
                         [--linear <n> | --exponential <start>x<factor> | --steps <p1,p2,...>]
                         [--final-bake <duration>] [--guard <alarm,alarm...>]
                         [--value <json> | --variant <option id> | --off] [--json]
  vexilla rollouts get <id> --environment <id|name> [--json]
  vexilla rollouts pause|resume|advance|abort <id> --environment <id|name> [--json]
  vexilla rollouts alarms <id> --environment <id|name> [--json]
  vexilla rollouts alarm <alarm name> <OK|ALARM|INSUFFICIENT_DATA> [--reason <text>]   (local stack only)

Durations: 90s, 30m, 2h, 1d (or seconds). Steps default to --linear 4. Guard alarms are
CloudWatch alarm names or ARNs; an alarm entering ALARM rolls the rollout back.`;

interface Rollout {
  id: string;
  featureName: string;
  status: string;
  percentage: number;
  percentages: number[];
  step: number;
  nextStepAt?: string;
  changeRequestId?: string;
  guardAlarms: string[];
  stop?: { reason: string };
  version: number;
}

/** Seconds in `90s`, `30m`, `2h`, `1d` or a plain number of seconds. */
export function parseDuration(text: string, option: string): number {
  const match = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!match) throw new UsageError(`${option} takes a duration like 90s, 30m, 2h or 1d (got "${text}").`);
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
  return Number(match[1]) * (units[match[2] ?? 's'] as number);
}

/** The plan a person typed: `--linear 4`, `--exponential 1x5` or `--steps 1,5,25,100`. */
export function parseSteps(values: { linear?: string | undefined; exponential?: string | undefined; steps?: string | undefined }): unknown {
  const given = [values.linear, values.exponential, values.steps].filter((v) => v !== undefined).length;
  if (given > 1) throw new UsageError('--linear, --exponential or --steps: one of them.');
  if (values.exponential !== undefined) {
    const [start, factor] = values.exponential.split('x').map(Number);
    if (!start || !factor) throw new UsageError('--exponential takes <start>x<factor>, like 1x5 (1, 5, 25, 100).');
    return { type: 'exponential', start, factor };
  }
  if (values.steps !== undefined) return { type: 'percentages', percentages: values.steps.split(',').map((p) => Number(p.trim())) };
  return { type: 'linear', steps: Number(values.linear ?? 4) };
}

async function environmentOf(given: string | undefined): Promise<string> {
  if (!given) throw new UsageError('--environment is required (an id, or a name from .vexilla/local.json).');
  try {
    const local = JSON.parse(await readFile(join(process.cwd(), '.vexilla', 'local.json'), 'utf8')) as { environments?: { id: string; name: string }[] };
    return local.environments?.find((environment) => environment.name === given)?.id ?? given;
  } catch {
    return given;
  }
}

const line = (r: Rollout) =>
  `${r.id}  ${r.featureName.padEnd(24)} ${r.status.padEnd(17)} ${String(r.percentage).padStart(6)}%  step ${r.step + 1}/${r.percentages.length}` +
  (r.nextStepAt ? `  next ${r.nextStepAt}` : '') +
  (r.changeRequestId && r.status === 'awaiting-approval' ? `  approve change request ${r.changeRequestId}` : '') +
  (r.stop ? `  (${r.stop.reason})` : '');

export const rolloutsCommand: Command = {
  summary: 'Start, follow, pause, resume, advance and abort progressive rollouts',
  usage,
  async run(argv: string[], io: Io) {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.out(usage);
      return 0;
    }
    const [action, ...rest] = argv;
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        allowPositionals: true,
        strict: true,
        options: {
          environment: { type: 'string' },
          json: { type: 'boolean', default: false },
          bake: { type: 'string' },
          'final-bake': { type: 'string' },
          linear: { type: 'string' },
          exponential: { type: 'string' },
          steps: { type: 'string' },
          guard: { type: 'string' },
          value: { type: 'string' },
          variant: { type: 'string' },
          off: { type: 'boolean', default: false },
          reason: { type: 'string' },
        },
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const { values, positionals } = parsed;
    const print = (data: unknown, text: () => string) => io.out(values.json ? JSON.stringify(data) : text());
    const api = await apiTarget();

    if (action === 'alarm') {
      const [alarmName, state] = positionals;
      if (!alarmName || !state) throw new UsageError('Name the alarm and its state: vexilla rollouts alarm <name> ALARM');
      const organisation = (await callApi<{ items: { id: string }[] }>(api, 'GET', '/admin/v1/organisations')).items[0]?.id;
      const result = await callApi<{ alarmName: string; state: string; changed: boolean }>(api, 'POST', `/admin/v1/organisations/${organisation}/simulated-alarms`, {
        alarmName,
        state,
        ...(values.reason ? { reason: values.reason } : {}),
      });
      print(result, () => `${result.alarmName} is ${result.state}${result.changed ? '' : ' (no change)'}`);
      return 0;
    }

    const base = `/admin/v1/environments/${await environmentOf(values.environment)}/rollouts`;
    switch (action) {
      case 'list': {
        const rollouts = (await callApi<{ items: Rollout[] }>(api, 'GET', `${base}?limit=100`)).items;
        print(rollouts, () => rollouts.map(line).join('\n') || '(no rollouts)');
        return 0;
      }
      case 'start': {
        const [featureName] = positionals;
        if (!featureName) throw new UsageError('Name the feature to roll out.');
        if (!values.bake) throw new UsageError('--bake is required: how long each step is served before the next (e.g. 30m).');
        if ([values.value !== undefined, values.variant !== undefined, values.off].filter(Boolean).length > 1) throw new UsageError('--value, --variant or --off: one of them.');
        let value: unknown;
        if (values.value !== undefined) {
          try {
            value = JSON.parse(values.value);
          } catch {
            value = values.value;
          }
        }
        const body = {
          featureName,
          target: { enabled: !values.off, ...(value !== undefined ? { value } : {}), ...(values.variant ? { variant: values.variant } : {}) },
          steps: parseSteps(values),
          bakeSeconds: parseDuration(values.bake, '--bake'),
          ...(values['final-bake'] ? { finalBakeSeconds: parseDuration(values['final-bake'], '--final-bake') } : {}),
          ...(values.guard ? { guardAlarms: values.guard.split(',').map((alarm) => alarm.trim()).filter(Boolean) } : {}),
        };
        const rollout = await callApi<Rollout>(api, 'POST', base, body);
        print(rollout, () => `Rollout ${rollout.id} of ${rollout.featureName}: ${rollout.percentages.join('% → ')}%\n${line(rollout)}`);
        return 0;
      }
      case 'get':
      case 'pause':
      case 'resume':
      case 'advance':
      case 'abort': {
        const [id] = positionals;
        if (!id) throw new UsageError('Name the rollout (its id, from `vexilla rollouts list`).');
        const rollout = action === 'get' ? await callApi<Rollout>(api, 'GET', `${base}/${id}`) : await callApi<Rollout>(api, 'POST', `${base}/${id}/${action}`, {});
        print(rollout, () => line(rollout));
        return 0;
      }
      case 'alarms': {
        const [id] = positionals;
        if (!id) throw new UsageError('Name the rollout.');
        const { items } = await callApi<{ items: { alarm: string; state: string | null; reason: string | null }[] }>(api, 'GET', `${base}/${id}/alarms`);
        print(items, () => items.map((a) => `${a.alarm.padEnd(40)} ${a.state ?? 'no such alarm'}${a.reason ? `  ${a.reason}` : ''}`).join('\n') || '(no guard alarms)');
        return 0;
      }
      default:
        throw new UsageError(action ? `Unknown action "${action}".` : 'Name an action: list, start, get, pause, resume, advance, abort, alarms or alarm.');
    }
  },
};
