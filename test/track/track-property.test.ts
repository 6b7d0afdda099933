/**
 * Property: on a random history the tracker's findings at every commit equal a fresh analysis of
 * that commit's checkout. The history grows generated modules around the blobworld fixture —
 * functions reading a blob's field, callers passing them blobs of one kind or the other, stores
 * into a holder's field and readers of it in files that do not import the stores, a field's
 * value passed to one function from parameters and from allocations (value use), functions that
 * mark their parameter in a branch whose other side throws and their callers, stores through a
 * call into a container the storing file never names and its readers, marks of an exported module
 * variable written by other files' functions (through an import alias) and its readers, marks on
 * locals read against a type test whose verdict rests on a helper two calls deep and on class
 * methods it calls (`Words.pass(w)`, `this.word(w)`; an edit of either makes it no test and a test
 * again, an edit of another method of the class changes nothing), padding that
 * moves code down, comment edits, removed files — a few random edits per commit, from a seed
 * printed with the test (MEMDESC_TRACK_SEED=N replays one). The walk runs cold with a disk cache,
 * then once per commit up to it (everything but that commit from the cache), then without a cache.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveSpec } from '../../src/model/builtin.ts';
import type { AnalysisResult } from '../../src/model/findings.ts';
import { progressPoint } from '../../src/track/progress.ts';
import { trackHistory } from '../../src/track/track.ts';
import { prng as rng } from '../../src/verify/mutants-gen.ts';
import { analyzeEachCommit, BLOBWORLD, commitIn, gitIn, routeNetTest } from './history.ts';

const SEED = Number(process.env.MEMDESC_TRACK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const COMMITS = 10;

type Alloc = 'net' | 'cache';
type Field = 'owner' | 'slot';
interface Taker { kind: 'take'; field: Field; pad: number }
interface Caller { kind: 'call'; taker: string; alloc: Alloc; pad: number }
interface Store { kind: 'store'; alloc: Alloc; pad: number }
interface Reader { kind: 'read'; field: Field; pad: number }
/** Value use: a blob's field passed to sock_lookup(), from a parameter (no code evidence) or from an allocation. */
interface User { kind: 'use'; field: Field; pad: number }
interface Teacher { kind: 'teach'; field: Field; alloc: Alloc; pad: number }
/** A function marking its parameter (or not) in a branch whose other side throws, and a caller relying on it. */
interface Marker { kind: 'mark'; flag: 'FLAG_NET' | 'FLAG_CACHE' | undefined; pad: number }
interface MarkUser { kind: 'markuse'; marker: string; field: Field; pad: number }
/** A store through a call (`items_of(h).push(…)`): the file never names the container. */
interface IStore { kind: 'istore'; alloc: Alloc; pad: number }
interface IReader { kind: 'iread'; field: Field; pad: number }
/** A mark of the exported module variable `gblob` (gvar.ts) through an import alias, and a reader of it. */
interface GMarker { kind: 'gmark'; flag: 'FLAG_NET' | 'FLAG_CACHE' | undefined; pad: number }
interface GReader { kind: 'gread'; field: Field; pad: number }
/** A mark on a local, read against the type tests (IsNetBlob's verdict rests on word_of(), two calls deep). */
interface LMarker { kind: 'lmark'; flag: 'FLAG_NET' | 'FLAG_CACHE'; field: Field; pad: number }
type Module = Taker | Caller | Store | Reader | User | Teacher | Marker | MarkUser | IStore | IReader | GMarker | GReader | LMarker;

const ALLOC: Record<Alloc, { call: string; from: string; name: string }> = {
  net: { call: 'alloc_netbuf(1, 2)', from: '../net/buf.ts', name: 'alloc_netbuf' },
  cache: { call: 'alloc_cache_blob(3)', from: '../cache.ts', name: 'alloc_cache_blob' },
};

/** Padding functions above a module's own: they move its code down by 4 lines each. */
function pads(name: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `export function ${name}_pad${i}(x: number): number {\n  return x + ${i};\n}\n\n`;
  return s;
}

function render(name: string, m: Module): string {
  switch (m.kind) {
    case 'take':
      return `import { Blob } from '../blob.ts';\n\n${pads(name, m.pad)}export function ${name}(b: Blob): number {\n  return b.${m.field};\n}\n`;
    case 'call':
      return `import { ${m.taker} } from './${m.taker}.ts';\nimport { ${ALLOC[m.alloc].name} } from '${ALLOC[m.alloc].from}';\n\n${pads(name, m.pad)}` +
        `export function ${name}(): number {\n  return ${m.taker}(${ALLOC[m.alloc].call});\n}\n`;
    case 'store':
      return `import { Holder } from './holder.ts';\nimport { ${ALLOC[m.alloc].name} } from '${ALLOC[m.alloc].from}';\n\n${pads(name, m.pad)}` +
        `export function ${name}(h: Holder): void {\n  h.b = ${ALLOC[m.alloc].call};\n}\n`;
    case 'read':
      return `import { Holder } from './holder.ts';\n\n${pads(name, m.pad)}export function ${name}(h: Holder): number {\n  const b = h.b;\n  return b ? b.${m.field} : 0;\n}\n`;
    case 'use':
      return `import { Blob } from '../blob.ts';\nimport { sock_lookup } from './sock.ts';\n\n${pads(name, m.pad)}export function ${name}(b: Blob): number {\n  return sock_lookup(b.${m.field});\n}\n`;
    case 'mark':
      return `import { Blob } from '../blob.ts';\nimport { FLAG_CACHE, FLAG_NET } from '../helpers.ts';\n\n${pads(name, m.pad)}` +
        `export function ${name}(b: Blob, ok: boolean): void {\n  const n = FLAG_CACHE + FLAG_NET;\n  if (!ok) {\n    throw new Error('no');\n  } else {\n` +
        `    ${m.flag ? `b.flags = ${m.flag};` : 'void b;'}\n  }\n  void n;\n}\n`;
    case 'markuse':
      return `import { Blob } from '../blob.ts';\nimport { ${m.marker} } from './${m.marker}.ts';\n\n${pads(name, m.pad)}` +
        `export function ${name}(b: Blob): number {\n  ${m.marker}(b, true);\n  return b.${m.field};\n}\n`;
    case 'istore':
      return `import { Holder, items_of } from './holder.ts';\nimport { ${ALLOC[m.alloc].name} } from '${ALLOC[m.alloc].from}';\n\n${pads(name, m.pad)}` +
        `export function ${name}(h: Holder): void {\n  items_of(h).push(${ALLOC[m.alloc].call});\n}\n`;
    case 'iread':
      return `import { Holder } from './holder.ts';\n\n${pads(name, m.pad)}export function ${name}(h: Holder): number {\n  const b = h.items[0]!;\n  return b.${m.field};\n}\n`;
    case 'gmark':
      return `import { FLAG_CACHE, FLAG_NET } from '../helpers.ts';\nimport { gblob as g } from './gvar.ts';\n\n${pads(name, m.pad)}` +
        `export function ${name}(): void {\n  void FLAG_CACHE;\n  void FLAG_NET;\n  ${m.flag ? `g.flags = ${m.flag};` : 'void g;'}\n}\n`;
    case 'gread':
      return `import { gblob } from './gvar.ts';\n\n${pads(name, m.pad)}export function ${name}(): number {\n  return gblob.${m.field};\n}\n`;
    case 'lmark':
      return `import { blob_alloc, ${m.flag} } from '../helpers.ts';\n\n${pads(name, m.pad)}` +
        `export function ${name}(): number {\n  const b = blob_alloc(0);\n  b.flags = ${m.flag};\n  return b.${m.field};\n}\n`;
    case 'teach':
      return `import { sock_lookup } from './sock.ts';\nimport { ${ALLOC[m.alloc].name} } from '${ALLOC[m.alloc].from}';\n\n${pads(name, m.pad)}` +
        `export function ${name}(): number {\n  const b = ${ALLOC[m.alloc].call};\n  return sock_lookup(b.${m.field});\n}\n`;
  }
}

let dir: string;
let repo: string;
const spec = resolveSpec(join(BLOBWORLD, 'spec.json'));
const shas: string[] = [];
const log: string[] = [];
const fresh = new Map<string, AnalysisResult>();

beforeAll(() => {
  console.log(`track property test: seed ${SEED} (replay with MEMDESC_TRACK_SEED=${SEED})`);
  const rand = rng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  dir = mkdtempSync(join(tmpdir(), 'memdesc-track-property-'));
  repo = join(dir, 'repo');
  cpSync(BLOBWORLD, join(repo, 'proj'), { recursive: true });
  const gen = join(repo, 'proj/src/gen');
  mkdirSync(gen);
  writeFileSync(join(gen, 'holder.ts'), `import { Blob } from '../blob.ts';\n\nexport class Holder {\n  b: Blob | null = null;\n  items: Blob[] = [];\n}\n\n` +
    `export function items_of(h: Holder): Blob[] {\n  return h.items;\n}\n`);
  writeFileSync(join(gen, 'gvar.ts'), `import { Blob } from '../blob.ts';\n\nexport const gblob = new Blob(0x3000);\n`);
  // IsNetBlob tests the word flags_word() hands back, which hands back what word_of() returns.
  const word = (ret: string): void => writeFileSync(join(gen, 'word.ts'), `export function word_of(w: number): number {\n  return ${ret};\n}\n`);
  let wordIsTest = true;
  word('w');
  writeFileSync(join(gen, 'bits.ts'), `import { Words } from './words.ts';\n\nexport function flags_word(w: number): number {\n  return Words.pass(w);\n}\n`);
  // …through class methods: Words.pass() hands back what this.word() returns, which is word_of()'s.
  const method = { word: 'word_of(w)', other: 0 };
  const words = (): void => writeFileSync(join(gen, 'words.ts'), `import { word_of } from './word.ts';\n\nexport class Words {\n` +
    `  static pass(w: number): number {\n    return this.word(w);\n  }\n\n  static word(w: number): number {\n    return ${method.word};\n  }\n\n` +
    `  static other(n: number): number {\n    return n + ${method.other};\n  }\n}\n`);
  words();
  routeNetTest(repo, "import { flags_word } from './gen/bits.ts';", (f) => `flags_word(${f})`);
  writeFileSync(join(gen, 'sock.ts'), `export function sock_lookup(sock: number): number {\n  return sock * 2;\n}\n`);
  const modules = new Map<string, Module>();
  let next = 0;
  const named = (kind: Module['kind']): string[] => [...modules].filter(([, m]) => m.kind === kind).map(([n]) => n);
  const write = (name: string): void => writeFileSync(join(gen, `${name}.ts`), render(name, modules.get(name)!));
  const add = (kind: Module['kind'], m: Module): string => {
    const name = `${kind}_${next++}`;
    modules.set(name, m);
    write(name);
    return name;
  };
  const field = (): Field => pick(['owner', 'slot'] as const);
  const alloc = (): Alloc => pick(['net', 'cache'] as const);
  const ops: Array<() => string | undefined> = [
    () => `add ${add('take', { kind: 'take', field: field(), pad: 0 })}`,
    () => {
      const takers = named('take');
      return takers.length ? `add ${add('call', { kind: 'call', taker: pick(takers), alloc: alloc(), pad: 0 })}` : undefined;
    },
    () => `add ${add('store', { kind: 'store', alloc: alloc(), pad: 0 })}`,
    () => `add ${add('read', { kind: 'read', field: field(), pad: 0 })}`,
    () => `add ${add('use', { kind: 'use', field: field(), pad: 0 })}`,
    () => `add ${add('teach', { kind: 'teach', field: field(), alloc: alloc(), pad: 0 })}`,
    () => `add ${add('mark', { kind: 'mark', flag: pick(['FLAG_NET', 'FLAG_CACHE', undefined] as const), pad: 0 })}`,
    () => {
      const markers = named('mark');
      return markers.length ? `add ${add('markuse', { kind: 'markuse', marker: pick(markers), field: field(), pad: 0 })}` : undefined;
    },
    () => `add ${add('istore', { kind: 'istore', alloc: alloc(), pad: 0 })}`,
    () => `add ${add('iread', { kind: 'iread', field: field(), pad: 0 })}`,
    () => `add ${add('gmark', { kind: 'gmark', flag: pick(['FLAG_NET', 'FLAG_CACHE', undefined] as const), pad: 0 })}`,
    () => `add ${add('gread', { kind: 'gread', field: field(), pad: 0 })}`,
    () => `add ${add('lmark', { kind: 'lmark', flag: pick(['FLAG_NET', 'FLAG_CACHE'] as const), field: field(), pad: 0 })}`,
    () => {
      // The mark in the branch (or of gblob) changes: its callers' (or readers') kind with it.
      const markers = [...named('mark'), ...named('gmark')];
      if (!markers.length) return undefined;
      const n = pick(markers);
      const m = modules.get(n) as Marker | GMarker;
      m.flag = pick((['FLAG_NET', 'FLAG_CACHE', undefined] as const).filter((f) => f !== m.flag));
      write(n);
      return `remark ${n}`;
    },
    () => {
      // IsNetBlob stops (or starts again) being a test, two calls deep.
      wordIsTest = !wordIsTest;
      word(wordIsTest ? 'w' : '7');
      return `word ${wordIsTest ? 'test' : 'no test'}`;
    },
    () => {
      // The method IsNetBlob's verdict calls stops (or starts again) handing the word back.
      method.word = method.word === 'word_of(w)' ? '7' : 'word_of(w)';
      words();
      return `method word() ${method.word}`;
    },
    () => {
      // Another method of the class: no verdict changes.
      method.other++;
      words();
      return 'method other()';
    },
    () => {
      // A caller, a store or a teacher now passes the other kind.
      const xs = [...named('call'), ...named('store'), ...named('teach'), ...named('istore')];
      if (!xs.length) return undefined;
      const n = pick(xs);
      const m = modules.get(n) as Caller | Store | Teacher | IStore;
      m.alloc = m.alloc === 'net' ? 'cache' : 'net';
      write(n);
      return `flip ${n}`;
    },
    () => {
      const takers = named('take');
      const callers = named('call');
      if (!callers.length || takers.length < 2) return undefined;
      const n = pick(callers);
      (modules.get(n) as Caller).taker = pick(takers);
      write(n);
      return `retarget ${n}`;
    },
    () => {
      const xs = [...named('take'), ...named('read'), ...named('use'), ...named('teach'), ...named('markuse'), ...named('iread'), ...named('gread'), ...named('lmark')];
      if (!xs.length) return undefined;
      const n = pick(xs);
      const m = modules.get(n) as Taker | Reader | User | Teacher | MarkUser | IReader | GReader | LMarker;
      m.field = m.field === 'owner' ? 'slot' : 'owner';
      write(n);
      return `field ${n}`;
    },
    () => {
      // Code moves down: evidence citing it must follow.
      if (!modules.size) return undefined;
      const n = pick([...modules.keys()]);
      modules.get(n)!.pad++;
      write(n);
      return `pad ${n}`;
    },
    () => {
      // Nobody imports callers, stores, users, teachers, mark users and the new kinds: they can go.
      const xs = [...named('call'), ...named('store'), ...named('use'), ...named('teach'), ...named('markuse'), ...named('istore'), ...named('iread'),
        ...named('gmark'), ...named('gread'), ...named('lmark')];
      if (!xs.length) return undefined;
      const n = pick(xs);
      modules.delete(n);
      rmSync(join(gen, `${n}.ts`));
      return `remove ${n}`;
    },
    () => {
      const f = pick(['src/helpers.ts', 'src/cache.ts', 'src/net/buf.ts', 'src/blob.ts']);
      const p = join(repo, 'proj', f);
      writeFileSync(p, `${readFileSync(p, 'utf8')}// edit ${next++}\n`);
      return `comment ${f}`;
    },
  ];
  gitIn(repo, 'init', '-q');
  shas.push(commitIn(repo, 'base'));
  log.push('base');
  while (shas.length < COMMITS) {
    const done: string[] = [];
    const n = 1 + Math.floor(rand() * 3);
    // An add undone by a remove leaves nothing to commit: edit on until the tree changes.
    while (done.length < n || gitIn(repo, 'status', '--porcelain') === '') {
      const d = pick(ops)();
      if (d) done.push(d);
    }
    shas.push(commitIn(repo, done.join(', ')));
    log.push(done.join(', '));
  }
  for (const [sha, r] of analyzeEachCommit(repo, join(dir, 'checkout'), shas, spec)) fresh.set(sha, r);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Which commit, for a failure message. */
const at = (i: number): string => `seed ${SEED}, commit ${i + 1} (${log[i]})`;

describe(`track property: findings equal a fresh analysis at every commit (seed ${SEED})`, () => {
  it('the generated history has findings in its generated files', () => {
    const kinds = new Set([...fresh.values()].flatMap((r) => r.findings.filter((f) => f.file.startsWith('src/gen/')).map((f) => f.kind)));
    expect(kinds.size, `seed ${SEED}: ${[...kinds].join(', ')}`).toBeGreaterThan(0);
  });

  it('cold with a disk cache, then every commit as the newest from the cache, then with no cache', async () => {
    const cacheDir = join(dir, 'cache');
    const cold = await trackHistory({ spec, repo, path: 'proj', cacheDir });
    expect(cold.report.points.map((p) => p.commit)).toEqual(shas);
    cold.report.points.forEach(({ stage2: _, ...p }, i) => {
      // The counts a fresh analysis gives (stage 2 is read from the code, not the analysis).
      const want = progressPoint(fresh.get(shas[i]!)!, spec, p);
      expect(p, at(i)).toEqual(want);
    });
    expect(cold.newest.findings, at(shas.length - 1)).toEqual(fresh.get(shas[shas.length - 1]!)!.findings);
    for (let i = 0; i < shas.length; i++) {
      const r = await trackHistory({ spec, repo, path: 'proj', range: shas[i], cacheDir });
      expect(r.newest.findings, at(i)).toEqual(fresh.get(shas[i]!)!.findings);
      expect(r.newest.residue, at(i)).toEqual(fresh.get(shas[i]!)!.residue);
    }
    const plain = await trackHistory({ spec, repo, path: 'proj', cacheDir: false });
    expect(plain.report.points).toEqual(cold.report.points);
  }, 240_000);
});
