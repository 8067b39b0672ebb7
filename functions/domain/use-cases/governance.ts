/**
 * Governance: an environment that requires approvals changes its feature states only through
 * approved change requests. Every other path (the API, import, restore, raw scheduled changes)
 * asks {@link refuseDirectWrites} first, so the rule lives in one place.
 */
import type { Environment } from '../entities.js';
import { Conflict } from '../errors.js';

/** Approvals a change request of this environment needs (0 for environments stored before governance). */
export const requiredApprovalsOf = (environment: Pick<Environment, 'requiredApprovals'>): number => environment.requiredApprovals ?? 0;

/** Why a direct write is refused in this environment, or undefined when direct writes are allowed. */
export function directWriteRefusal(environment: Pick<Environment, 'name' | 'requiredApprovals'>): string | undefined {
  const required = requiredApprovalsOf(environment);
  if (required === 0) return undefined;
  return `Environment ${environment.name} requires ${required} approval${required === 1 ? '' : 's'} for feature-state changes: open a change request instead.`;
}

/** Throws a Conflict when the environment requires approvals, so feature states change only through change requests. */
export function refuseDirectWrites(environment: Pick<Environment, 'name' | 'requiredApprovals'>): void {
  const refusal = directWriteRefusal(environment);
  if (refusal) throw new Conflict(refusal, { requiredApprovals: requiredApprovalsOf(environment) });
}
