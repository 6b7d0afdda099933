/**
 * `memdesc track --html`: one self-contained HTML page for a TrackReport — a burndown chart
 * (inline SVG, one series per kind), the newest point's status table, the residue list with
 * links to the sites, and the series plan when there is one. A commit without numbers (a gap:
 * no tsconfig.json, an invalid one, …) breaks the lines and gets a dashed mark with its reason;
 * the status is that of the newest commit with numbers, and says so when the newest is a gap.
 *
 * Self-contained means no requests at all: no scripts, fonts, images or stylesheets from
 * anywhere. A Content-Security-Policy meta tag makes the browser enforce that, so a later
 * edit that adds an external reference fails loudly instead of working only online.
 * The output depends on the report alone (no generation time), so the same input gives the
 * same bytes.
 */
import { posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compareSites, type Residue } from '../model/findings.ts';
import type { PlannedPatchState, ProgressPoint, TrackReport } from '../model/progress.ts';
import { percentDone } from './progress.ts';

export interface HtmlOptions {
  /**
   * Prefix for site links; the site's path relative to the repository root and `#L<line>` are
   * appended (e.g. a forge's `…/blob/<sha>/`). Default: a file:// URL of the repository when
   * `report.repo` is absolute, else a link relative to the HTML file (right when the page is
   * written in the directory `repo` was given from).
   */
  linkBase?: string;
  /**
   * The spec's class as the texts name it ("Shelf"; "struct page" for the kernel's spec:
   * specWords(spec).object). Without it the page names no class.
   */
  object?: string;
}

/** Escapes text for element content and quoted attribute values alike. */
export function escapeHtml(s: string): string {
  // NUL is a parse error in HTML; a commit subject is free text, so replace it rather than trust it.
  return s.replace(/[&<>"'\u0000]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : c === "'" ? '&#39;' : '\uFFFD',
  );
}

export function shortCommit(commit: string): string {
  return commit === 'WORKTREE' ? 'worktree' : commit.slice(0, 7);
}

// Tableau 10: distinguishable, and still readable in grayscale by lightness.
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
// Past ten kinds the colors repeat, so the dash pattern tells them apart.
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];

function seriesStyle(i: number): { color: string; dash: string } {
  return { color: PALETTE[i % PALETTE.length]!, dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length]! };
}

/** Coordinates with at most two decimals: short output, and no float noise between runs. */
function num(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** A 1-2-5 tick step giving about `target` intervals over [0, max]; integers, as counts are. */
function tickStep(max: number, target: number): number {
  const raw = max / target;
  if (raw <= 1) return 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

const CHART = { width: 960, height: 380, left: 64, right: 20, top: 16, bottom: 84 };
// Commit markers and per-label ticks stop being readable (and cost size) past these counts.
const MAX_MARKER_POINTS = 200;
const MAX_X_LABELS = 40;

function pointTooltip(p: ProgressPoint, kinds: string[]): string {
  const lines = [`${shortCommit(p.commit)} ${p.subject}`, p.date];
  if (p.gap !== undefined) return [...lines, `no numbers: ${p.gap}`].join('\n');
  for (const k of kinds) {
    const kp = p.kinds[k];
    if (kp) lines.push(`${k}: ${kp.remaining} remaining, ${kp.converted} converted`);
  }
  lines.push(`unknown: ${p.unknown}, residue: ${p.residue}`);
  const separated = separatedAt(p);
  if (separated.length) lines.push(`stage 2: ${separated.join(', ')} separated`);
  return lines.join('\n');
}

/** The kinds separated at a point (stage 2, read from the code), in spec order. */
function separatedAt(p: ProgressPoint): string[] {
  return Object.entries(p.stage2 ?? {}).filter(([, s]) => s === 'separated').map(([k]) => k);
}

/**
 * Stage 2 per commit: one row at each commit where the set of separated kinds changes (the
 * first measured commit included once any kind is separated), with the kinds separated from
 * there on. Nothing while no commit has a kind separated.
 */
function renderStage2(report: TrackReport): string {
  const measured = report.points.filter((p) => p.gap === undefined);
  if (!measured.some((p) => separatedAt(p).length > 0)) return '';
  const out = ['<h2>Stage 2</h2>', '<p>Kinds allocated separately from the page (their converter reads the memdesc word), read from the code at each commit; a row where that changes.</p>'];
  out.push('<table id="stage2"><thead><tr><th>commit</th><th>subject</th><th>separated</th><th>change</th></tr></thead><tbody>');
  let before: string[] | undefined;
  for (const p of measured) {
    const now = separatedAt(p);
    if (before !== undefined && now.join() === before.join()) continue;
    const added = now.filter((k) => !before?.includes(k));
    const gone = (before ?? []).filter((k) => !now.includes(k));
    const change = [...added.map((k) => `+${k}`), ...gone.map((k) => `-${k}`)].join(' ');
    out.push(`<tr data-commit="${escapeHtml(p.commit)}"><td><code title="${escapeHtml(p.commit)}">${escapeHtml(shortCommit(p.commit))}</code></td><td>${escapeHtml(p.subject)}</td><td class="separated">${escapeHtml(now.join(', ') || '-')}</td><td>${escapeHtml(change)}</td></tr>`);
    before = now;
  }
  out.push('</tbody></table>');
  return out.join('\n');
}

function renderChart(report: TrackReport, object: string | undefined): string {
  const { points, kinds } = report;
  if (points.length === 0) return '<p class="empty" id="chart-empty">No commits in the range: nothing to chart.</p>';
  const { width, height, left, right, top, bottom } = CHART;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const n = points.length;
  // One commit sits in the middle; more are spread evenly, oldest at the left.
  const x = (i: number): number => left + (n === 1 ? plotW / 2 : (i * plotW) / (n - 1));
  let max = 0;
  for (const p of points) for (const k of kinds) max = Math.max(max, p.kinds[k]?.remaining ?? 0);
  const step = tickStep(max, 6);
  const yMax = Math.max(step, Math.ceil(max / step) * step);
  const y = (v: number): number => top + plotH - (v / yMax) * plotH;

  const out: string[] = [];
  out.push(`<svg id="burndown" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="burndown-title">`);
  out.push(`<title id="burndown-title">Raw ${object ? `${escapeHtml(object)} ` : ''}accesses remaining per kind, oldest commit at the left</title>`);
  // Y axis: grid lines and counts.
  out.push('<g class="axis y-axis">');
  for (let v = 0; v <= yMax; v += step) {
    out.push(`<line class="grid" x1="${left}" x2="${left + plotW}" y1="${num(y(v))}" y2="${num(y(v))}"/>`);
    out.push(`<text x="${left - 8}" y="${num(y(v) + 4)}" text-anchor="end">${v}</text>`);
  }
  out.push(`<text class="axis-label" transform="translate(16 ${num(top + plotH / 2)}) rotate(-90)" text-anchor="middle">raw accesses remaining</text>`);
  out.push('</g>');
  // X axis: one tick per commit, labels thinned so they do not overlap; the newest is always
  // labelled, so a stride label too close to it gives way.
  const every = Math.ceil(n / MAX_X_LABELS);
  out.push('<g class="axis x-axis">');
  out.push(`<line class="baseline" x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}"/>`);
  points.forEach((p, i) => {
    const labelled = i === n - 1 || (i % every === 0 && n - 1 - i >= every);
    const tx = num(x(i));
    out.push(`<g class="xtick"><title>${escapeHtml(`${shortCommit(p.commit)} ${p.subject}\n${p.date}`)}</title>`);
    out.push(`<line x1="${tx}" x2="${tx}" y1="${top + plotH}" y2="${top + plotH + (labelled ? 6 : 3)}"/>`);
    if (labelled) out.push(`<text transform="translate(${tx} ${top + plotH + 12}) rotate(-40)" text-anchor="end" class="sha">${escapeHtml(shortCommit(p.commit))}</text>`);
    out.push('</g>');
  });
  out.push(`<text class="axis-label" x="${num(left + plotW / 2)}" y="${height - 4}" text-anchor="middle">commits, oldest → newest</text>`);
  out.push('</g>');
  // Hover columns: the whole height over a commit shows every kind's counts at that commit.
  out.push('<g class="hover">');
  const colW = n === 1 ? plotW : plotW / (n - 1);
  points.forEach((p, i) => {
    const x0 = Math.max(left, x(i) - colW / 2);
    const x1 = Math.min(left + plotW, x(i) + colW / 2);
    out.push(`<rect x="${num(x0)}" y="${top}" width="${num(x1 - x0)}" height="${plotH}"><title>${escapeHtml(pointTooltip(p, kinds))}</title></rect>`);
  });
  out.push('</g>');
  // Gaps: a dashed line over the whole height, its reason on hover (the series break there).
  points.forEach((p, i) => {
    if (p.gap === undefined) return;
    const tx = num(x(i));
    out.push(`<g class="gap" data-commit="${escapeHtml(p.commit)}"><title>${escapeHtml(`${shortCommit(p.commit)} ${p.subject}\nno numbers: ${p.gap}`)}</title>` +
      `<line x1="${tx}" x2="${tx}" y1="${top}" y2="${top + plotH}"/></g>`);
  });
  // Series: a point missing a kind (not in that commit's spec, or a gap) breaks the line instead of faking 0.
  kinds.forEach((k, ki) => {
    const { color, dash } = seriesStyle(ki);
    let d = '';
    let pen = false;
    points.forEach((p, i) => {
      const kp = p.kinds[k];
      if (!kp) {
        pen = false;
        return;
      }
      d += `${d ? ' ' : ''}${pen ? 'L' : 'M'}${num(x(i))} ${num(y(kp.remaining))}`;
      pen = true;
    });
    const dashAttr = dash ? ` stroke-dasharray="${dash}"` : '';
    out.push(`<path class="series" data-kind="${escapeHtml(k)}" d="${d}" stroke="${color}"${dashAttr}/>`);
    if (n <= MAX_MARKER_POINTS) {
      out.push(`<g class="markers" data-kind="${escapeHtml(k)}" fill="${color}">`);
      points.forEach((p, i) => {
        const kp = p.kinds[k];
        if (!kp) return;
        const tip = `${k}: ${kp.remaining} remaining (${kp.percent.toFixed(1)}% done)\n${shortCommit(p.commit)} ${p.subject}`;
        out.push(`<circle cx="${num(x(i))}" cy="${num(y(kp.remaining))}" r="3.5"><title>${escapeHtml(tip)}</title></circle>`);
      });
      out.push('</g>');
    }
  });
  out.push('</svg>');
  out.push('<ul class="legend">');
  kinds.forEach((k, ki) => {
    const { color, dash } = seriesStyle(ki);
    const dashAttr = dash ? ` stroke-dasharray="${dash}"` : '';
    out.push(
      `<li data-kind="${escapeHtml(k)}"><svg width="28" height="10" aria-hidden="true"><line x1="1" x2="27" y1="5" y2="5" stroke="${color}" stroke-width="3"${dashAttr}/></svg>${escapeHtml(k)}</li>`,
    );
  });
  out.push('</ul>');
  const gaps = points.filter((p) => p.gap !== undefined);
  if (gaps.length > 0) {
    out.push(`<details id="gap-list"><summary>${gaps.length} commit${gaps.length === 1 ? '' : 's'} without numbers</summary><ul>`);
    for (const p of gaps) out.push(`<li><code title="${escapeHtml(p.commit)}">${escapeHtml(shortCommit(p.commit))}</code> ${escapeHtml(p.subject)}: ${escapeHtml(p.gap!)}</li>`);
    out.push('</ul></details>');
  }
  return out.join('\n');
}

function bar(percent: number): string {
  const w = Math.max(0, Math.min(100, percent));
  return `<span class="bar" aria-hidden="true"><span style="width:${num(w)}%"></span></span>`;
}

function renderStatus(report: TrackReport): string {
  if (report.points.length === 0) return '<p class="empty" id="status-empty">No commits in the range: no status.</p>';
  // Gaps have no numbers: the status and its change are between commits that have them.
  const measured = report.points.filter((p) => p.gap === undefined);
  const newest = measured[measured.length - 1];
  if (!newest) return '<p class="empty" id="status-empty">No commit in the range has numbers: no status.</p>';
  const oldest = measured[0]!;
  const withDelta = measured.length > 1;
  const out: string[] = [];
  const tip = report.points[report.points.length - 1]!;
  if (tip !== newest) {
    out.push(`<p id="status-gap">The newest commit, <code title="${escapeHtml(tip.commit)}">${escapeHtml(shortCommit(tip.commit))}</code> ${escapeHtml(tip.subject)}, has no numbers (${escapeHtml(tip.gap ?? '')}); the status is that of the newest commit with numbers.</p>`);
  }
  out.push(`<p>At <code title="${escapeHtml(newest.commit)}">${escapeHtml(shortCommit(newest.commit))}</code> ${escapeHtml(newest.subject)} <span class="muted">(${escapeHtml(newest.date)}, ${newest.files} files)</span></p>`);
  out.push('<table id="status"><thead><tr><th>kind</th><th class="n">remaining</th><th class="n">converted</th><th class="n">% done</th>');
  if (withDelta) out.push(`<th class="n" title="remaining now minus remaining at ${escapeHtml(shortCommit(oldest.commit))}">change</th>`);
  out.push('<th></th></tr></thead><tbody>');
  let remaining = 0;
  let converted = 0;
  for (const k of report.kinds) {
    const kp = newest.kinds[k];
    if (!kp) {
      out.push(`<tr data-kind="${escapeHtml(k)}"><th>${escapeHtml(k)}</th><td class="n">-</td><td class="n">-</td><td class="n">-</td>${withDelta ? '<td class="n">-</td>' : ''}<td></td></tr>`);
      continue;
    }
    remaining += kp.remaining;
    converted += kp.converted;
    let delta = '';
    if (withDelta) {
      const before = oldest.kinds[k];
      const d = before ? kp.remaining - before.remaining : undefined;
      delta = `<td class="n">${d === undefined ? '-' : d > 0 ? `+${d}` : String(d)}</td>`;
    }
    out.push(
      `<tr data-kind="${escapeHtml(k)}"><th>${escapeHtml(k)}</th><td class="n">${kp.remaining}</td><td class="n">${kp.converted}</td><td class="n">${kp.percent.toFixed(1)}</td>${delta}<td>${bar(kp.percent)}</td></tr>`,
    );
  }
  out.push('</tbody><tfoot>');
  const total = percentDone(converted, remaining);
  out.push(`<tr class="total"><th>total</th><td class="n">${remaining}</td><td class="n">${converted}</td><td class="n">${total.toFixed(1)}</td>${withDelta ? '<td></td>' : ''}<td>${bar(total)}</td></tr>`);
  out.push('</tfoot></table>');
  out.push(`<p id="totals">unknown (not attributed to a kind): <b id="unknown">${newest.unknown}</b> · residue (undecidable sites): <b id="residue-count">${newest.residue}</b></p>`);
  return out.join('\n');
}

/** Relative paths are joined as URL paths, each segment percent-encoded (`#`, `?`, spaces…). */
function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

function siteHref(report: TrackReport, r: Residue, opts: HtmlOptions): string {
  const rel = posix.join(report.path || '.', r.file);
  if (opts.linkBase !== undefined) return `${opts.linkBase}${encodePath(rel)}#L${r.line}`;
  const full = posix.join(report.repo || '.', rel);
  if (posix.isAbsolute(full)) return `${pathToFileURL(full).href}#L${r.line}`;
  return `${encodePath(full)}#L${r.line}`;
}

function renderResidue(report: TrackReport, opts: HtmlOptions): string {
  if (report.residue.length === 0) return '<p class="empty" id="residue-empty">No residue: every site was decided.</p>';
  const sorted = [...report.residue].sort(compareSites);
  const out: string[] = ['<table id="residue"><thead><tr><th>site</th><th>field</th><th>reason</th></tr></thead><tbody>'];
  for (const r of sorted) {
    const site = `${r.file}:${r.line}:${r.column}`;
    out.push(`<tr><td><a class="site" href="${escapeHtml(siteHref(report, r, opts))}">${escapeHtml(site)}</a></td><td>${r.field ? `<code>${escapeHtml(r.field)}</code>` : ''}</td><td>${escapeHtml(r.reason)}</td></tr>`);
  }
  out.push('</tbody></table>');
  return out.join('\n');
}

const STATE_CLASS: Record<PlannedPatchState, string> = { done: 'done', 'not done': 'todo', 'not applicable': 'na' };

function renderPlan(report: TrackReport): string {
  const plan = report.plan;
  if (!plan) return '';
  const count = (s: PlannedPatchState): number => plan.patches.filter((p) => p.state === s).length;
  const out: string[] = ['<section id="plan-section">'];
  out.push(`<h2>Plan: ${escapeHtml(plan.title)}${plan.version > 1 ? ` (v${plan.version})` : ''}</h2>`);
  const measured = report.points.filter((p) => p.gap === undefined);
  const at = measured[measured.length - 1];
  const where = at && at !== report.points[report.points.length - 1] ? ` At <code>${escapeHtml(shortCommit(at.commit))}</code>, the newest commit with numbers.` : '';
  out.push(`<p>${count('done')} of ${plan.patches.length} patches done, ${count('not done')} not done, ${count('not applicable')} not applicable.${where}</p>`);
  out.push('<table id="plan"><thead><tr><th class="n">#</th><th>patch</th><th>state</th><th>why</th></tr></thead><tbody>');
  for (const p of plan.patches) {
    out.push(
      `<tr data-state="${escapeHtml(p.state)}"><td class="n">${p.number}/${plan.patches.length}</td><td>${escapeHtml(p.subject)}</td><td><span class="state ${STATE_CLASS[p.state]}">${escapeHtml(p.state)}</span></td><td>${escapeHtml(p.reason)}</td></tr>`,
    );
  }
  out.push('</tbody></table></section>');
  return out.join('\n');
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; background: #fff; margin: 0 auto; padding: 16px 24px 40px; max-width: 1000px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h1 code { font-size: 18px; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
code, .sha, a.site { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
.muted, .meta { color: #666; }
.meta { margin: 0; }
svg#burndown { display: block; max-width: 100%; height: auto; }
svg#burndown text { font-size: 11px; fill: #444; }
svg#burndown .axis-label { font-size: 12px; fill: #666; }
svg#burndown .grid { stroke: #e6e6e6; }
svg#burndown .baseline, svg#burndown .xtick line { stroke: #999; }
svg#burndown .hover rect { fill: transparent; }
svg#burndown .hover rect:hover { fill: rgba(0, 0, 0, 0.04); }
svg#burndown .gap line { stroke: #999; stroke-width: 1.5; stroke-dasharray: 4 4; }
svg#burndown .series { fill: none; stroke-width: 2.5; stroke-linejoin: round; stroke-linecap: round; }
ul.legend { list-style: none; padding: 0; margin: 6px 0 0 64px; display: flex; flex-wrap: wrap; gap: 4px 18px; }
ul.legend li { display: flex; align-items: center; gap: 6px; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 3px 10px; border-bottom: 1px solid #eee; vertical-align: top; }
thead th { border-bottom: 2px solid #ccc; font-weight: 600; }
tbody th { font-weight: 600; }
.n { text-align: right; font-variant-numeric: tabular-nums; }
tfoot tr.total th, tfoot tr.total td { border-top: 2px solid #ccc; font-weight: 600; }
.bar { display: inline-block; width: 120px; height: 9px; background: #eee; border-radius: 2px; vertical-align: middle; }
.bar > span { display: block; height: 100%; background: #59a14f; border-radius: 2px; }
.state { padding: 0 6px; border-radius: 3px; font-size: 12px; white-space: nowrap; }
.state.done { background: #dff0d8; color: #2b542c; }
.state.todo { background: #fcf0d0; color: #7a5a00; }
.state.na { background: #eee; color: #555; }
.empty { color: #666; font-style: italic; }
a.site { color: #1a5fb4; text-decoration: none; white-space: nowrap; }
a.site:hover { text-decoration: underline; }
`;

export function renderTrackHtml(report: TrackReport, opts: HtmlOptions = {}): string {
  const where = report.path ? `${report.repo}/${report.path}` : report.repo;
  const first = report.points[0];
  const last = report.points[report.points.length - 1];
  const at = (p: ProgressPoint): string => `${escapeHtml(shortCommit(p.commit))} (${escapeHtml(p.date)})`;
  const range = !first || !last
    ? 'no commits'
    : first === last
      ? `1 commit, ${at(first)}`
      : `${report.points.length} commits, ${at(first)} → ${at(last)}`;
  const { analyzedFiles, reusedFiles } = report.cache;
  const gaps = report.points.filter((p) => p.gap !== undefined).length;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>memdesc track: ${escapeHtml(where)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>memdesc track: <code>${escapeHtml(where)}</code></h1>
<p class="meta">spec ${escapeHtml(report.spec)} · ${range}${gaps ? ` (${gaps} without numbers)` : ''} · files analyzed ${analyzedFiles}, reused from cache ${reusedFiles}</p>
<h2>Burndown</h2>
${renderChart(report, opts.object)}
<h2>Status</h2>
${renderStatus(report)}
${renderStage2(report)}
<h2>Residue (${report.residue.length})</h2>
${renderResidue(report, opts)}
${renderPlan(report)}
</body>
</html>
`;
}
