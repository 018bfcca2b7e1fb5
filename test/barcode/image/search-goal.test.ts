/** When a barcode search may stop (protocol.ts, goalReached): what the station decides from the image, and no earlier. */
import { describe, expect, it } from 'vitest';
import { firstCode, readEverything } from '../../../src/barcode/image/index.js';
import { codeAsBarcode, goalReached, type FoundCode } from '../../../src/barcode/image/protocol.js';

const code = (text: string, valid = true): FoundCode => ({ format: 'Code128', text, valid });

describe('goalReached', () => {
  it('first label: stops at the first code the project accepts, never at one it refuses', () => {
    expect(goalReached([], firstCode)).toBe(false);
    expect(goalReached([code('hello', false)], firstCode)).toBe(false);
    expect(goalReached([code('A')], firstCode)).toBe(true);
  });

  it("the scanned object's code: only that code stops it, however many others it reads", () => {
    const goal = { code: 'B', distinct: Infinity };
    expect(goalReached([code('A'), code('C'), code('D')], goal)).toBe(false);
    expect(goalReached([code('A'), code('B')], goal)).toBe(true);
    expect(goalReached([code('B', false)], goal)).toBe(false);
  });

  it('may open an object: a second distinct label settles it, counting the labels earlier passes read', () => {
    const goal = { code: null, distinct: 2 };
    expect(goalReached([code('A')], goal)).toBe(false);
    // The same code in another symbology is still one label.
    expect(goalReached([code('A'), { format: 'QRCode', text: 'A', valid: true }], goal)).toBe(false);
    expect(goalReached([code('B')], goal, ['A'])).toBe(true);
    // An object opened from an image stays while its own code shows.
    expect(goalReached([code('X')], { code: 'X', distinct: 2 })).toBe(true);
  });

  it('waiting for its scan: never stops early', () => {
    expect(goalReached([code('A'), code('B'), code('C')], readEverything, ['D'])).toBe(false);
  });
});

describe('codeAsBarcode', () => {
  it('fills the template of the code\'s symbology with the code as read, a "$" in it included; other symbologies are taken as read', () => {
    const templates = { EAN13: 'BR{text}' } as const;
    expect(codeAsBarcode('EAN13', '0000005182879', templates)).toBe('BR0000005182879');
    expect(codeAsBarcode('EAN13', "12$&3$'", templates)).toBe("BR12$&3$'");
    expect(codeAsBarcode('Code128', 'BR0000013087944', templates)).toBe('BR0000013087944');
  });
});
