/** Minimal globs for spec data: file paths (`*` within a segment, `**` across) and function names. */

const cache = new Map<string, RegExp>();

function compile(glob: string, path: boolean): RegExp {
  const key = `${path ? 'p' : 'n'}:${glob}`;
  let re = cache.get(key);
  if (re) return re;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (path && glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          src += '(?:.*/)?';
        } else src += '.*';
      } else src += path ? '[^/]*' : '.*';
    } else if (c === '?') src += path ? '[^/]' : '.';
    else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`^${src}$`);
  cache.set(key, re);
  return re;
}

/** Does repo-relative `file` (forward slashes) match `glob`? */
export function matchPath(glob: string, file: string): boolean {
  return compile(glob.replace(/^\.\//, ''), true).test(file);
}

export function matchAnyPath(globs: readonly string[], file: string): boolean {
  return globs.some((g) => matchPath(g, file));
}

/** Does a function name match a name glob (`ptlock_*`, `pgtable_*_page_ctor`)? */
export function matchName(glob: string, name: string): boolean {
  return compile(glob, false).test(name);
}

export function matchAnyName(globs: readonly string[], name: string): boolean {
  return globs.some((g) => matchName(g, name));
}
