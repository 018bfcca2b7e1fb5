/** The pure parts of USB scanner input: HID report descriptors, error sorting, fixes, config. */
import { describe, expect, it } from 'vitest';
import { accessFix, udevRule } from '../../../src/barcode/usb/access-help.js';
import { classifyUsbError, UsbBackendError } from '../../../src/barcode/usb/backend.js';
import { usbScannersSchema } from '../../../src/barcode/usb/config.js';
import { parseReportDescriptor, readingFor } from '../../../src/barcode/usb/hid-report-descriptor.js';
import { bootKeyboardDescriptor, consumerControlDescriptor, posDescriptor } from './recorded-reports.js';

const bytes = (a: number[]) => Uint8Array.from(a);

describe('HID report descriptors', () => {
  it('finds the keyboard application of a boot keyboard', () => {
    expect(parseReportDescriptor(bytes(bootKeyboardDescriptor))).toEqual({ applications: [{ usagePage: 0x01, usage: 0x06, inputReportIds: [] }], usesReportIds: false });
  });

  it('finds the Bar Code Scanner application and its report ID', () => {
    expect(parseReportDescriptor(bytes(posDescriptor))).toEqual({ applications: [{ usagePage: 0x8c, usage: 0x02, inputReportIds: [2] }], usesReportIds: true });
  });

  it('reads extended (4-byte) usages and survives a truncated descriptor', () => {
    // Usage 0x008C0002 as one extended usage, then an application collection cut short.
    expect(parseReportDescriptor(bytes([0x0b, 0x02, 0x00, 0x8c, 0x00, 0xa1, 0x01, 0x85]))).toEqual({ applications: [{ usagePage: 0x8c, usage: 0x02, inputReportIds: [] }], usesReportIds: true });
  });

  it('chooses how to read an interface', () => {
    const boot = { class: 3, subclass: 1, protocol: 1 };
    const plain = { class: 3, subclass: 0, protocol: 0 };
    const pos = parseReportDescriptor(bytes(posDescriptor));
    const kbd = parseReportDescriptor(bytes(bootKeyboardDescriptor));
    const cc = parseReportDescriptor(bytes(consumerControlDescriptor));
    expect(readingFor(plain, pos, 'auto')).toEqual({ mode: 'pos', includesReportId: true, reportId: 2, boot: false });
    expect(readingFor(plain, pos, 'keyboard')).toBeNull();
    expect(readingFor(boot, kbd, 'auto')).toEqual({ mode: 'keyboard', includesReportId: false, reportId: null, boot: true });
    expect(readingFor(boot, kbd, 'pos')).toBeNull();
    expect(readingFor(plain, cc, 'auto')).toBeNull();
    // No descriptor: a boot keyboard is still a keyboard, and "pos" in the config is taken at its word.
    expect(readingFor(boot, null, 'auto')?.mode).toBe('keyboard');
    expect(readingFor(plain, null, 'auto')).toBeNull();
    expect(readingFor(plain, null, 'pos')).toEqual({ mode: 'pos', includesReportId: true, reportId: 2, boot: false });
    expect(readingFor({ class: 8, subclass: 6, protocol: 80 }, kbd, 'auto')).toBeNull();
  });
});

describe('USB errors and their fixes', () => {
  it.each([
    ['open error: failed to open device (Permission denied (os error 13))', 'permission-denied'],
    ['LIBUSB_ERROR_ACCESS', 'permission-denied'],
    ['open error: failed to open device (errno 13)', 'permission-denied'],
    ['open error: permission denied (errno 1)', 'permission-denied'],
    ['open error: failed to open device (error 5)', 'permission-denied'],
    ['claimInterface error: failed to claim interface (errno 16)', 'busy'],
    ['claimInterface error: failed to claim interface (error 0xe00002c5)', 'busy'],
    ['open error: device not found (errno 2)', 'disconnected'],
    ['open error: failed to open device (errno 130)', 'other'],
    ['claimInterface error: interface is busy (os error 16)', 'busy'],
    ['LIBUSB_ERROR_BUSY', 'busy'],
    ['transferIn error: Disconnected', 'disconnected'],
    ['LIBUSB_ERROR_NO_DEVICE', 'disconnected'],
    ['open error: NOT_SUPPORTED', 'unsupported'],
    ['transferIn error: Fault', 'other'],
  ])('%s → %s', (message, kind) => {
    expect(classifyUsbError(new Error(message))).toBe(kind);
  });

  it('takes a backend error\'s own kind and a Node-style code', () => {
    expect(classifyUsbError(new UsbBackendError('busy', 'x'))).toBe('busy');
    expect(classifyUsbError(Object.assign(new Error('open failed'), { code: 'EACCES' }))).toBe('permission-denied');
  });

  it('writes one udev line per vendor', () => {
    expect(udevRule([0x0c2e, 0x05e0, 0x0c2e])).toBe(
      '# Capture Station: let the station read barcode scanners directly over USB.\n' +
        'SUBSYSTEM=="usb", ATTR{idVendor}=="0c2e", MODE="0660", GROUP="plugdev", TAG+="uaccess"\n' +
        'SUBSYSTEM=="usb", ATTR{idVendor}=="05e0", MODE="0660", GROUP="plugdev", TAG+="uaccess"\n',
    );
  });

  it('has no fix for a device that was simply unplugged', () => {
    expect(accessFix('disconnected', { vendorId: 1, productId: 2, name: 'x' }, 'linux', true)).toBeNull();
  });
});

describe('linking.usb config', () => {
  it('defaults to off, auto devices, US layout, Enter/Tab, detaching the kernel driver', () => {
    expect(usbScannersSchema.parse({})).toEqual({ enabled: false, devices: 'auto', mode: 'auto', layout: 'us', terminators: ['Enter', 'Tab'], idleTimeoutMs: 300, detachKernelDriver: true });
  });

  it('takes ids as numbers or hex strings', () => {
    const c = usbScannersSchema.parse({ enabled: true, devices: [{ vendorId: '0x0C2E', productId: '0b81', mode: 'pos', sourceId: 'cam' }, { vendorId: 0x05e0 }] });
    expect(c.devices).toEqual([{ vendorId: 0x0c2e, productId: 0x0b81, mode: 'pos', sourceId: 'cam' }, { vendorId: 0x05e0 }]);
  });

  it('refuses what is not a USB id, an unknown layout or an empty list', () => {
    expect(usbScannersSchema.safeParse({ devices: [{ vendorId: 'honeywell' }] }).success).toBe(false);
    expect(usbScannersSchema.safeParse({ devices: [{ vendorId: 0x10000 }] }).success).toBe(false);
    expect(usbScannersSchema.safeParse({ layout: 'fr' }).success).toBe(false);
    expect(usbScannersSchema.safeParse({ devices: [] }).success).toBe(false);
  });
});
