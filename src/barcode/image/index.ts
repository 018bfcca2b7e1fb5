/** Barcodes in captures: decoding with zxing-wasm off the main thread, and drawing control codes. */
export { decodeImageBarcodes, firstPassEdge, imageDecodeDefaults, jpegAt, shrinkFor, tilesOf, type ImageBarcode, type ImageDecodeOptions, type ImageDecodeResult } from './decode-image.js';
export { firstCode, readEverything, type FoundCode, type Region, type SearchGoal } from './protocol.js';
export { defaultImageFormats, imageSymbologies, type ImageSymbology } from '../../shared/image-symbologies.js';
export { DecodeTimeout, ZxingPool, type PoolOptions, type PoolResult } from './zxing-pool.js';
export { a4, pdfOfGreyImage, renderControlSheet, type ControlSheet } from './control-sheet.js';
export { drawBarcode, type DrawOptions } from './writer.js';
