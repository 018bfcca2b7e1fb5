/**
 * QC profiles: named sets of thresholds. A profile says, per check, what passes, what only warns and
 * what fails. Presets cover the file-level parameters of FADGI and Metamorfoze that can be measured
 * from the file alone (bit depth, colour space/ICC, ppi); a station config may define its own
 * profiles that extend a preset and override any field.
 */
import { z } from 'zod';

export const severitySchema = z.enum(['fail', 'warn', 'off']);
export type Severity = z.infer<typeof severitySchema>;

/** Image formats as sharp/libvips names them, plus `raw` for camera RAW containers we only identify. */
export const imageFormats = ['tiff', 'jpeg', 'png', 'webp', 'jp2', 'heif', 'gif', 'raw'] as const;
export const imageFormatSchema = z.enum(imageFormats);
export type ImageFormat = z.infer<typeof imageFormatSchema>;

/** TIFF Compression tag values by name (TIFF 6.0 + common extensions). */
export const tiffCompressions = ['none', 'ccitt', 'lzw', 'jpeg', 'deflate', 'packbits', 'zstd', 'webp', 'jp2k', 'lerc', 'lzma', 'other'] as const;
export const tiffCompressionSchema = z.enum(tiffCompressions);
export type TiffCompression = z.infer<typeof tiffCompressionSchema>;

const pct = z.number().min(0).max(100);

export const profileSchema = z.strictObject({
  description: z.string(),
  formats: z.strictObject({
    allowed: z.array(imageFormatSchema).min(1),
    severity: severitySchema,
  }),
  singlePage: severitySchema,
  tiffCompression: z.strictObject({
    allowed: z.array(tiffCompressionSchema).min(1),
    severity: severitySchema,
  }),
  minPixels: z.strictObject({
    /** Shortest and longest edge in pixels; 0 means no minimum. */
    longEdge: z.number().int().min(0),
    shortEdge: z.number().int().min(0),
    severity: severitySchema,
  }),
  minPpi: z.strictObject({
    /** 0 means no minimum. A file that states no resolution fails this check when a minimum is set. */
    ppi: z.number().min(0),
    severity: severitySchema,
  }),
  bitDepth: z.strictObject({
    /** Allowed bits per sample. */
    allowed: z.array(z.number().int().positive()).min(1),
    severity: severitySchema,
  }),
  colour: z.strictObject({
    requireIcc: z.boolean(),
    /** Case-insensitive regular expression the ICC profile description must match, e.g. "Adobe RGB|eciRGB". */
    iccDescription: z.string().nullable(),
    /** libvips interpretations allowed, e.g. srgb, rgb16, b-w, grey16, cmyk, lab. Empty: any. */
    allowedSpaces: z.array(z.string()),
    severity: severitySchema,
  }),
  exposure: z.strictObject({
    /** Per channel, share of pixels at the minimum (black) or maximum (white) code value. */
    warnClippedPct: pct,
    failClippedPct: pct,
    severity: severitySchema,
  }),
  blank: z.strictObject({
    /** A frame whose luminance standard deviation (0–255 scale) is below this is near-uniform. */
    minStdDev: z.number().min(0),
    severity: severitySchema,
  }),
  sharpness: z.strictObject({
    /** Focus measure = variance of the Laplacian / variance of the image, at the working scale. */
    warnBelow: z.number().min(0),
    failBelow: z.number().min(0),
    severity: severitySchema,
  }),
  duplicate: z.strictObject({ severity: severitySchema }),
  nearDuplicate: z.strictObject({
    /** Hamming distance (0–64) of the 64-bit perceptual hash at or below which two frames are near-identical. */
    maxDistance: z.number().int().min(0).max(64),
    severity: severitySchema,
  }),
  pairs: z.strictObject({
    /** When on, every RAW needs a TIFF/JPEG of the same stem (and vice versa) within the window. */
    required: z.boolean(),
    windowSec: z.number().positive(),
    severity: severitySchema,
  }),
  filename: z.strictObject({
    allowSpaces: z.boolean(),
    /** Regular expression every character of the file name must match. */
    allowedChars: z.string(),
    /** Regular expression the whole name (without extension) must match, or null. */
    pattern: z.string().nullable(),
    maxLength: z.number().int().positive(),
    severity: severitySchema,
  }),
  /** A project-valid barcode visible in the image that is not the linked object's (the wrong object on the stand). */
  barcodeMismatch: z.strictObject({ severity: severitySchema }).default({ severity: 'fail' }),
})
  // A fail limit past the warn limit's side would fail a capture before it ever warns: refused at the fail field.
  .superRefine((p, ctx) => {
    if (p.exposure.failClippedPct < p.exposure.warnClippedPct)
      ctx.addIssue({
        code: 'custom',
        path: ['exposure', 'failClippedPct'],
        message: `The fail limit (${p.exposure.failClippedPct} %) is below the warn limit (${p.exposure.warnClippedPct} %): type ${p.exposure.warnClippedPct} or more here, or lower the warn limit.`,
      });
    if (p.sharpness.failBelow > p.sharpness.warnBelow)
      ctx.addIssue({
        code: 'custom',
        path: ['sharpness', 'failBelow'],
        message: `The fail limit (${p.sharpness.failBelow}) is above the warn limit (${p.sharpness.warnBelow}): type ${p.sharpness.warnBelow} or less here, or raise the warn limit.`,
      });
  });

export type Profile = z.infer<typeof profileSchema>;

const permissive: Profile = {
  description: 'Permissive default: flags files that are broken, not 1/8/16-bit, blank, badly exposed, blurred or repeated.',
  formats: { allowed: ['tiff', 'jpeg', 'png', 'webp', 'jp2', 'heif', 'raw'], severity: 'fail' },
  singlePage: 'warn',
  tiffCompression: { allowed: ['none', 'lzw', 'deflate', 'packbits', 'zstd', 'jpeg', 'ccitt', 'webp', 'jp2k', 'lerc', 'lzma', 'other'], severity: 'off' },
  minPixels: { longEdge: 0, shortEdge: 0, severity: 'off' },
  minPpi: { ppi: 0, severity: 'off' },
  // Cameras and scanners write 1 (bitonal), 8 or 16 bits per sample; 32-bit integer or float samples
  // come from processing software, and viewers and archives handle them inconsistently.
  bitDepth: { allowed: [1, 8, 16], severity: 'fail' },
  colour: { requireIcc: false, iccDescription: null, allowedSpaces: [], severity: 'warn' },
  exposure: { warnClippedPct: 0.5, failClippedPct: 5, severity: 'fail' },
  blank: { minStdDev: 2, severity: 'fail' },
  sharpness: { warnBelow: 0.02, failBelow: 0.005, severity: 'warn' },
  duplicate: { severity: 'fail' },
  nearDuplicate: { maxDistance: 4, severity: 'warn' },
  pairs: { required: false, windowSec: 60, severity: 'warn' },
  filename: { allowSpaces: true, allowedChars: '[^<>:"/\\\\|?*\\u0000-\\u001f]', pattern: null, maxLength: 200, severity: 'warn' },
  // An image filed under the wrong object is the costliest error in mass digitization.
  barcodeMismatch: { severity: 'fail' },
};

/** Archival masters: uncompressed or lossless TIFF only, one page, no spaces in names. */
function archival(description: string, p: { bitDepth: number[]; ppi: number; icc: string; spaces: string[] }): Profile {
  return {
    ...permissive,
    description,
    formats: { allowed: ['tiff'], severity: 'fail' },
    singlePage: 'fail',
    tiffCompression: { allowed: ['none', 'lzw', 'deflate'], severity: 'fail' },
    minPpi: { ppi: p.ppi, severity: 'fail' },
    bitDepth: { allowed: p.bitDepth, severity: 'fail' },
    colour: { requireIcc: true, iccDescription: p.icc, allowedSpaces: p.spaces, severity: 'fail' },
    filename: { ...permissive.filename, allowSpaces: false, allowedChars: '[A-Za-z0-9._-]', severity: 'fail' },
  };
}

/**
 * File-level parameters from FADGI Technical Guidelines (2023) for reflective originals
 * (documents, prints, photographs) and Metamorfoze Preservation Imaging Guidelines 1.0. Only what a
 * file states is checked here; target-based measures (ΔE, SFR, noise) need a colour target analysis.
 */
export const presetProfiles: Record<string, Profile> = {
  default: permissive,
  'fadgi-3star': archival('FADGI 3★ (reflective): 8 or 16 bit, 400 ppi, Adobe RGB / eciRGB / sRGB / grey gamma 2.2 profile.', {
    bitDepth: [8, 16],
    ppi: 400,
    icc: 'adobe ?rgb|ecirgb|srgb|gray gamma 2\\.2|grey gamma 2\\.2|dot gain',
    spaces: ['srgb', 'rgb16', 'b-w', 'grey16'],
  }),
  'fadgi-4star': archival('FADGI 4★ (reflective): 16 bit, 600 ppi, Adobe RGB / eciRGB v2 / grey gamma 2.2 profile.', {
    bitDepth: [16],
    ppi: 600,
    icc: 'adobe ?rgb|ecirgb|gray gamma 2\\.2|grey gamma 2\\.2',
    spaces: ['rgb16', 'grey16'],
  }),
  'metamorfoze-light': archival('Metamorfoze Light: 8 bit, 300 ppi, eciRGB v2 / Adobe RGB / grey gamma 2.2.', {
    bitDepth: [8, 16],
    ppi: 300,
    icc: 'ecirgb|adobe ?rgb|gray gamma 2\\.2|grey gamma 2\\.2',
    spaces: ['srgb', 'rgb16', 'b-w', 'grey16'],
  }),
  'metamorfoze-full': archival('Metamorfoze (Full): 16 bit, 300 ppi minimum, eciRGB v2 / grey gamma 2.2.', {
    bitDepth: [16],
    ppi: 300,
    icc: 'ecirgb|gray gamma 2\\.2|grey gamma 2\\.2',
    spaces: ['rgb16', 'grey16'],
  }),
};
