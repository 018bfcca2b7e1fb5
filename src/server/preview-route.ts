/**
 * `GET /api/preview/<capture id>`: a capture's display JPEG as bytes, for HTTP clients that want an
 * image rather than the `capturePreview` command's data URL. Behind the same token as every request
 * (any role: it changes nothing); named by the content's SHA-256 as its ETag, so a browser asks
 * again only with If-None-Match. A client that goes away before the preview is made withdraws it,
 * as for every command (api.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toErrorData } from '../errors.js';
import { sendError } from './api.js';

export const previewPathPrefix = '/api/preview/';

export type PreviewJpeg = (captureId: number, signal: AbortSignal) => Promise<{ bytes: Buffer; sha256: string }>;

const statusOf: Record<string, number> = { NOT_FOUND: 404, INVALID_ARGUMENT: 400, FILE_UNREADABLE: 422 };

export async function servePreview(req: IncomingMessage, res: ServerResponse, url: URL, previewJpeg: PreviewJpeg): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'INVALID_ARGUMENT', 'Fetch a preview with GET.', { Allow: 'GET, HEAD' });
  const idText = url.pathname.slice(previewPathPrefix.length).replace(/\.jpe?g$/, '');
  const id = /^[1-9]\d{0,15}$/.test(idText) ? Number(idText) : NaN;
  if (!Number.isSafeInteger(id)) return sendError(res, 400, 'INVALID_ARGUMENT', `"${idText}" is not a capture id; ask for /api/preview/<id>, e.g. /api/preview/12.`);
  const withdrawn = new AbortController();
  res.once('close', () => {
    if (!res.writableEnded) withdrawn.abort();
  });
  let preview: { bytes: Buffer; sha256: string };
  try {
    preview = await previewJpeg(id, withdrawn.signal);
  } catch (err) {
    if (withdrawn.signal.aborted) return;
    const data = toErrorData(err);
    return sendError(res, statusOf[data.code] ?? 500, data.code, data.message);
  }
  if (withdrawn.signal.aborted) return;
  const etag = `"${preview.sha256}"`;
  const headers = { ETag: etag, 'Cache-Control': 'private, no-cache' };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, 'Content-Type': 'image/jpeg', 'Content-Length': preview.bytes.length });
  res.end(req.method === 'HEAD' ? undefined : preview.bytes);
}
