/**
 * Reads barcode scanners directly over USB, so a scan reaches the station even while the
 * tethering program has keyboard focus. Core logic only: which devices to open (config or known
 * scanner makers), which interface and decoder (HID keyboard with a layout, or HID POS), hot-plug,
 * and a status per device that tells the technician what is wrong and how to fix it. The USB stack
 * is behind the UsbBackend port; the station turns each scan into linker.scan().
 */
import { createLogger } from '../../log/logger.js';
import { KeyboardScanReader } from '../hid/keyboard-scans.js';
import { PosScannerDecoder } from '../hid/pos-scanner.js';
import type { KeyboardLayoutId } from '../hid/keyboard-layouts.js';
import { accessFix } from './access-help.js';
import { classifyUsbError, hex4, type UsbBackend, type UsbDeviceHandle, type UsbDeviceInfo, type UsbInterfaceInfo, type UsbReading } from './backend.js';
import type { ScannerModeSetting, UsbScannersConfig } from './config.js';
import { parseReportDescriptor, readingFor, type InterfaceReading } from './hid-report-descriptor.js';
import { isKnownScannerVendor, knownScannerVendors } from './known-scanners.js';
import { noScannerPresent, noUsbBus } from './presence.js';
import type { ScannerMode, ScannerState, ScannerStatus, UsbScan } from './status.js';

export type { ScannerMode, ScannerState, ScannerStatus, UsbScan } from './status.js';

const log = createLogger('usb-scanner');

export interface ScannerServiceOptions {
  /** The USB stack, or a loader for it (a native module that fails to load becomes a status, not a crash). */
  backend: UsbBackend | (() => Promise<UsbBackend>);
  config: UsbScannersConfig;
  onScan(scan: UsbScan): void;
  onStatus(status: ScannerStatus): void;
  platform?: NodeJS.Platform;
  /** A monotonic clock in ms, for the decoders' idle and continuation timeouts. */
  now?: () => number;
}

export interface DeviceRule {
  mode: ScannerModeSetting;
  layout: KeyboardLayoutId;
  sourceId: string | null;
}

interface OpenScanner {
  info: UsbDeviceInfo;
  handle: UsbDeviceHandle;
  interfaceNumber: number;
  reading: UsbReading;
  feed(report: Uint8Array, now: number): void;
  tick(now: number): void;
}

export class ScannerService {
  private backend: UsbBackend | null = null;
  private readonly scanners = new Map<string, OpenScanner>();
  private readonly opening = new Map<string, Promise<void>>();
  private readonly status = new Map<string, ScannerStatus>();
  private unwatch: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** Start found no device to read and warned: the first one plugged in later is announced. */
  private noneAtStart = false;
  private readonly platform: NodeJS.Platform;
  private readonly now: () => number;

  constructor(private readonly opts: ScannerServiceOptions) {
    this.platform = opts.platform ?? process.platform;
    this.now = opts.now ?? (() => performance.now());
  }

  async start(): Promise<void> {
    this.running = true;
    const source = this.opts.backend;
    try {
      this.backend = typeof source === 'function' ? await source() : source;
    } catch (err) {
      this.report(stackStatus(`USB scanners cannot be read: ${messageOf(err)}`, 'Reinstall the station (the usb package ships its native module per platform), or use the keyboard-wedge input.'));
      return;
    }
    const filter = (ids: { vendorId: number; productId: number }) => this.ruleFor(ids) !== null;
    const attach = (d: UsbDeviceInfo) => {
      if (this.noneAtStart) log.info(`${labelOf(d)} was plugged in: USB scanning has a scanner now`, { device: d.id });
      this.noneAtStart = false;
      void this.consider(d);
    };
    try {
      // Watch before listing, so a scanner plugged in between the two is not missed (consider() dedupes).
      this.unwatch = await this.backend.watch({ attach, detach: (id) => void this.detached(id) }, filter);
      const devices = await this.backend.list(filter);
      // Enabled yet nothing to read is easy to miss on a rig (scans then only come by keyboard): say so.
      if (!this.backend.busPresent()) log.warn(noUsbBus);
      else if (devices.length === 0 && this.scanners.size === 0 && this.opening.size === 0) {
        this.noneAtStart = true;
        log.warn(noScannerPresent(this.opts.config));
      }
      await Promise.all(devices.map((d) => this.consider(d)));
    } catch (err) {
      this.report(stackStatus(`USB devices cannot be listed: ${messageOf(err)}`, null));
    }
    if (this.opts.config.terminators.length === 0) {
      // Scanners set to send no suffix end a scan by a pause: look for one a few times per timeout.
      this.timer = setInterval(() => this.tick(), Math.max(20, Math.floor(this.opts.config.idleTimeoutMs / 3)));
      this.timer.unref();
    }
  }

  /** Closes every scanner and gives keyboards back to the OS. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const unwatch = this.unwatch;
    this.unwatch = null;
    await unwatch?.().catch((err: unknown) => log.warn('could not stop USB hot-plug events', { error: messageOf(err) }));
    await Promise.all(this.opening.values());
    const open = [...this.scanners.values()];
    this.scanners.clear();
    await Promise.all(open.map((s) => this.close(s, { reattach: this.opts.config.detachKernelDriver })));
  }

  statuses(): ScannerStatus[] {
    return [...this.status.values()];
  }

  /** Ends keyboard scans that wait for a pause (no terminator configured). */
  tick(now = this.now()): void {
    for (const s of this.scanners.values()) s.tick(now);
  }

  private ruleFor(ids: { vendorId: number; productId: number }): DeviceRule | null {
    return deviceRule(this.opts.config, ids);
  }

  private async consider(info: UsbDeviceInfo): Promise<void> {
    const rule = this.ruleFor(info);
    if (!this.running || !rule || this.scanners.has(info.id) || this.opening.has(info.id)) return;
    const opening = this.openDevice(info, rule).catch((err: unknown) => this.failed(info, err, 'open'));
    this.opening.set(info.id, opening);
    await opening;
    this.opening.delete(info.id);
  }

  private async openDevice(info: UsbDeviceInfo, rule: DeviceRule): Promise<void> {
    if (info.interfaces && !info.interfaces.some(isHidIn)) {
      this.report(deviceStatus(info, 'error', null, `${labelOf(info)} has no HID interface: it is probably set to USB serial (CDC) mode.`, 'Set the scanner to USB HID keyboard or USB HID POS mode (programming barcodes in its manual).'));
      return;
    }
    const handle = await this.backend!.open(info.id);
    // Names may only be readable once the device is open; interfaces certainly are.
    const device: UsbDeviceInfo = { ...info, manufacturer: handle.info.manufacturer ?? info.manufacturer, product: handle.info.product ?? info.product, interfaces: handle.info.interfaces ?? info.interfaces };
    const detach = this.opts.config.detachKernelDriver && this.platform === 'linux';
    // A POS interface is a plain HID interface; try those before boot keyboards unless keyboard mode is asked for.
    const candidates = (device.interfaces ?? []).filter(isHidIn).sort((a, b) => (rule.mode === 'keyboard' ? -1 : 1) * (isBootKeyboard(a) - isBootKeyboard(b)));
    let chosen: { iface: UsbInterfaceInfo; reading: InterfaceReading } | null = null;
    let claimError: unknown = null;
    for (const iface of candidates) {
      try {
        await handle.claim(iface.number, { detachKernelDriver: detach });
      } catch (err) {
        claimError ??= err;
        continue;
      }
      const descriptor = await handle.reportDescriptor(iface.number).catch(() => null);
      const reading = readingFor(iface, descriptor ? parseReportDescriptor(descriptor) : null, rule.mode);
      if (reading) {
        chosen = { iface, reading };
        break;
      }
      await handle.release(iface.number, { reattachKernelDriver: detach }).catch(() => undefined);
    }
    if (!chosen || !this.running) {
      if (chosen) await handle.release(chosen.iface.number, { reattachKernelDriver: detach }).catch(() => undefined);
      await handle.close().catch(() => undefined);
      if (!this.running) return;
      if (claimError !== null) return this.failed(device, claimError, 'claim');
      const wanted = rule.mode === 'auto' ? 'keyboard or HID POS' : rule.mode === 'pos' ? 'HID POS (usage page 0x8C)' : 'keyboard';
      this.report(deviceStatus(device, 'error', null, `${labelOf(device)} offers no ${wanted} interface.`, 'Set the scanner to USB HID keyboard or USB HID POS mode, or change linking.usb mode for it.'));
      return;
    }
    const { iface, reading } = chosen;
    if (reading.boot) {
      // Best effort: a device that refuses SET_PROTOCOL still sends boot-compatible reports in most cases.
      await handle.setBootProtocol(iface.number).catch((err: unknown) => log.debug('SET_PROTOCOL(boot) refused', { device: info.id, error: messageOf(err) }));
    }
    const feeder = this.feeder(device, rule, reading);
    const scanner: OpenScanner = {
      info: device,
      handle,
      interfaceNumber: iface.number,
      ...feeder,
      reading: handle.startReading(iface.number, {
        onReport: (report) => this.scanners.get(info.id)?.feed(report, this.now()),
        onEnd: (err) => void this.readEnded(info.id, err),
      }),
    };
    this.scanners.set(info.id, scanner);
    const how = reading.mode === 'pos' ? 'as a HID POS scanner' : `as a USB keyboard (${rule.layout.toUpperCase()} layout)`;
    this.report(deviceStatus(device, 'connected', reading.mode, `${labelOf(device)} connected; reading it ${how}.`, null));
  }

  private feeder(info: UsbDeviceInfo, rule: DeviceRule, reading: InterfaceReading): Pick<OpenScanner, 'feed' | 'tick'> {
    const emit = (code: string, symbology: string | null) => {
      try {
        this.opts.onScan({ code, deviceId: info.id, sourceId: rule.sourceId, mode: reading.mode, symbology });
      } catch (err) {
        // A failing consumer must not end the device's read loop.
        log.error('a USB scan could not be handled', { device: info.id, error: messageOf(err) });
      }
    };
    if (reading.mode === 'pos') {
      const decoder = new PosScannerDecoder({ ...(reading.reportId !== null ? { reportId: reading.reportId } : {}), includesReportId: reading.includesReportId });
      return {
        feed: (report, now) => {
          const r = decoder.push(report, now);
          if (r.kind === 'scan') emit(r.code, r.symbology);
          else if (r.kind === 'ignored') log.debug('HID POS report ignored', { device: info.id, reason: r.reason });
        },
        tick: () => undefined,
      };
    }
    const reader = new KeyboardScanReader({
      layout: rule.layout,
      includesReportId: reading.includesReportId,
      terminators: this.opts.config.terminators,
      idleTimeoutMs: this.opts.config.idleTimeoutMs,
    });
    return {
      feed: (report, now) => {
        // A composite keyboard's other reports (consumer keys…) have their own report ID.
        if (reading.includesReportId && reading.reportId !== null && report[0] !== reading.reportId) return;
        for (const code of reader.push(report, now)) emit(code, null);
      },
      tick: (now) => {
        for (const code of reader.tick(now)) emit(code, null);
      },
    };
  }

  /** The read loop ended by itself: the device is gone, or a transfer failed. */
  private async readEnded(deviceId: string, err: unknown): Promise<void> {
    const scanner = this.scanners.get(deviceId);
    if (!scanner) return;
    this.scanners.delete(deviceId);
    await this.close(scanner, { reattach: false, loopEnded: true });
    if (classifyUsbError(err) === 'disconnected') {
      this.report(deviceStatus(scanner.info, 'disconnected', null, `${labelOf(scanner.info)} was disconnected.`, null));
      return;
    }
    this.failed(scanner.info, err, 'read');
  }

  private async detached(deviceId: string): Promise<void> {
    await this.opening.get(deviceId);
    const scanner = this.scanners.get(deviceId);
    if (scanner) {
      this.scanners.delete(deviceId);
      await this.close(scanner, { reattach: false });
    }
    const known = scanner?.info ?? this.statusDevice(deviceId);
    if (known) this.report(deviceStatus(known, 'disconnected', null, `${labelOf(known)} was disconnected.`, null));
  }

  private async close(s: OpenScanner, how: { reattach: boolean; loopEnded?: boolean }): Promise<void> {
    if (!how.loopEnded) await s.reading.stop().catch(() => undefined);
    // Closing is best effort: the device may already be gone.
    await s.handle.release(s.interfaceNumber, { reattachKernelDriver: how.reattach }).catch(() => undefined);
    await s.handle.close().catch(() => undefined);
  }

  private failed(info: UsbDeviceInfo, err: unknown, step: 'open' | 'claim' | 'read'): void {
    const kind = classifyUsbError(err);
    const label = labelOf(info);
    // On macOS and Windows an interface the OS's HID driver holds fails to open or claim with varied
    // messages; the driver is then the likely cause, not a flaky cable.
    const ownedByOs = step !== 'read' && kind === 'other' && (this.platform === 'darwin' || this.platform === 'win32');
    const fix = accessFix(ownedByOs ? 'unsupported' : kind, { vendorId: info.vendorId, productId: info.productId, name: nameOf(info) }, this.platform, this.opts.config.detachKernelDriver);
    if (kind === 'permission-denied') {
      this.report(deviceStatus(info, 'permission-denied', null, `The operating system denied access to ${label} (${messageOf(err)}).`, fix));
    } else if (kind === 'disconnected') {
      this.report(deviceStatus(info, 'disconnected', null, `${label} was disconnected.`, null));
    } else {
      const what = step === 'read' ? 'Reading' : step === 'claim' ? 'Claiming the scanner interface of' : 'Opening';
      this.report(deviceStatus(info, 'error', null, `${what} ${label} failed (${messageOf(err)}); it was closed.`, fix));
    }
  }

  private statusDevice(deviceId: string): UsbDeviceInfo | null {
    const s = this.status.get(deviceId);
    if (!s || s.vendorId === null || s.productId === null) return null;
    return { id: deviceId, vendorId: s.vendorId, productId: s.productId, manufacturer: null, product: s.name, interfaces: null };
  }

  private report(status: ScannerStatus): void {
    this.status.set(status.deviceId, status);
    const fields = { device: status.deviceId, ...(status.fix ? { fix: status.fix } : {}) };
    if (status.state === 'connected' || status.state === 'disconnected') log.info(status.message, fields);
    else log.error(status.message, fields);
    try {
      this.opts.onStatus(status);
    } catch (err) {
      log.error('a scanner status could not be delivered', { error: messageOf(err) });
    }
  }
}

/** How linking.usb reads the device with these ids; null: it leaves the device alone. */
export function deviceRule(c: UsbScannersConfig, ids: { vendorId: number; productId: number }): DeviceRule | null {
  if (c.devices === 'auto') return isKnownScannerVendor(ids.vendorId) ? { mode: c.mode, layout: c.layout, sourceId: c.sourceId ?? null } : null;
  const d = c.devices.find((e) => e.vendorId === ids.vendorId && (e.productId === undefined || e.productId === ids.productId));
  return d ? { mode: d.mode ?? c.mode, layout: d.layout ?? c.layout, sourceId: d.sourceId ?? c.sourceId ?? null } : null;
}

function isHidIn(i: UsbInterfaceInfo): boolean {
  return i.class === 3 && i.inEndpoint !== null;
}

function isBootKeyboard(i: UsbInterfaceInfo): number {
  return i.subclass === 1 && i.protocol === 1 ? 1 : 0;
}

export function nameOf(info: UsbDeviceInfo): string {
  if (info.product) return info.product;
  const maker = knownScannerVendors.get(info.vendorId);
  return maker ? `${maker} scanner` : 'USB device';
}

/** "Voyager 1400g (0c2e:0b81) on USB port 1-1.2", as the technician's messages name a device. */
export function labelOf(info: UsbDeviceInfo): string {
  const port = info.id.includes('@') ? ` on USB port ${info.id.slice(info.id.indexOf('@') + 1)}` : '';
  return `${nameOf(info)} (${hex4(info.vendorId)}:${hex4(info.productId)})${port}`;
}

function deviceStatus(info: UsbDeviceInfo, state: ScannerState, mode: ScannerMode | null, message: string, fix: string | null): ScannerStatus {
  return { deviceId: info.id, vendorId: info.vendorId, productId: info.productId, name: nameOf(info), state, mode, message, fix };
}

function stackStatus(message: string, fix: string | null): ScannerStatus {
  return { deviceId: 'usb', vendorId: null, productId: null, name: 'USB', state: 'error', mode: null, message, fix };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
