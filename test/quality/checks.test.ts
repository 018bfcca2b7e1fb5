/** runChecks on constructed analyses: every check's pass, fail/warn and skip paths, and the profile's severities. */
import { describe, expect, it } from 'vitest';
import { checkIds, checkPair, presetProfiles, runChecks, verdictOf, type Analysis, type CheckContext, type CheckId, type CheckResult, type Profile } from '../../src/quality/index.js';

const base = presetProfiles['default']!;
const fadgi4 = presetProfiles['fadgi-4star']!;

function analysis(overrides: { facts?: Partial<NonNullable<Analysis['facts']>>; measurements?: Partial<NonNullable<Analysis['measurements']>> | null; decodeError?: Analysis['decodeError']; sha256?: string } = {}): Analysis {
  return {
    sha256: overrides.sha256 ?? 'ab'.repeat(32),
    size: 123_456,
    facts: {
      format: 'tiff',
      formatDetail: 'tiff',
      width: 6000,
      height: 4000,
      bitDepth: 16,
      channels: 3,
      space: 'rgb16',
      hasAlpha: false,
      iccDescription: 'Adobe RGB (1998)',
      ppi: { x: 600, y: 600 },
      pages: 1,
      tiffCompression: 'lzw',
      exif: { make: null, model: null, serial: null, lens: null, iso: null, exposureTime: null, fNumber: null, captureTime: null, orientation: null },
      ...overrides.facts,
    },
    measurements:
      overrides.measurements === null
        ? null
        : { workingWidth: 1024, workingHeight: 683, clippedBlackPct: [0, 0, 0], clippedWhitePct: [0.1, 0, 0], lumaStdDev: 40, focus: 0.3, phash: '0123456789abcdef', ...overrides.measurements },
    decodeError: overrides.decodeError ?? null,
    elapsedMs: 12,
  };
}

const context = (overrides: Partial<CheckContext> = {}): CheckContext => ({ fileName: 'OBJ_0001.tif', duplicateOf: null, previous: null, pair: 'waiting', ...overrides });

function check(id: CheckId, a: Analysis, profile: Profile = base, ctx: CheckContext = context()): CheckResult {
  return runChecks(a, profile, ctx).find((r) => r.check === id)!;
}

function withProfile(profile: Profile, patch: (p: Profile) => void): Profile {
  const copy = structuredClone(profile);
  patch(copy);
  return copy;
}

describe('runChecks', () => {
  it('returns one result per check, in checkIds order, each with a message', () => {
    const results = runChecks(analysis(), fadgi4, context());
    expect(results.map((r) => r.check)).toEqual([...checkIds]);
    for (const r of results) expect(r.message.length, r.check).toBeGreaterThan(10);
  });

  it('passes a good 16-bit Adobe RGB 600 ppi TIFF under FADGI 4★ (no pixel minimum, pairs not required: skipped)', () => {
    const results = runChecks(analysis(), fadgi4, context());
    expect(results.filter((r) => r.status !== 'pass').map((r) => [r.check, r.status])).toEqual([
      ['minPixels', 'skip'],
      ['pairs', 'skip'],
      ['barcodeMismatch', 'skip'],
    ]);
    expect(verdictOf(results)).toBe('pass');
  });

  it("skips a check whose severity is 'off', and turns a failure into a warning when it is 'warn'", () => {
    const small = analysis({ facts: { width: 100, height: 80 } });
    const off = check('minPixels', small, withProfile(base, (p) => (p.minPixels = { longEdge: 4000, shortEdge: 3000, severity: 'off' })));
    expect(off).toMatchObject({ status: 'skip', message: expect.stringMatching(/turned off/) });
    const warn = check('minPixels', small, withProfile(base, (p) => (p.minPixels = { longEdge: 4000, shortEdge: 3000, severity: 'warn' })));
    expect(warn.status).toBe('warn');
    const fail = check('minPixels', small, withProfile(base, (p) => (p.minPixels = { longEdge: 4000, shortEdge: 3000, severity: 'fail' })));
    expect(fail).toMatchObject({ status: 'fail', value: { width: 100, height: 80 }, threshold: { longEdge: 4000, shortEdge: 3000 } });
  });
});

describe('decodes', () => {
  it('fails with the decode error, and every pixel check then says why it was skipped', () => {
    const broken = analysis({ measurements: null, decodeError: { kind: 'corrupt', message: 'The file is damaged and cannot be decoded (x): re-shoot or re-export the file.' } });
    const results = runChecks(broken, base, context());
    expect(results[0]).toEqual({ check: 'decodes', status: 'fail', value: 'corrupt', threshold: null, message: broken.decodeError!.message });
    for (const id of ['exposure', 'blank', 'sharpness', 'nearDuplicate'] as const) expect(check(id, broken)).toMatchObject({ status: 'skip', message: expect.stringMatching(/could not be decoded/) });
    expect(verdictOf(results)).toBe('fail');
  });

  it('fails a file that could not be identified at all', () => {
    expect(check('decodes', { ...analysis(), facts: null, measurements: null }).status).toBe('fail');
  });

  it('skips a RAW container: identified, but its pixels are not vouched for', () => {
    const raw = analysis({ facts: { format: 'raw', formatDetail: 'nef', exif: { ...analysis().facts!.exif, make: 'NIKON CORPORATION', model: 'NIKON D850' } }, measurements: null });
    const results = runChecks(raw, base, context({ fileName: 'DSC_0001.NEF' }));
    expect(results[0]).toMatchObject({ status: 'skip', value: 'raw', message: expect.stringMatching(/RAW container \(nef, NIKON CORPORATION NIKON D850\) identified/) });
    expect(check('format', raw).status).toBe('pass');
    for (const id of ['singlePage', 'bitDepth', 'colour', 'exposure', 'sharpness'] as const) expect(check(id, raw).status, id).toBe('skip');
    expect(verdictOf(results)).toBe('pass');
  });

  it('passes a decoded file, naming the working size', () => {
    expect(check('decodes', analysis())).toMatchObject({ status: 'pass', message: 'Decoded completely (6000 × 4000 px; measured on a 1024 × 683 copy).' });
  });
});

describe('file facts', () => {
  it('format: only the profile’s formats', () => {
    const png = analysis({ facts: { format: 'png', formatDetail: 'png', tiffCompression: null } });
    expect(check('format', png, fadgi4)).toMatchObject({ status: 'fail', value: 'png', threshold: ['tiff'], message: expect.stringMatching(/PNG is not allowed.*export the file as TIFF/) });
    expect(check('format', png, base).status).toBe('pass');
  });

  it('singlePage: warns under the default profile, fails an archival one', () => {
    const pages = analysis({ facts: { pages: 3 } });
    expect(check('singlePage', pages, base)).toMatchObject({ status: 'warn', value: 3, message: expect.stringMatching(/3 images/) });
    expect(check('singlePage', pages, fadgi4).status).toBe('fail');
    expect(check('singlePage', analysis(), fadgi4).status).toBe('pass');
  });

  it('tiffCompression: lossless passes FADGI, JPEG compression fails, non-TIFF is skipped', () => {
    expect(check('tiffCompression', analysis(), fadgi4).status).toBe('pass');
    expect(check('tiffCompression', analysis({ facts: { tiffCompression: 'jpeg' } }), fadgi4)).toMatchObject({ status: 'fail', value: 'jpeg', message: expect.stringMatching(/"jpeg" is not allowed/) });
    expect(check('tiffCompression', analysis({ facts: { format: 'jpeg', formatDetail: 'jpeg', tiffCompression: null } }), fadgi4)).toMatchObject({ status: 'skip', message: 'Not checked: not a TIFF.' });
  });

  it('minPixels: long and short edge, whatever the orientation', () => {
    const p = withProfile(base, (q) => (q.minPixels = { longEdge: 5000, shortEdge: 3500, severity: 'fail' }));
    expect(check('minPixels', analysis({ facts: { width: 4000, height: 6000 } }), p).status).toBe('pass');
    expect(check('minPixels', analysis({ facts: { width: 6000, height: 3000 } }), p)).toMatchObject({ status: 'fail', message: expect.stringMatching(/at least 5000 px on the long edge and 3500 px on the short edge/) });
  });

  it('minPpi: a file stating no resolution fails when a minimum is set', () => {
    expect(check('minPpi', analysis({ facts: { ppi: null } }), fadgi4)).toMatchObject({ status: 'fail', value: null, threshold: 600, message: expect.stringMatching(/states no resolution/) });
    expect(check('minPpi', analysis({ facts: { ppi: { x: 400, y: 400 } } }), fadgi4)).toMatchObject({ status: 'fail', message: expect.stringMatching(/states 400 ppi; this profile needs at least 600/) });
    expect(check('minPpi', analysis({ facts: { ppi: { x: 600, y: 599 } } }), fadgi4).status).toBe('fail');
    expect(check('minPpi', analysis(), fadgi4).status).toBe('pass');
    const noMinimum = withProfile(base, (q) => (q.minPpi = { ppi: 0, severity: 'fail' }));
    expect(check('minPpi', analysis({ facts: { ppi: null } }), noMinimum).status).toBe('pass');
  });

  it('bitDepth: 8-bit fails FADGI 4★ (16 only)', () => {
    expect(check('bitDepth', analysis({ facts: { bitDepth: 8, space: 'srgb' } }), fadgi4)).toMatchObject({ status: 'fail', value: 8, threshold: [16] });
    expect(check('bitDepth', analysis(), fadgi4).status).toBe('pass');
  });

  it('bitDepth: the default profile takes what cameras and scanners write (1, 8, 16) and fails 32-bit samples', () => {
    for (const bits of [1, 8, 16]) expect(check('bitDepth', analysis({ facts: { bitDepth: bits } })).status, String(bits)).toBe('pass');
    expect(check('bitDepth', analysis({ facts: { bitDepth: 32 } }))).toMatchObject({ status: 'fail', value: 32, message: expect.stringMatching(/32 bits per sample is not allowed/) });
  });

  it('colour: required ICC, its description (case-insensitive), the colour space', () => {
    expect(check('colour', analysis({ facts: { iccDescription: null } }), fadgi4)).toMatchObject({ status: 'fail', message: expect.stringMatching(/no embedded ICC profile/) });
    expect(check('colour', analysis({ facts: { iccDescription: 'sRGB IEC61966-2.1' } }), fadgi4)).toMatchObject({ status: 'fail', message: expect.stringMatching(/"sRGB IEC61966-2.1" is not one this profile accepts/) });
    expect(check('colour', analysis({ facts: { iccDescription: 'ECIRGB V2' } }), fadgi4).status).toBe('pass');
    expect(check('colour', analysis({ facts: { space: 'srgb' } }), fadgi4)).toMatchObject({ status: 'fail', message: expect.stringMatching(/colour space srgb is not allowed \(allowed: rgb16, grey16\)/) });
    // The default profile only warns, and requires nothing.
    expect(check('colour', analysis({ facts: { iccDescription: null, space: 'cmyk' } }), base).status).toBe('pass');
  });

  it('reports a profile pattern that is not a regular expression instead of throwing', () => {
    const bad = withProfile(fadgi4, (p) => (p.colour.iccDescription = '(adobe'));
    expect(check('colour', analysis(), bad)).toMatchObject({ status: 'fail', message: expect.stringMatching(/not a valid regular expression/) });
  });
});

describe('pixels', () => {
  it('exposure: the worst channel against warn and fail limits, white and black named separately', () => {
    const blue = check('exposure', analysis({ measurements: { clippedWhitePct: [0.1, 0.2, 7.2] } }));
    expect(blue).toMatchObject({ status: 'fail', threshold: { warnClippedPct: 0.5, failClippedPct: 5 } });
    expect(blue.message).toBe('Blue channel: 7.2 % of pixels clipped at white (limit 5 %): reduce exposure or light.');
    expect(check('exposure', analysis({ measurements: { clippedWhitePct: [1, 0, 0] } })).status).toBe('warn');
    const both = check('exposure', analysis({ measurements: { clippedWhitePct: [0, 0.8, 0], clippedBlackPct: [9, 0, 0] } }));
    expect(both).toMatchObject({ status: 'fail', value: { clippedWhitePct: [0, 0.8, 0], clippedBlackPct: [9, 0, 0] } });
    expect(both.message).toBe('Red channel: 9 % of pixels clipped at black; Green channel: 0.8 % of pixels clipped at white (limit 5 %): increase exposure or light, and reduce exposure or light.');
    expect(check('exposure', analysis({ measurements: { clippedWhitePct: [0.3], clippedBlackPct: [6] } })).message).toMatch(/^Grey channel: 6 % of pixels clipped at black/);
    expect(check('exposure', analysis()).status).toBe('pass');
  });

  it('exposure: not judged where there are no black and white code values', () => {
    const bilevel = analysis({ facts: { bitDepth: 1, space: 'b-w' }, measurements: { clippedWhitePct: [], clippedBlackPct: [] } });
    expect(check('exposure', bilevel)).toMatchObject({ status: 'skip', message: expect.stringMatching(/1-bit/) });
    const float = analysis({ facts: { bitDepth: 32, space: 'scrgb' }, measurements: { clippedWhitePct: [], clippedBlackPct: [] } });
    expect(check('exposure', float)).toMatchObject({ status: 'skip', message: expect.stringMatching(/floating-point/) });
  });

  it('blank: a near-uniform frame fails', () => {
    expect(check('blank', analysis({ measurements: { lumaStdDev: 0.4 } }))).toMatchObject({ status: 'fail', value: 0.4, threshold: 2, message: expect.stringMatching(/nearly uniform/) });
    expect(check('blank', analysis()).status).toBe('pass');
  });

  it('sharpness: warn and fail limits, stating the working scale; the default profile only warns', () => {
    const strict = withProfile(base, (p) => (p.sharpness.severity = 'fail'));
    expect(check('sharpness', analysis({ measurements: { focus: 0.001 } }), strict)).toMatchObject({ status: 'fail', message: expect.stringMatching(/Focus measure 0.001 at the 1024 × 683 working size is below 0.005/) });
    expect(check('sharpness', analysis({ measurements: { focus: 0.001 } }), base).status).toBe('warn');
    expect(check('sharpness', analysis({ measurements: { focus: 0.01 } }), strict).status).toBe('warn');
    expect(check('sharpness', analysis(), strict)).toMatchObject({ status: 'pass', value: 0.3 });
  });
});

describe('context', () => {
  it('duplicate: same SHA-256 as an earlier capture', () => {
    const dup = check('duplicate', analysis(), base, context({ duplicateOf: { captureId: 7, path: '/in/OBJ_0001.tif' } }));
    expect(dup).toMatchObject({ status: 'fail', value: { captureId: 7, path: '/in/OBJ_0001.tif' }, message: expect.stringMatching(/identical to capture #7/) });
    expect(check('duplicate', analysis()).status).toBe('pass');
    expect(check('duplicate', analysis({ sha256: '' })).status).toBe('skip');
  });

  it('nearDuplicate: Hamming distance to the previous frame against maxDistance', () => {
    const previous = (phash: string) => context({ previous: { captureId: 3, path: '/in/OBJ_0000.tif', phash } });
    expect(check('nearDuplicate', analysis(), base, previous('0123456789abcdee'))).toMatchObject({ status: 'warn', value: { distance: 1 }, threshold: 4, message: expect.stringMatching(/looks the same as the previous one, capture #3 \(hash distance 1 of 64, limit 4\)/) });
    expect(check('nearDuplicate', analysis(), base, previous('fedcba9876543210')).status).toBe('pass');
    expect(check('nearDuplicate', analysis()).status).toBe('pass');
    expect(check('nearDuplicate', analysis(), base, previous('not-a-hash')).status).toBe('skip');
  });

  it("pairs: skipped unless required; 'waiting' is a skip until the station settles it", () => {
    const required = withProfile(base, (p) => (p.pairs.required = true));
    expect(check('pairs', analysis(), base, context({ pair: 'missing' }))).toMatchObject({ status: 'skip', message: expect.stringMatching(/does not require/) });
    expect(check('pairs', analysis(), required, context({ pair: 'waiting' }))).toMatchObject({ status: 'skip', message: expect.stringMatching(/Waiting for the partner file.*60 s/) });
    expect(check('pairs', analysis(), required, context({ pair: 'missing' })).status).toBe('warn');
    expect(check('pairs', analysis(), withProfile(required, (p) => (p.pairs.severity = 'fail')), context({ pair: 'missing' })).status).toBe('fail');
    expect(check('pairs', analysis(), required, context({ pair: { captureId: 9, path: '/in/OBJ_0001.NEF' } }))).toMatchObject({ status: 'pass', message: expect.stringMatching(/#9/) });
    expect(checkPair(required, 'missing')).toEqual(check('pairs', analysis(), required, context({ pair: 'missing' })));
    expect(checkPair(withProfile(required, (p) => (p.pairs.severity = 'off')), 'missing').status).toBe('skip');
  });

  it('filename: spaces, characters, pattern on the stem, length', () => {
    const named = (fileName: string, profile: Profile = fadgi4) => check('filename', analysis(), profile, context({ fileName }));
    expect(named('OBJ_0001.tif').status).toBe('pass');
    expect(named('OBJ 0001.tif')).toMatchObject({ status: 'fail', message: 'File name "OBJ 0001.tif" contains spaces: rename it following the naming rules.' });
    expect(named('OBJ 0001.tif', base).status).toBe('pass');
    expect(named('Objekt_Größe.tif').message).toMatch(/characters that are not allowed \("ö" "ß"\)/);
    expect(named('OBJ\u00010001.tif', base).message).toMatch(/U\+0001/);
    const patterned = withProfile(fadgi4, (p) => (p.filename = { ...p.filename, pattern: '[A-Z]{3}_\\d{4}', maxLength: 14 }));
    expect(named('OBJ_0001.tif', patterned).status).toBe('pass');
    expect(named('obj_1.tif', patterned).message).toMatch(/does not follow the naming pattern/);
    expect(named('OBJ_0001.tiff.tif', patterned).message).toMatch(/is 17 characters long \(at most 14\)/);
    expect(named('OBJ_0001.tif', withProfile(fadgi4, (p) => (p.filename.allowedChars = '[a-')))).toMatchObject({ status: 'fail', message: expect.stringMatching(/not a valid regular expression/) });
  });
});

describe('verdictOf', () => {
  const r = (status: CheckResult['status']): CheckResult => ({ check: 'blank', status, value: null, threshold: null, message: 'x' });
  it('any fail → fail, else any warn → warn, else pass (skips count for nothing)', () => {
    expect(verdictOf([r('pass'), r('warn'), r('fail')])).toBe('fail');
    expect(verdictOf([r('pass'), r('warn'), r('skip')])).toBe('warn');
    expect(verdictOf([r('pass'), r('skip')])).toBe('pass');
    expect(verdictOf([])).toBe('pass');
  });
});
