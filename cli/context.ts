/**
 * What every command gets: the API (resolved once), names resolved to ids through the API, and
 * output (human by default, `--json` for scripts), confirmation and progress on the terminal.
 */
import { createInterface } from 'node:readline/promises';
import { Api } from './api.js';
import { CliError, UsageError } from './errors.js';
import { type ApiTarget, resolveTarget } from './target.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Raw bytes to stdout (export keeps its exact bytes). */
  write(text: string): void;
  /** A terminal is attached to stdin (confirmation can ask). */
  interactive: boolean;
  /** stderr is a terminal (progress is shown). */
  progress: boolean;
  ask?(question: string): Promise<string>;
}

export const processIo = (): Io => ({
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  write: (text) => process.stdout.write(text),
  interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  progress: Boolean(process.stderr.isTTY),
  async ask(question) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
});

export interface GlobalOptions {
  apiUrl?: string;
  token?: string;
  project?: string;
}

export interface Named {
  id: string;
  name: string;
}

export interface EnvironmentRef extends Named {
  projectId: string;
}

const ID = { project: /^prj_/, environment: /^env_/, segment: /^seg_/ };

export class Context {
  private apiPromise?: Promise<Api>;
  private organisation?: Promise<Named>;
  private readonly projects = new Map<string, Promise<Named>>();

  constructor(
    readonly io: Io,
    readonly globals: GlobalOptions,
  ) {}

  api(): Promise<Api> {
    this.apiPromise ??= resolveTarget(this.globals).then((target) => new Api(target));
    return this.apiPromise;
  }

  async target(): Promise<ApiTarget> {
    return (await this.api()).target;
  }

  /** The caller's organisation (a token belongs to exactly one). */
  org(): Promise<Named> {
    this.organisation ??= this.api().then(async (api) => {
      const [organisation] = (await api.call<{ items: Named[] }>('listOrganisations')).items;
      if (!organisation) throw new CliError('This token sees no organisation.');
      return organisation;
    });
    return this.organisation;
  }

  /**
   * A project by id or name; without one: --project, VEXILLA_PROJECT, the local stack's demo
   * project, or the organisation's only project.
   */
  project(given?: string): Promise<Named> {
    const wanted = given ?? this.globals.project ?? process.env.VEXILLA_PROJECT;
    const key = wanted ?? '';
    let found = this.projects.get(key);
    if (!found) {
      found = this.findProject(wanted);
      this.projects.set(key, found);
    }
    return found;
  }

  private async findProject(wanted: string | undefined): Promise<Named> {
    const api = await this.api();
    if (wanted && ID.project.test(wanted)) return api.call<Named>('getProject', { projectId: wanted });
    const local = api.target.local?.projectId;
    if (!wanted && local) return api.call<Named>('getProject', { projectId: local });
    const projects = await api.listAll<Named>('listProjects', { orgId: (await this.org()).id });
    if (wanted) return pick(projects, wanted, 'project', 'vexilla projects list');
    if (projects.length === 1) return projects[0] as Named;
    if (projects.length === 0) throw new CliError('The organisation has no project yet: create one with `vexilla projects create <name>`.');
    throw new UsageError(`Which project? Pass --project (or set VEXILLA_PROJECT) to one of: ${projects.map((p) => p.name).join(', ')}.`);
  }

  /** An environment by id, or by name in the project (see `project`). */
  async environment(given: string | undefined, projectGiven?: string): Promise<EnvironmentRef> {
    if (!given) throw new UsageError('--environment is required (a name, like development, or an id).');
    const api = await this.api();
    if (ID.environment.test(given)) return api.call<EnvironmentRef>('getEnvironment', { envId: given });
    const project = await this.project(projectGiven);
    const environments = await api.listAll<EnvironmentRef>('listEnvironments', { projectId: project.id });
    return pick(environments, given, `environment in project "${project.name}"`, `vexilla environments list --project "${project.name}"`);
  }

  /** A segment of the project by id or name. */
  async segment(projectId: string, given: string): Promise<Named> {
    const api = await this.api();
    if (ID.segment.test(given)) return api.call<Named>('getSegment', { projectId, segmentId: given });
    return pick(await api.listAll<Named>('listSegments', { projectId }), given, 'segment', 'vexilla segments list');
  }

  // --- Output ---

  /** `--json`: the data as JSON; otherwise the human text. */
  print(json: boolean | undefined, data: unknown, human: () => string): void {
    this.io.out(json ? JSON.stringify(data, null, 2) : human());
  }

  /**
   * Destructive commands: go on with --yes; ask when a terminal is attached; refuse otherwise
   * (a script must say --yes).
   */
  async confirm(yes: boolean | undefined, what: string): Promise<void> {
    if (yes) return;
    if (!this.io.interactive || !this.io.ask) throw new UsageError(`${what}: pass --yes to confirm (there is no terminal to ask).`);
    const answer = (await this.io.ask(`${what}? [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new CliError('Cancelled: nothing was changed.');
  }

  /** A line of progress on stderr when it is a terminal: `update` as things move, `done` at the end. */
  progress(label: string): { update(detail: string): void; done(detail?: string): void } {
    const started = Date.now();
    if (!this.io.progress) return { update: () => undefined, done: () => undefined };
    const show = (text: string, end = false) => process.stderr.write(`\r\x1b[2K${text}${end ? '\n' : ''}`);
    show(`${label}...`);
    return {
      update: (detail) => show(`${label}... ${detail}`),
      done: (detail) => show(`${label}: ${detail ?? 'done'} (${((Date.now() - started) / 1000).toFixed(1)} s)`, true),
    };
  }
}

/** One item by id or exact name (then case-insensitive); otherwise what exists, and how to list it. */
export function pick<T extends Named>(items: T[], wanted: string, what: string, listCommand: string): T {
  const exact = items.find((item) => item.id === wanted || item.name === wanted);
  if (exact) return exact;
  const loose = items.filter((item) => item.name.toLowerCase() === wanted.toLowerCase());
  if (loose.length === 1) return loose[0] as T;
  const known = items.map((item) => item.name);
  const close = known.filter((name) => editDistance(name.toLowerCase(), wanted.toLowerCase()) <= 2);
  const suggestion = close.length ? ` Did you mean ${close.map((name) => `"${name}"`).join(' or ')}?` : known.length ? ` Known: ${known.join(', ')}.` : '';
  throw new CliError(`No ${what} named "${wanted}".${suggestion} (\`${listCommand}\` lists them.)`);
}

/** Levenshtein distance, for "did you mean" on names. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** A value as typed on the command line: JSON when it parses, a string otherwise. */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Rows as aligned columns (human output). */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (value: unknown) => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  const line = (values: string[]) => values.map((value, i) => value.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(columns.map((column) => column.toUpperCase())), ...rows.map((row) => line(columns.map((column) => cell(row[column]))))].join('\n');
}

/** Waits for a condition, polling; throws after `timeoutMs` with `what` in the message. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new CliError(`Gave up waiting for ${what} after ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s.`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
