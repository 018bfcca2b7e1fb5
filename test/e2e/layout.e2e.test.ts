/**
 * The layout at the screen sizes a station is used at (1024×768, 1366×768, 1920×1080), in both
 * themes, measured in Debian's Chromium: nothing overflows sideways or is cut, the header and the
 * tabs fit, the failing check's sentence and the whole preview are above the fold, chart labels and patterns show.
 * A screenshot of each view at each size goes to test/artifacts/screenshots (layout-*.png).
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGoodTiff } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';
import { chromiumPath, hasChromium, launchChromium, screenshots, startServe, stopServe, type ServeProcess } from './serve-in-chromium.js';

const monitorToken = 'monitor-layout-0123456789abcdefghijklmn';
const sizes = [
  { width: 1024, height: 768 },
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
] as const;
const themes = ['dark', 'light'] as const;
const views = [
  { key: 'F1', id: 'capture' },
  { key: 'F2', id: 'queue' },
  { key: 'F3', id: 'history' },
  { key: 'F4', id: 'dashboard' },
  { key: 'F8', id: 'settings' },
] as const;

/** What a person would see cut or pushed out, as words (empty when the page is whole). */
function layoutProblems(): string[] {
  const out: string[] = [];
  const name = (el: Element) => `${el.tagName.toLowerCase()}.${(el.getAttribute('class') ?? '').split(' ')[0]} "${(el.textContent ?? '').trim().slice(0, 30)}"`;
  if (document.documentElement.scrollWidth > window.innerWidth) out.push(`the page is ${document.documentElement.scrollWidth - window.innerWidth}px wider than the window`);
  for (const tab of document.querySelectorAll('.nav__item')) if (tab.getBoundingClientRect().right > window.innerWidth) out.push(`tab ${name(tab)} runs past the window`);
  // Text that is cut (ellipsis or hidden overflow) or runs past the box it sits in; a 1px box is
  // words left to screen readers on purpose (visually hidden), not cut.
  for (const el of document.querySelectorAll('.facts__value, .target__figures dd, .target__counts dd, .histogram__end, .header *')) {
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 1) out.push(`${name(el)} is cut: ${el.scrollWidth}px in ${el.clientWidth}px`);
  }
  for (const [child, box] of [
    ['.histogram__end', '.histogram'],
    ['.target__figures dd', '.target__figures > div'],
    ['.target__counts dd', '.target__counts > div'],
  ] as const) {
    for (const el of document.querySelectorAll(child)) {
      const parent = el.closest(box);
      if (!parent) continue;
      const a = el.getBoundingClientRect();
      const b = parent.getBoundingClientRect();
      if (a.right > b.right + 0.5 || a.left < b.left - 0.5) out.push(`${name(el)} runs ${Math.round(Math.max(a.right - b.right, b.left - a.left))}px out of its ${box}`);
    }
  }
  for (const svg of document.querySelectorAll('.chart__svg')) {
    const top = svg.getBoundingClientRect().top;
    for (const label of svg.querySelectorAll('.chart__value')) if (label.getBoundingClientRect().top < top - 0.5) out.push(`chart total ${name(label)} is cut at the top`);
  }
  return out;
}

describe.skipIf(!hasChromium)(hasChromium ? 'the layout at 1024, 1366 and 1920 px in Chromium' : `the layout in Chromium — SKIPPED: ${chromiumPath} is missing`, () => {
  let home = '';
  let serve: ServeProcess | null = null;
  let browser: Browser | null = null;

  beforeAll(async () => {
    home = makeHome({
      station: { id: 'copy-stand-layout' },
      ingest: { stableWindowMs: 300, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 },
      server: { port: 0, monitorTokens: [monitorToken] },
      linking: { enabled: true, imageBarcodes: false, idleTimeoutSec: 0, views: ['front', 'back'] },
      // Not mounted: the job waits for the target, with no time left given.
      targets: [{ id: 'nas', kind: 'folder', path: 'nas-not-mounted', mountCheck: false }],
      upload: { probeIntervalSec: 1 },
      // No disk here has a petabyte free: the disk of every folder is "almost full", and its one banner must leave the verdict above the fold.
      retention: { warnFreeGB: 1_000_000, criticalFreeGB: 1_000_000 },
    });
    // Made before the start, so the first free-disk check finds the library on the same disk as the rest.
    fs.mkdirSync(path.join(home, 'Library'));
    serve = await startServe(home, 60_000);
    const url = new URL(serve.openUrl);
    const call = async (command: string, args: object) => {
      const res = await fetch(new URL(`/api/${command}`, url), { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${url.searchParams.get('token')}` }, body: JSON.stringify(args) });
      return (await res.json()) as { result?: unknown; error?: { message: string } };
    };
    expect((await call('startSession', { operator: 'Ana Lima', project: 'Insects' })).error).toBeUndefined();
    expect((await call('scanBarcode', { code: 'NHM-658664' })).error).toBeUndefined();
    const inbox = path.join(home, 'Inbox');
    await writeGoodTiff(path.join(inbox, 'IMG_0001.tif'), 1);
    // The largest sensor's frame (11664 × 8750), flat grey: it fails as a blank frame, with a sentence saying so;
    // a small white patch clips a sliver of white ("< 0.01 %"), the histogram's longest caption.
    const white = await sharp({ create: { width: 104, height: 104, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer();
    await sharp({ create: { width: 11664, height: 8750, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .composite([{ input: white, left: 800, top: 800 }])
      .jpeg({ quality: 50 })
      .toFile(path.join(inbox, 'IMG_0002.jpg'));
    const status = async () => (await call('status', {})).result as { captures: { total: number } };
    await waitFor(async () => (await status()).captures.total === 2, 'both captures checked', 120_000);
    // The next object closes this one: its passed shot is queued for the unmounted target, which it waits for.
    expect((await call('scanBarcode', { code: 'NHM-658665' })).error).toBeUndefined();
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stopServe(serve);
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  async function openAt(size: { width: number; height: number }, theme: 'dark' | 'light', token?: string): Promise<Page> {
    const context = await browser!.newContext({ viewport: size });
    await context.addInitScript(`localStorage.setItem('capture-station.theme', '${theme}')`);
    const page = await context.newPage();
    const url = new URL(serve!.openUrl);
    if (token) url.searchParams.set('token', token);
    await page.goto(url.toString());
    await page.getByRole('status', { name: 'Connection: Live' }).waitFor();
    return page;
  }

  for (const size of sizes) {
    it(`fits ${size.width}×${size.height} in both themes: nothing cut or overflowing, tabs in the window, the verdict sentence above the fold`, async () => {
      for (const theme of themes) {
        const p = await openAt(size, theme);
        try {
          await p.locator('.problem__message').first().waitFor({ timeout: 30_000 });
          await p.locator('.facts__value').first().waitFor();
          // One disk holds the home's hot folder, library, database and logs: one banner, not one per folder.
          expect(await p.locator('.devices__disk').count()).toBe(1);
          expect(await p.locator('.devices__disk summary').textContent()).toMatch(/^✕ Disk almost full: \d+(\.\d)? [KMGT]?B free on the disk of hot folder "[^"]+", the library, the database and the logs folder$/);
          await p.screenshot({ path: path.join(screenshots, `layout-${size.width}-${theme}-fold.png`) });
          // The failing check's sentence is read without scrolling (at 1024×768 the side column goes under it).
          const sentence = await p.locator('.verdict .problem__message').first().boundingBox();
          if (size.width >= 1366) expect(sentence!.y + sentence!.height, 'the failing check\'s sentence above the fold').toBeLessThanOrEqual(size.height);
          // The newest capture large: its whole preview on screen without scrolling, at least 35 % of the
          // window's width or height, and larger than the verdict banner beside it.
          if (size.width >= 1366) {
            await p.locator('.capture .preview__image').waitFor();
            const shown = (await p.locator('.capture .preview__image').boundingBox())!;
            const banner = (await p.locator('.capture .verdict').boundingBox())!;
            const box = `the preview at ${Math.round(shown.x)},${Math.round(shown.y)} ${Math.round(shown.width)}×${Math.round(shown.height)}`;
            expect(shown.x >= 0 && shown.y >= 0 && shown.x + shown.width <= size.width && shown.y + shown.height <= size.height, `${box}, in the window`).toBe(true);
            expect(Math.max(shown.width / size.width, shown.height / size.height), `${box}: its share of the window`).toBeGreaterThanOrEqual(0.35);
            expect(shown.width * shown.height, `${box}: larger than the verdict banner`).toBeGreaterThan(banner.width * banner.height);
          }
          // The header is one row from 1366 px up: every item starts above the first one's bottom.
          const rows = await p.evaluate(() => {
            const items = [...document.querySelectorAll('.header > *')].map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0);
            return items.every((r) => r.top < items[0]!.bottom);
          });
          if (size.width >= 1366) expect(rows, 'the header on one line').toBe(true);
          expect(await p.locator('.facts__value', { hasText: '11664 × 8750' }).count()).toBe(1);
          expect(await p.locator('.histogram__end[data-end="white"][data-clipped="true"]').textContent()).toMatch(/White clipped.*%/);
          for (const v of views) {
            await p.keyboard.press(v.key);
            await p.locator(`#view-${v.id}`).waitFor();
            if (v.id === 'queue') await p.locator('.target__figures dd', { hasText: 'waiting for the target' }).waitFor({ timeout: 30_000 });
            if (v.id === 'dashboard') await p.locator('.chart__seg[data-verdict="fail"]').first().waitFor();
            if (v.id === 'settings') await p.locator('#setting-sources-0-id').waitFor();
            await p.screenshot({ path: path.join(screenshots, `layout-${size.width}-${theme}-${v.id}.png`), fullPage: true });
            expect(await p.evaluate(layoutProblems), `${v.id} at ${size.width}×${size.height}, ${theme}`).toEqual([]);
            if (v.id === 'dashboard') {
              // The fail bar's fill as the browser computes it: the hatch pattern, not the plain colour.
              expect(await p.locator('.chart__seg[data-verdict="fail"]').first().evaluate((el) => getComputedStyle(el).fill)).toMatch(/^url\("?#hatch-/);
            }
          }
        } finally {
          await p.context().close();
        }
      }
    }, 120_000);
  }

  it('shows a monitor its badge with a drawn eye and read-only notes, in both themes', async () => {
    for (const theme of themes) {
      const p = await openAt(sizes[1], theme, monitorToken);
      try {
        const badge = p.getByTestId('read-only');
        await badge.waitFor();
        expect(await badge.locator('svg').count()).toBe(1);
        expect(await p.locator('.scanbar [data-testid="readonly-note"]').textContent()).toBe("Read-only monitor: scans are taken on the operator's screen.");
        await p.screenshot({ path: path.join(screenshots, `layout-monitor-${theme}-capture.png`) });
        const oneRow = await p.evaluate(() => {
          const items = [...document.querySelectorAll('.header > *')].map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0);
          return items.every((r) => r.top < items[0]!.bottom);
        });
        expect(oneRow, 'the monitor\'s header on one line at 1366 px').toBe(true);
        await p.keyboard.press('F8');
        await p.locator('#setting-sources-0-id').waitFor();
        expect(await p.locator('#setting-sources-0-id').isDisabled()).toBe(true);
        await p.screenshot({ path: path.join(screenshots, `layout-monitor-${theme}-settings.png`) });
        expect(await p.evaluate(layoutProblems)).toEqual([]);
      } finally {
        await p.context().close();
      }
    }
  }, 60_000);
});
