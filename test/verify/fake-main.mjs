// A stand-in for a built corpus main.mjs: `--seeds a..b --json` prints one JSON line per seed.
// FAKE_CRASH=<seed> throws at that seed; FAKE_HANG=<seed> blocks forever at that seed (asleep, not
// a busy loop: the same hang to the runner, no CPU).
const argv = process.argv.slice(2);
const arg = (n) => { const i = argv.indexOf(`--${n}`); return i >= 0 ? argv[i + 1] : undefined; };
const workload = arg('workload') ?? 'mixed';
if (workload === '?') { process.stderr.write('simulate: unknown workload "?" (choose from alpha, beta)\n'); process.exit(2); }
const seeds = [];
for (const part of (arg('seeds') ?? arg('seed') ?? '1').split(',')) {
  const [a, b] = part.split('..').map(Number);
  for (let s = a; s <= (b ?? a); s++) seeds.push(s);
}
for (const seed of seeds) {
  if (String(seed) === process.env.FAKE_CRASH) throw new TypeError(`fake crash at seed ${seed}`);
  if (String(seed) === process.env.FAKE_HANG) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // hangs without spinning a core
  process.stdout.write(JSON.stringify({ workload, seed, ram: 1, ops: 10, eventCount: seed, digest: `d${seed}`, bug: null }) + '\n');
}
