/**
 * Every regular expression the service evaluates is linear-time. Patterns that come
 * from users (segment REGEX conditions, JSONPath `match()`/`search()`) run on RE2; the ones
 * written in our code are checked here with recheck, a ReDoS checker (automata theory plus
 * fuzzing), so a pattern that backtracks super-linearly on some input fails the suite wherever
 * it is written — a zod `.regex()`, a header parser, a CLI argument check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { check } from 'recheck';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/dev-process.js';

/** Where the code that runs in the service lives (Lambda, the local stack, the CLI, the engine the SDK embeds). */
const ROOTS = ['functions'];

/**
 * RegExps built at run time, each with why it is linear. A new one fails the suite until it is
 * reviewed and listed here (or, if it carries user input, runs on RE2 instead).
 */
const DYNAMIC_REGEXPS: Record<string, string> = {
  'functions/local/api-gateway.ts':
    'Built once from the route table: each is `^` + literal segments and `([^/]+)` parameters + `$`; the parameters cannot overlap (`/` separates them), so matching is linear.',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

interface Found {
  file: string;
  line: number;
  source: string;
  flags: string;
}

function regexpsIn(file: string): { literals: Found[]; dynamic: number[] } {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const literals: Found[] = [];
  const dynamic: number[] = [];
  const lineOf = (node: ts.Node) => sourceFile.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const visit = (node: ts.Node) => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const literal = node.getText();
      const end = literal.lastIndexOf('/');
      literals.push({ file, line: lineOf(node), source: literal.slice(1, end), flags: literal.slice(end + 1) });
    }
    if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === 'RegExp') {
      dynamic.push(lineOf(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return { literals, dynamic };
}

const files = ROOTS.flatMap(sourceFiles);
const found = files.map(regexpsIn);
const literals = found.flatMap((entry) => entry.literals);

describe('regular expressions in our code', () => {
  it('finds the patterns it checks (the scan works)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(literals.length).toBeGreaterThan(10);
    expect(literals.map((literal) => literal.source)).toContain('^Bearer\\s+(\\S+)$');
  });

  it('builds RegExps at run time only where listed, with the reason they are linear', () => {
    const dynamicFiles = files.filter((_, i) => (found[i]?.dynamic.length ?? 0) > 0);
    expect(dynamicFiles.map((file) => relative(REPO_ROOT, join(REPO_ROOT, file))).sort()).toEqual(Object.keys(DYNAMIC_REGEXPS).sort());
  });

  it('are all linear-time, as recheck judges them', { timeout: 240_000 }, async () => {
    const unsafe: string[] = [];
    for (const literal of literals) {
      // The automaton checker is exact for patterns without backreferences (none here) and
      // needs no timing: its verdict is the same on a busy machine.
      const diagnostics = await check(literal.source, literal.flags, { checker: 'automaton', timeout: null });
      if (diagnostics.status !== 'safe') {
        unsafe.push(`${literal.file}:${literal.line} /${literal.source}/${literal.flags}: ${diagnostics.status} ${diagnostics.status === 'vulnerable' ? diagnostics.complexity.summary : ''}`);
      }
    }
    expect(unsafe).toEqual([]);
  });

  it('catches a pattern that backtracks polynomially (the check can fail)', async () => {
    // The float pattern context-values.ts had: two adjacent `\d+` split a digit run n ways.
    const before = '^[+-]?(?:(?:\\d+(?:_\\d+)*)?\\.?\\d+(?:_\\d+)*|\\d+(?:_\\d+)*\\.)(?:[eE][+-]?\\d+(?:_\\d+)*)?$';
    expect((await check(before, '', { checker: 'automaton', timeout: null })).status).toBe('vulnerable');
  });
});
