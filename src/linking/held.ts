/**
 * Whether linking still holds a capture back: what it will be named is not settled yet, so it is
 * neither uploaded (its copy would carry a name nobody keeps) nor removed by retention (the scan or
 * filing still needs its file). Derived from the database alone, as SQL over the captures row `c`,
 * because the upload hook, a backfill run by another process and retention all ask, and the answer
 * must be the same after a restart.
 *
 * Held while:
 * - it is linked to an object still open (the next shot, UNDO or an edit may change it), or linked
 *   and not filed yet (a linked capture that failed QC stays in the hot folder unless
 *   linking.fileFailed, so it is settled once its object closes);
 * - scan-after-capture: it waits for its barcode. Its recording wrote `awaitingBarcode` (it joined
 *   the shots waiting for one), and since then it was not linked by a scan ('capture.linked') or an
 *   edit ('capture.relinked'), dropped by UNDO ('capture.unlinked'), or given up on
 *   ('capture.not-linked': its wait expired, or no waiting shot held it after a restart).
 *
 * A capture unlinked for good (shot with no object open in scan-before-capture, an expired waiting
 * shot) is not held: it is final as it is, and goes under its hot-folder name.
 */
export const awaitingBarcode = 'capture.awaiting-barcode';

/** Events that end a capture's wait for its barcode. */
const waitEnded = ['capture.linked', 'capture.relinked', 'capture.unlinked', 'capture.not-linked'].map((t) => `'${t}'`).join(', ');

/** True for a capture `c` that waits for its barcode (scan-after-capture). */
export const awaitingBarcodeSql = `EXISTS (SELECT 1 FROM events a WHERE a.capture_id = c.id AND a.type = '${awaitingBarcode}'
  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.capture_id = c.id AND e.id > a.id AND e.type IN (${waitEnded})))`;

/** True for a capture `c` that linking still holds back (see above). */
export const heldByLinkingSql = `(EXISTS (SELECT 1 FROM capture_links l JOIN objects o ON o.id = l.object_id WHERE l.capture_id = c.id
    AND (o.state = 'open' OR NOT COALESCE((SELECT f.state = 'done' FROM filing_moves f WHERE f.capture_id = c.id), c.verdict = 'fail')))
  OR ${awaitingBarcodeSql})`;
