/**
 * The JSON Schemas in docs/schemas are the documented contract of memdesc's JSON output and spec
 * format. Real output is validated against them (analyzePath() and `analyze --json`, a small
 * `track` history, `status --json`, `plan import --json`, `verify --json` in its three forms), the
 * built-in and fixture specs too, so
 * neither the code nor the docs can drift alone. Each schema must also reject drifted output
 * (an extra key, a missing key, a wrong enum value), and for specs the schema and the validator
 * must agree on a table of valid and invalid inputs.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import Ajv2020Package from 'ajv/dist/2020.js';
import ajvErrorsPackage from 'ajv-errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { analyzePath } from '../../src/analyzers/analyze.ts';
import { main } from '../../src/cli.ts';
import { InputError } from '../../src/errors.ts';
import { builtinSpec, BUILTIN_SPEC_FILE, resolveSpec } from '../../src/model/builtin.ts';
import { validateSpec } from '../../src/model/spec-validate.ts';
import { trackHistory } from '../../src/track/track.ts';

// ajv is CommonJS: the class is module.exports and module.exports.default.
const Ajv2020 = Ajv2020Package.default;
const ajvErrors = ajvErrorsPackage.default;

const REPO = join(import.meta.dirname, '..', '..');
const SCHEMAS = join(REPO, 'docs', 'schemas');
const FIX = join(REPO, 'test', 'fixtures');
const OTHER = join(FIX, 'analyzer', 'other-codebase');
const OTHER_SPEC = join(OTHER, 'spec.json');
const BROKEN = join(FIX, 'analyzer', 'broken');

// strictSchema (ajv's default) rejects unknown keywords: a typo in a schema fails here. Formats
// are annotations; the schemas carry patterns for what must be checked.
// Union types ("a string or an object") are how the spec schema avoids oneOf; errorMessage
// (ajv-errors) is the spec schema's own wording of its errors.
const ajv = new Ajv2020({ allErrors: true, strictTypes: true, strictTuples: true, allowUnionTypes: true, validateFormats: false });
ajvErrors(ajv);
for (const f of readdirSync(SCHEMAS).filter((n) => n.endsWith('.schema.json')).sort()) {
  ajv.addSchema(JSON.parse(readFileSync(join(SCHEMAS, f), 'utf8')) as object);
}

/** Validation errors of `data` against docs/schemas/<name>.schema.json (empty: valid). */
function errors(name: string, data: unknown): string[] {
  const v = ajv.getSchema(`${name}.schema.json`);
  if (!v) throw new Error(`no schema ${name}.schema.json`);
  return v(data) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

/** What the CLI would print: the value through JSON. */
function asJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** A copy of `v` changed by `edit` (which may mutate it). */
function drifted<T>(v: T, edit: (c: T) => void): T {
  const c = structuredClone(v);
  edit(c);
  return c;
}

const io = captureOutput();

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  io.reset();
  const code = await main(args);
  return { code, stdout: io.out, stderr: io.err };
}

const COVER = `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Jane Doe <jane@example.org>
Date: Mon, 3 Jun 2024 10:00:00 +0000
Subject: [PATCH v2 0/2] Split cacheobj from struct blob

Give the cache its own descriptor.

Jane Doe (2):
  cache: Add struct cacheobj
  net: Convert net_seq() to use blob seq

 src/cache.ts | 10 +++++-----
 src/net/net.ts | 4 ++--
 2 files changed, 7 insertions(+), 7 deletions(-)

--
2.45.0
`;

let tmp: string;
let coverFile: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'memdesc-schemas-'));
  coverFile = join(tmp, 'cover.patch');
  writeFileSync(coverFile, COVER);
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('docs/schemas: findings (analyze --json)', () => {
  const spec = resolveSpec(OTHER_SPEC);
  const other = asJson(analyzePath(OTHER, { spec }));
  const broken = asJson(analyzePath(BROKEN, { spec: builtinSpec() }));

  it('the fixtures exercise every part of the schema', () => {
    // Otherwise a wrong conditional (call -> wrapper, converted -> descriptorField) would go unseen.
    expect(other.findings.some((f) => f.access === 'call' && f.wrapper && f.wrapperAccess)).toBe(true);
    expect(other.findings.some((f) => f.converted && f.descriptorField)).toBe(true);
    expect(other.findings.some((f) => !f.converted && f.access !== 'call')).toBe(true);
    expect(other.findings.some((f) => f.function)).toBe(true);
    // The kind/confidence conditional needs both sides.
    expect(other.findings.some((f) => f.kind === 'unknown')).toBe(true);
    expect(other.findings.some((f) => f.kind !== 'unknown')).toBe(true);
    expect(other.wrappers.length).toBeGreaterThan(0);
    expect(broken.residue.length).toBeGreaterThan(0);
  });

  it('analyzePath() results validate', () => {
    expect(errors('findings', other)).toEqual([]);
    expect(errors('findings', broken)).toEqual([]);
    expect(errors('findings', asJson(analyzePath(OTHER, { spec, kinds: ['net'], fields: ['slot'] })))).toEqual([]);
  });

  it('`memdesc analyze --json` prints exactly that result, and it validates', async () => {
    const r = await cli('analyze', OTHER, '--spec', OTHER_SPEC, '--json');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout);
    expect(errors('findings', printed)).toEqual([]);
    expect(printed).toEqual(other);
  });

  it('rejects drifted output', () => {
    const call = other.findings.findIndex((f) => f.access === 'call');
    const conv = other.findings.findIndex((f) => f.converted);
    const bad = [
      drifted(other, (c) => { (c as unknown as Record<string, unknown>).extra = 1; }),
      drifted(other, (c) => { (c as { version: number }).version = 2; }),
      drifted(other, (c) => { (c.findings[0] as unknown as Record<string, unknown>).severity = 'high'; }),
      drifted(other, (c) => { delete (c.findings[0] as Partial<typeof c.findings[0]>).evidence; }),
      drifted(other, (c) => { (c.findings[0] as { access: string }).access = 'poke'; }),
      drifted(other, (c) => { delete c.findings[call]!.wrapper; }),
      drifted(other, (c) => { delete c.findings[conv]!.descriptorField; }),
      drifted(other, (c) => { c.findings[0]!.line = 0; }),
      drifted(other, (c) => { delete (c.summary as Partial<typeof c.summary>).byKind; }),
      drifted(other, (c) => { delete (c.findings[0] as Partial<typeof c.findings[0]>).confidence; }),
      drifted(other, (c) => { (c.findings[0] as { confidence: string }).confidence = 'vibes'; }),
      drifted(other, (c) => { const u = c.findings.find((f) => f.kind === 'unknown')!; u.confidence = 'guard'; }),
      drifted(other, (c) => { const k = c.findings.find((f) => f.kind !== 'unknown')!; k.confidence = 'unknown'; }),
      drifted(other, (c) => { delete (c.summary.byConfidence as Partial<typeof c.summary.byConfidence>)['owner-hint']; }),
      drifted(broken, (c) => { delete (c.residue[0] as Partial<typeof c.residue[0]>).reason; }),
    ];
    for (const [i, b] of bad.entries()) expect(errors('findings', b), `drift #${i}`).not.toEqual([]);
  });
});

describe('docs/schemas: track, status, plan', () => {
  let repo: string;
  const spec = resolveSpec(OTHER_SPEC);
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env });

  beforeAll(() => {
    repo = join(tmp, 'repo');
    cpSync(OTHER, join(repo, 'proj'), { recursive: true });
    // The first commit has no tsconfig.json yet: a gap point.
    rmSync(join(repo, 'proj', 'tsconfig.json'));
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'sources without a project');
    cpSync(join(OTHER, 'tsconfig.json'), join(repo, 'proj', 'tsconfig.json'));
    git('add', '-A');
    git('commit', '-qm', 'base');
    const file = join(repo, 'proj', 'src', 'generic.ts');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n// a second commit\n`);
    git('commit', '-qam', 'generic: a comment');
  });

  it('a track report validates, with and without a plan', async () => {
    const r = await trackHistory({ spec, repo, path: 'proj', cacheDir: false });
    const report = asJson(r.report);
    expect(report.points).toHaveLength(3);
    expect(report.points[0]!.gap).toBeTruthy();
    expect(report.points[1]!.gap).toBeUndefined();
    expect(errors('track', report)).toEqual([]);
    const { readPlanFile } = await import('../../src/track/planImport.ts');
    const { planProgress } = await import('../../src/track/planStatus.ts');
    const withPlan = asJson({ ...r.report, plan: planProgress(readPlanFile(coverFile), r.newestFacts(), spec) });
    expect(withPlan.plan!.patches).toHaveLength(2);
    expect(errors('track', withPlan)).toEqual([]);
  });

  it('`memdesc track --json --plan` prints a report that validates', async () => {
    const r = await cli('track', repo, '--path', 'proj', '--spec', OTHER_SPEC, '--json', '--no-cache', '--plan', coverFile);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.plan).toBeDefined();
    expect(errors('track', report)).toEqual([]);
    expect(errors('track', drifted(report, (c) => { c.points[1].notes = 'x'; }))).not.toEqual([]);
    expect(errors('track', drifted(report, (c) => { c.points[1].gap = 'no tsconfig.json'; }))).not.toEqual([]);
    expect(errors('track', drifted(report, (c) => { c.points[0].files = 3; }))).not.toEqual([]);
    expect(errors('track', drifted(report, (c) => { c.points[1].commit = 'HEAD'; }))).not.toEqual([]);
    expect(errors('track', drifted(report, (c) => { c.points[1].kinds.cache.percent = 101; }))).not.toEqual([]);
    expect(errors('track', drifted(report, (c) => { c.plan.patches[0].state = 'maybe'; }))).not.toEqual([]);
    expect(errors('track', drifted(report, (c) => { delete c.cache; }))).not.toEqual([]);
  });

  it('`memdesc status --json` (with and without --plan) validates', async () => {
    const plain = await cli('status', OTHER, '--spec', OTHER_SPEC, '--json');
    expect(plain.code).toBe(0);
    const point = JSON.parse(plain.stdout);
    expect(errors('status', point)).toEqual([]);
    const planned = await cli('status', OTHER, '--spec', OTHER_SPEC, '--json', '--plan', coverFile);
    expect(planned.code).toBe(0);
    const withPlan = JSON.parse(planned.stdout);
    expect(withPlan.plan.patches).toHaveLength(2);
    expect(errors('status', withPlan)).toEqual([]);
    expect(errors('status', drifted(point, (c) => { c.extra = true; }))).not.toEqual([]);
    expect(errors('status', drifted(point, (c) => { c.commit = 'a'.repeat(40); }))).not.toEqual([]);
    expect(errors('status', drifted(point, (c) => { c.date = 'yesterday'; }))).not.toEqual([]);
    expect(errors('status', drifted(point, (c) => { c.gap = 'no project'; }))).not.toEqual([]);
  });

  it('`memdesc plan import --json` validates', async () => {
    const r = await cli('plan', 'import', coverFile, '--json');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan).toMatchObject({ title: 'Split cacheobj from struct blob', version: 2, author: 'Jane Doe' });
    expect(errors('plan', plan)).toEqual([]);
    expect(errors('plan', drifted(plan, (c) => { c.patches[0].number = 0; }))).not.toEqual([]);
    expect(errors('plan', drifted(plan, (c) => { c.email = 'jane@example.org'; }))).not.toEqual([]);
  });
});

describe('docs/schemas: verify (the simulation, the user\'s oracle, mutants)', () => {
  const WAREHOUSE = join(FIX, 'oracle', 'warehouse');

  it('`verify --json` on the corpus simulation validates', async () => {
    const r = await cli('verify', '--corpus', '--against', join(REPO, 'corpus'), '--workloads', 'buddy', '--seeds', '1', '--ops', '300', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.pairs).toBe(1);
    expect(errors('verify', report)).toEqual([]);
    expect(errors('verify', drifted(report, (c) => { delete c.opsSource; }))).not.toEqual([]);
    expect(errors('verify', drifted(report, (c) => { c.mismatches = [{ workload: 'buddy', seed: 1 }]; }))).not.toEqual([]);
    expect(errors('verify', drifted(report, (c) => { c.candidate.commit = 'HEAD'; }))).not.toEqual([]);
  }, 120_000);

  it('`verify --entry --json` (the user\'s oracle) validates, agreeing and differing', async () => {
    const same = await cli('verify', WAREHOUSE, '--against', WAREHOUSE, '--entry', 'src/main.ts', '--json');
    expect(same.code, same.stderr).toBe(0);
    const ok = JSON.parse(same.stdout);
    expect(errors('verify', ok)).toEqual([]);
    const changed = join(tmp, 'warehouse-changed');
    cpSync(WAREHOUSE, changed, { recursive: true });
    const entry = join(changed, 'src', 'main.ts');
    writeFileSync(entry, readFileSync(entry, 'utf8').replace('take 4 from a', 'take four from a'));
    const diff = await cli('verify', changed, '--against', WAREHOUSE, '--entry', 'src/main.ts', '--json');
    expect(diff.code).toBe(1);
    const bad = JSON.parse(diff.stdout);
    expect(bad.difference.line.candidate).toContain('take four');
    expect(errors('verify', bad)).toEqual([]);
    // ok and difference go together.
    expect(errors('verify', drifted(ok, (c) => { c.ok = false; }))).not.toEqual([]);
    expect(errors('verify', drifted(bad, (c) => { c.ok = true; }))).not.toEqual([]);
    expect(errors('verify', drifted(ok, (c) => { c.runsPerSide = 2; }))).not.toEqual([]);
  }, 120_000);

  it('`verify --mutants --json` validates', async () => {
    const r = await cli('verify', '--mutants', WAREHOUSE, '--spec', join(WAREHOUSE, 'spec.json'), '--count', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.run).toBeGreaterThan(0);
    expect(errors('verify', report)).toEqual([]);
    expect(errors('verify', drifted(report, (c) => { c.score = 2; }))).not.toEqual([]);
    expect(errors('verify', drifted(report, (c) => { c.killed[0].operator = 'flip'; }))).not.toEqual([]);
    expect(errors('verify', drifted(report, (c) => { delete c.killed[0].killedBy; }))).not.toEqual([]);
  }, 120_000);
});

describe('docs/schemas: spec', () => {
  const specFiles = [
    BUILTIN_SPEC_FILE.pathname,
    ...readdirSync(FIX, { recursive: true, encoding: 'utf8' }).filter((p) => /(^|\/)spec\.json$/.test(p)).map((p) => join(FIX, p)),
  ];

  it('the built-in spec and every fixture spec validate', () => {
    expect(specFiles.length).toBeGreaterThan(2);
    for (const f of specFiles) expect(errors('spec', JSON.parse(readFileSync(f, 'utf8'))), f).toEqual([]);
  });

  /** Whether memdesc's own validator accepts a spec (the built-in one as the base of "extends"). */
  function accepted(json: unknown): boolean {
    try {
      validateSpec(json, 'case', builtinSpec());
      return true;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return false;
    }
  }

  const page = { class: 'Blob', file: 'src/blob.ts', fields: { slot: { words: [3] } } };
  const kind = { name: 'net', descriptor: null, fields: { slot: 'seq' } };
  const cases: Array<[string, boolean, unknown]> = [
    ['minimal', true, { page, kinds: [kind] }],
    ['extends builtin, one kind', true, { extends: 'builtin', kinds: [{ name: 'extra', descriptor: 'Extra' }] }],
    ['extends builtin, nothing else', true, { extends: 'builtin', name: 'mine' }],
    ['$schema key', true, { $schema: '../docs/schemas/spec.schema.json', page, kinds: [kind] }],
    ['track as boolean', true, { page: { ...page, fields: { slot: { words: [3], track: false } } }, kinds: [kind] }],
    ['descriptor object', true, { page, kinds: [{ ...kind, descriptor: { class: 'Net', placement: 'src/net.ts', match: 'NET_MATCH', variable: 'net' } }] }],
    ['field map forms', true, { page: { ...page, fields: { slot: { words: [3] }, tag: { words: [4] } } }, kinds: [{ ...kind, fields: { slot: ['a', 'b'], tag: { to: 'c', bits: '0:8', note: 'n' } } }] }],
    ['assertions, owners, provenance forms', true, { page: { ...page, assertions: ['BUG_ON', { name: 'ASSERT', condArg: 1 }] }, kinds: [{ ...kind, owners: ['src/*.ts', { files: 'a.ts', functions: ['f*'] }], provenance: ['g', { call: 'h', files: 'x.ts', arg: { index: 1, matches: 'p' } }], pageTypeTests: ['IsNet', { name: 'IsNetish', negates: false }] }] }],
    ['oracle: a command', true, { page, kinds: [kind], oracle: { run: 'npm test', compare: '^ok ', timeout: 120 } }],
    ['oracle: an entry with args', true, { page, kinds: [kind], oracle: { entry: 'main.ts', args: ['--days', '3'], compare: 'json' } }],
    ['oracle: both run and entry', false, { page, kinds: [kind], oracle: { run: 'npm test', entry: 'main.ts' } }],
    ['oracle: neither run nor entry', false, { page, kinds: [kind], oracle: { compare: 'json' } }],
    ['oracle: args with run', false, { page, kinds: [kind], oracle: { run: 'npm test', args: ['x'] } }],
    ['oracle: unknown key', false, { page, kinds: [kind], oracle: { run: 'npm test', cwd: 'x' } }],
    ['oracle: timeout 0', false, { page, kinds: [kind], oracle: { run: 'npm test', timeout: 0 } }],
    ['no kinds', false, { page, kinds: [] }],
    ['no page without extends', false, { kinds: [kind] }],
    ['unknown top-level key', false, { page, kinds: [kind], version: 1 }],
    ['extends something else', false, { extends: 'linux', kinds: [kind] }],
    ['page without class', false, { page: { file: page.file, fields: page.fields }, kinds: [kind] }],
    ['empty fields', false, { page: { ...page, fields: {} }, kinds: [kind] }],
    ['field without words', false, { page: { ...page, fields: { slot: { bits: '0:8' } } }, kinds: [kind] }],
    ['empty words', false, { page: { ...page, fields: { slot: { words: [] } } }, kinds: [kind] }],
    ['negative word', false, { page: { ...page, fields: { slot: { words: [-1] } } }, kinds: [kind] }],
    ['bad bits', false, { page: { ...page, fields: { slot: { words: [3], bits: '0-8' } } }, kinds: [kind] }],
    ['bad track', false, { page: { ...page, fields: { slot: { words: [3], track: 'sometimes' } } }, kinds: [kind] }],
    ['wordSize 0', false, { page: { ...page, wordSize: 0 }, kinds: [kind] }],
    ['wrapper access call', false, { page: { ...page, wrappers: [{ name: 'w', field: 'slot', access: 'call' }] }, kinds: [kind] }],
    ['addressHelpers not identifiers', false, { page: { ...page, addressHelpers: { fromAddress: 'virt to page' } }, kinds: [kind] }],
    ['generic without reason', false, { page: { ...page, generic: [{ files: 'a.ts', functions: 'f' }] }, kinds: [kind] }],
    ['kind named unknown', false, { page, kinds: [{ ...kind, name: 'unknown' }] }],
    ['kind name with a space', false, { page, kinds: [{ ...kind, name: 'my kind' }] }],
    ['kind without descriptor key', false, { page, kinds: [{ name: 'net' }] }],
    ['descriptor class not an identifier', false, { page, kinds: [{ ...kind, descriptor: { class: 'Net desc' } }] }],
    ['placement with a glob', false, { page, kinds: [{ ...kind, descriptor: { class: 'Net', placement: 'src/*.ts' } }] }],
    ['placement outside the project', false, { page, kinds: [{ ...kind, descriptor: { class: 'Net', placement: '../net.ts' } }] }],
    ['placement not a .ts file', false, { page, kinds: [{ ...kind, descriptor: { class: 'Net', placement: 'src/net.js' } }] }],
    ['converters as a string', false, { page, kinds: [{ ...kind, converters: { fromPage: 'page_net' } }] }],
    ['unknown kind key', false, { page, kinds: [{ ...kind, owner: ['x.ts'] }] }],
    ['owner object without files', false, { page, kinds: [{ ...kind, owners: [{ functions: ['f'] }] }] }],
    ['provenance arg without matches', false, { page, kinds: [{ ...kind, provenance: [{ call: 'f', arg: { index: 0 } }] }] }],
    ['pageTypeTests negates as a string', false, { page, kinds: [{ ...kind, pageTypeTests: [{ name: 'IsNet', negates: 'no' }] }] }],
    ['neutral keys', true, { object: { ...page, wrappers: [{ name: 'w', field: 'slot', objectArg: 1 }] }, kinds: [{ ...kind, typeTests: ['IsNet', { name: 'IsNetish', objectArg: 1 }], converters: { fromObject: ['a'], toObject: ['b'] } }] }],
    ['both object and page', false, { object: page, page, kinds: [kind] }],
    ['neither object nor page', false, { kinds: [kind] }],
    ['both typeTests and pageTypeTests', false, { page, kinds: [{ ...kind, typeTests: ['A'], pageTypeTests: ['B'] }] }],
    ['both toObject and toPage', false, { page, kinds: [{ ...kind, converters: { toObject: ['a'], toPage: ['b'] } }] }],
    ['both objectArg and pageArg', false, { page: { ...page, wrappers: [{ name: 'w', field: 'slot', objectArg: 0, pageArg: 0 }] }, kinds: [kind] }],
    ['assertion senses', true, { page: { ...page, assertions: [{ name: 'ensure', means: 'holds' }, { name: 'BUG_ON', means: 'fails-if' }] }, kinds: [kind] }],
    ['assertion sense unknown', false, { page: { ...page, assertions: [{ name: 'ensure', means: 'yes' }] }, kinds: [kind] }],
    ['subjectPrefix', true, { page, kinds: [kind], subjectPrefix: 'net' }],
    ['subjectPrefix empty', false, { page, kinds: [kind], subjectPrefix: '' }],
  ];

  it.each(cases)('schema and validator agree: %s (valid: %s)', (_name, valid, json) => {
    expect(accepted(json)).toBe(valid);
    expect(errors('spec', json)).toSatisfy((e: string[]) => (e.length === 0) === valid);
  });
});

describe('docs/schemas: audit (audit --json)', () => {
  it('`memdesc audit --json` validates (a spec naming its memdesc word), and drifted output does not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-schema-audit-'));
    try {
      const spec = JSON.parse(readFileSync(OTHER_SPEC, 'utf8')) as { page: { fields: Record<string, unknown> } };
      spec.page.fields.memdesc = { words: [0], track: 'never' };
      writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
      const r = await cli('audit', '--all', OTHER, '--spec', join(dir, 'spec.json'), '--json');
      expect(r.code).toBe(1);
      const audit = JSON.parse(r.stdout);
      expect(audit.blockers.length).toBeGreaterThan(0);
      expect(errors('audit', audit)).toEqual([]);
      expect(errors('audit', drifted(audit, (c) => { c.extra = true; }))).not.toEqual([]);
      expect(errors('audit', drifted(audit, (c) => { c.blockers[0].reason = 'maybe'; }))).not.toEqual([]);
      expect(errors('audit', drifted(audit, (c) => { delete c.blockers[0].detail; }))).not.toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
