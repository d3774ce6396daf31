/**
 * The SQLite store: the {@link NodeStore} contract on a real file in a temp folder, then what only SQLite
 * has (migrations, WAL, foreign keys, the stored base URL, the stored JSON).
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../../ontology/iri.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { SqliteDatabase } from '../../../server/store/sqlite/database.js';
import { migrate, MIGRATIONS } from '../../../server/store/sqlite/migrations.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { ListedRecordError } from '../../../server/store/store.js';
import { recordHash } from '../../../server/sync/merge.js';
import { listingRowOf } from '../../helpers/listing.js';
import { readRows } from '../../helpers/sqlite.js';
import { describeNodeStore } from './node-store.contract.js';

let dir: string | undefined;

describeNodeStore('SQLite', {
  open: async (baseUrl) => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-store-'));
    return SqliteStore.open({ path: join(dir, 'node.db'), baseUrl });
  },
  cleanup: async () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  },
});

describe('SqliteStore (SQLite only)', () => {
  let folder: string;
  let file: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'maillon-sqlite-'));
    file = join(folder, 'node.db');
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  const farm = (base: string): DfcRecord[] => [{
    kind: 'Enterprise', id: `${base}/api/dfc/enterprises/ferme` as NodeId, name: 'Ferme', supplies: [], manages: [], maintains: [],
    customerCategories: [], affiliates: [],
  }];

  it('applies every migration once, in order, and none on the next open', async () => {
    const versions = MIGRATIONS.map((m) => m.version);
    expect(versions).to.deep.equal(versions.map((_, i) => i + 1));
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    await store.close();
    const applied = await readRows<{ version: number }>(file, 'SELECT version FROM schema_migrations ORDER BY version');
    expect(applied.map((r) => r.version)).to.deep.equal(versions);
    const db = await SqliteDatabase.open(file);
    try {
      expect(await migrate(db)).to.deep.equal([]);
    } finally {
      await db.close();
    }
  });

  it('writes ahead (WAL), and a reader of the file sees only committed data', async () => {
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    try {
      expect(await readRows(file, 'PRAGMA journal_mode')).to.deep.equal([{ journal_mode: 'wal' }]);
      await store.createEnterprise('ferme', farm('http://node.test')[0]?.id as string, farm('http://node.test'));
      expect(existsSync(`${file}-wal`)).to.equal(true);
      expect(await readRows(file, 'SELECT eid FROM enterprises')).to.deep.equal([{ eid: 'ferme' }]);
    } finally {
      await store.close();
    }
  });

  it('enforces foreign keys: a peer removed takes its resources, sources, quarantine and feed state with it', async () => {
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    try {
      const peer = await store.provenance.addPeer({ name: 'a', url: 'https://a.example/catalog' }, 'https://a.example');
      const record = farm('https://a.example')[0] as DfcRecord;
      const json = JSON.stringify(record);
      await store.provenance.applySnapshot(peer.id, {
        plan: {
          upsert: [{ iri: record.id, kind: record.kind, record, json, hash: recordHash(record), authoritative: true, sourceUrl: 'https://a.example/catalog' }],
          added: 1, updated: 0, unchanged: 0, missing: [], withdrawn: [], restored: [], refused: [],
        },
        sources: new Map([['https://a.example/catalog', { etag: '"v1"', lastModified: null }]]),
        quarantine: [{ iri: 'https://a.example/bad', type: null, problems: [] }],
        replaceQuarantine: true,
        now: '2026-01-01T00:00:00.000Z',
      });
      await store.feed.setPeerFeed(peer.id, { cursor: 1 });
      // The record is stored as the plan's text, the one its hash was computed from.
      expect(await readRows(file, 'SELECT record FROM peer_resources')).to.deep.equal([{ record: json }]);
      await store.provenance.removePeer(peer.id);
      for (const table of ['peer_resources', 'peer_sources', 'quarantine', 'peer_feeds']) {
        expect(await readRows(file, `SELECT COUNT(*) AS n FROM ${table}`), table).to.deep.equal([{ n: 0 }]);
      }
      // And a resource cannot belong to an enterprise that does not exist.
      const error = await store.apply('nobody', { upsert: [farm('http://node.test')[0] as DfcRecord] }).then(() => undefined, (e: unknown) => e);
      expect(String(error)).to.match(/FOREIGN KEY/u);
    } finally {
      await store.close();
    }
  });

  it('never gives a peer id twice: a peer added after the highest was removed is numbered past it, after a restart too', async () => {
    let store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    try {
      const first = await store.provenance.addPeer({ name: 'a', url: 'https://a.example/catalog' }, 'https://a.example');
      const second = await store.provenance.addPeer({ name: 'b', url: 'https://b.example/catalog' }, 'https://b.example');
      await store.provenance.removePeer(second.id);
      const third = await store.provenance.addPeer({ name: 'c', url: 'https://c.example/catalog' }, 'https://c.example');
      expect(third.id).to.equal(second.id + 1);
      await store.provenance.removePeer(third.id);
      await store.close();
      store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
      const fourth = await store.provenance.addPeer({ name: 'd', url: 'https://d.example/catalog' }, 'https://d.example');
      expect(fourth.id).to.equal(third.id + 1);
      expect((await store.provenance.listPeers()).map((p) => p.id)).to.deep.equal([first.id, fourth.id]);
    } finally {
      await store.close();
    }
  });

  it('keeps the base URL it was made with, and moves every stored @id when asked to rebase', async () => {
    const first = await SqliteStore.open({ path: file, baseUrl: 'http://old.test/' });
    expect(first.baseUrl).to.equal('http://old.test');
    expect(first.baseUrlGiven).to.equal(false);
    await first.createEnterprise('ferme', 'http://old.test/api/dfc/enterprises/ferme', farm('http://old.test'));
    await first.close();
    const kept = await SqliteStore.open({ path: file, baseUrl: 'http://new.test' });
    expect(kept.baseUrl).to.equal('http://old.test');
    await kept.close();
    const moved = await SqliteStore.open({ path: file, baseUrl: 'http://new.test', rebase: true });
    try {
      expect(moved.baseUrl).to.equal('http://new.test');
      expect((await moved.getEnterprise('ferme'))?.iri).to.equal('http://new.test/api/dfc/enterprises/ferme');
      expect((await moved.getResource('http://new.test/api/dfc/enterprises/ferme'))?.record.id).to.equal('http://new.test/api/dfc/enterprises/ferme');
      expect(await moved.getResource('http://old.test/api/dfc/enterprises/ferme')).to.equal(undefined);
      // Given (rebased to), the base URL is the operator's choice, and stays so when later opens give none.
      expect(moved.baseUrlGiven).to.equal(true);
    } finally {
      await moved.close();
    }
    const reopened = await SqliteStore.open({ path: file, baseUrl: 'http://127.0.0.1:3000' });
    try {
      expect(reopened.baseUrl).to.equal('http://new.test');
      expect(reopened.baseUrlGiven).to.equal(true);
    } finally {
      await reopened.close();
    }
  });

  it('takes the base URL of a database made before the choice was recorded as decided (no notice to "move" it)', async () => {
    const first = await SqliteStore.open({ path: file, baseUrl: 'https://maillon.example.org' });
    await first.close();
    // What a database of the previous version holds: a base URL, and no record of whether it was chosen.
    const raw = await SqliteDatabase.open(file);
    await raw.transaction((tx) => tx.run("DELETE FROM meta WHERE key = 'base_url_given'"));
    await raw.close();
    const reopened = await SqliteStore.open({ path: file, baseUrl: 'http://127.0.0.1:3000' });
    try {
      expect(reopened.baseUrl).to.equal('https://maillon.example.org');
      expect(reopened.baseUrlGiven).to.equal(true);
    } finally {
      await reopened.close();
    }
  });

  it('stores node settings in meta, beside and apart from the base URL', async () => {
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    try {
      expect(await store.settings()).to.deep.equal(new Map());
      await store.setSetting('allow-private', 'true');
      await store.setSetting('allow-private', 'false');
      await store.setSetting('other', 'x');
      expect(await store.settings()).to.deep.equal(new Map([['allow-private', 'false'], ['other', 'x']]));
      expect(store.baseUrl).to.equal('http://node.test');
    } finally {
      await store.close();
    }
  });

  it('removes an enterprise with its resources (a delete version each) and tokens; the id made again continues its versions', async () => {
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    try {
      const iri = 'http://node.test/api/dfc/enterprises/ferme';
      await store.createEnterprise('ferme', iri, farm('http://node.test'));
      await store.createToken({ id: 't1', hash: 'h1', eid: 'ferme', scopes: ['ReadProducts'] });
      await store.apply('ferme', { enterprise: { name: 'Ferme 2' } });
      const last = await store.getEnterprise('ferme');
      expect(await store.removeEnterprise('ferme')).to.deep.equal({ resources: 1, tokens: 1, listings: 0 });
      expect(await store.getEnterprise('ferme')).to.equal(undefined);
      expect(await store.findTokenByHash('h1')).to.equal(undefined);
      expect(await readRows(file, "SELECT iri, action FROM feed_events WHERE action = 'delete'")).to.deep.equal([{ iri, action: 'delete' }]);
      expect(await store.removeEnterprise('ferme')).to.equal(undefined);
      const again = await store.createEnterprise('ferme', iri, farm('http://node.test'));
      expect(again.version).to.be.greaterThan(last?.version ?? Infinity);
      expect(again.profileVersion).to.be.greaterThan(last?.profileVersion ?? Infinity);
    } finally {
      await store.close();
    }
  });

  it('removing a private enterprise drops its versions from the feed (without its row, nothing would hide them) and starts a new stream', async () => {
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    try {
      await store.createEnterprise('ferme', 'http://node.test/api/dfc/enterprises/ferme', farm('http://node.test'), { private: true });
      expect(await readRows(file, "SELECT count(*) AS n FROM feed_events WHERE eid = 'ferme'")).to.deep.equal([{ n: 1 }]);
      const stream = await store.feed.streamId();
      await store.removeEnterprise('ferme');
      expect(await readRows(file, "SELECT count(*) AS n FROM feed_events WHERE eid = 'ferme'")).to.deep.equal([{ n: 0 }]);
      // Its deletes went with its versions: a new stream makes every follower resync, so its copies are withdrawn.
      expect(await store.feed.streamId()).to.not.equal(stream);
    } finally {
      await store.close();
    }
  });

  it('refuses a change set that refuses listed records when a listing publishes one (in the shared statement of stock writes too)', async () => {
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    try {
      const api = 'http://node.test/api/dfc/enterprises/ferme';
      await store.createEnterprise('ferme', api, farm('http://node.test'));
      const id = (path: string): NodeId => `${api}/${path}` as NodeId;
      const item = (key: string, stock: number): DfcRecord => ({ kind: 'CatalogItem', id: id(`catalog_items/${key}`), stock, offers: [id(`offers/${key}`)], listedIn: [] });
      const offer = (key: string, stock: number): DfcRecord => ({ kind: 'Offer', id: id(`offers/${key}`), item: id(`catalog_items/${key}`), stock });
      const plan = (key: string): DfcRecord => ({ kind: 'Resource', id: id(`supplied_products/${key}/AsPlannedTransformation`), types: [], extra: {} });
      await store.apply('ferme', { upsert: [item('miel', 1), offer('miel', 1), item('pain', 1), offer('pain', 1), plan('miel'), plan('pain')] });
      await store.orders.addListing(listingRowOf('ferme', api, 'miel', 'https://farm.example/api/dfc/enterprises/farm'));
      // A stock write as the catalogue makes it (records replacing them as read): the shared conditional statement.
      const restock = (key: string, stock: number) => ({
        upsert: [offer(key, stock), item(key, stock)], expect: new Map([[id(`offers/${key}`), offer(key, 1)], [id(`catalog_items/${key}`), item(key, 1)]]),
        refuseListed: true,
      });
      const outcomes = await Promise.allSettled([store.apply('ferme', restock('miel', 7)), store.apply('ferme', restock('pain', 7))]);
      expect(outcomes[0]).to.deep.include({ status: 'rejected' });
      expect((outcomes[0] as PromiseRejectedResult).reason).to.be.instanceOf(ListedRecordError);
      expect(outcomes[1]).to.deep.include({ status: 'fulfilled' });
      expect((await store.getResource(id('catalog_items/miel')))?.record).to.deep.equal(item('miel', 1));
      expect((await store.getResource(id('offers/miel')))?.record).to.deep.equal(offer('miel', 1));
      expect((await store.getResource(id('catalog_items/pain')))?.record).to.deep.equal(item('pain', 7));
      // Any other change set: its offer, a record under its product, its deletion.
      for (const changes of [{ upsert: [offer('miel', 3)] }, { upsert: [plan('miel')] }, { delete: [id('offers/miel')] }]) {
        let refused: unknown;
        await store.apply('ferme', { ...changes, refuseListed: true }).catch((error: unknown) => (refused = error));
        expect(refused, JSON.stringify(changes)).to.be.instanceOf(ListedRecordError);
      }
      expect((await store.getResource(id('offers/miel')))?.record).to.deep.equal(offer('miel', 1));
      // Without it (the listing's own mirror), and for records no listing publishes, the write goes through.
      // (A stock of its own below its item's 1: one above it would publish the item's.)
      await store.apply('ferme', { upsert: [offer('miel', 0), plan('pain')], refuseListed: false });
      expect((await store.getResource(id('offers/miel')))?.record).to.deep.equal(offer('miel', 0));
      await store.apply('ferme', { delete: [id('supplied_products/pain/AsPlannedTransformation')], refuseListed: true });
      expect(await store.getResource(id('supplied_products/pain/AsPlannedTransformation'))).to.equal(undefined);
    } finally {
      await store.close();
    }
  });

  it('compares a conditional write with the text the record was read from, also when that is not JSON.stringify\'s', async () => {
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    try {
      const api = 'http://node.test/api/dfc/enterprises/ferme';
      await store.createEnterprise('ferme', api, farm('http://node.test'));
      const itemId = `${api}/catalog_items/miel` as NodeId;
      const offerId = `${api}/offers/miel` as NodeId;
      await store.apply('ferme', {
        upsert: [{ kind: 'Offer', id: offerId, item: itemId, stock: 2 }, { kind: 'CatalogItem', id: itemId, stock: 2, offers: [offerId], listedIn: [] }],
      });
      // Stored as SQL's JSON functions may write it (`2.0`, not JSON.stringify's `2`): the same record, another text.
      await (store as unknown as { db: SqliteDatabase }).db.transaction((tx) =>
        tx.run(`UPDATE resources SET record = replace(record, '"stock":2', '"stock":2.0') WHERE eid = 'ferme' AND kind IN ('CatalogItem', 'Offer')`));
      // A stock write as the catalogue makes it: the item with its offer as read, replaced as read (the shared statement).
      const read = await store.getResourceWithOffers(itemId);
      const [offer] = read?.offers ?? [];
      if (read === undefined || offer === undefined) throw new Error('not stored');
      await store.apply('ferme', {
        upsert: [{ ...offer.record, stock: 5 } as DfcRecord, { ...read.resource.record, stock: 5 } as DfcRecord],
        expect: new Map([[offerId, offer.record], [itemId, read.resource.record]]), refuseListed: true,
      });
      expect((await store.getResource(itemId))?.record).to.deep.include({ stock: 5 });
      expect((await store.getResource(offerId))?.record).to.deep.include({ stock: 5 });
    } finally {
      await store.close();
    }
  });

  it('a record written over one as read with another kind is stored under its new kind, alone or beside a stock write', async () => {
    const store = await SqliteStore.open({ path: file, baseUrl: 'http://node.test' });
    try {
      const api = 'http://node.test/api/dfc/enterprises/ferme';
      await store.createEnterprise('ferme', api, farm('http://node.test'));
      const id = (path: string): NodeId => `${api}/${path}` as NodeId;
      const item = (key: string, stock: number): DfcRecord => ({ kind: 'CatalogItem', id: id(`catalog_items/${key}`), stock, offers: [], listedIn: [] });
      const plain = (key: string): DfcRecord => ({ kind: 'Resource', id: id(`catalog_items/${key}`), types: [], extra: {} });
      await store.apply('ferme', { upsert: [item('miel', 1), item('pain', 1)] });
      // The conditional statement stock writes share leaves the kind column alone: a change of kind is not written there.
      await Promise.all([
        store.apply('ferme', { upsert: [plain('miel')], expect: new Map([[id('catalog_items/miel'), item('miel', 1)]]) }),
        store.apply('ferme', { upsert: [item('pain', 4)], expect: new Map([[id('catalog_items/pain'), item('pain', 1)]]) }),
      ]);
      expect((await store.listResources('ferme', ['CatalogItem'])).map((r) => r.record)).to.deep.equal([item('pain', 4)]);
      expect((await store.listResources('ferme', ['Resource'])).map((r) => r.record.id)).to.include(id('catalog_items/miel'));
      // Decided in the writer's transaction (one record: its own statement), of the same kind and of another.
      await store.update('ferme', async () => ({ changes: { upsert: [item('pain', 5)], expect: new Map([[id('catalog_items/pain'), item('pain', 4)]]) }, value: undefined }));
      await store.update('ferme', async () => ({ changes: { upsert: [item('miel', 2)], expect: new Map([[id('catalog_items/miel'), plain('miel')]]) }, value: undefined }));
      expect((await store.listResources('ferme', ['CatalogItem'])).map((r) => r.record)).to.deep.equal([item('miel', 2), item('pain', 5)]);
    } finally {
      await store.close();
    }
  });

  it('works in memory too, for throwaway stores', async () => {
    const store = await SqliteStore.open({ path: ':memory:', baseUrl: 'http://node.test' });
    try {
      await store.createEnterprise('ferme', 'http://node.test/api/dfc/enterprises/ferme', farm('http://node.test'));
      expect((await store.listEnterprises()).map((e) => e.eid)).to.deep.equal(['ferme']);
    } finally {
      await store.close();
    }
  });
});
