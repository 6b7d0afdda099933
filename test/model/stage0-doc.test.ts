/**
 * docs/contracts.md's Stage-0 tables (word layout, field usage per kind, descriptor layouts) are
 * the project's statement of struct page; the built-in spec is what the tool runs on. They must
 * say the same thing, and the field-usage table must also match the corpus golden's Stage-0
 * fields (test/analyzers/corpus-labels.ts), so none of the three can change alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import { descriptorLayout, pageLayout } from '../../src/model/page-layout.ts';
import { STAGE0_FIELDS } from '../analyzers/corpus-labels.ts';

const DOC = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'contracts.md'), 'utf8');
const spec = builtinSpec();

/** The rows (cells trimmed) of the markdown table whose header row starts with `head`. */
function table(head: string): string[][] {
  const lines = DOC.split('\n');
  const start = lines.findIndex((l) => l.startsWith(head));
  if (start < 0) throw new Error(`docs/contracts.md has no table starting with "${head}"`);
  const rows: string[][] = [];
  for (const l of lines.slice(start)) {
    if (!l.startsWith('|')) break;
    rows.push(l.slice(1, -1).split('|').map((c) => c.trim()));
  }
  // Header and the |---| line.
  return [rows[0]!, ...rows.slice(2)];
}

/** `name` items of a cell, in order. */
function names(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

const DASH = '—';

describe('docs/contracts.md Stage-0 tables = the built-in spec', () => {
  it('word layout: every word, its bytes, its members with their bits, and how each is tracked', () => {
    const [, ...rows] = table('| word | bytes |');
    const layout = pageLayout(spec);
    expect(rows.map((r) => r[0])).toEqual(layout.map((w) => `w${w.word}`));
    for (const [i, w] of layout.entries()) {
      const [, bytes, members, tracked] = rows[i]!;
      const size = spec.page.wordSize!;
      expect(bytes, `w${w.word} bytes`).toBe(`${w.word * size}–${w.word * size + size - 1}`);
      expect(names(members!), `w${w.word} members`).toEqual(w.fields.map((f) => f.name));
      for (const f of w.fields) {
        const bits = new RegExp(`\`${f.name}\`(?: \\(([^)]*)\\))?`).exec(members!)?.[1];
        // Only a part-of-word field states its bits; an embedded list says which half it is.
        if (f.bits) expect(bits, `${f.name} bits`).toBe(f.bits);
        else if (bits !== undefined) expect(bits, `${f.name}`).toMatch(/^its (next|prev)$/);
      }
      // "never", or "lru always; compound_head never", or "page_type owners; the rest never".
      const modes = new Map<string, string>();
      let rest: string | undefined;
      for (const part of tracked!.split(';').map((s) => s.trim())) {
        const m = /^(?:(\S+) )?(always|owners|never)$/.exec(part.replace(/^the rest /, '* '));
        expect(m, `w${w.word} tracked "${part}"`).not.toBeNull();
        if (!m![1] || m![1] === '*') rest = m![2];
        else modes.set(m![1], m![2]!);
      }
      for (const f of w.fields) expect(modes.get(f.name) ?? rest, `${f.name} tracked`).toBe(f.track);
    }
  });

  const [head, ...kindRows] = table('| kind | descriptor | MATCH |');
  const fieldCols = head!.slice(4).map((c) => names(c)[0]!);

  it('field usage: one row per kind, in spec order', () => {
    expect(kindRows.map((r) => r[0])).toEqual(spec.kinds.map((k) => k.name));
  });

  it('field usage: the columns are exactly the page fields some kind maps', () => {
    const mapped = new Set(spec.kinds.flatMap((k) => k.fields.map((f) => f.field)));
    expect([...fieldCols].sort()).toEqual([...mapped].sort());
  });

  it('field usage: descriptor, MATCH, page-type tests and each field\'s descriptor names', () => {
    for (const row of kindRows) {
      const k = spec.kinds.find((x) => x.name === row[0])!;
      const d = k.descriptor;
      expect(row[1], `${k.name} descriptor`).toBe(d ? `\`${d.class}\`` : DASH);
      expect(row[2], `${k.name} MATCH`).toBe(d ? `\`${d.match ?? `${d.class.toUpperCase()}_MATCH`}\`` : DASH);
      expect(row[3] === DASH ? [] : names(row[3]!), `${k.name} page-type tests`).toEqual(k.pageTypeTests.map((t) => t.name));
      for (const [i, field] of fieldCols.entries()) {
        const cell = row[4 + i]!;
        const entry = k.fields.find((f) => f.field === field);
        if (!entry) {
          expect(cell, `${k.name} ${field}`).toBe(DASH);
          continue;
        }
        // "`next` / `handle`: what is kept there"
        const [targets] = cell.split(':');
        expect(names(targets!), `${k.name} ${field}`).toEqual(entry.to);
        if (entry.bits) expect(cell, `${k.name} ${field} bits`).toContain(`bits ${entry.bits}`);
      }
    }
  });

  it('field usage agrees with the corpus golden\'s Stage-0 fields', () => {
    for (const row of kindRows) {
      const kept = fieldCols.filter((_, i) => row[4 + i] !== DASH);
      expect(kept.sort(), row[0]).toEqual([...STAGE0_FIELDS[row[0]!]!].sort());
    }
  });

  it('descriptor layouts: every descriptor field, the page field it overlays and its byte offset', () => {
    const [, ...rows] = table('| descriptor | field | overlays | byte offset |');
    const want = spec.kinds.filter((k) => k.descriptor).flatMap((k) => descriptorLayout(spec, k).map((d) => [
      `\`${k.descriptor!.class}\``, `\`${d.descriptorField}\``, `\`${d.pageField}\`${d.bits ? ` (bits ${d.bits})` : ''}`, String(d.words[0]! * spec.page.wordSize!),
    ]));
    expect(rows).toEqual(want);
  });
});
