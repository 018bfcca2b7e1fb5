/**
 * The "barcodeMismatch" check of captures whose link changed after QC judged them: scanned after
 * the shot (scan-after-capture), relinked, split, merged, taken off by UNDO, or an edit undone. The
 * check is run again on the barcodes stored with the capture against its new object, and the
 * result and verdict replaced (with a 'capture.rechecked' event) in the caller's transaction, so a
 * link and the verdict it implies always commit together.
 *
 * It also answers, before a link is made, whether a barcode contradicts what the capture's image
 * shows: a waiting shot (scan-after-capture) the scan contradicts is not linked, and a linking edit
 * (or its undo) that would link a capture to such a barcode is refused, so no capture is ever filed
 * or uploaded under a name its own image contradicts. A search that stopped before reading every
 * region (at the label it was after) is read again for the barcode in question first: a label not
 * read is not a label the image does not show.
 */
import fs from 'node:fs/promises';
import type { ImageDecodeResult, SearchGoal } from '../barcode/image/index.js';
import { sha256OfFile } from '../hashing/file.js';
import { createLogger } from '../log/logger.js';
import { checkBarcodeMismatch, verdictOf, type CheckResult, type Profile } from '../quality/index.js';
import type { CaptureRecord, CaptureStore } from '../store/captures.js';
import type { LinkStore } from './store.js';

const log = createLogger('linking.mismatch');

/** Searches the image at `absPath` for barcodes again, until `goal` (the station's decoder). */
export type SearchAgain = (absPath: string, goal: SearchGoal) => Promise<ImageDecodeResult>;

export class MismatchRecheck {
  constructor(
    private readonly captures: CaptureStore,
    private readonly links: LinkStore,
    private readonly profileOf: (sourceId: string) => Profile | undefined,
    private readonly searchAgain: SearchAgain | null = null,
  ) {}

  /**
   * Runs inside the caller's transaction; returns the captures whose result changed. A capture in
   * `earlier` takes that result back instead of being judged again: an undo that unlinks a capture
   * linked for the first time restores the result QC gave it against the object open when it was
   * shot (judged with no link, the check would be skipped and a mismatch forgotten). `against`:
   * judged against this barcode instead of the capture's link (a waiting shot the scan contradicts,
   * which is never linked to it).
   */
  run(captureIds: Iterable<number>, earlier: ReadonlyMap<number, CheckResult> = new Map(), against?: string): CaptureRecord[] {
    const changed: CaptureRecord[] = [];
    for (const id of new Set(captureIds)) {
      const judged = this.judge(id, against ?? this.links.linkOf(id)?.barcode ?? null);
      if (!judged) continue;
      const { stored, results } = judged;
      const settled = earlier.get(id) ?? judged.settled;
      if (settled.status === stored.status && settled.message === stored.message) continue;
      changed.push(this.captures.updateCheck(id, settled, verdictOf(results.map((r) => (r.check === 'barcodeMismatch' ? settled : r)))));
    }
    return changed;
  }

  /**
   * The pattern-valid codes in the capture's image when linking it to `barcode` would fail it as a
   * barcode mismatch (none of them is `barcode`), else null (they agree, none was read, or the
   * project does not fail mismatches). Sorted: a refusal names them in the same order whichever
   * the search read first.
   */
  contradiction(captureId: number, barcode: string): string[] | null {
    const judged = this.judge(captureId, barcode);
    if (judged?.settled.status !== 'fail') return null;
    return [...new Set(this.captures.barcodes(captureId).filter((b) => b.valid).map((b) => b.text))].sort();
  }

  /**
   * Before `contradiction` is asked about linking the capture to `barcode`: when its stored codes
   * contradict `barcode` but their search stopped early (at another specimen's label on a sheet of
   * several, say), the image is read again until it finds `barcode` or has read every region, and
   * what it reads is stored with the capture. Only the capture's own version is read (a file re-shot
   * under its name since is not); a read that fails stores nothing, and is logged.
   */
  async readAgain(captureId: number, barcode: string): Promise<void> {
    const shown = this.contradiction(captureId, barcode);
    if (!shown || !this.searchAgain || this.captures.barcodesComplete(captureId)) return;
    const capture = this.captures.get(captureId)!;
    const why = await this.notThisVersion(capture);
    const again = why ? null : await this.searchAgain(capture.path, { code: barcode, distinct: Infinity });
    if (!again || again.error) {
      log.warn(`could not read the image of ${capture.relPath} again for ${barcode} (its first search stopped at ${shown.join(' and ')}): ${why ?? again?.error}`, { captureId });
      return;
    }
    if (await this.notThisVersion(capture)) return;
    this.captures.addBarcodes(captureId, again.codes, again.complete);
    const found = again.codes.some((c) => c.valid && c.text === barcode);
    log.info(`read the image of ${capture.relPath} again for ${barcode}, as its first search stopped at ${shown.join(' and ')}: ${found ? 'it is there' : 'it is not on it'}`, { captureId });
  }

  /** Why the file at the capture's path is not the version recorded (null: it is). */
  private async notThisVersion(capture: CaptureRecord): Promise<string | null> {
    const stat = await fs.stat(capture.path, { bigint: true }).catch((err: NodeJS.ErrnoException) => err);
    if (stat instanceof Error) return `the file cannot be read (${stat.code ?? stat.message})`;
    if (Number(stat.size) !== capture.size) return 'the file there now is another version';
    // Filed by copy to another disk, a file may carry a new time: its bytes tell.
    if (Number(stat.mtimeNs / 1000n) !== capture.mtimeUs && capture.sha256 && (await sha256OfFile(capture.path)) !== capture.sha256) return 'the file there now is another version';
    return null;
  }

  private judge(id: number, barcode: string | null) {
    const capture = this.captures.get(id);
    const profile = capture && this.profileOf(capture.sourceId);
    const results = profile ? this.captures.results(id) : [];
    const stored = results.find((r) => r.check === 'barcodeMismatch');
    if (!profile || !stored) return null;
    const rows = this.captures.barcodes(id);
    // No stored barcode means either "searched, none found" or "not searched". QC's own result
    // tells which: its value is null only when the image was not searched (or the check is off,
    // which judging again leaves as it is).
    const codes = rows.length > 0 || stored.value !== null ? rows : null;
    return { settled: checkBarcodeMismatch(profile, codes, barcode), stored, results };
  }
}
