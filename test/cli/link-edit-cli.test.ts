/**
 * The linking edits from the shell (relink, relink --object, split, merge, reshoot, undo) against a
 * real `capture-station run` of a temp home: each renames the filed files and says so, from → to,
 * each is undone by `undo`, names are resolved as export shows them (an ambiguous one is refused
 * with its candidates), bad usage exits 2 before anything is sent, and a station's refusal exits 1
 * with its reason and the command line that does what it suggests.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/load.js';
import { capture } from '../helpers/output.js';
import { writeGoodTiff } from '../helpers/images.js';
import { filesUnder, makeHome, waitFor } from '../helpers/station-home.js';
import { countInStation, exited, startStation, type StationProcess } from '../helpers/station-process.js';

async function cli(...args: string[]) {
  const out = capture();
  const code = await main([...args, '--home', home], out);
  return { code, stdout: out.stdout, stderr: out.stderr };
}

let home: string;
let library: string;
let inbox: string;
let station: StationProcess;

/** Drops a TIFF in the hot folder and waits until the station has filed `filed` files in all. */
async function shoot(name: string, seed: number, filed: number): Promise<void> {
  await writeGoodTiff(path.join(inbox, name), seed);
  await waitFor(() => filesUnder(library).length === filed && !fs.existsSync(path.join(inbox, name)), `${name} filed`);
}

beforeAll(async () => {
  home = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, linking: { enabled: true, template: '{barcode}/{seq:03}{ext}', barcode: { pattern: '[A-Z]-\\d|\\d{1,4}' } } });
  const config = loadConfig({ home });
  library = config.locations.library;
  inbox = config.sources[0]!.path;
  station = startStation(home);
  await station.ready;
}, 60_000);

afterAll(async () => {
  station.child.kill('SIGTERM');
  await exited(station.child);
  fs.rmSync(home, { recursive: true, force: true });
});

describe('linking edits from the command line', () => {
  it('refuse an undo with nothing to undo (exit 1), then shoot an object of three', async () => {
    expect(await cli('undo')).toEqual({ code: 1, stdout: '', stderr: 'REFUSED: There is no linking edit to undo.\n' });
    expect((await cli('scan', 'A-1')).code).toBe(0);
    await shoot('IMG_0001.tif', 1, 1);
    await shoot('IMG_0002.tif', 2, 2);
    await shoot('IMG_0003.tif', 3, 3);
    expect((await cli('scan', '%%END%%')).code).toBe(0);
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif']);
  }, 60_000);

  it('relink a capture by file name, say which file moved where, and undo it', async () => {
    const lib = (f: string) => path.join(library, f);
    expect(await cli('relink', 'IMG_0002.tif', '--to', 'B-2')).toEqual({ code: 0, stdout: `Done: relink IMG_0002.tif: A-1 → B-2 (capture-station undo reverses it).\n  renamed ${lib('A-1/002.tif')} → ${lib('B-2/001.tif')}\n`, stderr: '' });
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/003.tif', 'B-2/001.tif']);
    expect(await cli('undo')).toEqual({ code: 0, stdout: `Undid "relink IMG_0002.tif: A-1 → B-2": IMG_0002.tif is shot 2 of A-1.\n  renamed ${lib('B-2/001.tif')} → ${lib('A-1/002.tif')}\n`, stderr: '' });
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif']);
    // By id and by the library path export shows, the same capture.
    const byPath = await cli('relink', lib('A-1/003.tif'), '--to', 'B-2');
    expect(byPath).toMatchObject({ code: 0, stdout: expect.stringContaining(`renamed ${lib('A-1/003.tif')} → ${lib('B-2/001.tif')}`) });
    expect((await cli('undo')).code).toBe(0);
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif']);
  }, 60_000);

  it('split at a capture, or at a shot number of an object by barcode, and undo each', async () => {
    const split = await cli('split', 'IMG_0002.tif', '--to', 'C-3');
    expect(split).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Done: split IMG_0002\.tif, IMG_0003\.tif off A-1 → C-3 /) });
    expect(split.stdout.match(/renamed /g)).toHaveLength(2);
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'C-3/001.tif', 'C-3/002.tif']);
    expect(await cli('undo')).toMatchObject({ code: 0, stdout: expect.stringContaining('IMG_0002.tif is shot 2 of A-1; IMG_0003.tif is shot 3 of A-1') });
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif']);

    expect(await cli('split', 'A-1', '--from', '3', '--to', 'C-3')).toMatchObject({ code: 0, stdout: expect.stringContaining(`renamed ${path.join(library, 'A-1/003.tif')} → ${path.join(library, 'C-3/001.tif')}`) });
    expect((await cli('undo')).code).toBe(0);
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif']);
  }, 60_000);

  it('rename an object by its barcode, and undo it', async () => {
    const renamed = await cli('relink', '--object', 'A-1', '--to', 'D-4');
    expect(renamed).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Done: rename A-1 → D-4 \(3 captures\)/) });
    expect(renamed.stdout.match(/renamed /g)).toHaveLength(3);
    expect(filesUnder(library)).toEqual(['D-4/001.tif', 'D-4/002.tif', 'D-4/003.tif']);
    expect(await cli('undo')).toMatchObject({ code: 0, stdout: expect.stringContaining('object A-1 has its barcode back (3 captures named under it again)') });
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif']);
  }, 60_000);

  it('merge an object into a barcode; refusals say why with the command line that fixes it (exit 1)', async () => {
    expect((await cli('relink', 'IMG_0003.tif', '--to', 'E-5')).code).toBe(0);
    const rename = await cli('relink', '--object', 'A-1', '--to', 'E-5');
    expect(rename).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^REFUSED: Object E-5 already exists \(1 shot\).*use Merge into E-5.*\nOn the command line: capture-station merge A-1 --into E-5\n$/s) });
    const noSuch = await cli('merge', 'A-1', '--into', 'Z-9');
    expect(noSuch).toMatchObject({ code: 1, stderr: 'REFUSED: There is no object Z-9 to merge A-1 into. To give A-1 that barcode instead, use Rename object.\nOn the command line: capture-station relink --object A-1 --to Z-9\n' });
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'E-5/001.tif']);

    const merged = await cli('merge', 'E-5', '--into', 'A-1');
    expect(merged).toMatchObject({ code: 0, stdout: `Done: merge E-5 (IMG_0003.tif) → A-1 (capture-station undo reverses it).\n  renamed ${path.join(library, 'E-5/001.tif')} → ${path.join(library, 'A-1/003.tif')}\n` });
    expect(await cli('undo')).toMatchObject({ code: 0, stdout: expect.stringContaining('IMG_0003.tif is shot 1 of E-5') });
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'E-5/001.tif']);
    expect((await cli('undo')).code).toBe(0);
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif']);

    // Object E-5 is left with no shots: it is still the object E-5 a merge means, numbered from 1.
    const intoEmpty = await cli('merge', 'A-1', '--into', 'E-5');
    expect(intoEmpty).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Done: merge A-1 \(IMG_0001\.tif, IMG_0002\.tif, IMG_0003\.tif\) → E-5 /) });
    expect(filesUnder(library)).toEqual(['E-5/001.tif', 'E-5/002.tif', 'E-5/003.tif']);
    expect((await cli('undo')).code).toBe(0);
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif']);
  }, 60_000);

  it('flag a capture for re-shoot and clear it, its filed file set aside and back; undo takes back each', async () => {
    const [filed, setAside] = [path.join(library, 'A-1/001.tif'), path.join(library, '_reshoot/A-1/IMG_0001.tif')];
    const reshoot = async () => (JSON.parse((await cli('export')).stdout) as { relPath: string; reshoot: boolean }[]).find((r) => r.relPath === 'IMG_0001.tif')!.reshoot;
    expect(await cli('reshoot', 'IMG_0001.tif')).toEqual({ code: 0, stdout: `Done: flag IMG_0001.tif for re-shoot (capture-station undo reverses it).\n  renamed ${filed} → ${setAside}\n`, stderr: '' });
    expect(await reshoot()).toBe(true);
    expect(filesUnder(library)).toEqual(['A-1/002.tif', 'A-1/003.tif', '_reshoot/A-1/IMG_0001.tif']);
    // An edit that would change nothing is not sent: the undos below take back the two real ones.
    expect(await cli('reshoot', '1')).toMatchObject({ code: 1, stdout: '', stderr: 'REFUSED: Capture 1 (IMG_0001.tif) is already flagged for re-shoot: nothing to change. To take the flag off, add --clear.\n' });
    expect(await cli('reshoot', 'IMG_0001.tif', '--clear')).toMatchObject({ code: 0, stdout: `Done: clear the re-shoot flag of IMG_0001.tif (capture-station undo reverses it).\n  renamed ${setAside} → ${filed}\n` });
    expect(await reshoot()).toBe(false);
    expect(await cli('undo')).toMatchObject({ code: 0, stdout: `Undid "clear the re-shoot flag of IMG_0001.tif": IMG_0001.tif is flagged for re-shoot again.\n  renamed ${filed} → ${setAside}\n` });
    expect(await reshoot()).toBe(true);
    expect(await cli('undo')).toMatchObject({ code: 0, stdout: `Undid "flag IMG_0001.tif for re-shoot": IMG_0001.tif is no longer flagged for re-shoot.\n  renamed ${setAside} → ${filed}\n` });
    expect(await reshoot()).toBe(false);
    expect(await cli('reshoot', 'IMG_0001.tif', '--clear')).toMatchObject({ code: 1, stdout: '', stderr: 'REFUSED: Capture 1 (IMG_0001.tif) is not flagged for re-shoot: nothing to change.\n' });
    expect(await cli('undo')).toMatchObject({ code: 1, stderr: 'REFUSED: There is no linking edit to undo.\n' });
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif']);
  }, 60_000);

  it('bad usage exits 2 before anything is sent: no barcode, a barcode the pattern refuses, a control code, unknown or ambiguous names', async () => {
    expect(await cli('relink', 'IMG_0001.tif')).toMatchObject({ code: 2, stderr: expect.stringContaining('Say which barcode to relink to') });
    expect(await cli('relink', 'IMG_0001.tif', '--to', 'B-22')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^capture-station relink: --to B-22: the barcode .*pattern/) });
    expect(await cli('relink', 'IMG_0001.tif', '--to', '%%END%%')).toMatchObject({ code: 2, stderr: 'capture-station relink: --to %%END%%: that is a control code, not an object barcode.\n' });
    expect(await cli('relink', 'IMG_9999.tif', '--to', 'B-2')).toMatchObject({ code: 2, stderr: expect.stringContaining('No capture is named "IMG_9999.tif"') });
    expect(await cli('relink', '9999', '--to', 'B-2')).toMatchObject({ code: 2, stderr: expect.stringContaining('There is no capture 9999') });
    expect(await cli('split', 'A-1', '--from', '0', '--to', 'C-3')).toMatchObject({ code: 2, stderr: expect.stringContaining('--from is the number of the first shot') });
    expect(await cli('merge', 'A-1')).toMatchObject({ code: 2, stderr: expect.stringContaining('capture-station merge OBJECT --into BARCODE') });
    expect(await cli('reshoot', 'IMG_0001.tif', 'IMG_0002.tif')).toMatchObject({ code: 2 });
    expect(await cli('undo', 'IMG_0001.tif')).toMatchObject({ code: 2 });
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif']);
    // 001.tif ends the library paths of IMG_0001.tif only while one object has a shot 1; a second object has one.
    expect((await cli('relink', 'IMG_0003.tif', '--to', 'E-5')).code).toBe(0);
    const ambiguous = await cli('relink', '001.tif', '--to', 'B-2');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/"001\.tif" names 2 captures:\n {2}\d+: .*A-1\/001\.tif \(inbox\/IMG_0001\.tif, pass, shot 1 of A-1\)\n {2}\d+: .*E-5\/001\.tif \(inbox\/IMG_0003\.tif, pass, shot 1 of E-5\)\nName the one you mean by its id as capture:ID \(the number first on its line\)\.\n$/);
    // The same for an object named by a file: its bare id would be read as a barcode there.
    expect(await cli('relink', '--object', '001.tif', '--to', 'B-2')).toMatchObject({ code: 2, stderr: ambiguous.stderr });
    expect((await cli('undo')).code).toBe(0);
    // A barcode scanned again opens a second object: naming it by barcode is ambiguous, by a capture it is not.
    expect((await cli('scan', 'A-1')).code).toBe(0);
    await shoot('IMG_0004.tif', 4, 4);
    expect((await cli('scan', '%%END%%')).code).toBe(0);
    const twoObjects = await cli('split', 'A-1', '--from', '1', '--to', 'F-6');
    expect(twoObjects).toMatchObject({ code: 2, stderr: expect.stringMatching(/Barcode A-1 has 2 objects:\n {2}object \d+: A-1 at inbox, closed, 3 shots, .*\n {2}object \d+: A-1 at inbox, closed, 1 shot, .*\nName the one you mean by one of its captures/) });
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif', 'A-1/004.tif']);
    expect(await cli('relink', '--object', 'IMG_0004.tif', '--to', 'F-6')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Done: rename A-1 → F-6 \(1 capture\)/) });
    expect(filesUnder(library)).toEqual(['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif', 'F-6/004.tif']);
  }, 60_000);

  it('a bare number names an object only as its barcode, refused when it is also a capture id of another; capture:N names capture N', async () => {
    const lib = (f: string) => path.join(library, f);
    const ids = new Map((JSON.parse((await cli('export')).stdout) as { id: number; relPath: string }[]).map((r) => [r.relPath, r.id]));
    const [two, three] = [ids.get('IMG_0002.tif')!, ids.get('IMG_0003.tif')!];
    // An object whose barcode is the id of a capture of A-1.
    expect((await cli('scan', String(two))).code).toBe(0);
    await shoot('IMG_0006.tif', 6, 5);
    expect((await cli('scan', '%%END%%')).code).toBe(0);
    const six = (JSON.parse((await cli('export')).stdout) as { id: number; relPath: string }[]).find((r) => r.relPath === 'IMG_0006.tif')!.id;
    const files = ['A-1/001.tif', 'A-1/002.tif', 'A-1/003.tif', 'F-6/004.tif', `${two}/001.tif`].sort();
    expect(filesUnder(library)).toEqual(files);

    const both = await cli('relink', '--object', String(two), '--to', '7');
    expect(both.code).toBe(2);
    const [head, byBarcode, byCapture, say, end] = both.stderr.split('\n');
    expect(head).toBe(`capture-station relink: "${two}" names 2 objects:`);
    expect(byBarcode).toMatch(new RegExp(`^ {2}object \\d+: ${two} at inbox, closed, 1 shot, opened \\S+ — by its barcode$`));
    expect(byCapture).toMatch(/^ {2}object \d+: A-1 — by capture /);
    expect(byCapture).toContain(` — by capture ${two}: ${lib('A-1/002.tif')} (inbox/IMG_0002.tif, pass, shot 2 of A-1)`);
    expect([say, end]).toEqual([`Name the one you mean by one of its captures as capture:ID: capture:${six} for ${two}, capture:${two} for A-1.`, '']);
    // A mistyped barcode that is some capture's id is not read as that capture.
    expect(await cli('relink', '--object', String(three), '--to', '7')).toMatchObject({
      code: 2,
      stderr: `capture-station relink: No object has the barcode "${three}", and no capture's file is named so. Capture ${three}: ${lib('A-1/003.tif')} (inbox/IMG_0003.tif, pass, shot 3 of A-1) has that id: to name its object by it, write capture:${three}.\n`,
    });
    expect(filesUnder(library)).toEqual(files);

    expect(await cli('relink', '--object', `capture:${six}`, '--to', '7')).toMatchObject({ code: 0, stdout: `Done: rename ${two} → 7 (1 capture) (capture-station undo reverses it).\n  renamed ${lib(`${two}/001.tif`)} → ${lib('7/001.tif')}\n` });
    expect((await cli('undo')).code).toBe(0);
    expect(await cli('relink', `capture:${six}`, '--to', '8')).toMatchObject({ code: 0, stdout: expect.stringContaining(`renamed ${lib(`${two}/001.tif`)} → ${lib('8/001.tif')}\n`) });
    expect((await cli('undo')).code).toBe(0);
    expect(await cli('relink', 'capture:999', '--to', '8')).toMatchObject({ code: 2, stderr: expect.stringContaining('There is no capture 999') });
    expect(filesUnder(library)).toEqual(files);
  }, 60_000);
});

describe('linking a capture shot with no object open', () => {
  it('cannot split it (exit 2); relink links it, it is filed, and undo puts it back in the hot folder', async () => {
    await writeGoodTiff(path.join(inbox, 'IMG_0005.tif'), 5);
    // Once the station has told it is not linked, it waits to be linked by hand.
    await waitFor(() => countInStation(home, `SELECT COUNT(*) AS n FROM events e JOIN captures c ON c.id = e.capture_id WHERE e.type = 'capture.not-linked' AND c.rel_path = 'IMG_0005.tif'`) === 1, 'IMG_0005.tif not linked');
    const before = filesUnder(library);
    expect(await cli('split', 'IMG_0005.tif', '--to', 'C-3')).toMatchObject({ code: 2, stderr: expect.stringContaining('(IMG_0005.tif) is not linked to any object, so there is nothing to split: link it with capture-station relink') });
    const linked = await cli('relink', 'IMG_0005.tif', '--to', 'A-1');
    // Not filed yet: the answer says where the station files it next, and that is where it goes.
    expect(linked).toMatchObject({ code: 0, stdout: `Done: link IMG_0005.tif → A-1 (capture-station undo reverses it).\n  to be filed: ${path.join(inbox, 'IMG_0005.tif')} → ${path.join(library, 'A-1/004.tif')} (not in the library yet: the station moves it there next)\n` });
    await waitFor(() => countInStation(home, `SELECT COUNT(*) AS n FROM events e JOIN captures c ON c.id = e.capture_id WHERE e.type = 'capture.filed' AND c.rel_path = 'IMG_0005.tif'`) === 1, 'IMG_0005.tif filed under A-1');
    expect(filesUnder(library)).toContain('A-1/004.tif');
    expect(await cli('undo')).toMatchObject({ code: 0, stdout: `Undid "link IMG_0005.tif → A-1": IMG_0005.tif is not linked, back where it was found.\n  renamed ${path.join(library, 'A-1/004.tif')} → ${path.join(inbox, 'IMG_0005.tif')}\n` });
    expect(filesUnder(library)).toEqual(before);
    expect(fs.existsSync(path.join(inbox, 'IMG_0005.tif'))).toBe(true);
    // Undone at once, while the station may still be filing it: the undo waits for the filing, and names only its own move.
    expect((await cli('relink', 'IMG_0005.tif', '--to', 'A-1')).code).toBe(0);
    expect(await cli('undo')).toMatchObject({ code: 0, stdout: `Undid "link IMG_0005.tif → A-1": IMG_0005.tif is not linked, back where it was found.\n  renamed ${path.join(library, 'A-1/004.tif')} → ${path.join(inbox, 'IMG_0005.tif')}\n` });
    expect(filesUnder(library)).toEqual(before);
  }, 60_000);
});

describe('capture-station --help', () => {
  it('lists the linking edits', async () => {
    const out = capture();
    expect(await main(['--help'], out)).toBe(0);
    for (const line of ['relink CAPTURE… --to BARCODE', '--object OBJECT', 'split CAPTURE --to BARCODE', '--from N', 'merge OBJECT --into BARCODE', 'reshoot CAPTURE', '--clear', 'undo ']) expect(out.stdout).toContain(`  ${line}`);
    expect(out.stdout).toContain("Flag the capture's whole shot to be shot again (not uploaded); its filed files\n                           are set aside in _reshoot/<barcode>/ (back under their names on --clear or undo)");
  });
});

describe('linking edits with no station running', () => {
  it('say what scan says, and exit 1', async () => {
    const idle = makeHome({ linking: { enabled: true } });
    try {
      const run = async (...args: string[]) => {
        const out = capture();
        return { code: await main([...args, '--home', idle], out), stderr: out.stderr };
      };
      const scan = await run('scan', 'A-1');
      expect(scan).toMatchObject({ code: 1, stderr: expect.stringMatching(/^capture-station scan: No station is running for this home/) });
      for (const args of [['relink', '1', '--to', 'A-1'], ['split', '1', '--to', 'A-1'], ['merge', 'A-1', '--into', 'B-1'], ['reshoot', '1'], ['undo']]) {
        expect(await run(...args)).toEqual({ code: 1, stderr: scan.stderr.replace('capture-station scan:', `capture-station ${args[0]}:`) });
      }
    } finally {
      fs.rmSync(idle, { recursive: true, force: true });
    }
  });
});
