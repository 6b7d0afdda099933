/**
 * memdesc's V8 flags (src/v8Flags.ts): set in its own process only on a V8 known to define them,
 * and then without a word on stderr; the CLI's entry points set them.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/paths.ts';
import { knownV8, V8_FLAGS } from '../src/v8Flags.ts';

describe('knownV8', () => {
  it.each([
    ['11.3.244.8-node.38', true],
    ['12.4.254.21-node.33', true],
    ['13.6.233.10-node.24', true],
    ['10.2.154.26-node.26', false],
    ['14.0.1', false],
    ['', false],
  ])('%s -> %s', (version, known) => {
    expect(knownV8(version)).toBe(known);
  });
});

describe('the CLI sets the flags', () => {
  it('node accepts every flag (as the CLI sets them, and the simulation takes them on its command line)', () => {
    const r = spawnSync(process.execPath, [...V8_FLAGS, '-e', '0'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('bin/memdesc.mjs and dist/cli.mjs set them at start and stay quiet on stderr', () => {
    for (const entry of [join(PACKAGE_ROOT, 'bin', 'memdesc.mjs'), join(PACKAGE_ROOT, 'dist', 'cli.mjs')]) {
      // A flag V8 does not take would print a complaint before the help text.
      const r = spawnSync(process.execPath, [entry, '--help'], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Usage: memdesc/);
    }
  });

  it('applyV8Flags() sets them on this node (a V8 the table knows), once', async () => {
    const script = `import { applyV8Flags } from ${JSON.stringify(join(PACKAGE_ROOT, 'dist', 'cli.mjs'))}; console.log(applyV8Flags(), applyV8Flags());`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(knownV8(process.versions.v8) ? 'true true' : 'false false');
  });
});
