/**
 * `linking.usb`: barcode scanners read directly over USB (off by default: it takes the scanner's
 * keyboard away from the OS while the station runs). IDs may be written as numbers or as the hex
 * that lsusb and the device manager show ("0c2e" or "0x0c2e"), since JSON has no hex literals.
 */
import { z } from 'zod';
import { keyboardLayoutIds } from '../hid/keyboard-layouts.js';

const usbId = z.union([
  z.number().int().min(0).max(0xffff),
  z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{1,4}$/, 'a USB id in hex, e.g. "0c2e"')
    .transform((s) => parseInt(s.replace(/^0x/i, ''), 16)),
]);

export const scannerModes = ['auto', 'keyboard', 'pos'] as const;

export const usbScannerDeviceSchema = z.strictObject({
  vendorId: usbId,
  /** Omitted: every product of the vendor. */
  productId: usbId.optional(),
  /** keyboard: HID boot/report keyboard; pos: HID POS (usage page 0x8C); auto: whichever interface the scanner offers (POS first). */
  mode: z.enum(scannerModes).optional(),
  layout: z.enum(keyboardLayoutIds).optional(),
  /** The hot-folder source this scanner's scans are for; omitted: linking.usb.sourceId, or the only source. */
  sourceId: z.string().min(1).optional(),
});

export const usbScannersSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** "auto": HID keyboards and HID POS devices of known scanner makers (src/barcode/usb/known-scanners.ts); or a list. */
  devices: z.union([z.literal('auto'), z.array(usbScannerDeviceSchema).min(1)]).default('auto'),
  mode: z.enum(scannerModes).default('auto'),
  /** The keyboard layout the scanner is set to (keyboard mode). */
  layout: z.enum(keyboardLayoutIds).default('us'),
  /** Keys that end a scan in keyboard mode; empty: a scan ends after idleTimeoutMs without keys. */
  terminators: z.array(z.enum(['Enter', 'Tab'])).default(['Enter', 'Tab']),
  idleTimeoutMs: z.number().int().min(20).max(5000).default(300),
  /** Linux: take the interface from the kernel's usbhid driver while the station runs (given back on stop). */
  detachKernelDriver: z.boolean().default(true),
  sourceId: z.string().min(1).optional(),
});

export type UsbScannersConfig = z.output<typeof usbScannersSchema>;
export type UsbScannersConfigInput = z.input<typeof usbScannersSchema>;
export type UsbScannerDeviceConfig = z.output<typeof usbScannerDeviceSchema>;
export type ScannerModeSetting = (typeof scannerModes)[number];
