/**
 * USB scanners wired into a running station: a scan from a (fake, recorded) USB scanner opens an
 * object through linker.scan, a refused one is a warning with the reason, statuses are station
 * events, and stopping the station gives the scanner back to the OS.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ScannerStatus } from '../../../src/barcode/usb/status.js';
import { loadConfig } from '../../../src/config/load.js';
import type { StationConfigInput } from '../../../src/config/schema.js';
import type { StationEvents } from '../../../src/contract/events.js';
import { addLogSink, type LogRecord } from '../../../src/log/logger.js';
import { Station } from '../../../src/station/station.js';
import { makeHome, waitFor } from '../../helpers/station-home.js';
import { FakeUsbBackend } from './fake-usb-backend.js';
import { bootKeyboardDescriptor, posDescriptor, posReport, usBootNmnh } from './recorded-reports.js';

const running: { station: Station; home: string; stopLog: () => void }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.station.stop();
    r.stopLog();
    fs.rmSync(r.home, { recursive: true, force: true });
  }
});

async function startStation(linking: StationConfigInput['linking'], backend: FakeUsbBackend | (() => Promise<never>)) {
  const home = makeHome({ ingest: { rescanIntervalSec: 0 }, linking });
  const logs: LogRecord[] = [];
  const stopLog = addLogSink((r) => logs.push(r));
  const station = new Station(loadConfig({ home }), { usbBackend: typeof backend === 'function' ? backend : async () => backend });
  const statuses: ScannerStatus[] = [];
  const effects: StationEvents['link.effect'][] = [];
  station.on('scanner.status', (s) => statuses.push(s));
  station.on('link.effect', (e) => effects.push(e));
  await station.start();
  running.push({ station, home, stopLog });
  return { station, statuses, effects, logs };
}

describe('USB scanners in the station', () => {
  it('a keyboard-mode scan opens the object on the only source; stopping gives the keyboard back', async () => {
    const backend = new FakeUsbBackend();
    const dev = backend.plug({
      info: { id: '0c2e:0b81@1-1.2', vendorId: 0x0c2e, productId: 0x0b81, manufacturer: 'Honeywell', product: 'Voyager 1400g', interfaces: [{ number: 0, class: 3, subclass: 1, protocol: 1, inEndpoint: { number: 1, packetSize: 8 } }] },
      reportDescriptors: { 0: bootKeyboardDescriptor },
    });
    const s = await startStation({ enabled: true, usb: { enabled: true } }, backend);
    expect(s.statuses.map((x) => [x.deviceId, x.state])).toEqual([['0c2e:0b81@1-1.2', 'connected']]);
    expect(s.station.status().usbScanners).toEqual(s.statuses);

    usBootNmnh.forEach((r) => dev.send(r));
    expect(s.station.linker.current()).toEqual({ inbox: { barcode: 'NMNH-00012345', shots: 0 } });
    await waitFor(() => s.effects.some((e) => e.effect.type === 'object.opened'), 'object.opened event');
    expect(s.logs.some((l) => l.level === 'info' && l.message === 'USB scan NMNH-00012345')).toBe(true);

    const r = running.pop()!;
    await r.station.stop();
    r.stopLog();
    fs.rmSync(r.home, { recursive: true, force: true });
    expect(dev.log.slice(-3)).toEqual(['stop 0', 'release 0 reattach', 'close']);
  });

  it('a scan the project rules refuse is a warning with the reason, and no object opens', async () => {
    const backend = new FakeUsbBackend();
    const dev = backend.plug({
      info: { id: '1eab:1310@3-2', vendorId: 0x1eab, productId: 0x1310, manufacturer: null, product: null, interfaces: [{ number: 0, class: 3, subclass: 0, protocol: 0, inEndpoint: { number: 1, packetSize: 64 } }] },
      reportDescriptors: { 0: posDescriptor },
    });
    const s = await startStation({ enabled: true, barcode: { pattern: 'NMNH-\\d{8}' }, usb: { enabled: true } }, backend);
    dev.send(posReport('NMNH-12', ']C0', false));
    expect(s.station.linker.current()).toEqual({ inbox: null });
    const warning = s.logs.find((l) => l.level === 'warn' && l.fields?.['device'] === dev.id);
    expect(warning?.message).toMatch(/Barcode "NMNH-12" was refused: it does not match the project's pattern/);
  });

  it('scanners stay off unless both linking and linking.usb are enabled, and a USB stack that fails to load does not stop the station', async () => {
    const backend = new FakeUsbBackend();
    expect((await startStation({ enabled: true }, backend)).station.scanners).toBeNull();
    expect((await startStation({ enabled: false, usb: { enabled: true } }, backend)).station.scanners).toBeNull();
    const failing = await startStation({ enabled: true, usb: { enabled: true } }, () => Promise.reject(new Error('no native module')));
    expect(failing.statuses).toEqual([expect.objectContaining({ deviceId: 'usb', state: 'error' })]);
  });
});
