/**
 * A vitest reporter that says which test files pay vitest's "import" time and for what: per file,
 * its import (vitest's collect: loading the file and what it imports that its worker had not loaded
 * yet, then running its describe blocks), its setup files and its tests; at the end, the files
 * that paid most, each with the modules that took longest (vitest records those only when asked,
 * hence the last option). Add it to a run:
 *
 *   npx vitest run --reporter=default --reporter=./test/support/import-times-reporter.ts --experimental.importDurations.limit=10
 *
 * Times are wall times in the worker (a busy machine stretches them). In a project with
 * `isolate: false` (unit, integration) a worker keeps what it loaded: the first file of each
 * worker pays for the shared modules, and later ones only for what is new to that worker.
 */
import type { Reporter, TestModule } from 'vitest/node';

interface FileTimes {
  file: string;
  project: string;
  importMs: number;
  setupMs: number;
  testsMs: number;
  /** The modules whose import took longest (their own evaluation plus their imports). */
  slowest: string[];
}

const ms = (value: number) => `${(value / 1000).toFixed(1)} s`;

export default class ImportTimesReporter implements Reporter {
  private readonly files: FileTimes[] = [];

  onTestModuleEnd(module: TestModule): void {
    const diagnostic = module.diagnostic();
    const root = module.project.config.root;
    const slowest = Object.entries(diagnostic.importDurations ?? {})
      .filter(([id]) => id !== module.moduleId)
      .sort(([, a], [, b]) => b.totalTime - a.totalTime)
      .slice(0, 4)
      .map(([id, time]) => `${id.replace(`${root}/`, '')} ${ms(time.totalTime)}`);
    this.files.push({
      file: module.moduleId.replace(`${root}/`, ''),
      project: module.project.name,
      importMs: diagnostic.collectDuration,
      setupMs: diagnostic.setupDuration,
      testsMs: diagnostic.duration,
      slowest,
    });
  }

  onTestRunEnd(): void {
    if (this.files.length === 0) return;
    const byProject = new Map<string, number>();
    for (const times of this.files) byProject.set(times.project, (byProject.get(times.project) ?? 0) + times.importMs);
    const lines = [`import time by project: ${[...byProject].map(([project, total]) => `${project} ${ms(total)}`).join(', ')}`];
    for (const times of [...this.files].sort((a, b) => b.importMs - a.importMs).slice(0, 25)) {
      lines.push(`  ${ms(times.importMs).padStart(7)} import, ${ms(times.setupMs)} setup, ${ms(times.testsMs)} tests  ${times.project} ${times.file}`);
      for (const module of times.slowest) lines.push(`            ${module}`);
    }
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
}
