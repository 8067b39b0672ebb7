import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Which files start first. Vitest runs every project's files in one pool in the order its
 * sequencer returns. Projects stay contiguous (a worker that keeps its modules, isolate: false,
 * is reused by its project's next file), the process-level ones first: the README run alone is
 * over a third of the run's wall time, and starting it last would leave cores idle at the end
 * while it finishes. Within a project, the longest files first, so the run does not end with
 * one long file on one core (cfn-lint's, by size one of the smallest, used to end every run).
 */
const PROJECT_ORDER = ['e2e', 'dashboard', 'integration', 'integration-openfeature', 'unit'];

/**
 * How long the files that take seconds took in a full run on the project's 2-core machine
 * (`project:path` → s), for a fresh clone (CI's), which has no durations of its own. Only the
 * order matters: refresh it after a file's time changes a lot, from a full run's log.
 */
const KNOWN_DURATIONS: Record<string, number> = JSON.parse(readFileSync(new URL('./file-durations.json', import.meta.url), 'utf8'));

export default class LongestProjectsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const key = (file: TestSpecification) => `${file.project.name}:${relative(this.ctx.config.root, file.moduleId)}`;
    const rank = (file: TestSpecification) => {
      const index = PROJECT_ORDER.indexOf(file.project.name);
      return index === -1 ? PROJECT_ORDER.length : index;
    };
    /** ms: this checkout's last run of the file, else the known figure; undefined if neither. */
    const duration = (file: TestSpecification) => cache.getFileTestResults(key(file))?.duration ?? seconds(KNOWN_DURATIONS[key(file)]);
    const failed = (file: TestSpecification) => cache.getFileTestResults(key(file))?.failed === true;
    const size = (file: TestSpecification) => cache.getFileStats(key(file))?.size ?? 0;
    return [...files].sort((a, b) => {
      if (rank(a) !== rank(b)) return rank(a) - rank(b);
      // Files that failed last time first (vitest's rule), then the longest known, then by size.
      if (failed(a) !== failed(b)) return failed(a) ? -1 : 1;
      const [durationA, durationB] = [duration(a), duration(b)];
      if (durationA !== undefined && durationB !== undefined) return durationB - durationA;
      if (durationA !== undefined || durationB !== undefined) return durationA !== undefined ? -1 : 1;
      return size(b) - size(a);
    });
  }
}

const seconds = (value: number | undefined) => (value === undefined ? undefined : value * 1000);
