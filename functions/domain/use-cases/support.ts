import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ActorRef, AdminToken, ChangeEvent, Environment, Organisation, Project } from '../entities.js';
import { Conflict } from '../errors.js';
import { type AlarmsPort, CommitConflict, type JobQueue, type RolloutStepTarget, type SchedulerPort, type Store, type UserDirectory, type Write } from '../ports.js';

/** What every use case gets: storage and a clock (tests and schedules move time). */
export interface Deps {
  store: Store;
  clock: () => Date;
  /** One-time schedules for scheduled changes; without it, scheduling is refused. */
  scheduler?: SchedulerPort | undefined;
  /** One-time schedules for rollout steps; without it (or `alarms`), rollouts are refused. */
  rolloutScheduler?: SchedulerPort<RolloutStepTarget> | undefined;
  /** The guard alarms' states (CloudWatch in production, simulated locally). */
  alarms?: AlarmsPort | undefined;
  /**
   * The alarm ARNs (a trailing `*` matches any suffix) this deployment may watch: its IAM grant
   * and alarm rule cover these only, so rollouts may name no others. Undefined: any (local stack).
   */
  guardAlarmArns?: readonly string[] | undefined;
  /**
   * Whether webhooks may target private, loopback and link-local addresses: only the local stack
   * (its receivers are on 127.0.0.1) sets it; the Lambdas leave it off. @default false
   */
  allowPrivateWebhookTargets?: boolean | undefined;
  /** The identity provider's user directory, where invitations create accounts (Vexilla's own Cognito pool). */
  directory?: UserDirectory | undefined;
  /**
   * Seconds an identity without overrides is kept after it was last seen (0: for ever).
   * @default 90 days (IDENTITY_IDLE_DAYS in the Lambdas)
   */
  identityIdleSeconds?: number | undefined;
  /** Runs background jobs (imports, purges); without it they wait for a sweep. */
  jobs?: JobQueue | undefined;
}

/**
 * The authenticated caller within one organisation, as access rules judge it and audit records
 * it: an admin token, or a person with the roles they hold there. Both decide through the same
 * `allows` (access.ts), so the same roles get the same answers.
 */
export type Actor = Pick<AdminToken, 'id' | 'name' | 'orgId' | 'roles' | 'environmentProjects'> & {
  type?: 'token' | 'user' | 'event' | 'tenant-user' | undefined;
  subject?: string | undefined;
  email?: string | undefined;
  tenant?: string | undefined;
};

/** How audit, events and change requests name the actor. */
export function actorRef(actor: Actor): ActorRef {
  return {
    tokenId: actor.id,
    name: actor.name,
    ...(actor.type ? { type: actor.type } : {}),
    ...(actor.subject !== undefined ? { subject: actor.subject } : {}),
    ...(actor.email !== undefined ? { email: actor.email } : {}),
    ...(actor.tenant !== undefined ? { tenant: actor.tenant } : {}),
  };
}

/** The resources a request is about, already loaded and authorised by the HTTP layer. */
export interface Resolved {
  organisation: Organisation;
  project?: Project | undefined;
  environment?: Environment | undefined;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random base62 string: `length` characters, ~5.95 bits each. */
export function randomToken(length: number): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps every character equally likely.
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    const byte = bytes[i] as number;
    if (byte < 248) out += ALPHABET[byte % 62];
  }
  return out.length === length ? out : out + randomToken(length - out.length);
}

/** Short, readable, unique ids: `prj_4fT9...`. */
export const newId = (prefix: string) => `${prefix}_${randomToken(16)}`;

/**
 * A UUID derived from a name (the RFC 4122 version-5 layout over SHA-1): the same name always
 * gives the same UUID, so hashing keys need not be stored before first use.
 */
export function stableUuid(name: string): string {
  const hex = createHash('sha1').update(`vexilla:${name}`).digest('hex');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Numbers for Flagsmith-format ids (features, segments, options), from one counter. */
export const allocateNumbers = (deps: Deps, count = 1) => deps.store.allocate('flagsmith-ids', count);

/** Secrets are high-entropy random strings, so a fast hash is the right tool (no key stretching needed). */
export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

export const isoNow = (deps: Deps) => deps.clock().toISOString();

export function changeEvent(
  deps: Deps,
  actor: Actor,
  event: Omit<ChangeEvent, 'type' | 'id' | 'actor' | 'at'>,
): ChangeEvent {
  return { type: 'event', id: randomUUID(), actor: actorRef(actor), at: isoNow(deps), ...event };
}

/** The write that records a change: the audit record and outbox entry, in the same commit. */
export function eventWrite(deps: Deps, actor: Actor, event: Omit<ChangeEvent, 'type' | 'id' | 'actor' | 'at'>): Write {
  return { kind: 'put', entity: changeEvent(deps, actor, event), expect: 'absent' };
}

/** Commits, turning a lost optimistic-concurrency race into a domain Conflict. */
export async function commitOrConflict(deps: Deps, writes: Write[], conflict: () => Promise<Conflict>): Promise<void> {
  try {
    await deps.store.commit(writes);
  } catch (error) {
    if (error instanceof CommitConflict) throw await conflict();
    throw error;
  }
}

/** The version a write expects: the caller's, or the one just read. A mismatch is a conflict. */
export function expectVersion(current: number, expected: number | undefined, what: string): number {
  if (expected !== undefined && expected !== current) {
    throw new Conflict(`${what} is at version ${current}, not ${expected}: reload and try again.`, { currentVersion: current });
  }
  return current;
}

/** Removes undefined fields, so partial updates only touch what was sent. */
export function defined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}
