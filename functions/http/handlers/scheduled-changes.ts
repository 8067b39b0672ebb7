import * as useCases from '../../domain/use-cases/scheduled-changes.js';
import * as schemas from '../../domain/schemas.js';
import { bodyAs, environmentOf, type Handler, ok, param, queryAs } from './context.js';

export const listScheduledChanges: Handler = async (c) => ok(await useCases.listScheduledChanges(c.deps, environmentOf(c), queryAs(c, schemas.listQuery)));
export const createScheduledChange: Handler = async (c) =>
  ok(await useCases.createScheduledChange(c.deps, c.actor, environmentOf(c), bodyAs(c, schemas.createScheduledChangeBody)));
export const getScheduledChange: Handler = async (c) => ok(await useCases.getScheduledChange(c.deps, environmentOf(c), param(c, 'scheduledChangeId')));
export const cancelScheduledChange: Handler = async (c) =>
  ok(await useCases.cancelScheduledChange(c.deps, c.actor, environmentOf(c), param(c, 'scheduledChangeId')));
