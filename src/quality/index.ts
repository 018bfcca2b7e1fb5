/** The quality module's public API: analyse a file once, then judge it against a profile. */
export { analyzeFile, NotThatVersion } from './analyze.js';
export { checkBarcodeMismatch, checkPair, runChecks, verdictOf } from './checks/index.js';
export { hammingDistance } from './phash.js';
export { imageFormats, presetProfiles, profileSchema, severitySchema, tiffCompressions, type ImageFormat, type Profile, type Severity, type TiffCompression } from './profile.js';
export * from './types.js';
