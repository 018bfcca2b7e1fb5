/**
 * RAW + processed pairs: a camera set to RAW+TIFF (or RAW+JPEG) writes two files with one stem, and
 * a profile may require both. The partner may arrive after the first file is recorded, so the pair
 * check stays 'waiting' until the partner comes or the window closes.
 */
import path from 'node:path';
import { rawExtensions } from '../quality/raw-identify.js';

const processedExtensions = new Set(['.tif', '.tiff', '.jpg', '.jpeg', '.png', '.jp2']);

export type PairRole = 'raw' | 'processed';

export function pairRole(relPath: string): PairRole | null {
  const ext = path.posix.extname(relPath).toLowerCase();
  if (rawExtensions.has(ext.slice(1))) return 'raw';
  if (processedExtensions.has(ext)) return 'processed';
  return null;
}

/** Folder and stem that RAW/processed siblings share ("a/b/IMG_1.CR2" → "a/b", "IMG_1"). */
export function pairKey(relPath: string): { relDir: string; stem: string } {
  const dir = path.posix.dirname(relPath);
  const base = path.posix.basename(relPath);
  const dot = base.lastIndexOf('.');
  return { relDir: dir === '.' ? '' : dir, stem: dot > 0 ? base.slice(0, dot) : base };
}

/** True when `candidate` completes `relPath` (the opposite role, same folder and stem). */
export function isPartner(relPath: string, candidate: string): boolean {
  const a = pairRole(relPath);
  const b = pairRole(candidate);
  return a !== null && b !== null && a !== b;
}
