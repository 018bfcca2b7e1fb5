/**
 * The packaging config cannot be exercised here (Electron's binary cannot be downloaded on these
 * machines), so what can be checked is: it parses, it names files that the build produced, every
 * native module and the zxing WebAssembly is unpacked from asar, and the security fuses are set.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');
const config = YAML.parse(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as {
  files: string[];
  extraMetadata: { main: string };
  asarUnpack: string[];
  electronFuses: Record<string, boolean>;
  linux: { target: string[] };
  win: { target: string[] };
  mac: { target: string[] };
};

describe('electron-builder.yml', () => {
  it('packages the built core, shell, preload and UI', () => {
    expect(fs.existsSync(path.join(root, config.extraMetadata.main))).toBe(true);
    expect(fs.existsSync(path.join(root, 'dist/main/preload.cjs'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'dist/renderer/index.html'))).toBe(true);
    for (const pattern of config.files.filter((f) => !f.startsWith('!'))) {
      const fixed = pattern.split('*')[0]!.replace(/\/$/, '');
      expect(fs.existsSync(path.join(root, fixed)), pattern).toBe(true);
    }
  });

  it('unpacks every native module and the zxing WebAssembly from asar', () => {
    const unpacked = (file: string) => config.asarUnpack.some((p) => file.startsWith(p.replace('/**', '/')));
    const natives = ['better-sqlite3', 'sharp', 'usb'];
    for (const name of natives) expect(unpacked(`node_modules/${name}/package.json`), name).toBe(true);
    const wasm = fs.readdirSync(path.join(root, 'node_modules/zxing-wasm/dist'), { recursive: true }).map(String).filter((f) => f.endsWith('.wasm'));
    expect(wasm.length).toBeGreaterThan(0);
    for (const f of wasm) expect(unpacked(`node_modules/zxing-wasm/dist/${f}`), f).toBe(true);
    for (const p of config.asarUnpack) expect(fs.existsSync(path.join(root, p.replace('/**', ''))), p).toBe(true);
  });

  it('builds AppImage, deb, NSIS and dmg with the security fuses set', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.win.target).toContain('nsis');
    expect(config.mac.target).toContain('dmg');
    expect(config.electronFuses).toMatchObject({ runAsNode: false, enableEmbeddedAsarIntegrityValidation: true, onlyLoadAppFromAsar: true, enableNodeOptionsEnvironmentVariable: false });
  });
});
