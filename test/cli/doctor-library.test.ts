/** `capture-station doctor` on the library: never creates it, says what to do, and applies linking.libraryMountCheck. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { capture } from '../helpers/output.js';
import { makeHome } from '../helpers/station-home.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

function home(linking: Record<string, unknown>): { home: string; library: string } {
  const h = makeHome();
  homes.push(h);
  const library = path.join(h, 'nas', 'Library');
  fs.writeFileSync(path.join(h, 'station.json'), JSON.stringify({ paths: { library }, linking }));
  return { home: h, library };
}

async function doctor(h: string): Promise<{ code: number; library: string }> {
  const out = capture();
  const code = await main(['doctor', '--home', h], out);
  return { code, library: out.stdout.split('\n').find((l) => l.includes('] library:')) ?? '' };
}

describe('capture-station doctor: the library', () => {
  it('reports a missing library with what to do, and does not create it', async () => {
    const { home: h, library } = home({ enabled: true });
    const { code, library: line } = await doctor(h);
    expect(line).toBe(
      `[WARN] library: ${library} does not exist. If it should be on another disk or share, mount that there; otherwise create it (or fix paths.library). Left as it is, the station creates it as an ordinary folder when it files the first capture.`,
    );
    expect(code).toBe(0);
    expect(fs.existsSync(library)).toBe(false);
    expect(fs.existsSync(path.dirname(library))).toBe(false);
  });

  it('with libraryMountCheck, fails an unmounted library (missing, or an ordinary folder) and passes one marked as meant to be local', async () => {
    const { home: h, library } = home({ enabled: true, libraryMountCheck: true });
    let { code, library: line } = await doctor(h);
    expect(code).toBe(1);
    expect(line).toMatch(/^\[FAIL\] library: the library .* looks unmounted: the folder does not exist; is the share mounted\? Captures are not filed \(they wait in the hot folder\) until it is\.$/);
    expect(fs.existsSync(library)).toBe(false);

    fs.mkdirSync(library, { recursive: true });
    ({ code, library: line } = await doctor(h));
    expect(code).toBe(1);
    expect(line).toMatch(/holds no \.capture-station-library file, so the share looks unmounted and filing would fill the local disk\. .*"linking\.libraryMountCheck": false\./);

    fs.writeFileSync(path.join(library, '.capture-station-library'), '');
    ({ code, library: line } = await doctor(h));
    expect(line).toBe(`[ OK ] library: ${library} (writable)`);
    expect(code).toBe(0);
  });
});
