import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLocalClient } from '../../src/contract/client.js';
import { createHandlers } from '../../src/station/handlers.js';
import { Station } from '../../src/station/station.js';
import { makeHome } from '../helpers/station-home.js';

const packageJson = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function statusOf(version?: string) {
  const home = makeHome({ ingest: { rescanIntervalSec: 0 } });
  const station = new Station(loadConfig({ home, version }));
  cleanup.push(async () => {
    await station.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });
  await station.start();
  return createLocalClient(createHandlers(station)).status({});
}

describe('status: the station version', () => {
  it("is the embedder's when given (the desktop app's version)", async () => {
    expect(await statusOf('7.8.9')).toMatchObject({ result: { version: '7.8.9' } });
  });

  it("is package.json's otherwise (the CLI's run and serve)", async () => {
    const status = await statusOf();
    expect(status).toMatchObject({ result: { version: packageJson.version } });
    expect(packageJson.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
