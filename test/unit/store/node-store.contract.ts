/**
 * The contract of {@link NodeStore}: what every implementation must do, written once. An implementation's
 * test file calls {@link describeNodeStore} with a factory of empty stores; the same suite then runs against
 * it unchanged.
 *
 * Only the port is used here: no SQL, no file, nothing of one engine (those checks belong in the engine's own
 * test file). Where the port leaves a value open (the exact version number an enterprise starts at, a
 * sequence number), the suite checks only what the port promises (it increases; it is after the other one).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { NodeId } from '../../../ontology/iri.js';
import type {
  AddressRecord, CatalogItemRecord, DfcRecord, EnterpriseRecord, OfferRecord, RecordKind, SuppliedProductRecord,
} from '../../../ontology/records.js';
import { measureIri } from '../../../ontology/units.js';
import { DFC_PT_NS } from '../../../ontology/vocabulary.js';
import { problem } from '../../../server/errors/problem.js';
import { MAX_QUARANTINED, type MergePlan, type PlannedResource, type SnapshotWrite, type SyncSummary } from '../../../server/store/federation.js';
import {
  AlreadyExistsError, ConcurrentChangeError, OwnershipError, recordVersion, VersionConflictError, type NodeStore,
} from '../../../server/store/store.js';
import { resourceIds as ids } from '../../helpers/sample-records.js';

/** How a test file gives the suite its stores. */
export interface StoreFactory {
  /** A new, empty store whose base URL is `baseUrl`. */
  open(baseUrl: string): Promise<NodeStore>;
  /** Called after each test, once the store is closed (remove files, drop a schema…). */
  cleanup?(): Promise<void>;
}

const BASE = 'http://node.test';
const PEER_A = 'https://peer-a.example';
const PEER_R = 'https://relay.example';
const FAR_FUTURE = '9999-12-31T00:00:00.000Z';
const ALL_KINDS: readonly RecordKind[] = ['Enterprise', 'Address', 'Person', 'SuppliedProduct', 'CatalogItem', 'Offer', 'Catalog',
  'CustomerCategory', 'SaleSession', 'Order', 'OrderLine', 'Resource'];
const APPLE = `${DFC_PT_NS}apple`;
const PEAR = `${DFC_PT_NS}pear`;
const EURO = measureIri('Euro');

const nodeId = (value: string): NodeId => value as NodeId;


/** An enterprise and its address. */
function enterprise(origin: string, eid: string, place: { latitude: number; longitude: number; postcode: string }, name = eid): [EnterpriseRecord, AddressRecord] {
  const id = ids(origin, eid);
  return [
    { kind: 'Enterprise', id: id.enterprise, name, address: id.address, supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [] },
    { kind: 'Address', id: id.address, city: 'Limoges', ...place },
  ];
}

interface ProductSpec {
  readonly slug: string;
  readonly name: string;
  readonly description?: string;
  readonly type?: string;
  readonly price?: number;
  /** The item's stock; null is on demand. */
  readonly stock?: number | null;
}

/** A product with its catalog item and offer. */
function product(origin: string, eid: string, spec: ProductSpec): [SuppliedProductRecord, CatalogItemRecord, OfferRecord] {
  const id = ids(origin, eid, spec.slug);
  const stock = spec.stock === undefined ? 10 : spec.stock;
  return [
    {
      kind: 'SuppliedProduct', id: id.product, name: spec.name, ...(spec.description !== undefined ? { description: spec.description } : {}),
      ...(spec.type !== undefined ? { productType: spec.type } : {}), images: [], variantOf: [], variants: [], catalogItems: [id.item],
      suppliedBy: id.enterprise,
    },
    { kind: 'CatalogItem', id: id.item, product: id.product, stock, offers: [id.offer], managedBy: id.enterprise, listedIn: [] },
    { kind: 'Offer', id: id.offer, item: id.item, price: { value: spec.price ?? 1, currency: EURO }, stock },
  ];
}

const PLACE_LIMOGES = { latitude: 45.83, longitude: 1.26, postcode: '87000' };
const PLACE_PARIS = { latitude: 48.86, longitude: 2.35, postcode: '75001' };

/** A plan that writes `records` (and flags the others given), as the merge would make it. */
function planOf(records: readonly DfcRecord[], options: {
  authoritative?: boolean; sourceUrl?: string; missing?: string[]; withdrawn?: string[]; restored?: string[];
} = {}): MergePlan {
  const upsert: PlannedResource[] = records.map((record) => {
    const json = JSON.stringify(record);
    return {
      iri: record.id, kind: record.kind, record, json, hash: createHash('sha1').update(json).digest('base64url'),
      authoritative: options.authoritative ?? true, sourceUrl: options.sourceUrl ?? `${PEER_A}/catalog`,
    };
  });
  return {
    upsert, added: upsert.length, updated: 0, unchanged: 0, missing: options.missing ?? [], withdrawn: options.withdrawn ?? [],
    restored: options.restored ?? [], refused: [],
  };
}

/** A snapshot write of a plan, with nothing else. */
function snapshot(plan: MergePlan, now: string, extra: Partial<SnapshotWrite> = {}): SnapshotWrite {
  return { plan, sources: new Map(), quarantine: [], replaceQuarantine: false, now, ...extra };
}

/** The error a promise rejects with (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error: unknown) {
    return error;
  }
  return expect.fail('expected a rejection');
}

const SUMMARY: SyncSummary = { added: 3, updated: 0, unchanged: 0, withdrawn: 0, quarantined: 0, refused: 0, pages: 1, notModified: 0, bytes: 100, ms: 5 };

/**
 * Describes every {@link NodeStore} method against the stores a factory opens: one new store per test.
 *
 * @param name - the implementation's name, for the suite's title
 * @param factory - opens an empty store, and cleans up after it
 */
export function describeNodeStore(name: string, factory: StoreFactory): void {
  describe(`NodeStore contract: ${name}`, () => {
    let store: NodeStore;

    beforeEach(async () => {
      store = await factory.open(BASE);
    });

    afterEach(async () => {
      await store.close();
      await factory.cleanup?.();
    });

    /** Creates enterprise `eid` under our base with its profile, and returns its records. */
    async function createFarm(eid: string, options: { private?: boolean; place?: typeof PLACE_LIMOGES; name?: string } = {}): Promise<DfcRecord[]> {
      const records = enterprise(BASE, eid, options.place ?? PLACE_LIMOGES, options.name ?? eid);
      await store.createEnterprise(eid, ids(BASE, eid).enterprise, records, { private: options.private ?? false });
      return records;
    }

    /** Our own enterprises, as the federated catalogue indexes them. */
    async function refreshLocal(): Promise<void> {
      const versions = new Map<string, number>();
      for (const e of await store.listEnterprises()) if (!e.private) versions.set(e.eid, e.version);
      await store.index.refreshLocal(versions, async (eid) => (await store.listResources(eid, ALL_KINDS)).map((r) => r.record));
    }

    describe('enterprises', () => {
      it('creates an enterprise with its profile records, and gets it back', async () => {
        const records = await createFarm('ferme', { name: 'Ferme des Trois Chênes' });
        const row = await store.getEnterprise('ferme');
        expect(row).to.include({ eid: 'ferme', iri: ids(BASE, 'ferme').enterprise, name: 'Ferme des Trois Chênes', private: false });
        expect(row?.version).to.be.a('number');
        expect(row?.updatedAt).to.be.a('string');
        expect((await store.listResources('ferme', ['Enterprise', 'Address'])).map((r) => r.record)).to.deep.equal(
          [...records].sort((a, b) => (a.id < b.id ? -1 : 1)));
      });

      it('names an enterprise after its eid when its record has no name', async () => {
        const [e, address] = enterprise(BASE, 'anonyme', PLACE_LIMOGES);
        const { name: _name, ...unnamed } = e;
        const row = await store.createEnterprise('anonyme', e.id, [unnamed, address]);
        expect(row.name).to.equal('anonyme');
      });

      it('lists enterprises by eid, and knows none it was not given', async () => {
        await createFarm('b-farm');
        await createFarm('a-farm', { private: true });
        expect((await store.listEnterprises()).map((e) => [e.eid, e.private])).to.deep.equal([['a-farm', true], ['b-farm', false]]);
        expect(await store.getEnterprise('nobody')).to.equal(undefined);
        expect(await store.enterpriseVersion('nobody')).to.equal(undefined);
      });

      it('gives the version of an enterprise, which every change moves up', async () => {
        await createFarm('ferme');
        const v0 = await store.enterpriseVersion('ferme');
        expect(v0).to.equal((await store.getEnterprise('ferme'))?.version);
        await store.apply('ferme', { upsert: product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' }) });
        const v1 = await store.enterpriseVersion('ferme') as number;
        expect(v1).to.be.greaterThan(v0 as number);
        await store.apply('ferme', { delete: [ids(BASE, 'ferme', 'pommes').offer] });
        const v2 = await store.enterpriseVersion('ferme') as number;
        expect(v2).to.be.greaterThan(v1);
        await store.apply('ferme', { enterprise: { name: 'La Ferme' } });
        const v3 = await store.enterpriseVersion('ferme') as number;
        expect(v3).to.be.greaterThan(v2);
        expect(await store.getEnterprise('ferme')).to.include({ name: 'La Ferme', version: v3 });
      });

      it('refuses with AlreadyExistsError an enterprise whose id or IRI is taken, and the failed create changes nothing', async () => {
        const [farm, address] = await createFarm('ferme') as [EnterpriseRecord, AddressRecord];
        const taken = await rejection(store.createEnterprise('ferme', farm.id, [{ ...farm, name: 'Autre nom' }, address]));
        expect(taken).to.be.instanceOf(AlreadyExistsError);
        const iriTaken = await rejection(store.createEnterprise('autre', farm.id, []));
        expect(iriTaken).to.be.instanceOf(AlreadyExistsError);
        expect((await store.getEnterprise('ferme'))?.name).to.equal('ferme');
        expect((await store.getResource(farm.id))?.record).to.deep.equal(farm);
        expect((await store.listEnterprises()).map((e) => e.eid)).to.deep.equal(['ferme']);
      });

      it('makes an enterprise private or public', async () => {
        await createFarm('ferme');
        await store.apply('ferme', { enterprise: { private: true } });
        expect((await store.getEnterprise('ferme'))?.private).to.equal(true);
        await store.apply('ferme', { enterprise: { private: false } });
        expect((await store.getEnterprise('ferme'))?.private).to.equal(false);
      });
    });

    describe('resources', () => {
      it('gets one resource, several, and an enterprise\'s by kind, ordered by @id', async () => {
        await createFarm('ferme');
        const pommes = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        const poires = product(BASE, 'ferme', { slug: 'poires', name: 'Poires' });
        await store.apply('ferme', { upsert: [...pommes, ...poires] });
        const one = await store.getResource(pommes[0].id);
        expect(one?.eid).to.equal('ferme');
        expect(one?.record).to.deep.equal(pommes[0]);
        expect(one?.updatedAt).to.be.a('string');
        expect(await store.getResource(`${BASE}/nothing`)).to.equal(undefined);
        const several = await store.getResources([pommes[1].id, `${BASE}/nothing`, poires[1].id]);
        expect(several.map((r) => r.record.id).sort()).to.deep.equal([pommes[1].id, poires[1].id].sort());
        const items = await store.listResources('ferme', ['CatalogItem', 'Offer']);
        expect(items.map((r) => r.record.id)).to.deep.equal([pommes[1].id, poires[1].id, pommes[2].id, poires[2].id].sort());
        expect(await store.listResources('ferme', ['Order'])).to.deep.equal([]);
      });

      it('gets a resource with the ones it names as offers, in one read: those missing left out, each once', async () => {
        await createFarm('ferme');
        const [, item, offer] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        const gone = `${offer.id}-gone` as NodeId;
        await store.apply('ferme', { upsert: [{ ...item, offers: [offer.id, gone, offer.id] }, offer] });
        const read = await store.getResourceWithOffers(item.id);
        expect(read?.resource).to.deep.include({ eid: 'ferme', record: { ...item, offers: [offer.id, gone, offer.id] }, version: recordVersion({ ...item, offers: [offer.id, gone, offer.id] }) });
        expect(read?.offers).to.deep.equal([await store.getResource(offer.id)]);
        // A resource that names no offers, and none at all.
        expect((await store.getResourceWithOffers(offer.id))?.offers).to.deep.equal([]);
        expect(await store.getResourceWithOffers(gone)).to.equal(undefined);
      });

      it('gets many resources at once', async () => {
        await createFarm('ferme');
        const many = Array.from({ length: 700 }, (_, i) => product(BASE, 'ferme', { slug: `p${i}`, name: `P${i}` })[0]);
        await store.apply('ferme', { upsert: many });
        expect(await store.getResources(many.map((r) => r.id))).to.have.length(700);
      });

      it('gives the ids of a catalogue: products (and which are groups) and items', async () => {
        await createFarm('ferme');
        const [pommes, item] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        const group: SuppliedProductRecord = {
          kind: 'SuppliedProduct', id: nodeId(`${BASE}/api/dfc/product_groups/fruits`), name: 'Fruits', images: [], variantOf: [],
          variants: [pommes.id], catalogItems: [],
        };
        await store.apply('ferme', { upsert: [pommes, item, group] });
        expect(await store.catalogueIds('ferme')).to.deep.equal({
          products: [{ iri: group.id, group: true }, { iri: pommes.id, group: false }].sort((a, b) => (a.iri < b.iri ? -1 : 1)),
          items: [item.id],
        });
        expect(await store.catalogueIds('nobody')).to.deep.equal({ products: [], items: [] });
      });

      it('keeps stock values as written: a number, zero, or null for on demand', async () => {
        await createFarm('ferme');
        const some = product(BASE, 'ferme', { slug: 'some', name: 'Some', stock: 12.5 });
        const none = product(BASE, 'ferme', { slug: 'none', name: 'None', stock: 0 });
        const unlimited = product(BASE, 'ferme', { slug: 'unlimited', name: 'Unlimited', stock: null });
        await store.apply('ferme', { upsert: [...some, ...none, ...unlimited] });
        for (const record of [some[1], none[1], unlimited[1], some[2], none[2], unlimited[2]]) {
          expect((await store.getResource(record.id))?.record).to.deep.equal(record);
        }
        await refreshLocal();
        const rows = await store.index.queryEntries({});
        expect(rows.map((r) => [r.name, r.stock, r.inStock])).to.deep.equal([['None', 0, false], ['Some', 12.5, true], ['Unlimited', null, true]]);
        expect((await store.index.queryEntries({ inStock: true })).map((r) => r.name)).to.deep.equal(['Some', 'Unlimited']);
        expect((await store.index.queryEntries({ inStock: false })).map((r) => r.name)).to.deep.equal(['None']);
      });
    });

    describe('versions of resources and profiles', () => {
      it('a resource\'s version is the recordVersion of what was written, the same from every read', async () => {
        await createFarm('ferme');
        const [pommes] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [pommes] });
        const stored = await store.getResource(pommes.id);
        expect(stored?.version).to.equal(recordVersion(pommes));
        expect((await store.getResources([pommes.id]))[0]?.version).to.equal(stored?.version);
        expect((await store.listResources('ferme', ['SuppliedProduct']))[0]?.version).to.equal(stored?.version);
      });

      it('changes with every change of the record, not with an identical rewrite, and comes back with the content', async () => {
        await createFarm('ferme');
        const [, item] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes', stock: 5 });
        const versionOf = async (): Promise<string | undefined> => (await store.getResource(item.id))?.version;
        await store.apply('ferme', { upsert: [item] });
        const v1 = await versionOf();
        await store.apply('ferme', { upsert: [{ ...item }] });
        expect(await versionOf()).to.equal(v1);
        await store.apply('ferme', { upsert: [{ ...item, stock: 4 }], expect: new Map([[item.id, item]]) });
        expect(await versionOf()).to.not.equal(v1);
        // A version names a content: back to the first one, back to its version (never a stale match).
        await store.apply('ferme', { upsert: [item] });
        expect(await versionOf()).to.equal(v1);
      });

      it('moves the profile version with the profile and the list of products and items, not with stock', async () => {
        const [farm] = await createFarm('ferme') as [EnterpriseRecord, AddressRecord];
        const [pommes, item] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes', stock: 5 });
        const profile = async (): Promise<number> => (await store.getEnterprise('ferme'))?.profileVersion as number;
        const p0 = await profile();
        await store.apply('ferme', { upsert: [pommes, item] });
        const p1 = await profile();
        expect(p1).to.be.greaterThan(p0);
        const version = await store.enterpriseVersion('ferme') as number;
        await store.apply('ferme', { upsert: [{ ...item, stock: 1 }] });
        expect(await profile(), 'a stock write').to.equal(p1);
        expect(await store.enterpriseVersion('ferme')).to.be.greaterThan(version);
        await store.apply('ferme', { upsert: [{ ...farm, name: 'Ferme 2' }] });
        const p2 = await profile();
        expect(p2, 'the Enterprise renamed').to.be.greaterThan(p1);
        await store.apply('ferme', { upsert: [{ ...pommes, variants: [nodeId(`${BASE}/api/dfc/enterprises/ferme/supplied_products/other`)] }] });
        const p3 = await profile();
        expect(p3, 'a product that becomes a group leaves the supplies list').to.be.greaterThan(p2);
        await store.apply('ferme', { upsert: [{ ...pommes, name: 'Pommes rouges' }] });
        const p4 = await profile();
        expect(p4, 'a group that becomes a product again').to.be.greaterThan(p3);
        await store.apply('ferme', { upsert: [{ ...pommes, name: 'Pommes vertes' }] });
        expect(await profile(), 'a product renamed: the profile lists its id only').to.equal(p4);
        await store.apply('ferme', { delete: [item.id] });
        expect(await profile(), 'an item deleted').to.be.greaterThan(p4);
      });
    });

    describe('change sets', () => {
      it('applies upserts and deletions together', async () => {
        await createFarm('ferme');
        const [p, item, offer] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p, item, offer] });
        const renamed = { ...p, name: 'Pommes Reinette' };
        await store.apply('ferme', { upsert: [renamed], delete: [offer.id] });
        expect((await store.getResource(p.id))?.record).to.deep.equal(renamed);
        expect(await store.getResource(offer.id)).to.equal(undefined);
        expect(await store.getResource(item.id)).not.to.equal(undefined);
      });

      it('reports progress on long writes, ending with done = total', async () => {
        await createFarm('ferme');
        const records = Array.from({ length: 250 }, (_, i) => product(BASE, 'ferme', { slug: `p${i}`, name: `P${i}` })[0]);
        const calls: [number, number][] = [];
        await store.apply('ferme', { upsert: records }, { onProgress: (done, total) => calls.push([done, total]) });
        expect(calls.at(-1)).to.deep.equal([250, 250]);
        expect(calls.every(([done, total]) => total === 250 && done <= total)).to.equal(true);
      });

      it('refuses with ConcurrentChangeError a write whose expectation no longer holds', async () => {
        await createFarm('ferme');
        const [p] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p] });
        const read = (await store.getResource(p.id))?.record as DfcRecord;
        await store.apply('ferme', { upsert: [{ ...p, name: 'Pommes (by another writer)' }] });
        const stale = await rejection(store.apply('ferme', { upsert: [{ ...p, name: 'Pommes (mine)' }], expect: new Map([[p.id, read]]) }));
        expect(stale).to.be.instanceOf(ConcurrentChangeError);
        expect((stale as ConcurrentChangeError).iri).to.equal(p.id);
        expect((await store.getResource(p.id))?.record).to.deep.include({ name: 'Pommes (by another writer)' });
        // "Must not exist" fails once it exists; an expectation about another record is checked too.
        const [q] = product(BASE, 'ferme', { slug: 'poires', name: 'Poires' });
        expect(await rejection(store.apply('ferme', { upsert: [q], expect: new Map([[p.id, null]]) }))).to.be.instanceOf(ConcurrentChangeError);
        expect(await store.getResource(q.id)).to.equal(undefined);
        // A current expectation passes.
        const current = (await store.getResource(p.id))?.record as DfcRecord;
        await store.apply('ferme', { upsert: [{ ...p, name: 'Pommes (mine)' }], expect: new Map<string, DfcRecord | null>([[p.id, current], [q.id, null]]) });
        expect((await store.getResource(p.id))?.record).to.deep.include({ name: 'Pommes (mine)' });
      });

      it('replaces several records as read all or none: one changed meanwhile refuses them all, naming it', async () => {
        await createFarm('ferme');
        const [p] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        const [q] = product(BASE, 'ferme', { slug: 'poires', name: 'Poires' });
        await store.apply('ferme', { upsert: [p, q] });
        const read = async (iri: string) => (await store.getResource(iri))?.record as DfcRecord;
        const [readP, readQ] = [await read(p.id), await read(q.id)];
        await store.apply('ferme', { upsert: [{ ...q, name: 'Poires (by another writer)' }] });
        const stale = await rejection(store.apply('ferme', {
          upsert: [{ ...p, name: 'Pommes (mine)' }, { ...q, name: 'Poires (mine)' }], expect: new Map([[p.id, readP], [q.id, readQ]]),
        }));
        expect(stale).to.be.instanceOf(ConcurrentChangeError);
        expect((stale as ConcurrentChangeError).iri).to.equal(q.id);
        expect(await read(p.id)).to.deep.include({ name: 'Pommes' });
        expect(await read(q.id)).to.deep.include({ name: 'Poires (by another writer)' });
        // Both as read: both replaced.
        const [nowP, nowQ] = [await read(p.id), await read(q.id)];
        await store.apply('ferme', { upsert: [{ ...p, name: 'Pommes (mine)' }, { ...q, name: 'Poires (mine)' }], expect: new Map([[p.id, nowP], [q.id, nowQ]]) });
        expect(await read(p.id)).to.deep.include({ name: 'Pommes (mine)' });
        expect(await read(q.id)).to.deep.include({ name: 'Poires (mine)' });
      });

      it('stock writes queued together: each all or none, a stale one refuses only itself, each later one sees the earlier; every write reaches the feed', async () => {
        await createFarm('ferme');
        const items = ['a', 'b', 'c', 'd'].map((slug) => product(BASE, 'ferme', { slug, name: slug, stock: 5 }));
        await store.apply('ferme', { upsert: items.flat() });
        const [a, b, c, d] = items.map(([, item, offer]) => ({ item, offer })) as { item: CatalogItemRecord; offer: OfferRecord }[] as [
          { item: CatalogItemRecord; offer: OfferRecord }, { item: CatalogItemRecord; offer: OfferRecord },
          { item: CatalogItemRecord; offer: OfferRecord }, { item: CatalogItemRecord; offer: OfferRecord }];
        // Another writer changes b's offer after it was read: b's write must leave its item as it was too. (A stock
        // of its own below its item's 5: one above it would publish the item's 5, as it was read.)
        await store.apply('ferme', { upsert: [{ ...b.offer, stock: 3 }] });
        const start = await store.feed.latestSeq();
        /** A stock write as Open Food Network's PUT makes it: the item and the offer mirroring it, each as read. */
        const restock = (read: { item: CatalogItemRecord; offer: OfferRecord }, stock: number) => store.apply('ferme', {
          upsert: [{ ...read.offer, stock }, { ...read.item, stock }], expect: new Map<string, DfcRecord | null>([[read.offer.id, read.offer], [read.item.id, read.item]]),
        });
        const outcomes = await Promise.allSettled([
          restock(a, 1), restock(b, 2), restock(c, 3),
          // From what the writes before it in the queue leave: it must see them done.
          restock({ item: { ...a.item, stock: 1 }, offer: { ...a.offer, stock: 1 } }, 11),
          restock({ item: { ...c.item, stock: 3 }, offer: { ...c.offer, stock: 3 } }, 13),
          restock(d, 4),
          // From what was read before c's write: stale.
          restock(c, 23),
        ]);
        expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
        const refusedB = (outcomes[1] as PromiseRejectedResult).reason as ConcurrentChangeError;
        expect(refusedB).to.be.instanceOf(ConcurrentChangeError);
        expect(refusedB.iri).to.equal(b.offer.id);
        expect((outcomes[6] as PromiseRejectedResult).reason).to.be.instanceOf(ConcurrentChangeError);
        const stock = async (iri: string) => ((await store.getResource(iri))?.record as CatalogItemRecord | OfferRecord).stock;
        expect(await Promise.all([a, b, c, d].flatMap(({ item, offer }) => [stock(item.id), stock(offer.id)]))).to.deep.equal([11, 11, 5, 3, 13, 13, 4, 4]);
        const events = await store.feed.events(start, 100);
        expect(events.map((e) => [e.iri, e.action, (e.record as CatalogItemRecord | OfferRecord).stock]).sort()).to.deep.equal([
          [a.item.id, 'update', 1], [a.item.id, 'update', 11], [a.offer.id, 'update', 1], [a.offer.id, 'update', 11],
          [c.item.id, 'update', 3], [c.item.id, 'update', 13], [c.offer.id, 'update', 3], [c.offer.id, 'update', 13],
          [d.item.id, 'update', 4], [d.offer.id, 'update', 4],
        ].sort());
      });

      it('stores a conditionally written record exactly as given, whatever its characters, and writes over it from it again', async () => {
        await createFarm('ferme');
        const [p] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p] });
        const odd = { ...p, name: 'Quote " backslash \\ \\u00e9 tab\t nul\u0000 line\u2028 é 🍅 \ud83c alone', description: '{"json": [1, 2]}' };
        await store.apply('ferme', { upsert: [odd], expect: new Map([[p.id, p]]) });
        expect((await store.getResource(p.id))?.record).to.deep.equal(odd);
        expect(await store.getResource(p.id)).to.have.property('version', recordVersion(odd));
        // Its stored JSON is what was read: a conditional write from it applies.
        await store.apply('ferme', { upsert: [{ ...odd, name: 'Plain' }], expect: new Map([[p.id, odd]]) });
        expect((await store.getResource(p.id))?.record).to.deep.include({ name: 'Plain' });
      });

      it('refuses with VersionConflictError a write made against another version', async () => {
        await createFarm('ferme');
        const version = await store.enterpriseVersion('ferme') as number;
        const [p] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p], expectedVersion: version });
        const now = await store.enterpriseVersion('ferme') as number;
        expect(now).to.be.greaterThan(version);
        const conflict = await rejection(store.apply('ferme', { upsert: [{ ...p, name: 'Stale' }], expectedVersion: version }));
        expect(conflict).to.be.instanceOf(VersionConflictError);
        expect((conflict as VersionConflictError).current).to.equal(now);
        expect((await store.getResource(p.id))?.record).to.deep.include({ name: 'Pommes' });
      });

      it('refuses with VersionConflictError a write made against another profile version, which a stock write does not move', async () => {
        const [farm] = await createFarm('ferme') as [EnterpriseRecord];
        const [p, item] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p, item] });
        const profile = (await store.getEnterprise('ferme'))?.profileVersion as number;
        await store.apply('ferme', { upsert: [{ ...item, stock: 3 }] });
        await store.apply('ferme', { upsert: [{ ...farm, name: 'La Ferme' }], enterprise: { name: 'La Ferme' }, expectedProfileVersion: profile });
        expect((await store.getEnterprise('ferme'))?.name).to.equal('La Ferme');
        const conflict = await rejection(store.apply('ferme', { enterprise: { name: 'Stale' }, expectedProfileVersion: profile }));
        expect(conflict).to.be.instanceOf(VersionConflictError);
        expect((await store.getEnterprise('ferme'))?.name).to.equal('La Ferme');
      });

      it('refuses with OwnershipError a write that would take another enterprise\'s resource', async () => {
        await createFarm('a');
        await createFarm('b');
        const [p] = product(BASE, 'a', { slug: 'pommes', name: 'Pommes' });
        await store.apply('a', { upsert: [p] });
        const taken = await rejection(store.apply('b', { upsert: [{ ...p, name: 'Mine now' }] }));
        expect(taken).to.be.instanceOf(OwnershipError);
        expect(taken).to.include({ iri: p.id, owner: 'a' });
        expect(await store.getResource(p.id)).to.deep.include({ eid: 'a' });
        expect((await store.getResource(p.id))?.record).to.deep.equal(p);
        // Nor can it delete it.
        await store.apply('b', { delete: [p.id] });
        expect(await store.getResource(p.id)).not.to.equal(undefined);
        // A versioned write to an enterprise that does not exist.
        expect(await rejection(store.apply('nobody', { upsert: [], expectedVersion: 1 }))).to.be.instanceOf(OwnershipError);
      });
    });

    describe('transactions', () => {
      it('a change set that fails leaves nothing behind: no record, no version, no feed event', async () => {
        await createFarm('a');
        await createFarm('b');
        const [owned] = product(BASE, 'a', { slug: 'pommes', name: 'Pommes' });
        await store.apply('a', { upsert: [owned] });
        const version = await store.enterpriseVersion('b');
        const seq = await store.feed.latestSeq();
        const fresh = product(BASE, 'b', { slug: 'poires', name: 'Poires' });
        const error = await rejection(store.apply('b', { upsert: [...fresh, { ...owned, name: 'taken' }], enterprise: { name: 'B renamed' } }));
        expect(error).to.be.instanceOf(OwnershipError);
        expect(await store.getResources(fresh.map((r) => r.id))).to.deep.equal([]);
        expect(await store.enterpriseVersion('b')).to.equal(version);
        expect((await store.getEnterprise('b'))?.name).to.equal('b');
        expect(await store.feed.latestSeq()).to.equal(seq);
      });

      it('creates an enterprise with its records in one change set, all or nothing', async () => {
        const [farm, address] = enterprise(BASE, 'neuve', PLACE_LIMOGES, 'La Neuve');
        const pommes = product(BASE, 'neuve', { slug: 'pommes', name: 'Pommes' });
        await store.apply('neuve', { create: { iri: farm.id }, enterprise: { name: 'La Neuve' }, upsert: [farm, address, ...pommes] });
        expect(await store.getEnterprise('neuve')).to.deep.include({ eid: 'neuve', iri: farm.id, name: 'La Neuve', private: false });
        expect(await store.listResources('neuve', ALL_KINDS)).to.have.length(5);
        // Taken: refused, and nothing of it stays.
        const [poires] = product(BASE, 'neuve', { slug: 'poires', name: 'Poires' });
        expect(await rejection(store.apply('neuve', { create: { iri: `${BASE}/elsewhere` }, upsert: [poires] }))).to.be.instanceOf(AlreadyExistsError);
        expect(await store.getResource(poires.id)).to.equal(undefined);
        // A part that fails (a resource another enterprise owns) leaves no enterprise behind.
        const [other] = enterprise(BASE, 'autre', PLACE_PARIS);
        const [own] = product(BASE, 'autre', { slug: 'pommes', name: 'Pommes' });
        const taken = await rejection(store.apply('autre', { create: { iri: other.id, private: true }, upsert: [other, own, { ...(pommes[0]), name: 'Mine' }] }));
        expect(taken).to.be.instanceOf(OwnershipError);
        expect(await store.getEnterprise('autre')).to.equal(undefined);
        expect(await store.getResources([other.id, own.id])).to.deep.equal([]);
        // Named after its id without a name; private when asked.
        await store.apply('autre', { create: { iri: other.id, private: true }, upsert: [other] });
        expect(await store.getEnterprise('autre')).to.deep.include({ name: 'autre', private: true });
      });

      it('a store stays usable after a failed change set', async () => {
        await createFarm('ferme');
        const [p] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await rejection(store.apply('ferme', { upsert: [p], expectedVersion: -1 }));
        await store.apply('ferme', { upsert: [p] });
        expect(await store.getResource(p.id)).not.to.equal(undefined);
      });
    });

    describe('concurrency', () => {
      it('two concurrent writers to one enterprise: neither write is lost', async () => {
        await createFarm('ferme');
        const before = await store.enterpriseVersion('ferme') as number;
        const first = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        const second = product(BASE, 'ferme', { slug: 'poires', name: 'Poires' });
        await Promise.all([store.apply('ferme', { upsert: first }), store.apply('ferme', { upsert: second })]);
        expect(await store.getResources([...first, ...second].map((r) => r.id))).to.have.length(6);
        expect(await store.enterpriseVersion('ferme')).to.be.greaterThan(before);
      });

      it('two writers of one record from one read: one wins, the other is refused, never silently overwritten', async () => {
        await createFarm('ferme');
        const [p] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p] });
        const read = new Map<string, DfcRecord | null>([[p.id, p]]);
        const outcomes = await Promise.allSettled([
          store.apply('ferme', { upsert: [{ ...p, name: 'One' }], expect: read }),
          store.apply('ferme', { upsert: [{ ...p, name: 'Two' }], expect: read }),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).to.have.length(1);
        const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(refused?.reason).to.be.instanceOf(ConcurrentChangeError);
      });
    });

    describe('read-modify-write in one transaction (update)', () => {
      it('decides from what its transaction reads, and a write meanwhile waits for it: nothing is lost', async () => {
        await createFarm('ferme');
        const [p] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p] });
        const order: string[] = [];
        let release = (): void => undefined;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let read = (): void => undefined;
        const hasRead = new Promise<void>((resolve) => (read = resolve));
        const updating = store.update('ferme', async (reads) => {
          const current = (await reads.getResource(p.id))?.record as SuppliedProductRecord;
          expect(await reads.getResources([p.id, `${BASE}/nothing`])).to.have.length(1);
          order.push('decided');
          read();
          await gate;
          return { changes: { upsert: [{ ...current, name: `${current.name} +1` }], expect: new Map([[p.id, current]]) }, value: 'mine' };
        });
        await hasRead;
        const other = store.apply('ferme', { upsert: [{ ...p, name: 'Other' }] }).then(() => order.push('other committed'));
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push('released');
        release();
        expect(await updating).to.equal('mine');
        await other;
        expect(order).to.deep.equal(['decided', 'released', 'other committed']);
        expect((await store.getResource(p.id))?.record).to.deep.include({ name: 'Other' });
      });

      it('sees what it reads as the transaction will write over, and writes nothing when decide throws', async () => {
        await createFarm('ferme');
        const [p] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p] });
        const runs = await Promise.all(Array.from({ length: 10 }, (_, i) => store.update('ferme', async (reads) => {
          const current = (await reads.getResource(p.id))?.record as SuppliedProductRecord;
          return { changes: { upsert: [{ ...current, name: `${current.name}+` }], expect: new Map([[p.id, current]]) }, value: i };
        })));
        expect(runs).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect((await store.getResource(p.id))?.record).to.deep.include({ name: `Pommes${'+'.repeat(10)}` });
        const version = await store.enterpriseVersion('ferme');
        const error = await rejection(store.update('ferme', async () => {
          throw new Error('refused');
        }));
        expect(error).to.have.property('message', 'refused');
        expect(await store.enterpriseVersion('ferme')).to.equal(version);
      });
    });

    describe('the feed', () => {
      it('appends a version with every change: create, update, delete', async () => {
        await createFarm('ferme');
        const start = await store.feed.latestSeq();
        const [p] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p] });
        await store.apply('ferme', { upsert: [{ ...p, name: 'Pommes Reinette' }] });
        await store.apply('ferme', { delete: [p.id] });
        const events = await store.feed.events(start, 100);
        expect(events.map((e) => [e.iri, e.eid, e.kind, e.action])).to.deep.equal([
          [p.id, 'ferme', 'SuppliedProduct', 'create'], [p.id, 'ferme', 'SuppliedProduct', 'update'], [p.id, 'ferme', 'SuppliedProduct', 'delete'],
        ]);
        expect(events.map((e) => e.record)).to.deep.equal([p, { ...p, name: 'Pommes Reinette' }, null]);
        expect(events.every((e) => typeof e.at === 'string')).to.equal(true);
        const seqs = events.map((e) => e.seq);
        expect([...seqs].sort((a, b) => a - b)).to.deep.equal(seqs);
        expect(new Set(seqs).size).to.equal(3);
        expect(await store.feed.latestSeq()).to.equal(seqs[2]);
      });

      it('says its state: the newest sequence, when it was written, the events kept and the stream', async () => {
        const empty = await store.feed.stats();
        expect(empty).to.include({ latestSeq: await store.feed.latestSeq() });
        await createFarm('ferme');
        const [p] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p] });
        const stats = await store.feed.stats();
        const newest = (await store.feed.events(stats.latestSeq - 1, 1))[0];
        expect(stats).to.deep.equal({
          latestSeq: await store.feed.latestSeq(), lastEventAt: newest?.at, events: (await store.feed.events(0, 10_000)).length, streamId: await store.feed.streamId(),
        });
        expect(stats.events).to.be.greaterThan(empty.events);
      });

      it('appends nothing, and keeps the version, for a record written again unchanged', async () => {
        await createFarm('ferme');
        const [p] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p] });
        const seq = await store.feed.latestSeq();
        const version = await store.enterpriseVersion('ferme');
        await store.apply('ferme', { upsert: [{ ...p }] });
        expect(await store.feed.latestSeq()).to.equal(seq);
        expect(await store.enterpriseVersion('ferme')).to.equal(version);
      });

      it('pages events after a sequence, by enterprise, and leaves private enterprises out when asked', async () => {
        await createFarm('public');
        await createFarm('secret', { private: true });
        const start = await store.feed.latestSeq();
        await store.apply('public', { upsert: product(BASE, 'public', { slug: 'a', name: 'A' }) });
        await store.apply('secret', { upsert: product(BASE, 'secret', { slug: 'b', name: 'B' }) });
        const all = await store.feed.events(start, 100);
        expect(all).to.have.length(6);
        expect((await store.feed.events(start, 2)).map((e) => e.seq)).to.deep.equal(all.slice(0, 2).map((e) => e.seq));
        expect((await store.feed.events(all[1]?.seq as number, 100)).map((e) => e.seq)).to.deep.equal(all.slice(2).map((e) => e.seq));
        expect((await store.feed.events(start, 100, 'secret')).map((e) => e.eid)).to.deep.equal(['secret', 'secret', 'secret']);
        expect((await store.feed.events(start, 100, undefined, true)).every((e) => e.eid === 'public')).to.equal(true);
        expect(await store.feed.events(start, 100, 'secret', true)).to.deep.equal([]);
        const lastPublic = all.filter((e) => e.eid === 'public').at(-1)?.seq;
        expect(await store.feed.latestSeq(undefined, true)).to.equal(lastPublic);
        expect(await store.feed.latestSeq('public')).to.equal(lastPublic);
        expect(await store.feed.latestSeq('secret')).to.equal(all.at(-1)?.seq);
        expect(await store.feed.latestSeq('secret', true)).to.equal(0);
        expect(await store.feed.latestSeq('nobody')).to.equal(0);
      });

      it('gives the version of a resource just before a sequence', async () => {
        await createFarm('ferme');
        const start = await store.feed.latestSeq();
        const [p] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p] });
        await store.apply('ferme', { upsert: [{ ...p, name: 'Two' }] });
        const [created, updated] = await store.feed.events(start, 100);
        expect(await store.feed.previousVersion(p.id, updated?.seq as number)).to.deep.equal(created);
        expect(await store.feed.previousVersion(p.id, created?.seq as number)).to.equal(undefined);
      });

      it('compaction keeps the latest version of each resource, deletions included', async () => {
        await createFarm('ferme');
        const start = await store.feed.latestSeq();
        const [p, item] = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes' });
        await store.apply('ferme', { upsert: [p, item] });
        await store.apply('ferme', { upsert: [{ ...p, name: 'Two' }] });
        await store.apply('ferme', { upsert: [{ ...p, name: 'Three' }] });
        await store.apply('ferme', { delete: [item.id] });
        const before = await store.feed.events(start, 100);
        expect(await store.feed.compact(FAR_FUTURE)).to.equal(3);
        const after = await store.feed.events(start, 100);
        expect(after.map((e) => [e.iri, e.action, e.record === null ? null : (e.record as SuppliedProductRecord).name])).to.deep.equal([
          [p.id, 'update', 'Three'], [item.id, 'delete', null],
        ]);
        expect(after.map((e) => e.seq)).to.deep.equal([before[3]?.seq, before[4]?.seq]);
        // Nothing older than a date in the past.
        expect(await store.feed.compact('2000-01-01T00:00:00.000Z')).to.equal(0);
      });

      it('has a stream id, the same every time it is asked', async () => {
        const id = await store.feed.streamId();
        expect(id).to.be.a('string').and.not.equal('');
        expect(await store.feed.streamId()).to.equal(id);
      });
    });

    describe('subscriptions and peer feed state', () => {
      const subscription = (id: string, tokenId: string | null, eid: string | null): Parameters<NodeStore['feed']['createSubscription']>[0] => ({
        id, tokenId, eid, callback: `https://hooks.example/${id}`, secret: `secret-${id}`, createdAt: `2026-01-01T00:00:0${id.length}.000Z`, deliveredSeq: 0,
      });

      it('creates, gets, lists and deletes subscriptions', async () => {
        await createFarm('ferme');
        const created = await store.feed.createSubscription(subscription('s1', null, 'ferme'));
        expect(created).to.deep.equal({
          id: 's1', tokenId: null, eid: 'ferme', callback: 'https://hooks.example/s1', secret: 'secret-s1', createdAt: '2026-01-01T00:00:02.000Z',
          status: 'active', failures: 0, nextAttemptAt: null, lastDeliveryAt: null, lastError: null, deliveredSeq: 0, closingAfter: null,
        });
        await store.feed.createSubscription(subscription('s22', null, null));
        expect(await store.feed.getSubscription('s1')).to.deep.equal(created);
        expect(await store.feed.getSubscription('nope')).to.equal(undefined);
        expect((await store.feed.listSubscriptions()).map((s) => s.id)).to.deep.equal(['s1', 's22']);
        expect(await store.feed.deleteSubscription('s1')).to.equal(true);
        expect(await store.feed.deleteSubscription('s1')).to.equal(false);
        expect((await store.feed.listSubscriptions()).map((s) => s.id)).to.deep.equal(['s22']);
      });

      it('records deliveries, and delivers to neither dead subscriptions nor those of a revoked token', async () => {
        await store.createToken({ id: 'tok', hash: 'h-tok', eid: null, scopes: ['feed:read'] });
        await store.feed.createSubscription(subscription('s1', null, null));
        await store.feed.createSubscription(subscription('s22', 'tok', null));
        await store.feed.createSubscription(subscription('s333', null, null));
        const state = { status: 'failing' as const, failures: 2, nextAttemptAt: '2026-01-02T00:00:00.000Z', lastDeliveryAt: '2026-01-01T12:00:00.000Z', lastError: 'HTTP 500', deliveredSeq: 7 };
        await store.feed.recordDelivery('s1', state);
        expect(await store.feed.getSubscription('s1')).to.deep.include(state);
        await store.feed.recordDelivery('s333', { ...state, status: 'dead' });
        expect((await store.feed.deliverableSubscriptions()).map((s) => s.id)).to.deep.equal(['s1', 's22']);
        await store.revokeToken('tok');
        expect((await store.feed.deliverableSubscriptions()).map((s) => s.id)).to.deep.equal(['s1']);
      });

      it('a subscription made after none was found is deliverable at once, even one made while the look was under way', async () => {
        expect(await store.feed.deliverableSubscriptions()).to.deep.equal([]);
        // The store may now know the table empty: a subscription made since must end that.
        await store.feed.createSubscription(subscription('s1', null, null));
        expect((await store.feed.deliverableSubscriptions()).map((s) => s.id)).to.deep.equal(['s1']);
        await store.feed.deleteSubscription('s1');
        expect(await store.feed.deliverableSubscriptions()).to.deep.equal([]);
        const [seen] = await Promise.all([store.feed.deliverableSubscriptions(), store.feed.createSubscription(subscription('s22', null, null))]);
        expect(seen.map((s) => s.id).join()).to.be.oneOf(['', 's22']);
        expect((await store.feed.deliverableSubscriptions()).map((s) => s.id)).to.deep.equal(['s22']);
      });

      it('none deliverable is not none at all: a revoked token\'s subscription is delivered again once its enterprise goes', async () => {
        await createFarm('gone');
        await store.createToken({ id: 'tok', hash: 'h-tok', eid: 'gone', scopes: ['feed:read'] });
        await store.feed.createSubscription(subscription('s1', 'tok', 'gone'));
        await store.revokeToken('tok');
        expect(await store.feed.deliverableSubscriptions()).to.deep.equal([]);
        await store.removeEnterprise('gone');
        expect((await store.feed.deliverableSubscriptions()).map((s) => s.id)).to.deep.equal(['s1']);
      });

      it('keeps what we know of a peer\'s feed, field by field', async () => {
        const peer = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/` }, PEER_A);
        expect(await store.feed.peerFeed(peer.id)).to.deep.equal({ feedUrl: null, cursor: null, stream: null, secret: null, subscriptionUrl: null });
        await store.feed.setPeerFeed(peer.id, { feedUrl: `${PEER_A}/feed` });
        await store.feed.setPeerFeed(peer.id, { cursor: 42, stream: 'abc' });
        await store.feed.setPeerFeed(peer.id, { secret: 's', subscriptionUrl: `${PEER_A}/subscriptions/1` });
        expect(await store.feed.peerFeed(peer.id)).to.deep.equal({
          feedUrl: `${PEER_A}/feed`, cursor: 42, stream: 'abc', secret: 's', subscriptionUrl: `${PEER_A}/subscriptions/1`,
        });
        await store.feed.setPeerFeed(peer.id, { cursor: null });
        expect((await store.feed.peerFeed(peer.id)).cursor).to.equal(null);
      });
    });

    describe('our push subscriptions at peers', () => {
      it('counts failed attempts until one succeeds, and the notifications received', async () => {
        const peer = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/` }, PEER_A);
        const none = { subscribedAt: null, lastNotificationAt: null, notifications: 0, failures: 0, lastError: null };
        expect(await store.feed.peerPush(peer.id)).to.deep.equal(none);
        await store.feed.recordPeerSubscribe(peer.id, '2026-01-01T10:00:00.000Z', 'discovery: no');
        await store.feed.recordPeerSubscribe(peer.id, '2026-01-01T10:01:00.000Z', 'timeout: slow');
        expect(await store.feed.peerPush(peer.id)).to.deep.equal({ ...none, failures: 2, lastError: 'timeout: slow' });
        await store.feed.setPeerFeed(peer.id, { secret: 's', subscriptionUrl: `${PEER_A}/subscriptions/1` });
        await store.feed.recordPeerSubscribe(peer.id, '2026-01-01T10:02:00.000Z', null);
        await store.feed.recordPeerNotification(peer.id, '2026-01-01T10:03:00.000Z');
        await store.feed.recordPeerNotification(peer.id, '2026-01-01T10:04:00.000Z');
        expect(await store.feed.peerPush(peer.id)).to.deep.equal({
          subscribedAt: '2026-01-01T10:02:00.000Z', lastNotificationAt: '2026-01-01T10:04:00.000Z', notifications: 2, failures: 0, lastError: null,
        });
        // The feed state beside it is untouched, and untouching.
        expect(await store.feed.peerFeed(peer.id)).to.include({ secret: 's', subscriptionUrl: `${PEER_A}/subscriptions/1` });
        await store.feed.setPeerFeed(peer.id, { cursor: 3 });
        expect((await store.feed.peerPush(peer.id)).notifications).to.equal(2);
      });
    });

    describe('tokens', () => {
      it('creates a token, finds it by hash, lists and revokes it', async () => {
        await createFarm('ferme');
        const row = await store.createToken({ id: 't1', hash: 'hash-1', eid: 'ferme', scopes: ['catalog:write', 'stock:write'], label: 'shop' });
        expect(row).to.deep.include({ id: 't1', eid: 'ferme', scopes: ['catalog:write', 'stock:write'], label: 'shop', lastUsedAt: null, revokedAt: null });
        expect(row.createdAt).to.be.a('string');
        const admin = await store.createToken({ id: 't2', hash: 'hash-2', eid: null, scopes: ['admin'] });
        expect(admin).to.deep.include({ eid: null, label: null });
        expect(await store.findTokenByHash('hash-1')).to.deep.equal(row);
        expect(await store.findTokenByHash('nope')).to.equal(undefined);
        expect((await store.listTokens()).map((t) => t.id)).to.have.members(['t1', 't2']);
        expect((await store.listTokens('ferme')).map((t) => t.id)).to.deep.equal(['t1']);
        expect(await store.revokeToken('t1')).to.equal(true);
        expect(await store.revokeToken('t1')).to.equal(false);
        expect(await store.revokeToken('nope')).to.equal(false);
        expect((await store.findTokenByHash('hash-1'))?.revokedAt).to.be.a('string');
      });
    });

    describe('provenance', () => {
      it('adds peers with defaults, gets them by id or name, and lists them by id', async () => {
        const a = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/catalog` }, PEER_A);
        expect(a).to.deep.include({
          name: 'a', url: `${PEER_A}/catalog`, origin: PEER_A, token: null, tokenHeader: 'authorization', profile: 'dfc-v1', intervalSeconds: 300,
          status: 'new', lastAttemptAt: null, lastSuccessAt: null, nextAttemptAt: null, failures: 0, lastError: null, lastSummary: null,
        });
        const r = await store.provenance.addPeer({
          name: 'r', url: `${PEER_R}/`, token: 'secret', tokenHeader: 'x-api-token', profile: 'dfc-v2', intervalSeconds: 60,
        }, PEER_R);
        expect(r).to.deep.include({ token: 'secret', tokenHeader: 'x-api-token', profile: 'dfc-v2', intervalSeconds: 60 });
        expect(r.id).to.not.equal(a.id);
        expect(await store.provenance.getPeer(a.id)).to.deep.equal(a);
        expect(await store.provenance.getPeer(String(a.id))).to.deep.equal(a);
        expect(await store.provenance.getPeer('r')).to.deep.equal(r);
        expect(await store.provenance.getPeer('nobody')).to.equal(undefined);
        expect((await store.provenance.listPeers()).map((p) => p.name)).to.deep.equal(a.id < r.id ? ['a', 'r'] : ['r', 'a']);
      });

      it('records attempts: a success keeps its summary, a failure keeps the last one', async () => {
        const peer = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/` }, PEER_A);
        await store.provenance.recordAttempt(peer.id, {
          status: 'ok', at: '2026-01-01T00:00:00.000Z', nextAttemptAt: '2026-01-01T00:05:00.000Z', failures: 0, error: null, summary: SUMMARY, owner: 'test',
        });
        expect(await store.provenance.getPeer(peer.id)).to.deep.include({
          status: 'ok', lastAttemptAt: '2026-01-01T00:00:00.000Z', lastSuccessAt: '2026-01-01T00:00:00.000Z',
          nextAttemptAt: '2026-01-01T00:05:00.000Z', failures: 0, lastError: null, lastSummary: SUMMARY,
        });
        await store.provenance.recordAttempt(peer.id, {
          status: 'failed', at: '2026-01-01T00:10:00.000Z', nextAttemptAt: '2026-01-01T00:11:00.000Z', failures: 1, error: 'network: refused', summary: null, owner: 'test',
        });
        expect(await store.provenance.getPeer(peer.id)).to.deep.include({
          status: 'failed', lastAttemptAt: '2026-01-01T00:10:00.000Z', lastSuccessAt: '2026-01-01T00:00:00.000Z',
          nextAttemptAt: '2026-01-01T00:11:00.000Z', failures: 1, lastError: 'network: refused', lastSummary: SUMMARY,
        });
      });

      it('a new interval brings the next attempt to the last attempt plus it at the latest; a longer one leaves it', async () => {
        const { provenance } = store;
        const peer = await provenance.addPeer({ name: 'a', url: `${PEER_A}/`, intervalSeconds: 86_400 }, PEER_A);
        const attempt = { status: 'ok', at: '2026-01-01T00:00:00.000Z', failures: 0, error: null, summary: SUMMARY, owner: 'test' } as const;
        // Never attempted: due now whatever the interval.
        expect((await provenance.updatePeer(peer.id, { intervalSeconds: 2 }))?.nextAttemptAt).to.equal(null);
        expect(await provenance.recordAttempt(peer.id, { ...attempt, nextAttemptAt: '2026-01-02T00:00:00.000Z' })).to.equal(true);
        // 1 d → 2 s: due two seconds after the last attempt (long past), not a day after.
        expect(await provenance.updatePeer(peer.id, { intervalSeconds: 2 })).to.deep.include({ intervalSeconds: 2, nextAttemptAt: '2026-01-01T00:00:02.000Z' });
        // Longer: the next attempt stays; the new interval applies from the next sync on.
        expect(await provenance.updatePeer(peer.id, { intervalSeconds: 3600 })).to.deep.include({ intervalSeconds: 3600, nextAttemptAt: '2026-01-01T00:00:02.000Z' });
        expect((await provenance.updatePeer(peer.id, { name: 'b' }))?.nextAttemptAt).to.equal('2026-01-01T00:00:02.000Z');
        // A failure's backoff is never longer than the interval: a shorter one shortens it.
        await provenance.recordAttempt(peer.id, { ...attempt, status: 'failed', failures: 1, error: 'network: refused', summary: null, nextAttemptAt: '2026-01-01T00:30:00.000Z' });
        expect((await provenance.updatePeer(peer.id, { intervalSeconds: 600 }))?.nextAttemptAt).to.equal('2026-01-01T00:10:00.000Z');
        // Made shorter while an attempt ran (its next attempt computed from the hour it started with): the new one stands.
        await provenance.recordAttempt(peer.id, { ...attempt, nextAttemptAt: '2026-01-01T01:00:00.000Z', intervalSeconds: 3600 });
        expect((await provenance.getPeer(peer.id))?.nextAttemptAt).to.equal('2026-01-01T00:10:00.000Z');
        // Unchanged (or longer) since: the attempt's own next one, jitter and all.
        await provenance.recordAttempt(peer.id, { ...attempt, nextAttemptAt: '2026-01-01T00:10:20.000Z', intervalSeconds: 600 });
        expect((await provenance.getPeer(peer.id))?.nextAttemptAt).to.equal('2026-01-01T00:10:20.000Z');
        await provenance.recordAttempt(peer.id, { ...attempt, nextAttemptAt: '2026-01-01T00:05:00.000Z', intervalSeconds: 300 });
        expect((await provenance.getPeer(peer.id))?.nextAttemptAt).to.equal('2026-01-01T00:05:00.000Z');
        // Removed: nothing to record, and the caller is told.
        await provenance.removePeer(peer.id);
        expect(await provenance.recordAttempt(peer.id, { ...attempt, nextAttemptAt: '2026-01-01T00:05:00.000Z' })).to.equal(false);
      });

      it('a new token, header or OpenID credentials forget the peer\'s feed cursor, once; the same ones again or other changes keep it', async () => {
        const { provenance, feed } = store;
        const peer = await provenance.addPeer({ name: 'a', url: `${PEER_A}/`, token: 'old' }, PEER_A);
        const cursor = async (): Promise<number | null> => (await feed.peerFeed(peer.id)).cursor;
        const at = async (seq: number): Promise<boolean> => feed.setPeerFeed(peer.id, { feedUrl: `${PEER_A}/api/dfc/feed`, cursor: seq, stream: 's' });
        await at(42);
        // What is sent is the same: the cursor stays.
        await provenance.updatePeer(peer.id, { token: 'old', intervalSeconds: 60, name: 'b', profile: 'dfc-v1' });
        expect(await cursor()).to.equal(42);
        // A new token: the next sync reads the peer whole, and the rest of its feed state stays.
        await provenance.updatePeer(peer.id, { token: 'new' });
        expect(await feed.peerFeed(peer.id)).to.include({ cursor: null, feedUrl: `${PEER_A}/api/dfc/feed`, stream: 's' });
        // Once: the cursor the full sync then sets stays through what changes nothing of the credential.
        await at(50);
        await provenance.updatePeer(peer.id, { token: 'new', tokenHeader: 'authorization' });
        expect(await cursor()).to.equal(50);
        await provenance.updatePeer(peer.id, { tokenHeader: 'x-api-token' });
        expect(await cursor()).to.equal(null);
        await at(51);
        await provenance.updatePeer(peer.id, { token: null });
        expect(await cursor()).to.equal(null);
        await at(52);
        const credentials = { peerId: peer.id, issuer: 'https://id.example', clientId: 'c', clientSecret: 's', refreshToken: null, scope: null };
        await store.oidc.setPeerCredentials(credentials);
        expect(await cursor()).to.equal(null);
        await at(53);
        await store.oidc.setPeerCredentials(credentials);
        expect(await cursor()).to.equal(53);
        await store.oidc.setPeerCredentials({ ...credentials, clientSecret: 't' });
        expect(await cursor()).to.equal(null);
        await at(54);
        expect(await store.oidc.clearPeerCredentials(peer.id)).to.equal(true);
        expect(await cursor()).to.equal(null);
        await at(55);
        expect(await store.oidc.clearPeerCredentials(peer.id)).to.equal(false);
        expect(await cursor()).to.equal(55);
      });

      it('applies a snapshot: what we hold, the validators of each page, the quarantine, the counts', async () => {
        const peer = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/catalog` }, PEER_A);
        const records = [...enterprise(PEER_A, 'verger', PLACE_PARIS), ...product(PEER_A, 'verger', { slug: 'pommes', name: 'Pommes' })];
        const plan = planOf(records);
        const bad = problem('missing-property', `${PEER_A}/bad`, 'dfc-b:Offer', 'dfc-b:hasPrice', 'no price');
        await store.provenance.applySnapshot(peer.id, snapshot(plan, '2026-01-01T00:00:00.000Z', {
          sources: new Map([[`${PEER_A}/catalog`, { etag: '"v1"', lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT' }]]),
          quarantine: [{ iri: `${PEER_A}/bad`, type: 'dfc-b:Offer', problems: [bad] }], replaceQuarantine: true,
        }));
        const held = await store.provenance.held(peer.id);
        expect([...held.keys()].sort()).to.deep.equal(records.map((r) => r.id).sort());
        expect(held.get(records[0]?.id as string)).to.deep.equal({
          iri: records[0]?.id, hash: plan.upsert[0]?.hash, sourceUrl: `${PEER_A}/catalog`, missingSince: null, withdrawnAt: null,
        });
        const some = await store.provenance.heldOf(peer.id, [records[2]?.id as string, `${PEER_A}/unknown`]);
        expect([...some.keys()]).to.deep.equal([records[2]?.id]);
        expect(await store.provenance.sources(peer.id)).to.deep.equal(new Map([[`${PEER_A}/catalog`, { etag: '"v1"', lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT' }]]));
        expect(await store.provenance.quarantine(peer.id)).to.deep.equal([
          { iri: `${PEER_A}/bad`, type: 'dfc-b:Offer', problems: [bad], seenAt: '2026-01-01T00:00:00.000Z' },
        ]);
        expect(await store.provenance.peerCounts(peer.id)).to.deep.equal({ active: 5, missing: 0, withdrawn: 0 });
        // Another peer holds nothing of it.
        const other = await store.provenance.addPeer({ name: 'r', url: `${PEER_R}/` }, PEER_R);
        expect((await store.provenance.held(other.id)).size).to.equal(0);
        expect(await store.provenance.peerCounts(other.id)).to.deep.equal({ active: 0, missing: 0, withdrawn: 0 });
      });

      it('flags resources missing, then withdrawn, and restores them', async () => {
        const peer = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/catalog` }, PEER_A);
        const records = product(PEER_A, 'verger', { slug: 'pommes', name: 'Pommes' });
        await store.provenance.applySnapshot(peer.id, snapshot(planOf(records), '2026-01-01T00:00:00.000Z'));
        const [p] = records;
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([], { missing: [p.id] }), '2026-01-02T00:00:00.000Z'));
        expect((await store.provenance.held(peer.id)).get(p.id)).to.deep.include({ missingSince: '2026-01-02T00:00:00.000Z', withdrawnAt: null });
        expect(await store.provenance.peerCounts(peer.id)).to.deep.equal({ active: 2, missing: 1, withdrawn: 0 });
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([], { withdrawn: [p.id] }), '2026-01-03T00:00:00.000Z'));
        expect((await store.provenance.held(peer.id)).get(p.id)).to.deep.include({ missingSince: '2026-01-02T00:00:00.000Z', withdrawnAt: '2026-01-03T00:00:00.000Z' });
        expect(await store.provenance.peerCounts(peer.id)).to.deep.equal({ active: 2, missing: 0, withdrawn: 1 });
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([], { restored: [p.id] }), '2026-01-04T00:00:00.000Z'));
        expect((await store.provenance.held(peer.id)).get(p.id)).to.deep.include({ missingSince: null, withdrawnAt: null });
        expect(await store.provenance.peerCounts(peer.id)).to.deep.equal({ active: 3, missing: 0, withdrawn: 0 });
      });

      it('adds to the quarantine or replaces it, and lets out a record that is valid again', async () => {
        const peer = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/catalog` }, PEER_A);
        const [p, item] = product(PEER_A, 'verger', { slug: 'pommes', name: 'Pommes' });
        const q = (iri: string): { iri: string; type: string; problems: ReturnType<typeof problem>[] } => ({
          iri, type: 'dfc-b:SuppliedProduct', problems: [problem('missing-property', iri, 'dfc-b:SuppliedProduct', 'dfc-b:name', 'bad')],
        });
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([]), '2026-01-01T00:00:00.000Z', { quarantine: [q(p.id), q(`${PEER_A}/x`)], replaceQuarantine: true }));
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([]), '2026-01-02T00:00:00.000Z', { quarantine: [q(`${PEER_A}/y`)], replaceQuarantine: false }));
        expect((await store.provenance.quarantine(peer.id)).map((r) => r.iri)).to.deep.equal([p.id, `${PEER_A}/x`, `${PEER_A}/y`].sort());
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([p, item]), '2026-01-03T00:00:00.000Z'));
        expect((await store.provenance.quarantine(peer.id)).map((r) => r.iri)).to.deep.equal([`${PEER_A}/x`, `${PEER_A}/y`]);
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([]), '2026-01-04T00:00:00.000Z', { quarantine: [q(`${PEER_A}/z`)], replaceQuarantine: true }));
        expect((await store.provenance.quarantine(peer.id)).map((r) => r.iri)).to.deep.equal([`${PEER_A}/z`]);
      });

      it('keeps the newest MAX_QUARANTINED records of a peer\'s quarantine, however many syncs add to it', async () => {
        const peer = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/catalog` }, PEER_A);
        const q = (n: number): { iri: string; type: string; problems: ReturnType<typeof problem>[] } => ({
          iri: `${PEER_A}/bad/${String(n).padStart(5, '0')}`, type: 'dfc-b:Offer', problems: [problem('out-of-range', null, 'dfc-b:Offer', 'dfc-b:hasPrice', 'bad')],
        });
        const batch = (from: number, count: number) => Array.from({ length: count }, (_, i) => q(from + i));
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([]), '2026-01-01T00:00:00.000Z', { quarantine: batch(0, 700), replaceQuarantine: true }));
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([]), '2026-01-02T00:00:00.000Z', { quarantine: batch(700, 700), replaceQuarantine: false }));
        const kept = (await store.provenance.quarantine(peer.id)).map((r) => r.iri);
        expect(kept).to.have.length(MAX_QUARANTINED);
        // The newest sync's 700, and the last 300 of the first.
        expect(kept[0]).to.equal(q(400).iri);
        expect(kept.at(-1)).to.equal(q(1399).iri);
        // More than it keeps in one write: the first ones of it.
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([]), '2026-01-03T00:00:00.000Z', { quarantine: batch(5000, 1500), replaceQuarantine: true }));
        const replaced = (await store.provenance.quarantine(peer.id)).map((r) => r.iri);
        expect(replaced).to.have.length(MAX_QUARANTINED);
        expect([replaced[0], replaced.at(-1)]).to.deep.equal([q(5000).iri, q(5999).iri]);
        expect((await store.provenance.quarantineCounts()).get(peer.id)).to.equal(MAX_QUARANTINED);
      });

      it('replaces a page\'s validators with a new snapshot\'s', async () => {
        const peer = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/catalog` }, PEER_A);
        const page = `${PEER_A}/catalog`;
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([]), '2026-01-01T00:00:00.000Z', { sources: new Map([[page, { etag: '"v1"', lastModified: null }]]) }));
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([]), '2026-01-02T00:00:00.000Z', { sources: new Map([[page, { etag: '"v2"', lastModified: null }]]) }));
        expect(await store.provenance.sources(peer.id)).to.deep.equal(new Map([[page, { etag: '"v2"', lastModified: null }]]));
      });

      it('removes a peer with everything it brought, its rows of the federated index included', async () => {
        const peer = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/catalog` }, PEER_A);
        const records = [...enterprise(PEER_A, 'verger', PLACE_PARIS), ...product(PEER_A, 'verger', { slug: 'pommes', name: 'Pommes' })];
        await store.provenance.applySnapshot(peer.id, snapshot(planOf(records), '2026-01-01T00:00:00.000Z', {
          sources: new Map([[`${PEER_A}/catalog`, { etag: '"v1"', lastModified: null }]]),
        }));
        expect(await store.index.queryEntries({})).to.have.length(1);
        expect(await store.provenance.removePeer(peer.id)).to.equal(true);
        expect(await store.provenance.removePeer(peer.id)).to.equal(false);
        expect(await store.provenance.getPeer(peer.id)).to.equal(undefined);
        expect(await store.provenance.listPeers()).to.deep.equal([]);
        expect(await store.index.queryEntries({})).to.deep.equal([]);
        expect(await store.index.recordsOf(records.map((r) => r.id))).to.deep.equal(new Map());
      });
    });

    describe('the federated index', () => {
      /** Two local enterprises and one peer, each with products of their own. */
      async function seedIndex(): Promise<{ peerId: number }> {
        await createFarm('ferme', { place: PLACE_LIMOGES });
        await store.apply('ferme', {
          upsert: [
            ...product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes Reinette', description: 'Croquantes', type: APPLE, price: 2.5, stock: 10 }),
            ...product(BASE, 'ferme', { slug: 'poires', name: 'Poires', description: 'Fondantes 100%', type: PEAR, price: 3, stock: 0 }),
          ],
        });
        await createFarm('secret', { private: true });
        await store.apply('secret', { upsert: product(BASE, 'secret', { slug: 'truffes', name: 'Truffes', type: APPLE }) });
        await refreshLocal();
        const peer = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/catalog` }, PEER_A);
        await store.provenance.applySnapshot(peer.id, snapshot(planOf([
          ...enterprise(PEER_A, 'verger', PLACE_PARIS),
          ...product(PEER_A, 'verger', { slug: 'pommes', name: 'Pommes Golden', type: APPLE, price: 2, stock: null }),
        ]), '2026-01-01T00:00:00.000Z'));
        return { peerId: peer.id };
      }

      it('indexes our public enterprises and the peers\' items, with what queries filter on', async () => {
        const { peerId } = await seedIndex();
        const rows = await store.index.queryEntries({});
        expect(rows.map((r) => [r.name, r.source])).to.deep.equal([
          ['Poires', 'local:ferme'], ['Pommes Golden', `peer:${peerId}`], ['Pommes Reinette', 'local:ferme'],
        ]);
        const local = ids(BASE, 'ferme', 'pommes');
        expect(rows.find((r) => r.name === 'Pommes Reinette')).to.deep.include({
          itemIri: local.item, productIri: local.product, productKey: local.product, offerIri: local.offer, enterpriseIri: local.enterprise,
          peerId: null, productType: APPLE, stock: 10, inStock: true, price: 2.5, currency: EURO, latitude: PLACE_LIMOGES.latitude,
          longitude: PLACE_LIMOGES.longitude, postcode: '87000',
        });
        expect(rows.find((r) => r.source === `peer:${peerId}`)).to.deep.include({ peerId, enterpriseIri: ids(PEER_A, 'verger').enterprise, postcode: '75001' });
      });

      it('answers each filter: type, text, place, stock, enterprise, source', async () => {
        const { peerId } = await seedIndex();
        const names = async (query: Parameters<NodeStore['index']['queryEntries']>[0]): Promise<(string | null)[]> =>
          (await store.index.queryEntries(query)).map((r) => r.name);
        expect(await names({ types: [APPLE] })).to.deep.equal(['Pommes Golden', 'Pommes Reinette']);
        expect(await names({ types: [APPLE, PEAR] })).to.deep.equal(['Poires', 'Pommes Golden', 'Pommes Reinette']);
        expect(await names({ types: [] })).to.deep.equal([]);
        expect(await names({ text: 'pommes' })).to.deep.equal(['Pommes Golden', 'Pommes Reinette']);
        expect(await names({ text: 'POMMES croquantes' })).to.deep.equal(['Pommes Reinette']);
        expect(await names({ text: '100%' })).to.deep.equal(['Poires']);
        expect(await names({ text: '_' })).to.deep.equal([]);
        expect(await names({ box: { minLat: 45, maxLat: 46, minLon: 1, maxLon: 2 } })).to.deep.equal(['Poires', 'Pommes Reinette']);
        expect(await names({ inStock: true })).to.deep.equal(['Pommes Golden', 'Pommes Reinette']);
        expect(await names({ enterprise: ids(PEER_A, 'verger').enterprise })).to.deep.equal(['Pommes Golden']);
        expect(await names({ source: 'local' })).to.deep.equal(['Poires', 'Pommes Reinette']);
        expect(await names({ source: String(peerId) })).to.deep.equal(['Pommes Golden']);
        expect(await names({ types: [APPLE], source: 'local', inStock: true, text: 'reinette' })).to.deep.equal(['Pommes Reinette']);
      });

      it('gives light matches whose ids give the full rows, in the order asked', async () => {
        await seedIndex();
        const matches = await store.index.queryMatches({ types: [APPLE] });
        const full = await store.index.queryEntries({ types: [APPLE] });
        expect(matches.map((m) => [m.latitude, m.longitude])).to.deep.equal(full.map((r) => [r.latitude, r.longitude]));
        expect(await store.index.entriesByIds(matches.map((m) => m.id))).to.deep.equal(full);
        expect(await store.index.entriesByIds([...matches.map((m) => m.id)].reverse())).to.deep.equal([...full].reverse());
        expect(await store.index.queryMatches({ types: [] })).to.deep.equal([]);
      });

      it('rebuilds our own rows only when an enterprise\'s version moved, and drops those of an enterprise gone', async () => {
        await seedIndex();
        await store.apply('ferme', { upsert: [{ ...product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes Canada', type: APPLE })[0] }] });
        // Not refreshed yet: the index still says what it said.
        expect((await store.index.queryEntries({ source: 'local' })).map((r) => r.name)).to.include('Pommes Reinette');
        await refreshLocal();
        expect((await store.index.queryEntries({ source: 'local' })).map((r) => r.name)).to.deep.equal(['Poires', 'Pommes Canada']);
        let asked = 0;
        await store.index.refreshLocal(new Map(), async () => {
          asked++;
          return [];
        });
        expect(asked).to.equal(0);
        expect(await store.index.queryEntries({ source: 'local' })).to.deep.equal([]);
      });

      it('elects one winner per product: the origin over a relay, and keeps every source\'s row for the asking', async () => {
        const origin = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/catalog` }, PEER_A);
        const relay = await store.provenance.addPeer({ name: 'r', url: `${PEER_R}/catalog` }, PEER_R);
        const records = [...enterprise(PEER_A, 'verger', PLACE_PARIS), ...product(PEER_A, 'verger', { slug: 'pommes', name: 'Pommes', price: 2 })];
        // The relay syncs first, with its own price: the origin still wins once it is there.
        await store.provenance.applySnapshot(relay.id, snapshot(planOf(records.map((r) => (r.kind === 'Offer' ? { ...r, price: { value: 9, currency: EURO } } : r)),
          { authoritative: false, sourceUrl: `${PEER_R}/catalog` }), '2026-01-01T00:00:00.000Z'));
        expect((await store.index.queryEntries({})).map((r) => [r.source, r.price])).to.deep.equal([[`peer:${relay.id}`, 9]]);
        await store.provenance.applySnapshot(origin.id, snapshot(planOf(records), '2026-01-01T00:00:00.000Z'));
        expect((await store.index.queryEntries({})).map((r) => [r.source, r.price])).to.deep.equal([[`peer:${origin.id}`, 2]]);
        const key = ids(PEER_A, 'verger', 'pommes').product;
        expect((await store.index.rowsOfKeys([key])).map((r) => r.source)).to.deep.equal([`peer:${origin.id}`, `peer:${relay.id}`]);
        // The origin withdraws it: the relay's copy does not come back in its place.
        await store.provenance.applySnapshot(origin.id, snapshot(planOf([], { withdrawn: [ids(PEER_A, 'verger', 'pommes').item] }), '2026-01-02T00:00:00.000Z'));
        expect(await store.index.queryEntries({})).to.deep.equal([]);
        expect((await store.index.rowsOfKeys([key])).map((r) => r.source)).to.deep.equal([`peer:${relay.id}`]);
        // The origin gone, the relay's copy is all there is.
        await store.provenance.removePeer(origin.id);
        expect((await store.index.queryEntries({})).map((r) => r.source)).to.deep.equal([`peer:${relay.id}`]);
      });

      it('re-indexes a small change of a peer: an offer\'s new price', async () => {
        const { peerId } = await seedIndex();
        const [, , offer] = product(PEER_A, 'verger', { slug: 'pommes', name: 'Pommes Golden', type: APPLE, price: 2, stock: null });
        await store.provenance.applySnapshot(peerId, snapshot(planOf([{ ...offer, price: { value: 2.2, currency: EURO } }]), '2026-01-02T00:00:00.000Z'));
        expect((await store.index.queryEntries({ source: String(peerId) })).map((r) => [r.name, r.price, r.postcode])).to.deep.equal([['Pommes Golden', 2.2, '75001']]);
      });

      it('gives records of one source, our public enterprises\' or a peer\'s', async () => {
        const { peerId } = await seedIndex();
        const local = ids(BASE, 'ferme', 'pommes');
        expect((await store.index.recordsIn('local:ferme', [local.product, local.item, `${BASE}/nothing`])).map((r) => r.id).sort())
          .to.deep.equal([local.item, local.product]);
        const secret = ids(BASE, 'secret', 'truffes');
        expect(await store.index.recordsIn('local:secret', [secret.product])).to.deep.equal([]);
        const remote = ids(PEER_A, 'verger', 'pommes');
        expect((await store.index.recordsIn(`peer:${peerId}`, [remote.offer])).map((r) => r.id)).to.deep.equal([remote.offer]);
        expect(await store.index.recordsIn(`peer:${peerId}`, [local.product])).to.deep.equal([]);
      });

      it('gives each record from its best source: our own node first, then an authoritative peer, then a relay', async () => {
        await createFarm('ferme');
        const ours = product(BASE, 'ferme', { slug: 'pommes', name: 'Pommes (ours)' });
        await store.apply('ferme', { upsert: ours });
        await createFarm('secret', { private: true });
        const hidden = product(BASE, 'secret', { slug: 'truffes', name: 'Truffes' });
        await store.apply('secret', { upsert: hidden });
        const relay = await store.provenance.addPeer({ name: 'r', url: `${PEER_R}/catalog` }, PEER_R);
        const origin = await store.provenance.addPeer({ name: 'a', url: `${PEER_A}/catalog` }, PEER_A);
        const theirs = product(PEER_A, 'verger', { slug: 'pommes', name: 'Pommes (origin)' });
        const relayed = theirs.map((r) => ({ ...r, name: 'Pommes (relay)' }) as DfcRecord);
        // The relay also copies one of ours; and it is the only one to hold a record of a third origin.
        const third = product('https://third.example', 'x', { slug: 'coings', name: 'Coings' })[0];
        await store.provenance.applySnapshot(relay.id, snapshot(planOf([...relayed, { ...ours[0], name: 'Pommes (copied)' }, third], { authoritative: false }), '2026-01-02T00:00:00.000Z'));
        await store.provenance.applySnapshot(origin.id, snapshot(planOf(theirs), '2026-01-01T00:00:00.000Z'));
        const found = await store.index.recordsOf([ours[0].id, theirs[0].id, third.id, hidden[0].id, `${BASE}/nothing`]);
        expect(found.get(ours[0].id)).to.deep.equal({ record: ours[0], source: 'local:ferme' });
        expect(found.get(theirs[0].id)).to.deep.equal({ record: theirs[0], source: `peer:${origin.id}` });
        expect(found.get(third.id)).to.deep.equal({ record: third, source: `peer:${relay.id}` });
        expect(found.has(hidden[0].id)).to.equal(false);
        expect(found.size).to.equal(3);
        // A withdrawn record is no source.
        await store.provenance.applySnapshot(origin.id, snapshot(planOf([], { withdrawn: [theirs[0].id] }), '2026-01-03T00:00:00.000Z'));
        expect((await store.index.recordsOf([theirs[0].id])).get(theirs[0].id)?.source).to.equal(`peer:${relay.id}`);
      });
    });
  });
}
