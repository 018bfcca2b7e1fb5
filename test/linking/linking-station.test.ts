/**
 * Barcode linking in a running station: scans sent the way `capture-station scan` sends them (over
 * the control socket), images dropped in the hot folder, files in the library by the template.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createLocalClient } from '../../src/contract/client.js';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { controlSocketPath, startControlSocket, type ControlSocket } from '../../src/server/control-socket.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { openStore } from '../../src/store/open.js';
import { writeGoodTiff } from '../helpers/images.js';
import { corpus, filesUnder, makeHome, waitFor } from '../helpers/station-home.js';
import { capture } from '../helpers/output.js';


const running: { station: Station; socket: ControlSocket; home: string }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.socket.close();
    await r.station.stop();
    fs.rmSync(r.home, { recursive: true, force: true });
  }
});

async function startStation(linking: StationConfigInput['linking']) {
  const home = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, linking: { enabled: true, ...linking } });
  return startIn(home);
}

/** The station of `home`, running with its control socket (stopped and removed after the test). */
async function startIn(home: string) {
  const config = loadConfig({ home });
  const station = new Station(config);
  await station.start();
  const socket = await startControlSocket(controlSocketPath(config.locations.dataDir), createHandlers(station));
  running.push({ station, socket, home });
  const scan = async (...codes: string[]) => {
    const out = capture();
    const code = await main(['scan', ...codes, '--home', home], out);
    return { code, ...out };
  };
  return { home, station, scan, library: config.locations.library, inbox: path.join(home, 'Inbox') };
}


describe('barcode linking in the station', () => {
  it('files the captures after a scan under the barcode by the template, and export shows the link', async () => {
    const s = await startStation({ template: '{barcode}/{barcode}_{seq:03}_{view}{ext}', views: ['front', 'back'] });
    expect((await s.scan('NMNH-0042')).stdout).toMatch(/OBJECT NMNH-0042 on inbox: object NMNH-0042 open \(0 shots\)/);
    await writeGoodTiff(path.join(s.inbox, 'IMG_0001.tif'), 1);
    await waitFor(() => s.station.store.counts().total === 1, 'first capture');
    await writeGoodTiff(path.join(s.inbox, 'IMG_0002.tif'), 25);
    await waitFor(() => filesUnder(s.library).length === 2, 'both captures filed');
    // A move links the new name before it removes the old one: done once filing has settled.
    await s.station.linker.settled();
    expect(filesUnder(s.library)).toEqual(['NMNH-0042/NMNH-0042_001_front.tif', 'NMNH-0042/NMNH-0042_002_back.tif']);
    expect(filesUnder(s.inbox)).toEqual([]);

    const out = capture();
    expect(await main(['export', '--home', s.home], out)).toBe(0);
    const rows = JSON.parse(out.stdout) as { relPath: string; path: string; barcode: string; seq: number; view: string }[];
    expect(rows.map((r) => [r.relPath, r.barcode, r.seq, r.view])).toEqual([
      ['IMG_0001.tif', 'NMNH-0042', 1, 'front'],
      ['IMG_0002.tif', 'NMNH-0042', 2, 'back'],
    ]);
    expect(rows[0]!.path).toBe(path.join(s.library, 'NMNH-0042/NMNH-0042_001_front.tif'));
  });

  it('refuses a barcode that breaks the project rules, and says why', async () => {
    const s = await startStation({ barcode: { pattern: 'NMNH-\\d{4}' } });
    const bad = await s.scan('NMNH-12');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/REFUSED: Barcode "NMNH-12" was refused: it does not match the project's pattern/);
    expect(s.station.linker.current()).toEqual({ inbox: null });
  });

  it('a refused scan (a misread next label) closes the open object, says so, and the next shot joins no object', async () => {
    const s = await startStation({ template: '{barcode}_{seq:03}{ext}', barcode: { pattern: 'BR\\d{13}' } });
    const alarms: string[] = [];
    s.station.on('link.effect', ({ effect }) => effect.type === 'alarm' && alarms.push(effect.message));
    await s.scan('BR5000000000001');
    await writeGoodTiff(path.join(s.inbox, 'a.tif'), 1);
    await waitFor(() => filesUnder(s.library).length === 1, 'a.tif filed');
    // Reader noise with no letter or digit names no object: refused, and the object stays open.
    expect(() => s.station.linker.scan('*-*')).toThrow(/^Barcode "\*-\*" was refused: it has no letter or digit, .* Scan it again, or check the label\.$/);
    expect(s.station.linker.current()).toEqual({ inbox: { barcode: 'BR5000000000001', shots: 1 } });
    const misread = await s.scan('BR500000000002');
    expect(misread.code).toBe(1);
    const said = 'Barcode "BR500000000002" was refused: it does not match the project\'s pattern';
    expect(misread.stderr).toContain(said);
    expect(misread.stderr).toContain("Object BR5000000000001 (1 shot) was closed so that the next object's shots are not filed under it; shots taken now join no object: scan the object's barcode again.");
    expect(s.station.linker.current()).toEqual({ inbox: null });
    await waitFor(() => alarms.some((a) => a.startsWith(said)), 'the alarm on screen');
    // Kept in the event log, on the source and the closed object.
    const db = openStore(loadConfig({ home: s.home }).locations.database);
    const logged = db.db.prepare(`SELECT object_id AS objectId, json_extract(data_json, '$.barcode') AS barcode FROM events WHERE type = 'alarm' AND instr(json_extract(data_json, '$.message'), ?) = 1`).all(said);
    db.close();
    expect(logged).toEqual([{ objectId: expect.any(Number), barcode: 'BR5000000000001' }]);

    await writeGoodTiff(path.join(s.inbox, 'b.tif'), 2);
    await waitFor(() => s.station.store.counts().total === 2, 'b.tif recorded');
    await s.station.linker.settled();
    const b = s.station.store.list({ limit: 10 }).find((c) => c.relPath === 'b.tif')!;
    expect(s.station.linker.links.linkOf(b.id)).toBeNull();
    expect(s.station.store.detail(b.id)!.events.map((e) => e.type)).toContain('capture.not-linked');
    expect(filesUnder(s.library)).toEqual(['BR5000000000001_001.tif']);
    expect(filesUnder(s.inbox)).toEqual(['b.tif']);
  });

  it('a refused scan with a right-to-left override, BEL, ESC or zero-width space shows each escaped in the refusal and the alarm, never raw', async () => {
    const s = await startStation({ barcode: { pattern: 'BR\\d{13}' } });
    const alarms: string[] = [];
    s.station.on('link.effect', ({ effect }) => effect.type === 'alarm' && alarms.push(effect.message));
    await s.scan('BR5000000000001');
    const refusals: string[] = [];
    for (const [code, shown] of [
      ['BR\u202e5000000000002', '"BR⟨U+202E⟩5000000000002"'],
      ['BR5000000000002\u0007', '"BR5000000000002⟨U+0007⟩"'],
      ['\u001b[2JBR5000000000002', '"⟨U+001B⟩[2JBR5000000000002"'],
      ['BR500000\u200b0000002', '"BR500000⟨U+200B⟩0000002"'],
    ] as const) {
      const message = (() => {
        try {
          s.station.linker.scan(code);
        } catch (err) {
          return (err as Error).message;
        }
        throw new Error(`${JSON.stringify(code)} was not refused`);
      })();
      expect(message).toMatch(new RegExp(`^Barcode ${shown.replace(/[+[\]]/g, '\\$&')} was refused: it contains `));
      refusals.push(message);
    }
    // The first closed the open object: its alarm is that refusal.
    await waitFor(() => alarms.length === 1, 'the alarm on screen');
    expect(alarms[0]).toBe(refusals[0]);
    for (const said of [...refusals, ...alarms]) for (const ch of ['\u202e', '\u0007', '\u001b', '\u200b']) expect(said).not.toContain(ch);
  });

  it('with linking.onRefusedScan "keep", a refused scan leaves the object open; a bad value is refused at load', async () => {
    const s = await startStation({ template: '{barcode}_{seq:03}{ext}', barcode: { pattern: 'BR\\d{13}' }, onRefusedScan: 'keep' });
    await s.scan('BR5000000000001');
    const misread = await s.scan('BR500000000002');
    expect(misread.code).toBe(1);
    expect(misread.stderr).toMatch(/was refused: it does not match the project's pattern .*Scan it again, or check the label\./);
    expect(s.station.linker.current()).toEqual({ inbox: { barcode: 'BR5000000000001', shots: 0 } });

    const home = makeHome({ linking: { enabled: true, onRefusedScan: 'drop' as 'keep' } });
    try {
      expect(() => loadConfig({ home })).toThrow(/linking\.onRefusedScan.*must be "close" \(a refused scan closes the open object\) or "keep"/s);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('with linking.charset "ascii", a capture is filed under an ASCII name made of its barcode, operator and original name', async () => {
    const s = await startStation({ template: '{operator}/{barcode}_{original}_{seq:03}{ext}', operator: 'Zoë Ørsted', charset: 'ascii' });
    await s.scan('BR-É1');
    await writeGoodTiff(path.join(s.inbox, 'Blüte Straße.tif'), 1);
    await waitFor(() => filesUnder(s.library).length === 1, 'the capture filed');
    await s.station.linker.settled();
    expect(filesUnder(s.library)).toEqual(['Zoe_Orsted/BR-E1_Blute_Strasse_001.tif']);
    expect(filesUnder(s.inbox)).toEqual([]);
  });

  it('UNDO takes the last shot off its object and leaves it in the hot folder flagged for re-shoot; a failed capture is not filed', async () => {
    const s = await startStation({ template: '{barcode}_{seq:02}{ext}' });
    await s.scan('B-1');
    await writeGoodTiff(path.join(s.inbox, 'a.tif'), 3);
    await waitFor(() => filesUnder(s.library).length === 1, 'a filed');
    fs.copyFileSync(path.join(corpus, 'tiff/pillow/crash-2020-10-test.tif'), path.join(s.inbox, 'broken.tif'));
    await waitFor(() => s.station.store.counts().fail === 1, 'broken recorded');
    // QC took the failed shot off already: UNDO only acknowledges it, says so, and names what the next UNDO takes.
    const undo = await s.scan('%%UNDO%%');
    expect(undo).toMatchObject({ code: 0, stdout: 'CONTROL %%UNDO%% on inbox: object B-1 open (1 shot); shot 2 (broken) of B-1 was already off (it failed QC), so nothing more was taken off; another UNDO takes shot 1 (a) off\n' });
    expect((await s.scan('%%END%%')).stdout).toMatch(/CONTROL %%END%% on inbox: object B-1 closed \(1 shot\); no object open/);
    await s.station.linker.settled();
    expect(filesUnder(s.library)).toEqual(['B-1_01.tif']);
    expect(filesUnder(s.inbox)).toEqual(['broken.tif']);
    const broken = s.station.store.list({ limit: 10 }).find((c) => c.relPath === 'broken.tif')!;
    expect(s.station.linker.links.linkOf(broken.id)).toBeNull();
    // Unlinked once, when it failed: UNDO logged no second unlink.
    expect(s.station.store.detail(broken.id)!.events.filter((e) => e.type === 'capture.unlinked')).toHaveLength(1);
  });

  it('a barcode scanned again continues its numbering and views; a RAW and its TIFF keep one number', async () => {
    const s = await startStation({ template: '{barcode}/{barcode}_{seq:03}_{view}{ext}', views: ['front', 'back'] });
    await s.scan('OBJ-1');
    await writeGoodTiff(path.join(s.inbox, 'S1.tif'), 1);
    await waitFor(() => filesUnder(s.library).length === 1, 'S1.tif filed');
    // Same stem, another extension: the shot's second file (its content does not matter here).
    await writeGoodTiff(path.join(s.inbox, 'S1.jpg'), 2);
    await waitFor(() => filesUnder(s.library).length === 2, 'S1.jpg filed');
    await s.scan('%%END%%');
    // It has one shot already (a RAW and its TIFF are one).
    expect((await s.scan('OBJ-1')).stdout).toMatch(/object OBJ-1 open \(1 shot\)/);
    await writeGoodTiff(path.join(s.inbox, 'S3.jpg'), 3);
    await waitFor(() => filesUnder(s.library).length === 3, 'S3.jpg filed');
    await writeGoodTiff(path.join(s.inbox, 'S3.tif'), 4);
    await waitFor(() => filesUnder(s.library).length === 4, 'S3.tif filed');
    await s.scan('%%END%%');
    await s.station.linker.settled();
    expect(filesUnder(s.library)).toEqual(['OBJ-1/OBJ-1_001_front.jpg', 'OBJ-1/OBJ-1_001_front.tif', 'OBJ-1/OBJ-1_002_back.jpg', 'OBJ-1/OBJ-1_002_back.tif']);
  });

  it('numbers a barcode per project: in another project it starts again at 1', async () => {
    const s = await startStation({ project: 'Herbarium', template: '{project}/{barcode}_{seq:03}{ext}' });
    const client = createLocalClient(createHandlers(s.station));
    await s.scan('OBJ-2');
    await writeGoodTiff(path.join(s.inbox, 'h1.tif'), 1);
    await waitFor(() => filesUnder(s.library).length === 1, 'h1 filed');
    await s.scan('%%END%%');
    expect(await client.startSession({ operator: 'Ana', project: 'Insects' })).toMatchObject({ result: {} });
    await s.scan('OBJ-2');
    await writeGoodTiff(path.join(s.inbox, 'i1.tif'), 2);
    await waitFor(() => filesUnder(s.library).length === 2, 'i1 filed');
    await s.scan('%%END%%');
    await client.endSession({});
    await s.scan('OBJ-2');
    await writeGoodTiff(path.join(s.inbox, 'h2.tif'), 3);
    await waitFor(() => filesUnder(s.library).length === 3, 'h2 filed');
    expect(filesUnder(s.library)).toEqual(['Herbarium/OBJ-2_001.tif', 'Herbarium/OBJ-2_002.tif', 'Insects/OBJ-2_001.tif']);
  });

  it('a name already taken by another shot gives the next shot one new stem for all its files', async () => {
    // No sequence number in the template: every shot of X-1 wants the same name.
    const s = await startStation({ template: '{barcode}{ext}' });
    await s.scan('X-1');
    await writeGoodTiff(path.join(s.inbox, 'a.tif'), 1);
    await waitFor(() => filesUnder(s.library).length === 1, 'a.tif filed');
    // Shot 2's JPEG first: its own name X-1.jpg is free, but the stem X-1 is shot 1's.
    await writeGoodTiff(path.join(s.inbox, 'b.jpg'), 2);
    await waitFor(() => filesUnder(s.library).length === 2, 'b.jpg filed');
    await writeGoodTiff(path.join(s.inbox, 'b.tif'), 3);
    await waitFor(() => filesUnder(s.library).length === 3, 'b.tif filed');
    expect(filesUnder(s.library)).toEqual(['X-1.tif', 'X-1_2.jpg', 'X-1_2.tif']);
  });

  it('says which object a scan closed, and how: by the next object, or rejected', async () => {
    const s = await startStation({});
    await s.scan('A-100001');
    expect((await s.scan('B-100002')).stdout).toMatch(/OBJECT B-100002 on inbox: object A-100001 closed \(0 shots\); object B-100002 open \(0 shots\)/);
    expect((await s.scan('%%REJECT%%')).stdout).toMatch(/CONTROL %%REJECT%% on inbox: object B-100002 rejected \(0 shots\); no object open/);
  });

  it('says clearly when no station is running', async () => {
    const home = makeHome();
    const out = capture();
    expect(await main(['scan', 'X-1', '--home', home], out)).toBe(1);
    expect(out.stderr).toMatch(/No station is running for this home .* Start it with capture-station run/);
    fs.rmSync(home, { recursive: true, force: true });
  });
});

describe('barcode linking across a restart', () => {
  it('closes the object left open and finishes a move the crash cut short', async () => {
    const home = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, linking: { enabled: true, template: '{barcode}/{seq:03}{ext}' } });
    const config = loadConfig({ home });
    const library = config.locations.library;
    try {
      let station = new Station(config);
      await station.start();
      station.linker.scan('OBJ-1');
      await writeGoodTiff(path.join(home, 'Inbox', 'one.tif'), 5);
      await waitFor(() => filesUnder(library).length === 1, 'one filed');
      // The file shows in the library (link) before the move is settled (unlink, journal): let it finish.
      await station.linker.settled();
      const capture = station.store.list({ limit: 1 })[0]!;
      // A crash after the move was journaled and before it ran: put the file back and the journal entry to pending.
      fs.renameSync(path.join(library, 'OBJ-1/001.tif'), path.join(home, 'Inbox', 'one.tif'));
      station.linker.links.planMove(capture.id, path.join(home, 'Inbox', 'one.tif'), path.join(library, 'OBJ-1/001.tif'));
      await station.stop();

      station = new Station(config);
      await station.start();
      await station.linker.settled();
      expect(filesUnder(library)).toEqual(['OBJ-1/001.tif']);
      expect(filesUnder(path.join(home, 'Inbox'))).toEqual([]);
      expect(station.linker.links.move(capture.id)?.state).toBe('done');
      expect(station.linker.current()).toEqual({ inbox: null });
      const closed = station.linker.links.object(station.linker.links.linkOf(capture.id)!.objectId);
      expect(closed).toMatchObject({ state: 'closed', closeReason: 'shutdown' });

      // The README's advice after a restart, "scan it again", continues the object's numbering.
      station.linker.scan('OBJ-1');
      await writeGoodTiff(path.join(home, 'Inbox', 'two.tif'), 6);
      await waitFor(() => filesUnder(library).length === 2, 'two filed');
      await station.linker.settled();
      expect(filesUnder(library)).toEqual(['OBJ-1/001.tif', 'OBJ-1/002.tif']);
      await station.stop();
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('barcode linking with an upload target', () => {
  it('uploads linked captures only once their object is closed, under their library names', async () => {
    const home = makeHome();
    const share = path.join(home, 'share');
    fs.mkdirSync(share);
    fs.writeFileSync(
      path.join(home, 'station.json'),
      JSON.stringify({
        station: { id: 'stand-1' },
        ingest: { stableWindowMs: 200, rescanIntervalSec: 0 },
        linking: { enabled: true, template: '{barcode}/{barcode}_{seq:02}{ext}' },
        targets: [{ id: 'nas', kind: 'folder', path: share, mountCheck: false }],
        upload: { probeIntervalSec: 1 },
      }),
    );
    const config = loadConfig({ home });
    const station = new Station(config);
    await station.start();
    try {
      station.linker.scan('OBJ-7');
      await writeGoodTiff(path.join(home, 'Inbox', 'a.tif'), 2);
      await writeGoodTiff(path.join(home, 'Inbox', 'b.tif'), 30);
      await waitFor(() => filesUnder(config.locations.library).length === 2, 'both filed');
      await station.linker.settled();
      // The object is still open: more shots may come, names may change (UNDO); nothing is queued yet.
      expect(station.uploader.status().targets[0]).toMatchObject({ counts: { queued: 0, leased: 0, done: 0 } });
      station.linker.scan('%%END%%');
      await waitFor(() => filesUnder(share).filter((f) => !path.basename(f).startsWith('.')).length === 2, 'both uploaded');
      expect(filesUnder(share).filter((f) => !path.basename(f).startsWith('.'))).toEqual(['stand-1/OBJ-7/OBJ-7_01.tif', 'stand-1/OBJ-7/OBJ-7_02.tif']);
      for (const f of ['OBJ-7/OBJ-7_01.tif', 'OBJ-7/OBJ-7_02.tif']) {
        expect(fs.readFileSync(path.join(share, 'stand-1', f)).equals(fs.readFileSync(path.join(config.locations.library, f)))).toBe(true);
      }
    } finally {
      await station.stop();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('a shot takes its place when the watcher first sees its file', () => {
  /** An empty file: the watcher sees it arrive, but it is never stable (cameras create, then fill), so QC waits until it is written. */
  const arrive = (file: string) => fs.writeFileSync(file, '');
  const placed = (s: { station: Station }, relPath: string, barcode: string) => waitFor(() => s.station.linker.barcodeFor('inbox', relPath) === barcode, `${relPath} placed in ${barcode}`);
  const linkOf = (s: { station: Station }, relPath: string) => {
    const c = s.station.store.list({ limit: 100 }).find((r) => r.relPath === relPath)!;
    return { capture: s.station.store.detail(c.id)!, link: s.station.linker.links.linkOf(c.id) };
  };

  it('a file that arrived while T-0008 was open belongs to T-0008, even when T-0009 is scanned before its QC ends', async () => {
    const s = await startStation({ template: '{barcode}_{seq:03}{ext}' });
    await s.scan('T-0008');
    arrive(path.join(s.inbox, 'IMG_0030.tif'));
    await placed(s, 'IMG_0030.tif', 'T-0008');
    expect((await s.scan('T-0009')).stdout).toMatch(/object T-0008 closed \(1 shot\); object T-0009 open \(0 shots\)/);
    await writeGoodTiff(path.join(s.inbox, 'IMG_0030.tif'), 7);
    await waitFor(() => filesUnder(s.library).length === 1, 'IMG_0030 filed');
    expect(filesUnder(s.library)).toEqual(['T-0008_001.tif']);
    expect(s.station.linker.current()).toEqual({ inbox: { barcode: 'T-0009', shots: 0 } });
  });

  it('numbers shots in the order their files arrived, not the order QC finished them', async () => {
    const s = await startStation({ template: '{barcode}_{seq:03}_{original}{ext}' });
    await s.scan('Z-1');
    arrive(path.join(s.inbox, 'Z_0001.tif'));
    await placed(s, 'Z_0001.tif', 'Z-1');
    await writeGoodTiff(path.join(s.inbox, 'Z_0002.tif'), 8);
    await waitFor(() => s.station.store.counts().total === 1, 'Z_0002 recorded first');
    await writeGoodTiff(path.join(s.inbox, 'Z_0001.tif'), 9);
    await waitFor(() => filesUnder(s.library).length === 2, 'both filed');
    expect(filesUnder(s.library)).toEqual(['Z-1_001_Z_0001.tif', 'Z-1_002_Z_0002.tif']);
  });

  it('numbers files that appear together in the order they were written, not the order the watcher reports them', async () => {
    const s = await startStation({ template: '{barcode}_{seq:03}_{view}_{original}{ext}', views: ['front', 'back'] });
    await s.scan('Z-2');
    // Written elsewhere with their times kept (a card copy): skinks first, lucanidae (first by name) a second later.
    const written = path.join(s.home, 'written');
    fs.mkdirSync(written);
    await writeGoodTiff(path.join(written, 'skinks.tif'), 15);
    await writeGoodTiff(path.join(written, 'lucanidae.tif'), 16);
    const t = Math.floor(Date.now() / 1000) - 60;
    fs.utimesSync(path.join(written, 'skinks.tif'), t, t);
    fs.utimesSync(path.join(written, 'lucanidae.tif'), t + 1, t + 1);
    // Both land at once, the later-written first: the watcher tends to see them in that order.
    fs.renameSync(path.join(written, 'lucanidae.tif'), path.join(s.inbox, 'lucanidae.tif'));
    fs.renameSync(path.join(written, 'skinks.tif'), path.join(s.inbox, 'skinks.tif'));
    await waitFor(() => filesUnder(s.library).length === 2, 'both filed');
    expect(filesUnder(s.library)).toEqual(['Z-2_001_front_skinks.tif', 'Z-2_002_back_lucanidae.tif']);
    expect([linkOf(s, 'skinks.tif').link, linkOf(s, 'lucanidae.tif').link]).toMatchObject([{ seq: 1, view: 'front' }, { seq: 2, view: 'back' }]);
  });

  it('UNDO takes the shot still in QC, says so, and flags it when it is recorded; the good shot before stays', async () => {
    const s = await startStation({ template: '{barcode}_{seq:02}{ext}' });
    await s.scan('U-1');
    await writeGoodTiff(path.join(s.inbox, 'good.tif'), 10);
    await waitFor(() => filesUnder(s.library).length === 1, 'good filed');
    arrive(path.join(s.inbox, 'bad.tif'));
    await placed(s, 'bad.tif', 'U-1');
    expect((await s.scan('%%UNDO%%')).stdout).toMatch(/CONTROL %%UNDO%% on inbox: object U-1 open \(1 shot\); shot 2 \(bad\) of U-1 taken off and flagged for re-shoot/);
    await writeGoodTiff(path.join(s.inbox, 'bad.tif'), 11);
    await waitFor(() => s.station.store.counts().total === 2, 'bad recorded');
    await s.station.linker.settled();
    const bad = linkOf(s, 'bad.tif');
    expect(bad.link).toBeNull();
    expect(bad.capture.reshoot).toBe(true);
    expect(linkOf(s, 'good.tif').link).toMatchObject({ barcode: 'U-1', seq: 1 });
    expect(filesUnder(s.library)).toEqual(['U-1_01.tif']);
    expect(filesUnder(s.inbox)).toEqual(['bad.tif']);
  });

  it('a file removed before it was recorded gives its number to the next shot', async () => {
    const s = await startStation({ template: '{barcode}_{seq:02}{ext}' });
    await s.scan('G-1');
    arrive(path.join(s.inbox, 'gone.tif'));
    await placed(s, 'gone.tif', 'G-1');
    fs.rmSync(path.join(s.inbox, 'gone.tif'));
    await waitFor(() => s.station.linker.barcodeFor('inbox', 'gone.tif') === null, 'its removal seen');
    await writeGoodTiff(path.join(s.inbox, 'next.tif'), 12);
    await waitFor(() => filesUnder(s.library).length === 1, 'next filed');
    expect(filesUnder(s.library)).toEqual(['G-1_01.tif']);
  });

  it('a capture that fails QC takes no number or view: it stays in the hot folder flagged, and the re-shoot is the front', async () => {
    const s = await startStation({ template: '{barcode}_{seq:03}_{view}{ext}', views: ['front', 'back'], expectedShots: 2 });
    const alarms: string[] = [];
    s.station.on('link.effect', ({ effect }) => effect.type === 'alarm' && alarms.push(effect.message));
    await s.scan('T-0007');
    fs.copyFileSync(path.join(corpus, 'tiff/pillow/crash-2020-10-test.tif'), path.join(s.inbox, 'IMG_0020.tif'));
    await waitFor(() => s.station.store.counts().fail === 1, 'IMG_0020 failed');
    await writeGoodTiff(path.join(s.inbox, 'IMG_0021.tif'), 13);
    await waitFor(() => filesUnder(s.library).length === 1, 'IMG_0021 filed');
    await writeGoodTiff(path.join(s.inbox, 'IMG_0022.tif'), 14);
    await waitFor(() => filesUnder(s.library).length === 2, 'IMG_0022 filed');
    await s.scan('%%END%%');
    // A move's copy is in the library before its original goes from the hot folder.
    await s.station.linker.settled();
    expect(filesUnder(s.library)).toEqual(['T-0007_001_front.tif', 'T-0007_002_back.tif']);
    expect(filesUnder(s.inbox)).toEqual(['IMG_0020.tif']);
    const failed = linkOf(s, 'IMG_0020.tif');
    expect(failed.link).toBeNull();
    expect(failed.capture.reshoot).toBe(true);
    expect(alarms).toEqual(['IMG_0020.tif failed QC: it is not linked to object T-0007 and is flagged for re-shoot; its number is given back: the next shot is shot 1 (front) of T-0007.']);
  });
});

describe('scan-after-capture in the station', () => {
  it('shots waiting for their barcode survive a restart; a file written while the station was down raises an alarm and does not join the scan', async () => {
    const home = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0 }, linking: { enabled: true, mode: 'scan-after-capture', template: '{barcode}_{seq:02}{ext}' } });
    const config = loadConfig({ home });
    const inbox = path.join(home, 'Inbox');
    try {
      let station = new Station(config);
      await station.start();
      await writeGoodTiff(path.join(inbox, 'D1.tif'), 15);
      await waitFor(() => station.store.counts().total === 1, 'D1 recorded');
      await station.stop();
      await writeGoodTiff(path.join(inbox, 'E1.tif'), 16);

      station = new Station(config);
      const alarms: string[] = [];
      station.on('link.effect', ({ effect }) => effect.type === 'alarm' && alarms.push(effect.message));
      await station.start();
      try {
        await waitFor(() => station.store.counts().total === 2, 'E1 recorded');
        expect(alarms).toEqual(['E1.tif was written while the station was not watching: it does not join the next scan; link it with a relink once it is checked.']);
        const outcome = station.linker.scan('X-1');
        expect(outcome).toMatchObject({ closed: { barcode: 'X-1', shots: 1 }, alarms: [] });
        // Filed = in the library and gone from the hot folder (a verified move removes the original last).
        await waitFor(() => filesUnder(config.locations.library).length === 1 && filesUnder(inbox).length === 1, 'D1 filed');
        expect(filesUnder(config.locations.library)).toEqual(['X-1_01.tif']);
        expect(filesUnder(inbox)).toEqual(['E1.tif']);
      } finally {
        await station.stop();
      }
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('waiting shots expire after idleTimeoutSec with an alarm naming them', async () => {
    const s = await startStation({ mode: 'scan-after-capture', idleTimeoutSec: 1 });
    const alarms: string[] = [];
    s.station.on('link.effect', ({ effect }) => effect.type === 'alarm' && alarms.push(effect.message));
    await writeGoodTiff(path.join(s.inbox, 'B1.tif'), 17);
    await waitFor(() => alarms.length > 0, 'the waiting shot expired');
    expect(alarms).toEqual(['No barcode was scanned within 1 s of the last shot: B1.tif is not linked; link them with a relink, or shoot them again and scan.']);
    const late = await s.scan('C-1');
    expect(late.stderr).toMatch(/ALARM C-1 was scanned, but no new capture is waiting for a barcode/);
  });

  it('a waiting shot linked by an edit stops waiting: the next scan links only the others', async () => {
    const s = await startStation({ mode: 'scan-after-capture', template: '{barcode}_{seq:02}{ext}' });
    const client = createLocalClient(createHandlers(s.station));
    await writeGoodTiff(path.join(s.inbox, 'W1.tif'), 21);
    await writeGoodTiff(path.join(s.inbox, 'W2.tif'), 22);
    await waitFor(() => s.station.store.counts().total === 2, 'W1 and W2 recorded');
    const w1 = s.station.store.list({ limit: 10 }).find((c) => c.relPath === 'W1.tif')!.id;
    expect(await client.relinkCaptures({ captureIds: [w1], barcode: 'K-1' })).toMatchObject({ result: { kind: 'link' } });
    expect(s.station.linker.scan('L-1')).toMatchObject({ closed: { barcode: 'L-1', shots: 1 }, alarms: [] });
    await waitFor(() => filesUnder(s.library).length === 2, 'both filed');
    expect(filesUnder(s.library)).toEqual(['K-1_01.tif', 'L-1_01.tif']);
    expect(s.station.linker.links.linkOf(w1)).toMatchObject({ barcode: 'K-1', seq: 1 });
  });

  it('UNDO says which waiting shot it took off; END says it does nothing and what is waiting', async () => {
    const s = await startStation({ mode: 'scan-after-capture' });
    await writeGoodTiff(path.join(s.inbox, 'B2.tif'), 18);
    await waitFor(() => s.station.store.counts().total === 1, 'B2 recorded');
    expect((await s.scan('%%UNDO%%')).stdout).toMatch(/CONTROL %%UNDO%% on inbox: no object open; shot B2 \(still waiting for its barcode\) taken off and flagged for re-shoot/);
    expect((await s.scan('%%END%%')).stderr).toMatch(/ALARM END was scanned in scan-after-capture mode: an object closes by itself when its barcode is scanned, so END does nothing; no shot is waiting for a barcode/);
  });
});
