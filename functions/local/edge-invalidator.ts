/**
 * The EdgeInvalidator port on the local stack's edge cache: what CreateInvalidation does to
 * CloudFront, done to the in-process cache, at once.
 */
import type { EdgeInvalidator } from '../domain/ports.js';
import type { EdgeCache } from './edge-cache.js';

/** References remembered, as CloudFront remembers CallerReferences. */
const REMEMBERED = 1000;

export class LocalEdgeInvalidator implements EdgeInvalidator {
  private readonly done = new Set<string>();

  /** `alsoForget` drops what sits behind the edge too (the sdk-api's snapshots), first. */
  constructor(
    private readonly edge: EdgeCache,
    private readonly alsoForget: () => void = () => undefined,
  ) {}

  /** Like CloudFront, a reference already used is the same invalidation: nothing happens again. */
  async invalidate(paths: string[], reference: string): Promise<void> {
    if (this.done.has(reference)) return;
    this.alsoForget();
    this.edge.invalidate(paths);
    this.done.add(reference);
    if (this.done.size > REMEMBERED) this.done.delete(this.done.values().next().value as string);
  }
}
