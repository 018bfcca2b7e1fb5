/**
 * What the technician (or IT) must do when the OS will not let the station read a scanner. The
 * text names the exact file and commands, because "permission denied" alone leaves a rig stuck.
 */
import type { UsbFailureKind } from './backend.js';
import { hex4 } from './backend.js';

export const udevRulePath = '/etc/udev/rules.d/70-capture-station-scanner.rules';

/**
 * The udev rule giving the desktop user (TAG uaccess, applied by systemd-logind to whoever sits at
 * the machine) and the plugdev group read/write access to the scanners' USB device nodes. The file
 * sorts before 73-seat-late.rules, which is where uaccess tags take effect.
 */
export function udevRule(vendorIds: readonly number[]): string {
  const lines = [...new Set(vendorIds)].map((v) => `SUBSYSTEM=="usb", ATTR{idVendor}=="${hex4(v)}", MODE="0660", GROUP="plugdev", TAG+="uaccess"`);
  return ['# Capture Station: let the station read barcode scanners directly over USB.', ...lines].join('\n') + '\n';
}

export const udevReloadCommand = 'sudo udevadm control --reload-rules && sudo udevadm trigger';

export interface DeviceLabel {
  vendorId: number;
  productId: number;
  name: string;
}

/** The fix for a failure, on this platform; null when there is nothing the user can change. */
export function accessFix(kind: UsbFailureKind, device: DeviceLabel, platform: NodeJS.Platform, detachKernelDriver: boolean): string | null {
  const ids = `${hex4(device.vendorId)}:${hex4(device.productId)}`;
  if (platform === 'darwin' && (kind === 'permission-denied' || kind === 'busy' || kind === 'unsupported')) {
    return (
      `macOS keeps USB keyboards (and other HID interfaces) for itself, so ${device.name} (${ids}) cannot be read directly while it is in keyboard mode. ` +
      'Switch the scanner to its USB HID POS mode (scan the "USB HID POS" programming barcode in its manual) or install the vendor\'s driver; ' +
      'until then use the keyboard-wedge input in the station window (it needs keyboard focus).'
    );
  }
  if (platform === 'win32' && (kind === 'permission-denied' || kind === 'busy' || kind === 'unsupported')) {
    return (
      `Windows gives ${device.name} (${ids}) to its own HID driver, and raw USB access needs the WinUSB driver. ` +
      'Switching the device to WinUSB (e.g. with Zadig: Options → List All Devices, pick the scanner\'s interface, install WinUSB) makes the station read it, ' +
      'but the scanner then no longer types as a keyboard in any program; undo it in Device Manager (Update driver → HID Keyboard Device). ' +
      'Otherwise use the keyboard-wedge input in the station window.'
    );
  }
  if (kind === 'permission-denied') {
    if (platform !== 'linux') return `Give this user read/write access to the USB device ${ids}, or run the station as a user who has it.`;
    return (
      `Install a udev rule: write ${udevRulePath} containing\n` +
      udevRule([device.vendorId]) +
      `then run: ${udevReloadCommand}\n` +
      'and unplug and re-plug the scanner. With TAG+="uaccess" the user at the desktop gets access; ' +
      'for a station run as a service, add its user to plugdev (sudo usermod -aG plugdev USER) and restart it.'
    );
  }
  if (kind === 'busy') {
    if (platform === 'linux' && !detachKernelDriver) {
      return `The kernel's usbhid driver holds ${device.name} (${ids}). Set linking.usb.detachKernelDriver to true so the station takes it over while it runs.`;
    }
    return `Another program (or a second Capture Station) is reading ${device.name} (${ids}). Close it, then unplug and re-plug the scanner.`;
  }
  if (kind === 'unsupported') return `The operating system does not allow raw USB access to ${device.name} (${ids}) with its current driver.`;
  if (kind === 'disconnected') return null;
  return 'Unplug and re-plug the scanner; if this keeps happening, try another USB port or cable.';
}
