/**
 * Pages of a catalogue while it changes, through the routes: after a stock write, a page that does not hold the
 * changed item keeps its ETag (and answers 304 to it), the page that holds it gets a new ETag and the new stock,
 * and every page served is byte for byte a fresh full render of the same records, in JSON-LD (DFC 1.16 and 2.0)
 * and in Turtle.
 */
import { expect } from 'chai';
import type { DfcRecord } from '../../../ontology/records.js';
import { negotiate } from '../../../server/http/negotiate.js';
import { render, RenderCache, type PageView } from '../../../server/http/render.js';
import { bearer, farmRecords, startInProcess, type FarmProduct, type InProcessNode } from '../../helpers/in-process.js';

const SIZE = 3;
const PRODUCTS: readonly FarmProduct[] = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7'].map((id, i) => ({
  id, name: `Produit ${id}`, stock: 10 + i, price: 1 + i, sku: id.toUpperCase(),
}));
const PAGES = Math.ceil(PRODUCTS.length / SIZE);
const ACCEPTS = ['application/ld+json', 'application/ld+json; profile="dfc-v2"', 'text/turtle'];

describe('http: catalogue pages while the catalogue changes', function () {
  let node: InProcessNode;
  let token: string;
  const path = '/api/dfc/enterprises/ferme/catalog_items';

  before(async () => {
    node = await startInProcess({ pageSize: SIZE });
    await node.seed('ferme', { records: farmRecords('ferme', { products: PRODUCTS }) });
    token = await node.token('ferme');
  });
  after(async () => node.close());

  const url = (page: number): string => `${path}?page=${page}`;

  /** A fresh full render of a page: the whole catalogue read from the store, sliced as the route slices it. */
  const fullRender = async (page: number, accept: string): Promise<string> => {
    const catalogue = await node.catalog.catalogue('ferme');
    const records: DfcRecord[] = catalogue.entries.slice((page - 1) * SIZE, page * SIZE)
      .flatMap((e) => [e.product, ...e.items, ...e.offers, ...e.plans]);
    const container = `${node.base}${path}`;
    const at = (p: number): string => `${container}?page=${p}&page_size=${SIZE}`;
    const view: PageView = {
      self: `${node.base}${url(page)}`, first: at(1), last: at(PAGES),
      ...(page < PAGES ? { next: at(page + 1) } : {}), ...(page > 1 ? { previous: at(page - 1) } : {}),
    };
    return render(records, negotiate(accept), { containerId: container, view }).body;
  };

  it('keeps the ETag of the pages a stock write did not touch, and moves the one of the page that holds the item', async () => {
    const before = new Map<string, { etag: string; text: string }>();
    for (const accept of ACCEPTS) {
      for (let page = 1; page <= PAGES; page++) {
        const response = await node.request('GET', url(page), { headers: { accept } });
        expect(response.status).to.equal(200);
        expect(response.text, `${accept} page ${page}`).to.equal(await fullRender(page, accept));
        before.set(`${accept}|${page}`, { etag: response.headers.get('etag') as string, text: response.text });
      }
    }

    // p5 is on page 2 (products are in @id order: p1–p3, p4–p6, p7).
    const put = await node.request('PUT', `${path}/p5`, {
      headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify({ 'dfc-b:stockLimitation': 4242 }),
    });
    expect(put.status).to.equal(200);

    for (const accept of ACCEPTS) {
      for (let page = 1; page <= PAGES; page++) {
        const old = before.get(`${accept}|${page}`) as { etag: string; text: string };
        const conditional = await node.request('GET', url(page), { headers: { accept, 'if-none-match': old.etag } });
        const response = await node.request('GET', url(page), { headers: { accept } });
        expect(response.status).to.equal(200);
        expect(response.text, `${accept} page ${page}: a fresh full render`).to.equal(await fullRender(page, accept));
        if (page === 2) {
          expect(conditional.status, `${accept} page 2 changed`).to.equal(200);
          expect(response.headers.get('etag')).to.not.equal(old.etag);
          expect(response.text).to.not.equal(old.text);
          expect(response.text).to.include('4242');
        } else {
          expect(conditional.status, `${accept} page ${page} did not change`).to.equal(304);
          expect(response.headers.get('etag')).to.equal(old.etag);
          expect(response.text).to.equal(old.text);
        }
        // The new tag is answered 304 too.
        const again = await node.request('GET', url(page), { headers: { accept, 'if-none-match': response.headers.get('etag') as string } });
        expect(again.status).to.equal(304);
      }
    }
  });

  it('serves a new product on its page, with every later page moved and a fresh render each', async () => {
    const accept = 'application/ld+json';
    const tags: string[] = [];
    for (let page = 1; page <= PAGES; page++) tags.push((await node.request('GET', url(page), { headers: { accept } })).headers.get('etag') as string);
    // p45 sorts between p4 and p5: page 1 stays, pages 2 and 3 move, and a page 3 that held one product holds two.
    const records = farmRecords('ferme', { products: [{ id: 'p45', name: 'Produit p45', stock: 1, price: 1 }] }).filter((r) => r.kind !== 'Enterprise'
      && r.kind !== 'Address' && r.kind !== 'Person');
    await node.catalog.importRecords('ferme', records);
    for (let page = 1; page <= PAGES; page++) {
      const response = await node.request('GET', url(page), { headers: { accept } });
      expect(response.text, `page ${page}`).to.equal(await fullRender(page, accept));
      if (page === 1) expect(response.headers.get('etag')).to.equal(tags[0]);
      else expect(response.headers.get('etag')).to.not.equal(tags[page - 1]);
    }
  });
});

describe('http: a catalogue page not cached, asked with the ETag the client holds', function () {
  let node: InProcessNode;
  const path = '/api/dfc/enterprises/ferme/catalog_items?page=2';

  before(async () => {
    // A render cache that keeps nothing: every page asked is a page not cached (a restart, or one evicted).
    node = await startInProcess({ pageSize: SIZE, deps: (deps) => ({ ...deps, renderCache: new RenderCache({ maxBytes: 1 }) }) });
    await node.seed('ferme', { records: farmRecords('ferme', { products: PRODUCTS }) });
  });
  after(async () => node.close());

  it('answers 304 from the page version, with the headers of the 200, for the identity and the coded variant', async () => {
    for (const coding of [undefined, 'br', 'gzip']) {
      const headers: Record<string, string> = coding === undefined ? {} : { 'accept-encoding': coding };
      const full = await node.request('GET', path, { headers });
      expect(full.status).to.equal(200);
      const etag = full.headers.get('etag') as string;
      if (coding !== undefined) expect(etag).to.match(new RegExp(`-${coding}"$`, 'u'));
      const again = await node.request('GET', path, { headers: { ...headers, 'if-none-match': etag } });
      expect(again.status, String(coding)).to.equal(304);
      expect(again.text).to.equal('');
      expect(again.headers.get('etag')).to.equal(etag);
      for (const name of ['vary', 'link', 'cache-control', 'last-modified']) expect(again.headers.get(name), name).to.equal(full.headers.get(name));
    }
  });

  it('answers 200 to a client holding the identity variant that now asks for a coding, and 200 to a stale tag', async () => {
    const identity = await node.request('GET', path);
    const coded = await node.request('GET', path, { headers: { 'accept-encoding': 'br', 'if-none-match': identity.headers.get('etag') as string } });
    expect(coded.status).to.equal(200);
    expect(coded.headers.get('content-encoding')).to.equal('br');
    const stale = await node.request('GET', path, { headers: { 'if-none-match': '"not-this-one"' } });
    expect(stale.status).to.equal(200);
    expect(stale.text).to.equal(identity.text);
  });
});
