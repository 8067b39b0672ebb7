/**
 * MD5 of a string's UTF-8 bytes, without allocating: the bucketing hash runs for every
 * multivariate feature and percentage split of every identity, and a general-purpose hash
 * library (a new hasher, an encoded copy and a digest array per call) was half of the engine's
 * time. Checked byte for byte against node:crypto in test/unit/md5.test.ts.
 */

// Message bytes, read back as 32-bit words through a second view of the same memory. Words are
// little-endian in MD5; every engine that runs JavaScript today is little-endian, and the
// module refuses to load rather than hash wrongly anywhere else.
let bytes = new Uint8Array(256);
let words = new Int32Array(bytes.buffer);
const state = new Int32Array(4);
if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('md5: big-endian platforms are not supported');

const encoder = new TextEncoder();

/** Makes room for a message of `length` bytes plus its padding. */
function reserve(length: number): void {
  if (bytes.length < length + 72) {
    bytes = new Uint8Array((length + 72 + 63) & ~63);
    words = new Int32Array(bytes.buffer);
  }
}

/** RFC 1321's 64 steps, unrolled with their shift amounts and sine-derived constants. */
function block(w: number): void {
  const m = words;
  const m0 = m[w] as number, m1 = m[w + 1] as number, m2 = m[w + 2] as number, m3 = m[w + 3] as number;
  const m4 = m[w + 4] as number, m5 = m[w + 5] as number, m6 = m[w + 6] as number, m7 = m[w + 7] as number;
  const m8 = m[w + 8] as number, m9 = m[w + 9] as number, m10 = m[w + 10] as number, m11 = m[w + 11] as number;
  const m12 = m[w + 12] as number, m13 = m[w + 13] as number, m14 = m[w + 14] as number, m15 = m[w + 15] as number;
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let t: number;
  t = (a + ((b & c) | (~b & d)) + -680876936 + m0) | 0;
  a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + ((a & b) | (~a & c)) + -389564586 + m1) | 0;
  d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + ((d & a) | (~d & b)) + 606105819 + m2) | 0;
  c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + ((c & d) | (~c & a)) + -1044525330 + m3) | 0;
  b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + ((b & c) | (~b & d)) + -176418897 + m4) | 0;
  a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + ((a & b) | (~a & c)) + 1200080426 + m5) | 0;
  d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + ((d & a) | (~d & b)) + -1473231341 + m6) | 0;
  c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + ((c & d) | (~c & a)) + -45705983 + m7) | 0;
  b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + ((b & c) | (~b & d)) + 1770035416 + m8) | 0;
  a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + ((a & b) | (~a & c)) + -1958414417 + m9) | 0;
  d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + ((d & a) | (~d & b)) + -42063 + m10) | 0;
  c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + ((c & d) | (~c & a)) + -1990404162 + m11) | 0;
  b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + ((b & c) | (~b & d)) + 1804603682 + m12) | 0;
  a = (((t << 7) | (t >>> 25)) + b) | 0;
  t = (d + ((a & b) | (~a & c)) + -40341101 + m13) | 0;
  d = (((t << 12) | (t >>> 20)) + a) | 0;
  t = (c + ((d & a) | (~d & b)) + -1502002290 + m14) | 0;
  c = (((t << 17) | (t >>> 15)) + d) | 0;
  t = (b + ((c & d) | (~c & a)) + 1236535329 + m15) | 0;
  b = (((t << 22) | (t >>> 10)) + c) | 0;
  t = (a + ((b & d) | (c & ~d)) + -165796510 + m1) | 0;
  a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + ((a & c) | (b & ~c)) + -1069501632 + m6) | 0;
  d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + ((d & b) | (a & ~b)) + 643717713 + m11) | 0;
  c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + ((c & a) | (d & ~a)) + -373897302 + m0) | 0;
  b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + ((b & d) | (c & ~d)) + -701558691 + m5) | 0;
  a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + ((a & c) | (b & ~c)) + 38016083 + m10) | 0;
  d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + ((d & b) | (a & ~b)) + -660478335 + m15) | 0;
  c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + ((c & a) | (d & ~a)) + -405537848 + m4) | 0;
  b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + ((b & d) | (c & ~d)) + 568446438 + m9) | 0;
  a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + ((a & c) | (b & ~c)) + -1019803690 + m14) | 0;
  d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + ((d & b) | (a & ~b)) + -187363961 + m3) | 0;
  c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + ((c & a) | (d & ~a)) + 1163531501 + m8) | 0;
  b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + ((b & d) | (c & ~d)) + -1444681467 + m13) | 0;
  a = (((t << 5) | (t >>> 27)) + b) | 0;
  t = (d + ((a & c) | (b & ~c)) + -51403784 + m2) | 0;
  d = (((t << 9) | (t >>> 23)) + a) | 0;
  t = (c + ((d & b) | (a & ~b)) + 1735328473 + m7) | 0;
  c = (((t << 14) | (t >>> 18)) + d) | 0;
  t = (b + ((c & a) | (d & ~a)) + -1926607734 + m12) | 0;
  b = (((t << 20) | (t >>> 12)) + c) | 0;
  t = (a + (b ^ c ^ d) + -378558 + m5) | 0;
  a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + -2022574463 + m8) | 0;
  d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + 1839030562 + m11) | 0;
  c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + -35309556 + m14) | 0;
  b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (b ^ c ^ d) + -1530992060 + m1) | 0;
  a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + 1272893353 + m4) | 0;
  d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + -155497632 + m7) | 0;
  c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + -1094730640 + m10) | 0;
  b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (b ^ c ^ d) + 681279174 + m13) | 0;
  a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + -358537222 + m0) | 0;
  d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + -722521979 + m3) | 0;
  c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + 76029189 + m6) | 0;
  b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (b ^ c ^ d) + -640364487 + m9) | 0;
  a = (((t << 4) | (t >>> 28)) + b) | 0;
  t = (d + (a ^ b ^ c) + -421815835 + m12) | 0;
  d = (((t << 11) | (t >>> 21)) + a) | 0;
  t = (c + (d ^ a ^ b) + 530742520 + m15) | 0;
  c = (((t << 16) | (t >>> 16)) + d) | 0;
  t = (b + (c ^ d ^ a) + -995338651 + m2) | 0;
  b = (((t << 23) | (t >>> 9)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + -198630844 + m0) | 0;
  a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + 1126891415 + m7) | 0;
  d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + -1416354905 + m14) | 0;
  c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + -57434055 + m5) | 0;
  b = (((t << 21) | (t >>> 11)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + 1700485571 + m12) | 0;
  a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + -1894986606 + m3) | 0;
  d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + -1051523 + m10) | 0;
  c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + -2054922799 + m1) | 0;
  b = (((t << 21) | (t >>> 11)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + 1873313359 + m8) | 0;
  a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + -30611744 + m15) | 0;
  d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + -1560198380 + m6) | 0;
  c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + 1309151649 + m13) | 0;
  b = (((t << 21) | (t >>> 11)) + c) | 0;
  t = (a + (c ^ (b | ~d)) + -145523070 + m4) | 0;
  a = (((t << 6) | (t >>> 26)) + b) | 0;
  t = (d + (b ^ (a | ~c)) + -1120210379 + m11) | 0;
  d = (((t << 10) | (t >>> 22)) + a) | 0;
  t = (c + (a ^ (d | ~b)) + 718787259 + m2) | 0;
  c = (((t << 15) | (t >>> 17)) + d) | 0;
  t = (b + (d ^ (c | ~a)) + -343485551 + m9) | 0;
  b = (((t << 21) | (t >>> 11)) + c) | 0;
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
}

/** Pads the `length` message bytes already in the buffer and runs the blocks. */
function digest(length: number): Int32Array {
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as a 64-bit little-endian integer.
  const end = ((length + 8) & ~63) + 64;
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, end - 8);
  words[(end >> 2) - 2] = length << 3;
  words[(end >> 2) - 1] = Math.floor(length / 0x20000000);
  state[0] = 0x67452301;
  state[1] = 0xefcdab89 | 0;
  state[2] = 0x98badcfe | 0;
  state[3] = 0x10325476;
  for (let w = 0; w < end >> 2; w += 16) block(w);
  return state;
}

/**
 * The MD5 digest of `text` (UTF-8) as four little-endian 32-bit words, in a buffer that the
 * next call overwrites: read it before hashing again.
 */
export function md5Words(text: string): Int32Array {
  // Worst case 3 bytes per UTF-16 unit.
  reserve(text.length * 3);
  return digest(encoder.encodeInto(text, bytes).written);
}

/** {@link md5Words} of two UTF-8 byte strings one after the other, without joining them. */
export function md5WordsOfConcat(first: Uint8Array, second: Uint8Array): Int32Array {
  reserve(first.length + second.length);
  bytes.set(first, 0);
  bytes.set(second, first.length);
  return digest(first.length + second.length);
}

/** UTF-8 bytes of `text`, for {@link md5WordsOfConcat}. */
export const utf8 = (text: string): Uint8Array => encoder.encode(text);

/** The digest's 16 bytes in order (big-endian reading of the hex digest). */
export function md5Bytes(text: string): number[] {
  const digest = md5Words(text);
  const out: number[] = [];
  for (const word of digest) out.push(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, (word >>> 24) & 0xff);
  return out;
}
