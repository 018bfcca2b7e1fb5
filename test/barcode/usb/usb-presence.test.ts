/**
 * USB scanning switched on with nothing to read is hard to notice on a rig (scans then only come by
 * keyboard): the service warns at start with what to do, says when a scanner is plugged in later,
 * and `doctor` has a line for it. Fake USB stacks; no hardware here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { usbScannersSchema, type UsbScannersConfigInput } from '../../../src/barcode/usb/config.js';
import { ScannerService } from '../../../src/barcode/usb/scanner-service.js';
import { checkUsbScanners } from '../../../src/barcode/usb/usb-doctor.js';
import { addLogSink, type LogRecord } from '../../../src/log/logger.js';
import { FakeUsbBackend, type FakeDeviceSpec } from './fake-usb-backend.js';
import { bootKeyboardDescriptor } from './recorded-reports.js';

const voyager = (extra: Partial<FakeDeviceSpec> = {}): FakeDeviceSpec => ({
  info: { id: '0c2e:0b81@1-1.2', vendorId: 0x0c2e, productId: 0x0b81, manufacturer: 'Honeywell', product: 'Voyager 1400g', interfaces: [{ number: 0, class: 3, subclass: 1, protocol: 1, inEndpoint: { number: 1, packetSize: 8 } }] },
  reportDescriptors: { 0: bootKeyboardDescriptor },
  ...extra,
});
const mouse: FakeDeviceSpec = { info: { id: '046d:c077@1-6', vendorId: 0x046d, productId: 0xc077, manufacturer: null, product: 'Mouse', interfaces: null } };
const config = (c: UsbScannersConfigInput = {}) => usbScannersSchema.parse({ enabled: true, ...c });

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function started(backend: FakeUsbBackend, c: UsbScannersConfigInput = {}) {
  const logs: LogRecord[] = [];
  cleanup.push(addLogSink((r) => logs.push(r)));
  const service = new ScannerService({ backend, config: config(c), onScan: () => undefined, onStatus: () => undefined, platform: 'linux', now: () => 0 });
  cleanup.push(() => service.stop());
  await service.start();
  const said = (level: LogRecord['level']) => logs.filter((l) => l.level === level && (l.module === 'usb-scanner' || l.module === 'usb')).map((l) => l.message);
  return { service, said };
}

describe('USB scanning enabled with nothing to read: the station log', () => {
  it('no USB bus: a WARN saying so and what to do', async () => {
    const backend = new FakeUsbBackend();
    backend.noBus = true;
    const { said } = await started(backend);
    expect(said('warn')).toEqual([expect.stringMatching(/^linking\.usb\.enabled is on, but this machine has no USB bus .* set linking\.usb\.enabled to false and scan with the keyboard-wedge input or `capture-station scan`\.$/)]);
  });

  it('a bus with no matching scanner: a WARN naming the vendor ids it looks for; an INFO when one is plugged in later', async () => {
    const backend = new FakeUsbBackend();
    backend.plug(mouse);
    const { said } = await started(backend);
    expect(said('warn')).toHaveLength(1);
    expect(said('warn')[0]).toMatch(/^linking\.usb\.enabled is on, but no USB scanner it reads is connected: none of devices: auto, a scanner of a known maker \(vendor ids 0c2e Honeywell \(Metrologic\), .*1eab Newland.*\) is present\. Plug the scanner in/);
    expect(said('warn')[0]).toContain('add it to linking.usb.devices');

    backend.plug(voyager());
    await new Promise((r) => setImmediate(r));
    expect(said('info')).toContain('Voyager 1400g (0c2e:0b81) on USB port 1-1.2 was plugged in: USB scanning has a scanner now');
  });

  it('an explicit device list is named by its ids', async () => {
    const backend = new FakeUsbBackend();
    const { said } = await started(backend, { devices: [{ vendorId: '0c2e', productId: '0b81' }, { vendorId: '05e0' }] });
    expect(said('warn')[0]).toContain('none of the devices listed in linking.usb.devices (0c2e:0b81, 05e0 (any product)) is present');
  });

  it('a scanner present at start: no warning', async () => {
    const backend = new FakeUsbBackend();
    backend.plug(voyager());
    const { said } = await started(backend);
    expect(said('warn')).toEqual([]);
  });
});

describe('doctor: USB scanners', () => {
  const load = (backend: FakeUsbBackend) => async () => backend;

  it('off, or on without linking', async () => {
    expect(await checkUsbScanners(true, usbScannersSchema.parse({}), load(new FakeUsbBackend()))).toEqual({ status: 'ok', detail: expect.stringMatching(/^off \(linking\.usb\.enabled is false\)/) });
    expect(await checkUsbScanners(false, config(), load(new FakeUsbBackend()))).toEqual({ status: 'warn', detail: expect.stringMatching(/linking\.enabled is off/) });
  });

  it('no bus, and no matching device, are warnings with what to do', async () => {
    const noBus = new FakeUsbBackend();
    noBus.noBus = true;
    expect(await checkUsbScanners(true, config(), load(noBus))).toEqual({ status: 'warn', detail: expect.stringMatching(/no USB bus/) });
    const onlyMouse = new FakeUsbBackend();
    onlyMouse.plug(mouse);
    expect(await checkUsbScanners(true, config({ devices: [{ vendorId: '0c2e', productId: '0b81' }] }), load(onlyMouse))).toEqual({ status: 'warn', detail: expect.stringContaining('none of the devices listed in linking.usb.devices (0c2e:0b81) is present') });
  });

  it('a present scanner is listed as readable, opened and closed but never claimed', async () => {
    const backend = new FakeUsbBackend();
    const dev = backend.plug(voyager());
    expect(await checkUsbScanners(true, config(), load(backend))).toEqual({ status: 'ok', detail: 'enabled; 1 scanner present and readable: Voyager 1400g (0c2e:0b81) on USB port 1-1.2' });
    expect(dev.log).toEqual(['open', 'close']);
  });

  it('access denied fails with the udev rule; a module that does not load fails', async () => {
    const backend = new FakeUsbBackend();
    backend.plug(voyager({ openError: new Error('open error: failed to open device (Permission denied (os error 13))') }));
    const denied = await checkUsbScanners(true, config(), load(backend), 'linux');
    expect(denied.status).toBe('fail');
    expect(denied.detail).toContain('the operating system denied access to Voyager 1400g (0c2e:0b81) on USB port 1-1.2');
    expect(denied.detail).toContain('SUBSYSTEM=="usb", ATTR{idVendor}=="0c2e", MODE="0660", GROUP="plugdev", TAG+="uaccess"');
    expect(denied.detail).toContain('sudo udevadm control --reload-rules && sudo udevadm trigger');
    expect(await checkUsbScanners(true, config(), () => Promise.reject(new Error('no binary')))).toEqual({ status: 'fail', detail: expect.stringMatching(/^USB scanners cannot be read: no binary\./) });
  });
});
