/** Export, import, diff and types: environments as documents. */
import { readFile, stat, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { environmentOption, leaf, projectOption, run } from '../command.js';
import type { Context } from '../context.js';
import { diffDocuments, type FlagsmithDocument, formatDiff } from '../document-diff.js';
import { ApiError, CliError, UsageError } from '../errors.js';
import type { Feature } from './features.js';

interface ImportSummary {
  created: Record<string, number>;
  updated: Record<string, number>;
  unchanged: number;
  dryRun: boolean;
  refused?: string;
}

/** An import job as `GET .../imports/{jobId}` shows it. */
interface ImportJob {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  dryRun: boolean;
  updatedAt: string;
  progress: { done: number; total: number | null };
  summary?: ImportSummary;
  error?: { error: string; message: string; details?: unknown };
}

/** How often the CLI asks an import job how far it got. */
const IMPORT_POLL_MS = 500;
/**
 * How long a job may show no change before the CLI stops following it (the job carries on). A
 * run that died is queued again by the sweep within about ten minutes, so this is longer.
 */
const IMPORT_STALL_MS = 15 * 60_000;

const finished = (job: ImportJob) => job.status === 'succeeded' || job.status === 'failed';

/** Polls an import job until it finishes, showing its progress; gives up only when it stops moving. */
async function followImport(ctx: Context, envId: string, first: ImportJob, progress: ReturnType<Context['progress']>): Promise<ImportJob> {
  const api = await ctx.api();
  let job = first;
  let moved = Date.now();
  while (!finished(job)) {
    progress.update(job.progress.total === null ? `${job.id} ${job.status}` : `${job.progress.done}/${job.progress.total} changes`);
    if (Date.now() - moved > IMPORT_STALL_MS) {
      throw new CliError(
        `Import ${job.id} has been ${job.status} for ${IMPORT_STALL_MS / 60_000} minutes without progress: is the job runner up? The import carries on when it can; follow it with \`vexilla import status ${job.id} --environment ${envId} --wait\`.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, IMPORT_POLL_MS));
    const next = await api.call<ImportJob>('getImport', { envId, jobId: job.id });
    if (next.updatedAt !== job.updatedAt) moved = Date.now();
    job = next;
  }
  progress.done(job.status === 'failed' ? 'failed' : job.progress.total === null ? undefined : `${job.progress.done} changes`);
  return job;
}

/** Prints a job's outcome (the summary of a finished import); exit 1 when it failed. */
function reportImport(ctx: Context, job: ImportJob, what: string, envName: string, json?: boolean): number {
  if (job.status === 'failed') {
    const details = job.error?.details !== undefined ? `\n${JSON.stringify(job.error.details, null, 2)}` : '';
    const next = job.dryRun ? '' : '\nWhat was imported before it stopped stays; importing the same document again finishes it.';
    if (json) ctx.io.out(JSON.stringify(job, null, 2));
    throw new CliError(`Import ${job.id} failed: ${job.error?.message ?? 'no reason given'}${details}${next}`);
  }
  if (!finished(job) || !job.summary) {
    ctx.print(json, job, () => `Import ${job.id} into ${envName}: ${job.status}${job.progress.total === null ? '' : `, ${job.progress.done}/${job.progress.total} changes`}.`);
    return 0;
  }
  const summary = job.summary;
  ctx.print(json, summary, () =>
    [
      summary.dryRun ? `Dry run: nothing was changed in ${envName}.` : `Imported ${what} into ${envName}.`,
      `  ${summary.dryRun ? 'would create' : 'created'}: ${counts(summary.created)}`,
      `  ${summary.dryRun ? 'would update' : 'updated'}: ${counts(summary.updated)}`,
      `  unchanged: ${summary.unchanged}`,
      ...(summary.refused ? [`  refused: ${summary.refused}`] : []),
    ].join('\n'),
  );
  return 0;
}

async function readDocument(file: string): Promise<{ text: string; document: FlagsmithDocument }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`Could not read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`);
  }
  try {
    return { text, document: JSON.parse(text) as FlagsmithDocument };
  } catch (error) {
    throw new CliError(`${file} is not JSON: ${(error as Error).message}.`);
  }
}

/** The environment's export: exactly the bytes the API produced, with progress for large ones. */
async function exportText(ctx: Context, envId: string, label: string): Promise<string> {
  const response = await (await ctx.api()).send('exportEnvironment', { envId });
  if (!response.ok) {
    const text = await response.text();
    throw new ApiError(response.status, text ? (JSON.parse(text) as { message?: string }) : undefined, '');
  }
  const progress = ctx.progress(label);
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    text += decoder.decode(chunk, { stream: true });
    progress.update(`${(bytes / 1024).toFixed(0)} KB`);
  }
  text += decoder.decode();
  progress.done(`${(bytes / 1024).toFixed(0)} KB`);
  return text;
}

const counts = (c: Record<string, number>) => Object.entries(c).map(([kind, n]) => `${n} ${kind}`).join(', ') || 'nothing';

export function documentCommands(program: Command): void {
  leaf(program, 'export', 'Print an environment as a deterministic Flagsmith-format document', ['exportEnvironment'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(
      run(async (ctx, options: { environment: string; project?: string; output?: string }) => {
        const env = await ctx.environment(options.environment, options.project);
        const text = await exportText(ctx, env.id, `Exporting ${env.name}`);
        // Exactly the API's bytes, no newline added: the same environment exports the same bytes.
        if (options.output) await writeFile(options.output, text);
        else ctx.io.write(text);
      }),
    );

  const importCommand = program.command('import').description('Import documents from other systems');
  leaf(importCommand, 'flagsmith <file>', 'Import a Flagsmith environment document (features, values, splits, segments, overrides; identities keep their buckets), following the import job to its end', ['importFlagsmith', 'getImport'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .option('--dry-run', 'only say what would change')
    .action(
      run(async (ctx, file: string, options: { environment: string; project?: string; dryRun?: boolean; json?: boolean }) => {
        const { text } = await readDocument(file);
        const env = await ctx.environment(options.environment, options.project);
        const label = `${options.dryRun ? 'Planning the import of' : 'Importing'} ${file} (${((await stat(file)).size / 1024).toFixed(0)} KB) into ${env.name}`;
        // The API validates the whole document, stores it and answers 202 with a job, which
        // imports it in batches; follow the job to its end.
        const started = await (await ctx.api()).call<ImportJob>('importFlagsmith', { envId: env.id }, { body: text, query: { dryRun: options.dryRun ? 'true' : undefined } });
        const job = await followImport(ctx, env.id, started, ctx.progress(label));
        return reportImport(ctx, job, file, env.name, options.json);
      }),
    );
  leaf(importCommand, 'status <jobId>', "An import's status, progress and outcome (exit 1 if it failed); --wait follows it to its end", ['getImport'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .option('--wait', 'follow the import until it finishes')
    .action(
      run(async (ctx, jobId: string, options: { environment: string; project?: string; wait?: boolean; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        let job = await (await ctx.api()).call<ImportJob>('getImport', { envId: env.id, jobId });
        if (options.wait) job = await followImport(ctx, env.id, job, ctx.progress(`Import ${job.id} into ${env.name}`));
        return reportImport(ctx, job, `import ${job.id}`, env.name, options.json);
      }),
    );

  leaf(program, 'diff <file>', 'What importing a Flagsmith-format document into an environment would change, field by field (nothing is changed)', ['exportEnvironment'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .option('--exit-code', 'exit 1 when something would change (as `git diff --exit-code`)')
    .action(
      run(async (ctx, file: string, options: { environment: string; project?: string; exitCode?: boolean; json?: boolean }) => {
        const { document } = await readDocument(file);
        if (!document || typeof document !== 'object' || !Array.isArray(document.feature_states)) throw new UsageError(`${file} is not a Flagsmith environment document (no feature_states).`);
        const env = await ctx.environment(options.environment, options.project);
        const current = JSON.parse(await exportText(ctx, env.id, `Reading ${env.name}`)) as FlagsmithDocument;
        const diff = diffDocuments(env.name, current, document);
        ctx.print(options.json, { environment: { id: env.id, name: env.name }, ...diff }, () => formatDiff(diff, file, env.name));
        return options.exitCode && diff.changes.length > 0 ? 1 : 0;
      }),
    );

  leaf(program, 'types', "Print a TypeScript interface of a project's flags, for createClient<VexillaFlags>()", ['listFeatures'])
    .addOption(projectOption())
    .action(
      run(async (ctx, options: { project?: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const features = await (await ctx.api()).listAll<Feature>('listFeatures', { projectId: project.id });
        ctx.print(options.json, features, () => flagTypes(project.name, features));
      }),
    );
}

const TS_TYPES: Record<string, string> = { string: 'string', number: 'number', boolean: 'boolean', json: 'string' };

/** TypeScript for a project's flags: `createClient<VexillaFlags>(...)` then types `getValue`. */
export function flagTypes(project: string, features: readonly { name: string; valueType: string }[]): string {
  const lines = [...features]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((feature) => {
      // JSON values travel as strings in Flagsmith's formats; getJSON() parses them.
      const comment = feature.valueType === 'json' ? ' // JSON: read it with getJSON()' : '';
      return `  ${JSON.stringify(feature.name)}: ${TS_TYPES[feature.valueType] ?? 'unknown'} | null;${comment}`;
    });
  return [`// Generated by \`vexilla types\` for project ${project}. Regenerate when features change.`, 'export interface VexillaFlags {', ...lines, '  [name: string]: unknown;', '}', ''].join('\n');
}
