/**
 * Who a series is by. Author and committer are the user's, as git itself would take them
 * (GIT_AUTHOR_* / GIT_COMMITTER_* in the environment, else user.name and user.email, or
 * author.* / committer.*, of the repository being converted, else the global config), or given
 * with `--author "Name <email>"`, which sets both. An identity git would only guess (from the
 * host name) does not count: a kernel patch needs a real Signed-off-by. With none, the series
 * is refused before any work, unless the caller supplies a labelled fallback (`memdesc start`'s
 * demo on a fresh machine).
 */
import { spawnSync } from 'node:child_process';
import { UsageError } from '../errors.ts';

export interface Person {
  name: string;
  email: string;
}

export interface SeriesIdentity {
  author: Person;
  committer: Person;
  /** Where it came from: git's configuration, --author, or the caller's fallback. */
  source: 'config' | '--author' | 'fallback';
}

export function formatPerson(p: Person): string {
  return `${p.name} <${p.email}>`;
}

/** "Name <email>" (git's form); `what` names the flag in the error. */
export function parsePerson(text: string, what = '--author'): Person {
  const m = /^\s*([^<>\n]*?)\s*<([^<>\s]+)>\s*$/.exec(text);
  if (!m || !m[1]) throw new UsageError(`${what} ${JSON.stringify(text)}: expected "Name <email>"`);
  return { name: m[1], email: m[2]! };
}

/** `git var GIT_AUTHOR_IDENT` / `GIT_COMMITTER_IDENT` in `cwd`, without git's guessing; undefined when not configured. */
function gitIdent(cwd: string, which: 'AUTHOR' | 'COMMITTER'): Person | undefined {
  const r = spawnSync('git', ['-c', 'user.useConfigOnly=true', 'var', `GIT_${which}_IDENT`], { cwd, encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  const m = /^(.*?) <([^<>]*)> \d+ [+-]\d{4}$/.exec(r.stdout.trim());
  return m && m[1] && m[2] ? { name: m[1], email: m[2] } : undefined;
}

export const NO_IDENTITY = 'git has no identity for the patches (user.name and user.email are not set): set them with git config --global user.name "Your Name" and git config --global user.email you@example.com, or pass --author "Name <email>"';

/** The identity of a series on the project at `cwd` (see the module comment). */
export function resolveIdentity(cwd: string, opts: { author?: Person; fallback?: Person } = {}): SeriesIdentity {
  if (opts.author) return { author: opts.author, committer: opts.author, source: '--author' };
  const author = gitIdent(cwd, 'AUTHOR');
  const committer = gitIdent(cwd, 'COMMITTER');
  if (author || committer) return { author: (author ?? committer)!, committer: (committer ?? author)!, source: 'config' };
  if (opts.fallback) return { author: opts.fallback, committer: opts.fallback, source: 'fallback' };
  throw new UsageError(NO_IDENTITY);
}

/** The environment that makes `git commit` use `id` (and `-s` sign off as its committer). */
export function identityEnv(id: SeriesIdentity): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: id.author.name, GIT_AUTHOR_EMAIL: id.author.email,
    GIT_COMMITTER_NAME: id.committer.name, GIT_COMMITTER_EMAIL: id.committer.email,
  };
}
