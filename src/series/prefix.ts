/**
 * Subject prefixes of a series' patches, as the project writes them. First the project's own git
 * history: the most common `prefix:` of the subjects of the commits that touched the files (for
 * files the series creates, of the commits that touched their folder). Else the spec's
 * "subjectPrefix". Else one from the files' paths: the kernel's subsystem rules for the kernel's
 * spec ("mm/zsmalloc", "x86/mm"); for another project the top folder the files share (below src/
 * or lib/), else the project's folder name — never the kernel's "mm".
 */
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import type { Spec } from '../model/spec.ts';
import { isKernelSpec } from '../model/words.ts';
import { prefixOf } from './messages.ts';

/** Where the history is: the repository, the project's path in it ('' for its top), the base revision. */
export interface PrefixHistory {
  repo: string;
  /** The project's path inside the repository, '' for its top. */
  project: string;
  rev: string;
}

/** How many commits per file set are read: enough for a habit, bounded for a huge history. */
const LOG_LIMIT = 500;

/** "mm/slub: Fix x" -> "mm/slub"; "net: Add y" -> "net"; "Merge branch 'x'" -> none. */
export function subjectPrefix(subject: string): string | undefined {
  const m = /^([A-Za-z0-9_][\w.+/-]*(?:(?:, ?| )[\w.+/-]+){0,2}(?:\([\w./, -]+\))?!?):\s+\S/.exec(subject);
  if (!m) return undefined;
  // "Revert" and "fixup!"-style lines carry someone else's prefix inside; a sentence is no prefix.
  if (/^(?:revert|merge|fixup|squash)\b/i.test(m[1]!) || /\s/.test(m[1]!.replace(/\(.*\)/, '').replace(/, /g, ''))) return undefined;
  return m[1];
}

/**
 * A project writing Conventional Commits ("feat(cart): …") gets the type a conversion is,
 * "refactor", with the scope its history uses; other prefixes are subsystems and stay as they are.
 */
function asPatchPrefix(p: string): string {
  const c = /^(?:feat|fix|chore|docs|refactor|test|tests|build|ci|perf|style)(\([^)]*\))?!?$/i.exec(p);
  return c ? `refactor${c[1] ?? ''}` : p;
}

/** The most common prefix among subjects (ties: the one seen first, i.e. the newest). */
export function commonPrefix(subjects: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const s of subjects) {
    const raw = subjectPrefix(s);
    const p = raw === undefined ? undefined : asPatchPrefix(raw);
    if (p !== undefined) counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  let best: [string, number] | undefined;
  for (const e of counts) if (!best || e[1] > best[1]) best = e;
  return best?.[0];
}

function logSubjects(h: PrefixHistory, paths: string[]): string[] {
  const full = paths.map((p) => (h.project ? `${h.project}/${p}` : p) || '.');
  const r = spawnSync('git', ['log', '--no-merges', `-n${LOG_LIMIT}`, '--format=%s', h.rev, '--', ...full], { cwd: h.repo, encoding: 'utf8', maxBuffer: 1 << 26 });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}

/** The prefix the history gives files: theirs, else their folders' (a file the series creates has none). */
export function historyPrefix(h: PrefixHistory, files: string[]): string | undefined {
  const own = commonPrefix(logSubjects(h, files));
  if (own !== undefined) return own;
  const dirs = [...new Set(files.map((f) => (f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '')))];
  return commonPrefix(logSubjects(h, dirs.map((d) => d || '.')));
}

/**
 * A prefix from the files' paths alone, for a project that is not the kernel's: the top folder
 * they share below src/ or lib/ ("src/net/buf.ts" -> "net"), else the project's folder name.
 */
export function pathPrefix(files: string[], projectName: string): string {
  const tops = new Set(files.map((f) => {
    const parts = f.split('/');
    if (parts.length > 1 && (parts[0] === 'src' || parts[0] === 'lib')) parts.shift();
    return parts.length > 1 ? parts[0]! : '';
  }));
  const [top] = tops;
  return tops.size === 1 && top ? top : projectName;
}

/**
 * The prefixer of one series: history (when the project is in a git repository of its own
 * history), else the spec's "subjectPrefix", else the path rules. Answers are cached per file set.
 */
export function subjectPrefixer(spec: Spec, project: string, history?: PrefixHistory): (files: string[]) => string {
  const kernel = isKernelSpec(spec);
  const name = basename(project) || 'project';
  const cache = new Map<string, string>();
  return (files) => {
    const key = [...files].sort().join('\0');
    let p = cache.get(key);
    if (p === undefined) {
      p = (history && files.length ? historyPrefix(history, files) : undefined)
        ?? (spec.subjectPrefix || undefined)
        ?? (kernel ? prefixOf(files) : pathPrefix(files, name));
      cache.set(key, p);
    }
    return p;
  };
}
