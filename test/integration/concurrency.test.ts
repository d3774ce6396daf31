import { expect } from 'chai';
import { farmRecords } from '../helpers/in-process.js';
import { startTestNode, type TestNode, type TestResponse } from '../helpers/node.js';

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

describe('concurrency semantics clients rely on', function () {
  this.timeout(60_000);
  let t: TestNode;
  const EID = 'grosse-ferme';
  const N = 40;
  const api = `/api/dfc/enterprises/${EID}`;
  const slugs = Array.from({ length: N }, (_, i) => `produit-${i}`);

  before(async () => {
    t = await startTestNode();
    // Each item's offer mirrors its stock, as Open Food Network's do (one stock per variant).
    const products = slugs.map((id, i) => ({ id, name: `Produit ${i}`, stock: 10, price: 1 + i / 10 }));
    await t.node.catalog.importRecords(EID, farmRecords(EID, { origin: 'https://ofn.example', products }), { create: true });
  });
  after(() => t.close());

  const put = (path: string, body: unknown, headers: Record<string, string> = {}) => t.request('PUT', path, {
    headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  const stored = async (collection: 'catalog_items' | 'offers', slug: string) => (await t.node.catalog.resource(EID, collection, slug)).record;
  const statuses = (responses: readonly TestResponse[]): Record<number, number> => {
    const counts: Record<number, number> = {};
    for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
    return counts;
  };

  it('If-Match: * on 40 different items at once: every one succeeds (the resource exists; nothing else matters)', async () => {
    const responses = await Promise.all(slugs.map((slug, i) => put(`${api}/catalog_items/${slug}`, { 'dfc-b:stockLimitation': 100 + i }, { 'If-Match': '*' })));
    expect(statuses(responses), responses.filter((r) => r.status !== 200).map((r) => r.text).join('\n')).to.deep.equal({ 200: N });
    for (const [i, slug] of slugs.entries()) {
      expect(await stored('catalog_items', slug)).to.include({ stock: 100 + i });
      expect(await stored('offers', slug)).to.include({ stock: 100 + i });
    }
  });

  it('If-Match: * on one item 40 times at once: every one succeeds, never 412 because another write came first', async () => {
    const slug = slugs[4] as string;
    const responses = await Promise.all(Array.from({ length: N }, (_, i) => put(`${api}/catalog_items/${slug}`, { 'dfc-b:stockLimitation': 400 + i }, { 'If-Match': '*' })));
    expect(statuses(responses), responses.filter((r) => r.status !== 200).map((r) => r.text).join('\n')).to.deep.equal({ 200: N });
    const item = await stored('catalog_items', slug);
    expect(item.kind === 'CatalogItem' && item.stock).to.be.oneOf(Array.from({ length: N }, (_, i) => 400 + i));
    expect(await stored('offers', slug)).to.include({ stock: item.kind === 'CatalogItem' ? item.stock : NaN });
  });

  it('If-Match: * on a resource that does not exist is still a 404', async () => {
    expect((await put(`${api}/catalog_items/nowhere`, { 'dfc-b:stockLimitation': 1 }, { 'If-Match': '*' })).status).to.equal(404);
  });

  it('40 plain stock PUTs on one item at once (as Open Food Network sends them): 40 × 200, one writer\'s stock on the item and its offer', async () => {
    const slug = slugs[0] as string;
    const responses = await Promise.all(Array.from({ length: N }, (_, i) => put(`${api}/catalog_items/${slug}`, {
      'dfc-b:stockLimitation': i, 'dfc-b:sku': `SKU-${i}`,
    })));
    expect(statuses(responses), responses.filter((r) => r.status !== 200).map((r) => r.text).join('\n')).to.deep.equal({ 200: N });
    const item = await stored('catalog_items', slug);
    const offer = await stored('offers', slug);
    if (item.kind !== 'CatalogItem' || offer.kind !== 'Offer') throw new Error('not an item and its offer');
    // One writer's value, the same on the item (stock and SKU) and on its offer: never a mix.
    expect(item.stock).to.be.a('number').within(0, N - 1);
    expect(item.sku).to.equal(`SKU-${item.stock}`);
    expect(offer.stock).to.equal(item.stock);
  });

  it('40 plain price PUTs on one offer at once: 40 × 200, the last writer\'s price', async () => {
    const slug = slugs[1] as string;
    const responses = await Promise.all(Array.from({ length: N }, (_, i) => put(`${api}/offers/${slug}`, { 'dfc-b:hasPrice': 5 + i })));
    expect(statuses(responses), responses.filter((r) => r.status !== 200).map((r) => r.text).join('\n')).to.deep.equal({ 200: N });
    const offer = await stored('offers', slug);
    expect(offer.kind === 'Offer' && offer.price?.value).to.be.oneOf(Array.from({ length: N }, (_, i) => 5 + i));
  });

  it('20 product PUTs without If-Match on one product at once: 20 × 200, one writer\'s name', async () => {
    const path = `${api}/supplied_products/${slugs[5] as string}`;
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => t.request('PUT', path, {
      headers: { Authorization: `Bearer ${t.adminToken}`, 'Content-Type': 'application/ld+json' },
      body: JSON.stringify({ '@context': 'https://www.datafoodconsortium.org', '@id': '_:p', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': `Nom ${i}` }),
    })));
    expect(statuses(responses), responses.filter((r) => r.status !== 200).map((r) => r.text).join('\n')).to.deep.equal({ 200: 20 });
    const product = (await t.node.catalog.resource(EID, 'supplied_products', slugs[5] as string)).record;
    expect(product.kind === 'SuppliedProduct' && product.name).to.be.oneOf(Array.from({ length: 20 }, (_, i) => `Nom ${i}`));
  });

  it('a conditional PUT with a real ETag that lost the race is still refused with 412', async () => {
    const path = `${api}/catalog_items/${slugs[2] as string}`;
    const etag = (await t.request('GET', path)).headers.get('etag') ?? '';
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => put(path, { 'dfc-b:stockLimitation': 200 + i }, { 'If-Match': etag })));
    expect(statuses(responses)).to.deep.equal({ 200: 1, 412: 9 });
    const winner = responses.findIndex((r) => r.status === 200);
    expect(await stored('catalog_items', slugs[2] as string)).to.include({ stock: 200 + winner });
  });

  it('plain stock PUTs racing If-Match: * PUTs and price PUTs on the same item and offer: all apply', async () => {
    const slug = slugs[3] as string;
    const responses = await Promise.all(Array.from({ length: N }, (_, i) => (i % 3 === 0
      ? put(`${api}/offers/${slug}`, { 'dfc-b:hasPrice': 1 + i })
      : put(`${api}/catalog_items/${slug}`, { 'dfc-b:stockLimitation': 300 + i }, i % 3 === 1 ? { 'If-Match': '*' } : {}))));
    expect(statuses(responses), responses.filter((r) => r.status !== 200).map((r) => r.text).join('\n')).to.deep.equal({ 200: N });
    const item = await stored('catalog_items', slug);
    const offer = await stored('offers', slug);
    expect(offer.kind === 'Offer' && item.kind === 'CatalogItem' && offer.stock === item.stock).to.equal(true);
  });
});

describe('a profile PUT with If-Match racing stock writes', function () {
  this.timeout(60_000);
  let t: TestNode;
  const EID = 'ferme-profil';
  const api = `/api/dfc/enterprises/${EID}`;

  before(async () => {
    t = await startTestNode();
    const products = Array.from({ length: 10 }, (_, i) => ({ id: `p${i}`, name: `P${i}`, stock: 10, price: 1 }));
    await t.node.catalog.importRecords(EID, farmRecords(EID, { origin: 'https://ofn.example', products }), { create: true });
  });
  after(() => t.close());

  it('succeeds: its ETag is the profile\'s, which stock writes do not move', async () => {
    const headers = { Authorization: `Bearer ${t.adminToken}` };
    for (let round = 0; round < 3; round++) {
      const etag = (await t.request('GET', api)).headers.get('etag') ?? '';
      const profile = t.request('PUT', api, {
        headers: { ...headers, 'Content-Type': 'application/ld+json', 'If-Match': etag },
        body: JSON.stringify({ '@context': 'https://www.datafoodconsortium.org', '@id': '_:e', '@type': 'dfc-b:Enterprise', 'dfc-b:name': `Profil ${round}` }),
      });
      const stock = Array.from({ length: 20 }, (_, i) => t.request('PUT', `${api}/catalog_items/p${i % 10}`, {
        headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ 'dfc-b:stockLimitation': i }),
      }));
      const [answer, ...others] = await Promise.all([profile, ...stock]);
      expect(answer?.status, answer?.text).to.equal(200);
      expect(others.map((r) => r.status)).to.deep.equal(others.map(() => 200));
      expect((await t.node.catalog.enterpriseRow(EID)).name).to.equal(`Profil ${round}`);
    }
  });
});
