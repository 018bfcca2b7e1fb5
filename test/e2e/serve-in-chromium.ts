/**
 * What both end-to-end suites share: `capture-station serve` (from the sources, through tsx) on a
 * temp home, and Debian's Chromium driven by playwright-core (never a downloaded browser).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { waitFor } from '../helpers/station-home.js';

export const chromiumPath = '/usr/bin/chromium';
export const hasChromium = fs.existsSync(chromiumPath);
export const root = fileURLToPath(new URL('../..', import.meta.url));
export const screenshots = path.join(root, 'test/artifacts/screenshots');
/** The flags this machine needs (see the environment notes): no sandbox as root, no background traffic. */
const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface ServeProcess {
  child: ChildProcess;
  /** The URL `serve` printed, with the operator token. */
  openUrl: string;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
}

/** Starts `serve` on `home` and resolves once it prints its address; throws with its stderr if it exits first. */
export async function startServe(home: string, timeoutMs = 30_000): Promise<ServeProcess> {
  if (!fs.existsSync(path.join(root, 'dist/renderer/index.html'))) throw new Error('dist/renderer is not built: run `npm run build:ui` (npm run build and npm ci do it) before the end-to-end tests.');
  fs.mkdirSync(screenshots, { recursive: true });
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'serve', '--home', home], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout?.resume();
  await waitFor(() => /Open: (http:\/\/\S+)/.test(stderr) || child.exitCode !== null, 'serve to print its address', timeoutMs);
  const m = /Open: (http:\/\/\S+)/.exec(stderr);
  if (!m) throw new Error(`serve did not start:\n${stderr}`);
  return { child, openUrl: m[1]!, stderr: () => stderr };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
}

/** SIGTERM, then SIGKILL if the station has not finished its shutdown after 20 s. */
export async function stopServe(serve: ServeProcess | null): Promise<void> {
  const child = serve?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const hard = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(hard);
}

/**
 * A keyboard-wedge scanner: the keys of `text` ('\n' is Enter) with event times exactly `gapMs`
 * apart, set through CDP, so the burst is as even as a real scanner's however busy this machine is.
 * The times lie a moment ahead, so every key is in before the page's wedge would call the line quiet.
 */
export async function scannerBurst(p: Page, text: string, gapMs = 20): Promise<void> {
  const cdp = await p.context().newCDPSession(p);
  const start = (await p.evaluate('performance.timeOrigin + performance.now()')) as number;
  for (const [i, ch] of [...text].entries()) {
    const key = ch === '\n' ? { key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, text: '\r' } : { key: ch, text: ch };
    const timestamp = (start + 1000 + i * gapMs) / 1000;
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', timestamp, ...key });
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', timestamp: timestamp + 0.005, key: key.key });
  }
  await cdp.detach();
}
