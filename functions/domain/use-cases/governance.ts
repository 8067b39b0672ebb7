/**
 * Governance: an environment that requires approvals changes its feature states, segment
 * overrides and tenant overrides only through approved change requests. Every other path (the
 * API, import, restore, raw scheduled changes) asks {@link refuseDirectWrites} first, so the rule
 * lives in one place. Identity overrides stay direct (see targeting.ts).
 *
 * The rule is read before the write commits, so each governed commit also carries
 * {@link environmentUnchanged}: if an admin changed the environment (turned governance on,
 * raised the approvals) in between, the commit fails and nothing is written.
 */
import type { Environment } from '../entities.js';
import { Conflict } from '../errors.js';
import { CommitConflict, type Write } from '../ports.js';
import type { Deps } from './support.js';

/** Approvals a change request of this environment needs (0 for environments stored before governance). */
export const requiredApprovalsOf = (environment: Pick<Environment, 'requiredApprovals'>): number => environment.requiredApprovals ?? 0;

/** Why a direct write is refused in this environment, or undefined when direct writes are allowed. */
export function directWriteRefusal(environment: Pick<Environment, 'name' | 'requiredApprovals'>): string | undefined {
  const required = requiredApprovalsOf(environment);
  if (required === 0) return undefined;
  return `Environment ${environment.name} requires ${required} approval${required === 1 ? '' : 's'} for changes to feature states and overrides: open a change request instead.`;
}

/** The 409 of a direct write in this environment, or undefined when direct writes are allowed. */
export function directWriteConflict(environment: Pick<Environment, 'name' | 'requiredApprovals'>): Conflict | undefined {
  const refusal = directWriteRefusal(environment);
  return refusal ? new Conflict(refusal, { requiredApprovals: requiredApprovalsOf(environment) }) : undefined;
}

/** Throws a Conflict when the environment requires approvals, so feature states and segment / tenant overrides change only through change requests. */
export function refuseDirectWrites(environment: Pick<Environment, 'name' | 'requiredApprovals'>): void {
  const conflict = directWriteConflict(environment);
  if (conflict) throw conflict;
}

/**
 * The write that keeps a governance decision true at commit: the environment is still at the
 * version whose `requiredApprovals` the decision read. Never commit it with a put or delete of
 * the environment itself (one operation per item); that put's own version condition says the same.
 */
export const environmentUnchanged = (environment: Pick<Environment, 'id' | 'version'>): Write => ({
  kind: 'check',
  ref: { type: 'environment', id: environment.id },
  expect: environment.version,
});

/**
 * After a governed commit lost a race: re-reads the environment and returns the 409 `refusal`
 * gives under its current rule (e.g. governance turned on meanwhile), or undefined when the rule
 * still allows the write (or the environment is gone) and the caller's usual conflict applies.
 */
export async function refusalNow(deps: Deps, environment: Pick<Environment, 'id'>, refusal: (now: Environment) => Conflict | undefined): Promise<Conflict | undefined> {
  const now = await deps.store.get({ type: 'environment', id: environment.id });
  return now ? refusal(now) : undefined;
}

/**
 * Commits a direct feature-state or override write that {@link refuseDirectWrites} allowed, with the check
 * that the environment has not changed since. A lost race is the governance 409 if the
 * environment now requires approvals, an "environment changed" 409 if only the check failed,
 * `otherwise()` if a write's own condition failed.
 */
export async function commitDirectWrite(deps: Deps, environment: Environment, writes: Write[], otherwise: () => Promise<Conflict>): Promise<void> {
  try {
    await deps.store.commit([...writes, environmentUnchanged(environment)]);
  } catch (error) {
    if (!(error instanceof CommitConflict)) throw error;
    const refused = await refusalNow(deps, environment, directWriteConflict);
    if (refused) throw refused;
    const onlyTheCheck = error.failedWrites.every((index) => index === writes.length);
    throw onlyTheCheck ? new Conflict(`Environment ${environment.name} changed meanwhile: reload and try again.`) : await otherwise();
  }
}
