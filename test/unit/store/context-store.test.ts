import { expect } from 'chai';
import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileContextStore } from '../../../server/store/context-store.js';

describe('FileContextStore', () => {
  let dir: string;
  let store: FileContextStore;
  const A = 'https://a.example/context.jsonld';
  const B = 'https://b.example/context.jsonld';

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-contexts-'));
    store = new FileContextStore(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps one file per context under DATA_DIR/contexts, named by a hash of the URL, and nothing else', () => {
    store.save({ url: A, bytes: 42, addedAt: '2026-12-02T10:00:00.000Z', context: { nom: 'http://schema.org/name' } });
    store.save({ url: B, bytes: 7, addedAt: '2026-12-02T11:00:00.000Z', context: [A] });
    const files = readdirSync(join(dir, 'contexts'));
    expect(files).to.have.length(2);
    for (const file of files) expect(file).to.match(/^[0-9a-f]{32}\.json$/u);
    expect(store.load()).to.deep.equal({
      contexts: [
        { url: A, bytes: 42, addedAt: '2026-12-02T10:00:00.000Z', context: { nom: 'http://schema.org/name' } },
        { url: B, bytes: 7, addedAt: '2026-12-02T11:00:00.000Z', context: [A] },
      ],
      unreadable: [],
    });
  });

  it('replaces a context stored again, and removes one', () => {
    store.save({ url: A, bytes: 1, addedAt: 'x', context: { a: 'http://a.example/' } });
    store.save({ url: A, bytes: 2, addedAt: 'y', context: { b: 'http://b.example/' } });
    expect(store.load().contexts).to.deep.equal([{ url: A, bytes: 2, addedAt: 'y', context: { b: 'http://b.example/' } }]);
    expect(store.remove(A)).to.equal(true);
    expect(store.remove(A)).to.equal(false);
    expect(store.load().contexts).to.deep.equal([]);
  });

  it('is empty when the folder does not exist', () => {
    expect(store.load()).to.deep.equal({ contexts: [], unreadable: [] });
    expect(store.remove(A)).to.equal(false);
  });

  it('reports a broken file and a file renamed by hand, and leaves them out instead of failing', () => {
    store.save({ url: A, bytes: 1, addedAt: 'x', context: { a: 'http://a.example/' } });
    store.save({ url: B, bytes: 1, addedAt: 'x', context: { b: 'http://b.example/' } });
    const [first] = readdirSync(store.dir).sort();
    renameSync(join(store.dir, first ?? ''), join(store.dir, '0'.repeat(32) + '.json'));
    writeFileSync(join(store.dir, 'f'.repeat(32) + '.json'), '{"url": "https://c.example/"');
    const { contexts, unreadable } = store.load();
    expect(contexts).to.have.length(1);
    expect(unreadable.map((u) => u.reason)).to.have.members([
      `its name is not that of its URL ${contexts[0]?.url === A ? B : A}`,
      unreadable.find((u) => u.reason.startsWith('not JSON'))?.reason ?? 'a "not JSON" reason',
    ]);
  });
});
