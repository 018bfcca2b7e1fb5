/**
 * Which object each capture of one source belongs to, decided from the order of scans and
 * captures alone. Pure: the station feeds it inputs (already validated scans, control codes,
 * recorded captures, clock ticks) and carries out the effects it returns (database rows, events,
 * filing). Keeping time and storage out makes every rig sequence testable as a plain list.
 *
 * Invariants: a capture is linked to at most one object; an object's sequence numbers start at 1
 * and increase by one per shot, where a RAW and its TIFF/JPEG (same stem) are one shot; an object
 * is closed exactly once, with the reason.
 */
import type { scanModes } from '../config/schema.js';

export type ScanMode = (typeof scanModes)[number];
export type ControlAction = 'END' | 'UNDO' | 'REJECT';

export interface SessionRules {
  mode: ScanMode;
  /** Close the open object when nothing happened for this long; 0 = never. */
  idleTimeoutSec: number;
  /** View names by sequence number (seq 1 = views[0]); empty when the project names no views. */
  views: readonly string[];
  /** Shots an object should have; 0 = no expectation. */
  expectedShots: number;
  /** Every shot should have both a RAW and a processed file. */
  expectPairs: boolean;
}

export type SessionInput =
  | { type: 'scan'; barcode: string; at: number }
  | { type: 'control'; action: ControlAction; at: number }
  | { type: 'capture'; captureId: number; stem: string; isRaw: boolean; at: number }
  | { type: 'tick'; at: number };

export type CloseReason = 'end' | 'next-object' | 'idle' | 'rejected';

export type SessionEffect =
  | { type: 'object.opened'; barcode: string }
  | { type: 'object.closed'; barcode: string; reason: CloseReason; shots: number }
  | { type: 'capture.linked'; captureId: number; barcode: string; seq: number; view: string | null }
  /** UNDO: the last shot is taken off its object (barcode null: it was still waiting for one) and flagged for re-shoot. */
  | { type: 'capture.unlinked'; captureIds: number[]; barcode: string | null; seq: number | null; reshoot: true }
  | { type: 'capture.unlinked-none'; captureId: number }
  | { type: 'alarm'; barcode: string | null; message: string };

/** One shot of the open object: what `restore` takes back from the database after an edit. */
export interface Shot {
  stem: string;
  seq: number;
  captureIds: number[];
  hasRaw: boolean;
  hasProcessed: boolean;
}

interface OpenObject {
  barcode: string;
  shots: Shot[];
  lastActivity: number;
  /** The first sequence number of this object: a barcode scanned again continues after its earlier shots. */
  firstSeq: number;
}

export class LinkSession {
  private open: OpenObject | null = null;
  /** scan-after-capture: shots taken since the last object, waiting for their barcode. */
  private pending: { captureId: number; stem: string; isRaw: boolean }[] = [];

  constructor(
    private readonly rules: SessionRules,
    /** The sequence number a newly opened object of `barcode` starts at (1 unless the barcode already has shots). */
    private readonly firstSeq: (barcode: string) => number = () => 1,
  ) {}

  /**
   * After a linking edit: the open object takes its barcode and shots from the database (the edit
   * may have renamed it, taken shots off it or added some), and waiting shots that the edit linked
   * stop waiting. Its idle clock is left as it was.
   */
  restore(open: { barcode: string; shots: Shot[] } | null, isLinked: (captureId: number) => boolean): void {
    if (this.open && open) Object.assign(this.open, { barcode: open.barcode, shots: [...open.shots].sort((a, b) => a.seq - b.seq) });
    this.pending = this.pending.filter((p) => !isLinked(p.captureId));
  }

  get current(): { barcode: string; shots: number } | null {
    return this.open ? { barcode: this.open.barcode, shots: shotCount(this.open) } : null;
  }

  apply(input: SessionInput): SessionEffect[] {
    const effects = this.expireIdle(input.at);
    switch (input.type) {
      case 'tick':
        return effects;
      case 'scan':
        return [...effects, ...this.scan(input.barcode, input.at)];
      case 'control':
        return [...effects, ...this.control(input.action)];
      case 'capture':
        return [...effects, ...this.capture(input.captureId, input.stem, input.isRaw, input.at)];
    }
  }

  private scan(barcode: string, at: number): SessionEffect[] {
    if (this.rules.mode === 'scan-after-capture') {
      if (this.pending.length === 0) return [{ type: 'alarm', barcode, message: `${barcode} was scanned, but no new capture is waiting for a barcode: shoot the object first, then scan.` }];
      // The barcode names the shots just taken, then the object is done.
      const effects = this.openObject(barcode, at);
      for (const p of this.pending.splice(0)) effects.push(...this.link(p.captureId, p.stem, p.isRaw));
      return [...effects, ...this.close('end')];
    }
    if (this.open?.barcode === barcode) {
      // The same object scanned again (a double read, or a nervous thumb): keep it open.
      this.open.lastActivity = at;
      return [];
    }
    return this.openObject(barcode, at);
  }

  private openObject(barcode: string, at: number): SessionEffect[] {
    const effects = this.open ? this.close('next-object') : [];
    this.open = { barcode, shots: [], lastActivity: at, firstSeq: this.firstSeq(barcode) };
    return [...effects, { type: 'object.opened', barcode }];
  }

  private control(action: ControlAction): SessionEffect[] {
    if (this.rules.mode === 'scan-after-capture' && action === 'UNDO' && this.pending.length > 0) {
      const stem = this.pending.at(-1)!.stem;
      const shot = this.pending.filter((p) => p.stem === stem);
      this.pending = this.pending.filter((p) => p.stem !== stem);
      return [{ type: 'capture.unlinked', captureIds: shot.map((p) => p.captureId), barcode: null, seq: null, reshoot: true }];
    }
    if (!this.open) return [{ type: 'alarm', barcode: null, message: `${action} was scanned, but no object is open: scan an object barcode first.` }];
    if (action === 'END') return this.close('end');
    if (action === 'REJECT') return this.close('rejected');
    const last = this.open.shots.pop();
    if (!last) return [{ type: 'alarm', barcode: this.open.barcode, message: `UNDO was scanned, but object ${this.open.barcode} has no capture yet.` }];
    return [{ type: 'capture.unlinked', captureIds: last.captureIds, barcode: this.open.barcode, seq: last.seq, reshoot: true }];
  }

  private capture(captureId: number, stem: string, isRaw: boolean, at: number): SessionEffect[] {
    if (this.rules.mode === 'scan-after-capture') {
      this.pending.push({ captureId, stem, isRaw });
      return [];
    }
    if (!this.open) return [{ type: 'capture.unlinked-none', captureId }];
    this.open.lastActivity = at;
    return this.link(captureId, stem, isRaw);
  }

  private link(captureId: number, stem: string, isRaw: boolean): SessionEffect[] {
    const object = this.open!;
    let shot = object.shots.find((s) => s.stem === stem);
    if (!shot) {
      shot = { stem, seq: (object.shots.at(-1)?.seq ?? object.firstSeq - 1) + 1, captureIds: [], hasRaw: false, hasProcessed: false };
      object.shots.push(shot);
    }
    shot.captureIds.push(captureId);
    if (isRaw) shot.hasRaw = true;
    else shot.hasProcessed = true;
    return [{ type: 'capture.linked', captureId, barcode: object.barcode, seq: shot.seq, view: this.rules.views[shot.seq - 1] ?? null }];
  }

  private close(reason: CloseReason): SessionEffect[] {
    const object = this.open;
    if (!object) return [];
    this.open = null;
    const effects: SessionEffect[] = [{ type: 'object.closed', barcode: object.barcode, reason, shots: shotCount(object) }];
    const missing = reason === 'rejected' ? [] : this.missing(object);
    if (missing.length > 0) effects.push({ type: 'alarm', barcode: object.barcode, message: `Object ${object.barcode} is incomplete: ${missing.join('; ')}.` });
    return effects;
  }

  /** What the profile expected of a closed object and did not get, in words for the technician. */
  private missing(object: OpenObject): string[] {
    const { expectedShots, views, expectPairs } = this.rules;
    const out: string[] = [];
    const shots = shotCount(object);
    if (expectedShots > 0 && shots < expectedShots) {
      const missingViews = views.slice(shots, expectedShots);
      out.push(`${shots} of ${expectedShots} views${missingViews.length > 0 ? ` (missing ${missingViews.join(', ')})` : ''}`);
    }
    if (expectPairs) {
      for (const s of object.shots) {
        if (!s.hasRaw || !s.hasProcessed) out.push(`shot ${s.seq} (${s.stem}) has no ${s.hasRaw ? 'TIFF/JPEG' : 'RAW'} file`);
      }
    }
    return out;
  }

  private expireIdle(now: number): SessionEffect[] {
    const timeout = this.rules.idleTimeoutSec * 1000;
    if (!this.open || timeout <= 0 || now - this.open.lastActivity < timeout) return [];
    return this.close('idle');
  }
}

/** The object's shots, counting those its barcode had before it was scanned again. */
function shotCount(object: OpenObject): number {
  return object.firstSeq - 1 + object.shots.length;
}
