/**
 * Git plumbing for the history walk: the repository, its commits (first parent, oldest first),
 * each commit's tree (path -> blob id) and blob contents, without checking anything out.
 * Library code: throws InputError, never prints.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { InputError } from '../errors.ts';

export interface CommitInfo {
  commit: string;
  subject: string;
  /** Committer date, ISO 8601. */
  date: string;
}

export interface Repo {
  git: SimpleGit;
  /** Absolute top-level directory of the work tree. */
  root: string;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).trim().split('\n')[0]!.replace(/^fatal: /, '');
}

export async function openRepo(dir: string): Promise<Repo> {
  const abs = resolve(dir);
  let git: SimpleGit;
  try {
    git = simpleGit({ baseDir: abs });
  } catch (e) {
    throw new InputError(`cannot open ${dir}: ${firstLine(e)}`);
  }
  let root: string;
  try {
    root = (await git.revparse(['--show-toplevel'])).trim();
  } catch {
    throw new InputError(`not a git repository: ${dir}`);
  }
  return { git: simpleGit({ baseDir: root }), root };
}

/** Commits of `range` (default HEAD) along first parents, oldest first. */
export async function listCommits(repo: Repo, range?: string): Promise<CommitInfo[]> {
  const rev = range ?? 'HEAD';
  if (rev.startsWith('-')) throw new InputError(`bad range '${rev}'`);
  let out: string;
  try {
    out = await repo.git.raw(['log', '--first-parent', '--reverse', '--format=%H%x00%cI%x00%s', rev, '--']);
  } catch (e) {
    throw new InputError(`bad range '${rev}': ${firstLine(e)}`);
  }
  const commits = out.split('\n').filter(Boolean).map((l) => {
    const [commit, date, subject] = l.split('\0');
    return { commit: commit!, date: date!, subject: subject ?? '' };
  });
  if (commits.length === 0) throw new InputError(`no commits in range '${rev}'`);
  return commits;
}

/** path (relative to the top level, forward slashes) -> blob id, for every blob of the commit's tree. */
export async function listTree(repo: Repo, commit: string): Promise<Map<string, string>> {
  const out = await repo.git.raw(['ls-tree', '-r', '-z', '--full-tree', commit]);
  const tree = new Map<string, string>();
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    // "<mode> <type> <id>\t<path>"
    const tab = rec.indexOf('\t');
    const [, type, id] = rec.slice(0, tab).split(' ');
    if (type === 'blob') tree.set(rec.slice(tab + 1), id!);
  }
  return tree;
}

/**
 * One `git cat-file --batch` process for the whole walk: blobs are asked for in batches and
 * their contents parsed off the stream by the sizes git announces.
 */
export class BlobReader {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: Array<{ id: string; done: (b: Buffer | undefined) => void; fail: (e: Error) => void }> = [];
  private failed: Error | undefined;

  constructor(private root: string) {}

  private start(): ChildProcessWithoutNullStreams {
    const p = spawn('git', ['cat-file', '--batch'], { cwd: this.root, stdio: ['pipe', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.drain();
    });
    const fail = (e: Error): void => {
      this.failed = e;
      for (const w of this.waiting.splice(0)) w.fail(e);
    };
    p.on('error', fail);
    p.on('exit', () => fail(new InputError('git cat-file exited early')));
    return p;
  }

  private drain(): void {
    for (;;) {
      const w = this.waiting[0];
      if (!w) return;
      const nl = this.buf.indexOf(10);
      if (nl < 0) return;
      const header = this.buf.subarray(0, nl).toString();
      if (header.endsWith(' missing')) {
        this.buf = this.buf.subarray(nl + 1);
        this.waiting.shift();
        w.done(undefined);
        continue;
      }
      const size = Number(header.split(' ')[2]);
      if (this.buf.length < nl + 1 + size + 1) return;
      const body = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + size));
      this.buf = this.buf.subarray(nl + 1 + size + 1);
      this.waiting.shift();
      w.done(body);
    }
  }

  /** Contents of blobs `ids` (a missing blob is left out). */
  async read(ids: string[]): Promise<Map<string, Buffer>> {
    if (this.failed) throw this.failed;
    this.proc ??= this.start();
    const out = new Map<string, Buffer>();
    const all = ids.map((id) => new Promise<void>((done, fail) => {
      this.waiting.push({ id, done: (b) => { if (b) out.set(id, b); done(); }, fail });
    }));
    this.proc.stdin.write(ids.map((id) => `${id}\n`).join(''));
    await Promise.all(all);
    return out;
  }

  close(): void {
    if (!this.proc) return;
    this.proc.removeAllListeners('exit');
    this.proc.stdin.end();
    this.proc = undefined;
  }
}
