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
  /** The directory given, relative to `root` ('' at the top level; forward slashes, no trailing one). */
  prefix: string;
  /** Absolute git directories (the work tree's own and the common one): the repository's other places. */
  gitDirs: string[];
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
  let lines: string[];
  try {
    // One line each, in this order; --show-prefix prints an empty line at the top level.
    lines = (await git.raw(['rev-parse', '--show-toplevel', '--show-prefix', '--absolute-git-dir', '--git-common-dir'])).split('\n');
  } catch {
    throw new InputError(`not a git repository: ${dir}`);
  }
  const [root, prefix, gitDir, commonDir] = lines;
  if (!root || gitDir === undefined || commonDir === undefined) throw new InputError(`not a git repository: ${dir}`);
  return {
    git: simpleGit({ baseDir: root }),
    root,
    prefix: (prefix ?? '').replace(/\/$/, ''),
    // --git-common-dir is relative to the directory git ran in.
    gitDirs: [...new Set([gitDir, resolve(abs, commonDir)])],
  };
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

interface GitObject {
  id: string;
  type: string;
  body: Buffer;
}

/**
 * One `git cat-file --batch` process for the whole walk: objects (blobs, trees) are asked for in
 * batches and their contents parsed off the stream by the sizes git announces. Commit trees are
 * read through it too (no `git ls-tree` process per commit), and a subtree's listing is kept by
 * its id: consecutive commits share every directory they did not change.
 */
export class BlobReader {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: Array<{ done: (o: GitObject | undefined) => void; fail: (e: Error) => void }> = [];
  private failed: Error | undefined;
  /** Tree id -> its blobs (path relative to the tree, blob id), subtrees flattened. */
  private trees = new Map<string, Array<[string, string]>>();

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
      // "<id> <type> <size>", or "<name> missing" / "<name> ambiguous".
      const header = this.buf.subarray(0, nl).toString().split(' ');
      if (header.length !== 3 || !/^\d+$/.test(header[2]!)) {
        this.buf = this.buf.subarray(nl + 1);
        this.waiting.shift();
        w.done(undefined);
        continue;
      }
      const size = Number(header[2]);
      if (this.buf.length < nl + 1 + size + 1) return;
      const body = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + size));
      this.buf = this.buf.subarray(nl + 1 + size + 1);
      this.waiting.shift();
      w.done({ id: header[0]!, type: header[1]!, body });
    }
  }

  /** Objects named `names` (ids or revisions such as `<commit>^{tree}`), in order; a missing one is undefined. */
  private objects(names: string[]): Promise<Array<GitObject | undefined>> {
    if (this.failed) return Promise.reject(this.failed);
    if (names.some((n) => /[\n\r]/.test(n))) return Promise.reject(new InputError('bad object name'));
    this.proc ??= this.start();
    const all = names.map((): Promise<GitObject | undefined> => new Promise((done, fail) => {
      this.waiting.push({ done, fail });
    }));
    this.proc.stdin.write(names.map((n) => `${n}\n`).join(''));
    return Promise.all(all);
  }

  /** Contents of blobs `ids` (a missing blob is left out). */
  async read(ids: string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    const objs = await this.objects(ids);
    ids.forEach((id, i) => {
      const o = objs[i];
      if (o?.type === 'blob') out.set(id, o.body);
    });
    return out;
  }

  /** path (relative to the top level, forward slashes) -> blob id, for every blob of the commit's tree (what `git ls-tree -r` lists). */
  async tree(commit: string): Promise<Map<string, string>> {
    const [root] = await this.objects([`${commit}^{tree}`]);
    if (root?.type !== 'tree') throw new InputError(`cannot read the tree of ${commit}`);
    // Read every subtree not seen before, one batch per level.
    const parsed = new Map<string, Array<{ name: string; id: string; tree: boolean }>>([[root.id, parseTree(root.body, root.id.length / 2)]]);
    let level = [root.id];
    while (level.length > 0) {
      const next = new Set<string>();
      for (const t of level) {
        if (this.trees.has(t)) continue;
        for (const e of parsed.get(t)!) if (e.tree && !this.trees.has(e.id) && !parsed.has(e.id)) next.add(e.id);
      }
      const ids = [...next];
      const objs = ids.length ? await this.objects(ids) : [];
      ids.forEach((id, i) => {
        const o = objs[i];
        if (o?.type !== 'tree') throw new InputError(`cannot read tree ${id}`);
        parsed.set(id, parseTree(o.body, id.length / 2));
      });
      level = ids;
    }
    const flatten = (id: string): Array<[string, string]> => {
      let list = this.trees.get(id);
      if (list) return list;
      list = [];
      for (const e of parsed.get(id)!) {
        if (!e.tree) list.push([e.name, e.id]);
        else for (const [p, b] of flatten(e.id)) list.push([`${e.name}/${p}`, b]);
      }
      this.trees.set(id, list);
      return list;
    };
    return new Map(flatten(root.id));
  }

  /** The root tree id of each commit (undefined when unreadable): one batch, however many. */
  async treeIds(commits: string[]): Promise<Array<string | undefined>> {
    return (await this.objects(commits.map((c) => `${c}^{tree}`))).map((o) => (o?.type === 'tree' ? o.id : undefined));
  }

  /** For each name (`<rev>:<path>`), whether it names a blob: one batch, however many. */
  async blobsExist(names: string[]): Promise<boolean[]> {
    return (await this.objects(names)).map((o) => o?.type === 'blob');
  }

  close(): void {
    if (!this.proc) return;
    this.proc.removeAllListeners('exit');
    this.proc.stdin.end();
    this.proc = undefined;
  }
}

/** Entries of a raw tree object ("<mode> <name>\0<id bytes>"...): blobs and subtrees (submodules left out, as `ls-tree -r` lists them as commits). */
function parseTree(body: Buffer, idBytes: number): Array<{ name: string; id: string; tree: boolean }> {
  const out: Array<{ name: string; id: string; tree: boolean }> = [];
  let i = 0;
  while (i < body.length) {
    const sp = body.indexOf(32, i);
    const nul = body.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 1 + idBytes > body.length) throw new InputError('malformed tree object');
    const mode = body.subarray(i, sp).toString();
    const name = body.subarray(sp + 1, nul).toString('utf8');
    const id = body.subarray(nul + 1, nul + 1 + idBytes).toString('hex');
    i = nul + 1 + idBytes;
    if (mode === '40000' || mode === '040000') out.push({ name, id, tree: true });
    else if (mode !== '160000') out.push({ name, id, tree: false });
  }
  return out;
}
