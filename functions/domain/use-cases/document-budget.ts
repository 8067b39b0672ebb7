/**
 * The environment document's budget ({@link LIMITS.documentBytes}). The document, and the SDK
 * answers built like it, are served whole by one Lambda answer (at most 6 MB), so a write that
 * makes an environment's values grow is refused once the document would pass its budget. Writes
 * that keep or shrink values are never refused: whatever exists can always be changed and deleted.
 *
 * The check reads the environment as the SDK API does (one snapshot) and counts the growth twice:
 * JSON values travel as JSON strings in the document, escaped once more. Writers racing each
 * other can pass it together by at most their own growth; the budget leaves room for that.
 */
import type { Environment, Project } from '../entities.js';
import { TooLarge } from '../errors.js';
import { loadSnapshot } from '../environment-snapshot.js';
import { environmentDocument } from '../flagsmith-document.js';
import { formatBytes, jsonBytes, LIMITS } from '../limits.js';
import type { Deps } from './support.js';

/** How much an entry's value grows the document: new minus old, plus the entry itself when it is new. */
export function documentGrowth(next: unknown, current: { value: unknown } | undefined | null, isNew = current == null): number {
  return jsonBytes(next) - (current ? jsonBytes(current.value) : 0) + (isNew ? LIMITS.documentEntryBytes : 0);
}

/** Why the environments' documents have no room for `growth` more bytes (the first that has none), or undefined. */
export async function documentRoomProblem(deps: Deps, environments: Environment[], growth: number): Promise<string | undefined> {
  if (growth <= 0) return undefined;
  // The environments are read at once (a project-level write waits for the slowest, not the sum).
  const sizes = await Promise.all(
    environments.map(async (environment) => {
      const snapshot = await loadSnapshot(deps.store, environment.id);
      return snapshot ? { environment, bytes: jsonBytes(environmentDocument(snapshot)) } : undefined;
    }),
  );
  const full = sizes.find((size) => size && size.bytes + 2 * growth > LIMITS.documentBytes);
  if (!full) return undefined;
  return `Environment ${full.environment.name}'s document is ${formatBytes(full.bytes)} and this would add up to ${formatBytes(2 * growth)}: an environment document holds at most ${formatBytes(LIMITS.documentBytes)} (SDKs download it whole). Make values smaller, or remove some.`;
}

/** Refuses (413) a write that grows one environment's document beyond its budget. */
export async function ensureDocumentRoom(deps: Deps, environment: Environment, growth: number): Promise<void> {
  const problem = await documentRoomProblem(deps, [environment], growth);
  if (problem) throw new TooLarge(problem, { limitBytes: LIMITS.documentBytes });
}

/** Refuses (413) a project-level write (features, segments) that grows any of its environments' documents beyond the budget. */
export async function ensureProjectDocumentRoom(deps: Deps, project: Project, growth: number): Promise<void> {
  if (growth <= 0) return;
  const environments = await deps.store.listAll({ of: 'environments', projectId: project.id });
  const problem = await documentRoomProblem(deps, environments, growth);
  if (problem) throw new TooLarge(problem, { limitBytes: LIMITS.documentBytes });
}
