/**
 * Starts the core process, restarts it after a crash (with a growing pause, so a file that crashes
 * the decoder on every start cannot spin the machine), and gives the window one client that
 * survives the restarts.
 */
import { utilityProcess, type UtilityProcess } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Reply } from '../src/contract/client.js';
import type { CommandName } from '../src/contract/commands.js';
import type { LoadOptions } from '../src/config/load.js';
import type { StationEventName } from '../src/contract/events.js';
import { CoreClient, type CoreMessage, type PortLike } from './core-rpc.js';
import { coreArgs, type CoreCrash } from './core-launch.js';
import { restartDelayMs } from './restart-policy.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface CoreHostEvents {
  onEvent(name: StationEventName, payload: unknown): void;
  /** The core could not start (bad config, database in use): not restarted. */
  onFatal(message: string): void;
}

export class CoreHost {
  private child: UtilityProcess | null = null;
  private client: CoreClient | null = null;
  private crashes = 0;
  /** Restarts after a crash since the app started (not reset when a core gets ready): a crash loop shows in the station log. */
  private restarts = 0;
  private stopping = false;

  constructor(
    private readonly options: LoadOptions,
    private readonly events: CoreHostEvents,
  ) {}

  /** Resolves when the core is ready, rejects with its message when it cannot start. `afterCrash`: the core writes it to the station log. */
  start(afterCrash: CoreCrash | null = null): Promise<void> {
    const child = utilityProcess.fork(path.join(here, 'core-process.js'), coreArgs({ options: this.options, afterCrash }), { serviceName: 'Capture Station core' });
    this.child = child;
    const port: PortLike = { postMessage: (m) => child.postMessage(m), on: (_e, listener) => child.on('message', (m: CoreMessage) => listener(m)) };
    const client = new CoreClient(port, (name, payload) => this.events.onEvent(name, payload));
    this.client = client;
    return new Promise((resolve, reject) => {
      let settled = false;
      child.on('message', (m: CoreMessage) => {
        if (m.type === 'ready') {
          settled = true;
          this.crashes = 0;
          resolve();
        } else if (m.type === 'failed') {
          settled = true;
          this.stopping = true;
          this.events.onFatal(m.message);
          reject(new Error(m.message));
        }
      });
      child.on('exit', (code) => {
        client.fail(`The station core stopped (exit code ${code}); it is being restarted. Try again in a moment.`);
        if (!settled) reject(new Error(`The station core exited with code ${code} while starting.`));
        if (this.stopping) return;
        const delay = restartDelayMs(++this.crashes);
        const crash: CoreCrash = { exitCode: code, restart: ++this.restarts };
        setTimeout(() => void this.start(crash).catch(() => undefined), delay);
      });
    });
  }

  call(command: CommandName, args: unknown, signal?: AbortSignal): Promise<Reply<unknown>> {
    return this.client ? this.client.call(command, args, signal) : Promise.resolve({ error: { code: 'INTERNAL', message: 'The station core is not running.' } });
  }

  stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill();
    });
  }
}
