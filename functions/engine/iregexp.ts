/**
 * I-Regexp (RFC 9485), the regular expressions of JSONPath's `match()` and `search()` (RFC 9535
 * §2.4.6–2.4.7), run on RE2 (re2js): matching is linear in the input whatever the pattern, so a
 * condition like `$.identity[?match(@, '(a+)+b')]` costs no more than any other.
 *
 * The pattern is parsed by the RFC's grammar (§3) and re-emitted in RE2 syntax: literal
 * characters as `\x{…}` (so `^`, `$` and the like stay the literals I-Regexp says they are), `.`
 * as `[^\n\r]` (§5.3), groups non-capturing. Anything outside the grammar (backreferences,
 * lookaround, `\d`, lazy quantifiers, unbalanced brackets) is not an I-Regexp: the function then
 * answers false, as §2.4.6 asks. So does a pattern RE2 refuses (a repeat count above 1000).
 */
import type { RE2JS } from 're2js';
import { re2 } from './condition-libraries.js';

/** Characters that are not NormalChar (§3): they mean something, or must be escaped. */
const META = new Set(['(', ')', '*', '+', '.', '?', '[', '\\', ']', '{', '|', '}']);
/** SingleCharEsc (§3): `\` followed by one of these is that character (n, r, t: newline, CR, tab). */
const SINGLE_ESCAPES = new Set(['(', ')', '*', '+', '-', '.', '?', '[', '\\', ']', '^', 'n', 'r', 't', '{', '|', '}']);
/** IsCategory (§3): a Unicode general category, or one of its subcategories. */
const CATEGORIES = new Set(['L', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn', 'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'Z', 'Zl', 'Zp', 'Zs', 'S', 'Sc', 'Sk', 'Sm', 'So', 'C', 'Cc', 'Cf', 'Cn', 'Co']);

class NotIRegexp extends Error {}

const isSurrogate = (c: string) => {
  const code = c.codePointAt(0) ?? 0;
  return code >= 0xd800 && code <= 0xdfff;
};
const literal = (c: string) => `\\x{${(c.codePointAt(0) ?? 0).toString(16)}}`;
const escaped = (c: string) => (c === 'n' ? '\\n' : c === 'r' ? '\\r' : c === 't' ? '\\t' : literal(c));

/** A recursive-descent reader of the §3 grammar over code points, emitting RE2 syntax. */
class Translator {
  private at = 0;
  constructor(private readonly chars: readonly string[]) {}

  translate(): string {
    const out = this.regexp();
    if (this.at !== this.chars.length) throw new NotIRegexp();
    return out;
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.at + offset];
  }

  private next(): string {
    const c = this.chars[this.at++];
    if (c === undefined) throw new NotIRegexp();
    return c;
  }

  /** i-regexp = branch *( "|" branch ) */
  private regexp(): string {
    const branches = [this.branch()];
    while (this.peek() === '|') {
      this.at++;
      branches.push(this.branch());
    }
    return branches.join('|');
  }

  /** branch = *piece; piece = atom [ quantifier ] */
  private branch(): string {
    let out = '';
    while (this.peek() !== undefined && this.peek() !== '|' && this.peek() !== ')') out += this.atom() + this.quantifier();
    return out;
  }

  private quantifier(): string {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') {
      this.at++;
      return c;
    }
    if (c !== '{') return '';
    this.at++;
    const min = this.digits();
    let max = '';
    let comma = '';
    if (this.peek() === ',') {
      this.at++;
      comma = ',';
      if (this.peek() !== '}') max = this.digits();
    }
    if (this.next() !== '}') throw new NotIRegexp();
    return `{${min}${comma}${max}}`;
  }

  private digits(): string {
    let out = '';
    for (let c = this.peek(); c !== undefined && c >= '0' && c <= '9'; c = this.peek()) out += this.next();
    if (out === '') throw new NotIRegexp();
    return out;
  }

  /** atom = NormalChar / charClass / ( "(" i-regexp ")" ) */
  private atom(): string {
    const c = this.next();
    if (c === '(') {
      const inner = this.regexp();
      if (this.next() !== ')') throw new NotIRegexp();
      return `(?:${inner})`;
    }
    if (c === '.') return '[^\\n\\r]';
    if (c === '[') return this.classExpr();
    if (c === '\\') return this.escape(false);
    if (META.has(c) || isSurrogate(c)) throw new NotIRegexp();
    return literal(c);
  }

  /** After a `\`: SingleCharEsc, or (also inside a class) `\p{…}` / `\P{…}`. */
  private escape(inClass: boolean): string {
    const c = this.next();
    if (c === 'p' || c === 'P') {
      if (this.next() !== '{') throw new NotIRegexp();
      let name = '';
      while (this.peek() !== undefined && this.peek() !== '}') name += this.next();
      this.next();
      if (!CATEGORIES.has(name)) throw new NotIRegexp();
      return `\\${c}{${name}}`;
    }
    if (!SINGLE_ESCAPES.has(c)) throw new NotIRegexp();
    return inClass && c === '-' ? literal('-') : escaped(c);
  }

  /** charClassExpr = "[" [ "^" ] ( "-" / CCE1 ) *CCE1 [ "-" ] "]" */
  private classExpr(): string {
    let out = '[';
    if (this.peek() === '^') {
      this.at++;
      out += '^';
    }
    let first = true;
    while (this.peek() !== ']') {
      if (this.peek() === '-') {
        // A literal `-` only first, or last before `]`.
        if (!first && this.peek(1) !== ']') throw new NotIRegexp();
        this.at++;
        out += literal('-');
      } else {
        out += this.classItem();
      }
      first = false;
    }
    this.at++;
    if (first) throw new NotIRegexp();
    return `${out}]`;
  }

  /** CCE1 = ( CCchar [ "-" CCchar ] ) / charClassEsc */
  private classItem(): string {
    const from = this.classChar();
    if (from.category !== undefined) return from.category;
    if (this.peek() === '-' && this.peek(1) !== ']') {
      this.at++;
      const to = this.classChar();
      if (to.category !== undefined) throw new NotIRegexp();
      return `${from.text}-${to.text}`;
    }
    return from.text;
  }

  private classChar(): { text: string; category?: string } {
    const c = this.next();
    if (c === '\\') {
      const text = this.escape(true);
      return text.startsWith('\\p{') || text.startsWith('\\P{') ? { text, category: text } : { text };
    }
    if (c === '-' || c === '[' || c === ']' || isSurrogate(c)) throw new NotIRegexp();
    return { text: literal(c) };
  }
}

/** The RE2 form of an I-Regexp, or undefined when the pattern is not one. Pure. */
export function iRegexpToRe2(pattern: string): string | undefined {
  try {
    return new Translator(Array.from(pattern)).translate();
  } catch (error) {
    if (error instanceof NotIRegexp) return undefined;
    throw error;
  }
}

/** Compiled patterns kept per process: patterns are few (they are written in segment rules). */
const CACHE_SIZE = 256;
const compiled = new Map<string, RE2JS | null>();

/** The compiled RE2 program of an I-Regexp, or null when it is not one (or RE2 refuses it). */
export function compileIRegexp(pattern: string): RE2JS | null {
  const cached = compiled.get(pattern);
  if (cached !== undefined) return cached;
  const source = iRegexpToRe2(pattern);
  let program: RE2JS | null = null;
  if (source !== undefined) {
    try {
      program = re2().compile(source);
    } catch {
      program = null;
    }
  }
  if (compiled.size >= CACHE_SIZE) compiled.delete(compiled.keys().next().value as string);
  compiled.set(pattern, program);
  return program;
}

/** JSONPath `match()`: the whole string matches the I-Regexp. */
export const fullMatches = (value: unknown, pattern: unknown): boolean =>
  typeof value === 'string' && typeof pattern === 'string' && (compileIRegexp(pattern)?.matcher(value).matches() ?? false);

/** JSONPath `search()`: some substring matches the I-Regexp. */
export const searchMatches = (value: unknown, pattern: unknown): boolean =>
  typeof value === 'string' && typeof pattern === 'string' && (compileIRegexp(pattern)?.matcher(value).find() ?? false);
