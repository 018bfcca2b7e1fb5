// @vitest-environment happy-dom
/**
 * An edit of the config file while the station runs reaches the rig screen: the station runs on the
 * config it started with, and the banner says so and what to do (restart, or fix the named field),
 * until the edit is undone. The UI learns of it from the station's event, not from a poll.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../../renderer/app/App.js';
import { loadConfig } from '../../src/config/load.js';
import { mount, unmountAll, until } from '../helpers/dom.js';
import { startInProcessStation } from '../helpers/in-process-station.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await unmountAll();
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** The banner's lines, one space between them; null while there is none. */
function banner(): string | null {
  const shown = document.querySelector('[data-testid="config-changed"]');
  return shown ? [...shown.querySelectorAll('p')].map((p) => p.textContent?.replace(/\s+/g, ' ').trim()).join(' ') : null;
}

describe('a config edit while the station runs, on the rig screen', () => {
  it('says to restart, or names the invalid field, and goes when the edit is undone', async () => {
    const s = await startInProcessStation({ station: { id: 'stand-1' }, ingest: { rescanIntervalSec: 0 } });
    cleanup.push(s.stop);
    const statusCalls = vi.spyOn(s.client, 'status');
    await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
    await until(() => document.querySelector('[data-testid="station-id"]')?.textContent === 'stand-1', 'the station shown');
    expect(banner()).toBeNull();
    const file = path.join(s.home, 'station.json');
    const original = fs.readFileSync(file, 'utf8');

    fs.writeFileSync(file, JSON.stringify({ station: { id: 'stand-2' } }));
    await until(() => banner() !== null, 'the edit shown');
    expect(banner()).toBe(`▲ Config edited — restart the station to apply it The station still runs on the config it started with: ${file}`);

    fs.writeFileSync(file, JSON.stringify({ station: { id: 'stand-1' }, sources: [{ id: 'cam', path: 'Cam', kind: 'camra' }] }));
    await until(() => banner()?.startsWith('✕') === true, 'the invalid edit shown');
    expect(banner()).toMatch(/^✕ Edited config is invalid — fix it before restarting sources\.0\.kind: .+ The station still runs on the config it started with, but would not start with this file: /);
    expect(document.querySelector('[data-testid="config-changed"]')?.getAttribute('role')).toBe('alert');

    // Removed: not invalid; without --config the next start runs on the embedded default.
    fs.rmSync(file);
    await until(() => banner()?.includes('removed') === true, 'the removal shown');
    expect(banner()).toBe(`▲ Config file removed — the next start would use the default config The station still runs on the config it started with: ${file}`);
    expect(document.querySelector('[data-testid="config-changed"]')?.getAttribute('data-tone')).toBe('warn');
    expect(loadConfig({ home: s.home }).configFile).toBeNull();

    fs.writeFileSync(file, original);
    await until(() => banner() === null, 'the banner gone once the edit is undone');
    // Nothing asked the station for its status after the first look: the events told the screen.
    expect(statusCalls.mock.calls.length).toBeLessThanOrEqual(1);
  }, 60_000);

  it('says a removed file given with --config would stop the next start', async () => {
    const s = await startInProcessStation({ station: { id: 'stand-1' }, ingest: { rescanIntervalSec: 0 } }, undefined, { configGiven: true });
    cleanup.push(s.stop);
    const file = path.join(s.home, 'station.json');
    await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
    await until(() => document.querySelector('[data-testid="station-id"]')?.textContent === 'stand-1', 'the station shown');
    fs.rmSync(file);
    await until(() => banner() !== null, 'the removal shown');
    expect(banner()).toBe(`✕ Config file removed — the next start would fail: the file given is missing The station still runs on the config it started with, but would not start without this file: ${file}`);
    expect(document.querySelector('[data-testid="config-changed"]')?.getAttribute('data-tone')).toBe('bad');
    // As loadConfig does: the file given is missing, the start is refused.
    expect(() => loadConfig({ home: s.home, configFile: file })).toThrow(expect.objectContaining({ code: 'CONFIG_UNREADABLE' }));
  }, 60_000);

  it('says which file the next start would load once the one it found is removed, or that it would fail', async () => {
    const s = await startInProcessStation({ station: { id: 'stand-1' }, ingest: { rescanIntervalSec: 0 } });
    cleanup.push(s.stop);
    const file = path.join(s.home, 'station.json');
    const yaml = path.join(s.home, 'station.yaml');
    await mount(createElement(App, { client: s.client, events: s.events, tones: { play: vi.fn() } }));
    await until(() => document.querySelector('[data-testid="station-id"]')?.textContent === 'stand-1', 'the station shown');
    fs.writeFileSync(yaml, 'station:\n  id: stand-2\n');
    fs.rmSync(file);
    await until(() => banner() !== null, 'the removal shown');
    expect(banner()).toBe(`▲ Config file removed — the next start would load ${yaml}: restart the station to apply it The station still runs on the config it started with: ${file}`);
    expect(loadConfig({ home: s.home }).configFile).toBe(yaml);

    fs.writeFileSync(yaml, 'sources:\n  - { id: cam, path: Cam, kind: camra }\n');
    await until(() => banner()?.startsWith('✕') === true, 'the other file shown invalid');
    expect(banner()).toMatch(new RegExp(`^✕ Config file removed — the next start would load ${yaml}, which is invalid: fix it before restarting sources\\.0\\.kind: `));
    expect(document.querySelector('[data-testid="config-changed"]')?.getAttribute('data-tone')).toBe('bad');

    fs.writeFileSync(path.join(s.home, 'station.yml'), 'station:\n  id: stand-3\n');
    await until(() => banner()?.includes('holds 2 station configs') === true, 'two config files shown');
    expect(banner()).toMatch(/^✕ Config file removed — the next start would fail .* holds 2 station configs \(station\.yaml and station\.yml\);/);
    expect(() => loadConfig({ home: s.home })).toThrow(/holds 2 station configs/);
  }, 60_000);
});
