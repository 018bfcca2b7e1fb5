/**
 * Where zxing-wasm's .wasm files are on this machine. The package otherwise fetches them from a CDN
 * at first use, which a station in a storage facility without network cannot do; so every module
 * is given its bytes from node_modules instead (Emscripten's `wasmBinary` override).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export type ZxingBuild = 'reader' | 'writer';

export function zxingWasmPath(build: ZxingBuild): string {
  return require.resolve(`zxing-wasm/${build}/zxing_${build}.wasm`);
}

/** The bytes as an ArrayBuffer of their own (Emscripten wants the buffer, not a pooled Node Buffer view). */
export function zxingWasmBinary(build: ZxingBuild): ArrayBuffer {
  const bytes = fs.readFileSync(zxingWasmPath(build));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
