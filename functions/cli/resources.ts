/**
 * Everyday CLI commands over the management API: features, segments, identities, audit,
 * export and diff. Each reads VEXILLA_API_URL / VEXILLA_TOKEN or `.vexilla/local.json`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { apiTarget, type ApiTarget, callApi } from './api-client.js';
import { type Command, type Io, UsageError } from './command.js';

interface LocalDefaults {
  projectId?: string;
  environments?: { id: string; name: string }[];
}

async function localDefaults(): Promise<LocalDefaults> {
  try {
    return JSON.parse(await readFile(join(process.cwd(), '.vexilla', 'local.json'), 'utf8')) as LocalDefaults;
  } catch {
    return {};
  }
}

const common = {
  project: { type: 'string' },
  environment: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parse<T extends ParseArgsConfig['options']>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...common, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function projectOf(values: { project?: string | boolean | undefined }): Promise<string> {
  const project = typeof values.project === 'string' ? values.project : (await localDefaults()).projectId;
  if (!project) throw new UsageError('--project is required (or run `npm run dev`, whose demo project is the default).');
  return project;
}

/** An environment by id, or by name among the local stack's environments. */
async function environmentOf(values: { environment?: string | boolean | undefined }): Promise<string> {
  const given = typeof values.environment === 'string' ? values.environment : undefined;
  if (!given) throw new UsageError('--environment is required (an id, or a name from .vexilla/local.json).');
  const named = (await localDefaults()).environments?.find((environment) => environment.name === given);
  return named?.id ?? given;
}

/** A value as typed on the command line: JSON when it parses, a string otherwise. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const print = (io: Io, json: boolean, data: unknown, text: () => string) => io.out(json ? JSON.stringify(data) : text());

export interface Feature {
  name: string;
  kind: string;
  valueType: string;
  tags: string[];
}
interface State {
  featureName: string;
  enabled: boolean;
  value: unknown;
  version: number;
}

async function featureStates(target: ApiTarget, envId: string): Promise<State[]> {
  return (await callApi<{ items: State[] }>(target, 'GET', `/admin/v1/environments/${envId}/feature-states`)).items;
}

const subcommand = (usage: string, summary: string, run: (argv: string[], io: Io, target: () => Promise<ApiTarget>) => Promise<number>): Command => ({
  summary,
  usage,
  async run(argv, io) {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.out(usage);
      return 0;
    }
    return run(argv, io, apiTarget);
  },
});

export const featuresCommand: Command = subcommand(
  `Usage:
  vexilla features list [--project <id>] [--environment <id|name>] [--json]
  vexilla features create <name> [--value <json>] [--enabled] [--project <id>] [--json]
  vexilla features toggle <name> --environment <id|name> [--on | --off] [--json]
  vexilla features set-value <name> <value> --environment <id|name> [--json]
  vexilla features delete <name> [--force] [--project <id>]   (--force: even if other features require it)`,
  'List, create, toggle, set the value of and delete features',
  async (argv, io, target) => {
    const [action, ...rest] = argv;
    const { values, positionals } = parse(rest, {
      value: { type: 'string' },
      enabled: { type: 'boolean', default: false },
      on: { type: 'boolean', default: false },
      off: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
    });
    const api = await target();
    switch (action) {
      case 'list': {
        const project = await projectOf(values);
        const features = (await callApi<{ items: Feature[] }>(api, 'GET', `/admin/v1/projects/${project}/features?limit=1000`)).items;
        const states = values.environment ? new Map((await featureStates(api, await environmentOf(values))).map((s) => [s.featureName, s])) : undefined;
        const rows = features.map((feature) => ({ ...feature, state: states?.get(feature.name) }));
        print(io, values.json, rows, () =>
          rows
            .map((row) => `${row.name.padEnd(32)} ${row.kind.padEnd(12)} ${row.state ? `${row.state.enabled ? 'on ' : 'off'} ${JSON.stringify(row.state.value)}` : row.valueType}`)
            .join('\n') || '(no features)',
        );
        return 0;
      }
      case 'create': {
        const [name] = positionals;
        if (!name) throw new UsageError('Name the feature.');
        const body = { name, defaultEnabled: values.enabled, ...(values.value !== undefined ? { initialValue: parseValue(values.value) } : {}) };
        const feature = await callApi<Feature>(api, 'POST', `/admin/v1/projects/${await projectOf(values)}/features`, body);
        print(io, values.json, feature, () => `Created feature ${feature.name} (${feature.valueType}).`);
        return 0;
      }
      case 'toggle':
      case 'set-value': {
        const [name, value] = positionals;
        if (!name) throw new UsageError('Name the feature.');
        if (action === 'set-value' && value === undefined) throw new UsageError('Give the value.');
        if (values.on && values.off) throw new UsageError('--on or --off, not both.');
        const envId = await environmentOf(values);
        const path = `/admin/v1/environments/${envId}/feature-states/${encodeURIComponent(name)}`;
        const current = await callApi<State>(api, 'GET', path);
        const change = action === 'set-value' ? { value: parseValue(value as string) } : { enabled: values.on ? true : values.off ? false : !current.enabled };
        // The version just read: if someone else changed the flag meanwhile, the API says so.
        const next = await callApi<State>(api, 'PATCH', path, { ...change, version: current.version });
        print(io, values.json, next, () => `${name}: ${next.enabled ? 'on' : 'off'}, value ${JSON.stringify(next.value)} (version ${next.version})`);
        return 0;
      }
      case 'delete': {
        const [name] = positionals;
        if (!name) throw new UsageError('Name the feature.');
        await callApi(api, 'DELETE', `/admin/v1/projects/${await projectOf(values)}/features/${encodeURIComponent(name)}${values.force ? '?force=true' : ''}`);
        print(io, values.json, { deleted: name }, () => `Deleted feature ${name}.`);
        return 0;
      }
      default:
        throw new UsageError(action ? `Unknown action "${action}".` : 'Name an action: list, create, toggle, set-value or delete.');
    }
  },
);

export const segmentsCommand: Command = subcommand(
  `Usage:
  vexilla segments list [--project <id>] [--json]
  vexilla segments create <name> --rules <json | @file> [--project <id>] [--json]`,
  'List and create segments',
  async (argv, io, target) => {
    const [action, ...rest] = argv;
    const { values, positionals } = parse(rest, { rules: { type: 'string' } });
    const api = await target();
    const project = await projectOf(values);
    if (action === 'list') {
      const segments = (await callApi<{ items: { id: string; name: string; rules: unknown[] }[] }>(api, 'GET', `/admin/v1/projects/${project}/segments?limit=1000`)).items;
      print(io, values.json, segments, () => segments.map((s) => `${s.id}  ${s.name}`).join('\n') || '(no segments)');
      return 0;
    }
    if (action === 'create') {
      const [name] = positionals;
      if (!name || !values.rules) throw new UsageError('Give a name and --rules.');
      const text = values.rules.startsWith('@') ? await readFile(values.rules.slice(1), 'utf8') : values.rules;
      const segment = await callApi<{ id: string; name: string }>(api, 'POST', `/admin/v1/projects/${project}/segments`, { name, rules: parseValue(text) });
      print(io, values.json, segment, () => `Created segment ${segment.name} (${segment.id}).`);
      return 0;
    }
    throw new UsageError(action ? `Unknown action "${action}".` : 'Name an action: list or create.');
  },
);

export const identitiesCommand: Command = subcommand(
  'Usage: vexilla identities get <identifier> --environment <id|name> [--json]',
  "Show an identity's traits and overrides",
  async (argv, io, target) => {
    const [action, ...rest] = argv;
    const { values, positionals } = parse(rest, {});
    const [identifier] = positionals;
    if (action !== 'get' || !identifier) throw new UsageError('Usage: vexilla identities get <identifier> --environment <id|name>');
    const identity = await callApi<{ identifier: string; traits: Record<string, unknown>; overrides: { featureName: string; enabled: boolean; value: unknown }[] }>(
      await target(),
      'GET',
      `/admin/v1/environments/${await environmentOf(values)}/identities/${encodeURIComponent(identifier)}`,
    );
    print(io, values.json, identity, () =>
      [
        identity.identifier,
        ...Object.entries(identity.traits).map(([key, value]) => `  trait ${key} = ${JSON.stringify(value)}`),
        ...identity.overrides.map((o) => `  override ${o.featureName}: ${o.enabled ? 'on' : 'off'} ${JSON.stringify(o.value)}`),
      ].join('\n'),
    );
    return 0;
  },
);

interface AuditEvent {
  id: string;
  at: string;
  detailType: string;
  action: string;
  actor: { name: string };
  subject: Record<string, string>;
}

export const auditCommand: Command = subcommand(
  'Usage: vexilla audit tail [--limit <n>] [--environment <id|name>] [--follow] [--json]',
  'Show the newest audit records (and follow new ones)',
  async (argv, io, target) => {
    const [action, ...rest] = argv;
    const { values } = parse(rest, { limit: { type: 'string' }, follow: { type: 'boolean', default: false }, organisation: { type: 'string' } });
    if (action !== 'tail') throw new UsageError('Usage: vexilla audit tail');
    const api = await target();
    const organisation = values.organisation ?? (await callApi<{ items: { id: string }[] }>(api, 'GET', '/admin/v1/organisations')).items[0]?.id;
    const filter = values.environment ? `&environment=${await environmentOf(values)}` : '';
    const limit = Number(values.limit ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError('--limit must be 1 to 1000.');
    const line = (e: AuditEvent) => (values.json ? JSON.stringify(e) : `${e.at}  ${e.actor.name.padEnd(16)} ${e.detailType} ${e.action} ${Object.values(e.subject).join(' ')}`);
    const seen = new Set<string>();
    const fetchPage = async () => (await callApi<{ items: AuditEvent[] }>(api, 'GET', `/admin/v1/organisations/${organisation}/audit?limit=${limit}${filter}`)).items;
    for (const event of (await fetchPage()).reverse()) {
      seen.add(event.id);
      io.out(line(event));
    }
    while (values.follow) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      for (const event of (await fetchPage()).reverse()) {
        if (!seen.has(event.id)) {
          seen.add(event.id);
          io.out(line(event));
        }
      }
    }
    return 0;
  },
);

export const exportCommand: Command = subcommand(
  'Usage: vexilla export --environment <id|name>\n\nPrints the environment as a deterministic Flagsmith-format document.',
  'Print an environment as a deterministic document',
  async (argv, io, target) => {
    const { values } = parse(argv, {});
    const api = await target();
    const response = await fetch(`${api.apiUrl}/admin/v1/environments/${await environmentOf(values)}/export`, { headers: { authorization: `Bearer ${api.token}` } });
    const text = await response.text();
    if (!response.ok) throw new Error(`${response.status}: ${(JSON.parse(text) as { message?: string }).message ?? text}`);
    // Exactly the bytes the API produced: no trailing newline added.
    process.stdout.write(text);
    return 0;
  },
);

export const diffCommand: Command = subcommand(
  'Usage: vexilla diff <file> --environment <id|name> [--json]\n\nWhat importing the Flagsmith-format document would change (nothing is changed).\nExits 0 when nothing would change and 1 when something would, like diff(1).',
  'Show what importing a document would change',
  async (argv, io, target) => {
    const { values, positionals } = parse(argv, {});
    const [file] = positionals;
    if (!file) throw new UsageError('Name the document file.');
    const document: unknown = JSON.parse(await readFile(file, 'utf8'));
    const summary = await callApi<{ created: Record<string, number>; updated: Record<string, number>; unchanged: number }>(
      await target(),
      'POST',
      `/admin/v1/environments/${await environmentOf(values)}/import?dryRun=true`,
      document,
    );
    const list = (counts: Record<string, number>) => Object.entries(counts).map(([kind, n]) => `${n} ${kind}`).join(', ') || 'nothing';
    print(io, values.json, summary, () => [`would create: ${list(summary.created)}`, `would update: ${list(summary.updated)}`, `unchanged:    ${summary.unchanged}`].join('\n'));
    return Object.keys(summary.created).length + Object.keys(summary.updated).length > 0 ? 1 : 0;
  },
);

const TS_TYPES: Record<string, string> = { string: 'string', number: 'number', boolean: 'boolean', json: 'string' };

/** TypeScript for a project's flags: `createClient<VexillaFlags>(...)` then types `getValue`. */
export function flagTypes(projectId: string, features: Feature[]): string {
  const lines = [...features]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((feature) => {
      // JSON values travel as strings in Flagsmith's formats; getJSON() parses them.
      const comment = feature.valueType === 'json' ? ' // JSON: read it with getJSON()' : '';
      return `  ${JSON.stringify(feature.name)}: ${TS_TYPES[feature.valueType] ?? 'unknown'} | null;${comment}`;
    });
  return [
    `// Generated by \`vexilla types\` for project ${projectId}. Regenerate when features change.`,
    'export interface VexillaFlags {',
    ...lines,
    '  [name: string]: unknown;',
    '}',
    '',
  ].join('\n');
}

export const typesCommand: Command = subcommand(
  'Usage: vexilla types [--project <id>] > flags.d.ts\n\nPrints a TypeScript interface of the project\'s flags for createClient<VexillaFlags>().',
  'Print TypeScript types for the flags of a project',
  async (argv, io, target) => {
    const { values } = parse(argv, {});
    const project = await projectOf(values);
    const features = (await callApi<{ items: Feature[] }>(await target(), 'GET', `/admin/v1/projects/${project}/features?limit=1000`)).items;
    io.out(flagTypes(project, features));
    return 0;
  },
);
