/**
 * Change requests: a proposed change set for one environment, approved by people other than its
 * author and applied atomically through the one write path. Approval binds to the exact changes:
 * editing them empties the approvals. Every step commits a `change-request.changed` event.
 */
import type * as z from 'zod';
import type { ChangeAction, ChangeRequest, Environment } from '../entities.js';
import { Conflict, Forbidden, NotFound, TooLarge } from '../errors.js';
import { formatBytes, jsonBytes, LIMITS } from '../limits.js';
import type { Page, PageRequest, Write } from '../ports.js';
import type * as schemas from '../schemas.js';
import { applyChangeSet, proposeChanges } from './change-sets.js';
import { requiredApprovalsOf } from './governance.js';
import { cancelledRolloutWrites } from './rollout-steps.js';
import { type Actor, actorRef, commitOrConflict, type Deps, eventWrite, expectVersion, isoNow, newId } from './support.js';

/** An environment's change requests, newest first. */
export const listChangeRequests = (deps: Deps, environment: Environment, page: PageRequest): Promise<Page<ChangeRequest>> =>
  deps.store.list({ of: 'change-requests', envId: environment.id }, page);

/** One change request of the environment, or NotFound. */
export async function getChangeRequest(deps: Deps, environment: Environment, id: string): Promise<ChangeRequest> {
  const request = await deps.store.get({ type: 'change-request', envId: environment.id, id });
  if (!request) throw new NotFound(`No change request ${id} in this environment.`);
  return request;
}

/** The commit of one step: the request (conditional on the version it replaces) and its event. */
export function changeRequestWrites(deps: Deps, actor: Actor, before: ChangeRequest | null, after: ChangeRequest, action: ChangeAction): Write[] {
  return [
    { kind: 'put', entity: after, expect: before ? before.version : 'absent' },
    eventWrite(deps, actor, {
      detailType: 'change-request.changed',
      action,
      orgId: after.orgId,
      projectId: after.projectId,
      envId: after.envId,
      subject: { kind: 'change-request', id: after.id, title: after.title },
      before,
      after,
      version: after.version,
    }),
  ];
}

/** Loads an open request at the version the caller saw, ready for its next step. */
async function openRequest(deps: Deps, environment: Environment, id: string, expected: number | undefined): Promise<ChangeRequest> {
  const request = await getChangeRequest(deps, environment, id);
  expectVersion(request.version, expected, `Change request ${id}`);
  if (request.status !== 'open') throw new Conflict(`Change request ${id} is ${request.status}; only open requests change.`, { status: request.status });
  return request;
}

const stamp = (deps: Deps, request: ChangeRequest, changes: Partial<ChangeRequest>): ChangeRequest => ({
  ...request,
  ...changes,
  version: request.version + 1,
  updatedAt: isoNow(deps),
});

async function step(deps: Deps, actor: Actor, before: ChangeRequest, after: ChangeRequest, action: ChangeAction): Promise<ChangeRequest> {
  await commitOrConflict(deps, changeRequestWrites(deps, actor, before, after, action), async () => new Conflict(`Change request ${before.id} changed meanwhile: reload and try again.`));
  return after;
}

/** A new open change request by `actor`, not stored yet. */
export function newChangeRequest(deps: Deps, actor: Actor, environment: Environment, fields: Pick<ChangeRequest, 'title' | 'description' | 'changes'>): ChangeRequest {
  const at = isoNow(deps);
  return {
    type: 'change-request',
    id: newId('cr'),
    orgId: environment.orgId,
    projectId: environment.projectId,
    envId: environment.id,
    ...fields,
    author: actorRef(actor),
    approvals: [],
    comments: [],
    status: 'open',
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}

/** Opens a change request; its changes are resolved to complete content against the current states. */
export async function createChangeRequest(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  body: z.infer<typeof schemas.createChangeRequestBody>,
): Promise<ChangeRequest> {
  const changes = await proposeChanges(deps, environment, body.changes);
  const request = newChangeRequest(deps, actor, environment, { title: body.title, description: body.description, changes });
  await commitOrConflict(deps, changeRequestWrites(deps, actor, null, request, 'created'), async () => new Conflict('That change request already exists.'));
  return request;
}

/** Edits an open request. New changes are resolved again and empty the approvals: approval binds to exact changes. */
export async function updateChangeRequest(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  id: string,
  body: z.infer<typeof schemas.updateChangeRequestBody>,
): Promise<ChangeRequest> {
  const request = await openRequest(deps, environment, id, body.version);
  if (body.changes && request.changes.some((change) => change.target === 'rollout')) {
    throw new Conflict(`Change request ${id} starts a rollout, whose plan cannot be edited: close it (the rollout is cancelled) and create the rollout again.`);
  }
  if (body.changes && request.changes.some((change) => change.target === 'template-values')) {
    throw new Conflict(`Change request ${id} changes a template's values, which cannot be edited here: close it and put the template's values again.`);
  }
  const changes = body.changes ? { changes: await proposeChanges(deps, environment, body.changes), approvals: [] } : {};
  const next = stamp(deps, request, {
    ...(body.title !== undefined ? { title: body.title } : {}),
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...changes,
  });
  return step(deps, actor, request, next, 'updated');
}

/** Approves an open request: never its author's own, once per approver, for the version the approver saw. */
export async function approveChangeRequest(deps: Deps, actor: Actor, environment: Environment, id: string, expected: number | undefined): Promise<ChangeRequest> {
  const request = await openRequest(deps, environment, id, expected);
  if (request.author.tokenId === actor.id) throw new Forbidden('The author of a change request cannot approve it: ask someone else.');
  if (request.approvals.some((approval) => approval.tokenId === actor.id)) throw new Conflict('You have already approved this change request.');
  const next = stamp(deps, request, { approvals: [...request.approvals, { ...actorRef(actor), at: isoNow(deps) }] });
  return step(deps, actor, request, next, 'approved');
}

/** Adds a comment (open or not: discussion may continue after a request is applied or closed). */
export async function commentChangeRequest(deps: Deps, actor: Actor, environment: Environment, id: string, text: string): Promise<ChangeRequest> {
  const request = await getChangeRequest(deps, environment, id);
  const comment = { id: newId('cmt'), ...actorRef(actor), at: isoNow(deps), text };
  const comments = [...request.comments, comment];
  // The discussion lives in the request's own item: it has a budget, so approving and closing always fit.
  const bytes = jsonBytes(comments);
  if (bytes > LIMITS.commentsBytes) {
    throw new TooLarge(`Change request ${id} holds ${formatBytes(LIMITS.commentsBytes)} of comments at most; this one would bring them to ${bytes} bytes. Continue the discussion elsewhere.`, {
      commentsBytes: bytes,
      limitBytes: LIMITS.commentsBytes,
    });
  }
  return step(deps, actor, request, stamp(deps, request, { comments }), 'commented');
}

/** The writes that close an open request (event action `cancelled`). */
export function closedWrites(deps: Deps, actor: Actor, request: ChangeRequest): { next: ChangeRequest; writes: Write[] } {
  const next = stamp(deps, request, { status: 'closed' });
  return { next, writes: changeRequestWrites(deps, actor, request, next, 'cancelled') };
}

/** Closes an open request without applying it (event action `cancelled`); a rollout it would have started is cancelled with it. */
export async function closeChangeRequest(deps: Deps, actor: Actor, environment: Environment, id: string, expected: number | undefined): Promise<ChangeRequest> {
  const request = await openRequest(deps, environment, id, expected);
  const { next, writes } = closedWrites(deps, actor, request);
  const rollouts = await cancelledRolloutWrites(deps, actor, environment, request.changes);
  await commitOrConflict(deps, [...writes, ...rollouts], async () => new Conflict(`Change request ${id} changed meanwhile: reload and try again.`));
  return next;
}

/** Why an open request may not apply yet (too few approvals under the environment's current rule), or undefined. */
export function approvalShortfall(environment: Environment, request: ChangeRequest): string | undefined {
  const required = requiredApprovalsOf(environment);
  if (request.approvals.length >= required) return undefined;
  return `Change request ${request.id} has ${request.approvals.length} of the ${required} approval${required === 1 ? '' : 's'} environment ${environment.name} requires.`;
}

/** The 409 of a request with too few approvals under the environment's rule, or undefined. */
function shortfallConflict(environment: Environment, request: ChangeRequest): Conflict | undefined {
  const shortfall = approvalShortfall(environment, request);
  return shortfall ? new Conflict(shortfall, { approvals: request.approvals.length, requiredApprovals: requiredApprovalsOf(environment) }) : undefined;
}

/**
 * The writes that mark a request applied, to commit with its changes (and, for a scheduled apply,
 * the schedule's own update).
 */
export function appliedWrites(deps: Deps, actor: Actor, request: ChangeRequest): { next: ChangeRequest; writes: Write[] } {
  const next = stamp(deps, request, { status: 'applied', appliedAt: isoNow(deps), appliedBy: actor.id });
  return { next, writes: changeRequestWrites(deps, actor, request, next, 'applied') };
}

/**
 * Applies an open, sufficiently approved request: every change, the request's new status and
 * all events in one commit. If any target moved since it was proposed: 409 with the diff, nothing applied.
 */
export async function applyChangeRequest(deps: Deps, actor: Actor, environment: Environment, id: string, expected: number | undefined): Promise<ChangeRequest> {
  const request = await openRequest(deps, environment, id, expected);
  const shortfall = shortfallConflict(environment, request);
  if (shortfall) throw shortfall;
  const { next, writes } = appliedWrites(deps, actor, request);
  // The approvals were counted against this environment's rule: an admin raising it meanwhile refuses the apply.
  await applyChangeSet(deps, actor, environment, request.changes, writes, (now) => shortfallConflict(now, request), async () => new Conflict(`Change request ${id} changed meanwhile: reload and try again.`));
  return next;
}
