/**
 * Retiring a helper whose calls were all inlined (retire.ts) asks whether anything else names it,
 * by symbol, not by its spelling: a same-named local used as a value, a string or a comment
 * spelling it is no reference (the helper goes); an aliased import of it used as a value is one
 * (the helper stays, and the conversion still type-checks). On blobworld, whose spec names the
 * wrappers blob_owner()/set_blob_owner() that the conversion retires.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { runConvert } from '../../src/rewrite/driver.ts';
import { BLOBWORLD, copyTree } from './helpers.ts';

function convertWith(extra: string): { helpers: string[]; dropped?: string; text: (f: string) => string | undefined } {
  const dir = copyTree(BLOBWORLD);
  try {
    writeFileSync(join(dir, 'src/other.ts'), extra);
    const spec = loadSpecFile(join(dir, 'spec.json'), builtinSpec());
    const r = runConvert({ path: dir, spec, kinds: [], all: true, write: false });
    const texts = new Map(r.plan.changes.map((c) => [c.file, c.after] as const));
    return { helpers: r.plan.report.retired.helpers, ...(r.checks.retireDropped ? { dropped: r.checks.retireDropped } : {}), text: (f) => texts.get(join(dir, f)) };
  } finally {
    rmSync(dirname(dir), { recursive: true, force: true });
  }
}

describe('retired helpers: other references by symbol (retire.ts)', () => {
  it('a same-named local used as a value, a string and a comment are not references: the helper goes', () => {
    const r = convertWith(`// blob_owner() is the helper's name; this file only has a namesake.
const blob_owner = (n: number): number => n + 1;
export const owners: Array<((n: number) => number) | string> = [blob_owner, 'blob_owner'];
`);
    expect(r.helpers).toContain('blob_owner()');
    expect(r.helpers).toContain('set_blob_owner()');
  });

  it('an aliased import used as a value is a reference: the helper stays and the result type-checks', () => {
    const r = convertWith(`import { blob_owner as owner_of } from './helpers.ts';
import type { Blob } from './blob.ts';
export const getters: Array<(b: Blob) => number> = [owner_of];
`);
    // Not retired and then dropped for a type error (nothing retired at all): kept from the start.
    expect(r.dropped).toBeUndefined();
    expect(r.helpers).not.toContain('blob_owner()');
    expect(r.helpers).toContain('set_blob_owner()');
    expect(r.text('src/helpers.ts') ?? '').toContain('export function blob_owner(');
  });

  it('a namespace member used as a value is a reference: the helper stays', () => {
    const r = convertWith(`import * as h from './helpers.ts';
import type { Blob } from './blob.ts';
export const getters: Array<(b: Blob) => number> = [h.blob_owner];
`);
    expect(r.dropped).toBeUndefined();
    expect(r.helpers).not.toContain('blob_owner()');
    expect(r.helpers).toContain('set_blob_owner()');
  });
});
