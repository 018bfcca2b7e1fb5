/**
 * The React UI, built to dist/renderer and served by `capture-station serve` (and, later, Electron).
 * `npm run dev:ui` serves it with hot reload and forwards /api to a running `capture-station serve`
 * (CAPTURE_STATION_URL, default http://127.0.0.1:7410) with its token (CAPTURE_STATION_TOKEN).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const station = process.env['CAPTURE_STATION_URL'] ?? 'http://127.0.0.1:7410';
const token = process.env['CAPTURE_STATION_TOKEN'];

/** The dev server's hot reload needs an inline script the page's CSP forbids: the dev page goes without it (builds keep it). */
const devWithoutMetaCsp: Plugin = {
  name: 'capture-station:dev-without-meta-csp',
  apply: 'serve',
  transformIndexHtml: (html) => html.replace(/\s*<meta http-equiv="Content-Security-Policy"[^>]*>/, ''),
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs: the same build works over http:// and from Electron's file://.
  base: './',
  plugins: [react(), devWithoutMetaCsp],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    // No inline scripts or styles: the CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      // Only the API: the UI's own modules live under /transport, /app, /components.
      '^/api/': { target: station, ws: true, headers: token ? { Authorization: `Bearer ${token}` } : {} },
    },
  },
});
