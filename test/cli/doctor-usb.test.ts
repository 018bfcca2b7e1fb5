/** `capture-station doctor` has a line for USB scanners, from the real `usb` package on this machine. */
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { capture } from '../helpers/output.js';
import { makeHome } from '../helpers/station-home.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

async function usbLine(linking: Record<string, unknown>): Promise<string | undefined> {
  const h = makeHome({ linking });
  homes.push(h);
  const out = capture();
  await main(['doctor', '--home', h], out);
  return out.stdout.split('\n').find((l) => l.includes('] USB scanners:'));
}

describe('capture-station doctor: USB scanners', () => {
  it('says USB scanning is off when it is', async () => {
    expect(await usbLine({ enabled: true })).toBe('[ OK ] USB scanners: off (linking.usb.enabled is false): barcodes come from the keyboard-wedge input and `capture-station scan`');
  });

  // This test machine is a container without /sys/bus/usb; a machine with USB lists its scanners instead.
  it.skipIf(fs.existsSync('/sys/bus/usb'))('warns, with what to do, on a machine without a USB bus', async () => {
    expect(await usbLine({ enabled: true, usb: { enabled: true } })).toMatch(/^\[WARN\] USB scanners: linking\.usb\.enabled is on, but this machine has no USB bus .*set linking\.usb\.enabled to false/);
  });
});
