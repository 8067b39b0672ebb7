/**
 * Checks on JSON that never recurse, so a hostile value cannot overflow the stack: nesting
 * depth of JSON text (before it is parsed), and of parsed values, with the other properties a
 * value needs before it may be stored (DynamoDB's number range, well-formed Unicode, size).
 */
import { isStorableNumber, jsonBytes, STORABLE_NUMBER_MESSAGE } from './limits.js';
import { isPlainObject } from '../engine/records.js';

/**
 * The deepest nesting of arrays and objects in JSON text, read character by character (strings
 * skipped), stopping as soon as it passes `stopAbove`. Linear, no recursion.
 */
export function jsonTextDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c) i++; // a backslash escapes the next character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return deepest;
}

/** A lone surrogate: not Unicode, so it cannot be stored as UTF-8 (it would come back as U+FFFD). */
const LONE_SURROGATE = /\p{Cs}/u;
export const isWellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);

/** A place in a value, for messages: `a.b.0`. */
const at = (path: readonly (string | number)[]) => path.map(String).join('.');

/** The first string or key with a lone surrogate (not valid Unicode, cannot be stored as UTF-8), or undefined. */
export function illFormedString(value: unknown): string | undefined {
  const stack: [unknown, (string | number)[]][] = [[value, []]];
  while (stack.length) {
    const [node, path] = stack.pop() as [unknown, (string | number)[]];
    if (typeof node === 'string') {
      if (!isWellFormed(node)) return at(path) || '(root)';
    } else if (Array.isArray(node)) node.forEach((item, i) => stack.push([item, [...path, i]]));
    else if (node !== null && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) {
        if (!isWellFormed(key)) return at([...path, key]);
        stack.push([item, [...path, key]]);
      }
    }
  }
  return undefined;
}

export interface JsonValueLimits {
  /** Levels of arrays and objects (`1` has none, `[1]` one). */
  maxDepth: number;
  /** UTF-8 bytes of the value's JSON text. */
  maxBytes: number;
}

/**
 * What keeps a value from being stored, as `{path, message}` (paths relative to the value):
 * not JSON, too deep, too large, a number DynamoDB cannot hold, a string that is not Unicode.
 * Walks without recursion and stops at the first problem of each kind.
 */
export function jsonValueProblems(value: unknown, limits: JsonValueLimits): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const stack: [unknown, number, (string | number)[]][] = [[value, 0, []]];
  while (stack.length) {
    const [node, depth, path] = stack.pop() as [unknown, number, (string | number)[]];
    const where = at(path);
    if (node === null || typeof node === 'boolean') continue;
    if (typeof node === 'string') {
      if (!isWellFormed(node)) return [{ path: where, message: 'not valid Unicode (a lone surrogate)' }];
      continue;
    }
    if (typeof node === 'number') {
      if (!isStorableNumber(node)) return [{ path: where, message: STORABLE_NUMBER_MESSAGE }];
      continue;
    }
    const container = Array.isArray(node) || isPlainObject(node);
    if (!container) return [{ path: where, message: 'not a JSON value' }];
    if (depth + 1 > limits.maxDepth) return [{ path: where, message: `nested more than ${limits.maxDepth} levels deep` }];
    if (Array.isArray(node)) node.forEach((item, i) => stack.push([item, depth + 1, [...path, i]]));
    else {
      for (const [key, item] of Object.entries(node)) {
        if (!isWellFormed(key)) return [{ path: at([...path, key]), message: 'key is not valid Unicode (a lone surrogate)' }];
        stack.push([item, depth + 1, [...path, key]]);
      }
    }
  }
  // The depth is known to be small now, so JSON.stringify's recursion is safe.
  const bytes = jsonBytes(value);
  if (bytes > limits.maxBytes) problems.push({ path: '', message: `${bytes} bytes of JSON, more than ${limits.maxBytes}` });
  return problems;
}
