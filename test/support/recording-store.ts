import type { Store } from '../../functions/domain/ports.js';

/**
 * The real store, recording each read as it is asked, one entry per round trip: `get:<type>`,
 * `getMany:<type>+<type>…`, `list:<collection>`, `listAll:<collection>`. Writes pass through.
 */
export function recordingStore(store: Store): { store: Store; reads: string[] } {
  const reads: string[] = [];
  const recording: Store = Object.create(store);
  recording.get = ((ref) => (reads.push(`get:${ref.type}`), store.get(ref))) as Store['get'];
  recording.getMany = ((refs) => (reads.push(`getMany:${refs.map((ref) => ref.type).join('+')}`), store.getMany(refs))) as Store['getMany'];
  recording.list = ((collection, page) => (reads.push(`list:${collection.of}`), store.list(collection, page))) as Store['list'];
  recording.listAll = ((collection) => (reads.push(`listAll:${collection.of}`), store.listAll(collection))) as Store['listAll'];
  return { store: recording, reads };
}
