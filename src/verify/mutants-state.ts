/**
 * What a project's objects hold when its oracle exits: the analogue, for `verify --mutants` under
 * a project's oracle, of the memmap the corpus simulation leaves behind. Every instance of the
 * spec's class and of its descriptor classes registers itself (a class field under a symbol key,
 * so no key listing or JSON output changes); at exit the values of their getters and own data
 * properties are hashed and printed on stderr as one line. A wrong conversion whose writes no
 * output shows (a word cleared into the wrong field before the object is freed) still changes it.
 *
 * The splices are applied to run copies only, never to the texts that are type-checked.
 */
import { ts } from '@ts-morph/common';
import { matchPath } from '../analyzers/glob.ts';
import type { Spec } from '../model/spec.ts';
import type { Splice } from './mutants-gen.ts';

export const STATE_MARKER = 'memdesc-state:';

/** Objects kept for the digest: beyond this many the rest are not registered (still deterministic). */
const MAX_OBJECTS = 200_000;

/**
 * The registry, created by whichever instance comes first; prints at exit. Plain JavaScript with
 * `any` casts so that it also reads as TypeScript (the copies are bundled, not type-checked).
 */
const REGISTRY = `((a: any[]) => ((globalThis as any).process?.once?.('exit', () => {
  const val = (v: any): string => v === null || typeof v !== 'object' && typeof v !== 'function' ? String(v) : (v.constructor?.name ?? typeof v);
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  const mix = (s: string): void => { for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); h1 = Math.imul(h1 ^ c, 2654435761); h2 = Math.imul(h2 ^ c, 1597334677); } };
  for (const o of a) {
    mix('|' + (o.constructor?.name ?? '?'));
    const seen = new Set<string>();
    for (let p = o; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
        if (seen.has(k) || k === 'constructor' || !(d.get || (p === o && d.enumerable))) continue;
        seen.add(k);
        let v: string;
        try { v = val(o[k]); } catch { v = '!'; }
        mix(';' + k + '=' + v);
      }
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  (globalThis as any).process.stderr.write('${STATE_MARKER} ' + (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0') + ' ' + a.length + '\\n');
}), a))([])`;

/** The class names whose objects are the state: the spec's class and its descriptor classes. */
export function stateClasses(spec: Spec): Set<string> {
  return new Set([spec.page.class, ...spec.kinds.flatMap((k) => (k.descriptor ? [k.descriptor.class] : []))]);
}

/**
 * Splices that make every instance of the state classes register itself: a field initialised
 * first thing in the class body. Files are tree-relative. The spec's class counts only in its
 * declared file (another class of that name elsewhere is not the one converted).
 */
export function stateSplices(spec: Spec, files: Map<string, ts.SourceFile>): Splice[] {
  const names = stateClasses(spec);
  const out: Splice[] = [];
  const field = `[Symbol.for('memdesc.state')] = (() => { const a: any[] = ((globalThis as any).__memdesc_state ??= ${REGISTRY}); if (a.length < ${MAX_OBJECTS}) a.push(this); return undefined; })();\n`;
  for (const [file, sf] of files) {
    if (sf.isDeclarationFile) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isClassDeclaration(n) && n.name && names.has(n.name.text) && (n.name.text !== spec.page.class || matchPath(spec.page.file, file))) {
        // Just after the class body's `{`: the field runs before any other initializer.
        const open = n.members.pos;
        out.push({ file, start: open, end: open, text: `\n  ${field}` });
      }
      n.forEachChild(visit);
    };
    visit(sf);
  }
  return out;
}

/** The output without the state line, and the digest it carried (undefined when none was printed). */
export function splitState(output: string): { output: string; state?: string } {
  const lines = output.split('\n');
  const marks = lines.filter((l) => l.startsWith(STATE_MARKER));
  const rest = lines.filter((l) => !l.startsWith(STATE_MARKER)).join('\n');
  return marks.length === 1 ? { output: rest, state: marks[0]!.slice(STATE_MARKER.length).trim() } : { output: rest };
}
