/**
 * The linker's idle timer: it closes an object nobody touched for linking.idleTimeoutSec, and it
 * exists only while that can happen (linking on, an object open), so an idle station does not wake
 * every second to run an empty transaction per source.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { StationConfigInput } from '../../src/config/schema.js';
import { Linker } from '../../src/linking/linker.js';
import type { SessionEffect } from '../../src/linking/session.js';
import { openStore, type StationStore } from '../../src/store/open.js';
import { makeHome } from '../helpers/station-home.js';

const cleanup: (() => Promise<void>)[] = [];
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
});
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
  vi.useRealTimers();
});

async function startLinker(linking: StationConfigInput['linking']) {
  const home = makeHome({ linking });
  const config = loadConfig({ home });
  fs.mkdirSync(path.dirname(config.locations.database), { recursive: true });
  const store: StationStore = openStore(config.locations.database);
  store.captures.syncSources(config.sources);
  const effects: SessionEffect[] = [];
  const linker = new Linker({
    db: store.db,
    captures: store.captures,
    config: config.linking,
    sources: config.sources,
    profiles: config.profiles,
    stationId: config.stationId,
    library: config.locations.library,
    onEffect: (_source, effect) => effects.push(effect),
  });
  await linker.start();
  cleanup.push(async () => {
    await linker.stop();
    store.close();
    fs.rmSync(home, { recursive: true, force: true });
  });
  const eventCount = () => (store.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  return { linker, effects, eventCount };
}

/** Lets the microtasks the linker queues after a transaction (its events) run. */
const flush = () => Promise.resolve();

describe('linker idle timer', () => {
  it('sets no timer at all while linking is off', async () => {
    const { eventCount } = await startLinker({ enabled: false, idleTimeoutSec: 5 });
    expect(vi.getTimerCount()).toBe(0);
    const before = eventCount();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(eventCount()).toBe(before);
  });

  it('runs only while an object is open, and closes it when idle', async () => {
    const { linker, effects } = await startLinker({ enabled: true, idleTimeoutSec: 5 });
    expect(vi.getTimerCount()).toBe(0);

    linker.scan('OBJ-1');
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(linker.current()).toEqual({ inbox: { barcode: 'OBJ-1', shots: 0 } });
    await vi.advanceTimersByTimeAsync(2_000);
    await flush();
    expect(linker.current()).toEqual({ inbox: null });
    expect(effects).toContainEqual({ type: 'object.closed', object: 1, barcode: 'OBJ-1', reason: 'idle', shots: 0, empty: true });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops when the object is closed by END, and is not armed when objects never time out', async () => {
    const timed = await startLinker({ enabled: true, idleTimeoutSec: 5 });
    timed.linker.scan('OBJ-2');
    expect(vi.getTimerCount()).toBe(1);
    timed.linker.scan('%%END%%');
    expect(vi.getTimerCount()).toBe(0);

    const never = await startLinker({ enabled: true, idleTimeoutSec: 0 });
    never.linker.scan('OBJ-3');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is cleared by stop() even with an object open', async () => {
    const { linker } = await startLinker({ enabled: true, idleTimeoutSec: 5 });
    linker.scan('OBJ-4');
    expect(vi.getTimerCount()).toBe(1);
    await linker.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
