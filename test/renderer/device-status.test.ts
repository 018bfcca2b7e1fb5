/** Scanner and camera (hot folder) status as the header shows it: an icon and a word for every state, and what to do. */
import fs from 'node:fs';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { ago, deviceLooks, diskWarning, scannerLook, sourceLook, type ScannerStatus, type SourceInfo } from '../../renderer/app/device-status.js';
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
    const camera: SourceInfo = { id: 'stand', path: '/data/in', kind: 'camera', profile: 'default', status: { sourceId: 'stand', state: 'watching' }, lastFileAt: '2026-11-25T12:00:18Z' };
    expect(sourceLook(camera, now)).toMatchObject({ name: 'stand (camera)', icon: '●', word: 'Folder OK', detail: 'last file 12 s ago', fix: null });
    expect(sourceLook({ ...camera, lastFileAt: null }, now).detail).toBe('no file yet');
    const gone = sourceLook({ ...camera, status: { sourceId: 'stand', state: 'unavailable', message: 'The folder /data/in does not exist.' } }, now);
    expect(gone).toMatchObject({ icon: '✕', word: 'Folder unreachable', tone: 'bad' });
    expect(gone.fix).toContain('/data/in');
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

  it('shows the disks only once one runs low: one compact banner, in words and icon, with the station\'s own sentence', async () => {
    const disk = (level: 'ok' | 'warn' | 'critical', message: string | null) => ({ path: '/data/Inbox', folders: [{ role: 'hot folder' as const, id: 'inbox', path: '/data/Inbox' }, { role: 'library' as const, path: '/data/Library' }], freeBytes: 1.5 * 1024 ** 3, level, message });
    expect(diskWarning([disk('ok', null)])).toBeNull();
    const critical = diskWarning([disk('critical', 'Only 1.5 GB free on the disk of hot folder "inbox" and the library.')]);
    expect(critical).toMatchObject({ icon: '✕', word: 'Disk almost full', tone: 'bad', messages: ['Only 1.5 GB free on the disk of hot folder "inbox" and the library.'], folders: ['/data/Inbox', '/data/Library'] });
    expect(diskWarning([disk('warn', 'a.'), disk('critical', 'b.')])).toMatchObject({ icon: '✕', word: '2 disks almost full', messages: ['a.', 'b.'] });
    expect(diskWarning([disk('warn', 'a.'), disk('ok', null)])).toMatchObject({ icon: '▲', word: 'Disk low on space', tone: 'warn', messages: ['a.'] });
    const html = renderToStaticMarkup(createElement(DeviceList, { devices: [], disk: critical }));
    expect(html.match(/role="alert"/g)).toHaveLength(1);
    // The free space is said once, in the station's sentence (not also as a detail before it).
    expect(html.match(/1\.5 GB free/g)).toHaveLength(1);
    expect(html).toMatch(/Disk almost full\..*Only 1\.5 GB free on the disk of hot folder &quot;inbox&quot; and the library\./s);

    // No disk here has a petabyte free: the one disk of the home's folders is "low", in one banner.
    const home = makeHome({ ingest: { rescanIntervalSec: 0 }, retention: { warnFreeGB: 1_000_000, criticalFreeGB: 0 } });
    cleanup.push(() => fs.rmSync(home, { recursive: true, force: true }));
    const station = new Station(loadConfig({ home }));
    cleanup.push(() => station.stop());
    await station.start();
    await waitFor(() => station.status().disks.length > 0, 'the first free-disk check');
    const warning = diskWarning(station.status().disks);
    expect(warning).toMatchObject({ word: 'Disk low on space', tone: 'warn' });
    expect(warning!.messages).toHaveLength(1);
    expect(warning!.messages[0]).toMatch(/below 1000000 GB/);
    expect(deviceLooks(station.status(), Date.now()).some((l) => /disk/i.test(l.name))).toBe(false);
  });
});
