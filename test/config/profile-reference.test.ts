/**
 * QC profile fields: a misspelt one is refused with the fields allowed in its place (read from the
 * schema), and the reference (README.md, "Profile fields") lists every field the
 * schema has and no field it does not.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allowedFieldsAt } from '../../src/config/issue-messages.js';
import { loadConfig } from '../../src/config/load.js';
import { stationConfigSchema } from '../../src/config/schema.js';
import { StationError } from '../../src/errors.js';
import { profileSchema } from '../../src/quality/profile.js';

let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-profile-ref-'));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

function problemsOf(config: unknown): { field: string; problem: string }[] {
  fs.writeFileSync(path.join(home, 'station.json'), JSON.stringify(config));
  try {
    loadConfig({ home, environment: { platform: 'linux', homedir: home, env: {} } });
  } catch (err) {
    expect(err).toBeInstanceOf(StationError);
    return ((err as StationError).details as { problems: { field: string; problem: string }[] }).problems;
  }
  throw new Error('expected the config to be refused');
}

/** Every profile field as "group.field", or "field" for one that is a value itself, in schema order. */
function profileFields(): string[] {
  return Object.entries(profileSchema.shape).flatMap(([group, schema]) => {
    const inner = schema instanceof z.ZodDefault ? schema.unwrap() : schema;
    return inner instanceof z.ZodObject ? Object.keys(inner.shape).map((f) => `${group}.${f}`) : [group];
  });
}

describe('QC profile fields', () => {
  it('refuses a misspelt field in each group, listing the fields allowed there', () => {
    const groups = Object.keys(profileSchema.shape).filter((g) => profileFields().some((f) => f.startsWith(`${g}.`)));
    expect(groups.length).toBeGreaterThan(10);
    for (const group of groups) {
      const allowed = profileFields().filter((f) => f.startsWith(`${group}.`)).map((f) => f.slice(group.length + 1));
      expect(problemsOf({ profiles: { x: { extends: 'default', [group]: { notAField: 1 } } } }), group).toEqual([
        { field: `profiles.x.${group}`, problem: `unknown field "notAField" — check the spelling; the fields allowed here are ${allowed.join(', ')}` },
      ]);
    }
    expect(problemsOf({ profiles: { x: { sharpnes: {} } } })[0]?.problem).toBe(`unknown field "sharpnes" — check the spelling; the fields allowed here are ${Object.keys(profileSchema.shape).join(', ')}`);
  });

  it("gives the reviewer's example the exposure fields", () => {
    expect(problemsOf({ profiles: { x: { extends: 'default', exposure: { clippedWhitePct: {} } } } })).toEqual([
      { field: 'profiles.x.exposure', problem: 'unknown field "clippedWhitePct" — check the spelling; the fields allowed here are warnClippedPct, failClippedPct, severity' },
    ]);
  });

  it('finds the allowed fields through arrays, records, defaults and the option of a union the input is closest to', () => {
    const config = { targets: [{ id: 'a', kind: 'folder', path: '/x', pth: 1 }, { id: 'b', kind: 's3', bucket: 'bkt', regio: 'eu' }] };
    expect(allowedFieldsAt(stationConfigSchema, ['targets', 0], config)).toContain('mountCheck');
    expect(allowedFieldsAt(stationConfigSchema, ['targets', 1], config)).toContain('forcePathStyle');
    expect(allowedFieldsAt(stationConfigSchema, ['ingest'], {})).toContain('stableWindowMs');
    expect(allowedFieldsAt(stationConfigSchema, ['ingest', 'stableWindowMs'], {})).toBeNull();
  });

  it('the reference lists every profile field, in schema order, and nothing else', () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('#### Profile fields');
    expect(start).toBeGreaterThan(-1);
    const reference = readme.slice(start, readme.indexOf('\n#', start + 1));
    const listed = [...reference.matchAll(/^\| `([\w.]+)` \|/gm)].map((m) => m[1]);
    expect(listed).toEqual(profileFields());
  });
});
