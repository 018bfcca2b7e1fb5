/**
 * A station's uploader in a process of its own, SIGKILLed by itself mid-removal of a superseded
 * copy: `before` (its bytes proven, not removed) or `after` (removed, not recorded).
 * Arguments: database file, share folder, library folder, before|after, and the layout (mirror by default).
 */
import { uploadSettingsSchema, type TargetConfig } from '../../src/config/schema.js';
import { openStore } from '../../src/store/open.js';
import { FolderTarget } from '../../src/upload/folder-target.js';
import { Uploader } from '../../src/upload/uploader.js';

const [dbFile, share, library, when, layout = 'mirror'] = process.argv.slice(2) as [string, string, string, 'before' | 'after', ('mirror' | 'osprey')?];
const store = openStore(dbFile);
const die = () => void process.kill(process.pid, 'SIGKILL');
const target = new FolderTarget({ id: 'share', path: share, layout, stationId: 'st1', library, mountCheck: false, faults: when === 'before' ? { beforeRemove: die } : { afterRemove: die } });
const config: TargetConfig = { id: 'share', kind: 'folder', path: share, when: 'passed', required: true, layout, mountCheck: false };
new Uploader({ db: store.db, targetConfigs: [config], targets: [target], settings: uploadSettingsSchema.parse({ probeIntervalSec: 0.1, backoff: { baseMs: 20, maxMs: 100 } }), tickMs: 50 }).start();
// Never reached when the removal runs: the fault kills the process first.
setTimeout(() => process.exit(3), 30_000);
