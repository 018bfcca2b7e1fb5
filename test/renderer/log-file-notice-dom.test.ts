// @vitest-environment happy-dom
/**
 * A station log file that cannot be written reaches the rig screen (nobody there reads stderr):
 * the station's sentence naming the file and what to do, once per episode in the event log, and a
 * "written again" note once it works, until dismissed. Real files: a logs folder that cannot be
 * made (a file is in its way), then can.
 */
import fs from 'node:fs';
import path from 'node:path';
import { act, createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../renderer/app/App.js';
import { LogFile } from '../../src/log/log-file.js';
import { click, mount, unmountAll, until } from '../helpers/dom.js';
import { startInProcessStation } from '../helpers/in-process-station.js';
import { queryStation } from '../helpers/station-process.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await unmountAll();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const notice = () => document.querySelector('[data-testid="log-file"]')?.textContent?.replace(/\s+/g, ' ').trim() ?? null;

describe('the station log file on the rig screen', () => {
  it('shows that it cannot be written and what to do, then that it is written again, until dismissed', async () => {
    const s = await startInProcessStation({ station: { id: 'stand-1' }, ingest: { rescanIntervalSec: 0 } });
    cleanup.push(s.stop);
    const told: (string | null)[] = [];
    s.station.on('log.file', (e) => told.push(e.problem));
    // A file where the logs folder should be: the folder cannot be made (ENOTDIR), as with a removed mount.
    const blocker = path.join(s.home, 'not-a-folder');
    fs.writeFileSync(blocker, '');
    const logFile = new LogFile({ dir: path.join(blocker, 'logs'), maxBytes: 1e6, keep: 1, retryMs: 60_000, problem: (p) => s.station.logFileProblem(path.join(blocker, 'logs', 'station.log'), p) });
    cleanup.push(() => logFile.close());
    await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
    await until(() => document.querySelector('[data-testid="station-id"]')?.textContent === 'stand-1', 'the station shown');
    expect(notice()).toBeNull();

    // The station tells the screen at once (events), inside these calls.
    act(() => {
      logFile.start();
      for (let i = 0; i < 3; i++) logFile.write('{"line":1}\n');
    });
    await until(() => notice() !== null, 'the problem shown');
    expect(notice()).toBe(`▲ Station log: ${s.station.status().logFile?.problem}`);
    expect(notice()).toContain(`The log file ${logFile.file} cannot be written (ENOTDIR`);
    expect(document.querySelector('[data-testid="log-file"]')?.getAttribute('role')).toBe('alert');

    // The folder can be made again; a reopen (SIGHUP) tries at once.
    fs.rmSync(blocker);
    act(() => {
      logFile.reopen();
      logFile.write('{"line":2}\n');
    });
    await until(() => notice()?.startsWith('✓') === true, 'the recovery shown');
    expect(notice()).toMatch(new RegExp(`^✓ Station log: the log file ${logFile.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} works again since \\d\\d:\\d\\d:\\d\\d\\. Dismiss$`));
    expect(told).toEqual([expect.stringContaining('cannot be written'), null]);
    // In the station's event log, once each (three lines were dropped, one problem told).
    const logged = queryStation<{ data_json: string }[]>(s.home, `SELECT data_json FROM events WHERE type = 'log.file' ORDER BY id`, []).map((r) => JSON.parse(r.data_json) as { file: string; problem: string | null });
    expect(logged).toEqual([
      { file: logFile.file, problem: told[0], since: expect.any(String) },
      { file: logFile.file, problem: null, since: expect.any(String) },
    ]);
    await click(document.querySelector('[data-testid="log-file"] button')!);
    expect(notice()).toBeNull();
  }, 60_000);
});
