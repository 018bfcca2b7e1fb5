/**
 * USB vendor IDs of barcode-scanner makers, for `devices: "auto"`. Source: the USB ID Repository
 * (usb.ids 2025.07.26, as Debian's hwdata/usb.ids packages ship it), taking vendors under which it
 * lists barcode scanners or imagers. Only HID interfaces of these vendors' devices are opened, so
 * a keyboard, a camera or a label printer is never touched. A scanner from another maker (or sold
 * under a chip vendor's ID) is named explicitly in `linking.usb.devices`.
 *
 * Not listed, on purpose: 0x0bd7 (often quoted for Code Corporation) is "Andrew Pargeter &
 * Associates" in usb.ids with an analyzer under it, and Code Corporation has no entry there;
 * 0x0a5f (Zebra Technologies) lists label printers — Zebra's scanners use Symbol's 0x05e0.
 */
export const knownScannerVendors: ReadonlyMap<number, string> = new Map([
  [0x0c2e, 'Honeywell (Metrologic)'],
  [0x0536, 'Honeywell (Hand Held Products)'],
  [0x067e, 'Honeywell (Intermec)'],
  [0x05e0, 'Zebra (Symbol)'],
  [0x05f9, 'Datalogic (PSC)'],
  [0x080c, 'Datalogic'],
  [0x1eab, 'Newland'],
  [0x065a, 'Opticon'],
  [0x0db5, 'Access-IS'],
]);

export function isKnownScannerVendor(vendorId: number): boolean {
  return knownScannerVendors.has(vendorId);
}
