/**
 * `POST /api/<command>`: the contract over HTTP. Arguments are validated by dispatch(), exactly as
 * for every other transport; a command's own error is data (HTTP 200), only transport problems get
 * an HTTP error status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dispatch, type HandlerMap } from '../contract/client.js';
import { isCommandName, readOnlyCommands } from '../contract/commands.js';
import type { ErrorCode } from '../errors.js';
import { sendJson } from './headers.js';
import type { Role } from './tokens.js';

export const defaultMaxBodyBytes = 64 * 1024;

export function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string, extra: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code, message } }, extra);
}

export async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, role: Role, handlers: HandlerMap, maxBodyBytes: number): Promise<void> {
  const name = url.pathname.slice('/api/'.length);
  if (name === 'events') return sendError(res, 426, 'INVALID_ARGUMENT', '/api/events is a WebSocket: connect with a WebSocket client.', { Upgrade: 'websocket' });
  if (!isCommandName(name)) return sendError(res, 404, 'NOT_FOUND', `There is no command "${name}".`);
  if (req.method !== 'POST') return sendError(res, 405, 'INVALID_ARGUMENT', `Call ${name} with POST and a JSON body.`, { Allow: 'POST' });
  if (name === 'access') return sendJson(res, 200, { result: { role } });
  if (role !== 'operator' && !readOnlyCommands.has(name)) return sendError(res, 403, 'FORBIDDEN', `A monitor token may only read; "${name}" needs the operator token.`);
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return sendError(res, 415, 'INVALID_ARGUMENT', 'Send the arguments as JSON (Content-Type: application/json).');

  const body = await readBody(req, maxBodyBytes);
  if (body === 'too large') {
    sendError(res, 413, 'TOO_LARGE', `The request body is larger than ${maxBodyBytes} bytes.`, { Connection: 'close' });
    return;
  }
  let args: unknown = {};
  if (body.trim() !== '') {
    try {
      args = JSON.parse(body);
    } catch (err) {
      return sendError(res, 400, 'INVALID_ARGUMENT', `The request body is not valid JSON: ${(err as Error).message}`);
    }
  }
  // A caller that went away (a browser withdrawing a superseded preview request) withdraws its
  // command: work still waiting for its turn (a preview waits until QC is idle) is then not done.
  const withdrawn = new AbortController();
  res.once('close', () => {
    if (!res.writableEnded) withdrawn.abort();
  });
  const reply = await dispatch(handlers, name, args, { signal: withdrawn.signal });
  if (!withdrawn.signal.aborted) sendJson(res, 200, reply);
}

function readBody(req: IncomingMessage, limit: number): Promise<string | 'too large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve('too large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        resolve('too large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}
