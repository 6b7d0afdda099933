/**
 * `memdesc analyze` end to end (in-process through the CLI's main(), plus one real process):
 * table and sites, --json schema, --sarif validated against the SARIF 2.1.0 schema, the
 * --fail-on-remaining ratchet, and the one-line errors with exit 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import { describe, expect, it } from 'vitest';
import { captureOutput } from '../capture.ts';
import { main } from '../../src/cli.ts';

// ajv-draft-04 is CommonJS: its class is module.exports and module.exports.default.
const Ajv = AjvDraft04.default;

const REPO = join(import.meta.dirname, '..', '..');
const FIX = join(REPO, 'test', 'fixtures', 'analyzer');
const OTHER = join(FIX, 'other-codebase');
const OTHER_SPEC = join(OTHER, 'spec.json');
const BROKEN = join(FIX, 'broken');

const io = captureOutput();

async function run(...args: string[]): Promise<number> {
  return main(['analyze', ...args]);
}

describe('memdesc analyze: reports', () => {
  it('prints the kind x field table and file:line:col: sites', async () => {
    expect(await run(OTHER, '--spec', OTHER_SPEC)).toBe(0);
    const lines = io.out.split('\n');
    expect(lines).toContain('kind     link  owner  slot  total');
    expect(lines).toContain('cache     1/2    2/3     -    3/5');
    expect(lines).toContain('net         -      -   3/0    3/0');
    expect(lines).toContain('cells: remaining raw accesses / converted accesses');
    expect(lines).toContain('decided by: guard 1, provenance 7, callgraph 0, owner-hint 3, unknown 2');
    expect(io.out).toMatch(/src\/generic\.ts:6:41: cache: read of owner on `b` \[guard\]: guarded by `IsCacheBlob\(b\)` at src\/generic\.ts:6\n/);
    expect(io.out).toMatch(/src\/blob\.ts:30:17: wrapper: blob_slot\(\) reads slot of argument 0 \(discovered, 2 call sites\)/);
    expect(io.err).toBe('');
  });

  it('--kind and --field filter the sites and the table', async () => {
    expect(await run(OTHER, '--spec', OTHER_SPEC, '--kind', 'net', '--field', 'slot', '--json')).toBe(0);
    const j = JSON.parse(io.out);
    expect(j.findings.map((f: { kind: string }) => f.kind)).toEqual(['net', 'net', 'net']);
    expect(Object.keys(j.summary.byKind)).toEqual(['net']);
  });

  it('--json has the keys of the findings schema (docs/schemas/findings.schema.json)', async () => {
    expect(await run(BROKEN, '--json')).toBe(0);
    const j = JSON.parse(io.out);
    expect(Object.keys(j)).toEqual(['version', 'root', 'spec', 'findings', 'residue', 'wrappers', 'summary']);
    expect(j.version).toBe(1);
    expect(j.root).toBe(BROKEN);
    for (const f of j.findings) {
      expect(f).toMatchObject({ file: expect.any(String), line: expect.any(Number), column: expect.any(Number), field: expect.any(String),
        access: expect.stringMatching(/^(read|write|readwrite|reference|call)$/), kind: expect.any(String), evidence: expect.any(Array), converted: expect.any(Boolean) });
    }
    expect(j.findings[0]).toMatchObject({ file: 'mm/page_alloc.ts', line: 4, column: 8, field: 'private', access: 'write', kind: 'buddy', converted: false });
    expect(j.residue).toEqual([expect.objectContaining({ file: 'mm/bad.ts', line: 4, column: 3 })]);
    expect(j.summary).toMatchObject({ findings: 2, remaining: 2, converted: 0, residue: 1 });
  });

  it('--sarif writes SARIF 2.1.0 that validates against the schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-sarif-'));
    const file = join(dir, 'out.sarif');
    expect(await run(OTHER, '--spec', OTHER_SPEC, '--sarif', file)).toBe(0);
    const sarif = JSON.parse(readFileSync(file, 'utf8'));
    const schema = JSON.parse(readFileSync(join(FIX, 'sarif-schema-2.1.0.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false });
    const validate = ajv.compile(schema);
    expect(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const run0 = sarif.runs[0];
    expect(sarif.version).toBe('2.1.0');
    expect(run0.tool.driver.name).toBe('memdesc');
    expect(run0.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(['memdesc/raw-cache', 'memdesc/raw-net', 'memdesc/raw-unknown', 'memdesc/residue']);
    // Converted accesses are not results; remaining ones are, with repository-relative URIs.
    expect(run0.results).toHaveLength(8);
    const loc = run0.results[0].locations[0].physicalLocation;
    expect(loc.artifactLocation).toEqual({ uri: 'test/fixtures/analyzer/other-codebase/src/cache.ts', uriBaseId: '%SRCROOT%' });
    expect(loc.region).toEqual({ startLine: 12, startColumn: 5 });
    for (const r of run0.results) expect(run0.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
    // rank follows how the kind was decided; the confidence itself is a property.
    const ranks = run0.results.filter((r: { ruleId: string }) => r.ruleId !== 'memdesc/residue')
      .map((r: { rank: number; properties: { confidence: string } }) => `${r.properties.confidence} ${r.rank}`);
    expect([...new Set(ranks)].sort()).toEqual(['guard 90', 'owner-hint 40', 'provenance 85', 'unknown 10']);
  });

  it('a corrupted SARIF log fails the schema (the validator is real)', () => {
    const schema = JSON.parse(readFileSync(join(FIX, 'sarif-schema-2.1.0.json'), 'utf8'));
    const validate = new Ajv({ strict: false, validateFormats: false, unicodeRegExp: false }).compile(schema);
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(false);
  });
});

describe('memdesc analyze: ratchet', () => {
  it('--fail-on-remaining K exits 1 while K has raw accesses', async () => {
    expect(await run(BROKEN, '--fail-on-remaining', 'buddy', '--no-sites')).toBe(1);
    expect(io.err).toBe('memdesc: ratchet: buddy still has 2 raw accesses\n');
    expect(io.out).toContain('buddy');
  });
  it('and exits 0 when K has none', async () => {
    expect(await run(BROKEN, '--fail-on-remaining', 'vmalloc,slab', '--no-sites')).toBe(0);
  });
  it('converted accesses do not count', async () => {
    expect(await run(OTHER, '--spec', OTHER_SPEC, '--fail-on-remaining', 'cache', '--no-sites')).toBe(1);
    expect(io.err).toBe('memdesc: ratchet: cache still has 3 raw accesses\n');
  });
});

describe('memdesc analyze: errors are one line and exit 2', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a missing path', [join(FIX, 'nope')], /^memdesc: no such file or directory: .*nope\n$/],
    ['a directory without tsconfig', [join(FIX, 'no-tsconfig')], /^memdesc: no tsconfig\.json in .*no-tsconfig: analyze needs a TypeScript project\n$/],
    ['an unknown --kind', [BROKEN, '--kind', 'slob'], /^memdesc: unknown kind 'slob' \(known: buddy, slab, ptdesc, zpdesc, vmalloc, folio, unknown\)\n$/],
    ['an unknown --fail-on-remaining kind', [BROKEN, '--fail-on-remaining', 'slob'], /^memdesc: unknown kind 'slob' for --fail-on-remaining/],
    ['an unknown --field', [BROKEN, '--field', 'lruu'], /^memdesc: unknown field 'lruu' \(tracked: lru, mapping, index, private, page_type\)\n$/],
    ['a missing spec file', [BROKEN, '--spec', join(FIX, 'nope.json')], /^memdesc: spec file not found: .*nope\.json\n$/],
  ];
  for (const [name, args, re] of cases) {
    it(name, async () => {
      expect(await run(...args)).toBe(2);
      expect(io.err).toMatch(re);
      expect(io.out).toBe('');
    });
  }
  it('an invalid spec names the bad key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-spec-'));
    const spec = JSON.parse(readFileSync(OTHER_SPEC, 'utf8'));
    spec.kinds[1].owners = [{ files: 42 }];
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
    expect(await run(OTHER, '--spec', join(dir, 'spec.json'))).toBe(2);
    expect(io.err).toBe(`memdesc: invalid spec ${join(dir, 'spec.json')}: kinds[1].owners[0].files: expected a string or an array of strings\n`);
  });
});

describe('memdesc analyze: the real binary', () => {
  it('runs as a process with exit codes', () => {
    const ok = spawnSync(process.execPath, [join(REPO, 'bin', 'memdesc.mjs'), 'analyze', BROKEN, '--no-sites'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('2 accesses: 2 remaining, 0 converted, 0 unknown; 1 residue; 0 wrappers');
    const bad = spawnSync(process.execPath, [join(REPO, 'bin', 'memdesc.mjs'), 'analyze', join(FIX, 'no-tsconfig')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
