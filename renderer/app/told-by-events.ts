import type { StationStatus } from './use-station.js';

/** The status fields whose every change the station pushes whole in an event (config.changed, log.file). */
type Pushed = Pick<StationStatus, 'configChanged' | 'logFile'>;

/**
 * A status reply asked for before such an event and answered after it is older than the event, and
 * an event may come before the first status reply at all. So each field told by an event is kept
 * with its turn, and a status reply stands for a field only when it was asked for after that turn.
 */
export class ToldByEvents {
  private turn = 0;
  private told: { [K in keyof Pushed]?: { turn: number; value: Pushed[K] } } = {};

  /** Taken as a status request is sent; its reply goes to apply() with it. */
  mark(): number {
    return this.turn;
  }

  tell<K extends keyof Pushed>(key: K, value: Pushed[K]): void {
    this.told[key] = { turn: ++this.turn, value } as ToldByEvents['told'][K];
  }

  /** The reply to a request sent at `asked`, with each field told since then in place of the reply's own. */
  apply(reply: StationStatus, asked: number): StationStatus {
    const { configChanged, logFile } = this.told;
    return {
      ...reply,
      ...(configChanged && configChanged.turn > asked ? { configChanged: configChanged.value } : {}),
      ...(logFile && logFile.turn > asked ? { logFile: logFile.value } : {}),
    };
  }
}
