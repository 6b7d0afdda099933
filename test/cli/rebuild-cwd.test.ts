/**
 * bin/memdesc.mjs in a checkout rebuilds dist/ when src/ is newer. The build once resolved the
 * bundle's inputs against the caller's working directory, so `node other/bin/memdesc.mjs` run
 * from a parent folder failed with ENOENT on a doubled path (other/other/src/...).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.ts';

const base = mkdtempSync(join(tmpdir(), 'memdesc-rebuild-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

it('a checkout without dist/ builds and runs when started from another folder', () => {
  const checkout = join(base, 'checkout');
  for (const part of ['src', 'scripts', 'bin', 'docs', 'package.json']) cpSync(join(PACKAGE_ROOT, part), join(checkout, part), { recursive: true });
  symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(checkout, 'node_modules'), 'dir');
  const r = spawnSync(process.execPath, [join('checkout', 'bin', 'memdesc.mjs'), '--help'], { cwd: base, encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^Usage: memdesc/);
}, 150_000);
