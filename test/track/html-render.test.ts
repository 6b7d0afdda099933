/** renderTrackHtml as a pure function: escaping, degenerate histories, links, determinism. */
import { describe, expect, it } from 'vitest';
import type { TrackReport } from '../../src/model/progress.ts';
import { escapeHtml, renderTrackHtml } from '../../src/track/html.ts';
import { SAMPLE_KINDS, sampleReport, withGaps } from './html-sample.ts';

const count = (s: string, re: RegExp): number => s.match(re)?.length ?? 0;

describe('renderTrackHtml', () => {
  it('escapes subjects, reasons, titles and kind names', () => {
    const r = sampleReport(3);
    r.points[2]!.subject = `<script>alert("x")</script> & 'q'`;
    r.kinds.push('we"ird<kind>');
    r.residue[0]!.reason = '<img src=x onerror=alert(1)>';
    const html = renderTrackHtml(r);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
    expect(html).toContain('data-kind="we&quot;ird&lt;kind&gt;"');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(escapeHtml('a\u0000b')).toBe('a\uFFFDb');
  });

  it("names the spec's class as the caller's words give it, escaped; no class named without them", () => {
    expect(renderTrackHtml(sampleReport(), { object: 'Shelf' })).toContain('<title id="burndown-title">Raw Shelf accesses remaining per kind');
    expect(renderTrackHtml(sampleReport(), { object: 'struct page' })).toContain('Raw struct page accesses remaining per kind');
    expect(renderTrackHtml(sampleReport(), { object: 'A<B>' })).toContain('Raw A&lt;B&gt; accesses');
    expect(renderTrackHtml(sampleReport())).toContain('<title id="burndown-title">Raw accesses remaining per kind');
  });

  it('references nothing outside the page', () => {
    const html = renderTrackHtml(sampleReport());
    // Site links are file:// (followed only on a click); nothing else may name a URL.
    expect(html.replace(/href="file:\/\/[^"]*"/g, '')).not.toMatch(/:\/\/|<script|<link|<img|\bsrc=|url\(|@import/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it('draws one series per kind, one point per commit', () => {
    const html = renderTrackHtml(sampleReport());
    expect(count(html, /<path class="series"/g)).toBe(SAMPLE_KINDS.length);
    for (const k of SAMPLE_KINDS) {
      const d = new RegExp(`<path class="series" data-kind="${k}" d="([^"]*)"`).exec(html)![1]!;
      expect(count(d, /[ML]/g)).toBe(10);
      expect(d.startsWith('M')).toBe(true);
    }
  });

  it('handles a single commit: centred points, status table, no change column', () => {
    const html = renderTrackHtml(sampleReport(1));
    expect(count(html, /<path class="series"/g)).toBe(SAMPLE_KINDS.length);
    // A lone "M x y" draws nothing, so each kind still gets its visible marker.
    expect(count(html, /<circle /g)).toBe(SAMPLE_KINDS.length);
    expect(html).toMatch(/<path class="series" data-kind="folio" d="M502 [\d.]+"/);
    expect(html).toContain('1 commit, a1b2c3d (2024-03-01T12:00:00+01:00) ·');
    expect(html).not.toContain('>change</th>');
    expect(html).toContain('<table id="status">');
  });

  it('handles no commits: says so instead of drawing', () => {
    const r: TrackReport = { ...sampleReport(0), residue: [], plan: undefined };
    const html = renderTrackHtml(r);
    expect(html).not.toContain('<svg id="burndown"');
    expect(html).not.toContain('class="series"');
    expect(html).toContain('id="chart-empty"');
    expect(html).toContain('id="status-empty"');
    expect(html).toContain('id="residue-empty"');
    expect(html).not.toContain('id="plan"');
    expect(html).toContain('no commits');
  });

  it('thins commit labels on long histories, always labelling the newest', () => {
    const r = sampleReport(300);
    const labels = [...renderTrackHtml(r).matchAll(/class="sha">([^<]*)</g)].map((m) => m[1]);
    expect(labels.length).toBeLessThanOrEqual(40);
    expect(labels[0]).toBe(r.points[0]!.commit.slice(0, 7));
    expect(labels[labels.length - 1]).toBe(r.points[299]!.commit.slice(0, 7));
    // Every tick is there even where its label is not.
    expect(count(renderTrackHtml(r), /<g class="xtick">/g)).toBe(300);
  });

  it('breaks a series where a commit lacks the kind', () => {
    const r = sampleReport(4);
    delete r.points[1]!.kinds['slab'];
    const d = /data-kind="slab" d="([^"]*)"/.exec(renderTrackHtml(r))![1]!;
    expect(d.replace(/[\d. ]+/g, '')).toBe('MML');
  });

  it('marks gaps (commits without numbers) with their reason, breaks the lines there, and takes the status from the newest commit with numbers', () => {
    const r = withGaps(sampleReport(10), [3, 9]);
    const html = renderTrackHtml(r);
    expect(count(html, /<g class="gap" /g)).toBe(2);
    expect(html).toContain('no numbers: no tsconfig.json at mm/tsconfig.json &lt;3&gt;');
    for (const k of SAMPLE_KINDS) {
      const d = new RegExp(`data-kind="${k}" d="([^"]*)"`).exec(html)![1]!;
      // Commits 0-2, then 4-8: two runs, eight points.
      expect(d.replace(/[\d. ]+/g, '')).toBe('MLLMLLLL');
    }
    expect(count(html, /<circle /g)).toBe(8 * SAMPLE_KINDS.length);
    expect(html).toContain('id="gap-list"');
    expect(html).toContain('2 commits without numbers');
    // Status: commit 8's numbers, change against commit 0, and a note that the newest is a gap.
    expect(html).toContain('id="status-gap"');
    const folio = /<tr data-kind="folio"><th>folio<\/th><td class="n">(\d+)<\/td><td class="n">(\d+)<\/td><td class="n">[\d.]+<\/td><td class="n">([-+\d]+)<\/td>/.exec(html)!;
    expect(folio.slice(1)).toEqual([String(r.points[8]!.kinds['folio']!.remaining), String(r.points[8]!.kinds['folio']!.converted),
      String(r.points[8]!.kinds['folio']!.remaining - r.points[0]!.kinds['folio']!.remaining)]);
    // Only gaps: no status, but the chart still shows every commit.
    const none = renderTrackHtml(withGaps(sampleReport(2), [0, 1]));
    expect(none).toContain('No commit in the range has numbers');
    expect(count(none, /<g class="gap" /g)).toBe(2);
  });

  it('links sites relative to the page for a relative repo, or under a given base', () => {
    const r = { ...sampleReport(2), repo: '../linux', path: '' };
    expect(renderTrackHtml(r)).toContain('href="../linux/drivers/odd%20name%231.ts#L3"');
    expect(renderTrackHtml(r, { linkBase: 'https://example.org/blob/abc/' })).toContain('href="https://example.org/blob/abc/zsmalloc.ts#L812"');
  });

  it('is deterministic and leaves the report alone', () => {
    const r = sampleReport();
    const before = JSON.stringify(r);
    const a = renderTrackHtml(r);
    expect(renderTrackHtml(sampleReport())).toBe(a);
    expect(JSON.stringify(r)).toBe(before);
    // The residue list is in site order whatever the input order.
    const rev = { ...r, residue: [...r.residue].reverse() };
    expect(renderTrackHtml(rev)).toBe(a);
  });
});
