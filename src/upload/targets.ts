/** Target instances from the config. One case per `kind`. */
import type { TargetConfig } from '../config/schema.js';
import { FolderTarget, type FolderTargetFaults } from './folder-target.js';
import { S3Target, type S3TargetFaults } from './s3-target.js';
import type { UploadTarget } from './target.js';
import { TusTarget, type TusTargetFaults } from './tus-target.js';

export interface TargetFactoryOptions {
  /** config.stationId: the first segment of every remote key. */
  stationId: string;
  /** config.locations.library: filed captures are named at targets as in the library. */
  library?: string;
  /** Fault seams for tests, by target id. */
  folderFaults?: Record<string, FolderTargetFaults>;
  s3Faults?: Record<string, S3TargetFaults>;
  tusFaults?: Record<string, TusTargetFaults>;
}

export function createTargets(configs: readonly TargetConfig[], opts: TargetFactoryOptions): UploadTarget[] {
  return configs.map((c) => {
    switch (c.kind) {
      case 'folder': {
        const faults = opts.folderFaults?.[c.id];
        return new FolderTarget({ id: c.id, path: c.path, layout: c.layout, stationId: opts.stationId, ...(opts.library ? { library: opts.library } : {}), mountCheck: c.mountCheck, ...(faults ? { faults } : {}) });
      }
      case 's3': {
        const faults = opts.s3Faults?.[c.id];
        return new S3Target({
          id: c.id,
          region: c.region,
          bucket: c.bucket,
          prefix: c.prefix,
          forcePathStyle: c.forcePathStyle,
          multipartThresholdBytes: c.multipartThresholdBytes,
          partSizeBytes: c.partSizeBytes,
          stationId: opts.stationId,
          ...(c.endpoint ? { endpoint: c.endpoint } : {}),
          ...(c.profile ? { profile: c.profile } : {}),
          ...(c.accessKeyId && c.secretAccessKey ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } : {}),
          ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}),
          ...(opts.library ? { library: opts.library } : {}),
          ...(faults ? { faults } : {}),
        });
      }
      case 'tus': {
        const faults = opts.tusFaults?.[c.id];
        return new TusTarget({ id: c.id, endpoint: c.endpoint, headers: c.headers, chunkSizeBytes: c.chunkSizeBytes, stationId: opts.stationId, ...(opts.library ? { library: opts.library } : {}), ...(faults ? { faults } : {}) });
      }
    }
    return assertNever(c);
  });
}

function assertNever(config: never): never {
  throw new Error(`unknown target kind ${String((config as { kind?: unknown }).kind)}`);
}
