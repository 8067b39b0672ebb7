/** What each kind of job does: the registry the runners (job-runner function, local queue) hand to `runJob`. */
import type { Job } from '../entities.js';
import { workImport } from './import-flagsmith.js';
import type { JobWork } from './jobs.js';
import { workPurge } from './purges.js';

export const jobWorks: Record<Job['input']['kind'], JobWork> = { import: workImport, purge: workPurge };
