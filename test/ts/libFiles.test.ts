/**
 * src/ts/programs.ts parses lib files as tsc does (JSDoc only where a type error needs it),
 * whatever the program asks for its own files: a program that parses every JSDoc comment (the
 * passes that edit) and one that parses them for type errors only (analyze) share one parsed and
 * bound copy in a process, and the type errors are those of a program with lib files of its own,
 * parsed with every JSDoc comment.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ts } from '@ts-morph/common';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProgram, parseTsconfig } from '../../src/analyzers/project.ts';
import { compilerHost, libText } from '../../src/ts/programs.ts';

const tmp = mkdtempSync(join(tmpdir(), 'memdesc-libfiles-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
writeFileSync(join(tmp, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022'], target: 'ES2022' }, include: ['*.ts'] }));
// Type errors that reach into lib declarations (generics, overloads, an @deprecated member, a
// JSDoc @see/@link the types-only parse keeps), and code that type-checks through them.
writeFileSync(join(tmp, 'a.ts'), [
  "export const xs: Array<number> = ['a'];",
  "export const m = new Map<string, number>(); m.get(1);",
  "export const s: number = 'abc'.substr(1);",
  'export const p: Promise<string> = Promise.resolve(1);',
  'export const r = [1, 2, 3].reduce((a, b) => a + b, "");',
  'export const ok: number[] = Object.entries({ a: 1 }).map(([, v]) => v);',
  'export function f(d: Date): string { return d.toISOString().at(0) ?? ""; }',
  '',
].join('\n'));

/** Each diagnostic as file:start:code:message. */
function diagnostics(p: ts.Program): string[] {
  return [...p.getSyntacticDiagnostics(), ...p.getGlobalDiagnostics(), ...p.getSemanticDiagnostics()]
    .map((d) => `${d.file?.fileName ?? ''}:${d.start ?? ''}:${d.code}:${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`)
    .sort();
}

const isLib = (p: ts.Program) => (f: ts.SourceFile): boolean => libText(f.fileName) !== undefined && p.getSourceFile(f.fileName) === f;

describe('lib files', () => {
  it('are parsed once for programs of either JSDoc mode, types-only, and bound once', () => {
    const typesOnly = loadProgram(tmp, { jsDocForTypesOnly: true }).program;
    const full = loadProgram(tmp).program;
    const libs = typesOnly.getSourceFiles().filter(isLib(typesOnly));
    expect(libs.length).toBeGreaterThan(10);
    for (const f of libs) {
      expect(full.getSourceFile(f.fileName)).toBe(f);
      expect((f as ts.SourceFile & { jsDocParsingMode?: ts.JSDocParsingMode }).jsDocParsingMode).toBe(ts.JSDocParsingMode.ParseForTypeErrors);
    }
    // The project's own files keep the mode their program asked for.
    const own = (p: ts.Program) => p.getSourceFile(join(tmp, 'a.ts')) as ts.SourceFile & { jsDocParsingMode?: ts.JSDocParsingMode };
    expect(own(full).jsDocParsingMode ?? ts.JSDocParsingMode.ParseAll).toBe(ts.JSDocParsingMode.ParseAll);
    expect(own(typesOnly).jsDocParsingMode).toBe(ts.JSDocParsingMode.ParseForTypeErrors);
    // Bound once: the second program's checker finds the lib files' symbols already there.
    typesOnly.getTypeChecker();
    const locals = libs.map((f) => (f as ts.SourceFile & { locals?: unknown }).locals);
    expect(locals.every((l) => l !== undefined)).toBe(true);
    full.getTypeChecker();
    expect(libs.map((f) => (f as ts.SourceFile & { locals?: unknown }).locals)).toEqual(locals);
    expect(libs.every((f, i) => (f as ts.SourceFile & { locals?: unknown }).locals === locals[i])).toBe(true);
  });

  it('give the type errors of lib files parsed apart with every JSDoc comment', () => {
    const shared = loadProgram(tmp).program;
    // The reference: the same options and files, its lib files parsed for this program alone, as it asks (every JSDoc).
    const cfg = parseTsconfig(join(tmp, 'tsconfig.json'));
    const host = compilerHost(cfg.options);
    const fromDisk = host.getSourceFile;
    let ownLibs = 0;
    host.getSourceFile = (f, lang, onError, create) => {
      const text = libText(f);
      if (text === undefined) return fromDisk.call(host, f, lang, onError, create);
      ownLibs++;
      return ts.createSourceFile(f, text, lang);
    };
    const apart = ts.createProgram({ rootNames: cfg.fileNames, options: cfg.options, host });
    expect(ownLibs).toBeGreaterThan(10);
    expect(apart.getSourceFiles().find((f) => libText(f.fileName) !== undefined)).not.toBe(shared.getSourceFiles().find((f) => libText(f.fileName) !== undefined));
    const want = diagnostics(apart);
    expect(want.filter((d) => d.includes('/a.ts:')).length).toBeGreaterThanOrEqual(4);
    expect(diagnostics(shared)).toEqual(want);
  });
});
