/**
 * Which products the federated index makes one, on the SQLite store: an `owl:sameAs` merges two products only
 * when the identity is verified (each side's origin names the other, or this node's operator confirmed it);
 * the same `@id` is one product whatever relays it. A one-sided claim, in any direction (one of our
 * enterprises to a peer, a peer to us, a peer to another peer), leaves both offers listed, whatever the price
 * and whatever order the sources were indexed in.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressRecord, CatalogItemRecord, DfcRecord, EnterpriseRecord, OfferRecord, RecordKind, SuppliedProductRecord } from '../../../ontology/records.js';
import { measureIri } from '../../../ontology/units.js';
import { OWL } from '../../../ontology/vocabulary.js';
import type { MergePlan, PlannedResource } from '../../../server/store/federation.js';
import { SqliteDatabase } from '../../../server/store/sqlite/database.js';
import { migrate, MIGRATIONS } from '../../../server/store/sqlite/migrations.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { resourceIds as ids } from '../../helpers/sample-records.js';
import { readRows } from '../../helpers/sqlite.js';

const BASE = 'http://node.test';
const PEER_A = 'https://peer-a.example';
const PEER_B = 'https://peer-b.example';
const RELAY = 'https://relay.example';
const EURO = measureIri('Euro');
const ALL_KINDS: readonly RecordKind[] = ['Enterprise', 'Address', 'SuppliedProduct', 'CatalogItem', 'Offer'];


/** An enterprise with its address. */
function enterprise(origin: string, eid: string): [EnterpriseRecord, AddressRecord] {
  const id = ids(origin, eid);
  return [
    { kind: 'Enterprise', id: id.enterprise, name: eid, address: id.address, supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [] },
    { kind: 'Address', id: id.address, city: 'Limoges', latitude: 45.83, longitude: 1.26, postcode: '87000' },
  ];
}

/** A product, its catalog item and its offer, the product declaring `owl:sameAs` the IRIs given. */
function offer(origin: string, eid: string, slug: string, price: number, sameAs: readonly string[] = []): [SuppliedProductRecord, CatalogItemRecord, OfferRecord] {
  const id = ids(origin, eid, slug);
  return [
    {
      kind: 'SuppliedProduct', id: id.product, name: `${slug} (${eid})`, images: [], variantOf: [], variants: [], catalogItems: [id.item],
      suppliedBy: id.enterprise, ...(sameAs.length > 0 ? { extra: { [OWL.sameAs]: sameAs.map((target) => ({ '@id': target })) } } : {}),
    },
    { kind: 'CatalogItem', id: id.item, product: id.product, stock: 5, offers: [id.offer], managedBy: id.enterprise, listedIn: [] },
    { kind: 'Offer', id: id.offer, item: id.item, price: { value: price, currency: EURO }, stock: 5 },
  ];
}

/** A merge plan writing `records`, as the sync would make it. */
function planOf(records: readonly DfcRecord[], authoritative = true): MergePlan {
  const upsert: PlannedResource[] = records.map((record) => {
    const json = JSON.stringify(record);
    return { iri: record.id, kind: record.kind, record, json, hash: createHash('sha1').update(json).digest('base64url'), authoritative, sourceUrl: 'x' };
  });
  return { upsert, added: upsert.length, updated: 0, unchanged: 0, missing: [], withdrawn: [], restored: [], refused: [] };
}

describe('store: which products the federated index makes one (owl:sameAs)', () => {
  let dir: string;
  let store: SqliteStore;
  let day = 0;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-identities-'));
    store = await SqliteStore.open({ path: join(dir, 'node.db'), baseUrl: BASE });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Our enterprise `eid` with these records, indexed. */
  async function local(eid: string, records: readonly DfcRecord[]): Promise<void> {
    if ((await store.getEnterprise(eid)) === undefined) await store.createEnterprise(eid, ids(BASE, eid).enterprise, enterprise(BASE, eid));
    await store.apply(eid, { upsert: records });
    await refreshLocal();
  }

  async function refreshLocal(): Promise<void> {
    const versions = new Map((await store.listEnterprises()).map((e) => [e.eid, e.version]));
    await store.index.refreshLocal(versions, async (eid) => (await store.listResources(eid, ALL_KINDS)).map((r) => r.record));
  }

  /** A peer under `origin` (added once), and a snapshot of these records of it. */
  async function peer(origin: string, records: readonly DfcRecord[], authoritative = true): Promise<number> {
    const known = (await store.provenance.listPeers()).find((p) => p.origin === origin);
    const row = known ?? await store.provenance.addPeer({ name: origin, url: `${origin}/catalog` }, origin);
    day += 1;
    await store.provenance.applySnapshot(row.id, {
      plan: planOf(records, authoritative), sources: new Map(), quarantine: [], replaceQuarantine: false,
      now: `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`,
    });
    return row.id;
  }

  /** The federated catalogue as a query lists it: source, enterprise and price of each offer, by enterprise. */
  async function listed(): Promise<[string, string | null, number | null][]> {
    return (await store.index.queryEntries({})).map((r) => [r.source, r.enterpriseIri, r.price] as [string, string | null, number | null])
      .sort((x, y) => (`${x[1] ?? ''} ${x[0]}` < `${y[1] ?? ''} ${y[0]}` ? -1 : 1));
  }

  const theirs = ids(PEER_A, 'verger', 'pommes');
  const ours = ids(BASE, 'copie', 'pommes');

  describe('a one-sided claim lists both offers, each under its own enterprise', () => {
    for (const order of ['peer first', 'ours first'] as const) {
      it(`local → peer: our enterprise's product "sameAs" a peer's, at 0.01 €, hides nothing (${order})`, async () => {
        const sync = async (): Promise<number> => peer(PEER_A, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 2.8)]);
        let a = order === 'peer first' ? await sync() : 0;
        await local('copie', offer(BASE, 'copie', 'pommes', 0.01, [theirs.product]));
        if (order === 'ours first') a = await sync();
        expect(await listed()).to.deep.equal([
          ['local:copie', ours.enterprise, 0.01],
          [`peer:${a}`, theirs.enterprise, 2.8],
        ]);
        // Two products: the claim gave the copy no share of the peer's key.
        const rows = await store.index.queryEntries({});
        expect(new Set(rows.map((r) => r.productKey)).size).to.equal(2);
      });

      it(`peer → local: a peer's product "sameAs" ours hides neither (${order})`, async () => {
        const sync = async (): Promise<number> => peer(PEER_A, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 0.01, [ours.product])]);
        let a = order === 'peer first' ? await sync() : 0;
        await local('copie', offer(BASE, 'copie', 'pommes', 2.8));
        if (order === 'ours first') a = await sync();
        expect(await listed()).to.deep.equal([
          ['local:copie', ours.enterprise, 2.8],
          [`peer:${a}`, theirs.enterprise, 0.01],
        ]);
      });

      it(`peer → peer: a peer's product "sameAs" another peer's hides neither (${order})`, async () => {
        const origin = async (): Promise<number> => peer(PEER_A, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 2.8)]);
        const copycat = async (): Promise<number> => peer(PEER_B, [...enterprise(PEER_B, 'copycat'), ...offer(PEER_B, 'copycat', 'pommes', 0.01, [theirs.product])]);
        // "ours first" here: the copycat is synced before the origin.
        const first = order === 'peer first' ? await origin() : await copycat();
        const second = order === 'peer first' ? await copycat() : await origin();
        const [a, b] = order === 'peer first' ? [first, second] : [second, first];
        expect(await listed()).to.deep.equal([
          [`peer:${a}`, theirs.enterprise, 2.8],
          [`peer:${b}`, ids(PEER_B, 'copycat').enterprise, 0.01],
        ]);
      });
    }

    it('peer → peer: two peers naming one original neither of them is are two offers, until the operator confirms', async () => {
      const original = 'https://elsewhere.example/products/pommes';
      const a = await peer(PEER_A, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 2.8, [original])]);
      const b = await peer(PEER_B, [...enterprise(PEER_B, 'copycat'), ...offer(PEER_B, 'copycat', 'pommes', 0.01, [original])]);
      expect((await listed()).map(([source]) => source)).to.deep.equal([`peer:${a}`, `peer:${b}`]);
      await store.index.confirmSameAs([{ subject: theirs.product, target: original }, { subject: ids(PEER_B, 'copycat', 'pommes').product, target: original }]);
      expect(await listed()).to.have.length(1);
    });

    it('a relay cannot vouch for an origin: its copy of a peer\'s product naming ours back merges nothing', async () => {
      await local('copie', offer(BASE, 'copie', 'pommes', 0.01, [theirs.product]));
      const a = await peer(PEER_A, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 2.8)]);
      // The relay serves the peer's @ids, its product declaring owl:sameAs ours: not the origin's word.
      await peer(RELAY, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 9, [ours.product])], false);
      expect(await listed()).to.deep.equal([
        ['local:copie', ours.enterprise, 0.01],
        [`peer:${a}`, theirs.enterprise, 2.8],
      ]);
    });

    it('two of our own enterprises: one naming the other\'s product does not hide it', async () => {
      const first = ids(BASE, 'ferme', 'pommes');
      await local('ferme', offer(BASE, 'ferme', 'pommes', 2.8));
      await local('copie', offer(BASE, 'copie', 'pommes', 0.01, [first.product]));
      expect(await listed()).to.deep.equal([
        ['local:copie', ours.enterprise, 0.01],
        ['local:ferme', first.enterprise, 2.8],
      ]);
    });
  });

  describe('a verified identity makes one product', () => {
    it('mutual: each side names the other (a peer and ours), in either order; our offer wins', async () => {
      const a = await peer(PEER_A, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 2.8, [ours.product])]);
      await local('copie', offer(BASE, 'copie', 'pommes', 3, [theirs.product]));
      expect(await listed()).to.deep.equal([['local:copie', ours.enterprise, 3]]);
      expect((await store.index.rowsOfKeys([(await store.index.queryEntries({}))[0]?.productKey ?? ''])).map((r) => r.source))
        .to.deep.equal(['local:copie', `peer:${a}`]);
    });

    it('mutual between two peers; undone when one side takes its link back, or when that peer is removed', async () => {
      const b = ids(PEER_B, 'halle', 'pommes');
      const a = await peer(PEER_A, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 2.8, [b.product])]);
      const bId = await peer(PEER_B, [...enterprise(PEER_B, 'halle'), ...offer(PEER_B, 'halle', 'pommes', 3, [theirs.product])]);
      expect(await listed()).to.have.length(1);
      // B takes its link back (a small change: only the product): two offers again.
      await peer(PEER_B, [offer(PEER_B, 'halle', 'pommes', 3)[0]]);
      expect((await listed()).map(([source]) => source)).to.deep.equal([`peer:${a}`, `peer:${bId}`]);
      // Named both ways again, then B is removed: A's offer stands alone.
      await peer(PEER_B, [offer(PEER_B, 'halle', 'pommes', 3, [theirs.product])[0]]);
      expect(await listed()).to.have.length(1);
      await store.provenance.removePeer(bId);
      expect(await listed()).to.deep.equal([[`peer:${a}`, theirs.enterprise, 2.8]]);
      expect((await store.index.queryEntries({}))[0]?.productKey).to.equal(theirs.product);
    });

    it('a peer vouches for its own resources: its copy naming its original (both under its origin) is one product, until taken back', async () => {
      // What an export/import round trip on the peer leaves: the copy names the original, the original names nothing.
      const copy = ids(PEER_A, 'verger-bis', 'pommes');
      const a = await peer(PEER_A, [
        ...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 2.8),
        ...enterprise(PEER_A, 'verger-bis'), ...offer(PEER_A, 'verger-bis', 'pommes', 0.01, [theirs.product]),
      ]);
      // One product, the original's offer: the copy's IRI is the key (the smaller), yet the claim cannot hide
      // the product it names, only the claimant's own offer.
      expect(await listed()).to.deep.equal([[`peer:${a}`, theirs.enterprise, 2.8]]);
      expect((await store.index.queryEntries({}))[0]?.productKey).to.equal(copy.product);
      expect((await store.index.rowsOfKeys([(await store.index.queryEntries({}))[0]?.productKey ?? ''])).map((r) => r.productIri).sort())
        .to.deep.equal([theirs.product, copy.product].sort());
      // Taken back (a small change: only the copy's product): two offers again.
      await peer(PEER_A, [offer(PEER_A, 'verger-bis', 'pommes', 2.8)[0]]);
      expect((await listed()).map(([source]) => source)).to.deep.equal([`peer:${a}`, `peer:${a}`]);
      // Named again, the copy synced alone: one product again.
      await peer(PEER_A, [offer(PEER_A, 'verger-bis', 'pommes', 2.8, [theirs.product])[0]]);
      expect(await listed()).to.have.length(1);
    });

    it('a peer vouches only for its own origin: two peers of one node (one origin) merge, another origin does not', async () => {
      // The same node synced through two peer rows (two enterprise URLs of one origin).
      const copy = ids(PEER_A, 'verger-bis', 'pommes');
      const first = await peer(PEER_A, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 2.8)]);
      const row = await store.provenance.addPeer({ name: 'verger-bis', url: `${PEER_A}/bis` }, PEER_A);
      await store.provenance.applySnapshot(row.id, {
        plan: planOf([...enterprise(PEER_A, 'verger-bis'), ...offer(PEER_A, 'verger-bis', 'pommes', 2.8, [theirs.product])]),
        sources: new Map(), quarantine: [], replaceQuarantine: false, now: '2026-02-01T00:00:00.000Z',
      });
      expect(await listed()).to.have.length(1);
      expect(copy.product).to.not.equal(theirs.product);
      // Another origin naming the same product is a claim: listed apart.
      const b = await peer(PEER_B, [...enterprise(PEER_B, 'copycat'), ...offer(PEER_B, 'copycat', 'pommes', 0.01, [theirs.product])]);
      const sources = (await listed()).map(([source]) => source);
      expect(sources).to.have.length(2);
      expect(sources).to.include(`peer:${b}`);
      expect(first).to.not.equal(row.id);
    });

    it('undone when our side takes its link back', async () => {
      const a = await peer(PEER_A, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 2.8, [ours.product])]);
      await local('copie', offer(BASE, 'copie', 'pommes', 3, [theirs.product]));
      expect(await listed()).to.have.length(1);
      await local('copie', [offer(BASE, 'copie', 'pommes', 3)[0]]);
      expect((await listed()).map(([source]) => source)).to.deep.equal(['local:copie', `peer:${a}`]);
    });

    it('confirmed by this node\'s operator (before or after the products are indexed): ours wins', async () => {
      await store.index.confirmSameAs([{ subject: ours.product, target: theirs.product }]);
      await local('copie', offer(BASE, 'copie', 'pommes', 3, [theirs.product]));
      const a = await peer(PEER_A, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 2.8)]);
      expect(await listed()).to.deep.equal([['local:copie', ours.enterprise, 3]]);
      // Confirmed after: a peer's product and another's.
      const b = ids(PEER_B, 'halle', 'pommes');
      const bId = await peer(PEER_B, [...enterprise(PEER_B, 'halle'), ...offer(PEER_B, 'halle', 'pommes', 1)]);
      expect((await listed()).map(([source]) => source)).to.deep.equal(['local:copie', `peer:${bId}`]);
      await store.index.confirmSameAs([{ subject: b.product, target: theirs.product }]);
      expect(await listed()).to.deep.equal([['local:copie', ours.enterprise, 3]]);
      expect(a).to.not.equal(bId);
    });

    it('the same @id is one product: the origin over a relay, ours over both (a relay naming nothing)', async () => {
      const a = await peer(PEER_A, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 2.8)]);
      await peer(RELAY, [...enterprise(PEER_A, 'verger'), ...offer(PEER_A, 'verger', 'pommes', 9)], false);
      expect(await listed()).to.deep.equal([[`peer:${a}`, theirs.enterprise, 2.8]]);
    });
  });

  it('migration 12 (folded search): a database from before finds its peers\' rows and ours again, rebuilt on first use', async () => {
    const [product, item, sold] = offer(BASE, 'ferme', 'oeufs', 3);
    await local('ferme', [{ ...product, name: 'Œufs frais' }, item, sold]);
    const [theirProduct, theirItem, theirOffer] = offer(PEER_A, 'verger', 'crottin', 2);
    await peer(PEER_A, [...enterprise(PEER_A, 'verger'), { ...theirProduct, name: 'Crottin de Chèvre' }, theirItem, theirOffer]);
    await store.close();
    // What the migration leaves: no search text, our sources stale.
    const file = join(dir, 'node.db');
    const raw = await SqliteDatabase.open(file);
    await raw.transaction(async (tx) => {
      await tx.exec('UPDATE federated_entries SET search = NULL; DELETE FROM federated_sources;');
    });
    await raw.close();
    store = await SqliteStore.open({ path: file, baseUrl: BASE });
    expect(await store.index.queryEntries({ text: 'oeufs' })).to.deep.equal([]);
    await refreshLocal();
    expect((await store.index.queryEntries({ text: 'oeufs' })).map((r) => r.name)).to.deep.equal(['Œufs frais']);
    expect((await store.index.queryEntries({ text: 'chevre' })).map((r) => r.name)).to.deep.equal(['Crottin de Chèvre']);
    expect((await store.index.queryEntries({ text: 'verger chev' })).map((r) => r.name)).to.deep.equal(['Crottin de Chèvre']);
    expect(await store.index.queryEntries({})).to.have.length(2);
  });

  it('migration 12 applies over a database of version 11 with rows', async () => {
    const file = join(dir, 'v11.db');
    const db = await SqliteDatabase.open(file);
    try {
      await db.transaction((tx) => tx.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)'));
      for (const m of MIGRATIONS.filter((x) => x.version < 12)) {
        await db.transaction(async (tx) => {
          await tx.exec(m.sql);
          await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, 'then']);
        });
      }
      await db.transaction((tx) => tx.run(`INSERT INTO federated_entries (source, item_iri, product_iri, product_key, rank, winner, in_stock, name, search)
        VALUES ('local:x', 'i', 'p', 'p', 0, 1, 1, 'Chèvre', 'chèvre')`));
      expect(await migrate(db)).to.include(12);
    } finally {
      await db.close();
    }
    expect(await readRows(file, 'SELECT name, search FROM federated_entries')).to.deep.equal([{ name: 'Chèvre', search: null }]);
    expect(await readRows(file, "SELECT count(*) AS n FROM federated_search WHERE federated_search MATCH 'chevre'")).to.deep.equal([{ n: 0 }]);
  });

  it('migration 9 undoes the merges made under the old rule: every product its own key, our rows rebuilt', async () => {
    const file = join(dir, 'old.db');
    const db = await SqliteDatabase.open(file);
    try {
      // A database as the old rule left it: our copy took the peer's key (and won), the peer's row lost.
      await db.transaction(async (tx) => {
        await tx.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
        for (const m of MIGRATIONS.filter((x) => x.version < 9)) {
          await tx.exec(m.sql);
          await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, 'then']);
        }
        const row = `INSERT INTO federated_entries (source, item_iri, product_iri, product_key, rank, winner, in_stock) VALUES (?, ?, ?, ?, ?, ?, 1)`;
        await tx.run(row, ['local:copie', ours.item, ours.product, theirs.product, 0, 1]);
        await tx.run(row, ['peer:1', theirs.item, theirs.product, theirs.product, 1, 0]);
        await tx.run("INSERT INTO federated_sources (source, version) VALUES ('local:copie', 3)");
      });
      // 9, and whatever came after it.
      expect(await migrate(db)).to.deep.equal(MIGRATIONS.filter((x) => x.version >= 9).map((x) => x.version));
    } finally {
      await db.close();
    }
    expect(await readRows(file, 'SELECT source, product_key, winner FROM federated_entries ORDER BY source')).to.deep.equal([
      { source: 'local:copie', product_key: ours.product, winner: 1 },
      { source: 'peer:1', product_key: theirs.product, winner: 1 },
    ]);
    expect(await readRows(file, 'SELECT * FROM federated_sources')).to.deep.equal([]);
  });
});
