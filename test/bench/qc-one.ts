/**
 * Runs QC on one file in a fresh process and prints {ms, maxRssMB, verdict} as JSON, so the
 * benchmark measures the peak memory of QC alone, not of the process that made the test images.
 */
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { presetProfiles } from '../../src/quality/profile.js';
import { analyzeFile, runChecks, verdictOf } from '../../src/quality/index.js';

const file = process.argv[2];
if (!file) throw new Error('usage: qc-one.ts FILE');
// The desktop app hosts this core: QC must leave the event loop free while libvips works.
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const started = performance.now();
const analysis = await analyzeFile(file, { maxInputPixels: 1_000_000_000, decodeTimeoutSec: 600, workingSize: 1024 });
const results = runChecks(analysis, presetProfiles['default']!, { fileName: path.basename(file), duplicateOf: null, previous: null, pair: 'waiting' });
const ms = performance.now() - started;
loop.disable();
process.stdout.write(JSON.stringify({ ms, maxEventLoopDelayMs: loop.max / 1e6, maxRssMB: process.resourceUsage().maxRSS / 1024, verdict: verdictOf(results), decodeError: analysis.decodeError }) + '\n');
