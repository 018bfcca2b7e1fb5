/** Words, icons and numbers as the technician reads them. Pure, so the tests run them in Node. */
import type { CaptureDetail, CaptureRecord, CheckId, CheckResult, ResultOf, StationHandlers, Verdict } from '../contract.js';

/** Each verdict has its own icon and word as well as its colour: colour is never the only signal. */
export const verdictLook: Record<Verdict, { icon: string; word: string; label: string }> = {
  pass: { icon: '✓', word: 'PASS', label: 'Passed every check' },
  warn: { icon: '▲', word: 'WARN', label: 'Passed, with warnings' },
  fail: { icon: '✕', word: 'FAIL', label: 'Failed — re-shoot or fix before moving on' },
};

export const checkLabels: Record<CheckId, string> = {
  decodes: 'File opens',
  format: 'File format',
  singlePage: 'Single page',
  tiffCompression: 'TIFF compression',
  minPixels: 'Pixel size',
  minPpi: 'Resolution',
  bitDepth: 'Bit depth',
  colour: 'Colour profile',
  exposure: 'Exposure',
  blank: 'Blank frame',
  sharpness: 'Sharpness',
  duplicate: 'Duplicate',
  nearDuplicate: 'Near-duplicate',
  pairs: 'RAW + TIFF pair',
  filename: 'File name',
  barcodeMismatch: 'Barcode matches object',
};

/** A check's name in words, for an id from the station (a check this page does not know keeps its id). */
export function checkLabel(id: string): string {
  return Object.hasOwn(checkLabels, id) ? checkLabels[id as CheckId] : id;
}

export interface Problem {
  check: CheckId;
  label: string;
  status: 'fail' | 'warn';
  message: string;
}

/** Failing checks first, then warnings, each with the check's own sentence. */
export function problemsOf(results: readonly CheckResult[]): Problem[] {
  const pick = (status: 'fail' | 'warn') => results.filter((r) => r.status === status).map((r) => ({ check: r.check, label: checkLabel(r.check), status, message: r.message }));
  return [...pick('fail'), ...pick('warn')];
}

export function fileName(relPath: string): string {
  const i = relPath.lastIndexOf('/');
  return i < 0 ? relPath : relPath.slice(i + 1);
}

export function folderOf(relPath: string): string {
  const i = relPath.lastIndexOf('/');
  return i < 0 ? '' : relPath.slice(0, i);
}

const byteUnits = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/**
 * Every byte figure the UI shows (file sizes, queue, free disk): in the largest unit of 1024 it has
 * at least one of, so a nearly full disk reads "300 MB", not "0.3 GB" or "0.0 GB" — the same units
 * as the retention.*FreeGB limits it is judged by. Whole bytes; three figures from 100 up.
 */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < byteUnits.length - 1) {
    v /= 1024;
    u++;
  }
  const text = u === 0 ? Math.round(v).toFixed(0) : v >= 99.95 ? v.toFixed(0) : v.toFixed(1);
  // Rounded up to 1024 of a unit ("1024 KB") is one of the next.
  if (Number(text) >= 1024 && u < byteUnits.length - 1) return `1.0 ${byteUnits[u + 1]}`;
  return `${text} ${byteUnits[u]}`;
}

export function shortSha(sha: string | null): string {
  return sha ? sha.slice(0, 12) : '—';
}

export function pixelSize(c: Pick<CaptureRecord, 'width' | 'height'>): string {
  return c.width && c.height ? `${c.width} × ${c.height}` : '—';
}

export function megapixels(c: Pick<CaptureRecord, 'width' | 'height'>): string | undefined {
  if (!c.width || !c.height) return undefined;
  const mp = (c.width * c.height) / 1e6;
  return `${mp >= 10 ? mp.toFixed(0) : mp.toFixed(1)} MP`;
}

/** 24-hour clock with seconds, in the station's local time. */
export function timeOfDay(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

export interface KeyFact {
  label: string;
  value: string;
  /** A smaller second line. */
  detail?: string | undefined;
  mono?: boolean;
}

export function keyFacts(c: CaptureDetail | CaptureRecord): KeyFact[] {
  return [
    { label: 'Pixels', value: pixelSize(c), detail: megapixels(c) },
    { label: 'Bit depth', value: c.bitDepth ? `${c.bitDepth}-bit` : '—' },
    { label: 'Format', value: c.format ? c.format.toUpperCase() : 'unknown' },
    { label: 'File size', value: formatBytes(c.size) },
    { label: 'SHA-256', value: shortSha(c.sha256), mono: true },
    { label: 'Checked', value: timeOfDay(c.checkedAt), detail: c.qcMs !== null ? `QC took ${(c.qcMs / 1000).toFixed(2)} s` : undefined },
  ];
}

export interface LinkLine {
  state: 'filed' | 'linked' | 'waiting' | 'none' | 'rejected' | 'reshoot';
  icon: string;
  /** Words before the barcode ("Filed under"), or the whole line when not linked. */
  words: string;
  /** The object's barcode, with the shot and view after it. */
  barcode: string | null;
  shot: string | null;
  /** Where the file is now (its library path once filed). */
  path: string;
  /** For a capture set aside: its place from the set-aside folder on ("_rejected/…"), once moved there. */
  where?: string | null;
}

/** The library folders a set-aside capture is moved into (src/linking/linker.ts). */
const setAsideFolders = { rejected: '_rejected', reshoot: '_reshoot' } as const;

/** `path` from the set-aside folder on ("_rejected/NHM-1/IMG_0003.jpg"), or null when it is not in one. */
function inSetAsideFolder(path: string, folder: string): string | null {
  const m = new RegExp(`[\\\\/](${folder}[\\\\/].*)$`).exec(path);
  return m ? m[1]!.replace(/\\/g, '/') : null;
}

/** The mark a set-aside capture carries in lists (recent captures, history). */
export const setAsideLook = {
  rejected: { icon: '✕', word: 'Rejected' },
  reshoot: { icon: '↻', word: 'Re-shoot' },
} as const;

/**
 * Which object the capture was linked to and filed under, or why it is not linked. Filed: its path
 * is where the last filing move put it (a `capture.filed` event's `to`).
 */
export function linkLine(c: Pick<CaptureDetail, 'link' | 'reshoot' | 'path' | 'events' | 'setAside'>, waitingForBarcode: boolean): LinkLine {
  // Set aside is said first: a rejected object's shots are still linked to it, and a shot UNDO
  // took off is no longer linked — neither is filed, whatever its verdict.
  if (c.setAside === 'rejected' || c.setAside === 'reshoot') {
    const where = inSetAsideFolder(c.path, setAsideFolders[c.setAside]);
    const rejected = c.setAside === 'rejected';
    // A failed shot of a rejected object stays where it is unless failed shots are filed too.
    const words = rejected ? (where ? 'Rejected — set aside in' : 'Rejected — not filed') : where ? 'Flagged to be shot again — in' : 'Flagged to be shot again';
    const shot = c.link ? `shot ${c.link.seq}${c.link.view ? ` (${c.link.view})` : ''}` : null;
    return { state: c.setAside, icon: rejected ? '✕' : '↻', words, barcode: c.link?.barcode ?? null, shot, path: c.path, where };
  }
  if (c.link) {
    const filed = c.events.some((e) => e.type === 'capture.filed' && (e.data as { to?: unknown } | null)?.to === c.path);
    return {
      state: filed ? 'filed' : 'linked',
      icon: '◆',
      words: filed ? 'Filed under' : 'Linked to',
      barcode: c.link.barcode,
      shot: `shot ${c.link.seq}${c.link.view ? ` (${c.link.view})` : ''}${filed ? '' : ' · not filed yet'}`,
      path: c.path,
    };
  }
  if (waitingForBarcode) return { state: 'waiting', icon: '◌', words: 'Not linked yet — waiting for its barcode: scan it', barcode: null, shot: null, path: c.path };
  return { state: 'none', icon: '○', words: c.reshoot ? 'Not linked — flagged to be shot again' : 'Not linked', barcode: null, shot: null, path: c.path };
}

export type ScanOutcome = ResultOf<StationHandlers, 'scanBarcode'>;

function shotsWord(n: number): string {
  return `${n} ${n === 1 ? 'shot' : 'shots'}`;
}

/** What a scan did, in a line flashed under the scan field ("Object X closed (3 shots)"). */
export function scanAnswer(r: ScanOutcome): string {
  const said: string[] = [];
  if (r.closed) {
    said.push(
      r.closed.reason === 'rejected'
        ? `Object ${r.closed.barcode} rejected: its ${shotsWord(r.closed.shots)} set aside in _rejected/`
        : `Object ${r.closed.barcode} closed (${shotsWord(r.closed.shots)})`,
    );
  }
  const u = r.undone;
  if (u?.alreadyOff) said.push(`${u.alreadyOff.charAt(0).toUpperCase()}${u.alreadyOff.slice(1)}`);
  else if (u) said.push(`${u.stem} taken off ${u.barcode ?? 'the shots waiting for a barcode'}${u.seq !== null ? ` (shot ${u.seq})` : ''}, flagged for re-shoot`);
  if (r.kind === 'object' && r.current) said.push(`Object ${r.current.barcode} open`);
  if (said.length === 0) said.push(`${r.code} scanned`);
  return `${said.join('; ')}.`;
}
