/**
 * The USB scanner service against a fake USB stack fed with recorded reports: device selection,
 * keyboard (US/German) and HID POS decoding, hot-plug, and the statuses a technician sees when the
 * OS denies access or a device fails. No hardware was available for these tests.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsbBackendError, type UsbDeviceInfo } from '../../../src/barcode/usb/backend.js';
import { usbScannersSchema, type UsbScannersConfigInput } from '../../../src/barcode/usb/config.js';
import { ScannerService, type ScannerServiceOptions, type ScannerStatus, type UsbScan } from '../../../src/barcode/usb/scanner-service.js';
import { FakeUsbBackend, type FakeDeviceSpec } from './fake-usb-backend.js';
import { bootKeyboardDescriptor, consumerControlDescriptor, deBootZmb, posDescriptor, posReport, usBootNmnh, usBootNoSuffix } from './recorded-reports.js';

const bootIface = (n = 0) => ({ number: n, class: 3, subclass: 1, protocol: 1, inEndpoint: { number: n + 1, packetSize: 8 } });
const plainHid = (n: number, packetSize = 64) => ({ number: n, class: 3, subclass: 0, protocol: 0, inEndpoint: { number: n + 1, packetSize } });

function voyager(overrides: Partial<FakeDeviceSpec> = {}, info: Partial<UsbDeviceInfo> = {}): FakeDeviceSpec {
  return {
    info: { id: '0c2e:0b81@1-1.2', vendorId: 0x0c2e, productId: 0x0b81, manufacturer: 'Honeywell', product: 'Voyager 1400g', interfaces: [bootIface()], ...info },
    reportDescriptors: { 0: bootKeyboardDescriptor },
    ...overrides,
  };
}

function newlandPos(): FakeDeviceSpec {
  return {
    info: { id: '1eab:1310@3-2', vendorId: 0x1eab, productId: 0x1310, manufacturer: 'Newland', product: 'EM3096 (HID POS)', interfaces: [plainHid(0)] },
    reportDescriptors: { 0: posDescriptor },
  };
}

let running: ScannerService[] = [];
afterEach(async () => {
  await Promise.all(running.map((s) => s.stop()));
  running = [];
});

function setup(config: UsbScannersConfigInput = {}, extra: Partial<ScannerServiceOptions> = {}) {
  const backend = new FakeUsbBackend();
  const scans: UsbScan[] = [];
  const statuses: ScannerStatus[] = [];
  const service = new ScannerService({
    backend,
    config: usbScannersSchema.parse({ enabled: true, ...config }),
    onScan: (s) => scans.push(s),
    onStatus: (s) => statuses.push(s),
    platform: 'linux',
    now: () => 0,
    ...extra,
  });
  running.push(service);
  const latest = (deviceId: string) => statuses.filter((s) => s.deviceId === deviceId).at(-1);
  const until = (deviceId: string, state: ScannerStatus['state']) => vi.waitFor(() => expect(latest(deviceId)?.state).toBe(state));
  return { backend, scans, statuses, service, latest, until };
}

describe('USB scanners: keyboard mode', () => {
  it('reads a Honeywell boot keyboard in US layout, taking it from the kernel driver', async () => {
    const { backend, scans, service, latest } = setup();
    const dev = backend.plug(voyager());
    await service.start();

    expect(latest(dev.id)).toMatchObject({ state: 'connected', mode: 'keyboard', vendorId: 0x0c2e, productId: 0x0b81, fix: null });
    expect(latest(dev.id)?.message).toContain('Voyager 1400g (0c2e:0b81) on USB port 1-1.2 connected');
    expect(dev.log).toEqual(['open', 'detach 0', 'claim 0', 'boot-protocol 0', 'read 0']);

    usBootNmnh.forEach((r) => dev.send(r));
    expect(scans).toEqual([{ code: 'NMNH-00012345', deviceId: dev.id, sourceId: null, mode: 'keyboard', symbology: null }]);
  });

  it('reads the same scanner set to German, for the source its config names', async () => {
    const { backend, scans, service } = setup({ devices: [{ vendorId: '0c2e', productId: '0x0b81', layout: 'de', sourceId: 'copystand' }] });
    const dev = backend.plug(voyager());
    await service.start();
    deBootZmb.forEach((r) => dev.send(r));
    expect(scans.map((s) => [s.code, s.sourceId])).toEqual([['ZMB_Mam_0815', 'copystand']]);
  });

  it('ends a suffix-less scan after the idle timeout', async () => {
    let now = 0;
    const { backend, scans, service } = setup({ terminators: [], idleTimeoutMs: 300 }, { now: () => now });
    const dev = backend.plug(voyager());
    await service.start();
    usBootNoSuffix.forEach((r) => {
      now += 10;
      dev.send(r);
    });
    service.tick(now + 100);
    expect(scans).toEqual([]);
    service.tick(now + 301);
    expect(scans.map((s) => s.code)).toEqual(['B-17']);
  });

  it('keeps the detach off when configured, and says how to fix the resulting busy interface', async () => {
    const { backend, service, latest } = setup({ detachKernelDriver: false });
    const dev = backend.plug(voyager({ claimError: new Error('claimInterface error: interface is busy (os error 16)') }));
    await service.start();
    expect(dev.log).not.toContain('detach 0');
    expect(latest(dev.id)).toMatchObject({ state: 'error' });
    expect(latest(dev.id)?.fix).toContain('linking.usb.detachKernelDriver');
    expect(dev.log.at(-1)).toBe('close');
  });
});

describe('USB scanners: HID POS mode', () => {
  it('joins a code sent in two continued reports, with its symbology', async () => {
    const { backend, scans, service, latest } = setup();
    const dev = backend.plug(newlandPos());
    await service.start();
    expect(latest(dev.id)).toMatchObject({ state: 'connected', mode: 'pos' });
    // A POS interface is not a boot keyboard: no SET_PROTOCOL.
    expect(dev.log).toEqual(['open', 'detach 0', 'claim 0', 'read 0']);

    const code = 'urn:catalog:NMNH:Botany:US-' + '0123456789'.repeat(5) + '-sheet-17';
    expect(code.length).toBeGreaterThan(56);
    dev.send(posReport(code.slice(0, 56), ']C0', true));
    expect(scans).toEqual([]);
    dev.send(posReport(code.slice(56), ']C0', false));
    expect(scans).toEqual([{ code, deviceId: dev.id, sourceId: null, mode: 'pos', symbology: 'Code 128' }]);
  });

  it('prefers the POS interface of a composite scanner and gives the keyboard interface back', async () => {
    const { backend, scans, service, latest } = setup();
    const dev = backend.plug({
      info: { id: '05e0:1200@1-4', vendorId: 0x05e0, productId: 0x1200, manufacturer: 'Zebra', product: 'DS2208', interfaces: [bootIface(0), plainHid(1), plainHid(2)] },
      reportDescriptors: { 0: bootKeyboardDescriptor, 1: consumerControlDescriptor, 2: posDescriptor },
    });
    await service.start();
    expect(latest(dev.id)).toMatchObject({ state: 'connected', mode: 'pos' });
    expect(dev.log).toEqual(['open', 'detach 1', 'claim 1', 'release 1 reattach', 'detach 2', 'claim 2', 'read 2']);
    dev.send(posReport('NMNH-00012345', ']d2', false));
    expect(scans.map((s) => [s.code, s.symbology])).toEqual([['NMNH-00012345', 'Data Matrix']]);
  });

  it('reads the keyboard interface of that scanner when keyboard mode is asked for', async () => {
    const { backend, service, latest } = setup({ mode: 'keyboard' });
    const dev = backend.plug({
      info: { id: '05e0:1200@1-4', vendorId: 0x05e0, productId: 0x1200, manufacturer: 'Zebra', product: 'DS2208', interfaces: [plainHid(2), bootIface(0)] },
      reportDescriptors: { 0: bootKeyboardDescriptor, 2: posDescriptor },
    });
    await service.start();
    expect(latest(dev.id)).toMatchObject({ state: 'connected', mode: 'keyboard' });
    expect(dev.log).toEqual(['open', 'detach 0', 'claim 0', 'boot-protocol 0', 'read 0']);
  });
});

describe('USB scanners: which devices', () => {
  it('"auto" leaves devices of other makers alone, and a known maker\'s serial-mode scanner gets a hint', async () => {
    const { backend, service, statuses } = setup();
    const keyboard = backend.plug({ info: { id: '046d:c31c@1-3', vendorId: 0x046d, productId: 0xc31c, manufacturer: 'Logitech', product: 'Keyboard K120', interfaces: [bootIface()] } });
    const serial = backend.plug({ info: { id: '1eab:1306@1-5', vendorId: 0x1eab, productId: 0x1306, manufacturer: null, product: null, interfaces: [{ number: 0, class: 2, subclass: 2, protocol: 1, inEndpoint: null }] } });
    await service.start();
    expect(keyboard.log).toEqual([]);
    expect(serial.log).toEqual([]);
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ deviceId: serial.id, state: 'error', name: 'Newland scanner' });
    expect(statuses[0]?.fix).toContain('USB HID keyboard or USB HID POS');
  });

  it('an explicit list opens only the listed devices, whatever their maker', async () => {
    const { backend, service, latest } = setup({ devices: [{ vendorId: 0x2dd6, productId: 0x0260 }] });
    const listed = backend.plug(voyager({}, { id: '2dd6:0260@2-1', vendorId: 0x2dd6, productId: 0x0260, product: 'Generic 2D scanner' }));
    const honeywell = backend.plug(voyager());
    await service.start();
    expect(latest(listed.id)?.state).toBe('connected');
    expect(honeywell.log).toEqual([]);
  });
});

describe('USB scanners: hot-plug', () => {
  it('opens a scanner when it is plugged in and closes it when it is pulled', async () => {
    const { backend, scans, service, latest, until } = setup();
    await service.start();
    expect(backend.watching).toBe(1);

    const dev = backend.plug(voyager());
    await until(dev.id, 'connected');
    usBootNmnh.forEach((r) => dev.send(r));
    expect(scans.map((s) => s.code)).toEqual(['NMNH-00012345']);

    backend.unplug(dev.id);
    await until(dev.id, 'disconnected');
    expect(latest(dev.id)?.message).toContain('was disconnected');
    // Gone with the device: no kernel driver to give back.
    expect(dev.log.slice(-3)).toEqual(['stop 0', 'release 0', 'close']);
    expect(dev.reading).toBe(false);

    const again = backend.plug(voyager());
    await until(again.id, 'connected');
    usBootNmnh.forEach((r) => again.send(r));
    expect(scans.map((s) => s.code)).toEqual(['NMNH-00012345', 'NMNH-00012345']);
  });

  it('ignores hot-plug of devices it does not want', async () => {
    const { backend, service, statuses } = setup();
    await service.start();
    const mouse = backend.plug({ info: { id: '046d:c077@1-6', vendorId: 0x046d, productId: 0xc077, manufacturer: null, product: null, interfaces: [bootIface()] } });
    backend.unplug(mouse.id);
    await new Promise((r) => setImmediate(r));
    expect(mouse.log).toEqual([]);
    expect(statuses).toEqual([]);
  });

  it('stop() gives the keyboard back to the OS and stops watching', async () => {
    const { backend, service } = setup();
    const dev = backend.plug(voyager());
    await service.start();
    await service.stop();
    expect(dev.log.slice(-3)).toEqual(['stop 0', 'release 0 reattach', 'close']);
    expect(backend.watching).toBe(0);
    dev.send(usBootNmnh[0]!);
  });
});

describe('USB scanners: access denied and failures', () => {
  const denied = new Error('open error: failed to open device (Permission denied (os error 13))');

  it('Linux: permission denied names the device and gives the udev rule', async () => {
    const { backend, service, latest } = setup();
    const dev = backend.plug(voyager({ openError: denied, interfacesNeedOpen: true }));
    await service.start();
    const status = latest(dev.id)!;
    expect(status.state).toBe('permission-denied');
    expect(status.message).toBe('The operating system denied access to Voyager 1400g (0c2e:0b81) on USB port 1-1.2 (open error: failed to open device (Permission denied (os error 13))).');
    expect(status.fix).toContain('/etc/udev/rules.d/70-capture-station-scanner.rules');
    expect(status.fix).toContain('SUBSYSTEM=="usb", ATTR{idVendor}=="0c2e", MODE="0660", GROUP="plugdev", TAG+="uaccess"');
    expect(status.fix).toContain('sudo udevadm control --reload-rules && sudo udevadm trigger');
    expect(service.statuses()).toEqual([status]);
  });

  it('libusb-style LIBUSB_ERROR_ACCESS counts as permission denied too', async () => {
    const { backend, service, latest } = setup();
    const err = Object.assign(new Error('LIBUSB_ERROR_ACCESS'), { errno: -3 });
    const dev = backend.plug(voyager({ openError: err }));
    await service.start();
    expect(latest(dev.id)?.state).toBe('permission-denied');
  });

  it('macOS and Windows get their own fix', async () => {
    const mac = setup({}, { platform: 'darwin' });
    const macDev = mac.backend.plug(voyager({ claimError: new Error('claimInterface error: device is busy (0xe00002c5)') }));
    await mac.service.start();
    expect(mac.latest(macDev.id)?.fix).toMatch(/macOS keeps USB keyboards.*HID POS mode/s);

    const win = setup({}, { platform: 'win32' });
    const winDev = win.backend.plug(voyager({ openError: new UsbBackendError('unsupported', 'open error: NOT_SUPPORTED') }));
    await win.service.start();
    expect(win.latest(winDev.id)?.fix).toMatch(/WinUSB.*Zadig.*no longer types as a keyboard/s);
    // An unclassified claim failure on Windows still points at the driver, not at the cable.
    const win2 = setup({}, { platform: 'win32' });
    const winDev2 = win2.backend.plug(voyager({ claimError: new Error('claimInterface error: failed to claim interface') }));
    await win2.service.start();
    expect(win2.latest(winDev2.id)?.fix).toContain('WinUSB');
    // On Windows and macOS the kernel-driver detach is a Linux-only call.
    expect(macDev.log).not.toContain('detach 0');
  });

  it('a device that fails mid-read is closed and reported, and a later scan still works after re-plugging', async () => {
    const { backend, scans, service, latest, until } = setup();
    const dev = backend.plug(voyager());
    await service.start();
    usBootNmnh.slice(0, 6).forEach((r) => dev.send(r));
    dev.failRead(new Error('transferIn error: Fault'));
    await until(dev.id, 'error');
    expect(latest(dev.id)?.message).toBe('Reading Voyager 1400g (0c2e:0b81) on USB port 1-1.2 failed (transferIn error: Fault); it was closed.');
    expect(latest(dev.id)?.fix).toContain('re-plug');
    expect(dev.log.slice(-2)).toEqual(['release 0', 'close']);
    expect(scans).toEqual([]);

    backend.unplug(dev.id);
    await until(dev.id, 'disconnected');
    const again = backend.plug(voyager());
    await until(again.id, 'connected');
    usBootNmnh.forEach((r) => again.send(r));
    expect(scans.map((s) => s.code)).toEqual(['NMNH-00012345']);
  });

  it('a read that ends because the device vanished is a disconnect, not an error', async () => {
    const { backend, service, until } = setup();
    const dev = backend.plug(voyager());
    await service.start();
    dev.failRead(new Error('transferIn error: Disconnected'));
    await until(dev.id, 'disconnected');
  });

  it('a USB stack that cannot load is one status, and the service keeps quiet otherwise', async () => {
    const statuses: ScannerStatus[] = [];
    const service = new ScannerService({
      backend: () => Promise.reject(new UsbBackendError('unavailable', 'the usb module did not load on linux-x64 (no binary)')),
      config: usbScannersSchema.parse({ enabled: true }),
      onScan: () => undefined,
      onStatus: (s) => statuses.push(s),
    });
    await service.start();
    await service.stop();
    expect(statuses).toEqual([expect.objectContaining({ deviceId: 'usb', state: 'error', message: expect.stringContaining('the usb module did not load') })]);
  });

  it('a consumer that throws does not end the read loop', async () => {
    const { backend, service } = setup({}, { onScan: () => { throw new Error('refused'); } });
    const dev = backend.plug(voyager());
    await service.start();
    usBootNmnh.forEach((r) => dev.send(r));
    expect(dev.reading).toBe(true);
  });
});
