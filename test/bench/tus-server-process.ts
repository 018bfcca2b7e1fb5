/**
 * The test tus server (test/upload/tus-server.ts) in a process of its own, for the upload benchmark:
 * the uploader and curl must not share an event loop with the server they send to. Prints its
 * endpoint on stdout; runs until killed. Usage: tsx tus-server-process.ts <store directory>
 */
import { startTus } from '../upload/tus-server.js';

const directory = process.argv[2];
if (!directory) throw new Error('usage: tus-server-process.ts <store directory>');
const peer = await startTus(directory);
process.stdout.write(`${peer.endpoint}\n`);
