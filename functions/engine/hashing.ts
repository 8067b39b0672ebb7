import { md5 } from '@noble/hashes/legacy.js';

const encoder = new TextEncoder();

/**
 * Flagsmith's bucketing hash: md5 of the ids joined by commas, as a percentage in [0, 100).
 * Identical to the reference engine's `get_hashed_percentage_for_object_ids`, so an identity
 * lands in the same bucket here, in every Flagsmith SDK, and in Flagsmith itself.
 */
export function hashedPercentage(ids: readonly string[], iterations = 1): number {
  const parts: string[] = [];
  for (let i = 0; i < iterations; i++) parts.push(...ids);
  const digest = md5(encoder.encode(parts.join(',')));
  // The 128-bit digest modulo 9999, folded byte by byte so every step stays exact in a double.
  let remainder = 0;
  for (const byte of digest) remainder = (remainder * 256 + byte) % 9999;
  const value = (remainder / 9998) * 100;
  // 100 is excluded from the range: the reference engine re-hashes with the ids repeated.
  return value === 100 ? hashedPercentage(ids, iterations + 1) : value;
}
