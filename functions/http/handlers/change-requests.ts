import * as useCases from '../../domain/use-cases/change-requests.js';
import * as schemas from '../../domain/schemas.js';
import { bodyAs, environmentOf, type Handler, ok, param, queryAs } from './context.js';

const id = (c: Parameters<Handler>[0]) => param(c, 'changeRequestId');
const version = (c: Parameters<Handler>[0]) => bodyAs(c, schemas.changeRequestActionBody).version;

export const listChangeRequests: Handler = async (c) => ok(await useCases.listChangeRequests(c.deps, environmentOf(c), queryAs(c, schemas.listQuery)));
export const createChangeRequest: Handler = async (c) =>
  ok(await useCases.createChangeRequest(c.deps, c.actor, environmentOf(c), bodyAs(c, schemas.createChangeRequestBody)));
export const getChangeRequest: Handler = async (c) => ok(await useCases.getChangeRequest(c.deps, environmentOf(c), id(c)));
export const updateChangeRequest: Handler = async (c) =>
  ok(await useCases.updateChangeRequest(c.deps, c.actor, environmentOf(c), id(c), bodyAs(c, schemas.updateChangeRequestBody)));
export const approveChangeRequest: Handler = async (c) => ok(await useCases.approveChangeRequest(c.deps, c.actor, environmentOf(c), id(c), version(c)));
export const commentChangeRequest: Handler = async (c) =>
  ok(await useCases.commentChangeRequest(c.deps, c.actor, environmentOf(c), id(c), bodyAs(c, schemas.commentChangeRequestBody).text));
export const applyChangeRequest: Handler = async (c) => ok(await useCases.applyChangeRequest(c.deps, c.actor, environmentOf(c), id(c), version(c)));
export const closeChangeRequest: Handler = async (c) => ok(await useCases.closeChangeRequest(c.deps, c.actor, environmentOf(c), id(c), version(c)));
