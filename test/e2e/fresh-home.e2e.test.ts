/**
 * The "Done when", as written: `capture-station serve` on a fresh temp home (the test writes
 * no config: the station writes its starter one), the UI in Chromium with the token it printed, a
 * barcode scanned as a fast key burst, a real museum image dropped into the hot folder — shown live
 * with its verdict, linked under that barcode, and filed in the library.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpus, filesUnder } from '../helpers/station-home.js';
import { chromiumPath, hasChromium, launchChromium, scannerBurst, screenshots, startServe, stopServe, type ServeProcess } from './serve-in-chromium.js';

if (!hasChromium) console.warn(`[e2e] SKIPPED: ${chromiumPath} is not installed (apt-get install chromium); the fresh-home end-to-end test did not run.`);

describe.skipIf(!hasChromium)(hasChromium ? 'the quick start on a fresh home in Chromium' : `the quick start on a fresh home in Chromium — SKIPPED: ${chromiumPath} is missing`, () => {
  let parent = '';
  let home = '';
  let serve: ServeProcess | null = null;
  let browser: Browser | null = null;

  beforeAll(async () => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-fresh-'));
    // Not even the folder exists, as with the README's `serve --home /tmp/station`. The port is the
    // default one (7410): a fresh home has no config to choose another.
    home = path.join(parent, 'station');
    serve = await startServe(home, 60_000);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await stopServe(serve);
    if (parent) fs.rmSync(parent, { recursive: true, force: true });
  });

  it('links a scanned barcode to the next capture, live in the UI, and files it in the library', async () => {
    const starter = path.join(home, 'station.yaml');
    expect(serve!.stderr()).toContain(`Wrote a starter config to ${starter} (a fresh station): barcode linking is on`);
    expect(serve!.stderr()).toContain(`Config: ${starter} ·`);

    const context = await browser!.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(serve!.openUrl);
    await page.getByRole('status', { name: 'Connection: Live' }).waitFor();
    await page.getByText('Waiting for the first capture').waitFor();

    // A keyboard-wedge scanner's burst, nothing focused, no click.
    await page.evaluate('document.activeElement && document.activeElement.blur()');
    await scannerBurst(page, 'NHM-000124\n');
    await expect.poll(() => page.getByTestId('object-barcode').textContent(), { timeout: 30_000 }).toBe('NHM-000124');
    expect(await page.locator('.scanbar__refusal').count()).toBe(0);

    const original = path.join(corpus, 'museum/inselect/pinned.jpg');
    fs.copyFileSync(original, path.join(home, 'Inbox', 'IMG_0001.jpg'));
    await page.locator('.capture__name', { hasText: 'IMG_0001.jpg' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator('.verdict').getAttribute('data-verdict'), { timeout: 30_000 }).toBe('pass');
    const link = page.getByTestId('capture-link');
    await expect.poll(() => link.getAttribute('data-state'), { timeout: 30_000 }).toBe('filed');
    expect(await link.textContent()).toMatch(/Filed under\s*NHM-000124.*shot 1/);
    await expect.poll(() => page.getByTestId('object-shots').textContent(), { timeout: 30_000 }).toContain('1 shot');
    await page.screenshot({ path: path.join(screenshots, 'fresh-home-filed.png') });

    // Filed by the starter's template, {date}/{barcode}/{barcode}_{seq:03}{ext}, the same bytes; gone from the hot folder.
    const filed = filesUnder(path.join(home, 'Library'));
    expect(filed).toEqual([expect.stringMatching(/^\d{4}-\d{2}-\d{2}\/NHM-000124\/NHM-000124_001\.jpg$/)]);
    expect(fs.readFileSync(path.join(home, 'Library', filed[0]!)).equals(fs.readFileSync(original))).toBe(true);
    expect(await link.getAttribute('title')).toBe(path.join(home, 'Library', filed[0]!));
    expect(filesUnder(path.join(home, 'Inbox'))).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
