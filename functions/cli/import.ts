import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ImportSummary, ImportView } from '../domain/use-cases/import-flagsmith.js';
import { apiTarget, type ApiTarget, callApi } from './api-client.js';
import { type Command, UsageError } from './command.js';
import { environmentOf } from './resources.js';

/** How often the CLI asks an import job how far it got. */
const POLL_MS = 500;

/**
 * Starts an import job and waits for it, calling `onProgress` as it moves. Resolves with the
 * summary of what changed (or would change); rejects with the job's error when it fails.
 */
export async function importDocument(
  target: ApiTarget,
  envId: string,
  document: unknown,
  options: { dryRun: boolean; onProgress?: (view: ImportView) => void },
): Promise<ImportSummary> {
  let view = await callApi<ImportView>(target, 'POST', `/admin/v1/environments/${encodeURIComponent(envId)}/import${options.dryRun ? '?dryRun=true' : ''}`, document);
  let last = '';
  while (view.status === 'queued' || view.status === 'running') {
    const seen = `${view.status} ${view.progress.done}/${view.progress.total}`;
    if (seen !== last) options.onProgress?.(view);
    last = seen;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    view = await callApi<ImportView>(target, 'GET', view.location);
  }
  if (view.status === 'failed') {
    const details = view.error?.details ? `\n${JSON.stringify(view.error.details, null, 2)}` : '';
    throw new Error(`Import ${view.id} failed: ${view.error?.message ?? 'unknown error'}${details}`);
  }
  return view.summary as ImportSummary;
}

export const importCommand: Command = {
  summary: 'Import a Flagsmith environment document into an environment',
  usage: `Usage: vexilla import flagsmith <file> --environment <id|name> [--dry-run] [--json]

Loads a Flagsmith environment document (the JSON of Flagsmith's environment-document/
endpoint) into the environment: features, values, multivariate weights, segments, overrides.
Identities keep their buckets. Importing twice changes nothing.

The document is checked as a whole first (nothing is written if any part is refused), then
imported by a job on the server; this command follows its progress until it is done. If it
stops part-way, importing the same document again finishes it.

Options:
  --environment <id>   The Vexilla environment to import into (an id, or a name from .vexilla/local.json)
  --dry-run            Only say what would change
  --json               Print the summary as JSON
  -h, --help           Show this help`,
  async run(argv, io) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          environment: { type: 'string' },
          'dry-run': { type: 'boolean', default: false },
          json: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h', default: false },
        },
        allowPositionals: true,
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      io.out(this.usage);
      return 0;
    }
    const [source, file] = positionals;
    if (source !== 'flagsmith') throw new UsageError('Only "flagsmith" documents can be imported.');
    if (!file) throw new UsageError('Name the document file.');
    if (!values.environment) throw new UsageError('--environment is required.');
    let document: unknown;
    try {
      document = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new Error(`Could not read ${file} as JSON: ${(error as Error).message}`);
    }
    const dryRun = values['dry-run'];
    const summary = await importDocument(await apiTarget(), await environmentOf(values), document, {
      dryRun,
      // Progress goes to stderr, so --json output stays parseable.
      onProgress: (view) => io.err(view.progress.total === null ? `Import ${view.id}: ${view.status}` : `Import ${view.id}: ${view.progress.done}/${view.progress.total} changes`),
    });
    if (values.json) {
      io.out(JSON.stringify(summary));
    } else {
      const list = (counts: Record<string, number>) => Object.entries(counts).map(([kind, n]) => `${n} ${kind}`).join(', ') || 'nothing';
      io.out(
        [
          summary.dryRun ? 'Dry run: nothing was changed.' : 'Imported.',
          `  created:   ${list(summary.created)}`,
          `  updated:   ${list(summary.updated)}`,
          `  unchanged: ${summary.unchanged}`,
          ...(summary.refused ? [`  refused:   ${summary.refused}`] : []),
        ].join('\n'),
      );
    }
    return 0;
  },
};
