import { expect } from 'chai';
import type { NodeId } from '../../../ontology/iri.js';
import type { CatalogItemRecord, EnterpriseRecord, SuppliedProductRecord } from '../../../ontology/records.js';
import { recordVersion } from '../../../server/store/store.js';
import { SqliteStore } from '../../../server/store/sqlite/sqlite-store.js';
import { MIGRATIONS } from '../../../server/store/sqlite/migrations.js';

const BASE = 'https://node.example';
const E = `${BASE}/api/dfc/enterprises/ferme` as NodeId;
const enterprise: EnterpriseRecord = { kind: 'Enterprise', id: E, name: 'Ferme', supplies: [], manages: [], maintains: [], customerCategories: [], affiliates: [] };
const product: SuppliedProductRecord = {
  kind: 'SuppliedProduct', id: `${E}/supplied_products/tomate` as NodeId, name: 'Tomate', images: [], variantOf: [], variants: [], catalogItems: [],
};
const item: CatalogItemRecord = { kind: 'CatalogItem', id: `${E}/catalog_items/tomate` as NodeId, stock: 5, offers: [], listedIn: [] };

describe('Versions of resources and profiles (migration 8)', () => {
  let store: SqliteStore;

  beforeEach(async () => {
    store = await SqliteStore.open({ path: ':memory:', baseUrl: BASE });
    await store.createEnterprise('ferme', E, [enterprise]);
  });
  afterEach(async () => {
    await store.close();
  });

  it('is migration 8', () => {
    expect(MIGRATIONS.find((m) => m.version === 8)?.sql).to.include('ADD COLUMN version');
  });

  it('a resource\'s version is the recordVersion of what was written, read back as it is', async () => {
    await store.apply('ferme', { upsert: [product] });
    const stored = await store.getResource(product.id);
    expect(stored?.version).to.equal(recordVersion(product));
    expect((await store.getResources([product.id]))[0]?.version).to.equal(stored?.version);
    expect((await store.listResources('ferme', ['SuppliedProduct']))[0]?.version).to.equal(stored?.version);
  });

  it('changes with every change of the record, and not with an identical rewrite', async () => {
    await store.apply('ferme', { upsert: [item] });
    const v1 = (await store.getResource(item.id))?.version;
    await store.apply('ferme', { upsert: [{ ...item }] });
    expect((await store.getResource(item.id))?.version).to.equal(v1);
    await store.apply('ferme', { upsert: [{ ...item, stock: 4 }], expect: new Map([[item.id, item]]) });
    const v2 = (await store.getResource(item.id))?.version;
    expect(v2).to.not.equal(v1);
    // Back to the first content: the same version (a version is a content hash; never a stale match).
    await store.apply('ferme', { upsert: [item] });
    expect((await store.getResource(item.id))?.version).to.equal(v1);
  });

  it('the profile version moves with the profile and the list of products and items, not with stock', async () => {
    const profile = async () => (await store.getEnterprise('ferme'))?.profileVersion as number;
    const p0 = await profile();
    await store.apply('ferme', { upsert: [product, item] });
    const p1 = await profile();
    expect(p1).to.be.greaterThan(p0);
    const version = (await store.getEnterprise('ferme'))?.version as number;
    await store.apply('ferme', { upsert: [{ ...item, stock: 1 }] });
    expect(await profile()).to.equal(p1);
    expect((await store.getEnterprise('ferme'))?.version).to.be.greaterThan(version);
    await store.apply('ferme', { upsert: [{ ...enterprise, name: 'Ferme 2' }] });
    const p2 = await profile();
    expect(p2).to.be.greaterThan(p1);
    await store.apply('ferme', { upsert: [{ ...product, variants: [`${E}/supplied_products/other` as NodeId] }] });
    const p3 = await profile();
    expect(p3, 'a product that becomes a group leaves the supplies list').to.be.greaterThan(p2);
    await store.apply('ferme', { upsert: [{ ...product, name: 'Tomate ronde' }] });
    expect(await profile(), 'a group that becomes a product again').to.be.greaterThan(p3);
    const p4 = await profile();
    await store.apply('ferme', { upsert: [{ ...product, name: 'Tomate cerise' }] });
    expect(await profile(), 'a product renamed: the profile lists its id only').to.equal(p4);
    await store.apply('ferme', { delete: [item.id] });
    expect(await profile()).to.be.greaterThan(p4);
  });
});
