/**
 * The audible cue on a failed capture. Only a verdict that arrives live sounds: captures loaded
 * when the page opens or reconnects come by listCaptures, never by these events, so they stay
 * silent. A burst of failures (a folder dropped at once) sounds once, not once per file.
 */
import type { StationEventMessage } from '../transport/event-stream.js';

export interface TonePlayer {
  play(): void;
}

/** Quiet time after a cue in which further failures do not sound again. */
export const cueGapMs = 1500;

export class FailCue {
  /** Captures already cued, so a recheck that keeps a fail does not sound twice. */
  private readonly cued = new Set<number>();
  private lastAt = -Infinity;

  constructor(
    private readonly player: TonePlayer,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Plays the cue when `m` is a new live fail and sound is wanted; returns whether it played. */
  observe(m: StationEventMessage | { event: 'reconnected' }, wanted: boolean): boolean {
    if (m.event !== 'capture.recorded' && m.event !== 'capture.rechecked') return false;
    const { id, verdict } = m.payload.capture;
    if (verdict !== 'fail' || this.cued.has(id)) return false;
    this.cued.add(id);
    if (this.cued.size > 1000) this.cued.delete(this.cued.values().next().value!);
    if (!wanted) return false;
    const t = this.now();
    if (t - this.lastAt < cueGapMs) return false;
    this.lastAt = t;
    this.player.play();
    return true;
  }
}

/** Two falling beeps through WebAudio, made on first use (browsers allow sound after a key or click). */
export function webAudioPlayer(): TonePlayer {
  let ctx: AudioContext | null = null;
  return {
    play() {
      ctx ??= new AudioContext();
      void ctx.resume().catch(() => undefined);
      const start = ctx.currentTime + 0.02;
      [880, 587].forEach((freq, i) => {
        const osc = ctx!.createOscillator();
        const gain = ctx!.createGain();
        const t = start + i * 0.22;
        osc.type = 'square';
        osc.frequency.setValueAtTime(freq, t);
        gain.gain.setValueAtTime(0.0001, t);
        gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.2);
        osc.connect(gain).connect(ctx!.destination);
        osc.start(t);
        osc.stop(t + 0.21);
      });
    },
  };
}
