/**
 * The EdgeInvalidator port on the local stack's edge cache: what CreateInvalidation does to
 * CloudFront, done to the in-process cache, at once.
 */
import type { EdgeInvalidator } from '../domain/ports.js';
import type { EdgeCache } from './edge-cache.js';

export class LocalEdgeInvalidator implements EdgeInvalidator {
  /** `alsoForget` drops what sits behind the edge too (the sdk-api's snapshots), first. */
  constructor(
    private readonly edge: EdgeCache,
    private readonly alsoForget: () => void = () => undefined,
  ) {}

  async invalidate(paths: string[]): Promise<void> {
    this.alsoForget();
    this.edge.invalidate(paths);
  }
}
