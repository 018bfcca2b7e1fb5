/**
 * The station config as a technician or IT person writes it (station.json / station.yaml). Every
 * field has a default, so an empty file — or none — gives a working station.
 */
import { z } from 'zod';

export const sourceKinds = ['camera', 'scanner', 'other'] as const;

/** Files a camera or scanner writes that the station should look at by default. */
export const defaultInclude = [
  '**/*.{tif,tiff,TIF,TIFF,btf,BTF,tf8,TF8,jpg,jpeg,JPG,JPEG,png,PNG,jp2,JP2,webp,WEBP,heic,HEIC}',
  '**/*.{dng,DNG,cr2,CR2,cr3,CR3,nef,NEF,arw,ARW,raf,RAF,orf,ORF,rw2,RW2,iiq,IIQ,3fr,3FR,pef,PEF,x3f,X3F,crw,CRW,mrw,MRW,raw,RAW}',
];

/**
 * Temp-then-rename writers: dot files, *.tmp, *.part, ~* are never taken, only the file they are
 * renamed to. These apply to every source on top of its own ignore list.
 */
export const alwaysIgnore = ['**/.*', '**/.*/**', '**/*.tmp', '**/*.TMP', '**/*.part', '**/*.crdownload', '**/~*'];

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

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
    })
    .default({ stableWindowMs: 1000, truncatedRetries: 3, truncatedRetryDelayMs: 3000, rescanIntervalSec: 60, concurrency: 2 }),
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
  /** Named profiles of this station; each `extends` a preset (default "default") and overrides fields. */
  profiles: z.record(z.string().regex(idPattern), z.looseObject({ extends: z.string().optional() })).default({}),
});

export type StationConfigInput = z.input<typeof stationConfigSchema>;
export type StationConfigFile = z.output<typeof stationConfigSchema>;
export type SourceConfig = z.output<typeof sourceSchema>;
