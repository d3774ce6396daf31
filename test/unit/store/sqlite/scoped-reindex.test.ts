/**
 * A small change of a peer (a few stock updates) re-indexes only the items it touches: their rows must be the
 * rows a rebuild of the peer's whole graph gives, whatever way the peer links an item to its enterprise.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressRecord, CatalogItemRecord, DfcRecord, EnterpriseRecord, OfferRecord, SuppliedProductRecord } from '../../../../ontology/records.js';
import { toIri } from '../../../../ontology/iri.js';
import { measureIri } from '../../../../ontology/units.js';
import type { MergePlan, SnapshotWrite } from '../../../../server/store/federation.js';
import { SqliteStore } from '../../../../server/store/sqlite/sqlite-store.js';
import { resourceIds as ids } from '../../../helpers/sample-records.js';
import { readRows } from '../../../helpers/sqlite.js';

const BASE = 'http://node.test';
const PEER = 'https://peer.example';
const PAGE = `${PEER}/catalog`;

function planOf(records: readonly DfcRecord[]): MergePlan {
  const upsert = records.map((record) => {
    const json = JSON.stringify(record);
    return { iri: record.id, kind: record.kind, record, json, hash: createHash('sha1').update(json).digest('base64url'), authoritative: true, sourceUrl: PAGE };
  });
  return { upsert, added: upsert.length, updated: 0, unchanged: 0, missing: [], withdrawn: [], restored: [], refused: [] };
}

function snapshot(records: readonly DfcRecord[], now: string): SnapshotWrite {
  return { plan: planOf(records), sources: new Map(), quarantine: [], replaceQuarantine: false, now };
}

/** A farm with an address, and one product of it whose catalog item is linked to the farm as `link` says. */
function graph(link: 'managedBy' | 'suppliedBy'): { records: DfcRecord[]; offer: OfferRecord } {
  const id = ids(PEER, 'farm', 'leeks');
  const address: AddressRecord = { kind: 'Address', id: toIri(`${PEER}/addresses/farm`), city: 'Limoges', postcode: '87000', latitude: 45.83, longitude: 1.26 };
  const farm: EnterpriseRecord = {
    kind: 'Enterprise', id: id.enterprise, name: 'Ferme des Poireaux', address: address.id, supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [],
  };
  const product: SuppliedProductRecord = {
    kind: 'SuppliedProduct', id: id.product, name: 'Poireaux', images: [], variantOf: [], variants: [], catalogItems: [],
    ...(link === 'suppliedBy' ? { suppliedBy: farm.id } : {}),
  };
  const item: CatalogItemRecord = {
    kind: 'CatalogItem', id: id.item, product: product.id, stock: 5, offers: [id.offer], listedIn: [], ...(link === 'managedBy' ? { managedBy: farm.id } : {}),
  };
  const offer: OfferRecord = { kind: 'Offer', id: id.offer, item: item.id, price: { value: 2.5, currency: measureIri('Euro') }, stock: 5 };
  return { records: [address, farm, product, item, offer], offer };
}

interface Row {
  item_iri: string; enterprise_iri: string | null; enterprise_name: string | null; enterprise_key: string | null; city: string | null;
  latitude: number | null; postcode: string | null; price: number | null; search: string;
}

describe('store: a small change of a peer re-indexes its items as a rebuild would', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-scoped-'));
    file = join(dir, 'node.db');
    store = await SqliteStore.open({ path: file, baseUrl: BASE });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = (): Promise<Row[]> => readRows<Row>(file,
    `SELECT item_iri, enterprise_iri, enterprise_name, enterprise_key, city, latitude, postcode, price, search
     FROM federated_entries WHERE source LIKE 'peer:%'`);

  for (const link of ['managedBy', 'suppliedBy'] as const) {
    it(`keeps the enterprise's name and place of an item linked to it by ${link === 'managedBy' ? 'its managedBy' : "its product's suppliedBy"}`, async () => {
      const peer = await store.provenance.addPeer({ name: 'peer', url: PAGE }, PEER);
      const { records, offer } = graph(link);
      await store.provenance.applySnapshot(peer.id, snapshot(records, '2026-01-01T00:00:00.000Z'));
      const before = await rows();
      expect(before).to.have.length(1);
      expect(before[0]).to.deep.include({
        enterprise_iri: ids(PEER, 'farm').enterprise, enterprise_name: 'Ferme des Poireaux', city: 'Limoges', latitude: 45.83, postcode: '87000', price: 2.5,
      });
      // The producer's name is a word the product is found by.
      expect(before[0]?.search).to.contain('ferme');

      // A new price: one offer changed, its item re-indexed alone.
      await store.provenance.applySnapshot(peer.id, snapshot([{ ...offer, price: { value: 3, currency: measureIri('Euro') } }], '2026-01-02T00:00:00.000Z'));
      const after = await rows();
      expect(after).to.deep.equal([{ ...before[0], price: 3 }]);
    });
  }
});
