import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StationError } from '../../src/errors.js';
import { openDatabase, schemaVersion } from '../../src/store/database.js';
import { migrations } from '../../src/store/migrations.js';
import { networkFileSystemName, networkFileSystemOf } from '../../src/store/network-fs.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-db-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('station database', () => {
  it('sets WAL, synchronous=FULL and foreign keys on every open, not only the first', () => {
    const file = path.join(dir, 'nested', 'station.db');
    openDatabase(file).close();
    const db = openDatabase(file);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(schemaVersion(db)).toBe(migrations.at(-1)?.version);
    } finally {
      db.close();
    }
  });

  it('keeps the event log append-only', () => {
    const db = openDatabase(path.join(dir, 's.db'));
    try {
      db.prepare("INSERT INTO events (at, type) VALUES ('2026-01-01T00:00:00Z', 'test')").run();
      expect(() => db.prepare("UPDATE events SET type = 'x'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('applies a failing migration not at all and says which one failed', () => {
    const file = path.join(dir, 's.db');
    openDatabase(file).close();
    const broken = [...migrations, { version: 99, name: 'broken', sql: 'CREATE TABLE ok_table (x); THIS IS NOT SQL;' }];
    expect(() => openDatabase(file, { migrations: broken })).toThrow(/Migration 99 \(broken\) failed/);
    const db = openDatabase(file);
    try {
      expect(schemaVersion(db)).toBe(migrations.at(-1)?.version);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'ok_table'").get()).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it('refuses a database written by a newer version', () => {
    const file = path.join(dir, 's.db');
    const db = openDatabase(file);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(file)).toThrow(StationError);
    expect(() => openDatabase(file)).toThrow(/newer than this version/);
  });

  it('recognises network file systems by their statfs magic', () => {
    expect(networkFileSystemName(0x6969)).toBe('NFS');
    expect(networkFileSystemName(0xff534d42)).toBe('CIFS');
    expect(networkFileSystemName(0xfe534d42 | 0)).toBe('SMB2');
    expect(networkFileSystemName(0xef53)).toBeNull(); // ext4
    expect(networkFileSystemOf(path.join(dir, 'not-yet', 'station.db'))).toBeNull();
  });
});
