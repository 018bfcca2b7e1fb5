/**
 * checkAndRecord: the search's goal is set as the check starts, the object the shot is judged
 * against read as it ends. A scan that came between (scan-after-capture) names a code the search
 * may have stopped short of: it is looked for before the shot is judged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { decodeImageBarcodes, firstCode, ZxingPool } from '../../src/barcode/image/index.js';
import { barcodeRulesSchema } from '../../src/barcode/rules.js';
import { sourceSchema, stationConfigSchema } from '../../src/config/schema.js';
import { presetProfiles } from '../../src/quality/profile.js';
import { checkAndRecord, type QcSettings } from '../../src/station/qc-record.js';
import { openStore } from '../../src/store/open.js';
import { corpus } from '../helpers/station-home.js';

const pool = new ZxingPool();
afterAll(() => pool.close());

it('reads on for a code scanned while the sheet was searched, instead of failing it as a mismatch', async () => {
  const gouda = path.join(corpus, 'museum/gouda/BM001128287.jpg');
  const rules = barcodeRulesSchema.parse({ pattern: 'BM\\d{9}' });
  const config = stationConfigSchema.parse({});
  const store = openStore(':memory:');
  const source = sourceSchema.parse({ id: 'inbox', path: path.dirname(gouda) });
  store.captures.syncSources([source]);
  const goals: unknown[] = [];
  const settings: QcSettings = {
    analyze: config.qc,
    truncatedRetries: 0,
    truncatedRetryDelayMs: 0,
    barcodes: {
      decode: (file, shared, goal) => {
        goals.push(goal);
        return decodeImageBarcodes(file, { rules, pool, shared, goal });
      },
      // No object when the search sets off; scanned by the time it ends.
      goal: () => firstCode,
      openObject: () => (goals.length > 0 ? 'BM001128286' : null),
    },
  };
  const stat = fs.statSync(gouda, { bigint: true });
  const file = { sourceId: 'inbox', absPath: gouda, relPath: path.basename(gouda), size: Number(stat.size), mtimeUs: Number(stat.mtimeNs / 1000n) };
  const outcome = await checkAndRecord(file, presetProfiles['default']!, store.captures, settings);
  expect(outcome.kind).toBe('recorded');
  if (outcome.kind !== 'recorded') return;
  // The first search stopped at another specimen's label; the second looked for the scanned one.
  expect(goals).toEqual([firstCode, { code: 'BM001128286', distinct: Infinity }]);
  expect(store.captures.barcodes(outcome.record.id).map((b) => b.text)).toContain('BM001128286');
  expect(outcome.results.find((r) => r.check === 'barcodeMismatch')).toMatchObject({ status: 'pass' });
  store.close();
});
