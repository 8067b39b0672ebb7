/**
 * Scheduled changes: a change set, or an approved change request, applied once at an instant.
 * The schedule itself lives in a {@link SchedulerPort} (EventBridge Scheduler in production, an
 * in-process timer locally) and carries only the reference; applying reads the rest from the
 * table and commits conditionally on the scheduled change's version, so a schedule that fires
 * twice, late or concurrently applies once.
 */
import type * as z from 'zod';
import type { ChangeAction, Environment, ProposedChange, ScheduledChange } from '../entities.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { jsonBytes, LIMITS } from '../limits.js';
import { CommitConflict, type Page, type PageRequest, type Write } from '../ports.js';
import type * as schemas from '../schemas.js';
import { type ChangeDiff, conflictTarget, movedTargets, planChangeSet, proposeChanges } from './change-sets.js';
import { appliedWrites, approvalShortfall, getChangeRequest } from './change-requests.js';
import { directWriteConflict, directWriteRefusal, environmentUnchanged, refusalNow } from './governance.js';
import { type Actor, actorRef, commitOrConflict, type Deps, eventWrite, isoNow, newId } from './support.js';

const refuseWith = (conflict: Conflict | undefined): void => {
  if (conflict) throw conflict;
};

/** An environment's scheduled changes, every status. */
export const listScheduledChanges = (deps: Deps, environment: Environment, page: PageRequest): Promise<Page<ScheduledChange>> =>
  deps.store.list({ of: 'scheduled-changes', envId: environment.id }, page);

/** One scheduled change of the environment, or NotFound. */
export async function getScheduledChange(deps: Deps, environment: Environment, id: string): Promise<ScheduledChange> {
  const scheduled = await deps.store.get({ type: 'scheduled-change', envId: environment.id, id });
  if (!scheduled) throw new NotFound(`No scheduled change ${id} in this environment.`);
  return scheduled;
}

function scheduleWrites(deps: Deps, actor: Actor, before: ScheduledChange | null, after: ScheduledChange, action: ChangeAction): Write[] {
  return [
    { kind: 'put', entity: after, expect: before ? before.version : 'absent' },
    eventWrite(deps, actor, {
      detailType: 'schedule.changed',
      action,
      orgId: after.orgId,
      projectId: after.projectId,
      envId: after.envId,
      subject: { kind: 'scheduled-change', id: after.id },
      before,
      after,
      version: after.version,
    }),
  ];
}

/**
 * Schedules a change set (refused where the environment requires approvals) or an open change
 * request with enough approvals. The schedule is created first and deleted again if the commit fails.
 */
export async function createScheduledChange(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  body: z.infer<typeof schemas.createScheduledChangeBody>,
): Promise<ScheduledChange> {
  const scheduler = deps.scheduler;
  if (!scheduler) throw new Conflict('Scheduling is not configured in this deployment.');
  const runAt = new Date(body.runAt);
  if (runAt.getTime() <= deps.clock().getTime()) throw new Invalid('A scheduled change runs in the future.', [{ path: 'runAt', message: 'must be in the future' }]);
  let changes: ProposedChange[];
  let changeRequestId: string | undefined;
  // The rule this schedule passed, asked again of the environment as it is if the commit loses a race.
  let refusal: (now: Environment) => Conflict | undefined;
  if ('changeRequestId' in body) {
    const request = await getChangeRequest(deps, environment, body.changeRequestId);
    if (request.status !== 'open') throw new Conflict(`Change request ${request.id} is ${request.status}; only open requests can be scheduled.`);
    refusal = (now) => {
      const shortfall = approvalShortfall(now, request);
      return shortfall ? new Conflict(shortfall) : undefined;
    };
    refuseWith(refusal(environment));
    changes = request.changes;
    changeRequestId = request.id;
  } else {
    refusal = directWriteConflict;
    refuseWith(refusal(environment));
    changes = await proposeChanges(deps, environment, body.changes);
  }
  const at = isoNow(deps);
  const scheduled: ScheduledChange = {
    type: 'scheduled-change',
    // The run time leads the id, so an environment's list (keyed by id) comes in run-time order.
    id: newId(`sch_${runAt.toISOString().replace(/[-:]|\.\d+/g, '')}`),
    orgId: environment.orgId,
    projectId: environment.projectId,
    envId: environment.id,
    runAt: runAt.toISOString(),
    changes,
    ...(changeRequestId ? { changeRequestId } : {}),
    status: 'scheduled',
    createdBy: actorRef(actor),
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  await scheduler.create(scheduled.id, runAt, { envId: environment.id, scheduledChangeId: scheduled.id });
  try {
    await commitOrConflict(
      deps,
      [...scheduleWrites(deps, actor, null, scheduled, 'created'), environmentUnchanged(environment)],
      async () => (await refusalNow(deps, environment, refusal)) ?? new Conflict(`Environment ${environment.name} changed meanwhile: reload and try again.`),
    );
  } catch (error) {
    await scheduler.delete(scheduled.id);
    throw error;
  }
  return scheduled;
}

/** Cancels a waiting scheduled change, then deletes its schedule (a late fire finds it cancelled and does nothing). */
export async function cancelScheduledChange(deps: Deps, actor: Actor, environment: Environment, id: string): Promise<ScheduledChange> {
  const scheduled = await getScheduledChange(deps, environment, id);
  if (scheduled.status !== 'scheduled') throw new Conflict(`Scheduled change ${id} is ${scheduled.status}; only waiting changes can be cancelled.`, { status: scheduled.status });
  const next: ScheduledChange = { ...scheduled, status: 'cancelled', version: scheduled.version + 1, updatedAt: isoNow(deps) };
  await commitOrConflict(deps, scheduleWrites(deps, actor, scheduled, next, 'cancelled'), async () => new Conflict(`Scheduled change ${id} changed meanwhile: reload and try again.`));
  await deps.scheduler?.delete(id);
  return next;
}

/**
 * The diff a failed scheduled change keeps: as many conflicts (with their content) as fit
 * {@link LIMITS.conflictsBytes}, and the count of the rest, so marking it failed always fits its item.
 */
function keptConflicts(conflicts: ChangeDiff[]): Pick<ScheduledChange, 'conflicts' | 'conflictsOmitted'> {
  const kept: ChangeDiff[] = [];
  let bytes = 0;
  for (const conflict of conflicts) {
    bytes += jsonBytes(conflict);
    if (bytes > LIMITS.conflictsBytes) break;
    kept.push(conflict);
  }
  return { conflicts: kept, ...(kept.length < conflicts.length ? { conflictsOmitted: conflicts.length - kept.length } : {}) };
}

/** What a fire did: applied, failed (marked so, nothing applied) or skipped (not waiting, or not due). */
export type ApplyOutcome = { outcome: 'applied' | 'failed' | 'skipped'; reason?: string | undefined };

/**
 * The schedule's target. Applies the change set (or the change request, through its apply
 * path) and marks the scheduled change applied, in one commit conditional on its version. Does
 * nothing unless it is still `scheduled` and due; if it cannot apply (a target moved, the request
 * lost its approvals, the environment now requires approvals), marks it `failed` and applies nothing.
 */
export async function applyScheduledChange(deps: Deps, target: { envId: string; scheduledChangeId: string }, attempt = 1): Promise<ApplyOutcome> {
  const scheduled = await deps.store.get({ type: 'scheduled-change', envId: target.envId, id: target.scheduledChangeId });
  if (!scheduled) return { outcome: 'skipped', reason: 'no such scheduled change' };
  if (scheduled.status !== 'scheduled') return { outcome: 'skipped', reason: `already ${scheduled.status}` };
  if (deps.clock().getTime() < new Date(scheduled.runAt).getTime()) return { outcome: 'skipped', reason: 'not due yet' };
  const environment = await deps.store.get({ type: 'environment', id: scheduled.envId });
  // The schedule acts on behalf of whoever created it, so audit names them.
  const { tokenId, name, ...person } = scheduled.createdBy;
  const actor: Actor = { ...person, id: tokenId, name: `${name} (scheduled change ${scheduled.id})`, orgId: scheduled.orgId, roles: {} };
  const at = isoNow(deps);
  const fail = (failure: string, conflicts?: ChangeDiff[]) => {
    const next: ScheduledChange = { ...scheduled, status: 'failed', failure, ...(conflicts ? keptConflicts(conflicts) : {}), version: scheduled.version + 1, updatedAt: at };
    return { writes: scheduleWrites(deps, actor, scheduled, next, 'failed'), failure };
  };

  let plan: { writes: Write[]; failure?: string };
  if (!environment) plan = fail('The environment no longer exists.');
  else {
    let changes = scheduled.changes;
    let refusal: string | undefined;
    const extra: Write[] = [];
    if (scheduled.changeRequestId) {
      const request = await deps.store.get({ type: 'change-request', envId: scheduled.envId, id: scheduled.changeRequestId });
      refusal = !request ? 'The change request no longer exists.' : request.status !== 'open' ? `The change request is ${request.status}.` : approvalShortfall(environment, request);
      if (request && !refusal) {
        changes = request.changes;
        extra.push(...appliedWrites(deps, actor, request).writes);
      }
    } else refusal = directWriteRefusal(environment);
    if (refusal) plan = fail(refusal);
    else {
      const planned = await planChangeSet(deps, actor, environment, changes);
      if (planned.conflicts.length) {
        plan = fail(`${movedTargets(planned.conflicts)} changed since the change was scheduled: ${planned.conflicts.map(conflictTarget).join(', ')}.`, planned.conflicts);
      } else if (planned.documentProblem) {
        plan = fail(planned.documentProblem);
      } else {
        const next: ScheduledChange = { ...scheduled, status: 'applied', appliedAt: at, version: scheduled.version + 1, updatedAt: at };
        // Conditional on the environment whose rule was just checked: a rule raised meanwhile loses the race, and the retry fails the change.
        plan = { writes: [...planned.writes, ...extra, ...scheduleWrites(deps, actor, scheduled, next, 'applied'), environmentUnchanged(environment)] };
        // A change request that starts a rollout schedules its next step first.
        for (const step of planned.prepare) await step();
      }
    }
  }
  try {
    await deps.store.commit(plan.writes);
  } catch (error) {
    // Another fire won the race, or a target moved in between: read again and decide again.
    if (error instanceof CommitConflict && attempt < 3) return applyScheduledChange(deps, target, attempt + 1);
    throw error;
  }
  return plan.failure ? { outcome: 'failed', reason: plan.failure } : { outcome: 'applied' };
}
