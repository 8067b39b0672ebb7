/** `vexilla features`: definitions (project), states per environment, history, rollouts, stale flags. */
import { type Command, Option } from 'commander';
import { environmentOption, family, leaf, projectOption, run, yesOption } from '../command.js';
import { type Context, parseValue, table, waitFor } from '../context.js';
import { UsageError } from '../errors.js';

export interface Feature {
  name: string;
  kind: string;
  valueType: string;
  defaultEnabled: boolean;
  initialValue: unknown;
  tags: string[];
  description: string;
  options: { id: string; value: unknown; defaultWeight: number }[];
  prerequisites?: { featureName: string; variant?: string; value?: unknown }[];
  /** Create and update: where prerequisites cannot be exact in Flagsmith-format documents. */
  warnings?: string[];
  version: number;
}
export interface State {
  featureName: string;
  enabled: boolean;
  value: unknown;
  weights: Record<string, number>;
  version: number;
  updatedAt?: string;
  updatedBy?: string;
}

const show = (value: unknown) => JSON.stringify(value);

const requireHelp = 'features that must be on for the same identity: <feature>, <feature>=<value> (JSON or a plain string), or <feature>@<option> (a multivariate option, by value or id)';

/** `--require` specs as the API takes them; `@<option>` is resolved to the option's id, as set-weights does. */
async function prerequisitesOf(ctx: Context, projectId: string, specs: string[]): Promise<{ featureName: string; value?: unknown; variant?: string }[]> {
  return Promise.all(
    specs.map(async (spec) => {
      const match = /^([^=@]+)(?:([=@])(.*))?$/s.exec(spec);
      if (!match) throw new UsageError(`Not a prerequisite: "${spec}". Use <feature>, <feature>=<value> or <feature>@<option>.`);
      const [, featureName, kind, given] = match as unknown as [string, string, string | undefined, string | undefined];
      if (kind === '=') return { featureName, value: parseValue(given ?? '') };
      if (kind !== '@') return { featureName };
      const required = await (await ctx.api()).call<Feature>('getFeature', { projectId, featureName });
      const option = required.options.find((o) => o.id === given || show(o.value) === show(parseValue(given ?? '')) || String(o.value) === given);
      if (!option) throw new UsageError(`${featureName} has no option "${given}": its options are ${required.options.map((o) => show(o.value)).join(', ') || 'none (not multivariate)'}.`);
      return { featureName, variant: option.id };
    }),
  );
}

/** The API's warnings where a prerequisite cannot be exact for Flagsmith SDKs evaluating locally. */
const withWarnings = (text: string, feature: Feature) => [text, ...(feature.warnings ?? []).map((warning) => `  warning: ${warning}`)].join('\n');
const stateLine = (name: string, state: State) => `${name}: ${state.enabled ? 'on' : 'off'}, value ${show(state.value)} (version ${state.version})`;

/**
 * Waits until the published document (what the SDK API and the edge serve) holds the environment's
 * current state: after `--wait`, the next evaluation shows the change.
 */
export async function waitUntilServed(ctx: Context, envId: string): Promise<void> {
  const api = await ctx.api();
  const progress = ctx.progress('Waiting until the change is served');
  await waitFor('the change to be served', async () => ((await api.call<{ upToDate: boolean }>('getPublication', { envId })).upToDate ? true : undefined));
  progress.done('served');
}

const waitOption = () => new Option('--wait', 'return once the change is served to SDKs (the next evaluation shows it)');

export function featuresCommands(program: Command): void {
  const features = family(program, 'features', 'Feature flags: definitions, states per environment, history, rollouts', ['feature', 'flags']);

  leaf(features, 'list', 'List the features of a project (with their state in an environment)', ['listFeatures', 'listFeatureStates'])
    .addOption(projectOption())
    .addOption(environmentOption(false))
    .action(
      run(async (ctx, options: { project?: string; environment?: string; json?: boolean }) => {
        const api = await ctx.api();
        const project = await ctx.project(options.project);
        const list = await api.listAll<Feature>('listFeatures', { projectId: project.id });
        const env = options.environment ? await ctx.environment(options.environment, options.project) : undefined;
        const states = env ? new Map((await api.call<{ items: State[] }>('listFeatureStates', { envId: env.id })).items.map((s) => [s.featureName, s])) : undefined;
        const rows = list.map((feature) => ({ ...feature, state: states?.get(feature.name) }));
        ctx.print(options.json, rows, () =>
          table(
            rows.map((row) => ({
              name: row.name,
              kind: row.kind,
              type: row.valueType,
              ...(row.state ? { state: row.state.enabled ? 'on' : 'off', value: show(row.state.value) } : { default: row.defaultEnabled ? 'on' : 'off', value: show(row.initialValue) }),
            })),
            states ? ['name', 'kind', 'type', 'state', 'value'] : ['name', 'kind', 'type', 'default', 'value'],
          ),
        );
      }),
    );

  leaf(features, 'get <name>', 'Show a feature (and its state in an environment)', ['getFeature', 'getFeatureState'])
    .addOption(projectOption())
    .addOption(environmentOption(false))
    .action(
      run(async (ctx, name: string, options: { project?: string; environment?: string; json?: boolean }) => {
        const api = await ctx.api();
        const project = await ctx.project(options.project);
        const feature = await api.call<Feature>('getFeature', { projectId: project.id, featureName: name });
        const env = options.environment ? await ctx.environment(options.environment, options.project) : undefined;
        const state = env ? await api.call<State>('getFeatureState', { envId: env.id, featureName: name }) : undefined;
        ctx.print(options.json, state ? { ...feature, state } : feature, () =>
          [
            `${feature.name} (${feature.kind}, ${feature.valueType})${feature.description ? `: ${feature.description}` : ''}`,
            `  default: ${feature.defaultEnabled ? 'on' : 'off'}, value ${show(feature.initialValue)}`,
            ...feature.options.map((option) => `  option ${option.id}: ${show(option.value)} (${option.defaultWeight}%)`),
            ...(feature.tags.length ? [`  tags: ${feature.tags.join(', ')}`] : []),
            ...(feature.prerequisites ?? []).map((p) => `  requires ${p.featureName}${p.variant ? ` serving option ${p.variant}` : p.value !== undefined ? ` serving ${show(p.value)}` : ' on'}`),
            ...(state && env ? [`  in ${env.name}: ${state.enabled ? 'on' : 'off'}, value ${show(state.value)} (version ${state.version})`] : []),
          ].join('\n'),
        );
      }),
    );

  const tenantList = (text: string) => text.split(',').map((key) => key.trim()).filter(Boolean);
  leaf(features, 'create <name>', 'Create a feature', ['createFeature'])
    .addOption(projectOption())
    .option('--value <json>', 'initial value (JSON, or a plain string)')
    .option('--enabled', 'on by default')
    .option('--description <text>', 'what it is for')
    .option('--tag <tag...>', 'tags (`permanent` keeps it off the stale list)')
    .option('--option <value=weight...>', 'a multivariate option and its default weight in percent, e.g. --option blue=30')
    .option('--require <prerequisite...>', requireHelp)
    .option('--tenants <keys>', 'tenant-scoped: it exists only for these tenants (comma-separated keys)')
    .action(
      run(async (ctx, name: string, options: { project?: string; value?: string; enabled?: boolean; description?: string; tag?: string[]; option?: string[]; require?: string[]; tenants?: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const variants = (options.option ?? []).map(parseWeighted);
        const body = {
          name,
          defaultEnabled: options.enabled ?? false,
          ...(options.value !== undefined ? { initialValue: parseValue(options.value) } : {}),
          ...(options.description ? { description: options.description } : {}),
          ...(options.tag ? { tags: options.tag } : {}),
          ...(variants.length ? { type: 'MULTIVARIATE', options: variants.map(([value, weight]) => ({ value, defaultWeight: weight })) } : {}),
          ...(options.require ? { prerequisites: await prerequisitesOf(ctx, project.id, options.require) } : {}),
          ...(options.tenants ? { tenants: tenantList(options.tenants) } : {}),
        };
        const feature = await (await ctx.api()).call<Feature>('createFeature', { projectId: project.id }, { body });
        ctx.print(options.json, feature, () => withWarnings(`Created feature ${feature.name} (${feature.valueType}) in project "${project.name}".`, feature));
      }),
    );

  leaf(features, 'update <name>', "Change a feature's defaults, description or tags", ['updateFeature'])
    .addOption(projectOption())
    .option('--value <json>', 'initial value')
    .addOption(new Option('--enabled <on|off>', 'on or off by default').choices(['on', 'off']))
    .option('--description <text>', 'what it is for')
    .option('--tag <tag...>', 'replace the tags')
    .option('--require <prerequisite...>', `replace the prerequisites: ${requireHelp}`)
    .option('--no-prerequisites', 'remove every prerequisite')
    .option('--tenants <keys>', 'make it tenant-scoped: only these tenants (comma-separated keys)')
    .option('--all-tenants', 'no longer tenant-scoped')
    .action(
      run(async (ctx, name: string, options: { project?: string; value?: string; enabled?: string; description?: string; tag?: string[]; require?: string[]; prerequisites?: boolean; tenants?: string; allTenants?: boolean; json?: boolean }) => {
        if (options.tenants && options.allTenants) throw new UsageError('--tenants or --all-tenants: one of them.');
        if (options.require && options.prerequisites === false) throw new UsageError('--require or --no-prerequisites: one of them.');
        const project = await ctx.project(options.project);
        const body = {
          ...(options.value !== undefined ? { initialValue: parseValue(options.value) } : {}),
          ...(options.enabled ? { defaultEnabled: options.enabled === 'on' } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
          ...(options.tag ? { tags: options.tag } : {}),
          ...(options.require ? { prerequisites: await prerequisitesOf(ctx, project.id, options.require) } : options.prerequisites === false ? { prerequisites: [] } : {}),
          ...(options.tenants ? { tenants: tenantList(options.tenants) } : options.allTenants ? { tenants: null } : {}),
        };
        if (Object.keys(body).length === 0) throw new UsageError('Nothing to change: give --value, --enabled, --description, --tag, --require, --no-prerequisites, --tenants or --all-tenants.');
        const feature = await (await ctx.api()).call<Feature>('updateFeature', { projectId: project.id, featureName: name }, { body });
        ctx.print(options.json, feature, () => withWarnings(`Updated feature ${feature.name} (version ${feature.version}).`, feature));
      }),
    );

  leaf(features, 'delete <name>', 'Delete a feature from the project (every environment)', ['deleteFeature'])
    .addOption(projectOption())
    .addOption(yesOption())
    .option('--force', 'even if other features require it (they are then served off, PREREQUISITE_FAILED)')
    .action(
      run(async (ctx, name: string, options: { project?: string; yes?: boolean; force?: boolean; json?: boolean }) => {
        const project = await ctx.project(options.project);
        await ctx.confirm(options.yes, `Delete feature ${name} from project "${project.name}", in every environment${options.force ? ', even if others require it' : ''}`);
        await (await ctx.api()).call('deleteFeature', { projectId: project.id, featureName: name }, { query: { force: options.force ? 'true' : undefined } });
        ctx.print(options.json, { deleted: name }, () => `Deleted feature ${name}.`);
      }),
    );

  const patchState = async (ctx: Context, name: string, options: { environment: string; project?: string; wait?: boolean; json?: boolean }, change: (current: State) => Record<string, unknown>) => {
    const api = await ctx.api();
    const env = await ctx.environment(options.environment, options.project);
    const current = await api.call<State>('getFeatureState', { envId: env.id, featureName: name });
    // The version just read: if someone changed the flag meanwhile, the API answers 409.
    const next = await api.call<State>('patchFeatureState', { envId: env.id, featureName: name }, { body: { ...change(current), version: current.version } });
    if (options.wait) await waitUntilServed(ctx, env.id);
    ctx.print(options.json, next, () => `${stateLine(name, next)} in ${env.name}${options.wait ? ', served' : ''}`);
  };

  leaf(features, 'toggle <name>', 'Turn a feature on or off in an environment (flips it without --on / --off)', ['getFeatureState', 'patchFeatureState', 'getPublication'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .addOption(new Option('--on', 'turn it on').conflicts('off'))
    .addOption(new Option('--off', 'turn it off'))
    .addOption(waitOption())
    .action(
      run(async (ctx, name: string, options: { environment: string; project?: string; on?: boolean; off?: boolean; wait?: boolean; json?: boolean }) =>
        patchState(ctx, name, options, (current) => ({ enabled: options.on ? true : options.off ? false : !current.enabled })),
      ),
    );

  leaf(features, 'set-value <name> <value>', "Set a feature's value in an environment (JSON, or a plain string)", ['getFeatureState', 'patchFeatureState', 'getPublication'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .addOption(waitOption())
    .action(
      run(async (ctx, name: string, value: string, options: { environment: string; project?: string; wait?: boolean; json?: boolean }) =>
        patchState(ctx, name, options, () => ({ value: parseValue(value) })),
      ),
    );

  leaf(features, 'set-weights <name> <option=percent...>', 'Set the percentage split of a multivariate feature in an environment (option by value or id)', [
    'getFeature',
    'getFeatureState',
    'patchFeatureState',
    'getPublication',
  ])
    .addOption(environmentOption())
    .addOption(projectOption())
    .addOption(waitOption())
    .action(
      run(async (ctx, name: string, pairs: string[], options: { environment: string; project?: string; wait?: boolean; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const feature = await (await ctx.api()).call<Feature>('getFeature', { projectId: project.id, featureName: name });
        const weights: Record<string, number> = {};
        for (const [given, weight] of pairs.map(parseWeighted)) {
          const option = feature.options.find((o) => o.id === given || show(o.value) === show(given) || String(o.value) === String(given));
          if (!option) throw new UsageError(`${name} has no option ${show(given)}: its options are ${feature.options.map((o) => show(o.value)).join(', ') || 'none (not multivariate)'}.`);
          weights[option.id] = weight;
        }
        await patchState(ctx, name, options, () => ({ weights }));
      }),
    );

  leaf(features, 'history <name>', "A feature state's versions in an environment, newest first", ['listFeatureStateVersions'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .option('--limit <n>', 'how many', '20')
    .action(
      run(async (ctx, name: string, options: { environment: string; project?: string; limit: string; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        const page = await (await ctx.api()).call<{ items: (State & { action?: string })[] }>('listFeatureStateVersions', { envId: env.id, featureName: name }, { query: { limit: options.limit } });
        ctx.print(options.json, page.items, () =>
          table(
            page.items.map((v) => ({ version: v.version, state: v.enabled ? 'on' : 'off', value: show(v.value), at: v.updatedAt, by: v.updatedBy })),
            ['version', 'state', 'value', 'at', 'by'],
          ),
        );
      }),
    );

  leaf(features, 'restore <name> <version>', 'Roll back: write a new version with the content of an old one', ['restoreFeatureStateVersion'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .addOption(yesOption())
    .action(
      run(async (ctx, name: string, version: string, options: { environment: string; project?: string; yes?: boolean; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        await ctx.confirm(options.yes, `Restore ${name} in ${env.name} to version ${version}`);
        const state = await (await ctx.api()).call<State>('restoreFeatureStateVersion', { envId: env.id, featureName: name, version }, { body: {} });
        ctx.print(options.json, state, () => `Restored: ${stateLine(name, state)} in ${env.name}`);
      }),
    );

  leaf(features, 'matrix', 'Every feature and its state in each environment you may read, side by side (one request)', ['getFlagsMatrix'])
    .addOption(projectOption())
    .action(
      run(async (ctx, options: { project?: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const matrix = await (await ctx.api()).call<FlagsMatrix>('getFlagsMatrix', { projectId: project.id });
        ctx.print(options.json, matrix, () => matrixTable(matrix));
      }),
    );

  leaf(features, 'stale', 'Features with no change and no evaluation for N days (tagged `permanent` excluded)', ['listStaleFeatures'])
    .addOption(projectOption())
    .option('--days <n>', 'days without change or evaluation', '30')
    .action(
      run(async (ctx, options: { project?: string; days: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const stale = await (await ctx.api()).call<{ items: { name: string; lastChangedAt?: string; lastEvaluatedOn?: string }[] }>('listStaleFeatures', { projectId: project.id }, { query: { days: options.days } });
        ctx.print(options.json, stale.items, () => table(stale.items as Record<string, unknown>[], ['name', 'lastChangedAt', 'lastEvaluatedOn']));
      }),
    );
}

interface FlagsMatrix {
  features: { name: string; tags: string[] }[];
  environments: { name: string; states: { enabled: boolean; overrides: { segments: number; tenants: number; identities: number } }[] }[];
}

/** One row per feature, one column per environment: `on`/`off`, with its override count when it has any. */
function matrixTable(matrix: FlagsMatrix): string {
  const columns = ['name', ...matrix.environments.map((environment) => environment.name), 'tags'];
  const rows = matrix.features.map((feature, i) => {
    const row: Record<string, unknown> = { name: feature.name, tags: feature.tags.join(', ') };
    for (const environment of matrix.environments) {
      const state = environment.states[i];
      if (!state) continue;
      const overrides = state.overrides.segments + state.overrides.tenants + state.overrides.identities;
      row[environment.name] = `${state.enabled ? 'on' : 'off'}${overrides ? ` (${overrides} override${overrides === 1 ? '' : 's'})` : ''}`;
    }
    return row;
  });
  return table(rows, columns);
}

/** `blue=30` → ["blue", 30] (the value parsed as JSON when it can be). */
function parseWeighted(text: string): [unknown, number] {
  const at = text.lastIndexOf('=');
  const weight = Number(text.slice(at + 1));
  if (at < 1 || !Number.isFinite(weight) || weight < 0 || weight > 100) throw new UsageError(`Expected <option>=<percent 0-100>, got "${text}".`);
  return [parseValue(text.slice(0, at)), weight];
}
