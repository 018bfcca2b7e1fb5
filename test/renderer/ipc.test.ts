/** The desktop window's transport: the UI's typed client and event stream over the preload's bridge. */
import { describe, expect, it } from 'vitest';
import { dispatch, type HandlerMap } from '../../src/contract/client.js';
import type { StationBridge } from '../../src/contract/bridge.js';
import { commandArgs } from '../../src/contract/commands.js';
import { connectIpcEvents, createIpcClient, desktopBridge } from '../../renderer/transport/ipc.js';

const handlers = Object.fromEntries(Object.keys(commandArgs).map((c) => [c, (args: unknown) => ({ ran: c, args })])) as unknown as HandlerMap;

function fakeBridge() {
  const listeners = new Set<Parameters<StationBridge['onEvent']>[0]>();
  const bridge: StationBridge = {
    invoke: (command, args) => dispatch(handlers, command, args),
    withdraw: () => Promise.resolve({ result: { withdrawn: false } }),
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { bridge, listeners };
}

describe('IPC transport', () => {
  it('calls the contract through the bridge, with errors as data', async () => {
    const client = createIpcClient(fakeBridge().bridge);
    expect(await client.getCapture({ id: 3 })).toEqual({ result: { ran: 'getCapture', args: { id: 3 } } });
    expect(await client.getCapture({ id: -3 })).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    const broken = createIpcClient({ invoke: () => Promise.reject(new Error('core process gone')), withdraw: () => Promise.reject(new Error('core process gone')), onEvent: () => () => undefined });
    expect(await broken.status({})).toEqual({ error: { code: 'UNREACHABLE', message: 'The station core cannot be reached (core process gone).' } });
  });

  it('delivers events live at once and stops on close', () => {
    const { bridge, listeners } = fakeBridge();
    const got: string[] = [];
    const states: string[] = [];
    const stream = connectIpcEvents(bridge, { onEvent: (m) => got.push(m.event), onState: (s) => states.push(s) });
    for (const l of listeners) l('capture.checking', { sourceId: 'inbox', relPath: 'a.tif' });
    stream.close();
    expect(listeners.size).toBe(0);
    expect(got).toEqual(['capture.checking']);
    expect(states).toEqual(['live']);
  });

  it('is used only where the preload put a bridge', () => {
    expect(desktopBridge()).toBeNull();
  });
});
