/** Segments, overrides (segment, tenant, identity) and identities. */
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { environmentOption, family, leaf, projectOption, run, yesOption } from '../command.js';
import { parseValue, table } from '../context.js';
import { ApiError, CliError, UsageError } from '../errors.js';

interface Segment {
  id: string;
  name: string;
  description: string;
  rules: unknown[];
  tenantKey: string | null;
  version: number;
}
interface Override {
  featureName: string;
  enabled: boolean;
  value: unknown;
  segmentId?: string;
  tenantId?: string;
  identifier?: string;
  priority?: number;
}
interface EnvironmentOverrides {
  segmentOverrides: Override[];
  tenantOverrides: Override[];
  identityOverrides: Override[];
}
interface Identity {
  identifier: string;
  traits: Record<string, unknown>;
  overrides: Override[];
}

type FlagReason =
  | { kind: 'identity-override' }
  | { kind: 'tenant-override'; tenantId: string }
  | { kind: 'segment-override'; segmentId: string | null; segmentName: string }
  | { kind: 'split'; bucket: number; variant: string | null; weight: number | null }
  | { kind: 'default'; bucket?: number };
interface ExplainedIdentity {
  identifier: string;
  stored: boolean;
  traits: Record<string, unknown>;
  segments: { id: string; name: string }[];
  flags: { featureName: string; enabled: boolean; value: unknown; variant: string | null; reason: FlagReason }[];
}

const show = (value: unknown) => JSON.stringify(value);

/** The source of an identity's value, in words (as the dashboard's identity page says it). */
export function reasonText(reason: FlagReason): string {
  switch (reason.kind) {
    case 'identity-override':
      return 'identity override';
    case 'tenant-override':
      return `tenant override (tenant ${reason.tenantId})`;
    case 'segment-override':
      return `segment override: "${reason.segmentName}"`;
    case 'split':
      return `split: bucket ${reason.bucket.toFixed(2)} of 100, in a ${reason.weight ?? '?'}% variant`;
    default:
      return reason.bucket === undefined ? 'default' : `default (bucket ${reason.bucket.toFixed(2)}: in no variant, so the control value)`;
  }
}
const stateOf = (override: Override) => ({ state: override.enabled ? 'on' : 'off', value: show(override.value) });

/** `--rules` as JSON, or `@file` holding it. */
export async function rulesOf(text: string): Promise<unknown> {
  const source = text.startsWith('@') ? await readFile(text.slice(1), 'utf8') : text;
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new UsageError(`--rules must be JSON (or @file): ${(error as Error).message}`);
  }
}

export function targetingCommands(program: Command): void {
  // --- Segments ---
  const segments = family(program, 'segments', 'Segments: identities matched by rules on their traits', ['segment']);
  leaf(segments, 'list', 'List segments', ['listSegments'])
    .addOption(projectOption())
    .option('--tenant <key>', "only this tenant's segments")
    .action(
      run(async (ctx, options: { project?: string; tenant?: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const items = await (await ctx.api()).listAll<Segment>('listSegments', { projectId: project.id }, options.tenant ? { tenantKey: options.tenant } : {});
        ctx.print(options.json, items, () =>
          table(items.map((s) => ({ name: s.name, id: s.id, tenant: s.tenantKey ?? '(project)', rules: s.rules.length, description: s.description })), ['name', 'id', 'tenant', 'rules', 'description']),
        );
      }),
    );
  leaf(segments, 'get <segment>', 'Show a segment and its rules', ['getSegment'])
    .addOption(projectOption())
    .action(
      run(async (ctx, given: string, options: { project?: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const { id } = await ctx.segment(project.id, given);
        const segment = await (await ctx.api()).call<Segment>('getSegment', { projectId: project.id, segmentId: id });
        ctx.print(options.json, segment, () => `${segment.name} (${segment.id})${segment.description ? `: ${segment.description}` : ''}\n${JSON.stringify(segment.rules, null, 2)}`);
      }),
    );
  leaf(segments, 'create <name>', 'Create a segment', ['createSegment'])
    .addOption(projectOption())
    .requiredOption('--rules <json|@file>', 'rules, e.g. \'[{"type":"ALL","conditions":[{"operator":"EQUAL","property":"plan","value":"pro"}]}]\'')
    .option('--description <text>', 'what it is')
    .option('--tenant <key>', "the tenant it belongs to: it then only ever matches that tenant's identities")
    .action(
      run(async (ctx, name: string, options: { project?: string; rules: string; description?: string; tenant?: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const body = {
          name,
          rules: await rulesOf(options.rules),
          ...(options.description ? { description: options.description } : {}),
          ...(options.tenant ? { tenantKey: options.tenant } : {}),
        };
        const segment = await (await ctx.api()).call<Segment>('createSegment', { projectId: project.id }, { body });
        ctx.print(options.json, segment, () => `Created segment "${segment.name}" (${segment.id}).`);
      }),
    );
  leaf(segments, 'update <segment>', "Change a segment's name, description or rules", ['updateSegment'])
    .addOption(projectOption())
    .option('--name <name>', 'new name')
    .option('--rules <json|@file>', 'new rules')
    .option('--description <text>', 'new description')
    .option('--tenant <key>', 'scope it to this tenant')
    .option('--project-wide', 'make it project-wide (no tenant)')
    .action(
      run(async (ctx, given: string, options: { project?: string; name?: string; rules?: string; description?: string; tenant?: string; projectWide?: boolean; json?: boolean }) => {
        if (options.tenant && options.projectWide) throw new UsageError('Give --tenant or --project-wide, not both.');
        const project = await ctx.project(options.project);
        const { id } = await ctx.segment(project.id, given);
        const body = {
          ...(options.name ? { name: options.name } : {}),
          ...(options.rules ? { rules: await rulesOf(options.rules) } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
          ...(options.tenant ? { tenantKey: options.tenant } : options.projectWide ? { tenantKey: null } : {}),
        };
        if (Object.keys(body).length === 0) throw new UsageError('Nothing to change: give --name, --rules, --description, --tenant or --project-wide.');
        const segment = await (await ctx.api()).call<Segment>('updateSegment', { projectId: project.id, segmentId: id }, { body });
        ctx.print(options.json, segment, () => `Updated segment "${segment.name}" (version ${segment.version}).`);
      }),
    );
  leaf(segments, 'delete <segment>', 'Delete a segment (and its overrides)', ['deleteSegment'])
    .addOption(projectOption())
    .addOption(yesOption())
    .action(
      run(async (ctx, given: string, options: { project?: string; yes?: boolean; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const segment = await ctx.segment(project.id, given);
        await ctx.confirm(options.yes, `Delete segment "${segment.name}"`);
        await (await ctx.api()).call('deleteSegment', { projectId: project.id, segmentId: segment.id });
        ctx.print(options.json, { deleted: segment.id }, () => `Deleted segment "${segment.name}".`);
      }),
    );

  // --- Overrides ---
  const overrides = family(program, 'overrides', "A feature's values for a segment, a tenant or one identity", ['override']);
  const target = (command: Command) =>
    command
      .addOption(new Option('--segment <name|id>', 'a segment override').conflicts(['tenant', 'identity']))
      .addOption(new Option('--tenant <id>', 'a tenant override (the identity trait `tenant`, or the project tenant trait)').conflicts('identity'))
      .addOption(new Option('--identity <identifier>', "one identity's override"))
      .addOption(environmentOption())
      .addOption(projectOption());
  type Target = { segment?: string; tenant?: string; identity?: string; environment: string; project?: string };
  const which = (options: Target) => {
    if (!options.segment && !options.tenant && !options.identity) throw new UsageError('Say whose override: --segment, --tenant or --identity.');
  };

  leaf(overrides, 'list [feature]', "Overrides in an environment: a feature's, or every feature's (segment, tenant and identity)", ['listOverrides', 'listEnvironmentOverrides', 'listSegments'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .action(
      run(async (ctx, feature: string | undefined, options: { environment: string; project?: string; json?: boolean }) => {
        const api = await ctx.api();
        const env = await ctx.environment(options.environment, options.project);
        // A feature's own route refuses a feature that does not exist, by name; the environment's
        // route adds its identity overrides (and, without a feature, lists every feature's).
        const [own, all, segmentList] = await Promise.all([
          feature ? api.call<{ segmentOverrides: Override[]; tenantOverrides: Override[] }>('listOverrides', { envId: env.id, featureName: feature }) : undefined,
          api.call<EnvironmentOverrides>('listEnvironmentOverrides', { envId: env.id }, { query: { feature } }),
          options.json ? [] : api.listAll<{ id: string; name: string }>('listSegments', { projectId: env.projectId }),
        ]);
        const found: EnvironmentOverrides = own ? { ...own, identityOverrides: all.identityOverrides } : all;
        const segmentName = new Map(segmentList.map((segment) => [segment.id, segment.name]));
        const rows = [
          ...found.segmentOverrides.map((o) => ({ feature: o.featureName, kind: 'segment', target: segmentName.get(o.segmentId as string) ?? o.segmentId, priority: o.priority, ...stateOf(o) })),
          ...found.tenantOverrides.map((o) => ({ feature: o.featureName, kind: 'tenant', target: o.tenantId, ...stateOf(o) })),
          ...found.identityOverrides.map((o) => ({ feature: o.featureName, kind: 'identity', target: o.identifier, ...stateOf(o) })),
        ];
        ctx.print(options.json, found, () => table(feature ? rows : rows.sort((a, b) => a.feature.localeCompare(b.feature)), [...(feature ? [] : ['feature']), 'kind', 'target', 'priority', 'state', 'value']));
      }),
    );

  target(leaf(overrides, 'set <feature>', 'Create or replace an override', ['putSegmentOverride', 'putTenantOverride', 'putIdentityOverride']))
    .addOption(new Option('--on', 'the feature is on for them').conflicts('off'))
    .addOption(new Option('--off', 'the feature is off for them'))
    .option('--value <json>', 'their value (default: the feature initial value)')
    .option('--priority <n>', 'segment overrides: lower wins', '0')
    .action(
      run(async (ctx, feature: string, options: Target & { on?: boolean; off?: boolean; value?: string; priority: string; json?: boolean }) => {
        which(options);
        if (!options.on && !options.off) throw new UsageError('Say --on or --off.');
        const api = await ctx.api();
        const env = await ctx.environment(options.environment, options.project);
        const body = { enabled: Boolean(options.on), ...(options.value !== undefined ? { value: parseValue(options.value) } : {}) };
        let result: Override;
        let whom: string;
        if (options.segment) {
          const segment = await ctx.segment(env.projectId, options.segment);
          whom = `segment "${segment.name}"`;
          result = await api.call('putSegmentOverride', { envId: env.id, featureName: feature, segmentId: segment.id }, { body: { ...body, priority: Number(options.priority) } });
        } else if (options.tenant) {
          whom = `tenant ${options.tenant}`;
          result = await api.call('putTenantOverride', { envId: env.id, featureName: feature, tenantId: options.tenant }, { body });
        } else {
          whom = `identity ${options.identity}`;
          const identifier = options.identity as string;
          result = await api.call('putIdentityOverride', { envId: env.id, identifier, featureName: feature }, { body }).catch((error: unknown) => {
            // Overrides belong to identities that exist: say how to create one from here.
            if (error instanceof ApiError && error.status === 404 && error.body?.message?.startsWith('No identity')) {
              throw new CliError(`No identity ${identifier} in ${env.name}: create it first with \`vexilla identities set-traits ${identifier} <key=value...> --environment ${env.name}\`.`);
            }
            throw error;
          });
        }
        ctx.print(options.json, result, () => `${feature} for ${whom} in ${env.name}: ${result.enabled ? 'on' : 'off'}, value ${show(result.value)}`);
      }),
    );

  target(leaf(overrides, 'remove <feature>', 'Remove an override', ['deleteSegmentOverride', 'deleteTenantOverride', 'deleteIdentityOverride']))
    .addOption(yesOption())
    .action(
      run(async (ctx, feature: string, options: Target & { yes?: boolean; json?: boolean }) => {
        which(options);
        const api = await ctx.api();
        const env = await ctx.environment(options.environment, options.project);
        if (options.segment) {
          const segment = await ctx.segment(env.projectId, options.segment);
          await ctx.confirm(options.yes, `Remove the override of ${feature} for segment "${segment.name}" in ${env.name}`);
          await api.call('deleteSegmentOverride', { envId: env.id, featureName: feature, segmentId: segment.id });
        } else if (options.tenant) {
          await ctx.confirm(options.yes, `Remove the override of ${feature} for tenant ${options.tenant} in ${env.name}`);
          await api.call('deleteTenantOverride', { envId: env.id, featureName: feature, tenantId: options.tenant });
        } else {
          await ctx.confirm(options.yes, `Remove the override of ${feature} for identity ${options.identity} in ${env.name}`);
          await api.call('deleteIdentityOverride', { envId: env.id, identifier: options.identity as string, featureName: feature });
        }
        ctx.print(options.json, { removed: feature }, () => `Removed the override of ${feature}.`);
      }),
    );

  // --- Identities ---
  const identities = family(program, 'identities', 'Identities (users) of an environment: traits and overrides', ['identity']);
  leaf(identities, 'list', 'List identities', ['listIdentities'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .option('--limit <n>', 'how many', '100')
    .action(
      run(async (ctx, options: { environment: string; project?: string; limit: string; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        const page = await (await ctx.api()).call<{ items: Identity[]; cursor?: string }>('listIdentities', { envId: env.id }, { query: { limit: options.limit } });
        ctx.print(options.json, page, () => table(page.items.map((i) => ({ identifier: i.identifier, traits: i.traits })), ['identifier', 'traits']) + (page.cursor ? '\n(more: raise --limit)' : ''));
      }),
    );
  leaf(identities, 'get <identifier>', "Show an identity's traits and overrides", ['getIdentity'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .action(
      run(async (ctx, identifier: string, options: { environment: string; project?: string; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        const identity = await (await ctx.api()).call<Identity>('getIdentity', { envId: env.id, identifier });
        ctx.print(options.json, identity, () =>
          [
            `${identity.identifier} (in ${env.name})`,
            ...Object.entries(identity.traits).map(([key, value]) => `  trait ${key} = ${show(value)}`),
            ...identity.overrides.map((o) => `  override ${o.featureName}: ${o.enabled ? 'on' : 'off'} ${show(o.value)}`),
          ].join('\n'),
        );
      }),
    );
  leaf(identities, 'explain <identifier>', 'Why an identity gets each value: every flag evaluated for it, with the override, segment or split that decided', ['explainIdentityFlags'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .option('--feature <name...>', 'only these features')
    .action(
      run(async (ctx, identifier: string, options: { environment: string; project?: string; feature?: string[]; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        const explained = await (await ctx.api()).call<ExplainedIdentity>('explainIdentityFlags', { envId: env.id, identifier });
        const wanted = options.feature;
        if (wanted) {
          const known = new Set(explained.flags.map((flag) => flag.featureName));
          const unknown = wanted.filter((name) => !known.has(name));
          if (unknown.length) throw new CliError(`No feature named ${unknown.map((name) => `"${name}"`).join(', ')} in ${env.name}. (\`vexilla features list\` lists them.)`);
          explained.flags = explained.flags.filter((flag) => wanted.includes(flag.featureName));
        }
        ctx.print(options.json, explained, () =>
          [
            `${explained.identifier} in ${env.name}${explained.stored ? '' : ': not stored, so evaluated without traits'}`,
            ...(explained.stored ? [`  traits: ${Object.entries(explained.traits).map(([key, value]) => `${key}=${show(value)}`).join(', ') || 'none'}`] : []),
            `  segments: ${explained.segments.map((segment) => segment.name).join(', ') || 'none'}`,
            '',
            table(
              explained.flags.map((flag) => ({ feature: flag.featureName, state: flag.enabled ? 'on' : 'off', value: show(flag.value), reason: reasonText(flag.reason) })),
              ['feature', 'state', 'value', 'reason'],
            ),
          ].join('\n'),
        );
      }),
    );
  leaf(identities, 'set-traits <identifier> <key=value...>', "Create an identity or replace its traits (values as JSON, or strings; key=null removes)", ['putIdentity'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .action(
      run(async (ctx, identifier: string, pairs: string[], options: { environment: string; project?: string; json?: boolean }) => {
        const traits: Record<string, unknown> = {};
        for (const pair of pairs) {
          const at = pair.indexOf('=');
          if (at < 1) throw new UsageError(`Expected key=value, got "${pair}".`);
          traits[pair.slice(0, at)] = parseValue(pair.slice(at + 1));
        }
        const env = await ctx.environment(options.environment, options.project);
        const identity = await (await ctx.api()).call<Identity>('putIdentity', { envId: env.id, identifier }, { body: { traits } });
        ctx.print(options.json, identity, () => `${identity.identifier}: ${Object.entries(identity.traits).map(([k, v]) => `${k}=${show(v)}`).join(', ') || 'no traits'}`);
      }),
    );
  leaf(identities, 'delete <identifier>', 'Delete an identity and its overrides', ['deleteIdentity'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .addOption(yesOption())
    .action(
      run(async (ctx, identifier: string, options: { environment: string; project?: string; yes?: boolean; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        await ctx.confirm(options.yes, `Delete identity ${identifier} of ${env.name} and its overrides`);
        await (await ctx.api()).call('deleteIdentity', { envId: env.id, identifier });
        ctx.print(options.json, { deleted: identifier }, () => `Deleted identity ${identifier}.`);
      }),
    );
}
