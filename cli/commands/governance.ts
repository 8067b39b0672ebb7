/** Change requests, scheduled changes and the audit log. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { environmentOption, family, leaf, projectOption, run, yesOption } from '../command.js';
import { type Context, type EnvironmentRef, parseValue, pick, table } from '../context.js';
import { UsageError } from '../errors.js';

interface TemplateChange {
  target: 'template-values';
  templateKey: string;
  tenants: number;
  features: { featureName: string; before: { enabled: boolean; value: unknown } | null; after: { enabled: boolean; value: unknown } | null }[];
}
interface Change {
  target?: string;
  featureName: string;
  segmentId?: string;
  tenantId?: string;
  enabled?: boolean;
  value?: unknown;
  remove?: true;
}
interface ChangeRequest {
  id: string;
  title: string;
  description: string;
  status: string;
  changes: Change[];
  approvals: { name?: string; tokenId: string }[];
  comments: { text: string }[];
  author: { name: string };
  version: number;
  createdAt: string;
}
interface Scheduled {
  id: string;
  runAt: string;
  status: string;
  changes: Change[];
  changeRequestId?: string;
  failure?: string;
}

/**
 * Changes from the command line: `--change` as JSON (one change or an array, or @file), or the
 * short form `<feature>:on|off[=<value>]` for feature states.
 */
async function changesOf(specs: string[]): Promise<Change[]> {
  const changes: Change[] = [];
  for (const spec of specs) {
    const text = spec.startsWith('@') ? await readFile(spec.slice(1), 'utf8') : spec;
    if (/^\s*[[{]/.test(text)) {
      const parsed = JSON.parse(text) as Change | Change[];
      changes.push(...(Array.isArray(parsed) ? parsed : [parsed]));
      continue;
    }
    const match = /^([^:]+):(on|off)(?:=(.*))?$/s.exec(text);
    if (!match) throw new UsageError(`Not a change: "${spec}". Use <feature>:on, <feature>:off=<value> or JSON ({"featureName":...}).`);
    changes.push({ featureName: match[1] as string, enabled: match[2] === 'on', ...(match[3] !== undefined ? { value: parseValue(match[3]) } : {}) });
  }
  return changes;
}

const templateEntry = (v: TemplateChange['features'][number]['before']) => (v ? `${v.enabled ? 'on' : 'off'}${v.value === null || v.value === undefined ? '' : ` ${JSON.stringify(v.value)}`}` : '(none)');

/** A template change as reviewers read it: the template, how many tenants it reaches, each feature old → new. */
export const describeTemplateChange = (c: TemplateChange) =>
  `template ${c.templateKey} (applies to ${c.tenants} tenant(s)): ${c.features.map((f) => `${f.featureName} ${templateEntry(f.before)} → ${templateEntry(f.after)}`).join('; ') || 'no feature value changes'}`;

const describeChange = (c: Change | TemplateChange): string =>
  c.target === 'template-values' ? describeTemplateChange(c as TemplateChange) : describeFeatureChange(c as Change);

const describeFeatureChange = (c: Change) =>
  `${c.featureName}${c.segmentId ? ` (segment ${c.segmentId})` : c.tenantId ? ` (tenant ${c.tenantId})` : ''}: ${
    c.remove ? 'remove' : [c.enabled !== undefined ? (c.enabled ? 'on' : 'off') : undefined, c.value !== undefined ? `value ${JSON.stringify(c.value)}` : undefined].filter(Boolean).join(', ')
  }`;

/** A change request by id, or by title among the open ones. */
async function changeRequestOf(ctx: Context, env: EnvironmentRef, given: string): Promise<ChangeRequest> {
  const api = await ctx.api();
  if (/^cr_/.test(given)) return api.call<ChangeRequest>('getChangeRequest', { envId: env.id, changeRequestId: given });
  const all = await api.listAll<ChangeRequest>('listChangeRequests', { envId: env.id });
  return pick(all.map((cr) => ({ ...cr, name: cr.title })), given, `change request in ${env.name}`, `vexilla change-requests list --environment ${env.name}`);
}

export function governanceCommands(program: Command): void {
  const withEnv = (command: Command) => command.addOption(environmentOption()).addOption(projectOption());
  type EnvOptions = { environment: string; project?: string; json?: boolean };

  // --- Change requests ---
  const crs = family(program, 'change-requests', 'Change requests: proposed changes that apply once approved', ['change-request', 'cr']);
  withEnv(leaf(crs, 'list', 'List change requests, newest first', ['listChangeRequests'])).action(
    run(async (ctx, options: EnvOptions) => {
      const env = await ctx.environment(options.environment, options.project);
      const items = await (await ctx.api()).listAll<ChangeRequest>('listChangeRequests', { envId: env.id });
      ctx.print(options.json, items, () =>
        table(items.map((cr) => ({ id: cr.id, title: cr.title, status: cr.status, changes: cr.changes.length, approvals: cr.approvals.length, author: cr.author.name })), ['id', 'title', 'status', 'changes', 'approvals', 'author']),
      );
    }),
  );
  withEnv(leaf(crs, 'get <request>', 'Show a change request (by id or title)', ['getChangeRequest', 'listChangeRequests'])).action(
    run(async (ctx, given: string, options: EnvOptions) => {
      const env = await ctx.environment(options.environment, options.project);
      const cr = await changeRequestOf(ctx, env, given);
      ctx.print(options.json, cr, () =>
        [
          `${cr.title} (${cr.id}) — ${cr.status}, by ${cr.author.name}, ${cr.approvals.length} approval(s)`,
          ...(cr.description ? [`  ${cr.description}`] : []),
          ...cr.changes.map((c) => `  change ${describeChange(c)}`),
          ...cr.comments.map((c) => `  comment: ${c.text}`),
        ].join('\n'),
      );
    }),
  );
  withEnv(leaf(crs, 'create <title>', 'Propose changes', ['createChangeRequest']))
    .requiredOption('--change <change...>', '<feature>:on, <feature>:off=<value>, or JSON ({"featureName","segmentId"|"tenantId","enabled","value","remove"}, or @file)')
    .option('--description <text>', 'why')
    .action(
      run(async (ctx, title: string, options: EnvOptions & { change: string[]; description?: string }) => {
        const env = await ctx.environment(options.environment, options.project);
        const body = { title, changes: await changesOf(options.change), ...(options.description ? { description: options.description } : {}) };
        const cr = await (await ctx.api()).call<ChangeRequest>('createChangeRequest', { envId: env.id }, { body });
        ctx.print(options.json, cr, () => `Created change request ${cr.id} "${cr.title}" in ${env.name}. Next: vexilla change-requests approve ${cr.id} --environment ${env.name}`);
      }),
    );
  withEnv(leaf(crs, 'update <request>', 'Edit an open change request (new changes reset its approvals)', ['updateChangeRequest', 'getChangeRequest', 'listChangeRequests']))
    .option('--title <title>', 'new title')
    .option('--description <text>', 'new description')
    .option('--change <change...>', 'replace the changes')
    .action(
      run(async (ctx, given: string, options: EnvOptions & { title?: string; description?: string; change?: string[] }) => {
        const env = await ctx.environment(options.environment, options.project);
        const current = await changeRequestOf(ctx, env, given);
        const body = {
          ...(options.title ? { title: options.title } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
          ...(options.change ? { changes: await changesOf(options.change) } : {}),
        };
        if (Object.keys(body).length === 0) throw new UsageError('Nothing to change: give --title, --description or --change.');
        const cr = await (await ctx.api()).call<ChangeRequest>('updateChangeRequest', { envId: env.id, changeRequestId: current.id }, { body: { ...body, version: current.version } });
        ctx.print(options.json, cr, () => `Updated change request ${cr.id} (${cr.approvals.length} approval(s)).`);
      }),
    );
  const action = (name: string, operation: string, description: string, done: string, confirm?: string) =>
    withEnv(leaf(crs, `${name} <request>`, description, [operation, 'getChangeRequest', 'listChangeRequests']))
      .addOption(yesOption())
      .action(
        run(async (ctx, given: string, options: EnvOptions & { yes?: boolean }) => {
          const env = await ctx.environment(options.environment, options.project);
          const current = await changeRequestOf(ctx, env, given);
          if (confirm) await ctx.confirm(options.yes, `${confirm} "${current.title}" in ${env.name}`);
          // The version reviewed: if it changed meanwhile, the API answers 409.
          const cr = await (await ctx.api()).call<ChangeRequest>(operation, { envId: env.id, changeRequestId: current.id }, { body: { version: current.version } });
          ctx.print(options.json, cr, () => `${done} change request ${cr.id} "${cr.title}" (${cr.status}, ${cr.approvals.length} approval(s)).`);
        }),
      );
  action('approve', 'approveChangeRequest', "Approve a change request (not one's own)", 'Approved');
  action('apply', 'applyChangeRequest', 'Apply an approved change request, atomically', 'Applied', 'Apply');
  action('close', 'closeChangeRequest', 'Close a change request without applying it', 'Closed', 'Close');
  withEnv(leaf(crs, 'comment <request> <text>', 'Comment on a change request', ['commentChangeRequest', 'getChangeRequest', 'listChangeRequests'])).action(
    run(async (ctx, given: string, text: string, options: EnvOptions) => {
      const env = await ctx.environment(options.environment, options.project);
      const current = await changeRequestOf(ctx, env, given);
      const cr = await (await ctx.api()).call<ChangeRequest>('commentChangeRequest', { envId: env.id, changeRequestId: current.id }, { body: { text } });
      ctx.print(options.json, cr, () => `Commented on change request ${current.id}.`);
    }),
  );

  // --- Scheduled changes ---
  const scheduled = family(program, 'scheduled-changes', 'Changes (or an approved change request) applied at a set time', ['schedules', 'scheduled-change']);
  withEnv(leaf(scheduled, 'list', 'List scheduled changes', ['listScheduledChanges'])).action(
    run(async (ctx, options: EnvOptions) => {
      const env = await ctx.environment(options.environment, options.project);
      const items = await (await ctx.api()).listAll<Scheduled>('listScheduledChanges', { envId: env.id });
      ctx.print(options.json, items, () =>
        table(items.map((s) => ({ id: s.id, runAt: s.runAt, status: s.status, changes: s.changeRequestId ?? s.changes.map(describeChange).join('; '), failure: s.failure })), ['id', 'runAt', 'status', 'changes', 'failure']),
      );
    }),
  );
  withEnv(leaf(scheduled, 'get <id>', 'Show a scheduled change', ['getScheduledChange'])).action(
    run(async (ctx, id: string, options: EnvOptions) => {
      const env = await ctx.environment(options.environment, options.project);
      const s = await (await ctx.api()).call<Scheduled>('getScheduledChange', { envId: env.id, scheduledChangeId: id });
      ctx.print(options.json, s, () => [`${s.id} at ${s.runAt}: ${s.status}${s.failure ? ` (${s.failure})` : ''}`, ...s.changes.map((c) => `  change ${describeChange(c)}`)].join('\n'));
    }),
  );
  withEnv(leaf(scheduled, 'create', 'Schedule changes, or an approved change request, at a time', ['createScheduledChange', 'getChangeRequest', 'listChangeRequests']))
    .requiredOption('--at <time>', 'when: an ISO time (2030-01-31T09:00:00Z) or +<n>m / +<n>h / +<n>d from now')
    .option('--change <change...>', 'the changes (as for change-requests create)')
    .option('--change-request <request>', 'an approved change request (id or title)')
    .action(
      run(async (ctx, options: EnvOptions & { at: string; change?: string[]; changeRequest?: string }) => {
        if (Boolean(options.change) === Boolean(options.changeRequest)) throw new UsageError('Give --change or --change-request (one of them).');
        const env = await ctx.environment(options.environment, options.project);
        const runAt = timeOf(options.at);
        const body = options.change ? { runAt, changes: await changesOf(options.change) } : { runAt, changeRequestId: (await changeRequestOf(ctx, env, options.changeRequest as string)).id };
        const s = await (await ctx.api()).call<Scheduled>('createScheduledChange', { envId: env.id }, { body });
        ctx.print(options.json, s, () => `Scheduled ${s.id} in ${env.name} at ${s.runAt}.`);
      }),
    );
  withEnv(leaf(scheduled, 'cancel <id>', 'Cancel a scheduled change', ['cancelScheduledChange']))
    .addOption(yesOption())
    .action(
      run(async (ctx, id: string, options: EnvOptions & { yes?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        await ctx.confirm(options.yes, `Cancel scheduled change ${id} in ${env.name}`);
        const s = await (await ctx.api()).call<Scheduled>('cancelScheduledChange', { envId: env.id, scheduledChangeId: id });
        ctx.print(options.json, s, () => `Cancelled ${s.id}.`);
      }),
    );

  // --- Audit ---
  const audit = family(program, 'audit', 'The audit log: who changed what, when');
  leaf(audit, 'tail', 'The newest audit records (oldest of them first), and new ones with --follow', ['listAudit'])
    .option('--limit <n>', 'how many', '20')
    .addOption(environmentOption(false))
    .addOption(projectOption())
    .option('--feature <name>', 'only this feature')
    .option('--actor <tokenId>', 'only this actor')
    .option('--since <time>', 'from this ISO time (or +/-<n>m/h/d)')
    .option('--follow', 'keep printing new records (Ctrl-C to stop)')
    .action(
      run(async (ctx, options: { limit: string; environment?: string; project?: string; feature?: string; actor?: string; since?: string; follow?: boolean; json?: boolean }) => {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1 to 1000.');
        const api = await ctx.api();
        const orgId = (await ctx.org()).id;
        const environment = options.environment ? (await ctx.environment(options.environment, options.project)).id : undefined;
        const query = { limit, environment, feature: options.feature, actor: options.actor, from: options.since ? timeOf(options.since, -1) : undefined };
        type Record = { id: string; at: string; detailType: string; action: string; actor: { name: string }; subject: { [key: string]: string } };
        const line = (e: Record) => (options.json ? JSON.stringify(e) : `${e.at}  ${e.actor.name.padEnd(16)} ${e.detailType} ${e.action} ${Object.values(e.subject).join(' ')}`);
        const seen = new Set<string>();
        const fetchPage = async () => (await api.call<{ items: Record[] }>('listAudit', { orgId }, { query })).items;
        for (;;) {
          for (const event of (await fetchPage()).reverse()) {
            if (seen.has(event.id)) continue;
            seen.add(event.id);
            ctx.io.out(line(event));
          }
          if (!options.follow) return;
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }),
    );
}

/** An ISO time, or a relative one: +10m, +2h, +1d (sign -1 for "ago" by default). */
export function timeOf(text: string, sign = 1): string {
  const relative = /^([+-]?)(\d+)([smhd])$/.exec(text);
  if (relative) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[3] as 's' | 'm' | 'h' | 'd'];
    const direction = relative[1] === '-' ? -1 : relative[1] === '+' ? 1 : sign;
    return new Date(Date.now() + direction * Number(relative[2]) * unit).toISOString();
  }
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw new UsageError(`Not a time: "${text}". Use an ISO time (2030-01-31T09:00:00Z) or +10m, +2h, +1d.`);
  return time.toISOString();
}
