/**
 * A small corpus-shaped tree: blobworld (a fixture with its own spec) plus a sim/main.ts that runs
 * blobworld's deterministic program and reports a digest of its output per seed, in the
 * simulation's JSON line format. Whatever runs "the corpus simulation" (verify, convert --verify,
 * series, start) really builds, runs and compares it, in a fraction of the bundled corpus' time:
 * for tests whose claim is about that machinery, not about the corpus.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLOBWORLD, copyTree } from './rewrite/helpers.ts';

/** Its workloads: `mixed` (the default) and `quiet`; both run the same program. */
export const BLOB_WORKLOADS = ['mixed', 'quiet'];

/** blobworld's src/main.ts, run per seed; its console output hashed into the digest (`unstable`: plus a random number). */
function simMain(unstable: boolean): string {
  return `declare const process: { argv: string[]; stdout: { write(s: string): void }; stderr: { write(s: string): void }; exit(n: number): never };
declare const console: { log(s: string): void };
const argv = process.argv.slice(2);
// A tree from before the manifest: it rejects --manifest as such trees do.
if (argv.includes('--manifest')) { process.stderr.write("simulate: unknown option '--manifest'\\n"); process.exit(2); }
const arg = (n: string): string | undefined => { const i = argv.indexOf(\`--\${n}\`); return i >= 0 ? argv[i + 1] : undefined; };
const workload = arg('workload') ?? 'mixed';
if (workload !== 'mixed' && workload !== 'quiet') { process.stderr.write(\`simulate: unknown workload "\${workload}" (choose from mixed, quiet)\\n\`); process.exit(2); }
let text = '';
console.log = (s: string) => { text += \`\${s}\\n\`; };
await import('../src/main.ts');
${unstable ? "// A machine that differs from run to run: nothing can verify against it.\ntext += String(Math.random());\n" : ''}let h = 2166136261;
for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
for (const part of (arg('seeds') ?? arg('seed') ?? '1').split(',')) {
  const [a, b] = part.split('..').map(Number);
  for (let s = a!; s <= (b ?? a!); s++) {
    process.stdout.write(JSON.stringify({ workload, seed: s, ram: 1, ops: 1, eventCount: text.length, digest: \`\${workload}-\${s}-\${h.toString(16)}\`, bug: null }) + '\\n');
  }
}
`;
}

/** A temp copy of blobworld with the simulation above in sim/main.ts. */
export function blobCorpus(opts: { unstable?: boolean } = {}): string {
  const dir = copyTree(BLOBWORLD);
  mkdirSync(join(dir, 'sim'));
  writeFileSync(join(dir, 'sim', 'main.ts'), simMain(!!opts.unstable));
  return dir;
}
