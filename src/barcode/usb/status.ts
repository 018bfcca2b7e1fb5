/**
 * What the USB scanner service reports, as plain data: these types cross every transport (the
 * contract's 'scanner.status' event), so they stay free of Node types for the browser UI.
 */
export type ScannerMode = 'keyboard' | 'pos';

export type ScannerState = 'connected' | 'permission-denied' | 'error' | 'disconnected';

export interface ScannerStatus {
  /** The device ("0c2e:0b81@1-1.2"), or "usb" for the USB stack as a whole. */
  deviceId: string;
  vendorId: number | null;
  productId: number | null;
  name: string;
  state: ScannerState;
  /** How it is read, once connected. */
  mode: ScannerMode | null;
  message: string;
  /** What to do about it (the udev rule, the driver caveat…); null when nothing needs doing. */
  fix: string | null;
}

export interface UsbScan {
  code: string;
  deviceId: string;
  /** The source the config assigns this scanner to; null: the station decides (its only source). */
  sourceId: string | null;
  mode: ScannerMode;
  /** HID POS only, when the scanner sends an AIM identifier. */
  symbology: string | null;
}
