// @vitest-environment happy-dom
/**
 * A station log file that cannot be written reaches the rig screen (nobody there reads stderr):
 * the station's sentence naming the file and what to do, once per episode in the event log, and a
 * "written again" note once it works, until dismissed. Real files: a logs folder that cannot be
 * made (a file is in its way), then can.
 */
import fs from 'node:fs';
import path from 'node:path';
import { act, createElement, useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../renderer/app/App.js';
import type { StationStatus } from '../../renderer/app/use-station.js';
import { LogFileNotice } from '../../renderer/components/LogFileNotice.js';
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

  describe('the "works again" note', () => {
    type LogFileStatus = NonNullable<StationStatus['logFile']>;
    const file = '/var/station/logs/station.log';
    /** LogFileNotice as App renders it: `show` hands it the next status().logFile. */
    let show: (logFile: LogFileStatus) => void = () => undefined;
    function Host({ first }: { first: LogFileStatus }) {
      const [logFile, setLogFile] = useState(first);
      show = (next) => act(() => setLogFile(next));
      return createElement(LogFileNotice, { logFile });
    }
    const at = (iso: string) => new Date(iso).getTime();
    afterEach(() => {
      vi.useRealTimers();
    });

    it('is not shown again by a screen opened (reloaded) more than an hour after the recovery, but is within the hour', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(at('2026-03-02T10:00:00'));
      await mount(createElement(Host, { first: { file, problem: null, since: new Date(at('2026-03-02T08:30:00')).toISOString() } }));
      expect(notice()).toBeNull();
      await unmountAll();
      await mount(createElement(Host, { first: { file, problem: null, since: new Date(at('2026-03-02T09:15:00')).toISOString() } }));
      expect(notice()).toMatch(/^✓ Station log: the log file \/var\/station\/logs\/station\.log works again since 09:15:00\. Dismiss$/);
    });

    it('seen live, stays until dismissed, and says the date once it is no longer today', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(at('2026-03-02T23:50:00'));
      await mount(createElement(Host, { first: { file, problem: 'The log file cannot be written.', since: new Date(at('2026-03-02T23:40:00')).toISOString() } }));
      show({ file, problem: null, since: new Date(at('2026-03-02T23:55:00')).toISOString() });
      expect(notice()).toContain('works again since 23:55:00.');
      // The next morning, nobody has dismissed it: it says which day.
      vi.setSystemTime(at('2026-03-03T08:00:00'));
      show({ file, problem: null, since: new Date(at('2026-03-02T23:55:00')).toISOString() });
      expect(notice()).toMatch(/works again since \S*2026\S* 23:55:00\./);
      expect(notice()).toContain(new Date(at('2026-03-02T23:55:00')).toLocaleDateString([], { year: 'numeric', month: '2-digit', day: '2-digit' }));
    });
  });
});
