/**
 * `MEMDESC_TEST_CPU=FILE npx vitest run …`: one JSON line per test file appended to FILE — the CPU
 * seconds its worker and the child processes it waited for spent from before the file's imports
 * to its last hook, and the wall seconds — and, with `MEMDESC_TEST_CPU_TESTS=1`, one line per test
 * (`test`: its name; its own body and each hooks, not the file's beforeAll), to see where a file's
 * CPU goes. Wall time on a shared machine says little; CPU is what
 * two cores have to give, so it is what a cut of the suite's time is measured by. A setup file of
 * both projects (vitest.config.ts) only when the variable is set; it asserts nothing.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeEach } from 'vitest';

/** This process's CPU and that of its waited-for children, in seconds (/proc/self/stat: utime, stime, cutime, cstime). */
function cpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // The fields after the command name, which may hold spaces: field 3 (state) is at index 0.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

const out = process.env.MEMDESC_TEST_CPU;
if (out) {
  const cpu0 = cpuSeconds();
  const wall0 = Date.now();
  // vitest reads the first parameter as fixtures: it must be a destructuring pattern.
  afterAll(({}, suite) => {
    const file = 'filepath' in suite ? suite.filepath : suite.file.filepath;
    const line = { file, cpu: +(cpuSeconds() - cpu0).toFixed(2), wall: +((Date.now() - wall0) / 1000).toFixed(2), pid: process.pid, start: wall0 };
    appendFileSync(out, `${JSON.stringify(line)}\n`);
  });
  if (process.env.MEMDESC_TEST_CPU_TESTS) {
    let at = 0;
    beforeEach(() => { at = cpuSeconds(); });
    afterEach(({ task }) => {
      appendFileSync(out, `${JSON.stringify({ file: task.file.filepath, test: task.name, cpu: +(cpuSeconds() - at).toFixed(2) })}\n`);
    });
  }
}
