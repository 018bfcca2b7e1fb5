/**
 * End to end, the views beyond the capture view: `capture-station serve` on a temp home whose
 * database is seeded with 100,000 earlier captures over the last 7 days, barcode linking on, and
 * three upload targets (one reachable, one that kills its jobs, one offline). Driven in Debian's
 * Chromium by keyboard (the settings last: saving them rewrites the station's config file); a
 * screenshot of each view goes to test/artifacts/screenshots. The capture view shows a real
 * photograph's preview with its histogram and clipping overlay, and a live failure sounds its tone
 * (counted by a WebAudio stand-in). With CS_README_SCREENSHOTS=1 the capture view's (with a preview,
 * and with a failure), the dashboard's and the settings' (with a field error) are also copied to
 * test/screenshots, the README's pictures (not on every run, so a run leaves the tracked files alone).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/store/open.js';
import { writeGoodTiff } from '../helpers/images.js';
import { corpus, makeHome } from '../helpers/station-home.js';
import { chromiumPath, hasChromium, launchChromium, root, scannerBurst, screenshots, startServe, stopServe, type ServeProcess } from './serve-in-chromium.js';

const readmeShots = path.join(root, 'test/screenshots');
const seeded = 100_000;
const updateReadme = process.env['CS_README_SCREENSHOTS'] === '1';

/** 100,000 captures over the last 7 days' working hours (before now), with a few checks each and the shift (an operator's session) it was shot in, straight into the database. */
function seed(home: string): void {
  const config = loadConfig({ home });
  fs.mkdirSync(path.dirname(config.locations.database), { recursive: true });
  const store = openStore(config.locations.database);
  try {
    store.captures.syncSources(config.sources);
    const now = Date.now();
    const insert = store.db.prepare(
      `INSERT INTO captures (source_id, rel_path, path, version, size, mtime_us, sha256, verdict, format, width, height, bit_depth, failed_checks, detected_at, checked_at, qc_ms, session_id)
       VALUES ('inbox', ?, ?, 1, ?, ?, NULL, ?, 'tiff', 7952, 5304, 16, ?, ?, ?, 900, ?)`,
    );
    // Two shifts a day, each an ended session of one of four operators (none is left open).
    const operators = ['Ben Okafor', 'Chloé Martin', 'Dev Patel', 'Eva Novak'];
    const session = store.db.prepare("INSERT INTO sessions (operator, project, started_at, ended_at) VALUES (?, 'Herbarium 2026', ?, ?)");
    const shifts = new Map<string, number>();
    const sessionOf = (t: number): number => {
      const d = new Date(t);
      const key = `${d.toDateString()} ${d.getHours() < 13 ? 'am' : 'pm'}`;
      let id = shifts.get(key);
      if (id === undefined) {
        const at = d.toISOString();
        id = Number(session.run(operators[shifts.size % operators.length]!, at, at).lastInsertRowid);
        shifts.set(key, id);
      }
      return id;
    };
    const result = store.db.prepare('INSERT INTO qc_results (capture_id, check_id, status, message) VALUES (?, ?, ?, ?)');
    const event = store.db.prepare("INSERT INTO events (at, type, capture_id, source_id, data_json) VALUES (?, 'capture.recorded', ?, 'inbox', ?)");
    // Oldest first, so ids grow with time as they do on a real station.
    const times: number[] = [];
    for (let i = 0; i < seeded; i++) {
      const day = 6 - Math.floor((i * 7) / seeded);
      const d = new Date(now - day * 86_400_000);
      d.setHours(18, 0, 0, 0);
      // Working hours 8–18, and today only up to a minute ago.
      const end = Math.min(d.getTime(), now - 60_000);
      const start = Math.min(end - 3600_000, d.getTime() - 10 * 3600_000);
      const within = ((i * 7) % seeded) / seeded; // 0…1 through the working day
      times.push(start + within * (end - start));
    }
    times.sort((a, b) => a - b);
    store.db.transaction(() => {
      times.forEach((t, i) => {
        const r = (i * 2654435761) % 1000; // a fixed spread of outcomes
        const verdict = r < 40 ? 'fail' : r < 130 ? 'warn' : 'pass';
        const failed = verdict === 'fail' ? (r < 15 ? 'sharpness' : r < 30 ? 'exposure' : 'decodes') : '';
        const at = new Date(t).toISOString();
        const name = `${new Date(t).toISOString().slice(0, 10)}/obj-${String(i).padStart(6, '0')}.tif`;
        const info = insert.run(name, `/seed/${name}`, 90_000_000 + (i % 1000), i, verdict, failed, at, at, sessionOf(t));
        const id = info.lastInsertRowid;
        result.run(id, 'decodes', failed === 'decodes' ? 'fail' : 'pass', failed === 'decodes' ? 'The file is damaged and cannot be decoded: re-shoot.' : 'The file decodes.');
        result.run(id, 'exposure', failed === 'exposure' ? 'fail' : verdict === 'warn' && r % 2 ? 'warn' : 'pass', failed === 'exposure' ? 'Highlights are clipped on 4.1% of the frame.' : 'Exposure is within limits.');
        result.run(id, 'sharpness', failed === 'sharpness' ? 'fail' : verdict === 'warn' && !(r % 2) ? 'warn' : 'pass', 'Sharpness measured.');
        result.run(id, 'bitDepth', 'pass', '16-bit.');
        event.run(at, id, JSON.stringify({ verdict, failedChecks: failed ? [failed] : [] }));
      });
    })();
  } finally {
    store.close();
  }
}

if (!hasChromium) console.warn(`[e2e] SKIPPED: ${chromiumPath} is not installed (apt-get install chromium); the views end-to-end tests did not run.`);

describe.skipIf(!hasChromium)(hasChromium ? 'the station views in Chromium' : `the station views in Chromium — SKIPPED: ${chromiumPath} is missing`, () => {
  let home = '';
  let serve: ServeProcess | null = null;
  let browser: Browser | null = null;
  let page: Page | null = null;
  const problems: string[] = [];

  beforeAll(async () => {
    home = makeHome({
      station: { id: 'copy-stand-e2e' },
      ingest: { stableWindowMs: 300, truncatedRetries: 0, truncatedRetryDelayMs: 100, rescanIntervalSec: 0, concurrency: 2 },
      server: { port: 0 },
      linking: { enabled: true, barcode: { pattern: 'NHM-\\d{6}' }, imageBarcodes: false, idleTimeoutSec: 0 },
      targets: [
        { id: 'nas', kind: 'folder', path: 'nas', mountCheck: false },
        // A file where the station's folder must go: every job dies at once, with the reason.
        { id: 'archive', kind: 'folder', path: 'archive', mountCheck: false, required: false },
        // Not there at all: offline, with the probe's error.
        { id: 'offsite', kind: 'folder', path: 'offsite-not-mounted', mountCheck: false, required: false },
      ],
      upload: { probeIntervalSec: 1, backoff: { baseMs: 100, maxMs: 500 } },
    });
    fs.mkdirSync(path.join(home, 'nas'));
    fs.mkdirSync(path.join(home, 'archive'));
    fs.writeFileSync(path.join(home, 'archive', 'copy-stand-e2e'), 'not a folder');
    seed(home);
    serve = await startServe(home, 60_000);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    // WebAudio stand-in: headless Chromium has no speakers; each fail tone is counted in window.__tones.
    await context.addInitScript(`
      window.__tones = 0;
      const param = { setValueAtTime() {}, exponentialRampToValueAtTime() {} };
      window.AudioContext = class {
        constructor() { this.currentTime = 0; this.destination = {}; }
        resume() { window.__tones++; return Promise.resolve(); }
        createOscillator() { return { type: '', frequency: param, connect: (n) => n, start() {}, stop() {} }; }
        createGain() { return { gain: param, connect: (n) => n }; }
      };
    `);
    page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(serve.openUrl);
    await page.getByRole('status', { name: 'Connection: Live' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await stopServe(serve);
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('starts a session from the keyboard alone: Alt+S, operator, project, Enter; the header shows operator · project', async () => {
    const p = page!;
    const panel = p.locator('.session-start');
    await panel.waitFor();
    await p.keyboard.press('Alt+S');
    expect(await p.evaluate('document.activeElement && document.activeElement.name')).toBe('operator');
    await p.keyboard.type('Ana Lima');
    await p.keyboard.press('Tab');
    // A person's pace: this field is not one for barcodes, so a burst typed into it would be a scan.
    await p.keyboard.type('Herbarium 2026', { delay: 120 });
    await p.keyboard.press('Enter');
    const badge = p.getByTestId('session');
    await badge.waitFor({ timeout: 30_000 });
    expect(await badge.textContent()).toMatch(/Ana Lima · Herbarium 2026.*End session/);
    await expect.poll(() => panel.count(), { timeout: 30_000 }).toBe(0);
    await p.screenshot({ path: path.join(screenshots, 'session-started.png') });

    // End it, and the panel is back with the last operator filled in; start again for the captures that follow.
    await badge.getByRole('button', { name: 'End session' }).click();
    await panel.waitFor({ timeout: 30_000 });
    expect(await p.locator('.session-start input[name="operator"]').inputValue()).toBe('Ana Lima');
    await p.locator('.session-start input[name="project"]').fill('Herbarium 2026');
    await p.locator('.session-start input[name="project"]').press('Enter');
    await badge.waitFor({ timeout: 30_000 });
  });

  it('takes a scan typed without a click, shows the object with its shot count, and a refusal prominently', async () => {
    const p = page!;
    const inbox = path.join(home, 'Inbox');
    // The seeded failures came with the page, not live: no tone for them.
    await expect.poll(() => p.locator('.recent__item[data-verdict="fail"]').count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await p.evaluate('window.__tones')).toBe(0);
    // A capture before any scan: not linked, so it is uploaded at once (and feeds the queue view).
    await writeGoodTiff(path.join(inbox, 'loose-0001.tif'), 1);
    await p.locator('.capture__name', { hasText: 'loose-0001.tif' }).waitFor({ timeout: 30_000 });
    // The camera's sign of life under the header: its hot folder is there, and a file just came.
    await expect.poll(() => p.locator('.devices__item').first().textContent(), { timeout: 30_000 }).toMatch(/^inbox \(camera\) ● Folder OK · last file \d+ (s|min) ago$/);

    // A keyboard scanner cannot be seen before it scans: the devices line says so, then when it last did.
    const keyboardScanner = p.locator('.devices__item', { hasText: 'Scanner (keyboard)' });
    await expect.poll(() => keyboardScanner.textContent(), { timeout: 30_000 }).toBe('Scanner (keyboard) ○ Waiting · no scan yet');

    // Nothing has focus: a scanner's burst (keys 20 ms apart, then Enter) is told from typing by
    // the page's wedge detector and sent by itself, without a click.
    await p.evaluate('document.activeElement && document.activeElement.blur()');
    await scannerBurst(p, 'NHM-000123\n');
    await expect.poll(() => p.getByTestId('object-barcode').textContent(), { timeout: 30_000 }).toBe('NHM-000123');
    expect(await p.getByTestId('object-shots').textContent()).toContain('0 shots');
    expect(await p.locator('#scan-input').inputValue()).toBe('');
    await expect.poll(() => keyboardScanner.textContent(), { timeout: 30_000 }).toMatch(/^Scanner \(keyboard\) ● Working · last scan \d+ s ago$/);

    await writeGoodTiff(path.join(inbox, 'shot-0002.tif'), 2);
    await expect.poll(() => p.getByTestId('object-shots').textContent(), { timeout: 30_000 }).toContain('1 shot');
    await writeGoodTiff(path.join(inbox, 'shot-0003.tif'), 3);
    await expect.poll(() => p.getByTestId('object-shots').textContent(), { timeout: 30_000 }).toContain('2 shots');

    // A code the project's pattern refuses (a misread next label): the reason, large, and the open
    // object is closed, so the next object's shots are not filed under it (linking.onRefusedScan).
    await scannerBurst(p, 'hello-42\n');
    const refusal = p.locator('.scanbar__refusal');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/REFUSED.*hello-42.*pattern.*Object NHM-000123 \(2 shots\) was closed/);
    await expect.poll(() => p.getByTestId('object-barcode').count(), { timeout: 30_000 }).toBe(0);
    await p.screenshot({ path: path.join(screenshots, 'scan-refused.png') });

    // The refused code waits in the focused field; the next label scanned into it replaces it (never "hello-42NHM-000124"), and its outcome replaces the refusal.
    expect(await p.locator('#scan-input').inputValue()).toBe('hello-42');
    expect(await p.evaluate('document.activeElement && document.activeElement.id')).toBe('scan-input');
    await scannerBurst(p, 'NHM-000124\n');
    await expect.poll(() => p.getByTestId('object-barcode').textContent(), { timeout: 30_000 }).toBe('NHM-000124');
    await expect.poll(() => refusal.count(), { timeout: 30_000 }).toBe(0);

    // A real photograph: its preview large, the histogram beside it, the overlay on Alt+O.
    const shownId = async () => Number(await p.locator('.capture').getAttribute('data-capture-id'));
    const before = await shownId();
    fs.copyFileSync(path.join(corpus, 'museum/inselect/drawers/lucanidae.jpg'), path.join(inbox, 'drawer-0004.jpg'));
    await expect.poll(shownId, { timeout: 30_000 }).toBeGreaterThan(before);
    const image = p.locator('.preview__image');
    const loadedWidth = "(() => { const img = document.querySelector('.preview__image'); return img && img.complete ? img.naturalWidth : 0; })()";
    await expect.poll(() => p.evaluate(loadedWidth), { timeout: 30_000 }).toBe(784);
    expect(await image.getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
    await p.locator('.histogram .histogram__luma').waitFor();
    expect(await p.locator('.histogram__caption').textContent()).toMatch(/Black clipped.*White clipped/);
    await p.screenshot({ path: path.join(screenshots, 'view-capture-preview.png'), fullPage: true });
    if (updateReadme) fs.copyFileSync(path.join(screenshots, 'view-capture-preview.png'), path.join(readmeShots, 'capture-view.png'));
    const overlayToggle = p.getByRole('button', { name: /Clipping overlay/ });
    await p.keyboard.press('Alt+O');
    await expect.poll(() => overlayToggle.getAttribute('aria-pressed')).toBe('true');
    await p.locator('.preview__overlay[data-ready="true"]').waitFor();
    expect(await p.getByTestId('overlay-counts').textContent()).toMatch(/at white .+ at black .+/);
    await p.screenshot({ path: path.join(screenshots, 'view-capture-overlay.png'), fullPage: true });
    await p.keyboard.press('Alt+O');
    await expect.poll(() => p.locator('.preview__overlay').count()).toBe(0);
    await p.getByRole('button', { name: 'Light theme' }).click();
    await p.screenshot({ path: path.join(screenshots, 'view-capture-preview-light.png'), fullPage: true });
    await p.getByRole('button', { name: 'Dark theme' }).click();
    await p.evaluate('document.activeElement && document.activeElement.blur()');
    const soundToggle = p.getByRole('button', { name: /Sound on fail/ });
    await p.keyboard.press('Alt+M');
    await expect.poll(() => soundToggle.textContent()).toContain('muted');
    await p.keyboard.press('Alt+M');
    await expect.poll(() => soundToggle.textContent()).toContain('Sound on fail on');
    const tonesBefore = Number(await p.evaluate('window.__tones'));

    fs.copyFileSync(path.join(corpus, 'tiff/pillow/crash-2020-10-test.tif'), path.join(inbox, 'broken-0004.tif'));
    await p.locator('.capture__name', { hasText: 'broken-0004.tif' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => p.locator('.verdict').getAttribute('data-verdict'), { timeout: 30_000 }).toBe('fail');
    // A live failure sounds once; its damaged file has no preview, and says why.
    await expect.poll(() => p.evaluate('window.__tones'), { timeout: 30_000 }).toBe(tonesBefore + 1);
    await expect.poll(() => p.locator('.preview--error').textContent(), { timeout: 30_000 }).toMatch(/No preview.*cannot be decoded/);
    await p.screenshot({ path: path.join(screenshots, 'view-capture.png') });
    if (updateReadme) fs.copyFileSync(path.join(screenshots, 'view-capture.png'), path.join(readmeShots, 'capture-view-fail.png'));

    // A person typing on the page (150 ms a key) is not a scan: the keys land in the scan field,
    // which takes the focus, and only their Enter there sends the entry.
    await p.evaluate('document.activeElement && document.activeElement.blur()');
    await p.keyboard.type('NHM-000125', { delay: 150 });
    await expect.poll(() => p.locator('#scan-input').inputValue(), { timeout: 30_000 }).toBe('NHM-000125');
    expect(await p.evaluate('document.activeElement && document.activeElement.id')).toBe('scan-input');
    expect(await p.getByTestId('object-barcode').textContent()).toBe('NHM-000124');
    await p.keyboard.press('Enter');
    await expect.poll(() => p.getByTestId('object-barcode').textContent(), { timeout: 30_000 }).toBe('NHM-000125');
  }, 120_000);

  it('opens the queue with F2: per target counts, bytes, rate, offline reason, dead jobs and Retry', async () => {
    const p = page!;
    await p.keyboard.press('F2');
    await p.getByRole('heading', { name: 'Upload queue' }).waitFor();
    expect(await p.locator('.nav__item[aria-current="page"]').textContent()).toContain('Queue');
    const nas = p.locator('.target', { has: p.getByRole('heading', { name: 'nas' }) });
    const archive = p.locator('.target', { has: p.getByRole('heading', { name: 'archive' }) });
    const offsite = p.locator('.target', { has: p.getByRole('heading', { name: 'offsite' }) });
    const count = async (target: typeof nas, state: string) => Number(await target.locator(`[data-state="${state}"] dd`).textContent());
    // The loose capture at once; each object's shots once it closed (the next scan closed it): the
    // first object's two, and the second's photograph (its broken file failed QC, so it stays).
    await expect.poll(() => count(nas, 'done'), { timeout: 30_000 }).toBe(4);
    await expect.poll(() => nas.locator('.pill').textContent(), { timeout: 30_000 }).toContain('Online');
    await expect.poll(() => count(archive, 'dead'), { timeout: 30_000 }).toBe(4);
    expect(await archive.locator('.dead__error').first().textContent()).toMatch(/\S{10,}/);
    await expect.poll(() => offsite.locator('.pill').textContent(), { timeout: 30_000 }).toContain('Offline');
    expect(await offsite.locator('.target__probe-error').textContent()).toMatch(/Last probe.*\S{10,}/);
    expect(await count(offsite, 'queued')).toBe(4);
    await p.screenshot({ path: path.join(screenshots, 'view-queue.png'), fullPage: true });

    await archive.getByRole('button', { name: /Retry job \d+/ }).first().click();
    await expect.poll(() => p.locator('.queue__message').textContent(), { timeout: 30_000 }).toBe('Requeued 1 job.');
    // The cause is still there: it dies again, and says so.
    await expect.poll(async () => [await count(archive, 'dead'), await archive.locator('.dead__job').count()], { timeout: 30_000 }).toEqual([4, 4]);
  });

  it('opens the history with F3: 100,000 captures in a windowed list, filtered, with a capture\'s checks and timeline', async () => {
    const p = page!;
    await p.keyboard.press('F3');
    const list = p.getByRole('listbox', { name: 'Captures, newest first' });
    await list.waitFor();
    await expect.poll(() => p.locator('.history .view__note').textContent(), { timeout: 30_000 }).toMatch(/^500\+ captures/);
    // The newest first: what this run recorded is on top.
    expect(await p.locator('.vlist__row').first().textContent()).toMatch(/FAIL.*broken-0004\.tif/);
    const drawn = await p.locator('.vlist__row').count();
    expect(drawn).toBeGreaterThan(5);
    expect(drawn).toBeLessThan(40);

    // Keyboard: into the list, End jumps to the last loaded row, and the next page comes in.
    await list.focus();
    await p.keyboard.press('End');
    await expect.poll(() => p.locator('.history .view__note').textContent(), { timeout: 30_000 }).toMatch(/^1,000\+ captures/);
    expect(await p.locator('.vlist__row').count()).toBeLessThan(40);
    expect(await p.locator('.vlist__row[aria-selected="true"]').count()).toBe(1);

    // Filter on FAIL (select with the keyboard as well as the mouse), pick the newest failure.
    await p.getByRole('combobox', { name: 'Verdict' }).selectOption('fail');
    await expect.poll(async () => (await p.locator('.hrow__verdict').allTextContents()).every((t) => t.includes('FAIL')), { timeout: 30_000 }).toBe(true);
    await p.locator('.vlist__row').first().click();
    const detail = p.locator('.detail');
    await detail.waitFor();
    expect(await detail.locator('.detail__name').textContent()).toBe('broken-0004.tif');
    expect(await detail.locator('.checks__item[data-status="fail"]').first().textContent()).toMatch(/FAIL.*File opens.*\S{10,}/);
    expect((await detail.locator('.timeline__what').allTextContents()).filter((t) => /^Recorded — FAIL: (.+, )?File opens/.test(t))).toHaveLength(1);
    await p.screenshot({ path: path.join(screenshots, 'view-history.png') });

    // Arrow keys walk the list and the detail follows.
    await list.focus();
    await p.keyboard.press('ArrowDown');
    await expect.poll(() => detail.locator('.detail__name').textContent(), { timeout: 30_000 }).not.toBe('broken-0004.tif');
  });

  it('searches the history by barcode and date, and relinks a shot and undoes it from the keyboard', async () => {
    const p = page!;
    await p.getByRole('combobox', { name: 'Verdict' }).selectOption('');
    const names = () => p.locator('.hrow__name').allTextContents();
    const barcode = p.getByRole('searchbox', { name: 'Barcode' });
    await barcode.fill('NHM-000123');
    await barcode.press('Enter');
    await expect.poll(names, { timeout: 30_000 }).toEqual(['shot-0003.tif', 'shot-0002.tif']);
    // A date range: today keeps them, a day long past finds nothing.
    const today = await p.evaluate('(() => { const d = new Date(); return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`; })()');
    await p.locator('input[name="from"]').fill(String(today));
    await p.locator('input[name="to"]').fill(String(today));
    await expect.poll(names, { timeout: 30_000 }).toEqual(['shot-0003.tif', 'shot-0002.tif']);
    await p.locator('input[name="to"]').fill('2020-01-02');
    await p.locator('input[name="from"]').fill('2020-01-01');
    await p.locator('.history .view__empty', { hasText: 'No captures match this filter' }).waitFor({ timeout: 30_000 });
    await p.locator('input[name="from"]').fill('');
    await p.locator('input[name="to"]').fill('');
    // Starts with: both objects of this run (NHM-000124 holds the photograph; the broken file shot
    // while it was open failed QC, so it took no place in it and is linked to nothing).
    await barcode.fill('NHM-00012');
    await p.getByRole('combobox', { name: 'Match' }).selectOption('prefix');
    await expect.poll(names, { timeout: 30_000 }).toEqual(['drawer-0004.jpg', 'shot-0003.tif', 'shot-0002.tif']);
    await barcode.fill('NHM-000123');
    await barcode.press('Enter');
    await p.getByRole('combobox', { name: 'Match' }).selectOption('exact');
    await expect.poll(names, { timeout: 30_000 }).toEqual(['shot-0003.tif', 'shot-0002.tif']);

    // The newest shot was of another object: relink it by keyboard, and the search follows.
    const list = p.getByRole('listbox', { name: 'Captures, newest first' });
    await list.focus();
    await p.keyboard.press('Home');
    const detail = p.locator('.detail');
    await expect.poll(() => detail.locator('.detail__name').textContent(), { timeout: 30_000 }).toBe('shot-0003.tif');
    expect(await p.getByTestId('detail-object').textContent()).toBe('NHM-000123 · shot 2');
    expect(await p.getByTestId('detail-operator').textContent()).toBe('Ana Lima · Herbarium 2026');
    const relink = p.getByRole('textbox', { name: 'Relink this shot to barcode' });
    await relink.focus();
    await p.keyboard.type('NHM-000999');
    await p.keyboard.press('Enter');
    const message = p.locator('.link-actions__message');
    await expect.poll(() => message.textContent(), { timeout: 30_000 }).toMatch(/Relinked 1 capture to NHM-000999 \(edit \d+\)/);
    await expect.poll(names, { timeout: 30_000 }).toEqual(['shot-0002.tif']);
    await p.screenshot({ path: path.join(screenshots, 'view-history-relinked.png') });
    await barcode.fill('NHM-000999');
    await barcode.press('Enter');
    await expect.poll(names, { timeout: 30_000 }).toEqual(['shot-0003.tif']);
    await p.locator('.vlist__row').first().click();
    await expect.poll(() => p.getByTestId('detail-object').textContent(), { timeout: 30_000 }).toBe('NHM-000999 · shot 1');

    // A refusal is shown as the station's words; Undo puts the shot back.
    await relink.fill('%%END%%');
    await relink.press('Enter');
    await expect.poll(() => message.getAttribute('data-ok'), { timeout: 30_000 }).toBe('false');
    expect(await message.getAttribute('role')).toBe('alert');
    const undo = p.getByRole('button', { name: 'Undo: relink shot-0003.tif: NHM-000123 → NHM-000999' });
    await undo.press('Enter');
    await expect.poll(() => message.textContent(), { timeout: 30_000 }).toContain('Undid "relink shot-0003.tif: NHM-000123 → NHM-000999": shot-0003.tif is shot 2 of NHM-000123.');
    await expect.poll(() => p.getByTestId('detail-object').textContent(), { timeout: 30_000 }).toBe('NHM-000123 · shot 2');
    await barcode.fill('');
    await barcode.press('Enter');
  });

  it('opens the dashboard with F4: per hour today, per day over 7 days, and by check, as SVG charts', async () => {
    const p = page!;
    await p.keyboard.press('F4');
    await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const charts = p.locator('.chart__svg');
    // Per hour, per day, and per operator today and over 7 days.
    await expect.poll(() => charts.count(), { timeout: 30_000 }).toBe(4);
    expect(await p.locator('.chart', { hasText: 'Per operator, last 7 days' }).locator('.chart__svg').getAttribute('aria-label')).toMatch(/Chloé Martin \d+ pass.*; Ana Lima 3 pass, 1 warn, 1 fail$/);
    // Seven day bars, each with its total; the 7-day total is everything seeded plus this run's.
    // (the bar's own number is compact, 14k; its tooltip has the exact count)
    const dayTotals = (await p.locator('.chart').nth(1).locator('.chart__bar title').allTextContents()).map((t) => Number(/: (\d+) \(/.exec(t)?.[1] ?? 0)).filter((n) => n > 0);
    expect(dayTotals.length).toBeGreaterThanOrEqual(6);
    expect(dayTotals.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(seeded);
    expect(await p.locator('.chart').first().locator('.chart__seg').count()).toBeGreaterThan(0);
    expect(await p.locator('.checkbars tbody tr').count()).toBeGreaterThanOrEqual(4);
    expect(await p.locator('.checkbars').textContent()).toMatch(/File opens/);
    await p.screenshot({ path: path.join(screenshots, 'view-dashboard.png'), fullPage: true });
    if (updateReadme) fs.copyFileSync(path.join(screenshots, 'view-dashboard.png'), path.join(readmeShots, 'dashboard.png'));

    await p.getByRole('button', { name: 'Light theme' }).click();
    await p.screenshot({ path: path.join(screenshots, 'view-dashboard-light.png'), fullPage: true });
    await p.getByRole('button', { name: 'Dark theme' }).click();

    // Alt+1 goes back to the capture view, as it was.
    await p.keyboard.press('Alt+1');
    await p.locator('.capture__name', { hasText: 'broken-0004.tif' }).waitFor();
    expect(problems, 'no errors in the browser console (CSP violations included)').toEqual([]);
  });

  it('opens the settings with F8: edits checked by the station, the error at its field, Save only when valid, and the file written', async () => {
    const p = page!;
    const file = path.join(home, 'station.json');
    await p.keyboard.press('F8');
    await p.getByRole('heading', { name: 'Settings' }).waitFor();
    const template = p.locator('#setting-linking-template');
    await template.waitFor();
    expect(await p.locator('#setting-sources-0-id').inputValue()).toBe('inbox');
    expect(await p.locator('#setting-targets-0-path').inputValue()).toBe('nas');
    const save = p.getByRole('button', { name: 'Save', exact: true });
    expect(await save.isDisabled()).toBe(true);

    await template.fill('{date}/{nonsense}{ext}');
    const error = p.locator('#setting-linking-template-error');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.textContent()).toMatch(/Fix:.*nonsense/);
    expect(await template.getAttribute('aria-invalid')).toBe('true');
    expect(await save.isDisabled()).toBe(true);
    await error.scrollIntoViewIfNeeded();
    await p.screenshot({ path: path.join(screenshots, 'view-settings-error.png') });
    if (updateReadme) fs.copyFileSync(path.join(screenshots, 'view-settings-error.png'), path.join(readmeShots, 'settings.png'));

    // Typed key by key into the field: the page's wedge leaves a focused text field alone.
    await template.fill('');
    await template.pressSequentially('{project}/{barcode}_{seq:03}{ext}');
    await expect.poll(() => error.count(), { timeout: 30_000 }).toBe(0);
    await p.locator('#setting-profiles-default-exposure-failClippedPct').fill('3');
    await expect.poll(() => save.isDisabled(), { timeout: 30_000 }).toBe(false);
    await p.screenshot({ path: path.join(screenshots, 'view-settings.png'), fullPage: true });
    await save.click();
    await expect.poll(() => p.locator('.settings__saved').textContent(), { timeout: 30_000 }).toMatch(/Saved to .*station\.json.*Restart the station to apply it/);
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as { linking: { template: string; enabled: boolean }; profiles: { default: unknown } };
    expect(written.linking.template).toBe('{project}/{barcode}_{seq:03}{ext}');
    expect(written.linking.enabled).toBe(true);
    expect(written.profiles.default).toEqual({ exposure: { failClippedPct: 3 } });
    expect(JSON.parse(fs.readFileSync(`${file}.bak`, 'utf8')).linking.template).toBeUndefined();
    expect(problems, 'no errors in the browser console').toEqual([]);
  });
});
