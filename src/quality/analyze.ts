/**
 * analyzeFile: one read of a file gives its SHA-256 (streamed) and, concurrently, its full decode
 * with the measures of the working copy; the page cache makes the second reader nearly free, so the
 * time is about the longer of the two. Container parsers read a few bytes at chosen offsets.
 *
 * A bad image never throws: it comes back as an Analysis with a decodeError. Only a file that
 * cannot be read at all (gone, no permission) throws.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { createLogger } from '../log/logger.js';
import { fileSource, type ByteSource } from './byte-source.js';
import { decodeAndMeasure } from './decode.js';
import { exclusiveDecode, sharedDecode } from './decoder-gate.js';
import { exifBasics, exifIfd0Tags, exifOfTiff, parseExifBlob, type Exif } from './exif.js';
import { imageFacts } from './facts.js';
import { changedWhileChecked, DeadlineExceeded, decodeFailure, type DecodeFailure, emptyFile, lostDecoderMessage, structureDamaged } from './failure.js';
import { identifyRaw, rawExtensionMismatch, rawHeadBytes, type RawContainer } from './raw-identify.js';
import { readRawExif } from './raw-metadata.js';
import { rawStructureFailure } from './raw-structure.js';
import { vendorRawStructureFailure } from './raw-vendor-structure.js';
import type { SharedJpegDecode } from './shared-jpeg.js';
import { containerOf, looksTruncated, structureTags, tiffDamage } from './structure.js';
import { sha256OfFile } from '../hashing/file.js';
import { parseTiffHeader, readTiffStructure, tag } from './tiff-ifd.js';
import type { Analysis, AnalyzeOptions, ImageFacts } from './types.js';

const log = createLogger('quality.analyze');

const tiffTags = new Set<number>([tag.compression, ...structureTags, ...exifIfd0Tags]);

type Inspection = Pick<Analysis, 'facts' | 'measurements' | 'decodeError'>;

/** Thrown by analyzeFile when the file is no longer the version the caller asked about. */
export class NotThatVersion extends Error {}

/**
 * `expected`: the version (size, mtime in µs) the caller means, e.g. the one the watcher declared
 * stable. A file that has changed since is not analysed (NotThatVersion): its bytes would be judged
 * under the older version's identity. `shared`: the capture's one JPEG decode, when the barcode
 * search reads the same file (shared-jpeg.ts).
 */
export async function analyzeFile(file: string, opts: AnalyzeOptions, expected?: { size: number; mtimeUs: number }, shared?: SharedJpegDecode): Promise<Analysis> {
  const started = performance.now();
  const before = await fs.stat(file, { bigint: true });
  if (!before.isFile()) throw new Error(`not a regular file: ${file}`);
  if (expected && (Number(before.size) !== expected.size || Number(before.mtimeNs / 1000n) !== expected.mtimeUs)) {
    throw new NotThatVersion(`the file changed after it was found complete (${expected.size} → ${before.size} bytes)`);
  }
  const size = Number(before.size);
  const [sha256, inspection] = await Promise.all([sha256OfFile(file, 'qc'), inspect(file, size, opts, shared)]);
  const after = await fs.stat(file, { bigint: true });
  const changed = after.size !== before.size || after.mtimeNs !== before.mtimeNs;
  const analysis: Analysis = {
    sha256,
    size,
    ...inspection,
    ...(changed ? { measurements: null, decodeError: changedWhileChecked } : {}),
    elapsedMs: Math.round(performance.now() - started),
  };
  log.debug('analysed', { file, ms: analysis.elapsedMs, format: analysis.facts?.formatDetail ?? null, decodeError: analysis.decodeError?.kind ?? null });
  return analysis;
}

async function inspect(file: string, size: number, opts: AnalyzeOptions, shared?: SharedJpegDecode): Promise<Inspection> {
  // Not a decoder's "unsupported format": there is nothing to decode.
  if (size === 0) return { facts: null, measurements: null, decodeError: emptyFile };
  const handle = await fs.open(file, 'r');
  try {
    return await inspectOpen(file, fileSource(handle, size), opts, shared);
  } catch (err) {
    // Parsers and measures are written not to throw on any input; if one does, that is our bug, and
    // the station must still record the file rather than stall on it.
    log.error('internal error while checking a file', { file, error: (err as Error).stack ?? String(err) });
    return { facts: null, measurements: null, decodeError: { kind: 'corrupt', message: `The station could not check this file (internal error: ${(err as Error).message}); report it to IT together with the file.` } };
  } finally {
    await handle.close();
  }
}

async function inspectOpen(file: string, source: ByteSource, opts: AnalyzeOptions, shared?: SharedJpegDecode): Promise<Inspection> {
  const head = await source.read(0, rawHeadBytes);
  const raw = identifyRaw(head, path.extname(file));
  if (raw) {
    return { facts: await rawFacts(raw, source), measurements: null, decodeError: await rawStructureOf(raw, head, source) };
  }
  const disguised = rawExtensionMismatch(path.extname(file), containerOf(head));
  if (disguised) return { facts: null, measurements: null, decodeError: disguised };

  const tiff = parseTiffHeader(head) ? await readTiffStructure(source, tiffTags) : null;
  const failed = async (thrown: unknown, facts: ImageFacts | null, again: () => Promise<unknown>): Promise<Inspection> => {
    const err = await withReason(thrown, again);
    const context = { file, container: containerOf(head), truncatedStructure: await looksTruncated(source, head, tiff), width: facts?.width ?? null, height: facts?.height ?? null, opts };
    return { facts, measurements: null, decodeError: decodeFailure(err, context) };
  };

  let meta: Metadata;
  const readMetadata = () => withDeadline(sharp(file, { limitInputPixels: false }).metadata(), opts.decodeTimeoutSec);
  try {
    meta = await sharedDecode(readMetadata);
  } catch (err) {
    return failed(err, null, readMetadata);
  }
  const exif: Exif | null = tiff?.ifd0 ? await exifOfTiff(source, tiff.header, tiff.ifd0) : parseExifBlob(meta.exif);
  const facts = await imageFacts(meta, tiff, exif, head, source);
  const damage = tiff && tiffDamage(tiff);
  if (damage) return { facts, measurements: null, decodeError: structureDamaged(damage) };
  const decode = () => withDeadline(decodeAndMeasure(file, meta, facts.bitDepth, opts, shared), opts.decodeTimeoutSec);
  try {
    return { facts, measurements: await sharedDecode(decode), decodeError: null };
  } catch (err) {
    return failed(err, facts, decode);
  }
}

/**
 * A failure whose message another decode cleared (see lostDecoderMessage) is repeated once, alone,
 * to learn its reason; the repeat's error is used when it has one. Should the repeat succeed, the
 * first failure stands: the file failed once and is not judged on a second try.
 */
async function withReason(err: unknown, again: () => Promise<unknown>): Promise<unknown> {
  if (!lostDecoderMessage(err) || err instanceof DeadlineExceeded) return err;
  return exclusiveDecode(again).then(
    () => err,
    (second: unknown) => (lostDecoderMessage(second) ? err : second),
  );
}

/** A RAW container: identified and its camera metadata read; its pixels are not decoded. */
/** Whether the RAW holds everything its structure promises (it is never decoded, so this is its only check). */
async function rawStructureOf(raw: RawContainer, head: Buffer, source: ByteSource): Promise<DecodeFailure | null> {
  if (raw.kind !== 'tiff-based') return vendorRawStructureFailure(raw.kind, source);
  const header = parseTiffHeader(head);
  return header && rawStructureFailure(source, header);
}

async function rawFacts(container: RawContainer, source: ByteSource): Promise<ImageFacts> {
  const exif = await readRawExif(container, source);
  return {
    format: 'raw',
    formatDetail: container.detail,
    width: null,
    height: null,
    bitDepth: null,
    channels: null,
    space: null,
    hasAlpha: null,
    iccDescription: null,
    ppi: null,
    pages: 1,
    tiffCompression: null,
    exif: exifBasics(exif),
  };
}

/**
 * sharp's own timeout only watches pixel evaluation; a header parse that never ends would hold the
 * file (and the station's queue) forever. This backstop at twice the configured time gives the
 * technician an answer; the native call itself cannot be cancelled and is left to finish.
 */
function withDeadline<T>(work: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      log.warn('decoder did not return within the backstop deadline; its thread is left to finish', { seconds: 2 * seconds });
      reject(new DeadlineExceeded(`timeout: no answer from the decoder within ${2 * seconds} s`));
    }, 2 * seconds * 1000);
  });
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
