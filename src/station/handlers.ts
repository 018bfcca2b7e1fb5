/**
 * The station's command handlers. Their result types are the contract's result types (derived, not
 * restated), and `satisfies HandlerMap` ties every command in the contract to exactly one handler.
 */
import type { HandlerMap } from '../contract/client.js';
import { checkConfigEdit, readConfigForEdit, saveConfigEdit } from '../config/edit.js';
import { StationError } from '../errors.js';
import { parseSince } from '../upload/backfill.js';
import type { Station } from './station.js';

export function createHandlers(station: Station) {
  return {
    status: () => station.status(),
    // In process and over the desktop's IPC the caller is the station's own operator; the HTTP
    // server answers this command itself, from the caller's token (server/api.ts).
    access: (): { role: 'operator' | 'monitor' } => ({ role: 'operator' }),
    listCaptures: (args) => station.store.list(args),
    getCapture: ({ id }) => {
      const detail = station.store.detail(id);
      if (!detail) throw new StationError('NOT_FOUND', `There is no capture ${id}.`);
      return detail;
    },
    rescan: async () => {
      await station.rescan();
      return { rescanned: true as const };
    },
    queueStatus: () => station.uploader.status(),
    retryDead: ({ targetId, jobId }) => {
      const requeued = station.uploader.retryDead({ targetId, jobId });
      if (jobId !== undefined && requeued.length === 0) throw new StationError('NOT_FOUND', `There is no dead upload job ${jobId}${targetId ? ` for target "${targetId}"` : ''}.`);
      return { requeued: requeued.map((t) => t.jobId) };
    },
    scanBarcode: ({ code, sourceId }) => station.linker.scan(code, sourceId),
    relinkCaptures: ({ captureIds, barcode }) => station.linker.editor.relinkCaptures(captureIds, barcode),
    relinkObject: ({ objectId, barcode }) => station.linker.editor.relinkObject(objectId, barcode),
    splitObject: ({ objectId, fromSeq, barcode }) => station.linker.editor.splitObject(objectId, fromSeq, barcode),
    mergeObjects: ({ objectId, intoObjectId }) => station.linker.editor.mergeObjects(objectId, intoObjectId),
    setReshoot: ({ captureId, reshoot }) => station.linker.editor.setReshoot(captureId, reshoot),
    undoLinkEdit: () => station.linker.editor.undoLast(),
    captureStats: ({ utcOffsetMin }) => station.store.stats({ utcOffsetMin: utcOffsetMin ?? -new Date().getTimezoneOffset() }),
    backfillTarget: ({ targetId, since }) => station.uploader.backfill(targetId, since === undefined ? null : parseSince(since)),
    startSession: ({ operator, project }) => station.startSession(operator, project),
    endSession: () => station.endSession(),
    capturePreview: ({ id, withImage }, { signal }) => station.previews.describe(id, withImage, signal),
    getConfig: () => readConfigForEdit(station.config),
    checkConfig: ({ config }) => ({ errors: checkConfigEdit(station.config, config, (next) => station.configRefusals(next)) }),
    saveConfig: ({ config, revision }) => saveConfigEdit(station.config, config, revision, (next) => station.configRefusals(next)),
    mergeIntoBarcode: ({ objectId, barcode }) => station.linker.editor.mergeIntoBarcode(objectId, barcode),
    lastLinkEdit: () => station.linker.editor.lastEdit(),
  } satisfies HandlerMap;
}

export type StationHandlers = ReturnType<typeof createHandlers>;
