/**
 * The rig screen under load and at the tested sizes, in Debian's Chromium against
 * `capture-station serve`: a flood of captures moved into the hot folder at once (the header
 * count reaches the real total, every request answered, the badge Live), the header on one row at
 * 1366×768 with a session, 4-digit counts and a file being checked, a standing linking alarm that
 * leaves the verdict's sentence on screen at 1024×768 and can be dismissed, and the History
 * detail's file name in one piece. Screenshots: test/artifacts/screenshots/rig-*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGoodTiff } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';
import { chromiumPath, hasChromium, launchChromium, screenshots, startServe, stopServe, type ServeProcess } from './serve-in-chromium.js';

const flood = 200;

describe.skipIf(!hasChromium)(hasChromium ? 'the rig screen under load and at 1024 and 1366 px in Chromium' : `the rig screen in Chromium — SKIPPED: ${chromiumPath} is missing`, () => {
  let home = '';
  let serve: ServeProcess | null = null;
  let browser: Browser | null = null;
  let call: (command: string, args: object) => Promise<{ result?: unknown; error?: { message: string } }>;
  const total = async () => ((await call('status', {})).result as { captures: { total: number } }).captures.total;

  beforeAll(async () => {
    home = makeHome({
      station: { id: 'copy-stand-rig' },
      ingest: { stableWindowMs: 300, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 },
      server: { port: 0 },
      linking: { enabled: true, imageBarcodes: false, idleTimeoutSec: 0, views: ['front', 'back'], expectedShots: 2 },
    });
    serve = await startServe(home, 60_000);
    const url = new URL(serve.openUrl);
    call = async (command, args) => {
      const res = await fetch(new URL(`/api/${command}`, url), { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${url.searchParams.get('token')}` }, body: JSON.stringify(args) });
      return (await res.json()) as { result?: unknown; error?: { message: string } };
    };
    expect((await call('startSession', { operator: 'Ana Lima', project: 'Insects' })).error).toBeUndefined();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopServe(serve);
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  async function open(size: { width: number; height: number }): Promise<Page> {
    const context = await browser!.newContext({ viewport: size });
    const page = await context.newPage();
    await page.goto(serve!.openUrl);
    await page.getByRole('status', { name: 'Connection: Live' }).waitFor();
    return page;
  }

  it(`keeps up with ${flood} captures moved into the hot folder at once: the header reaches the real count, no request fails, the badge stays Live`, async () => {
    const p = await open({ width: 1366, height: 768 });
    try {
      const failed: string[] = [];
      // API requests in flight (Chromium gives a host 6 connections), and how many of each were made.
      let inFlight = 0;
      let maxInFlight = 0;
      const made = new Map<string, number>();
      const api = (url: string) => /\/api\/(\w+)/.exec(url)?.[1] ?? null;
      p.on('request', (r) => {
        const command = api(r.url());
        if (!command) return;
        made.set(command, (made.get(command) ?? 0) + 1);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
      });
      p.on('requestfinished', (r) => {
        if (api(r.url())) inFlight--;
      });
      p.on('requestfailed', (r) => {
        if (api(r.url())) inFlight--;
        // A preview withdrawn because a newer capture replaced it is aborted on purpose.
        if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? '')) failed.push(`${r.url()}: ${r.failure()?.errorText}`);
      });
      const before = await total();
      const staging = path.join(home, 'staging');
      fs.mkdirSync(staging);
      for (let i = 0; i < flood; i++) {
        await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: i % 256, g: (i * 7) % 256, b: (i * 13) % 256 } } })
          .jpeg()
          .toFile(path.join(staging, `FLOOD_${String(i).padStart(4, '0')}.jpg`));
      }
      const inbox = path.join(home, 'Inbox');
      fs.mkdirSync(inbox, { recursive: true });
      for (const f of fs.readdirSync(staging)) fs.renameSync(path.join(staging, f), path.join(inbox, f));
      await waitFor(async () => (await total()) === before + flood, 'every flooded file recorded', 300_000);
      const shown = async () =>
        p.evaluate(() => [...document.querySelectorAll('.header__counts [data-verdict]')].reduce((sum, el) => sum + Number((el.textContent ?? '').replace(/\D/g, '')), 0));
      await expect.poll(shown, { timeout: 30_000 }).toBe(before + flood);
      // The newest recorded (two are checked at once, so not always the last name).
      const newest = ((await call('listCaptures', { limit: 1 })).result as { relPath: string }[])[0]!.relPath;
      await expect.poll(() => p.locator('.capture__name').textContent(), { timeout: 30_000 }).toBe(newest);
      expect(await p.locator('.notice').allTextContents()).toEqual([]);
      expect(await p.getByRole('status', { name: 'Connection: Live' }).count()).toBe(1);
      expect(failed).toEqual([]);
      // Not a status and a capture request per capture: at most one of each in flight, whatever the burst.
      expect(maxInFlight, `API requests in flight at most (made: ${JSON.stringify(Object.fromEntries(made))})`).toBeLessThanOrEqual(4);
      expect(made.get('status') ?? 0).toBeLessThan(flood / 2);
    } finally {
      await p.context().close();
    }
  }, 400_000);

  it('fits the header on one row at 1366×768 with a session, 4-digit counts and a file being checked, the activity readable', async () => {
    const p = await open({ width: 1366, height: 768 });
    try {
      // The counts as after a long day; the activity as while a file is checked.
      await p.route('**/api/status', async (route) => {
        const res = await route.fetch();
        const body = (await res.json()) as { result: { captures: Record<string, number> } };
        body.result.captures = { pass: 8888, warn: 8888, fail: 8888, total: 26664 };
        await route.fulfill({ response: res, json: body });
      });
      await p.reload();
      await p.locator('.header__counts', { hasText: '8888' }).waitFor();
      await p.getByTestId('session').waitFor();
      await p.evaluate(() => {
        const activity = document.querySelector('.header__activity')!;
        activity.innerHTML = '<span class="header__checking">Checking shots/IMG_0042.CR3 and 3 more…</span>';
      });
      await p.screenshot({ path: path.join(screenshots, 'rig-header-1366.png') });
      const layout = await p.evaluate(() => {
        const items = [...document.querySelectorAll('.header > *')].map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0);
        const checking = document.querySelector('.header__checking')!.getBoundingClientRect();
        return { oneRow: items.every((r) => r.top < items[0]!.bottom), checkingWidth: checking.width, activityWidth: document.querySelector('.header__activity')!.getBoundingClientRect().width };
      });
      expect(layout.oneRow, 'the header on one row').toBe(true);
      // At least "Checking IMG…" is read, not one glyph.
      expect(layout.activityWidth).toBeGreaterThan(120);
    } finally {
      await p.context().close();
    }
  }, 60_000);

  it('leaves the failing check\'s sentence on screen at 1024×768 under a standing alarm, which is one line and can be dismissed', async () => {
    const p = await open({ width: 1024, height: 768 });
    try {
      // An object shot front only, closed by the next one: "incomplete" alarm. Then a file no decoder takes.
      expect((await call('scanBarcode', { code: 'NHM-700001' })).error).toBeUndefined();
      const inbox = path.join(home, 'Inbox');
      const before = await total();
      await writeGoodTiff(path.join(inbox, 'IMG_1001.tif'), 11);
      await waitFor(async () => (await total()) === before + 1, 'the front shot checked', 60_000);
      expect((await call('scanBarcode', { code: 'NHM-700002' })).error).toBeUndefined();
      await p.locator('.scanbar__alarm').waitFor();
      fs.writeFileSync(path.join(inbox, 'IMG_1002.tif'), 'this is not a TIFF at all');
      await p.locator('.verdict[data-verdict="fail"] .problem__message').first().waitFor({ timeout: 60_000 });
      // The standing alarm becomes the failed shot's (it replaces the incomplete object's). The linking
      // session raises it once the capture is recorded, so it may come a moment after the verdict.
      await expect
        .poll(() => p.locator('.scanbar__alarm').getAttribute('title'), { timeout: 30_000 })
        .toMatch(/^IMG_1002\.tif failed QC: it is not linked to object NHM-700002 and is flagged for re-shoot/);
      await p.screenshot({ path: path.join(screenshots, 'rig-alarm-1024.png') });
      const alarm = await p.locator('.scanbar__alarm').boundingBox();
      const lineHeight = await p.locator('.scanbar__alarm').evaluate((el) => parseFloat(getComputedStyle(el).lineHeight) || 24);
      expect(alarm!.height, 'the alarm on one line').toBeLessThan(lineHeight * 2 + 24);
      // Its whole sentence is the line's title.
      expect(await p.locator('.scanbar__alarm').getAttribute('title')).toBe(await p.locator('.scanbar__alarm-text').textContent());
      const sentence = await p.locator('.verdict .problem__message').first().boundingBox();
      expect(sentence!.y, "the failing check's sentence: its first line on screen").toBeLessThan(768 - 16);

      await p.getByRole('button', { name: 'Dismiss the alarm' }).click();
      expect(await p.locator('.scanbar__alarm').count()).toBe(0);
      await p.screenshot({ path: path.join(screenshots, 'rig-alarm-dismissed-1024.png') });
    } finally {
      await p.context().close();
    }
  }, 120_000);

  it('shows a History detail\'s file name in one piece, ellipsized with the whole name in its title, at 1366×768', async () => {
    // At 1366 px the detail is a column beside the list: where a long name was broken mid-word.
    const p = await open({ width: 1366, height: 768 });
    try {
      const inbox = path.join(home, 'Inbox');
      const name = 'IMG_0003_specimen_sheet_front_with_colour_chart.jpg';
      const before = await total();
      await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 1, g: 2, b: 3 } } }).jpeg().toFile(path.join(inbox, name));
      await waitFor(async () => (await total()) === before + 1, 'the long-named capture checked', 60_000);
      await p.keyboard.press('F3');
      await p.locator('.vlist__row').first().click();
      const title = p.locator('.detail__name');
      await expect.poll(() => title.textContent(), { timeout: 30_000 }).toBe(name);
      await title.scrollIntoViewIfNeeded();
      await p.screenshot({ path: path.join(screenshots, 'rig-history-detail-1366.png') });
      const box = await title.evaluate((el) => ({ height: el.getBoundingClientRect().height, lineHeight: parseFloat(getComputedStyle(el).lineHeight), title: el.getAttribute('title'), whiteSpace: getComputedStyle(el).whiteSpace }));
      expect(box.height, 'one line').toBeLessThan(box.lineHeight * 1.5);
      expect(box.whiteSpace).toBe('nowrap');
      expect(box.title).toBe(name);
    } finally {
      await p.context().close();
    }
  }, 120_000);
});
