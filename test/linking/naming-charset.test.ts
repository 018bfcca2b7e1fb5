/**
 * linking.charset "ascii": names made from tokens (barcode, operator, project, original name) and
 * the set-aside names hold ASCII only; "unicode", the default, keeps the letters. A bad value is
 * refused at load, naming the field.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { linkingSchema } from '../../src/config/schema.js';
import { LibraryNaming, reshootFolder } from '../../src/linking/naming.js';
import { LinkStore } from '../../src/linking/store.js';
import { SessionStore } from '../../src/store/sessions.js';
import { makeHome } from '../helpers/station-home.js';
import { makeFixture, type Fixture } from '../upload/fixture.js';

let fixture: Fixture | null = null;
afterEach(() => {
  fixture?.close();
  fixture = null;
});

/** Where the capture "Blüte Straße.tif" of object "BR-Ø1" goes, and where it is set aside, with `charset`. */
async function names(charset?: string) {
  fixture = makeFixture();
  const { db } = fixture.store;
  const library = path.join(fixture.dir, 'Library');
  const links = new LinkStore(db);
  const config = linkingSchema.parse({ enabled: true, template: '{project}/{operator}/{barcode}_{original}_{seq:03}{ext}', project: 'Flora Ægyptiaca', operator: 'Zoë Łukasiewicz', ...(charset ? { charset } : {}) });
  const naming = new LibraryNaming(config, library, 'rig', links, new SessionStore(db));
  const capture = fixture.addCapture('Blüte Straße.tif', Buffer.from('tif'));
  const object = links.openObject('BR-Ø1', 'cam');
  links.link(capture.id, object.id, 1, null);
  const link = links.linkOf(capture.id)!;
  return {
    filed: path.relative(library, await naming.destination(capture, link)),
    aside: path.relative(library, await naming.setAside(capture, reshootFolder, link.barcode)),
  };
}

describe('linking.charset', () => {
  it('"ascii" files a capture under an ASCII name: diacritics dropped, Æ Ø Ł ß spelled out', async () => {
    expect(await names('ascii')).toEqual({
      filed: 'Flora_AEgyptiaca/Zoe_Lukasiewicz/BR-O1_Blute_Strasse_001.tif',
      aside: `${reshootFolder}/BR-O1/Blute_Strasse.tif`,
    });
  });

  it('"unicode", the default, keeps the letters as they are', async () => {
    expect(await names()).toEqual({
      filed: 'Flora_Ægyptiaca/Zoë_Łukasiewicz/BR-Ø1_Blüte_Straße_001.tif',
      aside: `${reshootFolder}/BR-Ø1/Blüte_Straße.tif`,
    });
  });

  it('a value other than "unicode" or "ascii" is refused at load, naming the field and the choices', () => {
    const home = makeHome({ linking: { enabled: true, charset: 'latin1' as 'ascii' } });
    try {
      expect(() => loadConfig({ home })).toThrow(/linking\.charset.*must be "unicode" \(names keep letters such as é, ß or א\) or "ascii"/s);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
