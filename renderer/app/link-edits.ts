/**
 * The linking fixes the history offers on a capture — relink its shot, rename its object's
 * barcode, split its object from its shot on into another barcode, merge its object into another
 * barcode's, flag it for re-shoot, undo the newest fix (any capture's) — as the contract's
 * commands, each answered with one sentence for the technician (what changed, or why nothing did).
 */
import type { CaptureDetail } from '../contract.js';
import type { StationClient } from '../transport/http-client.js';

export type LinkEditRequest =
  | { kind: 'relinkShot'; barcode: string }
  | { kind: 'renameObject'; barcode: string }
  | { kind: 'split'; barcode: string }
  | { kind: 'merge'; barcode: string }
  | { kind: 'reshoot'; reshoot: boolean }
  | { kind: 'undo' };

export interface LinkEditMessage {
  ok: boolean;
  text: string;
}

const captures = (n: number) => `${n} capture${n === 1 ? '' : 's'}`;

export async function runLinkEdit(client: StationClient, capture: Pick<CaptureDetail, 'id' | 'link'>, req: LinkEditRequest): Promise<LinkEditMessage> {
  const reply = await send(client, capture, req);
  const link = capture.link;
  if (reply === null) return { ok: false, text: 'This capture is not linked to an object yet: link it with "Relink this shot to barcode" (it joins that barcode\'s object and is filed by the naming template).' };
  if ('error' in reply) return { ok: false, text: reply.error.message };
  const { editId, captureIds } = reply.result;
  switch (req.kind) {
    case 'relinkShot':
      return { ok: true, text: `${reply.result.kind === 'link' ? 'Linked' : 'Relinked'} ${captures(captureIds.length)} to ${req.barcode} (edit ${editId}).` };
    case 'renameObject':
      return { ok: true, text: `Object ${capture.link?.barcode ?? ''} is now ${req.barcode}: ${captures(captureIds.length)} renamed (edit ${editId}).` };
    case 'split':
      return { ok: true, text: `Split shot ${link?.seq ?? '?'} and later off ${link?.barcode ?? ''} into ${req.barcode}: ${captures(captureIds.length)} moved (edit ${editId}).` };
    case 'merge':
      return { ok: true, text: `Merged ${link?.barcode ?? ''} into ${req.barcode}: ${captures(captureIds.length)} numbered after its last shot (edit ${editId}).` };
    case 'reshoot':
      return { ok: true, text: req.reshoot ? `Flagged for re-shoot (edit ${editId}).` : `No longer flagged for re-shoot (edit ${editId}).` };
    case 'undo':
      return { ok: true, text: reply.result.message ?? `Undid edit ${editId}.` };
  }
}

function send(client: StationClient, capture: Pick<CaptureDetail, 'id' | 'link'>, req: LinkEditRequest) {
  switch (req.kind) {
    case 'relinkShot':
      return client.relinkCaptures({ captureIds: [capture.id], barcode: req.barcode });
    case 'renameObject':
      return capture.link ? client.relinkObject({ objectId: capture.link.objectId, barcode: req.barcode }) : Promise.resolve(null);
    case 'split':
      return capture.link ? client.splitObject({ objectId: capture.link.objectId, fromSeq: capture.link.seq, barcode: req.barcode }) : Promise.resolve(null);
    case 'merge':
      return capture.link ? client.mergeIntoBarcode({ objectId: capture.link.objectId, barcode: req.barcode }) : Promise.resolve(null);
    case 'reshoot':
      return client.setReshoot({ captureId: capture.id, reshoot: req.reshoot });
    case 'undo':
      return client.undoLinkEdit({});
  }
}
