/**
 * Subject prefixes as the project writes them: from its git history (the most common `prefix:` of
 * the commits that touched the files, or their folder for a new file), else the spec's
 * "subjectPrefix", else the files' path — the kernel's subsystem rules only for the kernel's spec,
 * never "mm" for another project.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinSpec } from '../../src/model/builtin.ts';
import type { Spec } from '../../src/model/spec.ts';
import { loadSpecFile } from '../../src/model/spec-validate.ts';
import { commonPrefix, historyPrefix, pathPrefix, subjectPrefix, subjectPrefixer } from '../../src/series/prefix.ts';

/** A user's spec: the kernel spec's shape with its own class (what makes it not the kernel's). */
function userSpec(extra: Record<string, unknown> = {}): Spec {
  const b = builtinSpec();
  return { ...b, name: 'shop', page: { ...b.page, class: 'Cart', file: 'src/cart.ts' }, ...extra } as Spec;
}

describe('reading a subject\'s prefix', () => {
  it.each([
    ['mm/slub: Convert new_slab() to struct slab', 'mm/slub'],
    ['net: fix the checksum', 'net'],
    ['mm, slub: do not spin', 'mm, slub'],
    ['x86/mm: Use ptdescs', 'x86/mm'],
    ['feat(cart): add coupons', 'refactor(cart)'],
    ['fix: off by one', 'refactor'],
    ['Revert "net: fix it"', undefined],
    ["Merge branch 'main'", undefined],
    ['Add the ledger: first cut', undefined],
    ['initial import', undefined],
    ['docs:no space after the colon', undefined],
  ])('%s -> %s', (subject, want) => {
    const raw = subjectPrefix(subject);
    // Conventional Commit types become what a conversion is: a refactor, in the same scope.
    expect(raw === undefined ? undefined : commonPrefix([subject])).toBe(want);
  });

  it('the most common prefix wins; a tie goes to the newest (seen first)', () => {
    expect(commonPrefix(['cart: a', 'shop: b', 'cart: c'])).toBe('cart');
    expect(commonPrefix(['shop: a', 'cart: b'])).toBe('shop');
    expect(commonPrefix(['feat(cart): a', 'fix(cart): b', 'cart: c'])).toBe('refactor(cart)');
    expect(commonPrefix(['no prefix here'])).toBeUndefined();
  });
});

describe('prefixes from the files\' paths', () => {
  it('a user\'s project: the top folder the files share, else the project\'s name; never mm', () => {
    expect(pathPrefix(['src/cart.ts'], 'shop')).toBe('shop');
    expect(pathPrefix(['src/net/buf.ts'], 'shop')).toBe('net');
    expect(pathPrefix(['src/net/buf.ts', 'src/net/wire/frame.ts'], 'shop')).toBe('net');
    expect(pathPrefix(['src/net/buf.ts', 'src/till.ts'], 'shop')).toBe('shop');
    expect(pathPrefix(['main.ts', 'lib/x.ts'], 'shop')).toBe('shop');
    expect(pathPrefix(['app/cart.ts', 'app/till.ts'], 'shop')).toBe('app');
    const p = subjectPrefixer(userSpec(), '/work/shop');
    expect(p(['mm/slub.ts', 'lib/cart.ts'])).toBe('shop');
    expect(p(['mm/slub.ts'])).toBe('mm');
    expect(p(['mm/slub.ts', 'src/cart.ts'])).toBe('shop');
  });

  it('the kernel\'s spec keeps the kernel\'s subsystem rules', () => {
    const p = subjectPrefixer(builtinSpec(), '/work/corpus');
    expect(p(['mm/zsmalloc.ts'])).toBe('mm/zsmalloc');
    expect(p(['arch/x86/mm/pgtable.ts'])).toBe('x86/mm');
    expect(p(['mm/slub.ts', 'include/linux/mm_types.ts'])).toBe('mm');
  });

  it('the spec\'s "subjectPrefix" comes before the path', () => {
    const p = subjectPrefixer(userSpec({ subjectPrefix: 'till' }), '/work/shop');
    expect(p(['src/cart.ts', 'src/till.ts'])).toBe('till');
    // As a spec file says it.
    const dir = mkdtempSync(join(tmpdir(), 'memdesc-prefix-spec-'));
    const file = join(dir, 'spec.json');
    writeFileSync(file, JSON.stringify({ name: 'shop', subjectPrefix: 'till', page: { class: 'Cart', file: 'src/cart.ts', fields: { a: { words: [0] } } }, kinds: [{ name: 'coupon', descriptor: 'Coupon', fields: { a: 'code' } }] }));
    try {
      expect(subjectPrefixer(loadSpecFile(file), '/work/shop')(['src/cart.ts'])).toBe('till');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prefixes from the project\'s history', () => {
  let repo: string;
  const git = (...args: string[]): string => {
    const r = spawnSync('git', ['-C', repo, '-c', 'user.name=T', '-c', 'user.email=t@example.org', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  const commitFile = (file: string, subject: string): void => {
    mkdirSync(join(repo, file, '..'), { recursive: true });
    writeFileSync(join(repo, file), `// ${subject}\n`, { flag: 'a' });
    git('add', file);
    git('commit', '-q', '-m', subject);
  };
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'memdesc-prefix-'));
    git('init', '-q');
    commitFile('shop/src/cart.ts', 'cart: first cut');
    commitFile('shop/src/cart.ts', 'cart: coupons');
    commitFile('shop/src/till.ts', 'till: rounding');
    commitFile('shop/src/cart.ts', 'shop: rename');
    commitFile('README.md', 'docs: readme');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('the files\' own history, else their folder\'s; the project may be a folder of the repository', () => {
    const h = { repo, project: 'shop', rev: git('rev-parse', 'HEAD') };
    expect(historyPrefix(h, ['src/cart.ts'])).toBe('cart');
    expect(historyPrefix(h, ['src/till.ts'])).toBe('till');
    // A file the series creates has no history: its folder's.
    expect(historyPrefix(h, ['src/cartdesc.ts'])).toBe('cart');
    // Only history up to the base counts.
    expect(historyPrefix({ ...h, rev: git('rev-parse', 'HEAD~3') }, ['src/cart.ts'])).toBe('cart');
  });

  it('history comes first, for the kernel\'s spec too; nothing in it falls back to the spec, then the path', () => {
    const h = { repo, project: 'shop', rev: git('rev-parse', 'HEAD') };
    expect(subjectPrefixer(userSpec({ subjectPrefix: 'till' }), join(repo, 'shop'), h)(['src/cart.ts'])).toBe('cart');
    expect(subjectPrefixer(builtinSpec(), join(repo, 'shop'), h)(['src/till.ts'])).toBe('till');
    const none = { repo, project: 'elsewhere', rev: h.rev };
    expect(subjectPrefixer(userSpec({ subjectPrefix: 'till' }), join(repo, 'shop'), none)(['src/cart.ts'])).toBe('till');
    expect(subjectPrefixer(userSpec(), join(repo, 'shop'), none)(['src/cart.ts', 'src/till.ts'])).toBe('shop');
  });
});
