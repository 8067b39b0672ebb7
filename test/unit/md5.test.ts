import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashedPercentage } from '../../functions/engine/hashing.js';
import { md5Bytes } from '../../functions/engine/md5.js';

const hex = (bytes: number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
const reference = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

describe('md5', () => {
  it('matches node:crypto on every length across block boundaries and on any Unicode', () => {
    const alphabet = ['a', 'Z', '0', ',', 'é', 'ß', '€', '日本', '😀', '\u0000', '\ud800'];
    let seed = 1;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const inputs = ['', 'abc', 'The quick brown fox jumps over the lazy dog'];
    for (let length = 0; length < 300; length++) {
      inputs.push(Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''));
    }
    inputs.push('x'.repeat(100_000));
    for (const input of inputs) expect(hex(md5Bytes(input)), JSON.stringify(input.slice(0, 40))).toBe(reference(input));
  });

  it('gives the same bucket as the BigInt arithmetic of the reference engine', () => {
    for (let i = 0; i < 2000; i++) {
      const ids = [String(i % 97), `env_user-${i}`];
      const expected = (Number(BigInt(`0x${reference(ids.join(','))}`) % 9999n) / 9998) * 100;
      expect(hashedPercentage(ids)).toBe(expected);
    }
  });
});
