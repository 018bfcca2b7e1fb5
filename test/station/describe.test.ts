/** The one-line verdicts the station log and the CLI print. */
import { describe, expect, it } from 'vitest';
import { describeCapture, verdictLevel } from '../../src/station/describe.js';
import type { CaptureRecord } from '../../src/store/captures.js';

const record = (over: Partial<CaptureRecord>): CaptureRecord => ({ verdict: 'pass', sourceId: 'inbox', relPath: 'a.tif', width: null, height: null, format: null, bitDepth: null, qcMs: 120, ...over }) as CaptureRecord;

describe('describeCapture', () => {
  it('gives size, format and bit depth, and one plain phrase for a file that is not readable as an image', () => {
    expect(describeCapture(record({ width: 6000, height: 4000, format: 'tiff', bitDepth: 16 }), [])).toBe('PASS inbox/a.tif — 6000×4000 TIFF 16-bit, 0.12 s');
    const broken = describeCapture(record({ verdict: 'fail' }), [{ check: 'decode', status: 'fail', message: 'the file is truncated' } as never]);
    expect(broken).toBe('FAIL inbox/a.tif — not readable as an image, 0.12 s — decode: the file is truncated');
  });
});

describe('verdictLevel', () => {
  it('logs a pass at INFO, keeping WARN and ERROR for bad outcomes', () => {
    expect((['pass', 'warn', 'fail'] as const).map(verdictLevel)).toEqual(['info', 'warn', 'error']);
  });
});
