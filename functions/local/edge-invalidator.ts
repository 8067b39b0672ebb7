/**
 * The EdgeInvalidator port on the local stack's edge cache: what CreateInvalidation does to
 * CloudFront, done to the in-process cache, at once.
 */
import type { EdgeInvalidator } from '../domain/ports.js';
import type { EdgeCache } from './edge-cache.js';

export class LocalEdgeInvalidator implements EdgeInvalidator {
  constructor(private readonly edge: EdgeCache) {}

  async invalidate(paths: string[]): Promise<void> {
    this.edge.invalidate(paths);
  }
}
