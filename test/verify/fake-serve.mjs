// A stand-in for a built corpus main.mjs with --serve: says {"serve":1}, then per job line prints one
// JSON line per seed and {"done":true}. Workload "bad" answers {"error":...}. FAKE_CRASH=<seed> throws
// at that seed, FAKE_HANG=<seed> blocks forever there (asleep, not a busy loop: the same hang to the
// runner, no CPU). Each line carries this process's pid.
if (!process.argv.includes('--serve')) {
  process.stderr.write("simulate: Unknown option '--serve'\n");
  process.exit(2);
}
process.stdout.write('{"serve":1}\n');
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const job = JSON.parse(buf.slice(0, nl));
    buf = buf.slice(nl + 1);
    if (job.workload === 'bad') process.stdout.write(JSON.stringify({ error: 'unknown workload "bad"' }) + '\n');
    else {
      for (const seed of job.seeds) {
        if (String(seed) === process.env.FAKE_CRASH) throw new TypeError(`fake crash at seed ${seed}`);
        if (String(seed) === process.env.FAKE_HANG) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // hangs without spinning a core
        process.stdout.write(JSON.stringify({ workload: job.workload, seed, ram: 1, ops: job.ops ?? 10, eventCount: seed, digest: `d${seed}`, memmap: String(process.pid), bug: null }) + '\n');
      }
    }
    process.stdout.write('{"done":true}\n');
  }
});
