/**
 * A capture's timeline in plain words: each stored event (src/store/events.ts) as the sentence a
 * technician reads, with the check labels the verdict banner uses. Pure, so the tests run it in Node.
 * The data comes from the event log as written over the station's versions: any field may be
 * missing or of another type, and an event with no words here is still said in words.
 */
import type { Verdict } from '../contract.js';
import { checkLabel, timeOfDay, verdictLook } from './format.js';

type Data = Record<string, unknown>;

const text = (d: Data, key: string): string | null => {
  const v = d[key];
  return typeof v === 'string' && v !== '' ? v : null;
};
const count = (d: Data, key: string): number | null => {
  const v = d[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};
const verdictWord = (d: Data, key: string): string | null => {
  const v = text(d, key);
  return v !== null && v in verdictLook ? verdictLook[v as Verdict].word : null;
};
const checkList = (d: Data): string => {
  const v = d.failedChecks;
  return Array.isArray(v) ? v.filter((c): c is string => typeof c === 'string').map(checkLabel).join(', ') : '';
};

/** "B-1 as shot 2 (back)", or null when the event names no object. */
function placement(d: Data): string | null {
  const barcode = text(d, 'barcode');
  if (barcode === null) return null;
  const seq = count(d, 'seq');
  const view = text(d, 'view');
  return `${barcode}${seq !== null ? ` as shot ${seq}` : ''}${view ? ` (${view})` : ''}`;
}

/** Why a capture's link changed (capture.relinked's `why`: an edit's kind, or what the station did). */
const relinkReasons: Record<string, string> = {
  'image gave way': 'the barcode in its image',
  undo: 'an edit was undone',
  'rolled back': 'an edit was rolled back',
  link: 'linked by hand',
  relink: 'relinked by hand',
  split: 'its object was split',
  merge: 'objects were merged',
  barcode: "its object's barcode was corrected",
  reshoot: 'flagged to be shot again',
};

function uploadSentence(step: string, d: Data): string {
  const target = text(d, 'targetId');
  const to = target ? ` to ${target}` : '';
  const attempts = count(d, 'attempts');
  const error = text(d, 'error');
  const reason = text(d, 'reason');
  switch (step) {
    case 'queued':
      return `Queued for upload${to}`;
    case 'leased':
      // A lease is the start of an attempt; `attempts` counts those that ended before it.
      return `Upload${to} started (attempt ${(attempts ?? 0) + 1})`;
    case 'done': {
      const key = text(d, 'remoteKey');
      if (d.alreadyPresent === true) return `Already${target ? ` at ${target}` : ' uploaded'}: the copy there was checked and kept`;
      return `Uploaded${to}${key ? ` as ${key}` : ''}`;
    }
    case 'retry': {
      const retryAt = text(d, 'retryAt');
      return `Upload${to} failed${attempts !== null ? ` (attempt ${attempts})` : ''}${error ? `: ${error}` : ''}${retryAt ? `; next try at ${timeOfDay(retryAt)}` : ''}`;
    }
    case 'dead':
      return `Upload${to} given up${attempts ? ` after ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}` : ''}${error ? `: ${error}` : ''}`;
    case 'released':
      return `Upload${to} paused${reason ? `: ${reason}` : ''}`;
    case 'reclaimed':
      return `Upload${to} taken back from a worker that stopped answering`;
    case 'requeued':
      return `Queued again for upload${to}${reason ? `: ${reason}` : ''}`;
    default:
      return `Upload${to}: ${step.replace(/[.-]/g, ' ')}`;
  }
}

/** An old copy left at a target by an earlier version of the file (upload.stale.*). */
function staleCopySentence(step: string, d: Data): string {
  const target = text(d, 'targetId');
  const key = text(d, 'remoteKey');
  const note = text(d, 'note') ?? text(d, 'error');
  const copy = `Old copy${key ? ` ${key}` : ''}${target ? ` at ${target}` : ''}`;
  const done: Record<string, string> = { recorded: 'to be removed', removed: 'removed', kept: 'kept', dropped: 'no longer tracked', retry: 'could not be removed yet' };
  return `${copy} ${done[step] ?? step}${note ? `: ${note}` : ''}`;
}

/** The event as a sentence: what happened to the capture, never the event's name or its fields. */
export function eventSentence(e: { type: string; data: unknown }): string {
  const d: Data = e.data !== null && typeof e.data === 'object' && !Array.isArray(e.data) ? (e.data as Data) : {};
  if (e.type.startsWith('upload.stale.')) return staleCopySentence(e.type.slice('upload.stale.'.length), d);
  if (e.type.startsWith('upload.')) return uploadSentence(e.type.slice('upload.'.length), d);
  const where = placement(d);
  const from = text(d, 'from');
  const to = text(d, 'to');
  switch (e.type) {
    case 'capture.recorded': {
      const version = count(d, 'version');
      const verdict = verdictWord(d, 'verdict');
      const failed = checkList(d);
      return `Recorded${version !== null && version > 1 ? ` as version ${version}` : ''}${verdict ? ` — ${verdict}` : ''}${failed ? `: ${failed}` : ''}`;
    }
    case 'capture.rechecked': {
      const check = text(d, 'check');
      const status = text(d, 'status');
      const verdict = verdictWord(d, 'verdict');
      return `Checked again${check ? `: ${checkLabel(check)}${status ? ` now ${status.toUpperCase()}` : ''}` : ''}${verdict ? `; the capture is now ${verdict}` : ''}`;
    }
    case 'capture.linked':
      return where ? `Linked to ${where}` : 'Linked';
    case 'capture.unlinked': {
      const barcode = text(d, 'barcode');
      return `${barcode ? `Taken off ${barcode}` : 'Unlinked'}${d.reshoot === true ? ' and flagged to be shot again' : ''}`;
    }
    case 'capture.relinked': {
      const why = text(d, 'why');
      const reason = why ? ` (${relinkReasons[why] ?? why})` : '';
      if (!where) return `Unlinked${reason}`;
      return `${why === 'link' ? 'Linked' : 'Relinked'} to ${where}${reason}`;
    }
    case 'capture.not-linked': {
      const reason = text(d, 'reason');
      return `Not linked${reason ? `: ${reason}` : ''}${from ? ` (it left ${from})` : ''}`;
    }
    case 'capture.joined-late':
      return `Joined ${text(d, 'barcode') ?? 'its object'} late, after that object had closed`;
    case 'capture.awaiting-barcode':
      return 'Waiting for its barcode to be scanned';
    case 'capture.filed':
      return to ? `Filed as ${to}` : 'Filed';
    case 'capture.filing-failed': {
      const error = text(d, 'error');
      return `Could not be filed${to ? ` as ${to}` : ''}${error ? `: ${error}` : ''}`;
    }
    case 'capture.recovered': {
      const why = text(d, 'why');
      return `Put back${to ? ` at ${to}` : ''} after a restart${why ? `: ${why}` : ''}`;
    }
    case 'capture.local-removed': {
      const path = text(d, 'path');
      return d.alreadyGone === true ? `Local file already gone${path ? `: ${path}` : ''}` : `Local file removed (its uploaded copies are confirmed)${path ? `: ${path}` : ''}`;
    }
    case 'alarm': {
      const message = text(d, 'message');
      return `Alarm${message ? `: ${message}` : ''}`;
    }
    case 'object.incomplete': {
      const message = text(d, 'message');
      const barcode = text(d, 'barcode');
      return `${barcode ? `Object ${barcode}` : 'Its object'} incomplete${message ? `: ${message}` : ''}`;
    }
    default: {
      // A kind of event this page does not know yet: its name in words; the data is in the details.
      const words = e.type.replace(/[._-]+/g, ' ').trim();
      return words.charAt(0).toUpperCase() + words.slice(1);
    }
  }
}
