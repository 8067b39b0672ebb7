/**
 * The environment document's budget ({@link LIMITS.documentBytes}). The document, and the SDK
 * answers built like it, are served whole by one Lambda answer (at most 6 MB), so a write that
 * makes an environment's values grow is refused once the document would pass its budget. Writes
 * that keep or shrink values are never refused: whatever exists can always be changed and deleted.
 *
 * The growth is counted twice (JSON values travel as JSON strings in the document, escaped once
 * more). The check reads one item per environment, its {@link DocumentSize} bound, never the
 * document itself: a write passes when bound + growth fits, and adds its growth to the bound in
 * its own transaction (the writes it returns). Only when the bound says "full" (or was never
 * measured) is the document built and measured exactly, as the SDK API builds it (every tenant
 * read); the write is refused only on that measure, so nothing is refused that fits. The exact
 * measure also rebases the bound (shrinking writes leave it high), as the document-publisher
 * does after every change.
 *
 * Why the bound stays a bound: a growing write and its addition commit together; a rebase adds
 * `measured - read`, where the bound was read (consistently) before the document was built, so a
 * write committed before that read is in both and cancels, and one committed after it keeps its
 * own addition (counted twice at worst: too high, never too low). An addition that does not fit in
 * the write's transaction (a project of many environments) is committed just after it, which
 * can only leave the bound higher (a rebase between them counts the write in its measure and the
 * addition on top); if the writer dies in between, the publisher's rebase for that very change
 * measures it. Writers racing each other can each pass on a bound read before the others
 * committed, by at most their own growth, as with a measured document; the budget leaves room for
 * that. Writes that grow a document without this check (imports, prerequisites) are measured by
 * the publisher's next rebase.
 */
import type { DocumentSize, Environment, Project } from '../entities.js';
import { TooLarge } from '../errors.js';
import { loadSnapshot } from '../environment-snapshot.js';
import { environmentDocument } from '../flagsmith-document.js';
import { formatBytes, jsonBytes, LIMITS } from '../limits.js';
import type { Store, Write } from '../ports.js';
import type { Deps } from './support.js';

/** How much an entry's value grows the document: new minus old, plus the entry itself when it is new. */
export function documentGrowth(next: unknown, current: { value: unknown } | undefined | null, isNew = current == null): number {
  return jsonBytes(next) - (current ? jsonBytes(current.value) : 0) + (isNew ? LIMITS.documentEntryBytes : 0);
}

/**
 * How far below the budget the bound must stay to be trusted alone. Growth is estimated per write
 * (values twice, {@link LIMITS.documentEntryBytes} per new entry); entries a write adds beyond
 * that (many options, new weights) go uncounted until the publisher's next rebase, so a document
 * this close to its budget is measured on every growing write instead.
 */
const TRUSTED_BOUND_BYTES = LIMITS.documentBytes * 0.9;

const sizeRef = (envId: string) => ({ type: 'document-size', envId }) as const;

/** Reads an environment's size bound (undefined: never measured). */
export const readDocumentSize = (store: Store, envId: string): Promise<DocumentSize | undefined> => store.get(sizeRef(envId));

/** The write that adds `bytes` to an environment's size bound (in the transaction of what grew it). */
export const growDocument = (envId: string, bytes: number): Write => ({ kind: 'grow-document', ref: sizeRef(envId), bytes });

/** The exact size of an environment's document (undefined: the environment is gone). Builds it: every tenant is read. */
export async function measureDocument(store: Store, envId: string): Promise<number | undefined> {
  const snapshot = await loadSnapshot(store, envId);
  return snapshot ? jsonBytes(environmentDocument(snapshot)) : undefined;
}

/** Room for a write: the problem that refuses it, or the size-bound writes to commit with it. */
export interface DocumentRoom {
  problem?: string | undefined;
  writes: Write[];
}

/** Whether the environments' documents have room for `growth` more bytes: the first that has none, or the writes that reserve it. */
export async function documentRoom(deps: Deps, environments: Environment[], growth: number): Promise<DocumentRoom> {
  if (growth <= 0) return { writes: [] };
  const added = 2 * growth;
  // The environments are checked at once (a project-level write waits for the slowest, not the sum).
  const rooms = await Promise.all(
    environments.map(async (environment): Promise<DocumentRoom> => {
      const bound = (await readDocumentSize(deps.store, environment.id))?.bytes;
      if (bound !== undefined && bound + added <= TRUSTED_BOUND_BYTES) return { writes: [growDocument(environment.id, added)] };
      const bytes = await measureDocument(deps.store, environment.id);
      if (bytes === undefined) return { writes: [] };
      if (bytes + added > LIMITS.documentBytes) {
        return {
          problem: `Environment ${environment.name}'s document is ${formatBytes(bytes)} and this would add up to ${formatBytes(added)}: an environment document holds at most ${formatBytes(LIMITS.documentBytes)} (SDKs download it whole). Make values smaller, or remove some.`,
          writes: [],
        };
      }
      return { writes: [growDocument(environment.id, bytes - (bound ?? 0) + added)] };
    }),
  );
  const refused = rooms.find((room) => room.problem !== undefined);
  return refused ? { problem: refused.problem, writes: [] } : { writes: rooms.flatMap((room) => room.writes) };
}

function reserved(room: DocumentRoom): Write[] {
  if (room.problem !== undefined) throw new TooLarge(room.problem, { limitBytes: LIMITS.documentBytes });
  return room.writes;
}

/** Refuses (413) a write that grows one environment's document beyond its budget; else the writes to commit with it. */
export async function ensureDocumentRoom(deps: Deps, environment: Environment, growth: number): Promise<Write[]> {
  return reserved(await documentRoom(deps, [environment], growth));
}

/** Refuses (413) a project-level write (features, segments) that grows any of its environments' documents beyond the budget; else the writes to commit with it. */
export async function ensureProjectDocumentRoom(deps: Deps, project: Project, growth: number): Promise<Write[]> {
  if (growth <= 0) return [];
  const environments = await deps.store.listAll({ of: 'environments', projectId: project.id });
  return reserved(await documentRoom(deps, environments, growth));
}
