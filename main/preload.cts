/**
 * The preload of the sandboxed window (CommonJS: a sandboxed preload cannot be an ES module). It
 * exposes exactly the StationBridge of the core's contract, nothing of Node or Electron.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file under verbatimModuleSyntax can only import this way
import electron = require('electron');
import type { IpcRendererEvent } from 'electron';
import type { StationBridge } from '../src/contract/bridge.js';

const { contextBridge, ipcRenderer } = electron;

// Channel names repeated here: a sandboxed preload can require only 'electron', not project files.
const channels = { invoke: 'capture-station:invoke', event: 'capture-station:event', withdraw: 'capture-station:withdraw' } as const;

const bridge = {
  invoke: (command, args, requestId) => ipcRenderer.invoke(channels.invoke, command, args, ...(requestId === undefined ? [] : [requestId])),
  withdraw: (requestId) => ipcRenderer.invoke(channels.withdraw, requestId),
  onEvent: (listener) => {
    const forward = (_e: IpcRendererEvent, event: Parameters<typeof listener>[0], payload: Parameters<typeof listener>[1]) => listener(event, payload);
    ipcRenderer.on(channels.event, forward);
    return () => void ipcRenderer.off(channels.event, forward);
  },
} satisfies StationBridge;

contextBridge.exposeInMainWorld('captureStation', bridge);
