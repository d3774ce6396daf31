import { expect } from 'chai';
import { startTestNode, type TestNode } from '../helpers/node.js';

describe('concurrent writes', () => {
  let t: TestNode;
  const FERME = 'ferme-des-trois-chenes';
  const item = `/api/dfc/enterprises/${FERME}/catalog_items/ail-violet`;

  before(async () => {
    t = await startTestNode();
    await t.seed(FERME);
  });
  after(() => t.close());

  const put = (path: string, body: unknown) => t.request('PUT', path, {
    headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });

  it('two partial updates of one catalog item sent at once both apply (neither overwrites the other)', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = await Promise.all([put(item, { 'dfc-b:stockLimitation': 90 + round }), put(item, { 'dfc-b:sku': `SKU-${round}` })]);
      expect([a.status, b.status], `${a.text} ${b.text}`).to.deep.equal([200, 200]);
      const stored = (await t.node.catalog.resource(FERME, 'catalog_items', 'ail-violet')).record;
      expect(stored.kind === 'CatalogItem' && [stored.stock, stored.sku]).to.deep.equal([90 + round, `SKU-${round}`]);
    }
  });

  it('two products of one name posted at once get two ids, and both are kept', async () => {
    const body = JSON.stringify({
      '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json',
      '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Topinambours',
    });
    const headers = { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/ld+json' };
    const [a, b] = await Promise.all([
      t.request('POST', `/api/dfc/enterprises/${FERME}/supplied_products`, { headers, body }),
      t.request('POST', `/api/dfc/enterprises/${FERME}/supplied_products`, { headers, body }),
    ]);
    expect([a.status, b.status]).to.deep.equal([201, 201]);
    const locations = [a.headers.get('location'), b.headers.get('location')];
    expect(new Set(locations).size, String(locations)).to.equal(2);
    for (const location of locations) expect((await t.request('GET', new URL(location ?? '').pathname)).status).to.equal(200);
  });
});
