/**
 * The port between the scanner service and a USB stack. Small on purpose: the service's logic
 * (which device, which interface, which decoder, what to tell the technician) is tested against a
 * fake with recorded reports, and the one real implementation (node-usb-backend.ts) stays thin.
 */

/** One interface of the active configuration, as its descriptor states it. */
export interface UsbInterfaceInfo {
  number: number;
  /** bInterfaceClass: 3 = HID. */
  class: number;
  /** bInterfaceSubClass: 1 = boot interface. */
  subclass: number;
  /** bInterfaceProtocol: 1 = keyboard, 2 = mouse (for boot interfaces). */
  protocol: number;
  /** The interrupt IN endpoint the device sends its input reports on; null when it has none. */
  inEndpoint: { number: number; packetSize: number } | null;
}

export interface UsbDeviceInfo {
  /** Stable while the device stays plugged into the same port: "0c2e:0b81@1-1.2". */
  id: string;
  vendorId: number;
  productId: number;
  manufacturer: string | null;
  product: string | null;
  /**
   * The active configuration's interfaces, or null when they could not be read without opening the
   * device (on Linux that needs the same permission as reading it).
   */
  interfaces: UsbInterfaceInfo[] | null;
}

export interface UsbReadCallbacks {
  /** One interrupt-IN transfer's data: one input report. */
  onReport(report: Uint8Array): void;
  /** The read loop ended on its own (device gone, transfer error); not called after stop(). */
  onEnd(error: unknown): void;
}

export interface UsbReading {
  /** Ends the read loop; resolves once no transfer is pending any more. */
  stop(): Promise<void>;
}

/** An opened device. Every method may reject with an error that classifyUsbError() understands. */
export interface UsbDeviceHandle {
  /** The device with its interfaces, read after opening. */
  readonly info: UsbDeviceInfo;
  /** Claims the interface; with detachKernelDriver, first takes it from the kernel's driver (Linux: usbhid owns keyboards). */
  claim(interfaceNumber: number, options: { detachKernelDriver: boolean }): Promise<void>;
  /** The HID report descriptor of a claimed interface, or null when the device will not give it. */
  reportDescriptor(interfaceNumber: number): Promise<Uint8Array | null>;
  /** HID SET_PROTOCOL(boot) on a claimed boot interface, so keyboard reports are the fixed 8-byte boot layout. */
  setBootProtocol(interfaceNumber: number): Promise<void>;
  startReading(interfaceNumber: number, callbacks: UsbReadCallbacks): UsbReading;
  /** Releases a claimed interface; with reattachKernelDriver the OS gets it back (the scanner types as a keyboard again). */
  release(interfaceNumber: number, options: { reattachKernelDriver: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface UsbHotplugEvents {
  attach(device: UsbDeviceInfo): void;
  detach(deviceId: string): void;
}

export interface UsbBackend {
  /**
   * The connected devices. `filter` sees only the ids and decides whose descriptors are read, so
   * the station never opens a device it has no interest in (reading descriptors may open it).
   */
  list(filter?: (ids: { vendorId: number; productId: number }) => boolean): Promise<UsbDeviceInfo[]>;
  open(deviceId: string): Promise<UsbDeviceHandle>;
  /**
   * False once a listing found that this machine has no USB bus at all (a container or a VM without
   * USB passed through): no device can ever appear, and watch() reports none.
   */
  busPresent(): boolean;
  /** Hot-plug events; resolves to a function that stops them. */
  watch(events: UsbHotplugEvents, filter?: (ids: { vendorId: number; productId: number }) => boolean): Promise<() => Promise<void>>;
}

/** What went wrong, in the terms the technician's fix depends on. */
export type UsbFailureKind = 'permission-denied' | 'busy' | 'unsupported' | 'disconnected' | 'unavailable' | 'other';

/** An error a backend raises when it knows the kind already (the fake does; the real one classifies messages). */
export class UsbBackendError extends Error {
  constructor(
    readonly kind: UsbFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'UsbBackendError';
  }
}

/**
 * Sorts an error from the USB stack by what fixes it. node-usb 3 rejects with nusb's messages,
 * "<call> error: <what> (<OS code>)", the code written "errno 13" on Linux, "error 5" on Windows and
 * "error 0xe00002c5" on macOS (nusb src/error.rs, platform/<os>/mod.rs), e.g. "open error: permission
 * denied (errno 1)" or "claimInterface error: interface is busy (errno 16)"; Rust io errors read
 * "(os error 13)"; libusb-based stacks use LIBUSB_ERROR_ACCESS / _BUSY / _NOT_SUPPORTED / _NO_DEVICE.
 * macOS answers kIOReturnExclusiveAccess (0xe00002c5) when its HID driver holds the interface.
 */
export function classifyUsbError(err: unknown): UsbFailureKind {
  if (err instanceof UsbBackendError) return err.kind;
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const text = `${code} ${err instanceof Error ? err.message : String(err)}`;
  if (/permission denied|access denied|access is denied|operation not permitted|not privileged|LIBUSB_ERROR_ACCESS|EACCES|EPERM|(os error|errno) (13|1)\b|\berror 5\b|e00002e2|e00002c1/i.test(text)) return 'permission-denied';
  if (/disconnect|no such device|device not found|LIBUSB_ERROR_NO_DEVICE|ENODEV|(os error|errno) 19\b/i.test(text)) return 'disconnected';
  if (/busy|exclusive|LIBUSB_ERROR_BUSY|EBUSY|(os error|errno) 16\b|e00002c5/i.test(text)) return 'busy';
  if (/not supported|unsupported|NOT_SUPPORTED/i.test(text)) return 'unsupported';
  return 'other';
}

export function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
