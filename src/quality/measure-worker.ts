/**
 * A worker thread that runs the working copy's measures (measure.ts): a few million samples of
 * plain JS, 20–90 ms a capture, which on the main thread held the event loop for as long. It also
 * halves a shared decode for QC (halve.ts: 20–25 ms for a 64 MP sheet's ¼ decode), for the same reason.
 */
import { parentPort } from 'node:worker_threads';
import { halved } from './halve.js';
import { measure } from './measure.js';
import type { MeasureReply, MeasureRequest } from './measure-protocol.js';

const port = parentPort;
if (!port) throw new Error('the measuring worker must run in a worker thread');

port.on('message', (req: MeasureRequest) => {
  let reply: MeasureReply;
  try {
    reply =
      req.kind === 'halve'
        ? { id: req.id, ok: true, halved: halved(req) }
        : { id: req.id, ok: true, measurements: measure(Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength), req.layout) };
  } catch (err) {
    reply = { id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply, 'halved' in reply ? [reply.halved.data.buffer] : []);
});
