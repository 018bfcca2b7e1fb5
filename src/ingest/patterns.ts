/**
 * Which paths of a hot folder the station looks at. Patterns are matched against the path relative
 * to the source folder with "/" separators on every platform, so one config works everywhere, and
 * without regard to case: a "*.tif" include takes UP.TIF, a "rejects" ignore skips Rejects.
 */
import path from 'node:path';
import type { Stats } from 'node:fs';
import picomatch from 'picomatch';
import { alwaysIgnore, type SourceConfig } from '../config/schema.js';

export interface SourceMatcher {
  /**
   * True when the watcher neither reports nor descends into `relPath`. Ignore patterns exclude files
   * and folders; include patterns exclude only files (`isFile` true): a folder never matches an
   * include such as "*.tif" yet must still be entered. `isFile` undefined means "not known yet" (maybe a folder).
   */
  excludes(relPath: string, isFile: boolean | undefined): boolean;
}

export function createSourceMatcher(source: Pick<SourceConfig, 'include' | 'ignore'>): SourceMatcher {
  // dot: "**" must also cross dot folders and "*" match dot files, or a user pattern could never see them.
  // nocase: cameras and scanners write IMG_0001.JPG, Scan_001.Jpg and up.tif alike, on every platform.
  const options = { dot: true, nocase: true };
  const isIgnored = picomatch([...alwaysIgnore, ...source.ignore], options);
  const isIncluded = picomatch(source.include, options);
  return {
    excludes: (relPath, isFile) => isIgnored(relPath) || (isFile === true && !isIncluded(relPath)),
  };
}

/** `absPath` relative to `root` with "/" separators; '' for the root itself, null when outside it. */
export function relativePath(root: string, absPath: string): string | null {
  const rel = path.relative(root, absPath);
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return null;
  return rel.split(path.sep).join('/');
}

/** The same rule as chokidar's `ignored` function for a watcher on `root`. */
export function chokidarIgnored(root: string, matcher: SourceMatcher): (absPath: string, stats?: Stats) => boolean {
  return (absPath, stats) => {
    const rel = relativePath(root, absPath);
    // The root itself (and anything chokidar asks about outside it) is never ours to exclude.
    if (!rel) return false;
    return matcher.excludes(rel, stats?.isFile());
  };
}
