/**
 * Digests of entity images, for events that cannot carry an image in full (DynamoDB's 400 KB
 * item, EventBridge's 256 KB entry): equal content gives an equal digest, whatever the key order.
 */
import { createHash } from 'node:crypto';
import type { ImageDigest } from './entities.js';
import { sortedKeys } from './flagsmith-document.js';

/** The digest of an image: SHA-256 (hex) of its JSON with sorted keys, and that JSON's UTF-8 size. */
export function imageDigest(image: unknown): ImageDigest {
  const json = JSON.stringify(sortedKeys(image)) ?? 'null';
  return { sha256: createHash('sha256').update(json, 'utf8').digest('hex'), bytes: Buffer.byteLength(json, 'utf8') };
}
