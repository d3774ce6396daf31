/**
 * No peer damages another's data: an enterprise is named and placed by its origin's word, in every view of the index
 * (the producers' directory, the towns, the offers' rows and their text), and an item is attributed only to an
 * enterprise of its own origin (never to this node's, nor to a third party's).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressRecord, CatalogItemRecord, DfcRecord, EnterpriseRecord, OfferRecord, SuppliedProductRecord } from '../../../../ontology/records.js';
import { toIri } from '../../../../ontology/iri.js';
import { measureIri } from '../../../../ontology/units.js';
import { entriesOf, sellerOf } from '../../../../server/store/federated-entries.js';
import type { MergePlan, SnapshotWrite } from '../../../../server/store/federation.js';
import { SqliteStore } from '../../../../server/store/sqlite/sqlite-store.js';
import { readRows } from '../../../helpers/sqlite.js';

const BASE = 'http://node.test';
const ORIGIN = 'https://origin.example';
const RELAY = 'https://relay.example';
const OTHER_RELAY = 'https://other-relay.example';

/** A snapshot of a peer at `origin`: authoritative for the records under it, as the merge says. */
function snapshot(origin: string, records: readonly DfcRecord[], now: string): SnapshotWrite {
  const upsert = records.map((record) => {
    const json = JSON.stringify(record);
    return {
      iri: record.id, kind: record.kind, record, json, hash: createHash('sha1').update(json).digest('base64url'),
      authoritative: record.id.startsWith(`${origin}/`), sourceUrl: `${origin}/catalog`,
    };
  });
  const plan: MergePlan = { upsert, added: upsert.length, updated: 0, unchanged: 0, missing: [], withdrawn: [], restored: [], refused: [] };
  return { plan, sources: new Map(), quarantine: [], replaceQuarantine: false, now };
}

/** A farm at `origin` (its `@id`s there), named and placed as given. */
function farm(origin: string, name: string, city: string, lat: number, lon: number, at = origin): { enterprise: EnterpriseRecord; address: AddressRecord } {
  const address: AddressRecord = { kind: 'Address', id: toIri(`${at}/addresses/${city.toLowerCase()}`), city, postcode: '87000', latitude: lat, longitude: lon };
  const enterprise: EnterpriseRecord = {
    kind: 'Enterprise', id: toIri(`${origin}/enterprises/farm`), name, address: address.id, supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [],
  };
  return { enterprise, address };
}

/** An offered product at `origin`, its item managed by `enterprise`. */
function offered(origin: string, slug: string, enterprise: string, name = slug): DfcRecord[] {
  const product: SuppliedProductRecord = { kind: 'SuppliedProduct', id: toIri(`${origin}/products/${slug}`), name, images: [], variantOf: [], variants: [], catalogItems: [] };
  const offer: OfferRecord = {
    kind: 'Offer', id: toIri(`${origin}/offers/${slug}`), item: toIri(`${origin}/items/${slug}`), price: { value: 2, currency: measureIri('Euro') }, stock: 5,
  };
  const item: CatalogItemRecord = {
    kind: 'CatalogItem', id: toIri(`${origin}/items/${slug}`), product: product.id, stock: 5, offers: [offer.id], listedIn: [], managedBy: toIri(enterprise),
  };
  return [product, item, offer];
}

const E = `${ORIGIN}/enterprises/farm`;

describe('store: an enterprise is named and placed by its origin, and no peer attributes offers to another\'s enterprise', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-authority-'));
    file = join(dir, 'node.db');
    store = await SqliteStore.open({ path: file, baseUrl: BASE });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rowsOf = (where: string, params: string[] = []): Promise<{ item_iri: string; enterprise_iri: string | null; enterprise_name: string | null; city: string | null }[]> =>
    readRows(file, `SELECT item_iri, enterprise_iri, enterprise_name, city FROM federated_entries WHERE ${where} ORDER BY item_iri`, params);

  it('attributes an item to an enterprise of its own origin only (the first of its candidates there)', () => {
    expect(sellerOf(`${ORIGIN}/items/1`, [`${BASE}/api/dfc/enterprises/ours`, `${ORIGIN}/enterprises/farm`])).to.equal(`${ORIGIN}/enterprises/farm`);
    expect(sellerOf(`${RELAY}/items/1`, [E])).to.equal(null);
    expect(sellerOf(`${RELAY}/items/1`, [`${BASE}/api/dfc/enterprises/ours`])).to.equal(null);
    // The origin is compared as an origin: another port, another scheme or another host is another origin.
    expect(sellerOf('https://origin.example:8443/items/1', [E])).to.equal(null);
    expect(sellerOf('http://origin.example/items/1', [E])).to.equal(null);
    expect(sellerOf('HTTPS://Origin.Example/items/1', [E])).to.equal(E);
    expect(sellerOf('https://origin.example:443/items/1', [E])).to.equal(E);
    expect(sellerOf('urn:x:1', ['urn:x:2'])).to.equal(null);
  });

  it('lists an item of one origin that names another\'s enterprise (this node\'s, or a third party\'s) under no enterprise', () => {
    const ours = `${BASE}/api/dfc/enterprises/ferme`;
    const { enterprise, address } = farm(RELAY, 'Relais', 'Tulle', 45.27, 1.77);
    const entries = entriesOf([enterprise, address, ...offered(RELAY, 'fake', ours), ...offered(RELAY, 'claim', E), ...offered(RELAY, 'own', enterprise.id)]);
    const byItem = new Map(entries.map((e) => [e.itemIri, e]));
    for (const slug of ['fake', 'claim']) {
      expect(byItem.get(`${RELAY}/items/${slug}`)).to.deep.include({ enterpriseIri: null, enterpriseName: null, city: null, latitude: null });
    }
    expect(byItem.get(`${RELAY}/items/own`)).to.deep.include({ enterpriseIri: enterprise.id, enterpriseName: 'Relais', city: 'Tulle' });
  });

  it('shows the origin\'s name and place of an enterprise, never a relay\'s copy, in the directory, the towns and enterprise names', async () => {
    // The relay is added first (the lowest peer id): it must not win a tie it should not be in.
    const relay = await store.provenance.addPeer({ name: 'relay', url: `${RELAY}/catalog` }, RELAY);
    const origin = await store.provenance.addPeer({ name: 'origin', url: `${ORIGIN}/catalog` }, ORIGIN);
    const real = farm(ORIGIN, 'Ferme du Vrai', 'Limoges', 45.83, 1.26);
    // The relay's copy of the same enterprise (its @id, O's origin), renamed and moved; its address under its own origin.
    const fake = farm(ORIGIN, 'Ferme Usurpée', 'Brest', 48.39, -4.49, RELAY);
    await store.provenance.applySnapshot(origin.id, snapshot(ORIGIN, [real.enterprise, real.address, ...offered(ORIGIN, 'leeks', E, 'Poireaux')], '2026-01-01T00:00:00.000Z'));
    // The relay: a copy of the origin's item, an item of the origin's the origin does not list (relayed alone), and
    // items of its own claiming the origin's enterprise.
    await store.provenance.applySnapshot(relay.id, snapshot(RELAY, [
      fake.enterprise, fake.address, ...offered(ORIGIN, 'leeks', E, 'Poireaux'), ...offered(ORIGIN, 'onions', E, 'Oignons'),
      ...offered(RELAY, 'claimed', E, 'Carottes'),
    ], '2026-01-01T00:00:00.000Z'));

    const { producers } = await store.index.producerRows({}, 100);
    expect(producers.map((p) => [p.iri, p.name, p.city, p.lat, p.lon])).to.deep.equal([[E, 'Ferme du Vrai', 'Limoges', 45.83, 1.26]]);
    expect((await store.index.places()).map((p) => p.city)).to.deep.equal(['Limoges']);
    expect((await store.index.enterprises()).find((e) => e.iri === E)?.name).to.equal('Ferme du Vrai');
    // The relay's own item claiming the origin's enterprise is attributed to nobody: no offer listed under it.
    expect(await rowsOf('item_iri = ?', [`${RELAY}/items/claimed`])).to.deep.equal([
      { item_iri: `${RELAY}/items/claimed`, enterprise_iri: null, enterprise_name: null, city: null },
    ]);
    expect((await store.index.queryEntries({ enterprise: E })).map((r) => r.itemIri).sort()).to.deep.equal([`${ORIGIN}/items/leeks`, `${ORIGIN}/items/onions`]);
  });

  for (const order of ['the origin first', 'the relay first'] as const) {
    it(`names and places an enterprise by its origin's word beside items only a relay lists, in their rows and text (${order})`, async () => {
      const relay = await store.provenance.addPeer({ name: 'relay', url: `${RELAY}/catalog` }, RELAY);
      const origin = await store.provenance.addPeer({ name: 'origin', url: `${ORIGIN}/catalog` }, ORIGIN);
      const real = farm(ORIGIN, 'Ferme du Vrai', 'Limoges', 45.83, 1.26);
      const fake = farm(ORIGIN, 'Ferme Usurpée', 'Brest', 48.39, -4.49, RELAY);
      const syncs = [
        () => store.provenance.applySnapshot(origin.id, snapshot(ORIGIN, [real.enterprise, real.address, ...offered(ORIGIN, 'leeks', E, 'Poireaux')], '2026-01-01T00:00:00.000Z')),
        // An item of the origin's that the origin does not list (or no longer): the relay's copy is all there is of it.
        () => store.provenance.applySnapshot(relay.id, snapshot(RELAY, [fake.enterprise, fake.address, ...offered(ORIGIN, 'onions', E, 'Oignons')], '2026-01-01T00:00:00.000Z')),
      ];
      for (const sync of order === 'the origin first' ? syncs : [...syncs].reverse()) await sync();
      const onions = `${ORIGIN}/items/onions`;
      expect(await rowsOf('item_iri = ?', [onions])).to.deep.equal([{ item_iri: onions, enterprise_iri: E, enterprise_name: 'Ferme du Vrai', city: 'Limoges' }]);
      expect((await store.index.queryEntries({ text: 'usurpee' })).map((r) => r.itemIri)).to.deep.equal([]);
      expect((await store.index.queryEntries({ text: 'vrai' })).map((r) => r.itemIri).sort()).to.deep.equal([`${ORIGIN}/items/leeks`, onions]);
      // Moved: within 10 km of Brest, nothing; of Limoges, both.
      expect(await store.index.queryEntries({ circle: { lat: 48.39, lon: -4.49, radiusKm: 10 } })).to.deep.equal([]);
      expect((await store.index.queryEntries({ circle: { lat: 45.83, lon: 1.26, radiusKm: 10 } }))).to.have.length(2);

      // The origin renames its enterprise: the relay's rows follow it, without the relay syncing again.
      await store.provenance.applySnapshot(origin.id, snapshot(ORIGIN, [{ ...real.enterprise, name: 'Ferme du Vrai Nom' }], '2026-01-02T00:00:00.000Z'));
      expect((await rowsOf('item_iri = ?', [onions]))[0]?.enterprise_name).to.equal('Ferme du Vrai Nom');
      expect((await store.index.producerRows({}, 100)).producers.map((p) => p.name)).to.deep.equal(['Ferme du Vrai Nom']);
    });
  }

  it('does not name and place an enterprise by a relay\'s copy once its origin withdrew it', async () => {
    const origin = await store.provenance.addPeer({ name: 'origin', url: `${ORIGIN}/catalog` }, ORIGIN);
    const relay = await store.provenance.addPeer({ name: 'relay', url: `${RELAY}/catalog` }, RELAY);
    const real = farm(ORIGIN, 'Ferme du Vrai', 'Limoges', 45.83, 1.26);
    const fake = farm(ORIGIN, 'Ferme du Vrai (fermée, voir Evil Corp)', 'Paris', 48.85, 2.35, RELAY);
    await store.provenance.applySnapshot(origin.id, snapshot(ORIGIN, [real.enterprise, real.address, ...offered(ORIGIN, 'leeks', E, 'Poireaux')], '2026-01-01T00:00:00.000Z'));
    await store.provenance.applySnapshot(relay.id, snapshot(RELAY, [fake.enterprise, fake.address, ...offered(ORIGIN, 'onions', E, 'Oignons')], '2026-01-01T00:00:00.000Z'));
    const onions = `${ORIGIN}/items/onions`;
    expect((await rowsOf('item_iri = ?', [onions]))[0]?.enterprise_name).to.equal('Ferme du Vrai');
    // The origin's enterprise leaves its snapshot, and is withdrawn: the relay's copy does not take its place.
    const gone = snapshot(ORIGIN, [], '2026-01-09T00:00:00.000Z');
    await store.provenance.applySnapshot(origin.id, { ...gone, plan: { ...gone.plan, withdrawn: [E] } });
    for (const row of await rowsOf('enterprise_iri = ?', [E])) {
      expect(row.enterprise_name, row.item_iri).to.not.match(/fermée/u);
      expect(row.city, row.item_iri).to.not.equal('Paris');
    }
    expect(await store.index.queryEntries({ text: 'evil' })).to.deep.equal([]);
    expect(await store.index.queryEntries({ circle: { lat: 48.85, lon: 2.35, radiusKm: 10 } })).to.deep.equal([]);
    // The relay syncing again changes nothing of that.
    await store.provenance.applySnapshot(relay.id, snapshot(RELAY, [{ ...fake.enterprise, description: 'again' }, fake.address, ...offered(ORIGIN, 'onions', E, 'Oignons')],
      '2026-01-10T00:00:00.000Z'));
    expect((await rowsOf('item_iri = ?', [onions]))[0]?.city).to.not.equal('Paris');
    expect(await store.index.queryEntries({ text: 'evil' })).to.deep.equal([]);
  });

  it('names and places nothing by a removed origin\'s word, on a relay\'s rows that were hidden behind the origin\'s', async () => {
    const origin = await store.provenance.addPeer({ name: 'origin', url: `${ORIGIN}/catalog` }, ORIGIN);
    const relay = await store.provenance.addPeer({ name: 'relay', url: `${RELAY}/catalog` }, RELAY);
    const real = farm(ORIGIN, 'Ferme du Vrai', 'Limoges', 45.83, 1.26);
    await store.provenance.applySnapshot(origin.id, snapshot(ORIGIN, [real.enterprise, real.address, ...offered(ORIGIN, 'leeks', E, 'Poireaux')], '2026-01-01T00:00:00.000Z'));
    // The relay copies the origin's item, and says nothing of its enterprise: its row takes the origin's word, hidden
    // behind the origin's own row.
    await store.provenance.applySnapshot(relay.id, snapshot(RELAY, offered(ORIGIN, 'leeks', E, 'Poireaux'), '2026-01-01T00:00:00.000Z'));
    const leeks = `${ORIGIN}/items/leeks`;
    expect((await store.index.queryEntries({})).map((r) => r.source)).to.deep.equal([`peer:${origin.id}`]);
    await store.provenance.removePeer(origin.id);
    // The relay's row is listed now, and names and places nothing: the only word about the enterprise went with its peer.
    expect(await rowsOf('item_iri = ?', [leeks])).to.deep.equal([{ item_iri: leeks, enterprise_iri: E, enterprise_name: null, city: null }]);
    expect((await store.index.queryEntries({})).map((r) => [r.source, r.enterpriseName, r.latitude])).to.deep.equal([[`peer:${relay.id}`, null, null]]);
    expect(await store.index.queryEntries({ text: 'vrai' })).to.deep.equal([]);
    expect(await store.index.queryEntries({ circle: { lat: 45.83, lon: 1.26, radiusKm: 10 } })).to.deep.equal([]);
    expect((await store.index.producerRows({}, 100)).producers).to.deep.equal([]);
    expect(await store.index.places()).to.deep.equal([]);
  });

  for (const change of ['renames', 'withdraws'] as const) {
    it(`has a relay's row hidden behind another relay's follow the origin that ${change} the enterprise (shown once the other relay goes)`, async () => {
      const origin = await store.provenance.addPeer({ name: 'origin', url: `${ORIGIN}/catalog` }, ORIGIN);
      const first = await store.provenance.addPeer({ name: 'first', url: `${RELAY}/catalog` }, RELAY);
      const second = await store.provenance.addPeer({ name: 'second', url: `${OTHER_RELAY}/catalog` }, OTHER_RELAY);
      const real = farm(ORIGIN, 'Ferme du Vrai', 'Limoges', 45.83, 1.26);
      await store.provenance.applySnapshot(origin.id, snapshot(ORIGIN, [real.enterprise, real.address, ...offered(ORIGIN, 'leeks', E, 'Poireaux')], '2026-01-01T00:00:00.000Z'));
      // Both relays list an item of the origin's the origin does not: one row is listed, the other hidden behind it.
      for (const [peer, at] of [[first, RELAY], [second, OTHER_RELAY]] as const) {
        await store.provenance.applySnapshot(peer.id, snapshot(at, offered(ORIGIN, 'onions', E, 'Oignons'), '2026-01-01T00:00:00.000Z'));
      }
      const onions = `${ORIGIN}/items/onions`;
      const listed = (await store.index.queryEntries({ text: 'oignons' })).map((r) => r.peerId);
      expect(listed).to.have.length(1);
      if (change === 'renames') {
        await store.provenance.applySnapshot(origin.id, snapshot(ORIGIN, [{ ...real.enterprise, name: 'Ferme du Vrai Nom' }], '2026-01-02T00:00:00.000Z'));
      } else {
        const gone = snapshot(ORIGIN, [], '2026-01-09T00:00:00.000Z');
        await store.provenance.applySnapshot(origin.id, { ...gone, plan: { ...gone.plan, withdrawn: [E] } });
      }
      const expected = change === 'renames' ? 'Ferme du Vrai Nom' : null;
      // Every row of the item, listed or not, follows the origin's word.
      for (const row of await rowsOf('item_iri = ?', [onions])) expect(row.enterprise_name).to.equal(expected);
      await store.provenance.removePeer(listed[0] as number);
      const rows = await store.index.queryEntries({ text: 'oignons' });
      expect(rows.map((r) => r.enterpriseName)).to.deep.equal([expected]);
    });
  }

  describe('an item a relay lists under the origin of a peer followed whole, which does not publish it', () => {
    const caviar = `${ORIGIN}/items/caviar`;
    const listedItems = async (): Promise<string[]> => (await store.index.queryEntries({})).map((r) => r.itemIri).sort();
    const synced = (peerId: number, summary: Record<string, unknown> = {}): Promise<boolean> => store.provenance.recordAttempt(peerId, {
      status: 'ok', at: '2026-01-01T00:00:00.000Z', nextAttemptAt: '2026-01-01T01:00:00.000Z', failures: 0, error: null, owner: 'test',
      summary: { added: 0, updated: 0, unchanged: 0, withdrawn: 0, quarantined: 0, refused: 0, pages: 1, notModified: 0, bytes: 0, ms: 1, ...summary },
    });

    async function seed(originUrl: string): Promise<{ origin: number; relay: number }> {
      const relay = await store.provenance.addPeer({ name: 'relay', url: `${RELAY}/catalog` }, RELAY);
      const origin = await store.provenance.addPeer({ name: 'origin', url: originUrl }, ORIGIN);
      const real = farm(ORIGIN, 'Ferme du Vrai', 'Limoges', 45.83, 1.26);
      // The relay first: its invention is all there is until the origin is followed whole.
      await store.provenance.applySnapshot(relay.id, snapshot(RELAY, [...offered(ORIGIN, 'leeks', E, 'Poireaux'), ...offered(ORIGIN, 'caviar', E, 'Caviar')],
        '2026-01-01T00:00:00.000Z'));
      await synced(relay.id);
      await store.provenance.applySnapshot(origin.id, snapshot(ORIGIN, [real.enterprise, real.address, ...offered(ORIGIN, 'leeks', E, 'Poireaux')], '2026-01-01T00:00:00.000Z'));
      return { origin: origin.id, relay: relay.id };
    }

    it('is not shown once that origin is followed whole, is said in the relay\'s count, and comes back with the origin\'s word or without the origin', async () => {
      const { origin, relay } = await seed(`${ORIGIN}/`);
      expect(await listedItems()).to.deep.equal([caviar, `${ORIGIN}/items/leeks`]);
      await synced(origin);
      expect(await listedItems()).to.deep.equal([`${ORIGIN}/items/leeks`]);
      expect(await store.index.queryEntries({ text: 'caviar' })).to.deep.equal([]);
      expect((await store.index.queryEntries({ enterprise: E })).map((r) => r.itemIri)).to.deep.equal([`${ORIGIN}/items/leeks`]);
      expect(await store.provenance.unvouched(relay)).to.deep.equal({ count: 1, iris: [caviar] });
      expect(await store.provenance.unvouched(origin)).to.deep.equal({ count: 0, iris: [] });
      // The relay syncing again (its rows rebuilt) changes nothing of it.
      await store.provenance.applySnapshot(relay, snapshot(RELAY, [...offered(ORIGIN, 'leeks', E, 'Poireaux'), ...offered(ORIGIN, 'caviar', E, 'Caviar (2)')],
        '2026-01-02T00:00:00.000Z'));
      expect(await listedItems()).to.deep.equal([`${ORIGIN}/items/leeks`]);
      // The origin publishes it: listed, the origin's; withdrawn by it: gone again.
      await store.provenance.applySnapshot(origin, snapshot(ORIGIN, offered(ORIGIN, 'caviar', E, 'Caviar'), '2026-01-03T00:00:00.000Z'));
      expect((await store.index.queryEntries({ text: 'caviar' })).map((r) => r.source)).to.deep.equal([`peer:${origin}`]);
      expect(await store.provenance.unvouched(relay)).to.deep.equal({ count: 0, iris: [] });
      const gone = snapshot(ORIGIN, [], '2026-01-04T00:00:00.000Z');
      await store.provenance.applySnapshot(origin, { ...gone, plan: { ...gone.plan, withdrawn: [caviar] } });
      expect(await store.index.queryEntries({ text: 'caviar' })).to.deep.equal([]);
      // The origin no longer followed: the relay's copy is all there is.
      await store.provenance.removePeer(origin);
      expect((await store.index.queryEntries({ text: 'caviar' })).map((r) => r.source)).to.deep.equal([`peer:${relay}`]);
    });

    it('is shown while the origin is not followed whole: one catalogue of it, or a sync that could not read every catalogue', async () => {
      const { origin } = await seed(`${ORIGIN}/catalog`);
      await synced(origin);
      expect(await listedItems()).to.deep.equal([caviar, `${ORIGIN}/items/leeks`]);
      await store.provenance.removePeer(origin);
      const whole = await store.provenance.addPeer({ name: 'whole', url: `${ORIGIN}/` }, ORIGIN);
      const real = farm(ORIGIN, 'Ferme du Vrai', 'Limoges', 45.83, 1.26);
      await store.provenance.applySnapshot(whole.id, snapshot(ORIGIN, [real.enterprise, real.address, ...offered(ORIGIN, 'leeks', E, 'Poireaux')], '2026-01-01T00:00:00.000Z'));
      await synced(whole.id, { unreadable: { count: 1, urls: [`${ORIGIN}/enterprises/other/catalog_items`] } });
      expect(await listedItems()).to.deep.equal([caviar, `${ORIGIN}/items/leeks`]);
      // Every catalogue read at the next sync: followed whole, from now on.
      await synced(whole.id);
      expect(await listedItems()).to.deep.equal([`${ORIGIN}/items/leeks`]);
    });

    it('is shown while the origin is read with a token: its answer is the token holder\'s view, not all it publishes', async () => {
      await seed(`${ORIGIN}/catalog`);
      const peers = await store.provenance.listPeers();
      await store.provenance.removePeer((peers.find((p) => p.name === 'origin') as { id: number }).id);
      const withToken = await store.provenance.addPeer({ name: 'with-token', url: `${ORIGIN}/`, token: 'secret' }, ORIGIN);
      const real = farm(ORIGIN, 'Ferme du Vrai', 'Limoges', 45.83, 1.26);
      await store.provenance.applySnapshot(withToken.id, snapshot(ORIGIN, [real.enterprise, real.address, ...offered(ORIGIN, 'leeks', E, 'Poireaux')], '2026-01-01T00:00:00.000Z'));
      await synced(withToken.id);
      expect(await listedItems()).to.deep.equal([caviar, `${ORIGIN}/items/leeks`]);
    });
  });

  it('between relays alone, takes the copy of the lowest peer id, whatever order they synced in', async () => {
    const first = await store.provenance.addPeer({ name: 'first', url: `${RELAY}/catalog` }, RELAY);
    const second = await store.provenance.addPeer({ name: 'second', url: `${OTHER_RELAY}/catalog` }, OTHER_RELAY);
    const one = farm(ORIGIN, 'Copie Un', 'Tulle', 45.27, 1.77, RELAY);
    const two = farm(ORIGIN, 'Copie Deux', 'Brive', 45.16, 1.53, OTHER_RELAY);
    // The second relay's copy written last and first, in turn: the first relay's copy is shown either way.
    for (const order of [[second, first], [first, second]] as const) {
      for (const peer of order) {
        const copy = peer.id === first.id ? one : two;
        await store.provenance.applySnapshot(peer.id, snapshot(peer.id === first.id ? RELAY : OTHER_RELAY, [
          { ...copy.enterprise, description: `at ${order.indexOf(peer)}` }, copy.address, ...offered(ORIGIN, `item-${peer.id}`, E),
        ], `2026-01-0${order.indexOf(peer) + 1}T00:00:00.000Z`));
      }
      const { producers } = await store.index.producerRows({}, 100);
      expect(producers.map((p) => [p.name, p.city])).to.deep.equal([['Copie Un', 'Tulle']]);
    }
  });
});
