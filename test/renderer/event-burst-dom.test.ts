// @vitest-environment happy-dom
/**
 * A steady stream of captures, as the page sees it: a burst of capture.recorded events must not
 * start a request per event (a browser has ~6 connections per host; requests left hanging — a
 * preview waits until QC is idle — make every other request fail). The client here is the real
 * in-process station's, with the replies the burst needs answered by a fake that counts what is
 * in flight, and a preview that hangs until withdrawn, as it does while QC is busy.
 */
import { act, createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../renderer/app/App.js';
import type { EventConnector } from '../../renderer/app/use-station.js';
import type { StationEventMessage } from '../../renderer/transport/event-stream.js';
import type { StationClient } from '../../renderer/transport/http-client.js';
import { withdrawnError } from '../../src/shared/withdrawable.js';
import { captureDetail, captureRecord } from '../helpers/capture-records.js';
import { flush, mount, unmountAll, until } from '../helpers/dom.js';
import { startInProcessStation, type InProcessStation } from '../helpers/in-process-station.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await unmountAll();
  for (const fn of cleanup.splice(0).reverse()) await fn();
  localStorage.clear();
});

async function start(): Promise<InProcessStation> {
  const s = await startInProcessStation({ ingest: { rescanIntervalSec: 0 } });
  cleanup.push(s.stop);
  return s;
}

type Answer = (args: unknown, signal: AbortSignal | undefined) => Promise<unknown> | undefined;

/** The real client with some commands answered by `answers` (a macrotask later, as over a network), counting requests in flight. */
function counted(real: StationClient, answers: Record<string, Answer>) {
  const seen = { inFlight: 0, maxInFlight: 0, calls: 0 };
  const client = new Proxy({} as StationClient, {
    get: (_t, prop) =>
      typeof prop === 'string' && prop !== 'then'
        ? async (args: unknown, options?: { signal?: AbortSignal }) => {
            seen.calls++;
            seen.inFlight++;
            seen.maxInFlight = Math.max(seen.maxInFlight, seen.inFlight);
            try {
              const own = answers[prop]?.(args, options?.signal);
              if (own) return await own;
              return await (real[prop as keyof StationClient] as (a: unknown) => Promise<unknown>)(args);
            } finally {
              seen.inFlight--;
            }
          }
        : undefined,
  });
  return { client, seen };
}

const later = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), 1));

/** Resolves only when withdrawn: a preview asked for while QC is busy. */
function hangsUntilWithdrawn(signal: AbortSignal | undefined): Promise<unknown> {
  return new Promise((resolve) => signal?.addEventListener('abort', () => resolve({ error: withdrawnError() }), { once: true }));
}

/** Events sent by the test, as the WebSocket would deliver them. */
function manualEvents() {
  let onEvent: ((m: StationEventMessage) => void) | null = null;
  const events: EventConnector = (h) => {
    onEvent = h.onEvent;
    h.onState('live');
    return { close: () => (onEvent = null) };
  };
  return { events, emit: (m: StationEventMessage) => onEvent?.(m) };
}

const headerPass = () => document.querySelector('.header__counts [data-verdict="pass"]')?.textContent;
const shownName = () => document.querySelector('.capture__name')?.textContent;

describe('a burst of captures on the capture view', () => {
  it('keeps at most a few requests in flight through 1,000 capture.recorded events, and ends showing the newest capture and the real count', async () => {
    const s = await start();
    const real = await s.client.status({});
    if (!('result' in real)) throw new Error('no status');
    let recorded = 0;
    const { client, seen } = counted(s.client, {
      status: () => later({ result: { ...real.result, captures: { pass: recorded, warn: 0, fail: 0, total: recorded } } }),
      listCaptures: () => later({ result: [] }),
      getCapture: (args) => later({ result: captureDetail((args as { id: number }).id) }),
      capturePreview: (_args, signal) => hangsUntilWithdrawn(signal),
    });
    const { events, emit } = manualEvents();
    await mount(createElement(App, { client, events, tones: { play: vi.fn() } }));
    await flush();

    const burst = 1000;
    await act(async () => {
      for (let id = 1; id <= burst; id++) {
        recorded = id;
        emit({ event: 'capture.recorded', payload: { capture: captureRecord(id) } });
        // Messages arrive in tasks of their own; replies come in between now and then.
        if (id % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      }
    });
    await until(() => headerPass()?.includes(String(burst)) === true && shownName() === `img-${burst}.tif`, 'the count and the newest capture after the burst');
    // One status, one capture and one preview at most, plus a start-up request.
    expect(seen.maxInFlight).toBeLessThanOrEqual(4);
    expect(seen.calls).toBeLessThan(burst);
    expect(document.body.textContent).not.toMatch(/cannot be reached|withdrawn/);
    // The newest capture's preview is the one still waited for; the others were withdrawn.
    expect(seen.inFlight).toBe(1);
  });

  it('does not say Live while the event stream is up but requests get no answer, and says so again once they do', async () => {
    const s = await start();
    let answering = false;
    const unreachable = { error: { code: 'UNREACHABLE', message: 'The station cannot be reached (Failed to fetch).' } };
    const { client } = counted(s.client, { status: () => (answering ? undefined : later(unreachable)) });
    const { events, emit } = manualEvents();
    await mount(createElement(App, { client, events, tones: { play: vi.fn() } }));
    const badge = () => document.querySelector('.connection');
    await until(() => badge()?.getAttribute('data-state') === 'unanswered', 'the badge after a failed request');
    expect(badge()?.textContent).not.toMatch(/Live/);
    answering = true;
    emit({ event: 'disk.status', payload: {} as never });
    await until(() => badge()?.getAttribute('data-state') === 'live', 'the badge once requests are answered');
    expect(badge()?.textContent).toMatch(/Live/);
  });

  it('follows capture.rechecked in the header counts (a recheck can change a verdict)', async () => {
    const s = await start();
    const real = await s.client.status({});
    if (!('result' in real)) throw new Error('no status');
    let counts = { pass: 1, warn: 0, fail: 1, total: 2 };
    const { client } = counted(s.client, { status: () => later({ result: { ...real.result, captures: counts } }) });
    const { events, emit } = manualEvents();
    await mount(createElement(App, { client, events, tones: { play: vi.fn() } }));
    await until(() => headerPass() === '✓ 1', 'the counts at start');
    // The pair's partner arrived: the failed half is checked again and passes.
    counts = { pass: 2, warn: 0, fail: 0, total: 2 };
    emit({ event: 'capture.rechecked', payload: { capture: captureRecord(2) } });
    await until(() => headerPass() === '✓ 2', 'the counts after the recheck');
    expect(document.querySelector('.header__counts [data-verdict="fail"]')?.textContent).toBe('✕ 0');
  });
});
