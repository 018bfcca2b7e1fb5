/**
 * What to tell the technician when linking.usb is on but no scanner can be read because none is
 * there: no USB bus at all, or no device the config opens. Shared by the running station's log and
 * `doctor`, so both say the same thing. (A scanner that is there but refused is a per-device status
 * with its own fix, see access-help.ts.)
 */
import { hex4 } from './backend.js';
import type { UsbScannersConfig } from './config.js';
import { knownScannerVendors } from './known-scanners.js';

/** The devices linking.usb opens, in words ("0c2e:0b81, 05e0 (any product)", or the known makers' vendor ids). */
export function wantedDevices(config: Pick<UsbScannersConfig, 'devices'>): string {
  if (config.devices === 'auto') return `devices: auto, a scanner of a known maker (vendor ids ${[...knownScannerVendors].map(([id, maker]) => `${hex4(id)} ${maker}`).join(', ')})`;
  return `the devices listed in linking.usb.devices (${config.devices.map((d) => (d.productId === undefined ? `${hex4(d.vendorId)} (any product)` : `${hex4(d.vendorId)}:${hex4(d.productId)}`)).join(', ')})`;
}

export const noUsbBus =
  'linking.usb.enabled is on, but this machine has no USB bus (/sys/bus/usb is missing: a container, or a VM without USB passed through), so no USB scanner can be read. ' +
  'Run the station where the scanner is plugged in (or pass the USB bus through to it), or set linking.usb.enabled to false and scan with the keyboard-wedge input or `capture-station scan`.';

/** No device the config opens is connected. */
export function noScannerPresent(config: Pick<UsbScannersConfig, 'devices'>): string {
  return (
    `linking.usb.enabled is on, but no USB scanner it reads is connected: none of ${wantedDevices(config)} is present. ` +
    'Plug the scanner in (it is picked up when it is). If it is plugged in, find its vendor:product id (lsusb on Linux, System Information on macOS, Device Manager on Windows) ' +
    'and add it to linking.usb.devices; check that it is set to USB HID keyboard or HID POS mode.'
  );
}
