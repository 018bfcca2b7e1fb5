/**
 * LibraryNaming on a real database: the files of one shot share the {date}/{time} stem even when
 * the JPEG was named before its (earlier) RAW was linked — the RAW was still being checked.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { linkingSchema } from '../../src/config/schema.js';
import { LibraryNaming } from '../../src/linking/naming.js';
import { LinkStore } from '../../src/linking/store.js';
import { SessionStore } from '../../src/store/sessions.js';
import { makeFixture, type Fixture } from '../upload/fixture.js';

let fixture: Fixture | null = null;
afterEach(() => {
  fixture?.close();
  fixture = null;
});

describe('a shot named by {time}', () => {
  it('a RAW linked after its JPEG was named (it was still being checked) takes the JPEG\'s stem; named afresh, both take the RAW\'s time', async () => {
    fixture = makeFixture();
    const { db } = fixture.store;
    const library = path.join(fixture.dir, 'Library');
    const links = new LinkStore(db);
    const naming = new LibraryNaming(linkingSchema.parse({ enabled: true, template: '{date}_{time}/{barcode}_{seq:03}{ext}' }), library, 'rig', links, new SessionStore(db));
    const at = (id: number, iso: string) => {
      db.prepare('UPDATE captures SET detected_at = ? WHERE id = ?').run(iso, id);
      return fixture!.store.captures.get(id)!;
    };
    const local = (iso: string) => {
      const d = new Date(iso);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}`;
    };
    const rawAt = '2026-11-26T12:57:15.000Z';
    const jpgAt = '2026-11-26T12:57:18.000Z';
    const raw = at(fixture.addCapture('p1.nef', Buffer.from('raw')).id, rawAt);
    const jpg = at(fixture.addCapture('p1.jpg', Buffer.from('jpg')).id, jpgAt);
    const object = links.openObject('PAIR1', 'cam');

    links.link(jpg.id, object.id, 1, null);
    const jpgPath = await naming.destination(jpg, links.linkOf(jpg.id)!);
    expect(path.relative(library, jpgPath)).toBe(`${local(jpgAt)}/PAIR1_001.jpg`);
    links.planMove(jpg.id, jpg.path, jpgPath);
    links.settleMove(jpg.id, { done: true });

    links.link(raw.id, object.id, 1, null);
    expect(path.relative(library, await naming.destination(raw, links.linkOf(raw.id)!))).toBe(`${local(jpgAt)}/PAIR1_001.nef`);
    // Named afresh (an edit renames the shot, the JPEG's name now stale): the shot's first file's time.
    links.setBarcode(object.id, 'PAIR2');
    expect(path.relative(library, await naming.destination(jpg, links.linkOf(jpg.id)!, jpgPath))).toBe(`${local(rawAt)}/PAIR2_001.jpg`);
  });
});
