/**
 * Unified diffs (git style) of whole files: Myers' O(ND) line diff, 3 lines of context.
 * Used for `convert --dry-run`; `git apply` accepts the output.
 */

type Op = { t: ' ' | '-' | '+'; line: string };

function splitLines(text: string): { lines: string[]; eofNewline: boolean } {
  if (text === '') return { lines: [], eofNewline: true };
  const eofNewline = text.endsWith('\n');
  const lines = (eofNewline ? text.slice(0, -1) : text).split('\n');
  return { lines, eofNewline };
}

/** Myers' shortest edit script on arrays of lines. */
function myers(a: string[], b: string[]): Op[] {
  // Trim the common prefix and suffix first: conversions touch few lines of long files.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  const n = A.length;
  const m = B.length;
  const max = n + m;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = max === 0;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[max + k - 1]! < v[max + k + 1]!) ? v[max + k + 1]! : v[max + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && A[x] === B[y]) { x++; y++; }
      v[max + k] = x;
      if (x >= n && y >= m) { found = true; break; }
    }
  }
  // Backtrack.
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[max + k - 1]! < vd[max + k + 1]!) ? k + 1 : k - 1;
    const prevX = vd[max + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) { ops.push({ t: ' ', line: A[x - 1]! }); x--; y--; }
    if (x === prevX) { ops.push({ t: '+', line: B[prevY]! }); y--; } else { ops.push({ t: '-', line: A[prevX]! }); x--; }
  }
  while (x > 0 && y > 0) { ops.push({ t: ' ', line: A[x - 1]! }); x--; y--; }
  while (y > 0) { ops.push({ t: '+', line: B[y - 1]! }); y--; }
  while (x > 0) { ops.push({ t: '-', line: A[x - 1]! }); x--; }
  ops.reverse();
  return [...a.slice(0, pre).map((line) => ({ t: ' ' as const, line })), ...ops, ...a.slice(a.length - suf).map((line) => ({ t: ' ' as const, line }))];
}

/** A unified diff of one file; '' when equal. `before` null = a new file, `after` null = deleted. */
export function unifiedDiff(path: string, before: string | null, after: string | null, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before ?? '');
  const b = splitLines(after ?? '');
  const ops = myers(a.lines, b.lines);
  let head = `diff --git a/${path} b/${path}\n`;
  if (before === null) head += 'new file mode 100644\n';
  if (after === null) head += 'deleted file mode 100644\n';
  head += `--- ${before === null ? '/dev/null' : `a/${path}`}\n+++ ${after === null ? '/dev/null' : `b/${path}`}\n`;
  // Line numbers of each op in a and b.
  const aNo: number[] = [];
  const bNo: number[] = [];
  let ai = 0;
  let bi = 0;
  for (const op of ops) {
    aNo.push(ai);
    bNo.push(bi);
    if (op.t !== '+') ai++;
    if (op.t !== '-') bi++;
  }
  const changed = ops.map((o, i) => (o.t !== ' ' ? i : -1)).filter((i) => i >= 0);
  let out = '';
  let i = 0;
  while (i < changed.length) {
    let start = Math.max(0, changed[i]! - context);
    let end = Math.min(ops.length, changed[i]! + context + 1);
    let j = i + 1;
    while (j < changed.length && changed[j]! - context <= end) {
      end = Math.min(ops.length, changed[j]! + context + 1);
      j++;
    }
    const slice = ops.slice(start, end);
    const aCount = slice.filter((o) => o.t !== '+').length;
    const bCount = slice.filter((o) => o.t !== '-').length;
    const aStart = aCount === 0 ? aNo[start]! : aNo[start]! + 1;
    const bStart = bCount === 0 ? bNo[start]! : bNo[start]! + 1;
    out += `@@ -${aStart}${aCount === 1 ? '' : `,${aCount}`} +${bStart}${bCount === 1 ? '' : `,${bCount}`} @@\n`;
    for (let k = start; k < end; k++) {
      const o = ops[k]!;
      out += `${o.t}${o.line}\n`;
      const lastA = o.t !== '+' && aNo[k]! === a.lines.length - 1;
      const lastB = o.t !== '-' && bNo[k]! === b.lines.length - 1;
      if ((o.t === '-' && lastA && !a.eofNewline) || (o.t === '+' && lastB && !b.eofNewline) ||
        (o.t === ' ' && lastA && (!a.eofNewline || !b.eofNewline))) out += '\\ No newline at end of file\n';
    }
    i = j;
    start = end;
  }
  return head + out;
}
