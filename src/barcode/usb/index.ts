/** Barcode scanners read directly over USB (HID keyboard or HID POS), behind a small backend port. */
export * from './backend.js';
export * from './config.js';
export * from './access-help.js';
export * from './known-scanners.js';
export * from './hid-report-descriptor.js';
export * from './scanner-service.js';
export { createNodeUsbBackend, deviceIdOf, type NodeUsbBackendOptions } from './node-usb-backend.js';
