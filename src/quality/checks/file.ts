/** Checks of what the file states about itself: decodability, format, pages, compression, size, resolution, depth, colour. */
import type { Profile } from '../profile.js';
import type { Analysis, ImageFacts } from '../types.js';
import { compilePattern, list, passOrFail, skip, type Outcome } from './outcome.js';

/** Facts the check can use, or the reason it cannot run. RAW pixels and their properties are not read. */
function readable(a: Analysis): ImageFacts | Outcome {
  if (!a.facts) return skip('Not checked: the file could not be identified.');
  if (a.facts.format === 'raw') return skip(`Not checked: the RAW container (${a.facts.formatDetail}) is identified but its image is not decoded.`);
  return a.facts;
}

const isOutcome = (x: ImageFacts | Outcome): x is Outcome => 'status' in x;

export function decodes(a: Analysis): Outcome {
  if (a.decodeError) return { status: 'fail', value: a.decodeError.kind, threshold: null, message: a.decodeError.message };
  if (!a.facts) return { status: 'fail', value: null, threshold: null, message: 'The file could not be identified as an image: re-shoot or re-export it.' };
  if (a.facts.format === 'raw') {
    // 'skip', not 'pass': nothing vouches for the RAW's pixels, and a skip leaves the verdict to the other checks.
    const camera = [a.facts.exif.make, a.facts.exif.model].filter(Boolean).join(' ');
    return skip(`RAW container (${a.facts.formatDetail}${camera ? `, ${camera}` : ''}) identified; its pixels are not decoded here, so damage inside it is not detected.`, 'raw');
  }
  const m = a.measurements;
  return { status: 'pass', value: a.facts.formatDetail, threshold: null, message: `Decoded completely (${a.facts.width} × ${a.facts.height} px${m ? `; measured on a ${m.workingWidth} × ${m.workingHeight} copy` : ''}).` };
}

export function format(a: Analysis, p: Profile): Outcome {
  if (!a.facts) return skip('Not checked: the file could not be identified.');
  const { format: f, formatDetail } = a.facts;
  const allowed = p.formats.allowed;
  return passOrFail(
    (allowed as readonly string[]).includes(f),
    formatDetail,
    allowed,
    `Format ${formatDetail.toUpperCase()} is allowed.`,
    `Format ${formatDetail.toUpperCase()} is not allowed by this profile (allowed: ${list(allowed)}): export the file as ${allowed[0]?.toUpperCase()}.`,
  );
}

export function singlePage(a: Analysis): Outcome {
  const facts = readable(a);
  if (isOutcome(facts)) return facts;
  return passOrFail(
    facts.pages <= 1,
    facts.pages,
    1,
    'The file holds one image.',
    `The file holds ${facts.pages} images (pages); only the first was checked: export each image as its own file.`,
  );
}

export function tiffCompression(a: Analysis, p: Profile): Outcome {
  if (a.facts?.format !== 'tiff') return skip('Not checked: not a TIFF.');
  const compression = a.facts.tiffCompression;
  if (compression === null) return skip('Not checked: the TIFF compression tag could not be read.');
  const allowed = p.tiffCompression.allowed;
  return passOrFail(
    allowed.includes(compression),
    compression,
    allowed,
    `TIFF compression "${compression}" is allowed.`,
    `TIFF compression "${compression}" is not allowed by this profile (allowed: ${list(allowed)}): re-export with ${allowed[0]} compression.`,
  );
}

export function minPixels(a: Analysis, p: Profile): Outcome {
  const facts = readable(a);
  if (isOutcome(facts)) return facts;
  if (facts.width === null || facts.height === null) return skip('Not checked: the image size is unknown.');
  const { longEdge, shortEdge } = p.minPixels;
  const long = Math.max(facts.width, facts.height);
  const short = Math.min(facts.width, facts.height);
  return passOrFail(
    long >= longEdge && short >= shortEdge,
    { width: facts.width, height: facts.height },
    { longEdge, shortEdge },
    `${facts.width} × ${facts.height} px meets the minimum (long edge ${longEdge}, short edge ${shortEdge}).`,
    `${facts.width} × ${facts.height} px is too small: this profile needs at least ${longEdge} px on the long edge and ${shortEdge} px on the short edge; capture or scan at a higher resolution.`,
  );
}

export function minPpi(a: Analysis, p: Profile): Outcome {
  const facts = readable(a);
  if (isOutcome(facts)) return facts;
  const min = p.minPpi.ppi;
  if (min === 0) return { status: 'pass', value: facts.ppi, threshold: 0, message: 'No minimum resolution in this profile.' };
  if (!facts.ppi) {
    return { status: 'fail', value: null, threshold: min, message: `The file states no resolution; this profile needs at least ${min} ppi: set the resolution in the capture or export software.` };
  }
  const stated = Math.min(facts.ppi.x, facts.ppi.y);
  const shown = facts.ppi.x === facts.ppi.y ? `${facts.ppi.x} ppi` : `${facts.ppi.x} × ${facts.ppi.y} ppi`;
  return passOrFail(
    stated >= min,
    facts.ppi,
    min,
    `The file states ${shown} (minimum ${min}).`,
    `The file states ${shown}; this profile needs at least ${min} ppi: capture at a higher resolution or correct the resolution setting.`,
  );
}

export function bitDepth(a: Analysis, p: Profile): Outcome {
  const facts = readable(a);
  if (isOutcome(facts)) return facts;
  if (facts.bitDepth === null) return skip('Not checked: the bit depth is unknown.');
  const allowed = p.bitDepth.allowed;
  return passOrFail(
    allowed.includes(facts.bitDepth),
    facts.bitDepth,
    allowed,
    `${facts.bitDepth} bits per sample is allowed.`,
    `${facts.bitDepth} bits per sample is not allowed by this profile (allowed: ${list(allowed)}): export with ${allowed[allowed.length - 1]} bits per sample.`,
  );
}

export function colour(a: Analysis, p: Profile): Outcome {
  const facts = readable(a);
  if (isOutcome(facts)) return facts;
  const { requireIcc, iccDescription, allowedSpaces } = p.colour;
  const value = { icc: facts.iccDescription, space: facts.space };
  const threshold = { requireIcc, iccDescription, allowedSpaces };
  const problems: string[] = [];
  if (requireIcc && !facts.iccDescription) problems.push('it has no embedded ICC profile');
  if (iccDescription !== null && facts.iccDescription) {
    const pattern = compilePattern(iccDescription, 'i');
    if (pattern instanceof Error) return { status: 'fail', value, threshold, message: pattern.message };
    if (!pattern.test(facts.iccDescription)) problems.push(`its ICC profile "${facts.iccDescription}" is not one this profile accepts (${iccDescription})`);
  }
  if (allowedSpaces.length > 0 && !allowedSpaces.includes(facts.space ?? '')) problems.push(`its colour space ${facts.space ?? 'unknown'} is not allowed (allowed: ${list(allowedSpaces)})`);
  const described = `${facts.iccDescription ? `ICC profile "${facts.iccDescription}"` : 'no ICC profile'}, colour space ${facts.space ?? 'unknown'}`;
  return passOrFail(problems.length === 0, value, threshold, `Colour is as required: ${described}.`, `Colour is not as required: ${problems.join('; ')}. Export with the required colour profile embedded.`);
}
