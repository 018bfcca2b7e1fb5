/**
 * Runs QC on one file in a fresh process and prints {ms, maxRssMB, verdict} as JSON, so the
 * benchmark measures the peak memory of QC alone, not of the process that made the test images.
 */
import { presetProfiles } from '../../src/quality/profile.js';
import { analyzeFile, runChecks, verdictOf } from '../../src/quality/index.js';

const file = process.argv[2];
if (!file) throw new Error('usage: qc-one.ts FILE');
const started = performance.now();
const analysis = await analyzeFile(file, { maxInputPixels: 1_000_000_000, decodeTimeoutSec: 600, workingSize: 1024 });
const results = runChecks(analysis, presetProfiles['default']!, { fileName: file, duplicateOf: null, previous: null, pair: 'waiting' });
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, maxRssMB: process.resourceUsage().maxRSS / 1024, verdict: verdictOf(results), decodeError: analysis.decodeError }) + '\n');
