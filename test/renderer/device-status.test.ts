/** Scanner and camera (hot folder) status as the header shows it: an icon and a word for every state, and what to do. */
import fs from 'node:fs';
import path from 'node:path';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { ago, deviceLooks, diskWarnings, keyboardScannerLook, scannerLook, sourceLook, type ScannerStatus, type SourceInfo } from '../../renderer/app/device-status.js';
import { DeviceList } from '../../renderer/components/DeviceStatus.js';
import { loadConfig } from '../../src/config/load.js';
import { Station } from '../../src/station/station.js';
import { writeGoodTiff } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const scanner = (state: ScannerStatus['state'], fix: string | null = null): ScannerStatus => ({
  deviceId: '0c2e:0b81@1-1.2',
  vendorId: 0x0c2e,
  productId: 0x0b81,
  name: 'Honeywell 1950g',
  state,
  mode: state === 'connected' ? 'keyboard' : null,
  message: `Honeywell 1950g is ${state}.`,
  fix,
});

describe('device status', () => {
  it('words every scanner state with its own icon and word, and says what to do when access is denied', () => {
    const looks = (['connected', 'permission-denied', 'error', 'disconnected'] as const).map((s) => scannerLook(scanner(s)));
    expect(new Set(looks.map((l) => l.word)).size).toBe(4);
    expect(looks.map((l) => l.tone)).toEqual(['ok', 'bad', 'bad', 'warn']);
    const denied = scanner('permission-denied', 'Install the udev rule: /etc/udev/rules.d/70-capture-station.rules, then replug the scanner.');
    const html = renderToStaticMarkup(createElement(DeviceList, { devices: [scannerLook(denied)] }));
    expect(html).toMatch(/data-tone="bad".*✕<\/span> No permission/s);
    expect(html).toMatch(/role="alert".*Honeywell 1950g: No permission\..*Install the udev rule/s);
  });

  it('says how long ago the last file arrived in each hot folder, or that it is unreachable', () => {
    expect([ago(4_400), ago(150_000), ago(3 * 3600_000), ago(86_400_000), ago(3 * 86_400_000)]).toEqual(['4 s ago', '2 min ago', '3 h ago', '1 day ago', '3 days ago']);
    const now = Date.parse('2026-11-25T12:00:30Z');
    const camera: SourceInfo = { id: 'stand', path: '/data/in', kind: 'camera', profile: 'default', views: [], expectedShots: 0, status: { sourceId: 'stand', state: 'watching' }, lastFileAt: '2026-11-25T12:00:18Z' };
    expect(sourceLook(camera, now)).toMatchObject({ name: 'stand (camera)', icon: '●', word: 'Folder OK', detail: 'last file 12 s ago', fix: null });
    expect(sourceLook({ ...camera, lastFileAt: null }, now).detail).toBe('no file yet');
    const gone = sourceLook({ ...camera, status: { sourceId: 'stand', state: 'unavailable', message: 'The folder /data/in does not exist.' } }, now);
    expect(gone).toMatchObject({ icon: '✕', word: 'Folder unreachable', tone: 'bad' });
    expect(gone.fix).toContain('/data/in');
    const failing = sourceLook({ ...camera, status: { sourceId: 'stand', state: 'failing', message: 'The database /data/station.db is full — free space on that disk.' } }, now);
    expect(failing).toMatchObject({ icon: '✕', word: 'Cannot record', tone: 'bad', detail: 'last file 12 s ago', fix: 'The database /data/station.db is full — free space on that disk.' });
  });

  it('lists a keyboard scanner where this page takes scans: when it last scanned, idle when the rig scans another way, or that it has not yet', () => {
    const now = Date.parse('2026-11-25T12:00:30Z');
    const none = { usbConnected: false, stationLastScanMs: null };
    expect(keyboardScannerLook(null, now, none)).toMatchObject({ name: 'Scanner (keyboard)', icon: '○', word: 'Waiting', tone: 'warn', detail: 'no scan yet', fix: null });
    expect(keyboardScannerLook(now - 12_000, now, none)).toMatchObject({ name: 'Scanner (keyboard)', icon: '●', word: 'Working', tone: 'ok', detail: 'last scan 12 s ago' });
    // A rig that reads its scanner over USB, or takes scans by `capture-station scan` or stdin: no warning for a keyboard scanner it may not have.
    expect(keyboardScannerLook(null, now, { usbConnected: true, stationLastScanMs: null })).toMatchObject({ icon: '–', word: 'Idle', tone: 'idle', detail: 'scans come by USB', fix: null });
    expect(keyboardScannerLook(null, now, { usbConnected: false, stationLastScanMs: now - 3 * 60_000 })).toMatchObject({ icon: '–', word: 'Idle', tone: 'idle', detail: "station's last scan 3 min ago", fix: null });
    // Its own burst says more than any other input.
    expect(keyboardScannerLook(now - 12_000, now, { usbConnected: true, stationLastScanMs: now - 1000 })).toMatchObject({ word: 'Working', tone: 'ok', detail: 'last scan 12 s ago' });

    const status = { sources: [], usbScanners: [scanner('connected')], linking: { lastScanAt: null } };
    // Next to the USB scanners; not on a monitor's screen, which takes no scans.
    expect(deviceLooks(status, now, { lastScanMs: now - 4 * 60_000 }).map((l) => l.name)).toEqual(['Honeywell 1950g', 'Scanner (keyboard)']);
    expect(deviceLooks(status, now).map((l) => l.name)).toEqual(['Honeywell 1950g']);
    // From the status: a connected USB scanner (a detached or unreadable one is none), or the station's last scan from any input.
    const keyboardLine = (s: Parameters<typeof deviceLooks>[0]) => deviceLooks(s, now, { lastScanMs: null }).at(-1);
    expect(keyboardLine(status)).toMatchObject({ word: 'Idle', detail: 'scans come by USB' });
    expect(keyboardLine({ ...status, usbScanners: [scanner('disconnected'), scanner('permission-denied')] })).toMatchObject({ word: 'Waiting', tone: 'warn' });
    expect(keyboardLine({ sources: [], usbScanners: [], linking: { lastScanAt: '2026-11-25T12:00:00Z' } })).toMatchObject({ word: 'Idle', detail: "station's last scan 30 s ago" });

    const row = (look: ReturnType<typeof keyboardScannerLook>) => renderToStaticMarkup(createElement(DeviceList, { devices: [look] }));
    expect(row(keyboardScannerLook(now - 4 * 60_000, now, none))).toMatch(/data-tone="ok"><span class="devices__name">Scanner \(keyboard\)<\/span> <span class="devices__state"><span aria-hidden="true">●<\/span> Working<\/span><span class="devices__detail"> · last scan 4 min ago<\/span>/);
    expect(row(keyboardScannerLook(null, now, { usbConnected: true, stationLastScanMs: null }))).toMatch(/data-tone="idle"><span class="devices__name">Scanner \(keyboard\)<\/span> <span class="devices__state"><span aria-hidden="true">–<\/span> Idle<\/span><span class="devices__detail"> · scans come by USB<\/span>/);
    expect(row(keyboardScannerLook(null, now, none))).toMatch(/data-tone="warn">.*○<\/span> Waiting<\/span><span class="devices__detail"> · no scan yet<\/span>/);
  });

  it('says in the status when the station last took a scan, from any input, a refused one too', async () => {
    const home = makeHome({ ingest: { rescanIntervalSec: 0 }, linking: { enabled: true, imageBarcodes: false, barcode: { pattern: '[A-Z]' } } });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const station = new Station(loadConfig({ home }));
    cleanup.push(() => station.stop());
    await station.start();
    expect(station.status().linking.lastScanAt).toBeNull();
    const before = Date.now();
    expect(() => station.linker.scan('123')).toThrow(/refused/);
    const refused = station.status().linking.lastScanAt;
    expect(Date.parse(refused!)).toBeGreaterThanOrEqual(before);
    station.linker.scan('A');
    expect(Date.parse(station.status().linking.lastScanAt!)).toBeGreaterThanOrEqual(Date.parse(refused!));
  });

  it("takes each source's reachability and last file from the running station's status", async () => {
    const home = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0, truncatedRetries: 0, truncatedRetryDelayMs: 100, concurrency: 1 } });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const station = new Station(loadConfig({ home }));
    cleanup.push(() => station.stop());
    await station.start();
    expect(station.status().sources[0]).toMatchObject({ id: 'inbox', status: { state: 'watching' }, lastFileAt: null });
    await writeGoodTiff(`${home}/Inbox/a.tif`);
    await waitFor(() => station.status().captures.total === 1, 'the capture to be recorded');
    const status = station.status();
    const [look] = deviceLooks(status, Date.now());
    expect(look?.word).toBe('Folder OK');
    expect(look?.detail).toMatch(/^last file \d+ s ago$/);
    // After a restart the last file is remembered from the database.
    const recorded = station.store.list({ limit: 1 })[0]?.detectedAt;
    expect(recorded).toBeTruthy();
    await station.stop();
    cleanup.pop();
    const again = new Station(loadConfig({ home }));
    cleanup.push(() => again.stop());
    expect(again.status().sources[0]?.lastFileAt).toBe(recorded);
  });

  it('shows a disk only once it runs low: one item in the devices line naming its folders, with what to do under it', async () => {
    const disk = (level: 'ok' | 'warn' | 'critical', advice: string | null, path = '/data/Inbox') => ({
      path,
      folders: [{ role: 'hot folder' as const, id: 'inbox', path }, { role: 'library' as const, path: '/data/Library' }],
      names: 'hot folder "inbox" and the library',
      freeBytes: 1.5 * 1024 ** 3,
      level,
      advice,
      message: advice && `Only 1.5 GB free on the disk of hot folder "inbox" and the library — ${advice}.`,
    });
    expect(diskWarnings([disk('ok', null)])).toEqual([]);
    const [critical] = diskWarnings([disk('critical', 'free space there, or let retention remove uploaded files (set retention.deleteLocal: true)')]);
    expect(critical).toEqual({
      key: 'disk:/data/Inbox',
      icon: '✕',
      word: 'Disk almost full',
      tone: 'bad',
      summary: '1.5 GB free on the disk of hot folder "inbox" and the library',
      advice: 'Free space there, or let retention remove uploaded files (set retention.deleteLocal: true).',
      folders: ['/data/Inbox', '/data/Library'],
    });
    expect(diskWarnings([disk('warn', 'a'), disk('ok', null, '/other')]).map((d) => [d.icon, d.word, d.tone])).toEqual([['▲', 'Disk low on space', 'warn']]);
    const html = renderToStaticMarkup(createElement(DeviceList, { devices: [sourceLook({ id: 'inbox', path: '/data/Inbox', kind: 'camera', profile: 'default', views: [], expectedShots: 0, status: { sourceId: 'inbox', state: 'watching' }, lastFileAt: null }, 0)], disks: [critical!] }));
    // In the devices line (one list), said once: the free space in the summary, what to do under it.
    expect(html.match(/<ul/g)).toHaveLength(1);
    expect(html.match(/role="alert"/g)).toHaveLength(1);
    expect(html.match(/1\.5 GB free/g)).toHaveLength(1);
    expect(html).toMatch(/<summary[^>]*>.*Disk almost full:.*1\.5 GB free on the disk of hot folder &quot;inbox&quot; and the library<\/summary><p class="devices__disk-advice">Free space there, or let retention remove uploaded files/s);

    // A nearly full disk (or a small share) says what is left in a unit it has at least one of, never "0.0 GB".
    for (const [freeBytes, said] of [[0, '0 B'], [900, '900 B'], [20 * 1024, '20.0 KB'], [300 * 1024 ** 2, '300 MB'], [2 * 1024 ** 4, '2.0 TB']] as const) {
      const [tiny] = diskWarnings([{ ...disk('critical', 'free space there'), freeBytes }]);
      expect(renderToStaticMarkup(createElement(DeviceList, { devices: [], disks: [tiny!] }))).toMatch(new RegExp(`Disk almost full:</span> ${said} free on the disk of hot folder &quot;inbox&quot; and the library</summary>`));
    }

    // No disk here has a petabyte free: the one disk of the home's folders is "low", once.
    const home = makeHome({ ingest: { rescanIntervalSec: 0 }, retention: { warnFreeGB: 1_000_000, criticalFreeGB: 0 } });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    fs.mkdirSync(path.join(home, 'Library'));
    const station = new Station(loadConfig({ home }));
    cleanup.push(() => station.stop());
    await station.start();
    await waitFor(() => station.status().disks.length > 0, 'the first free-disk check');
    const warnings = diskWarnings(station.status().disks);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ word: 'Disk low on space', tone: 'warn', summary: expect.stringMatching(/ GB free on the disk of hot folder "inbox", the library and the database$/) });
    expect(deviceLooks(station.status(), Date.now()).some((l) => /disk/i.test(l.name))).toBe(false);
  });
});
