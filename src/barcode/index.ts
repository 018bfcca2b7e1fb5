/**
 * Barcode input: what a scan is (wedge detection, USB HID decoding) and whether it may become an
 * object (pattern, check digit, control codes). Pure building blocks; no I/O here.
 */
export * from './check-digits.js';
export * from './rules.js';
export * from './validate.js';
export * from './wedge-detector.js';
export * from './hid/keyboard-layouts.js';
export * from './hid/boot-keyboard.js';
export * from './hid/keyboard-scans.js';
export * from './hid/pos-scanner.js';
