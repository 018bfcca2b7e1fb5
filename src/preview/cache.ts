/**
 * Previews kept on disk in the station's data folder, one entry per image content: `<sha256>.jpg`
 * and `<sha256>.json` (size and histogram). Keyed by the capture's SHA-256, so a re-shot or changed
 * file (another hash) can never be shown with an old preview, and a relinked or filed one (same
 * hash) keeps its preview. The folder is bounded: after each new entry the least recently used
 * entries (oldest file time; a hit renews it) are removed until it fits. Everything here can be
 * made again from the capture, so an entry that cannot be read is simply made again; so is one
 * made at another size (preview.longEdge changed since).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../log/logger.js';
import type { Histogram } from './histogram.js';

const log = createLogger('preview.cache');

export interface PreviewMeta {
  /** The long edge the preview was made for (its own may be smaller: never enlarged). */
  longEdge: number;
  width: number;
  height: number;
  histogram: Histogram;
}

export interface CachedPreview extends PreviewMeta {
  jpegFile: string;
}

const shaPattern = /^[0-9a-f]{64}$/;

export class PreviewCache {
  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly longEdge: number,
  ) {}

  get(sha256: string): CachedPreview | null {
    const { jpg, json } = this.files(sha256);
    try {
      const meta = JSON.parse(fs.readFileSync(json, 'utf8')) as PreviewMeta;
      if (meta.longEdge !== this.longEdge || !fs.existsSync(jpg) || !Array.isArray(meta.histogram?.luma)) return null;
      const now = new Date();
      fs.utimesSync(jpg, now, now);
      return { ...meta, jpegFile: jpg };
    } catch {
      return null;
    }
  }

  /** Stores an entry (the JPEG first, the JSON last: an entry without its JSON is never read) and trims the folder. */
  put(sha256: string, jpeg: Buffer, made: Omit<PreviewMeta, 'longEdge'>): CachedPreview {
    const meta: PreviewMeta = { longEdge: this.longEdge, ...made };
    fs.mkdirSync(this.dir, { recursive: true });
    const { jpg, json } = this.files(sha256);
    writeAtomic(jpg, jpeg);
    writeAtomic(json, Buffer.from(JSON.stringify(meta)));
    this.trim(sha256);
    return { ...meta, jpegFile: jpg };
  }

  /** Bytes the cache holds now. */
  size(): number {
    return this.entries().reduce((sum, e) => sum + e.bytes, 0);
  }

  private trim(keep: string): void {
    const entries = this.entries();
    let total = entries.reduce((sum, e) => sum + e.bytes, 0);
    if (total <= this.maxBytes) return;
    entries.sort((a, b) => a.usedMs - b.usedMs);
    let removed = 0;
    for (const e of entries) {
      if (total <= this.maxBytes) break;
      if (e.sha256 === keep) continue;
      const { jpg, json } = this.files(e.sha256);
      fs.rmSync(json, { force: true });
      fs.rmSync(jpg, { force: true });
      total -= e.bytes;
      removed++;
    }
    log.debug('preview cache trimmed', { removed, bytes: total, maxBytes: this.maxBytes });
  }

  private entries(): { sha256: string; bytes: number; usedMs: number }[] {
    const bySha = new Map<string, { sha256: string; bytes: number; usedMs: number }>();
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    for (const name of names) {
      const ext = path.extname(name);
      const sha256 = name.slice(0, -ext.length);
      if ((ext !== '.jpg' && ext !== '.json') || !shaPattern.test(sha256)) continue;
      const stat = fs.statSync(path.join(this.dir, name), { throwIfNoEntry: false });
      if (!stat) continue;
      const entry = bySha.get(sha256) ?? { sha256, bytes: 0, usedMs: 0 };
      entry.bytes += stat.size;
      if (ext === '.jpg') entry.usedMs = stat.mtimeMs;
      bySha.set(sha256, entry);
    }
    return [...bySha.values()];
  }

  private files(sha256: string): { jpg: string; json: string } {
    if (!shaPattern.test(sha256)) throw new RangeError(`not a SHA-256: ${sha256}`);
    return { jpg: path.join(this.dir, `${sha256}.jpg`), json: path.join(this.dir, `${sha256}.json`) };
  }
}

function writeAtomic(file: string, bytes: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}
