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
  leaf(importCommand, 'flagsmith <file>', 'Import a Flagsmith environment document (features, values, splits, segments, overrides; identities keep their buckets)', ['importFlagsmith'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .option('--dry-run', 'only say what would change')
    .action(
      run(async (ctx, file: string, options: { environment: string; project?: string; dryRun?: boolean; json?: boolean }) => {
        const { text } = await readDocument(file);
        const env = await ctx.environment(options.environment, options.project);
        const progress = ctx.progress(`${options.dryRun ? 'Planning the import of' : 'Importing'} ${file} (${((await stat(file)).size / 1024).toFixed(0)} KB) into ${env.name}`);
        const summary = await (await ctx.api()).call<ImportSummary>('importFlagsmith', { envId: env.id }, { body: text, query: { dryRun: options.dryRun ? 'true' : undefined } });
        progress.done();
        ctx.print(options.json, summary, () =>
          [
            summary.dryRun ? `Dry run: nothing was changed in ${env.name}.` : `Imported ${file} into ${env.name}.`,
            `  ${summary.dryRun ? 'would create' : 'created'}: ${counts(summary.created)}`,
            `  ${summary.dryRun ? 'would update' : 'updated'}: ${counts(summary.updated)}`,
            `  unchanged: ${summary.unchanged}`,
            ...(summary.refused ? [`  refused: ${summary.refused}`] : []),
          ].join('\n'),
        );
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
