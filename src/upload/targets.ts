/** Target instances from the config. One case per `kind`; s3 and tus are added here. */
import type { TargetConfig } from '../config/schema.js';
import { FolderTarget, type FolderTargetFaults } from './folder-target.js';
import type { UploadTarget } from './target.js';

export interface TargetFactoryOptions {
  /** config.stationId: the first segment of every remote key. */
  stationId: string;
  /** config.locations.library: filed captures are named at targets as in the library. */
  library?: string;
  /** Fault seams for tests, by target id. */
  folderFaults?: Record<string, FolderTargetFaults>;
}

export function createTargets(configs: readonly TargetConfig[], opts: TargetFactoryOptions): UploadTarget[] {
  return configs.map((c) => {
    switch (c.kind) {
      case 'folder': {
        const faults = opts.folderFaults?.[c.id];
        return new FolderTarget({ id: c.id, path: c.path, layout: c.layout, stationId: opts.stationId, ...(opts.library ? { library: opts.library } : {}), mountCheck: c.mountCheck, ...(faults ? { faults } : {}) });
      }
    }
    return assertNever(c.kind);
  });
}

function assertNever(kind: never): never {
  throw new Error(`unknown target kind ${String(kind)}`);
}
