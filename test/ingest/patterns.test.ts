import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chokidarIgnored, createSourceMatcher, relativePath } from '../../src/ingest/patterns.js';
import { listIncludedFiles, walkIncluded } from '../../src/ingest/rescan.js';
import { source, tempDir } from './harness.js';

describe('source patterns', () => {
  const matcher = createSourceMatcher(source('cam1', '/hot', { ignore: ['rejects/**', '**/*_preview.jpg'] }));
  const takes = (rel: string) => !matcher.excludes(rel, true);

  it('takes camera and scanner files by default, anywhere below the root', () => {
    for (const rel of ['a.tif', 'A.TIFF', 'day1/b.jpg', 'x/y/z/c.CR3', 'd.dng', 'e.IIQ', 'with space/f.png']) expect(takes(rel), rel).toBe(true);
    for (const rel of ['notes.txt', 'a.tif.xmp', 'Thumbs.db', 'tif']) expect(takes(rel), rel).toBe(false);
  });

  it('matches without regard to case, in the default list and in a custom include or ignore', () => {
    for (const rel of ['Scan_001.Jpg', 'UP.TIF', 'img.Tiff', 'raw/IMG_1.Cr3', 'x.DnG', 'a.Part.TIF']) expect(takes(rel), rel).toBe(true);
    for (const rel of ['a.TIF.Part', 'a.Tmp', 'Rejects/a.tif', 'day1/A_PREVIEW.JPG']) expect(takes(rel), rel).toBe(false);
    const custom = createSourceMatcher(source('cam1', '/hot', { include: ['**/*.tif'] }));
    expect(['UP.TIF', 'sub/Mixed.Tif', 'low.tif', 'x.jpg'].map((rel) => !custom.excludes(rel, true))).toEqual([true, true, true, false]);
  });

  it('never takes what temp-then-rename writers leave behind', () => {
    for (const rel of ['.a.tif', 'sub/.a.tif', '.hidden/a.tif', 'a.tif.part', 'a.tmp', 'a.TMP', 'a.crdownload', '~a.tif', 'sub/~a.tif']) expect(takes(rel), rel).toBe(false);
  });

  it("adds the source's own ignore list", () => {
    expect(takes('rejects/a.tif')).toBe(false);
    expect(takes('day1/a_preview.jpg')).toBe(false);
    expect(takes('day1/rejects/a.tif')).toBe(true);
  });

  it('excludes folders only by ignore patterns, never by include patterns', () => {
    expect(matcher.excludes('day1', false)).toBe(false);
    expect(matcher.excludes('day1', undefined)).toBe(false);
    expect(matcher.excludes('.cache', false)).toBe(true);
    expect(matcher.excludes('rejects/old', false)).toBe(true);
  });

  it('matches paths relative to the root with "/" separators', () => {
    const root = path.resolve('/hot');
    expect(relativePath(root, path.join(root, 'a', 'b.tif'))).toBe('a/b.tif');
    expect(relativePath(root, root)).toBe('');
    expect(relativePath(root, path.resolve('/elsewhere/b.tif'))).toBeNull();
    expect(relativePath(root, path.join(root, '..x.tif'))).toBe('..x.tif');
    const ignored = chokidarIgnored(root, matcher);
    expect(ignored(root)).toBe(false);
    expect(ignored(path.join(root, 'notes.txt'))).toBe(false); // no stats yet: could be a folder
    expect(ignored(path.join(root, 'notes.txt'), { isFile: () => true } as never)).toBe(true);
    expect(ignored(path.join(root, '.git'))).toBe(true);
  });
});

describe('rescan walk', () => {
  it('finds exactly the files the watcher would take, in every subfolder', async () => {
    const root = await tempDir();
    const files = ['a.tif', 'day1/b.jpg', 'day1/tray/c.tif', 'notes.txt', '.d.tif', 'e.tif.part', '.cache/f.tif', 'rejects/g.tif', 'day1/~h.tif'];
    for (const rel of files) {
      await fs.mkdir(path.join(root, path.dirname(rel)), { recursive: true });
      await fs.writeFile(path.join(root, rel), 'x');
    }
    await fs.mkdir(path.join(root, 'empty'));
    await fs.symlink(root, path.join(root, 'day1', 'loop'));
    const cfg = source('cam1', root, { ignore: ['rejects/**'] });

    const found: string[] = [];
    for await (const f of walkIncluded(root, createSourceMatcher(cfg))) {
      expect(f.absPath).toBe(path.join(root, ...f.relPath.split('/')));
      found.push(f.relPath);
    }
    expect(found.sort()).toEqual(['a.tif', 'day1/b.jpg', 'day1/tray/c.tif']);
    expect((await listIncludedFiles(cfg)).sort()).toEqual(['a.tif', 'day1/b.jpg', 'day1/tray/c.tif'].map((r) => path.join(root, r)));

    // A subfolder walked alone (a folder that appeared under a watched source), its paths the source's.
    const under: string[] = [];
    for await (const f of walkIncluded(root, createSourceMatcher(cfg), 'day1')) {
      expect(f.absPath).toBe(path.join(root, ...f.relPath.split('/')));
      under.push(f.relPath);
    }
    expect(under.sort()).toEqual(['day1/b.jpg', 'day1/tray/c.tif']);
    await expect(walkIncluded(root, createSourceMatcher(cfg), 'gone').next()).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('throws when the root cannot be read and skips unreadable subfolders', async () => {
    const root = await tempDir();
    await expect(listIncludedFiles(source('cam1', path.join(root, 'missing')))).rejects.toMatchObject({ code: 'ENOENT' });
    await fs.mkdir(path.join(root, 'locked'));
    await fs.writeFile(path.join(root, 'locked', 'a.tif'), 'x');
    await fs.writeFile(path.join(root, 'b.tif'), 'x');
    await fs.chmod(path.join(root, 'locked'), 0o000);
    try {
      const files = await listIncludedFiles(source('cam1', root));
      // root can read anything: only a normal user sees the locked folder as unreadable.
      expect(files).toContain(path.join(root, 'b.tif'));
      if (process.getuid?.() !== 0) expect(files).not.toContain(path.join(root, 'locked', 'a.tif'));
    } finally {
      await fs.chmod(path.join(root, 'locked'), 0o755);
    }
  });
});
