/**
 * `doctor`'s line for USB scanners: whether linking.usb is on, whether this machine has a USB bus,
 * and which configured scanners are present and may be opened. It only looks: a device is opened
 * and closed again, never claimed, so a running station keeps reading it.
 */
import { accessFix } from './access-help.js';
import { classifyUsbError, type UsbBackend, type UsbDeviceInfo } from './backend.js';
import type { UsbScannersConfig } from './config.js';
import { noScannerPresent, noUsbBus } from './presence.js';
import { deviceRule, labelOf, nameOf } from './scanner-service.js';

export interface UsbFinding {
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

export async function checkUsbScanners(linkingEnabled: boolean, config: UsbScannersConfig, load: () => Promise<UsbBackend>, platform: NodeJS.Platform = process.platform): Promise<UsbFinding> {
  if (!config.enabled) return { status: 'ok', detail: 'off (linking.usb.enabled is false): barcodes come from the keyboard-wedge input and `capture-station scan`' };
  if (!linkingEnabled) return { status: 'warn', detail: 'linking.usb.enabled is on but linking.enabled is off, so no scanner is read: turn linking on, or USB scanning off' };
  let backend: UsbBackend;
  try {
    backend = await load();
  } catch (err) {
    return { status: 'fail', detail: `USB scanners cannot be read: ${messageOf(err)}. Reinstall the station (the usb package ships its native module per platform), or use the keyboard-wedge input.` };
  }
  let devices: UsbDeviceInfo[];
  try {
    devices = await backend.list((ids) => deviceRule(config, ids) !== null);
  } catch (err) {
    return { status: 'fail', detail: `USB devices cannot be listed: ${messageOf(err)}` };
  }
  if (!backend.busPresent()) return { status: 'warn', detail: noUsbBus };
  if (devices.length === 0) return { status: 'warn', detail: noScannerPresent(config) };
  const readable: string[] = [];
  const problems: { denied: boolean; text: string }[] = [];
  for (const device of devices) {
    try {
      const handle = await backend.open(device.id);
      await handle.close().catch(() => undefined);
      readable.push(labelOf(device));
    } catch (err) {
      const kind = classifyUsbError(err);
      const fix = accessFix(kind, { vendorId: device.vendorId, productId: device.productId, name: nameOf(device) }, platform, config.detachKernelDriver);
      const what = kind === 'permission-denied' ? `the operating system denied access to ${labelOf(device)}` : `${labelOf(device)} could not be opened`;
      problems.push({ denied: kind === 'permission-denied', text: `${what} (${messageOf(err)})${fix ? `. ${fix}` : ''}` });
    }
  }
  if (problems.length === 0) return { status: 'ok', detail: `enabled; ${readable.length} scanner${readable.length === 1 ? '' : 's'} present and readable: ${readable.join(', ')}` };
  const present = readable.length > 0 ? `; readable: ${readable.join(', ')}` : '';
  return { status: problems.some((p) => p.denied) ? 'fail' : 'warn', detail: `enabled, but ${problems.map((p) => p.text).join('; ')}${present}` };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
