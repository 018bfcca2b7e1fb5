/**
 * Per test of a tus test file: a fixture (a temp station database) with a tus store folder in it,
 * and every @tus/server started through `server()` killed after the test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { makeFixture, type Fixture } from './fixture.js';
import { startTus, type TusPeer } from './tus-server.js';

export interface TusBed {
  readonly fx: Fixture;
  /** The file store's folder: <id> (the bytes) and <id>.json per upload. */
  readonly store: string;
  server(port?: number, opts?: { locationOrigin?: string }): Promise<TusPeer>;
}

export function tusBed(): TusBed {
  let fx: Fixture | null = null;
  const peers: TusPeer[] = [];
  beforeEach(() => {
    fx = makeFixture();
    fs.mkdirSync(path.join(fx.dir, 'tus-store'));
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.kill();
    fx?.close();
  });
  const bed: TusBed = {
    get fx() {
      if (!fx) throw new Error('tusBed: used outside a test');
      return fx;
    },
    get store() {
      return path.join(bed.fx.dir, 'tus-store');
    },
    async server(port, opts) {
      const p = await startTus(bed.store, port, opts);
      peers.push(p);
      return p;
    },
  };
  return bed;
}
