/** One handle over the station database and the repositories that share it. */
import { CaptureStore } from './captures.js';
import { openDatabase, type Db, type OpenOptions } from './database.js';

export interface StationStore {
  db: Db;
  captures: CaptureStore;
  close(): void;
}

export function openStore(file: string, opts: OpenOptions = {}): StationStore {
  const db = openDatabase(file, opts);
  return { db, captures: new CaptureStore(db), close: () => db.close() };
}
