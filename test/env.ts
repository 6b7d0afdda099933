/**
 * Environment variables set for one call only: `withEnv(vars, fn)` sets them (undefined: unset),
 * runs `fn` (sync or async) and puts every one back as it was, whether `fn` returns or throws.
 * For a library read of a variable at call time (a test hook such as MEMDESC_TEST_SKIP_AUDIT):
 * nothing is left for the next file of a shared worker (vitest.config.ts: a file whose own text
 * sets the environment runs in a process of its own; one that only goes through this helper
 * need not).
 */
import { afterAll, beforeAll } from 'vitest';

export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const put = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  put(vars);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    put(saved);
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => put(saved)) as T;
  put(saved);
  return result;
}

/**
 * `withEnv` for a whole file or describe(): the variables set in a beforeAll and put back in its
 * afterAll (hooks run in the order they are registered: call it before the hooks that need them).
 */
export function useEnv(vars: Record<string, string | undefined>): void {
  let saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}
