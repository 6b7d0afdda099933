/**
 * V8 flags for memdesc's processes: its own (the CLI's entry points) and the simulation's.
 *
 * `--interrupt-budget` 8x Node 20's default (67584): with the default, TurboFan optimizes (on
 * background threads whose CPU the process pays) many functions that run only briefly — the
 * TypeScript parser and checker over one program, a simulation run of a few hundred milliseconds.
 * The higher budget lets only the code that keeps running be optimized. It changes when code is
 * compiled, never what it computes.
 *
 * Measured (CPU seconds, this machine's 2 shared cores, medians of 3): `memdesc analyze corpus`
 * 4.1 -> 2.8 (the main thread 2.2 -> 2.3, the other threads 2.1 -> 0.45: the wall time of an
 * interactive run is the main thread's); a cold `memdesc track` of the 116-commit series history
 * 59 -> 48; simulation processes (flag given on their command line): a series step's run (mixed x 2
 * seeds at 1000 ops) 0.75 -> 0.58, 8 seeds of mixed at verify ops 4.14 -> 3.61.
 */
import { setFlagsFromString } from 'node:v8';

export const V8_FLAGS: readonly string[] = ['--interrupt-budget=524288'];

/** V8 majors known to define every flag of V8_FLAGS (Node 20 ships 11, 22 ships 12, 24 ships 13). */
const KNOWN_V8_MAJORS = { first: 11, last: 13 };

let applied = false;

/** Whether V8 `version` (process.versions.v8) is one known to define every flag of V8_FLAGS. */
export function knownV8(version: string): boolean {
  const major = Number(version.split('.')[0]);
  return major >= KNOWN_V8_MAJORS.first && major <= KNOWN_V8_MAJORS.last;
}

/**
 * V8_FLAGS for this process, set at run time: for an entry point, before the heavy code loads
 * (a function's budget is taken when its feedback is allocated). Only on a V8 known to define
 * them — another V8 takes an unknown flag without error but prints a complaint on stderr — so
 * elsewhere the process simply runs with V8's defaults. True when set.
 */
export function applyV8Flags(): boolean {
  if (applied) return true;
  if (!knownV8(process.versions.v8)) return false;
  for (const flag of V8_FLAGS) setFlagsFromString(flag);
  applied = true;
  return true;
}
