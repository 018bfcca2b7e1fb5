// @vitest-environment happy-dom
/**
 * What an event told the screen (config.changed, log.file) is not undone by a status reply that was
 * asked for before the event and answered after it, nor lost when it comes before the first reply.
 * Real in-process station; its status replies are held back (as a slow link would) until let go.
 */
import fs from 'node:fs';
import path from 'node:path';
import { act, createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../renderer/app/App.js';
import type { EventConnector } from '../../renderer/app/use-station.js';
import type { StationClient } from '../../renderer/transport/http-client.js';
import { mount, unmountAll, until } from '../helpers/dom.js';
import { startInProcessStation, type InProcessStation } from '../helpers/in-process-station.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await unmountAll();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const notice = () => document.querySelector('[data-testid="log-file"]')?.textContent?.replace(/\s+/g, ' ').trim() ?? null;
const banner = () => document.querySelector('[data-testid="config-changed"] p')?.textContent?.replace(/\s+/g, ' ').trim() ?? null;

/** The station's client with status() replies answered at once but delivered only when let go; and its events, with a way to say the link is live again. */
function slowStatus(s: InProcessStation) {
  let held: (() => void)[] = [];
  let holding = true;
  const asked = { count: 0 };
  const client: StationClient = {
    ...s.client,
    status: async (args) => {
      asked.count++;
      const reply = await s.client.status(args);
      if (holding) await new Promise<void>((resolve) => held.push(resolve));
      return reply;
    },
  };
  let live: (() => void) | null = null;
  const events: EventConnector = (h) => {
    live = () => h.onState('live');
    return s.events(h);
  };
  return {
    client,
    events,
    asked,
    /** Delivers every reply held so far; `keepHolding` false: later ones come at once. */
    letGo: async (keepHolding = true) => {
      holding = keepHolding;
      const now = held;
      held = [];
      await act(async () => {
        for (const resolve of now) resolve();
        await new Promise((resolve) => setTimeout(resolve, 10));
      });
    },
    held: () => held.length,
    reconnected: () => act(() => live?.()),
  };
}

describe('status replies and the events that overtake them', () => {
  it('keeps what log.file and config.changed told over an older status reply, and one told before the first reply', async () => {
    const s = await startInProcessStation({ station: { id: 'stand-1' }, ingest: { rescanIntervalSec: 0 } });
    cleanup.push(s.stop);
    const slow = slowStatus(s);
    const logFile = path.join(s.home, 'logs', 'station.log');
    await mount(createElement(App, { client: slow.client, events: slow.events, tones: { play: vi.fn() } }));
    await until(() => slow.held() > 0, 'the first status asked for');

    // Told before the first status reply, which was asked for before it (and says: no problem).
    act(() => s.station.logFileProblem(logFile, 'The log file cannot be written (test).'));
    await slow.letGo();
    await until(() => document.querySelector('[data-testid="station-id"]')?.textContent === 'stand-1', 'the station shown');
    expect(notice()).toBe('▲ Station log: The log file cannot be written (test).');

    // A status request now (the link came back) is answered only after the file works again and the config is edited.
    const before = slow.asked.count;
    slow.reconnected();
    await until(() => slow.asked.count > before && slow.held() > 0, 'a status asked for');
    act(() => s.station.logFileProblem(logFile, null));
    fs.writeFileSync(path.join(s.home, 'station.json'), JSON.stringify({ station: { id: 'stand-2' } }));
    await until(() => banner() !== null, 'the config edit shown');
    expect(notice()).toMatch(/^✓ Station log: the log file .* works again/);
    await slow.letGo(false);
    expect(notice()).toMatch(/^✓ Station log: the log file .* works again/);
    expect(banner()).toBe('▲ Config edited — restart the station to apply it');
  }, 60_000);
});
