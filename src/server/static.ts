/**
 * The built UI (dist/renderer) as static files. Only files inside the UI folder are ever served:
 * a path that resolves outside it — by `..`, an encoded slash or a symlink — is refused.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { packageRoot } from '../package-info.js';
import { sendText } from './headers.js';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** dist/renderer of this package. */
export function defaultUiDir(): string | null {
  const root = packageRoot();
  return root ? path.join(root, 'dist', 'renderer') : null;
}

const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Capture Station</title></head>
<body><h1>Capture Station</h1><p>The station and its API are running, but the web UI has not been built.
Run <code>npm run build:ui</code> in the Capture Station folder and reload this page.</p></body></html>`;

export async function serveStatic(req: IncomingMessage, res: ServerResponse, url: URL, uiDir: string | null): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'Method not allowed.\n', undefined, { Allow: 'GET, HEAD' });
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    return sendText(res, 400, 'Bad path.\n');
  }
  if (rel.includes('\0') || rel.includes('\\')) return sendText(res, 400, 'Bad path.\n');

  const root = uiDir ? await realDir(uiDir) : null;
  if (!root || !fs.existsSync(path.join(root, 'index.html'))) return sendText(res, 200, notBuilt, 'text/html; charset=utf-8');

  let target = path.resolve(root, '.' + path.posix.normalize('/' + rel));
  if (!inside(root, target)) return sendText(res, 403, 'Refused: outside the UI folder.\n');
  let stat = await fs.promises.stat(target).catch(() => null);
  if (stat?.isDirectory()) {
    target = path.join(target, 'index.html');
    stat = await fs.promises.stat(target).catch(() => null);
  }
  if (!stat) {
    // Client-side routes (no extension) get the app; a missing asset is a plain 404.
    if (path.extname(rel) !== '') return sendText(res, 404, 'Not found.\n');
    target = path.join(root, 'index.html');
    stat = await fs.promises.stat(target).catch(() => null);
    if (!stat) return sendText(res, 404, 'Not found.\n');
  }
  const real = await fs.promises.realpath(target).catch(() => null);
  if (!real || !inside(root, real) || !stat.isFile()) return sendText(res, 403, 'Refused: outside the UI folder.\n');

  const ext = path.extname(real).toLowerCase();
  const immutable = real.startsWith(path.join(root, 'assets') + path.sep);
  res.writeHead(200, {
    'Content-Type': contentTypes[ext] ?? 'application/octet-stream',
    'Content-Length': stat.size,
    // index.html is the page the token opened: never cached. Vite's assets carry a content hash.
    'Cache-Control': immutable ? 'private, max-age=31536000, immutable' : 'no-store',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const stream = fs.createReadStream(real);
    stream.on('error', () => {
      res.destroy();
      resolve();
    });
    res.on('close', resolve);
    stream.pipe(res);
  });
}

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root + path.sep);
}

async function realDir(dir: string): Promise<string | null> {
  return fs.promises.realpath(dir).catch(() => null);
}
