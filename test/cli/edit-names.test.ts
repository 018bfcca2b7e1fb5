/**
 * Capture names as the CLI's linking edits resolve them, over a real station database: a bare
 * number is a capture id, unless it is also the end of another capture's file (a library template
 * with no {ext}), then both are listed and refused; `capture:N` is always the id.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureNamed } from '../../src/cli/edit-names.js';
import { openStore, type StationStore } from '../../src/store/open.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn();
});

function store(): StationStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-edit-names-'));
  const s = openStore(path.join(dir, 'station.db'));
  cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }), () => s.close());
  s.db.prepare("INSERT INTO sources (id, path, kind, profile, updated_at) VALUES ('inbox', '/in', 'camera', 'default', '2026-01-01T00:00:00Z')").run();
  return s;
}

function add(s: StationStore, file: string): number {
  return Number(
    s.db
      .prepare(`INSERT INTO captures (source_id, rel_path, path, version, size, mtime_us, verdict, detected_at, checked_at) VALUES ('inbox', ?, ?, 1, 1, 1, 'pass', '2026-11-20T10:00:00.000Z', '2026-11-20T10:00:01.000Z')`)
      .run(file, `/in/${file}`).lastInsertRowid,
  );
}

describe('capture names', () => {
  it('a bare number that is an id and the end of another capture\'s file is refused with both; capture:N is the id', () => {
    const s = store();
    const first = add(s, 'IMG_0001.tif');
    const other = add(s, `scans/${first}`);
    expect(() => captureNamed(s.db, String(first))).toThrow(
      `"${first}" names 2 captures:\n  ${first}: /in/IMG_0001.tif (inbox/IMG_0001.tif, pass, not linked) — its id\n  ${other}: /in/scans/${first} (inbox/scans/${first}, pass, not linked) — its file\n` +
        `Name the one you mean by its id as capture:ID (e.g. capture:${first}), or by its whole path.`,
    );
    expect(captureNamed(s.db, `capture:${first}`).id).toBe(first);
    expect(captureNamed(s.db, `/in/scans/${first}`).id).toBe(other);
    // The id alone, or a number only a file ends with, is not ambiguous.
    expect(captureNamed(s.db, String(other)).id).toBe(other);
    const unnumbered = add(s, 'scans/77');
    expect(captureNamed(s.db, '77').id).toBe(unnumbered);
    expect(() => captureNamed(s.db, 'capture:77')).toThrow('There is no capture 77');
  });
});
