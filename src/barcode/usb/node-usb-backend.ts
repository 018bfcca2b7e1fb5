/**
 * UsbBackend over the `usb` package (node-usb 3, the WebUSB-style rewrite on the nusb crate).
 * Loaded lazily, so a platform without its prebuilt native module degrades to a status instead of
 * stopping the station. Notes from its source (node-usb-rs src/webusb_device.rs, dist/index.js):
 * - transferIn(ep, length, timeoutMs) is one blocking transfer; on timeout nusb cancels it and the
 *   promise rejects with "transferIn error: Cancelled". There is no infinite timeout, so the read
 *   loop re-arms every `readTimeoutMs`, which also bounds how long stop() waits.
 * - claimInterface() does not detach the kernel driver (detachKernelDriver() is a separate, Linux
 *   only call) and releasing does not re-attach it: attachKernelDriver() gives it back.
 * - Reading `configuration` of a device that is not open opens it (needs permission on Linux).
 * - Adding the first connect/disconnect listener starts an internal device listing whose
 *   rejection nobody catches (an unhandled rejection where /sys/bus/usb is missing, e.g. in a
 *   container), so hot-plug is only watched once a listing has succeeded.
 */
import { createRequire } from 'node:module';
import { createLogger } from '../../log/logger.js';
import { UsbBackendError, hex4, type UsbBackend, type UsbDeviceHandle, type UsbDeviceInfo, type UsbHotplugEvents, type UsbInterfaceInfo, type UsbReadCallbacks, type UsbReading } from './backend.js';

const log = createLogger('usb');

/** The part of the `usb` package's API this backend uses (structural, so its DOM-flavoured types stay out of the core). */
interface NativeEndpoint {
  endpointNumber: number;
  direction: 'in' | 'out';
  type: 'bulk' | 'interrupt' | 'isochronous' | 'control';
  packetSize: number;
}
interface NativeInterface {
  interfaceNumber: number;
  alternate: { interfaceClass: number; interfaceSubclass: number; interfaceProtocol: number; endpoints: NativeEndpoint[] };
}
interface ControlSetup {
  requestType: 'standard' | 'class' | 'vendor';
  recipient: 'device' | 'interface' | 'endpoint' | 'other';
  request: number;
  value: number;
  index: number;
}
interface NativeDevice {
  vendorId: number;
  productId: number;
  bus: string;
  address: number;
  ports: number[];
  readonly manufacturerName: string | null;
  readonly productName: string | null;
  readonly configuration: { interfaces: NativeInterface[] } | null;
  open(): Promise<void>;
  close(): Promise<void>;
  claimInterface(n: number): Promise<void>;
  releaseInterface(n: number): Promise<void>;
  detachKernelDriver(n: number): Promise<void>;
  attachKernelDriver(n: number): Promise<void>;
  controlTransferIn(setup: ControlSetup, length: number): Promise<{ data?: DataView; status: string }>;
  controlTransferOut(setup: ControlSetup, data: Uint8Array): Promise<{ status: string }>;
  transferIn(endpoint: number, length: number, timeoutMs: number): Promise<{ data?: DataView; status: string }>;
}
interface NativeUsb {
  getDevices(): Promise<NativeDevice[]>;
  addEventListener(type: 'connect' | 'disconnect', listener: (event: { device: NativeDevice }) => void): void;
  removeEventListener(type: 'connect' | 'disconnect', listener: (event: { device: NativeDevice }) => void): void;
}

export interface NodeUsbBackendOptions {
  /** How long one interrupt-IN transfer waits before it is re-armed (and the longest stop() waits). */
  readTimeoutMs?: number;
}

/** Loads the `usb` package; rejects with a UsbBackendError('unavailable') when its native module cannot load. */
export async function createNodeUsbBackend(options: NodeUsbBackendOptions = {}): Promise<UsbBackend> {
  let usb: NativeUsb;
  try {
    usb = (createRequire(import.meta.url)('usb') as { usb: NativeUsb }).usb;
  } catch (err) {
    throw new UsbBackendError('unavailable', `the usb module did not load on ${process.platform}-${process.arch} (${err instanceof Error ? err.message : String(err)})`);
  }
  return new NodeUsbBackend(usb, options.readTimeoutMs ?? 500);
}

/** "0c2e:0b81@1-1.2": vendor, product and the port path, as Linux names the device in sysfs. */
export function deviceIdOf(d: { vendorId: number; productId: number; bus: string; address: number; ports: number[] }): string {
  const where = d.ports.length > 0 ? `${d.bus}-${d.ports.join('.')}` : `${d.bus}:${d.address}`;
  return `${hex4(d.vendorId)}:${hex4(d.productId)}@${where}`;
}

/** nusb's message when Linux has no USB bus at all (containers, some VMs): no devices, not a failure. */
const noUsbBus = /\/sys\/bus\/usb\/devices\/? not found/;

class NodeUsbBackend implements UsbBackend {
  private readonly devices = new Map<string, NativeDevice>();
  private busMissing = false;

  constructor(
    private readonly usb: NativeUsb,
    private readonly readTimeoutMs: number,
  ) {}

  async list(filter?: (ids: { vendorId: number; productId: number }) => boolean): Promise<UsbDeviceInfo[]> {
    let all: NativeDevice[];
    try {
      all = await this.usb.getDevices();
      this.busMissing = false;
    } catch (err) {
      if (err instanceof Error && noUsbBus.test(err.message)) {
        // The scanner service says so, with what to do (linking.usb is on): here only the cause.
        if (!this.busMissing) log.debug('this machine has no USB bus (/sys/bus/usb is missing)');
        this.busMissing = true;
        return [];
      }
      throw err;
    }
    const out: UsbDeviceInfo[] = [];
    for (const d of all) {
      if (filter && !filter(d)) continue;
      const info = describe(d);
      this.devices.set(info.id, d);
      out.push(info);
    }
    return out;
  }

  busPresent(): boolean {
    return !this.busMissing;
  }

  async open(deviceId: string): Promise<UsbDeviceHandle> {
    const device = this.devices.get(deviceId);
    if (!device) throw new UsbBackendError('disconnected', `device ${deviceId} is not connected`);
    await device.open();
    return new NodeUsbHandle(device, describe(device), this.readTimeoutMs);
  }

  async watch(events: UsbHotplugEvents, filter?: (ids: { vendorId: number; productId: number }) => boolean): Promise<() => Promise<void>> {
    await this.list(filter);
    if (this.busMissing) return async () => undefined;
    const onConnect = ({ device }: { device: NativeDevice }) => {
      if (filter && !filter(device)) return;
      const info = describe(device);
      this.devices.set(info.id, device);
      events.attach(info);
    };
    const onDisconnect = ({ device }: { device: NativeDevice }) => {
      const id = deviceIdOf(device);
      if (!this.devices.delete(id)) return;
      events.detach(id);
    };
    this.usb.addEventListener('connect', onConnect);
    this.usb.addEventListener('disconnect', onDisconnect);
    return async () => {
      this.usb.removeEventListener('connect', onConnect);
      this.usb.removeEventListener('disconnect', onDisconnect);
    };
  }
}

/** Ids, names and (when readable) interfaces; never throws for want of permission. */
function describe(d: NativeDevice): UsbDeviceInfo {
  const get = <T>(read: () => T): T | null => {
    try {
      return read();
    } catch {
      return null;
    }
  };
  const config = get(() => d.configuration);
  return {
    id: deviceIdOf(d),
    vendorId: d.vendorId,
    productId: d.productId,
    manufacturer: get(() => d.manufacturerName),
    product: get(() => d.productName),
    interfaces: config ? config.interfaces.map(interfaceInfo) : null,
  };
}

function interfaceInfo(i: NativeInterface): UsbInterfaceInfo {
  const a = i.alternate;
  const ep = a.endpoints.find((e) => e.direction === 'in' && e.type === 'interrupt');
  return { number: i.interfaceNumber, class: a.interfaceClass, subclass: a.interfaceSubclass, protocol: a.interfaceProtocol, inEndpoint: ep ? { number: ep.endpointNumber, packetSize: ep.packetSize } : null };
}

class NodeUsbHandle implements UsbDeviceHandle {
  private readonly detached = new Set<number>();

  constructor(
    private readonly device: NativeDevice,
    readonly info: UsbDeviceInfo,
    private readonly readTimeoutMs: number,
  ) {}

  async claim(n: number, options: { detachKernelDriver: boolean }): Promise<void> {
    if (options.detachKernelDriver && process.platform === 'linux') {
      try {
        await this.device.detachKernelDriver(n);
        this.detached.add(n);
      } catch (err) {
        // ENODATA: no driver was bound (already detached, or none matched); claiming is all that is needed.
        if (!/no kernel driver|(os error|errno) 61\b|ENODATA/i.test(err instanceof Error ? err.message : String(err))) throw err;
      }
    }
    await this.device.claimInterface(n);
  }

  async reportDescriptor(n: number): Promise<Uint8Array | null> {
    // GET_DESCRIPTOR(Report 0x22) to the interface (HID 1.11 §7.1.1); scanners' descriptors are far below 4 KiB.
    const res = await this.device.controlTransferIn({ requestType: 'standard', recipient: 'interface', request: 0x06, value: 0x2200, index: n }, 4096);
    if (!res.data || res.data.byteLength === 0) return null;
    return new Uint8Array(res.data.buffer.slice(res.data.byteOffset, res.data.byteOffset + res.data.byteLength));
  }

  async setBootProtocol(n: number): Promise<void> {
    // HID class request SET_PROTOCOL (0x0B), wValue 0 = boot protocol (HID 1.11 §7.2.6). The wrapper needs a data buffer even when empty.
    await this.device.controlTransferOut({ requestType: 'class', recipient: 'interface', request: 0x0b, value: 0, index: n }, new Uint8Array(0));
  }

  startReading(n: number, callbacks: UsbReadCallbacks): UsbReading {
    const iface = this.info.interfaces?.find((i) => i.number === n);
    const ep = iface?.inEndpoint;
    let stopped = false;
    const loop = (async () => {
      if (!ep) {
        callbacks.onEnd(new UsbBackendError('other', `interface ${n} has no interrupt IN endpoint`));
        return;
      }
      while (!stopped) {
        try {
          const res = await this.device.transferIn(ep.number, ep.packetSize, this.readTimeoutMs);
          if (stopped) return;
          if (res.data && res.data.byteLength > 0) callbacks.onReport(new Uint8Array(res.data.buffer.slice(res.data.byteOffset, res.data.byteOffset + res.data.byteLength)));
        } catch (err) {
          if (stopped) return;
          // A timed-out transfer is cancelled by nusb: nothing arrived, arm the next one.
          if (/cancel|timed out|timeout/i.test(err instanceof Error ? err.message : String(err))) continue;
          callbacks.onEnd(err);
          return;
        }
      }
    })();
    return {
      stop: async () => {
        stopped = true;
        await loop;
      },
    };
  }

  async release(n: number, options: { reattachKernelDriver: boolean }): Promise<void> {
    try {
      await this.device.releaseInterface(n);
    } finally {
      if (options.reattachKernelDriver && this.detached.delete(n)) await this.device.attachKernelDriver(n);
    }
  }

  async close(): Promise<void> {
    await this.device.close();
  }
}
