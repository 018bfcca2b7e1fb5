/**
 * The real backend over the `usb` package: it loads, lists and watches without a scanner attached.
 * On this test machine the native module loads but Linux exposes no USB bus (/sys/bus/usb is
 * missing in the container), so the listing is empty; a machine with USB lists its devices.
 */
import { describe, expect, it } from 'vitest';
import { UsbBackendError, type UsbBackend } from '../../../src/barcode/usb/backend.js';
import { createNodeUsbBackend, deviceIdOf } from '../../../src/barcode/usb/node-usb-backend.js';

let backend: UsbBackend | null = null;
let loadError: string | null = null;
try {
  backend = await createNodeUsbBackend({ readTimeoutMs: 100 });
} catch (err) {
  // Only a missing native module for this platform skips; anything else fails below.
  if (!(err instanceof UsbBackendError && err.kind === 'unavailable')) throw err;
  loadError = err.message;
}

describe('node-usb backend', () => {
  it('names devices by vendor, product and port path', () => {
    expect(deviceIdOf({ vendorId: 0x0c2e, productId: 0x0b81, bus: '1', address: 7, ports: [1, 2] })).toBe('0c2e:0b81@1-1.2');
    expect(deviceIdOf({ vendorId: 0x05e0, productId: 0x1200, bus: '3', address: 4, ports: [] })).toBe('05e0:1200@3:4');
  });

  it.skipIf(backend === null)(`loads the native module and lists devices${loadError ? ` (skipped: ${loadError})` : ''}`, async () => {
    const devices = await backend!.list();
    expect(Array.isArray(devices)).toBe(true);
    for (const d of devices) expect(d.id).toMatch(/^[0-9a-f]{4}:[0-9a-f]{4}@/);
    const stop = await backend!.watch({ attach: () => undefined, detach: () => undefined }, () => false);
    await stop();
  });

  it.skipIf(backend === null)('refuses to open a device that is not there', async () => {
    await expect(backend!.open('0c2e:0b81@9-9')).rejects.toMatchObject({ kind: 'disconnected' });
  });
});
