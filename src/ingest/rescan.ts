/**
 * A full walk of a source folder under the same patterns as the watcher: the safety net for events
 * the watcher missed (overflowing event queues, shares that deliver none, files that arrived while
 * the station was down).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SourceConfig } from '../config/schema.js';
import { createLogger } from '../log/logger.js';
import { createSourceMatcher, type SourceMatcher } from './patterns.js';
import type { FileRef } from './stability.js';

const log = createLogger('ingest.rescan');

/** Folder levels below a source that are searched; bounds runaway trees. The watcher uses the same limit. */
export const maxFolderDepth = 32;

/**
 * Every file under `root` (or its subfolder `from`) that `matcher` accepts. Depth-first with one folder read at a time, so a
 * walk never holds more than one listing or opens many handles. Throws only when `root` itself
 * cannot be read (the caller decides the source is unavailable); an unreadable subfolder is logged
 * and skipped. Symbolic links are yielded like files and never followed as folders, so link loops
 * cannot trap the walk; the stability tracker refuses them with a notice (it uses lstat).
 */
export async function* walkIncluded(root: string, matcher: SourceMatcher, from = ''): AsyncGenerator<Omit<FileRef, 'sourceId'>> {
  // `from`: a subfolder's relative path, walked alone (relative paths stay the source's).
  const folders = [{ abs: from ? path.join(root, ...from.split('/')) : root, rel: from, depth: from ? from.split('/').length : 0 }];
  for (let folder = folders.pop(); folder; folder = folders.pop()) {
    let entries;
    try {
      entries = await fs.readdir(folder.abs, { withFileTypes: true });
    } catch (err) {
      if (folder.rel === from) throw err;
      log.warn('could not read folder during rescan', { folder: folder.abs, error: String(err) });
      continue;
    }
    for (const entry of entries) {
      const rel = folder.rel ? `${folder.rel}/${entry.name}` : entry.name;
      const abs = path.join(folder.abs, entry.name);
      if (entry.isDirectory()) {
        if (folder.depth < maxFolderDepth && !matcher.excludes(rel, false)) folders.push({ abs, rel, depth: folder.depth + 1 });
      } else if ((entry.isFile() || entry.isSymbolicLink()) && !matcher.excludes(rel, true)) {
        yield { absPath: abs, relPath: rel };
      }
    }
  }
}

/** Absolute paths of the files the station would take from `source`'s folder now. */
export async function listIncludedFiles(source: Pick<SourceConfig, 'path' | 'include' | 'ignore'>): Promise<string[]> {
  const files: string[] = [];
  for await (const file of walkIncluded(source.path, createSourceMatcher(source))) files.push(file.absPath);
  return files;
}
