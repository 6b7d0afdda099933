/**
 * The HTML report in a real browser: Debian's headless Chromium loads the page from a file://
 * URL, and the test checks it renders (no console errors, no requests but the page itself),
 * the chart has one drawn series per kind, the tables hold the report's numbers, and the
 * residue links are there. A full-page screenshot is written for a human to look at.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTrackHtml } from '../../src/track/html.ts';
import { SAMPLE_KINDS, sampleReport, withGaps } from './html-sample.ts';

const CHROMIUM = '/usr/bin/chromium';
/** Stable place for the artifacts so a developer can open them after the run. */
const OUT_DIR = join(tmpdir(), 'memdesc-html-report');

const report = sampleReport();
const newest = report.points[report.points.length - 1]!;
let profile: string;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];
let pageUrl: string;
/** The same report with two commits as gaps (the newest one of them). */
let gapUrl: string;

beforeAll(async () => {
  // Not a skip: CI installs chromium (.ci/run), so a missing browser is a broken setup.
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium`);
  await mkdir(OUT_DIR, { recursive: true });
  const htmlPath = join(OUT_DIR, 'track-report.html');
  await writeFile(htmlPath, renderTrackHtml(report));
  pageUrl = pathToFileURL(htmlPath).href;
  const gapPath = join(OUT_DIR, 'track-report-gaps.html');
  await writeFile(gapPath, renderTrackHtml(withGaps(sampleReport(), [4, 9])));
  gapUrl = pathToFileURL(gapPath).href;
  profile = await mkdtemp(join(tmpdir(), 'memdesc-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  // Every request the page makes is recorded, and anything but the page itself is refused, so a
  // stray external reference shows up here instead of hanging the test on the network.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requests.push(url);
    return url === pageUrl || url === gapUrl ? route.continue() : route.abort();
  });
  page.on('requestfailed', (r) => requests.push(`failed: ${r.url()}`));
  await page.goto(pageUrl, { waitUntil: 'load' });
});

afterAll(async () => {
  await context?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

describe('track HTML report in Chromium', () => {
  it('loads without console errors or requests beyond the page', () => {
    expect(consoleErrors).toEqual([]);
    expect([...new Set(requests)]).toEqual([pageUrl]);
  });

  it('draws one series per kind, each spanning the commits', async () => {
    const series = await page.$$eval('svg#burndown path.series', (els) =>
      els.map((e) => {
        // The project compiles without the DOM lib; getBBox is all the test needs of it.
        const box = (e as unknown as { getBBox(): { width: number; height: number } }).getBBox();
        return { kind: e.getAttribute('data-kind'), points: (e.getAttribute('d') ?? '').split(/[ML]/).filter(Boolean).length, width: box.width, height: box.height };
      }),
    );
    expect(series.map((s) => s.kind)).toEqual(SAMPLE_KINDS);
    for (const s of series) {
      expect(s.points).toBe(report.points.length);
      expect(s.width).toBeGreaterThan(500);
    }
    // netmem never moves: a flat line; folio falls from 120 to 71: a tall one.
    expect(series.find((s) => s.kind === 'netmem')!.height).toBe(0);
    expect(series.find((s) => s.kind === 'folio')!.height).toBeGreaterThan(50);
    const legend = await page.$$eval('ul.legend li', (els) => els.map((e) => e.textContent));
    expect(legend).toEqual(SAMPLE_KINDS);
    const labels = await page.$$eval('svg#burndown .xtick text', (els) => els.map((e) => e.textContent));
    expect(labels).toEqual(report.points.map((p) => p.commit.slice(0, 7)));
    // The subject with markup arrives as text, not as elements.
    const tips = await page.$$eval('svg#burndown .xtick > title', (els) => els.map((e) => e.textContent ?? ''));
    expect(tips[1]).toContain('slab: use struct slab in <kmem_cache_free> & friends');
    const chart = await page.locator('svg#burndown').boundingBox();
    expect(chart!.width).toBeGreaterThan(600);
    expect(chart!.height).toBeGreaterThan(200);
  });

  it('shows the newest point in the status table', async () => {
    const rows = await page.$$eval('table#status tbody tr', (trs) => trs.map((tr) => [...tr.children].slice(0, 5).map((c) => c.textContent)));
    expect(rows).toEqual(
      SAMPLE_KINDS.map((k) => {
        const kp = newest.kinds[k]!;
        const d = kp.remaining - report.points[0]!.kinds[k]!.remaining;
        return [k, String(kp.remaining), String(kp.converted), kp.percent.toFixed(1), d > 0 ? `+${d}` : String(d)];
      }),
    );
    // zpdesc is finished: 20 converted, none left.
    expect(rows.find((r) => r[0] === 'zpdesc')).toEqual(['zpdesc', '0', '20', '100.0', '-18']);
    const total = await page.$$eval('table#status tfoot td', (tds) => tds.slice(0, 3).map((c) => c.textContent));
    const rem = SAMPLE_KINDS.reduce((a, k) => a + newest.kinds[k]!.remaining, 0);
    const conv = SAMPLE_KINDS.reduce((a, k) => a + newest.kinds[k]!.converted, 0);
    expect(total).toEqual([String(rem), String(conv), ((Math.round((conv / (rem + conv)) * 1000) / 10)).toFixed(1)]);
    expect(await page.textContent('#unknown')).toBe(String(newest.unknown));
    expect(await page.textContent('#residue-count')).toBe(String(newest.residue));
  });

  it('links every residue site to its file and line', async () => {
    const links = await page.$$eval('table#residue a.site', (as) => as.map((a) => ({ text: a.textContent, href: a.getAttribute('href') })));
    expect(links).toEqual([
      { text: 'drivers/odd name#1.ts:3:1', href: 'file:///src/linux-ts/mm/drivers/odd%20name%231.ts#L3' },
      { text: 'page_alloc.ts:1204:17', href: 'file:///src/linux-ts/mm/page_alloc.ts#L1204' },
      { text: 'zsmalloc.ts:812:9', href: 'file:///src/linux-ts/mm/zsmalloc.ts#L812' },
    ]);
    expect(await page.textContent('table#residue')).toContain('file does not parse <unterminated template> & more');
  });

  it('lists the planned patches with their state', async () => {
    const rows = await page.$$eval('table#plan tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    expect(rows.map((r) => [r[0], r[2]])).toEqual(report.plan!.patches.map((p) => [`${p.number}/5`, p.state]));
    expect(await page.textContent('#plan-section h2')).toBe('Plan: Split ptdesc from struct page <v3> & friends (v3)');
  });

  it('draws gaps as marks over the whole chart height, the lines broken there', async () => {
    const gapPage = await context.newPage();
    const errors: string[] = [];
    gapPage.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    gapPage.on('pageerror', (e) => errors.push(String(e)));
    try {
      await gapPage.goto(gapUrl, { waitUntil: 'load' });
      const marks = await gapPage.$$eval('svg#burndown g.gap', (els) => els.map((e) => {
        const box = (e as unknown as { getBBox(): { height: number } }).getBBox();
        return { height: box.height, title: e.querySelector('title')?.textContent ?? '' };
      }));
      expect(marks.map((m) => m.title.split('\n')[1])).toEqual(['no numbers: no tsconfig.json at mm/tsconfig.json <4>', 'no numbers: no tsconfig.json at mm/tsconfig.json <9>']);
      for (const m of marks) expect(m.height).toBeGreaterThan(200);
      const runs = await gapPage.$$eval('svg#burndown path.series', (els) => els.map((e) => (e.getAttribute('d') ?? '').split('M').filter(Boolean).length));
      expect(runs).toEqual(SAMPLE_KINDS.map(() => 2));
      expect(await gapPage.textContent('#status-gap')).toContain('has no numbers');
      await gapPage.screenshot({ path: join(OUT_DIR, 'track-report-gaps.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await gapPage.close();
    }
  });

  it('takes a screenshot', async () => {
    const file = join(OUT_DIR, 'track-report.png');
    const png = await page.screenshot({ path: file, fullPage: true });
    // A PNG of a real page, not an empty canvas: the signature and some size.
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
    console.log(`track HTML report screenshot: ${file}`);
  });
});
