import * as useCases from '../../domain/use-cases/rollouts.js';
import * as schemas from '../../domain/schemas.js';
import { bodyAs, environmentOf, type Handler, ok, param, queryAs } from './context.js';

const version = (c: Parameters<Handler>[0]) => bodyAs(c, schemas.rolloutActionBody).version;

export const listRollouts: Handler = async (c) => ok(await useCases.listRollouts(c.deps, environmentOf(c), queryAs(c, schemas.listQuery)));
export const createRollout: Handler = async (c) => ok(await useCases.createRollout(c.deps, c.actor, environmentOf(c), bodyAs(c, schemas.createRolloutBody)));
export const getRollout: Handler = async (c) => ok(await useCases.getRollout(c.deps, environmentOf(c), param(c, 'rolloutId')));
export const getRolloutAlarms: Handler = async (c) => ok(await useCases.guardAlarmStates(c.deps, environmentOf(c), param(c, 'rolloutId')));
export const pauseRollout: Handler = async (c) => ok(await useCases.pauseRollout(c.deps, c.actor, environmentOf(c), param(c, 'rolloutId'), version(c)));
export const resumeRollout: Handler = async (c) => ok(await useCases.resumeRollout(c.deps, c.actor, environmentOf(c), param(c, 'rolloutId'), version(c)));
export const advanceRollout: Handler = async (c) => ok(await useCases.advanceRollout(c.deps, c.actor, environmentOf(c), param(c, 'rolloutId'), version(c)));
export const abortRollout: Handler = async (c) => ok(await useCases.abortRollout(c.deps, c.actor, environmentOf(c), param(c, 'rolloutId'), version(c)));
export const simulateAlarm: Handler = async (c) => ok(await useCases.simulateAlarm(c.deps, bodyAs(c, schemas.simulateAlarmBody)));
