import { md5Words, md5WordsOfConcat, utf8 } from './md5.js';

/** md5 digest words modulo 9999, scaled to [0, 100]. */
function toPercentage(digest: Int32Array): number {
  // The 128-bit digest (read as hex: each word's bytes low to high) modulo 9999, folded 16 bits
  // at a time so every step is a small-integer operation: 9999 * 2^16 + 2^16 < 2^31.
  let remainder = 0;
  for (let w = 0; w < 4; w++) {
    const word = digest[w] as number;
    remainder = (remainder * 0x10000 + (((word & 0xff) << 8) | ((word >>> 8) & 0xff))) % 9999;
    remainder = (remainder * 0x10000 + (((word >>> 16) & 0xff) << 8) + (word >>> 24)) % 9999;
  }
  return (remainder / 9998) * 100;
}

/** Exactly 100 is excluded: the reference engine hashes the ids repeated until it is not. */
function withoutHundred(value: number, joined: string): number {
  for (let repeats = 2; value === 100; repeats++) value = toPercentage(md5Words(Array(repeats).fill(joined).join(',')));
  return value;
}

/**
 * Flagsmith's bucketing hash: md5 of the ids joined by commas, as a percentage in [0, 100).
 * Identical to the reference engine's `get_hashed_percentage_for_object_ids`, so an identity
 * lands in the same bucket here, in every Flagsmith SDK, and in Flagsmith itself.
 */
export function hashedPercentage(ids: readonly string[]): number {
  const joined = ids.join(',');
  return withoutHundred(toPercentage(md5Words(joined)), joined);
}

/** A hashing key with its UTF-8 bytes, encoded once and reused for every hash it is part of. */
export interface HashKey {
  text: string;
  bytes: Uint8Array;
}
export const hashKey = (text: string): HashKey => ({ text, bytes: utf8(text) });

/**
 * {@link hashedPercentage} of `[first, second]`, from bytes encoded ahead of time: the hot path
 * keeps `<feature key>,` per feature and the identity key per evaluation.
 */
export function hashedPercentageOf(prefix: HashKey, suffix: HashKey): number {
  const value = toPercentage(md5WordsOfConcat(prefix.bytes, suffix.bytes));
  return value === 100 ? withoutHundred(value, prefix.text + suffix.text) : value;
}
