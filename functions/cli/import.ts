import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ImportSummary } from '../domain/use-cases/import-flagsmith.js';
import { apiTarget, callApi } from './api-client.js';
import { type Command, UsageError } from './command.js';

export const importCommand: Command = {
  summary: 'Import a Flagsmith environment document into an environment',
  usage: `Usage: vexilla import flagsmith <file> --environment <envId> [--dry-run] [--json]

Loads a Flagsmith environment document (the JSON of Flagsmith's environment-document/
endpoint) into the environment: features, values, multivariate weights, segments, overrides.
Identities keep their buckets. Importing twice changes nothing.

Options:
  --environment <id>   The Vexilla environment to import into
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
    const target = await apiTarget();
    const summary = await callApi<ImportSummary>(
      target,
      'POST',
      `/admin/v1/environments/${encodeURIComponent(values.environment)}/import${values['dry-run'] ? '?dryRun=true' : ''}`,
      document,
    );
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
        ].join('\n'),
      );
    }
    return 0;
  },
};
