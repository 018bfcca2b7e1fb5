/** A window that reloads, navigates or is destroyed withdraws every call its page had in flight in the core. */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreClient, serveCore } from '../../main/core-rpc.js';
import { IpcCalls, replacesPage, whenPageGoes, type PageEvents } from '../../main/ipc.js';
import { uiEntryUrl } from '../../main/security.js';
import type { CallContext, HandlerMap } from '../../src/contract/client.js';
import { commandArgs } from '../../src/contract/commands.js';
import { waitFor } from '../helpers/station-home.js';
import { portLike } from '../helpers/port-like.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0).reverse()) c();
});

const uiDir = path.resolve('/opt/capture-station/resources/app/dist/renderer');
const entry = uiEntryUrl(uiDir);

/** The main process (main.ts) and a core whose every command runs until it is withdrawn, noting which. */
function shellAndCore() {
  const { port1, port2 } = new MessageChannel();
  cleanup.push(() => {
    port1.close();
    port2.close();
  });
  const withdrawnIn: number[] = [];
  const handlers = Object.fromEntries(
    Object.keys(commandArgs).map((c) => [c, (args: { id: number }, { signal }: CallContext) => new Promise((resolve) => signal?.addEventListener('abort', () => resolve(withdrawnIn.push(args.id)), { once: true }))]),
  ) as unknown as HandlerMap;
  serveCore(portLike(port1), handlers, () => () => undefined);
  const core = new CoreClient(portLike(port2), () => undefined);
  return { calls: new IpcCalls((c, a, signal) => core.call(c, a, signal), uiDir), withdrawnIn };
}

describe('a window whose page goes away', () => {
  it("withdraws all of that page's calls in the core, with or without a request id; another window's run on", async () => {
    const { calls, withdrawnIn } = shellAndCore();
    const window = { id: 1, url: entry };
    const other = { id: 2, url: entry };
    const preview = calls.invoke(window, 'capturePreview', { id: 1, withImage: true }, 1);
    const exported = calls.invoke(window, 'getCapture', { id: 2 });
    const elsewhere = calls.invoke(other, 'getCapture', { id: 3 }, 1);

    expect(calls.pageGone(window.id)).toBe(2);
    expect(await preview).toMatchObject({ error: { code: 'CANCELLED' } });
    expect(await exported).toMatchObject({ error: { code: 'CANCELLED' } });
    await waitFor(() => withdrawnIn.length === 2, "the withdrawals in the core's handlers");
    expect(withdrawnIn.sort()).toEqual([1, 2]);
    // Nothing is left of that page; the reloaded page's calls (its request ids start again) are its own.
    expect(calls.pageGone(window.id)).toBe(0);
    const reloaded = calls.invoke(window, 'getCapture', { id: 4 }, 1);
    expect(calls.withdraw(window, 1)).toEqual({ result: { withdrawn: true } });
    expect(await reloaded).toMatchObject({ error: { code: 'CANCELLED' } });

    // The other window's call ran on until its own page went.
    await waitFor(() => withdrawnIn.length === 3, 'the withdrawal of the reloaded page');
    expect(withdrawnIn).not.toContain(3);
    expect(calls.pageGone(other.id)).toBe(1);
    expect(await elsewhere).toMatchObject({ error: { code: 'CANCELLED' } });
    await waitFor(() => withdrawnIn.includes(3), "the other window's withdrawal");
  });

  it('takes a reload or a load of the UI in the main frame as the page replaced; not an in-page move, a frame, or a navigation the window refuses', () => {
    const start = (url: string, isMainFrame = true, isSameDocument = false) => replacesPage({ url, isMainFrame, isSameDocument }, uiDir);
    expect(start(entry)).toBe(true);
    expect(start(`${entry}#queue`)).toBe(true);
    // The UI's views are hash routes (replaceState): same document.
    expect(start(`${entry}#queue`, true, true)).toBe(false);
    expect(start(entry, false)).toBe(false);
    // will-navigate stops these (main.ts), so the page stays.
    expect(start('https://example.org/')).toBe(false);
    expect(start(uiEntryUrl(`${uiDir}-evil`))).toBe(false);
  });

  it('withdraws the calls the old page makes between the start of a navigation and the commit of the new document', async () => {
    const { calls, withdrawnIn } = shellAndCore();
    const window = { id: 1, url: entry };
    // A window's webContents, emitting as Electron 38 does (the listener's arguments in its order).
    const contents = new EventEmitter();
    whenPageGoes(contents as unknown as PageEvents, uiDir, () => calls.pageGone(window.id));
    const startNavigation = (url: string, isSameDocument = false) => contents.emit('did-start-navigation', { url, isMainFrame: true, isSameDocument, preventDefault: () => undefined }, url, isSameDocument, true, 1, 1);

    const before = calls.invoke(window, 'getCapture', { id: 1 }, 1);
    startNavigation(entry); // a reload
    expect(await before).toMatchObject({ error: { code: 'CANCELLED' } });
    // The old document still runs until the new one commits, and may call (a timer, a late effect).
    const late = calls.invoke(window, 'getCapture', { id: 2 }, 2);
    contents.emit('did-navigate', { preventDefault: () => undefined }, entry, -1, '');
    expect(await late).toMatchObject({ error: { code: 'CANCELLED' } });
    await waitFor(() => withdrawnIn.length === 2, "the withdrawals in the core's handlers");

    // The new page's calls run on through its in-page moves (hash routes), until it goes in turn.
    const mine = calls.invoke(window, 'getCapture', { id: 3 }, 1);
    startNavigation(`${entry}#queue`, true);
    contents.emit('did-navigate-in-page', { preventDefault: () => undefined }, `${entry}#queue`, true, 1, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(withdrawnIn).not.toContain(3);
    contents.emit('destroyed');
    expect(await mine).toMatchObject({ error: { code: 'CANCELLED' } });
    await waitFor(() => withdrawnIn.includes(3), 'the withdrawal when the window went');
  });
});
