/**
 * An in-memory UsbBackend: devices are plugged and unplugged by the test, and a claimed interface
 * delivers whatever reports the test sends — recorded byte for byte from the HID formats. Every
 * call is logged, so a test can check e.g. that the kernel driver was given back on stop.
 */
import { UsbBackendError, type UsbBackend, type UsbDeviceHandle, type UsbDeviceInfo, type UsbHotplugEvents, type UsbReadCallbacks, type UsbReading } from '../../../src/barcode/usb/backend.js';

export interface FakeDeviceSpec {
  info: UsbDeviceInfo;
  /** Report descriptors by interface number. */
  reportDescriptors?: Record<number, number[]>;
  /** open() rejects with this (e.g. permission denied). */
  openError?: Error;
  claimError?: Error;
  /** list() shows no interfaces until the device is opened (as node-usb does without permission). */
  interfacesNeedOpen?: boolean;
}

export class FakeDevice {
  readonly log: string[] = [];
  private readers = new Map<number, UsbReadCallbacks>();

  constructor(readonly spec: FakeDeviceSpec) {}

  get id(): string {
    return this.spec.info.id;
  }

  /** Sends one input report on every interface being read. */
  send(report: Uint8Array | number[]): void {
    const bytes = report instanceof Uint8Array ? report : Uint8Array.from(report);
    for (const r of this.readers.values()) r.onReport(bytes);
  }

  /** The read loop fails (a transfer error, or the device vanishing mid-transfer). */
  failRead(err: Error): void {
    const readers = [...this.readers.values()];
    this.readers.clear();
    for (const r of readers) r.onEnd(err);
  }

  get reading(): boolean {
    return this.readers.size > 0;
  }

  handle(): UsbDeviceHandle {
    const dev = { spec: this.spec, log: this.log, readers: this.readers };
    return {
      info: this.spec.info,
      async claim(n, { detachKernelDriver }) {
        if (detachKernelDriver) dev.log.push(`detach ${n}`);
        if (dev.spec.claimError) throw dev.spec.claimError;
        dev.log.push(`claim ${n}`);
      },
      async reportDescriptor(n) {
        const d = dev.spec.reportDescriptors?.[n];
        return d ? Uint8Array.from(d) : null;
      },
      async setBootProtocol(n) {
        dev.log.push(`boot-protocol ${n}`);
      },
      startReading(n, callbacks): UsbReading {
        dev.log.push(`read ${n}`);
        dev.readers.set(n, callbacks);
        return {
          async stop() {
            dev.readers.delete(n);
            dev.log.push(`stop ${n}`);
          },
        };
      },
      async release(n, { reattachKernelDriver }) {
        dev.log.push(`release ${n}${reattachKernelDriver ? ' reattach' : ''}`);
      },
      async close() {
        dev.log.push('close');
      },
    };
  }
}

export class FakeUsbBackend implements UsbBackend {
  readonly devices = new Map<string, FakeDevice>();
  /** A machine with no USB bus (a container): nothing is ever listed or plugged. */
  noBus = false;
  private watchers = new Set<{ events: UsbHotplugEvents; filter?: (ids: { vendorId: number; productId: number }) => boolean }>();

  /** Adds a device; with a watcher registered, it is an attach event. */
  plug(spec: FakeDeviceSpec): FakeDevice {
    const device = new FakeDevice(spec);
    this.devices.set(device.id, device);
    for (const w of this.watchers) if (!w.filter || w.filter(spec.info)) w.events.attach(this.listed(device));
    return device;
  }

  unplug(id: string): void {
    const device = this.devices.get(id);
    if (!device) return;
    this.devices.delete(id);
    for (const w of this.watchers) if (!w.filter || w.filter(device.spec.info)) w.events.detach(id);
  }

  get watching(): number {
    return this.watchers.size;
  }

  busPresent(): boolean {
    return !this.noBus;
  }

  async list(filter?: (ids: { vendorId: number; productId: number }) => boolean): Promise<UsbDeviceInfo[]> {
    if (this.noBus) return [];
    return [...this.devices.values()].filter((d) => !filter || filter(d.spec.info)).map((d) => this.listed(d));
  }

  async open(deviceId: string): Promise<UsbDeviceHandle> {
    const device = this.devices.get(deviceId);
    if (!device) throw new UsbBackendError('disconnected', `device ${deviceId} is not connected`);
    if (device.spec.openError) throw device.spec.openError;
    device.log.push('open');
    return device.handle();
  }

  async watch(events: UsbHotplugEvents, filter?: (ids: { vendorId: number; productId: number }) => boolean): Promise<() => Promise<void>> {
    const w = { events, ...(filter ? { filter } : {}) };
    this.watchers.add(w);
    return async () => {
      this.watchers.delete(w);
    };
  }

  private listed(d: FakeDevice): UsbDeviceInfo {
    return d.spec.interfacesNeedOpen ? { ...d.spec.info, interfaces: null } : d.spec.info;
  }
}
