/**
 * Hot-folder notices (a symbolic link, a file that stays empty) are warned about once per file
 * version, across restarts: the log line, the `ingest.notice` event and its event-log record come
 * once; status() and `ingest.notices` still list every file affected now, after a restart too, and
 * drop a file once it is recorded or gone. A new version of the file is warned about again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { IngestNotice } from '../../src/ingest/types.js';
import { addLogSink, type LogRecord } from '../../src/log/logger.js';
import { Station } from '../../src/station/station.js';
import { openStore } from '../../src/store/open.js';
import { writeGoodTiff } from '../helpers/images.js';
import { makeHome, waitFor } from '../helpers/station-home.js';

const homes: string[] = [];
const stations: Station[] = [];
afterEach(async () => {
  for (const s of stations.splice(0)) await s.stop();
  for (const h of homes.splice(0)) fs.rmSync(h, { recursive: true, force: true });
});

/** One run of the station on `home`, with the warnings it gave and the lists it sent. */
async function run(home: string) {
  const station = new Station(loadConfig({ home }));
  const warned: IngestNotice[] = [];
  const lists: string[][] = [];
  const logged: LogRecord[] = [];
  station.on('ingest.notice', (n) => warned.push(n));
  station.on('ingest.notices', ({ notices }) => lists.push(notices.map((n) => n.relPath)));
  const removeSink = addLogSink((r) => r.module === 'station' && r.level === 'warn' && logged.push(r));
  await station.start();
  stations.push(station);
  const listed = () => station.status().ingestNotices.map((n) => `${n.kind} ${n.relPath}`).sort();
  return {
    station,
    warned,
    lists,
    listed,
    warnLines: () => logged.filter((r) => /symbolic link|0 bytes/.test(r.message)).map((r) => r.fields?.file),
    stop: async () => {
      removeSink();
      stations.splice(stations.indexOf(station), 1);
      await station.stop();
    },
  };
}

function noticeRecords(home: string): { relPath: string; kind: string }[] {
  const store = openStore(loadConfig({ home }).locations.database);
  try {
    return store.db.prepare(`SELECT json_extract(data_json, '$.relPath') AS relPath, json_extract(data_json, '$.kind') AS kind FROM events WHERE type = 'ingest.notice' ORDER BY id`).all() as { relPath: string; kind: string }[];
  } finally {
    store.close();
  }
}

describe('hot-folder notices across restarts', () => {
  it('warns once per file version, lists every affected file after a restart, and drops a file once recorded or gone', async () => {
    const home = makeHome({ ingest: { stableWindowMs: 200, rescanIntervalSec: 0, emptyWarnSec: 1 } });
    homes.push(home);
    const inbox = path.join(home, 'Inbox');
    fs.mkdirSync(inbox, { recursive: true });
    const outside = path.join(home, 'elsewhere.tif');
    await writeGoodTiff(outside, 1);
    fs.symlinkSync(outside, path.join(inbox, 'link.tif'));
    fs.writeFileSync(path.join(inbox, 'empty.tif'), '');

    let r = await run(home);
    await waitFor(() => r.listed().length === 2, 'both files noticed');
    expect(r.listed()).toEqual(['empty empty.tif', 'symlink link.tif']);
    expect(r.warned.map((n) => n.relPath).sort()).toEqual(['empty.tif', 'link.tif']);
    expect(r.warnLines().sort()).toEqual(['empty.tif', 'link.tif']);
    await r.stop();

    // Twice more: the same versions are found again and listed, but not warned about.
    for (let i = 0; i < 2; i++) {
      r = await run(home);
      await waitFor(() => r.listed().length === 2, 'both files listed again');
      expect(r.lists.at(-1)?.sort()).toEqual(['empty.tif', 'link.tif']);
      expect(r.warned).toEqual([]);
      expect(r.warnLines()).toEqual([]);
      await r.stop();
    }
    expect(noticeRecords(home)).toHaveLength(2);

    r = await run(home);
    await waitFor(() => r.listed().length === 2, 'both files listed');
    // A new version of the empty file (touched again, still empty) is warned about.
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(inbox, 'empty.tif'), later, later);
    await waitFor(() => r.warned.length === 1, 'the new version warned about');
    expect(r.warned[0]).toMatchObject({ relPath: 'empty.tif', kind: 'empty' });
    // The file gets its data and is recorded; the link goes: neither is listed any more.
    await writeGoodTiff(path.join(inbox, 'empty.tif'), 2);
    await waitFor(() => r.station.store.counts().total === 1, 'empty.tif recorded');
    await waitFor(() => r.listed().length === 1, 'empty.tif no longer listed');
    expect(r.listed()).toEqual(['symlink link.tif']);
    fs.rmSync(path.join(inbox, 'link.tif'));
    await waitFor(() => r.listed().length === 0, 'the link no longer listed');
    expect(r.lists.at(-1)).toEqual([]);
    await r.stop();
    expect(noticeRecords(home).map((n) => n.relPath)).toEqual(expect.arrayContaining(['empty.tif', 'link.tif']));
    expect(noticeRecords(home)).toHaveLength(3);
  });
});
