import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IpcCalls } from '../../main/ipc.js';
import { allowNavigation, allowPermission, desktopCsp, isTrustedSender, uiEntryUrl } from '../../main/security.js';
import { dispatch, type HandlerMap } from '../../src/contract/client.js';
import { ipcChannels } from '../../src/contract/bridge.js';
import { commandArgs } from '../../src/contract/commands.js';

const uiDir = path.resolve('/opt/capture-station/resources/app/dist/renderer');
const entry = uiEntryUrl(uiDir);

describe('desktop window security', () => {
  it('trusts only pages of the bundled UI', () => {
    expect(isTrustedSender(entry, uiDir)).toBe(true);
    expect(isTrustedSender(pathToFileURL(path.join(uiDir, 'assets/app.js')).href, uiDir)).toBe(true);
    for (const url of ['https://example.org/', 'file:///etc/passwd', pathToFileURL(`${uiDir}-evil/index.html`).href, `${entry}/../../../x.html`, 'devtools://devtools', 'not a url', undefined]) {
      expect(isTrustedSender(url, uiDir), String(url)).toBe(false);
    }
  });

  it('never navigates away from the UI and denies every permission', () => {
    expect(allowNavigation(entry, uiDir)).toBe(true);
    expect(allowNavigation('https://example.org/', uiDir)).toBe(false);
    expect(allowNavigation(pathToFileURL(path.join(uiDir, 'assets/app.js')).href, uiDir)).toBe(false);
    for (const p of ['media', 'geolocation', 'notifications', 'hid', 'usb', 'serial', 'clipboard-read']) expect(allowPermission(p), p).toBe(false);
  });

  it('has a CSP without inline script, eval or remote sources', () => {
    expect(desktopCsp).toContain("script-src 'self'");
    expect(desktopCsp).toContain("object-src 'none'");
    expect(desktopCsp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
  });
});

describe('contract over IPC', () => {
  const unused = Object.fromEntries(Object.keys(commandArgs).map((c) => [c, () => ({ ran: c })])) as unknown as HandlerMap;
  const calls = new IpcCalls((command, args) => dispatch(unused, command, args), uiDir);
  const window = { id: 1, url: entry };
  const stranger = { id: 2, url: 'https://example.org/' };

  it('answers the UI, validating arguments, and refuses any other sender', async () => {
    expect(await calls.invoke(window, 'status', {})).toEqual({ result: { ran: 'status' } });
    expect(await calls.invoke(window, 'status', {}, 7)).toEqual({ result: { ran: 'status' } });
    expect(await calls.invoke(window, 'getCapture', { id: 'x' })).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(await calls.invoke(window, 'toString', {})).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(await calls.invoke(stranger, 'status', {})).toEqual({ error: { code: 'FORBIDDEN', message: 'Only the Capture Station window may call the station.' } });
  });

  it('refuses a request id or a withdrawal that is not a positive whole number, and a withdrawal from any other sender', async () => {
    for (const bad of [0, -1, 1.5, '3', null, Number.MAX_SAFE_INTEGER + 1]) {
      const message = `The request id ${JSON.stringify(bad)} is not a positive whole number; send a fresh one with each call you may withdraw.`;
      expect(await calls.invoke(window, 'status', {}, bad), String(bad)).toEqual({ error: { code: 'INVALID_ARGUMENT', message } });
      expect(calls.withdraw(window, bad), String(bad)).toEqual({ error: { code: 'INVALID_ARGUMENT', message } });
    }
    expect(calls.withdraw(stranger, 1)).toEqual({ error: { code: 'FORBIDDEN', message: 'Only the Capture Station window may call the station.' } });
    expect(calls.withdraw(window, 1)).toEqual({ result: { withdrawn: false } });
  });

  it('uses the same channel names in the sandboxed preload as in the contract', () => {
    const preload = fs.readFileSync(path.resolve(import.meta.dirname, '../../main/preload.cts'), 'utf8');
    for (const channel of Object.values(ipcChannels)) expect(preload).toContain(`'${channel}'`);
  });
});
