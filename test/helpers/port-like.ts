/** One end of a real MessageChannel as the core protocol's port (main/core-rpc.ts), as Electron's parentPort is used. */
import type { MessagePort } from 'node:worker_threads';
import type { CoreMessage, PortLike } from '../../main/core-rpc.js';

export const portLike = (port: MessagePort): PortLike => ({
  postMessage: (m: CoreMessage) => port.postMessage(m),
  on: (_event, listener) => port.on('message', (m: CoreMessage) => listener(m)),
});
