/**
 * The station config as a technician or IT person writes it (station.json / station.yaml). Every
 * field has a default, so an empty file — or none — gives a working station.
 */
import { z } from 'zod';
import { barcodeRulesSchema } from '../barcode/rules.js';
import { usbScannersSchema } from '../barcode/usb/config.js';
import { nameCharsets } from '../filing/sanitize.js';
import { parseTemplate } from '../filing/template.js';
import { defaultImageFormats, imageSymbologies, symbologyMeant } from '../shared/image-symbologies.js';

export const sourceKinds = ['camera', 'scanner', 'other'] as const;

/** Files a camera or scanner writes that the station should look at by default (patterns ignore case). */
export const defaultInclude = ['**/*.{tif,tiff,btf,tf8,jpg,jpeg,png,jp2,webp,heic}', '**/*.{dng,cr2,cr3,nef,arw,raf,orf,rw2,iiq,3fr,pef,x3f,crw,mrw,raw}'];

/**
 * Temp-then-rename writers: dot files, *.tmp, *.part, ~* are never taken, only the file they are
 * renamed to. These apply to every source on top of its own ignore list.
 */
export const alwaysIgnore = ['**/.*', '**/.*/**', '**/*.tmp', '**/*.part', '**/*.crdownload', '**/~*'];

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const scanModes = ['scan-before-capture', 'scan-after-capture'] as const;

export const sourceSchema = z.strictObject({
  id: z.string().regex(idPattern, 'letters, digits, "-" or "_", starting with a letter or digit (at most 64)'),
  /** Absolute, or relative to the station home. */
  path: z.string().min(1, 'a folder path'),
  kind: z.enum(sourceKinds).default('camera'),
  include: z.array(z.string().min(1)).min(1).default(defaultInclude),
  ignore: z.array(z.string().min(1)).default([]),
  profile: z.string().default('default'),
  /** Network shares do not deliver file-system events: poll them. */
  polling: z.boolean().default(false),
  pollIntervalMs: z.number().int().min(100).max(60_000).default(2000),
  /** When linking is on: is the barcode scanned before the shots of an object or after them (default: linking.mode). */
  scanMode: z.enum(scanModes).optional(),
  /** When linking is on: the views and shots this source's objects are expected to have (default: linking.views, linking.expectedShots), for a rig that shoots one kind of object. */
  views: z.array(z.string().min(1).max(40)).max(50).optional(),
  expectedShots: z.number().int().min(0).max(100).optional(),
});

/**
 * Upload targets (src/upload/). A union on `kind` so object stores (s3) and tus endpoints slot in
 * as further members. `when: 'passed'` uploads every capture that did not fail QC (pass or warn),
 * once its RAW/TIFF pair window has closed; `'all'` uploads every capture, failed ones too.
 */
export const folderTargetSchema = z.strictObject({
  id: z.string().regex(idPattern, 'letters, digits, "-" or "_", starting with a letter or digit (at most 64)'),
  kind: z.literal('folder'),
  /** A folder or mounted network share; absolute, or relative to the station home. It must exist: a missing one means "offline". */
  path: z.string().min(1, 'a folder path'),
  when: z.enum(['passed', 'all']).default('passed'),
  /** Local files may be deleted only after every required target has verified them. */
  required: z.boolean().default(true),
  /** mirror: <source>/<relative path>; osprey: <source>/<folder>/tif|raw/<name> plus a checksums.md5 per folder. */
  layout: z.enum(['mirror', 'osprey']).default('mirror'),
  /**
   * An unmounted share is an empty local folder: with this on, the folder must be a mount point of
   * its own (another device than its parent) or hold a `.capture-station-target` file; otherwise the
   * target is offline and nothing is written to the local disk.
   */
  mountCheck: z.boolean().default(true),
});

const MiB = 1024 * 1024;

/**
 * An S3 bucket or S3-compatible store (MinIO, Ceph, …; `endpoint` + usually `forcePathStyle`).
 * Credentials: leave accessKeyId/secretAccessKey out and give the station's environment
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE (or `profile` here): a config file gets
 * copied around, and a secret in it travels along.
 */
export const s3TargetSchema = z
  .strictObject({
    id: z.string().regex(idPattern, 'letters, digits, "-" or "_", starting with a letter or digit (at most 64)'),
    kind: z.literal('s3'),
    endpoint: z.url({ protocol: /^https?$/, error: 'an http(s) URL, e.g. https://s3.example.org' }).optional(),
    region: z.string().min(1).default('us-east-1'),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3–63 lower-case letters, digits, "." or "-"'),
    /** Prepended to every key ("scans/" → scans/<station>/<source>/<file>). */
    prefix: z.string().default(''),
    forcePathStyle: z.boolean().default(false),
    profile: z.string().min(1).optional(),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    sessionToken: z.string().min(1).optional(),
    /** Files this size or larger go as multipart uploads (resumable part by part). */
    multipartThresholdBytes: z.number().int().min(5 * MiB).default(64 * MiB),
    /** S3's minimum part is 5 MiB; each running job holds two parts in memory (one being sent, the next being read). */
    partSizeBytes: z.number().int().min(5 * MiB, 'at least 5 MiB (5242880), S3\'s minimum part size').max(5 * 1024 * MiB).default(16 * MiB),
    when: z.enum(['passed', 'all']).default('passed'),
    required: z.boolean().default(true),
  })
  .refine((t) => (t.accessKeyId === undefined) === (t.secretAccessKey === undefined), { message: 'give both accessKeyId and secretAccessKey, or neither (then the environment or profile is used)', path: ['secretAccessKey'] });

/** A tus resumable-upload endpoint (tus 1.0, creation extension), e.g. tusd or @tus/server. */
export const tusTargetSchema = z.strictObject({
  id: z.string().regex(idPattern, 'letters, digits, "-" or "_", starting with a letter or digit (at most 64)'),
  kind: z.literal('tus'),
  /** The creation URL that uploads are POSTed to, e.g. https://uploads.example.org/files/ */
  endpoint: z.url({ protocol: /^https?$/, error: 'an http(s) URL, e.g. https://uploads.example.org/files/' }),
  /** Sent with every request, e.g. { "Authorization": "Bearer …" }. */
  headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name'), z.string()).default({}),
  /**
   * Bytes per PATCH; a dropped connection costs at most one chunk. Each running job holds two in memory (one being sent, the next being read).
   * Each PATCH waits for the answer to the one before (a round trip with the link idle) and costs the server a request: with 8 MiB the
   * test tus server spent 0.2–0.6 CPU-s more per 800 MiB than on one PATCH per file, with 32 MiB within ±0.2 (npm run bench:upload).
   */
  chunkSizeBytes: z.number().int().min(64 * 1024).max(1024 * MiB).default(32 * MiB),
  when: z.enum(['passed', 'all']).default('passed'),
  required: z.boolean().default(true),
});

export const targetSchema = z.discriminatedUnion('kind', [folderTargetSchema, s3TargetSchema, tusTargetSchema]);

export const uploadSettingsSchema = z.strictObject({
  /** Jobs uploading at once, over all targets. */
  concurrency: z.number().int().min(1).max(16).default(2),
  /** Shared by all jobs; 0 = unlimited. */
  bandwidthBytesPerSec: z.number().int().min(0).default(0),
  /** A leased job not renewed for this long (its process died) is taken up again. */
  leaseSec: z.number().min(1).max(3600).default(60),
  /** Retry delay: a random time up to min(maxMs, baseMs × 2^(attempt-1)) ("full jitter"). */
  backoff: z
    .strictObject({
      baseMs: z.number().int().min(10).max(3_600_000).default(2000),
      maxMs: z.number().int().min(10).max(86_400_000).default(600_000),
    })
    .prefault({}),
  /** Failed attempts (target reachable) before a job goes to the dead letter; errors that retrying cannot fix go there at once. */
  maxAttempts: z.number().int().min(1).max(1000).default(20),
  /** How often an unreachable target is probed (and a reachable one re-checked). */
  probeIntervalSec: z.number().min(0.1).max(3600).default(15),
});

/**
 * What happens to local files once they are safe elsewhere, and when the disks are getting full.
 * Nothing is ever deleted unless `deleteLocal` is on.
 */
export const retentionSchema = z.strictObject({
  /** Delete a capture's local file once every required target has verified it, after `keepDays`. */
  deleteLocal: z.boolean().default(false),
  keepDays: z.number().min(0).max(3650).default(30),
  /** Free space (GB) on the disks of the hot folders, library and database below which the station warns / raises an alarm. */
  warnFreeGB: z.number().min(0).default(50),
  criticalFreeGB: z.number().min(0).default(10),
  checkIntervalSec: z.number().min(1).max(86_400).default(300),
}).superRefine((r, ctx) => {
  if (r.warnFreeGB < r.criticalFreeGB) {
    ctx.addIssue({ code: 'custom', path: ['warnFreeGB'], message: `warnFreeGB (${r.warnFreeGB}) is below criticalFreeGB (${r.criticalFreeGB}): the warning must come first, so make warnFreeGB at least criticalFreeGB` });
  }
});

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

export const serverSchema = z
  .strictObject({
    /** Address to listen on. Only loopback unless allowRemote is true. */
    host: z.string().min(1).default('127.0.0.1'),
    /** 0 = any free port (tests). */
    port: z.number().int().min(0).max(65_535).default(7410),
    /** Must be set to listen on an address other machines can reach (e.g. 0.0.0.0). */
    allowRemote: z.boolean().default(false),
    /** Read-only tokens for supervisors watching the station; they may call only read-only commands. */
    monitorTokens: z.array(z.string().regex(/^[A-Za-z0-9._~-]{24,256}$/, 'at least 24 letters, digits or . _ ~ - (e.g. from `openssl rand -hex 24`)')).default([]),
  })
  .superRefine((server, ctx) => {
    if (!server.allowRemote && !isLoopbackHost(server.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['host'],
        message: `"${server.host}" is reachable from other machines; the station listens there only with server.allowRemote: true (otherwise use 127.0.0.1)`,
      });
    }
  });

/** An entry of linking.imageFormats that is no symbology name, with the one it likely means and every name allowed. */
function unknownSymbology(input: unknown): string {
  const meant = typeof input === 'string' ? symbologyMeant(input) : undefined;
  const typed = typeof input === 'string' ? `"${input}"` : (JSON.stringify(input) ?? String(input));
  return `${typed} is not a symbology the station can read${meant ? `; did you mean "${meant}"?` : '.'} Use these names as written: ${imageSymbologies.join(', ')}`;
}

/**
 * The symbologies searched for in captures. A name listed twice counts once (dropped, not refused:
 * it reads nothing differently).
 */
const imageFormatsSchema = z
  .array(z.enum(imageSymbologies, { error: (issue) => unknownSymbology(issue.input) }))
  .min(1, 'List at least one symbology: a code in any other is not seen. To read no barcodes in images, set linking.imageBarcodes to false instead')
  .transform((formats) => [...new Set(formats)])
  .default([...defaultImageFormats]);

/**
 * Per symbology, the object barcode a code read in an image stands for, `{text}` being what the
 * label encodes: Meise prints its catalogue number BR0000005182879 as the EAN-13 0000005182879, so
 * `EAN13: "BR{text}"` has the image show BR0000005182879, which the project's pattern then accepts.
 */
const imageCodeTemplatesSchema = z
  .partialRecord(
    z.enum(imageSymbologies, { error: (issue) => unknownSymbology(issue.input) }),
    z
      .string()
      .max(100)
      .refine((t) => t.split('{text}').length === 2 && !/[{}]/.test(t.replace('{text}', '')), 'Put {text} once where the code read in the image goes, e.g. "BR{text}", and no other braces'),
  )
  .default({});

/**
 * Barcode linking: a scanned object barcode opens an object, the following captures of that
 * source link to it and are filed into the library by `template`. Off by default, so the
 * embedded default keeps everything in the hot folder.
 */
export const linkingSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** The {project} and {operator} of names and records. */
  project: z.string().max(100).default(''),
  operator: z.string().max(100).default(''),
  /** The projects an operator session may choose from (startSession); empty = any name. The session's operator and project take the place of the two above. */
  projects: z.array(z.string().trim().min(1).max(100)).max(200).default([]),
  mode: z.enum(scanModes).default('scan-before-capture'),
  /** An open object with no scan or capture for this long is closed; 0 = never. */
  idleTimeoutSec: z.number().min(0).max(86_400).default(900),
  /** View names by shot: the first shot of an object is views[0], and so on. */
  views: z.array(z.string().min(1).max(40)).max(50).default([]),
  /** Shots an object should have; fewer raises an alarm when it closes. 0 = no expectation. */
  expectedShots: z.number().int().min(0).max(100).default(0),
  /** Where linked captures are filed in the library; tokens {barcode} {seq:03} {view} {date} {time} {station} {operator} {project} {source} {original} {ext}. */
  template: z
    .string()
    .default('{date}/{barcode}/{barcode}_{seq:03}{ext}')
    .superRefine((t, ctx) => {
      try {
        parseTemplate(t);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }),
  /** Spaces in names kept (true) or replaced with "_" (false). */
  allowSpaces: z.boolean().default(false),
  /** Names keep any letter ("unicode") or only ASCII ("ascii": "é" → "e", "ß" → "ss", other scripts and symbols → "_"), for DAMS, FTP servers and shares that mangle the rest. */
  charset: z.enum(nameCharsets, { error: 'must be "unicode" (names keep letters such as é, ß or א) or "ascii" (é becomes e, ß ss, other scripts and symbols _)' }).default('unicode'),
  /** Failed captures are filed too (true) or stay in the hot folder to be re-shot (false). */
  fileFailed: z.boolean().default(false),
  barcode: barcodeRulesSchema.prefault({}),
  /**
   * Read the barcodes visible in each capture (src/barcode/image) while linking is on: stored with
   * the capture, and a project-valid one that differs from the linked object fails "barcodeMismatch".
   */
  imageBarcodes: z.boolean().default(true),
  /**
   * The symbologies the labels use (zxing-wasm's names): fewer is faster (the 2-D detectors cost
   * more than all the 1-D ones together) and gives fewer false reads; a code in another is not seen.
   */
  imageFormats: imageFormatsSchema,
  /** How a code read in an image in a symbology becomes an object barcode (e.g. `EAN13: "BR{text}"`); a symbology not listed is taken as read. */
  imageCodeTemplates: imageCodeTemplatesSchema,
  /** With no object open, a capture whose image shows exactly one project-valid barcode opens that object (scan-before-capture). */
  linkFromImage: z.boolean().default(true),
  /** Barcode scanners read directly over USB (src/barcode/usb/config.ts); off by default. */
  usb: usbScannersSchema.prefault({}),
  /**
   * The library must be a mount point of its own or hold a `.capture-station-library` file, like a
   * folder target's mountCheck: otherwise captures are not filed (they wait in the hot folder, with
   * an alarm), so a library on an unmounted share does not fill the local disk. Off by default.
   */
  libraryMountCheck: z.boolean().default(false),
  /**
   * An object that closes while some of its files are still being checked is judged for
   * completeness when they are, or this long after it closed (counting them as missing), so a file
   * that never settles cannot hold its alarm back while the object is still at the stand.
   */
  completenessWaitSec: z.number().int().min(1).max(3600).default(30),
  /**
   * An object-like scan the project's rules refuse (a misread label) closes the open object
   * ("close"), so the next object's shots are not filed under the previous barcode, or leaves it
   * open ("keep"). Control codes are never refused.
   */
  onRefusedScan: z.enum(['close', 'keep'], { error: 'must be "close" (a refused scan closes the open object) or "keep" (it stays open)' }).default('close'),
});

export const stationConfigSchema = z.strictObject({
  station: z
    .strictObject({
      /** Names this station in records and (later) remote keys; defaults to the host name. */
      id: z.string().regex(idPattern, 'letters, digits, "-" or "_", starting with a letter or digit (at most 64)').optional(),
    })
    .default({}),
  paths: z
    .strictObject({
      library: z.string().min(1).optional(),
      database: z.string().min(1).optional(),
      logs: z.string().min(1).optional(),
    })
    .default({}),
  /** Omitted: one camera source on the station's Inbox folder. */
  sources: z.array(sourceSchema).min(1, 'at least one hot folder').optional(),
  ingest: z
    .strictObject({
      /** A file is complete when its size and mtime stay unchanged for this long. */
      stableWindowMs: z.number().int().min(50).max(600_000).default(1000),
      /** A decode that fails as truncated is retried this many times (the writer may only have paused). */
      truncatedRetries: z.number().int().min(0).max(20).default(3),
      truncatedRetryDelayMs: z.number().int().min(50).max(600_000).default(3000),
      /** Full rescan of every source, the safety net for missed file-system events. 0 turns it off. */
      rescanIntervalSec: z.number().min(0).max(86_400).default(60),
      /** Files checked at once. */
      concurrency: z.number().int().min(1).max(32).default(2),
      /** A file still 0 bytes this long after it appeared gets one warning (a camera or tether that failed). */
      emptyWarnSec: z.number().min(1).max(86_400).default(30),
    })
    .default({ stableWindowMs: 1000, truncatedRetries: 3, truncatedRetryDelayMs: 3000, rescanIntervalSec: 60, concurrency: 2, emptyWarnSec: 30 }),
  qc: z
    .strictObject({
      /** Largest image (width × height) the station will decode; guards memory. 0 = libvips' own limit off. */
      maxInputPixels: z.number().int().min(0).default(1_000_000_000),
      /** A decode that takes longer than this is stopped and the file failed. */
      decodeTimeoutSec: z.number().int().min(1).max(3600).default(120),
      /** Long edge in pixels of the shrink-on-load copy on which exposure, sharpness and hashes are measured. */
      workingSize: z.number().int().min(64).max(8192).default(1024),
    })
    .default({ maxInputPixels: 1_000_000_000, decodeTimeoutSec: 120, workingSize: 1024 }),
  /** The headless web mode (`capture-station serve`): HTTP API, WebSocket events and the built UI. */
  server: serverSchema.prefault({}),
  /** Named profiles of this station; each `extends` a preset (default "default") and overrides fields. */
  profiles: z.record(z.string().regex(idPattern), z.looseObject({ extends: z.string().optional() })).default({}),
  /** Where verified copies go; none by default (zero setup). */
  targets: z.array(targetSchema).default([]),
  upload: uploadSettingsSchema.prefault({}),
  linking: linkingSchema.prefault({}),
  retention: retentionSchema.prefault({}),
  /** The station's screens (desktop window and web UI). */
  ui: z
    .strictObject({
      /** A short tone when a new capture fails QC (each screen can still mute it). */
      soundOnFail: z.boolean().default(true),
    })
    .prefault({}),
  /** Display previews of captures, made on demand and kept in the data folder (previews/). */
  preview: z
    .strictObject({
      /** Long edge in pixels of the display JPEG. */
      longEdge: z.number().int().min(256).max(4096).default(1600),
      /** Most disk space the kept previews may use; the least recently shown go first. */
      cacheMB: z.number().int().min(8).max(1_000_000).default(512),
    })
    .prefault({}),
  /** The station's log file (<paths.logs>/station.log, JSON lines), rotated by size. */
  logs: z
    .strictObject({
      /** station.log is moved to station.log.1 (and .1 to .2 …) once it reaches this size. */
      maxMB: z.number().min(1).max(10_240).default(10),
      /** Rotated files kept besides station.log; the oldest beyond this is removed. */
      keep: z.number().int().min(0).max(100).default(5),
    })
    .prefault({}),
});

export type LinkingConfig = z.output<typeof linkingSchema>;
export type RetentionConfig = z.output<typeof retentionSchema>;
export type StationConfigInput = z.input<typeof stationConfigSchema>;
export type StationConfigFile = z.output<typeof stationConfigSchema>;
export type SourceConfig = z.output<typeof sourceSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type UploadSettings = z.output<typeof uploadSettingsSchema>;
