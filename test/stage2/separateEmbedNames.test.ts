/**
 * Embedding vmalloc's descriptor in the memdesc word (separateEmbed.ts) reads and writes the word
 * through the project's own word accessors (wordAccessors.ts: what Page's whole-word accessors
 * call), not through functions called read64/write64: on a copy of the stage-1 tree where every
 * file calls them load_word/store_word, `separate vmalloc` embeds Vmdesc with those (it used to
 * stop with "no field on a word"). Dry run: nothing is written.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../inProcess.ts';
import { copyTree, stage1Corpus } from './trees.ts';

let base: string;
let dir: string;

function renameEverywhere(root: string): number {
  let files = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) { if (e !== 'node_modules') walk(p); continue; }
      if (!p.endsWith('.ts')) continue;
      const t = readFileSync(p, 'utf8');
      const u = t.replace(/\bread64\b/g, 'load_word').replace(/\bwrite64\b/g, 'store_word');
      if (u !== t) { writeFileSync(p, u); files++; }
    }
  };
  walk(root);
  return files;
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'memdesc-embed-names-'));
  dir = copyTree(await stage1Corpus(), join(base, 'corpus'));
  expect(renameEverywhere(dir)).toBeGreaterThan(5);
}, 600_000);
afterAll(() => { if (base) rmSync(base, { recursive: true, force: true }); });

describe('stage 2 embeds with the project\'s word accessors, whatever their names', () => {
  it('load_word/store_word: Vmdesc is embedded through them', async () => {
    const before = readFileSync(join(dir, 'include/linux/vmalloc.ts'), 'utf8');
    const r = await runMain(['separate', 'vmalloc', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('+    return memdesc_misc_data(load_word(this.addr + VMDESC_VM_OFFSET));');
    expect(r.stdout).toContain('+    store_word(this.addr + VMDESC_VM_OFFSET, memdesc_misc_with_data(load_word(this.addr + VMDESC_VM_OFFSET), v));');
    expect(r.stdout).not.toMatch(/\b(read64|write64)\(/);
    expect(readFileSync(join(dir, 'include/linux/vmalloc.ts'), 'utf8')).toBe(before);
  }, 300_000);
});
