/**
 * Purges: what a deleted entity owned, removed in the background, in as many transactions as it
 * takes. The deletion itself is one transaction (the entity, its audit event and this job), and
 * from then on nothing it owned applies: feature states and overrides are keyed by the ids of
 * features, segments and environments that no longer exist, so no snapshot, document or listing
 * reaches them. The purge only reclaims the storage; it is idempotent, so a run that dies is
 * simply resumed from its last batch.
 */
import type { ChangeEvent, Identity, IdentityOverride, Job, PurgeTarget } from '../entities.js';
import { identityWrite, idleSecondsOf } from '../identities.js';
import { type Collection, type CollectionItems, entityRef, type Write } from '../ports.js';
import { type JobRun, MAX_JOB_WRITES, newJob, startJob, type WorkOutcome } from './jobs.js';
import { type Actor, type Deps, isoNow, newId } from './support.js';

/** What purges walk: never audit records (history is kept). */
type Item = Exclude<CollectionItems[Collection['of']], ChangeEvent>;

/** One walk over a collection, deleting what it selects. */
interface Sweep {
  collection: Collection;
  /** Deletes only these (the rest of the collection belongs to others). @default everything */
  select?: (item: Item) => boolean;
  /** What a selected item owns in turn, deleted before it (a feature state's versions). */
  owned?: (item: Item) => Collection;
  /** Items per batch. @default MAX_JOB_WRITES */
  pageSize?: number;
  /** Writes that must go with the batch's deletes (see identity overrides). */
  alongside?: (deps: Deps, deleted: Item[]) => Promise<Write[]>;
}

/** The sweeps that purge what a deleted entity owned, in order. Pure: the same target gives the same sweeps, so a resumed purge continues where it was. */
export function sweepsOf(target: PurgeTarget): Sweep[] {
  switch (target.type) {
    case 'feature': {
      const ofFeature = (item: Item) => 'featureId' in item && item.featureId === target.featureId;
      return target.envIds.flatMap((envId): Sweep[] => [
        { collection: { of: 'feature-state-versions', envId, featureId: target.featureId } },
        { collection: { of: 'segment-overrides', envId, featureId: target.featureId } },
        { collection: { of: 'tenant-overrides', envId, featureId: target.featureId } },
        // An identity left without overrides starts its idle time again: its update goes in the same batch.
        { collection: { of: 'environment-identity-overrides', envId }, select: ofFeature, pageSize: 49, alongside: unpinIdentities },
        { collection: { of: 'feature-states', envId }, select: ofFeature },
      ]);
    }
    case 'segment':
      return target.envIds.map((envId) => ({
        collection: { of: 'segment-overrides', envId },
        select: (item: Item) => item.type === 'segment-override' && item.segmentId === target.segmentId,
      }));
    case 'webhook':
      return [{ collection: { of: 'webhook-deliveries', webhookId: target.webhookId } }];
    case 'environment': {
      const { envId } = target;
      return [
        ...target.webhookIds.map((webhookId): Sweep => ({ collection: { of: 'webhook-deliveries', webhookId } })),
        { collection: { of: 'feature-states', envId }, owned: (state) => ({ of: 'feature-state-versions', envId, featureId: (state as { featureId: string }).featureId }) },
        { collection: { of: 'environment-identity-overrides', envId } },
        { collection: { of: 'identities', envId } },
        { collection: { of: 'deleting-identities', envId } },
        { collection: { of: 'api-keys', envId } },
        // Whatever else lives in the environment's partition: overrides, webhooks, change requests, schedules, the document marker.
        { collection: { of: 'environment-items', envId } },
      ];
    }
    case 'project':
      // Tenants last: a purge of an older release resumes at the same sweep positions.
      return [
        { collection: { of: 'features', projectId: target.projectId } },
        { collection: { of: 'segments', projectId: target.projectId } },
        { collection: { of: 'tenants', projectId: target.projectId } },
        { collection: { of: 'templates', projectId: target.projectId } },
      ];
  }
}

const deleteOf = (item: Item): Write => ({ kind: 'delete', ref: entityRef(item) });

/** Identities whose last overrides these are: written without the pin, so they expire again when idle. */
async function unpinIdentities(deps: Deps, deleted: Item[]): Promise<Write[]> {
  const byIdentity = new Map<string, IdentityOverride[]>();
  for (const item of deleted as IdentityOverride[]) byIdentity.set(item.identifier, [...(byIdentity.get(item.identifier) ?? []), item]);
  const writes: Write[] = [];
  for (const [identifier, going] of byIdentity) {
    const envId = going[0]?.envId as string;
    const items = await deps.store.listAll({ of: 'identity-with-overrides', envId, identifier });
    const identity = items.find((item): item is Identity => item.type === 'identity');
    const left = items.filter((item) => item.type === 'identity-override' && !going.some((o) => o.featureId === (item as IdentityOverride).featureId));
    if (!identity || identity.deletedAt || !identity.hasOverrides || left.length > 0) continue;
    const at = isoNow(deps);
    writes.push(identityWrite({ ...identity, hasOverrides: undefined, lastSeenAt: at, version: identity.version + 1 }, idleSecondsOf(deps.identityIdleSeconds), identity.version));
  }
  return writes;
}

/** Deletes everything in a collection, page by page (a feature state's versions). */
async function deleteAll(deps: Deps, collection: Collection): Promise<void> {
  for (;;) {
    const page = await deps.store.list(collection, { limit: 100 });
    if (page.items.length === 0) return;
    await deps.store.commit((page.items as Item[]).map(deleteOf));
    if (!page.cursor && page.items.length < 100) return;
  }
}

/** A purge's work: each sweep page by page, each batch committed with the job's position. */
export async function workPurge(deps: Deps, run: JobRun): Promise<WorkOutcome> {
  if (run.job.input.kind !== 'purge') throw new Error(`Job ${run.job.id} is not a purge.`);
  const sweeps = sweepsOf(run.job.input.target);
  let position = run.job.position ?? { sweep: 0 };
  while (position.sweep < sweeps.length) {
    if (Date.now() >= run.deadline) return { status: 'continue' };
    const sweep = sweeps[position.sweep] as Sweep;
    const page = await deps.store.list(sweep.collection, { limit: sweep.pageSize ?? MAX_JOB_WRITES, cursor: position.cursor });
    const items = page.items as Item[];
    const chosen = sweep.select ? items.filter(sweep.select) : items;
    for (const item of chosen) if (sweep.owned) await deleteAll(deps, sweep.owned(item));
    const writes = [...chosen.map(deleteOf), ...(sweep.alongside ? await sweep.alongside(deps, chosen) : [])];
    const next = page.cursor ? { sweep: position.sweep, cursor: page.cursor } : { sweep: position.sweep + 1 };
    await run.commit(writes, { position: next, progress: { done: run.job.progress.done + chosen.length, total: null } });
    position = next;
  }
  return { status: 'succeeded' };
}

/**
 * The job that purges what `target` owned: commit it with the deletion (so the purge cannot be
 * lost), then {@link startPurge}.
 */
export function purgeJob(deps: Deps, actor: Actor, target: PurgeTarget, scope: Pick<Job, 'orgId' | 'projectId' | 'envId'>): Job {
  return newJob(deps, { id: newId('job'), ...scope, input: { kind: 'purge', target }, actor: { tokenId: actor.id, name: actor.name } });
}

export const startPurge = (deps: Deps, job: Job) => startJob(deps, job.id);
