/**
 * Globs in spec data, matched by picomatch: file paths relative to the project (`*` within a
 * segment, `**` across segments, `?`, `[abc]`, `{a,b}`) and function names (`ptlock_*`,
 * `pgtable_*_page_ctor`). Dot files match like any other (`dot`): a spec lists what it means.
 */
import { createRequire } from 'node:module';

type Matcher = (s: string) => boolean;
type Picomatch = typeof import('picomatch');
let pm: Picomatch | undefined;

const cache = new Map<string, Matcher>();
/** A name made only of word characters is no pattern: picomatch would match that name alone. */
const LITERAL_NAME = /^\w+$/;

function matcher(glob: string): Matcher {
  let m = cache.get(glob);
  if (!m) {
    if (LITERAL_NAME.test(glob)) m = (s) => s === glob;
    else {
      // Required on first use: start-up (`--help`) does not load it.
      pm ??= createRequire(import.meta.url)('picomatch') as Picomatch;
      const test = pm(glob, { dot: true });
      // The analysis asks the same (glob, string) pairs again and again (every call against every
      // spec source): each answered once.
      const seen = new Map<string, boolean>();
      m = (s) => {
        let r = seen.get(s);
        if (r === undefined) seen.set(s, r = test(s));
        return r;
      };
    }
    cache.set(glob, m);
  }
  return m;
}

/** Does repo-relative `file` (forward slashes) match `glob`? */
export function matchPath(glob: string, file: string): boolean {
  return matcher(glob.replace(/^\.\//, ''))(file);
}

export function matchAnyPath(globs: readonly string[], file: string): boolean {
  return globs.some((g) => matchPath(g, file));
}

/** Does a function name match a name glob (`ptlock_*`, `pgtable_*_page_ctor`)? Names hold no '/'. */
export function matchName(glob: string, name: string): boolean {
  return matcher(glob)(name);
}

export function matchAnyName(globs: readonly string[], name: string): boolean {
  return globs.some((g) => matchName(g, name));
}
