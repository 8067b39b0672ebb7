import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Which project's files start first. Vitest runs every project's files in one pool in the order
 * its sequencer returns, grouped by project name (alphabetical), longest first within a project
 * (by the last run's durations, or by file size on a fresh clone, which has no cache). The
 * process-level files are the run's longest (the README run alone is over a third of the run's
 * wall time): starting them last would leave two cores idle at the end while one file finishes.
 * Projects stay contiguous, so a worker that keeps its modules (isolate: false) is reused by its
 * project's next file.
 */
const PROJECT_ORDER = ['e2e', 'dashboard', 'integration', 'integration-openfeature', 'unit'];

export default class LongestProjectsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = PROJECT_ORDER.indexOf(file.project.name);
      return index === -1 ? PROJECT_ORDER.length : index;
    };
    // Array.prototype.sort is stable: within a project, vitest's own order is kept.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
