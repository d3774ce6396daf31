/**
 * The listing service against a scripted origin (a fake transport): how it reads an origin (its item, then the
 * catalogues above it; what a sync holds first), the wholesale arithmetic, the push path from records alone, and
 * failures as values or as the right HTTP errors.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Iri, NodeId } from '../../../ontology/iri.js';
import type { CatalogItemRecord, DfcRecord, OfferRecord } from '../../../ontology/records.js';
import { OWL } from '../../../ontology/vocabulary.js';
import { serialize } from '../../../server/codec/serialize.js';
import { HttpError } from '../../../server/errors/http-error.js';
import { failure } from '../../../server/errors/failure.js';
import { DEFAULT_FETCH_POLICY, type SafeFetch } from '../../../server/net/safe-fetch.js';
import { ListingService, parseMarkup, parsePrice } from '../../../server/orders/listings.js';
import { NodeUrls } from '../../../server/urls/node-urls.js';
import { measureIri } from '../../../ontology/units.js';
import { farmRecords, startInProcess, type InProcessNode } from '../../helpers/in-process.js';

const here = dirname(fileURLToPath(import.meta.url));
const ORIGIN = 'https://fdc.example';
const CATALOGUE = `${ORIGIN}/api/dfc/Enterprises/moulin/SuppliedProducts`;
const FIXTURE = readFileSync(join(here, '../../fixtures/fdc-wholesale.json'), 'utf8');

/** A transport serving documents by URL (404 for anything else), recording what was asked. */
function scripted(documents: Map<string, string>, asked: string[] = []): SafeFetch {
  return async (request) => {
    asked.push(request.url);
    const body = documents.get(request.url);
    if (body === undefined) return { ok: false, failure: failure('http-status', 'HTTP 404', request.url, 404) };
    // A document scripted as `HTTP 503` is a server that cannot answer now.
    if (body === 'HTTP 503') return { ok: false, failure: failure('http-status', 'HTTP 503', request.url, 503) };
    return { ok: true, response: { url: request.url, status: 200, headers: { 'content-type': 'application/ld+json' }, body: Buffer.from(body) } };
  };
}

async function reject(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('orders/listings', () => {
  let node: InProcessNode;
  before(async () => {
    node = await startInProcess({ base: 'http://shop.test' });
    await node.seed('boutique');
  });
  after(async () => node?.close());

  const service = (fetch: SafeFetch): ListingService =>
    new ListingService({ store: node.store, decoder: node.decoder, urls: new NodeUrls(node.base), fetch, policy: DEFAULT_FETCH_POLICY });

  afterEach(async () => {
    for (const listing of await node.store.orders.listings('boutique')) await node.listings.remove('boutique', listing.id);
  });

  describe('parseMarkup', () => {
    it('reads a percentage as a number, a string, or with %', () => {
      expect(parseMarkup(15)).to.equal(15);
      expect(parseMarkup('15')).to.equal(15);
      expect(parseMarkup('12.5%')).to.equal(12.5);
      expect(parseMarkup('-20%')).to.equal(-20);
    });
    it('refuses what is no percentage, and -100% or less', () => {
      for (const bad of ['abc', '', '15%%', '1e3', -100, '-150%', Number.NaN, Infinity, null, {}, true]) expect(parseMarkup(bad), String(bad)).to.equal(undefined);
    });
    it('reads only a plain decimal: no hexadecimal, exponent or padding that Number() would take', () => {
      for (const bad of ['0x10', '1e1', ' 15 ', '15 %', ' 12.5 % ', '15.', '.5', '- 10%', '10%-']) expect(parseMarkup(bad), JSON.stringify(bad)).to.equal(undefined);
      expect(parseMarkup('+15%')).to.equal(15);
      expect(parseMarkup('-99.99%')).to.equal(-99.99);
    });
  });

  describe('parsePrice', () => {
    it('reads a JSON number or a plain decimal string above 0, in cents', () => {
      expect(parsePrice(3.5)).to.equal(3.5);
      expect(parsePrice('3.50')).to.equal(3.5);
      expect(parsePrice('12')).to.equal(12);
      expect(parsePrice(0.01)).to.equal(0.01);
      expect(parsePrice(1e3)).to.equal(1000);
    });
    it('refuses 0, more than 2 decimals, what Number() coerces, and what is no amount', () => {
      for (const bad of [0, '0', '0.00', -1, '-1', 12.3456, '12.3456', 0.001, '0x10', '1e3', ' 12 ', '12 ', '', '12.', '.5', '+3', '1,5',
        Number.NaN, Infinity, 1e308, 1e14, null, true, {}, []]) {
        expect(parsePrice(bad), JSON.stringify(bad) ?? String(bad)).to.equal(undefined);
      }
    });
  });

  it('reads the case of a retail product from the catalogue above the item, and prices and stocks the retail unit', async () => {
    const asked: string[] = [];
    const listings = service(scripted(new Map([[CATALOGUE, FIXTURE]]), asked));
    const view = await listings.add('boutique', `${CATALOGUE}/101/CatalogItem`, { markup: 10 });
    // 18 € the case of 6: 3 € the unit, + 10 %; 4 cases: 24 units.
    expect(view.published).to.deep.equal({ price: 3.3, currency: 'https://github.com/datafoodconsortium/taxonomies/releases/latest/download/measures.rdf#Euro', stock: 24 });
    expect(view).to.deep.include({ factor: 6, markup: 10 });
    expect(view.origin.product).to.equal(`${CATALOGUE}/102`);
    expect(view.origin.orders).to.equal(`${ORIGIN}/api/dfc/Enterprises/moulin/Orders`);
    expect(asked).to.deep.equal([`${CATALOGUE}/101/CatalogItem`, `${CATALOGUE}/101`, CATALOGUE]);
    const row = await node.store.orders.listing(view.id);
    expect(row?.details).to.deep.include({ stockItem: `${CATALOGUE}/102/CatalogItem`, retailProduct: `${CATALOGUE}/101` });
  });

  it('reads a plain item without a pack at factor 1, and a fixed price is the price', async () => {
    const farm = serialize(farmRecords('ferme', { origin: ORIGIN }), 'jsonld');
    const listings = service(scripted(new Map([[`${ORIGIN}/api/dfc/enterprises/ferme/catalog_items`, farm]])));
    const view = await listings.add('boutique', `${ORIGIN}/api/dfc/enterprises/ferme/catalog_items/tomate`, { price: 5 });
    expect(view).to.deep.include({ factor: 1, price: 5 });
    expect(view.published).to.deep.include({ price: 5, stock: 12 });
    expect(view.origin.orders).to.equal(`${ORIGIN}/api/dfc/enterprises/ferme/orders`);
  });

  it('publishes the name and description in the languages the origin gave them', async () => {
    const records = farmRecords('ferme', { origin: ORIGIN })
      .map((r) => (r.kind === 'SuppliedProduct' ? { ...r, languages: { name: 'fr', description: 'fr-fr' } } : r));
    const listings = service(scripted(new Map([[`${ORIGIN}/api/dfc/enterprises/ferme/catalog_items`, serialize(records, 'jsonld')]])));
    const view = await listings.add('boutique', `${ORIGIN}/api/dfc/enterprises/ferme/catalog_items/tomate`, { price: 5 });
    const product = (await node.store.getResource(view.product))?.record;
    expect(product).to.deep.include({ name: 'Tomates anciennes', languages: { name: 'fr', description: 'fr-fr' } });
  });

  it('reads what a sync holds first, then the origin\'s stock and price now; an origin that cannot answer leaves the sync\'s', async () => {
    const asked: string[] = [];
    const peer = await node.store.provenance.addPeer({ name: 'held', url: `${ORIGIN}/held` }, ORIGIN);
    const records = farmRecords('verger', { origin: ORIGIN });
    await node.store.provenance.applySnapshot(peer.id, {
      plan: {
        upsert: records.map((record) => ({
          iri: record.id, kind: record.kind, record, json: JSON.stringify(record), hash: record.id, authoritative: true, sourceUrl: `${ORIGIN}/held`,
        })),
        added: records.length, updated: 0, unchanged: 0, missing: [], withdrawn: [], restored: [], refused: [],
      },
      sources: new Map(), quarantine: [], replaceQuarantine: true, now: new Date().toISOString(),
    });
    const item = `${ORIGIN}/api/dfc/enterprises/verger/catalog_items/chevre`;
    // The origin cannot answer now: the listing sells at what the sync held, and says why it could not read the origin.
    const down = await service(scripted(new Map([[item, 'HTTP 503']]), asked)).add('boutique', item);
    expect(asked[0]).to.equal(item);
    expect(down.published).to.deep.include({ price: 3.2, stock: 0 });
    expect(down.lastError?.message).to.match(/503/u);
    await service(scripted(new Map())).remove('boutique', down.id);
    // The origin restocked since its last sync, and changed its price: the new listing sells at the origin's word now.
    const now = farmRecords('verger', { origin: ORIGIN }).map((r): DfcRecord => (r.kind === 'CatalogItem' && r.id === item ? { ...r, stock: 6 }
      : r.kind === 'Offer' && r.item === item && r.price !== undefined ? { ...r, stock: 6, price: { ...r.price, value: 3.5 } } : r));
    const view = await service(scripted(new Map([[`${ORIGIN}/api/dfc/enterprises/verger/catalog_items`, serialize(now, 'jsonld')]]))).add('boutique', item);
    expect(view.published).to.deep.include({ price: 3.5, stock: 6 });
    await node.store.provenance.removePeer(peer.id);
  });

  it('mirrors pushed records alone: the case\'s catalog item and offer as a sync received them', async () => {
    const listings = service(scripted(new Map([[CATALOGUE, FIXTURE]])));
    const view = await listings.add('boutique', `${CATALOGUE}/101/CatalogItem`);
    const caseItem: CatalogItemRecord = {
      kind: 'CatalogItem', id: `${CATALOGUE}/102/CatalogItem` as NodeId, product: `${CATALOGUE}/102` as NodeId, stock: 1, offers: [`${CATALOGUE}/102/Offer` as NodeId], listedIn: [],
    };
    const caseOffer: OfferRecord = { kind: 'Offer', id: `${CATALOGUE}/102/Offer` as NodeId, item: caseItem.id, stock: 1, price: { value: 24, currency: view.published.currency as Iri } };
    const unrelated: DfcRecord = { ...caseItem, id: `${ORIGIN}/elsewhere` as NodeId, product: `${ORIGIN}/other` as NodeId };
    expect(await listings.onPeerRecords([unrelated])).to.equal(0);
    // A relay's copy of the supplier's records is not the supplier's word.
    expect(await listings.onPeerRecords([caseItem, caseOffer], 'https://relay.example')).to.equal(0);
    expect((await listings.get('boutique', view.id)).published.stock).to.equal(24);
    expect(await listings.onPeerRecords([caseItem, caseOffer], ORIGIN)).to.equal(1);
    expect((await listings.get('boutique', view.id)).published).to.deep.include({ price: 4, stock: 6 });
    expect(await listings.onPeerRecords([caseItem, caseOffer])).to.equal(0);
  });

  it('refuses (422) an item whose product leads back to this node through owl:sameAs, following the chain to another site', async () => {
    const MID = 'https://mid.example';
    const farm = farmRecords('ferme', { origin: ORIGIN }).map((r) => (r.id === `${ORIGIN}/api/dfc/enterprises/ferme/supplied_products/tomate`
      ? { ...r, extra: { ...r.extra, [OWL.sameAs]: [{ '@id': `${MID}/products/tomate` }] } } : r));
    const mid = JSON.stringify({
      '@context': 'https://www.datafoodconsortium.org', '@id': `${MID}/products/tomate`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Tomate',
      'http://www.w3.org/2002/07/owl#sameAs': { '@id': 'http://shop.test/api/dfc/enterprises/boutique/supplied_products/tomate' },
    });
    const asked: string[] = [];
    const listings = service(scripted(new Map([[`${ORIGIN}/api/dfc/enterprises/ferme/catalog_items`, serialize(farm, 'jsonld')], [`${MID}/products/tomate`, mid]]), asked));
    const refused = await reject(listings.add('boutique', `${ORIGIN}/api/dfc/enterprises/ferme/catalog_items/tomate`));
    expect(refused.status, refused.message).to.equal(422);
    expect(refused.message).to.contain('leads back to this node').and.to.contain(`${MID}/products/tomate is owl:sameAs http://shop.test/`);
    expect(asked).to.include(`${MID}/products/tomate`);
    // A chain that leads elsewhere (or cannot be followed) is no loop.
    const elsewhere = mid.replace('http://shop.test/api/dfc/enterprises/boutique', 'https://other.example');
    const view = await service(scripted(new Map([[`${ORIGIN}/api/dfc/enterprises/ferme/catalog_items`, serialize(farm, 'jsonld')], [`${MID}/products/tomate`, elsewhere]])))
      .add('boutique', `${ORIGIN}/api/dfc/enterprises/ferme/catalog_items/tomate`);
    expect(view.factor).to.equal(1);
  });

  it('knows this node however its IRIs are spelt: a scheme or host in capitals, a default port written out', async () => {
    for (const spelt of ['HTTP://shop.test', 'http://SHOP.TEST', 'http://shop.test:80', 'Http://Shop.Test:80']) {
      const ours = `${spelt}/api/dfc/enterprises/boutique/supplied_products/tomate`;
      const farm = farmRecords('ferme', { origin: ORIGIN }).map((r) => (r.id === `${ORIGIN}/api/dfc/enterprises/ferme/supplied_products/tomate`
        ? { ...r, extra: { ...r.extra, [OWL.sameAs]: [{ '@id': ours }] } } : r));
      const listings = service(scripted(new Map([[`${ORIGIN}/api/dfc/enterprises/ferme/catalog_items`, serialize(farm, 'jsonld')]])));
      const refused = await reject(listings.add('boutique', `${ORIGIN}/api/dfc/enterprises/ferme/catalog_items/tomate`));
      expect(refused.status, `${spelt}: ${refused.message}`).to.equal(422);
      expect(refused.message, spelt).to.contain('leads back to this node').and.to.contain(ours);
      // An item of this node itself, so spelt, is refused before anything is fetched.
      const own = await reject(listings.add('boutique', `${spelt}/api/dfc/enterprises/boutique/catalog_items/tomate`));
      expect(own.status, spelt).to.equal(422);
      expect(own.message, spelt).to.contain('is an item of this node');
    }
  });

  describe('an origin that names records of another site', () => {
    const VICTIM = 'https://victim.example';
    const farmItem = `${ORIGIN}/api/dfc/enterprises/ferme/catalog_items/tomate`;
    const farmDoc = (): string => serialize(farmRecords('ferme', { origin: ORIGIN }), 'jsonld');
    const cases: [string, string, () => Map<string, string>, string, RegExp][] = [
      ['product', farmItem, () => new Map([[`${ORIGIN}/api/dfc/enterprises/ferme/catalog_items`, farmDoc()
        .replaceAll(`${ORIGIN}/api/dfc/enterprises/ferme/supplied_products/tomate`, `${VICTIM}/api/dfc/enterprises/v/supplied_products/tomate`)]]),
      `${VICTIM}/api/dfc/enterprises/v/supplied_products/tomate`, /the product /u],
      ['offer', farmItem, () => new Map([[`${ORIGIN}/api/dfc/enterprises/ferme/catalog_items`, farmDoc()
        .replaceAll(`${ORIGIN}/api/dfc/enterprises/ferme/offers/tomate`, `${VICTIM}/api/dfc/enterprises/v/offers/tomate`)]]),
      `${VICTIM}/api/dfc/enterprises/v/offers/tomate`, /the offer /u],
      ['wholesale case', `${CATALOGUE}/101/CatalogItem`, () => new Map([[CATALOGUE, FIXTURE.replaceAll(`${CATALOGUE}/102`, `${VICTIM}/SuppliedProducts/102`)]]),
      `${VICTIM}/SuppliedProducts/102`, /the wholesale product /u],
      ['case\'s catalog item (its stock)', `${CATALOGUE}/101/CatalogItem`,
        () => new Map([[CATALOGUE, FIXTURE.replaceAll(`${CATALOGUE}/102/CatalogItem`, `${VICTIM}/SuppliedProducts/102/CatalogItem`)]]),
      `${VICTIM}/SuppliedProducts/102/CatalogItem`, /the catalog item of what is ordered /u],
      ['case\'s offer (its price)', `${CATALOGUE}/101/CatalogItem`,
        () => new Map([[CATALOGUE, FIXTURE.replaceAll(`${CATALOGUE}/102/Offer`, `${VICTIM}/SuppliedProducts/102/Offer`)]]),
      `${VICTIM}/SuppliedProducts/102/Offer`, /the offer /u],
    ];
    for (const [what, item, documents, foreign, named] of cases) {
      it(`refuses (422) an item whose ${what} is on another site, naming it, and asks that site nothing`, async () => {
        const asked: string[] = [];
        const refused = await reject(service(scripted(documents(), asked)).add('boutique', item));
        expect(refused.status, refused.message).to.equal(422);
        expect(refused.message).to.match(named).and.to.contain(foreign).and.to.contain('another site');
        expect(asked.filter((url) => url.startsWith(VICTIM))).to.deep.equal([]);
        expect(await node.store.orders.listings('boutique')).to.deep.equal([]);
      });
    }

    it('refuses it on refresh too, keeping what was published', async () => {
      const documents = new Map([[CATALOGUE, FIXTURE]]);
      const listings = service(scripted(documents));
      const view = await listings.add('boutique', `${CATALOGUE}/101/CatalogItem`);
      documents.set(CATALOGUE, FIXTURE.replaceAll(`${CATALOGUE}/102`, `${VICTIM}/SuppliedProducts/102`).replaceAll('"dfc-b:stockLimitation": "4"', '"dfc-b:stockLimitation": "400"'));
      const outcome = await listings.refresh((await node.store.orders.listing(view.id)) as NonNullable<Awaited<ReturnType<typeof node.store.orders.listing>>>);
      expect(outcome.ok).to.equal(false);
      expect(outcome.ok ? '' : outcome.failure.message).to.contain(`${VICTIM}/SuppliedProducts/102`);
      expect((await listings.get('boutique', view.id)).published.stock).to.equal(24);
    });

    it('does not take a relay\'s copy of an origin\'s records for the origin\'s word (what a sync holds)', async () => {
      const relay = await node.store.provenance.addPeer({ name: 'relay', url: `${VICTIM}/relay` }, VICTIM);
      const records = farmRecords('verger', { origin: ORIGIN });
      await node.store.provenance.applySnapshot(relay.id, {
        plan: {
          upsert: records.map((record) => ({
            iri: record.id, kind: record.kind, record, json: JSON.stringify(record), hash: record.id, authoritative: true, sourceUrl: `${VICTIM}/relay`,
          })),
          added: records.length, updated: 0, unchanged: 0, missing: [], withdrawn: [], restored: [], refused: [],
        },
        sources: new Map(), quarantine: [], replaceQuarantine: true, now: new Date().toISOString(),
      });
      const asked: string[] = [];
      // Not held from the origin: the origin itself is asked (here it answers nothing).
      const refused = await reject(service(scripted(new Map(), asked)).add('boutique', `${ORIGIN}/api/dfc/enterprises/verger/catalog_items/chevre`));
      expect(refused.status).to.equal(422);
      expect(asked).to.include(`${ORIGIN}/api/dfc/enterprises/verger/catalog_items/chevre`);
      await node.store.provenance.removePeer(relay.id);
    });
  });

  it('answers a refresh that cannot reach the origin as a failure, keeping what was published', async () => {
    const documents = new Map([[CATALOGUE, FIXTURE]]);
    let reachable = true;
    const answering = scripted(documents);
    const listings = service(async (request, policy) => (reachable ? answering(request, policy)
      : { ok: false, failure: failure('timeout', 'no complete response', request.url) }));
    const view = await listings.add('boutique', `${CATALOGUE}/101/CatalogItem`);
    reachable = false;
    const row = await node.store.orders.listing(view.id);
    const outcome = await listings.refresh(row as NonNullable<typeof row>);
    expect(outcome.ok).to.equal(false);
    expect((await listings.get('boutique', view.id)).published.stock).to.equal(24);
    expect((await listings.get('boutique', view.id)).origin.state).to.equal('available');
  });

  it('keeps a listing on sale, with no error noted, when the node stops in the middle of reading its origin', async () => {
    const documents = new Map([[CATALOGUE, FIXTURE]]);
    const answering = scripted(documents);
    let stopping = false;
    const listings = service(async (request, policy) => {
      // The item's own document answers without it (read, but not the word on the item); the catalogue's read is given up.
      if (stopping && request.url === `${CATALOGUE}/101/CatalogItem`) {
        return { ok: true, response: { url: request.url, status: 200, headers: { 'content-type': 'application/ld+json' }, body: Buffer.from(JSON.stringify({ '@context': 'https://www.datafoodconsortium.org', '@graph': [] })) } };
      }
      return stopping ? { ok: false, failure: failure('stopped', 'given up: the node is stopping', request.url) } : answering(request, policy);
    });
    const view = await listings.add('boutique', `${CATALOGUE}/101/CatalogItem`);
    stopping = true;
    const row = await node.store.orders.listing(view.id);
    const outcome = await listings.refresh(row as NonNullable<typeof row>);
    expect(outcome.ok).to.equal(false);
    const after = await listings.get('boutique', view.id);
    expect(after.origin.state).to.equal('available');
    expect(after.published.stock).to.equal(24);
    expect(JSON.stringify(after)).to.not.match(/stopping/u);
  });

  it('takes a listing off sale when its origin answers without the item (404 and a catalogue that no longer holds it), and back when it returns', async () => {
    const documents = new Map([[CATALOGUE, FIXTURE]]);
    const listings = service(scripted(documents));
    const view = await listings.add('boutique', `${CATALOGUE}/101/CatalogItem`);
    const row = async (): Promise<NonNullable<Awaited<ReturnType<typeof node.store.orders.listing>>>> => {
      const found = await node.store.orders.listing(view.id);
      if (found === undefined) throw new Error('no listing');
      return found;
    };
    // The catalogue answers, without the item: the owner removed it.
    const withoutItem = JSON.stringify({ '@context': 'https://www.datafoodconsortium.org', '@graph': [] });
    documents.set(CATALOGUE, withoutItem);
    expect(await listings.refresh(await row())).to.deep.equal({ ok: true, changed: true, gone: true });
    expect((await listings.get('boutique', view.id)).published).to.deep.include({ stock: 0, price: 3 });
    expect((await listings.get('boutique', view.id)).origin.state).to.equal('gone');
    // Nothing answers at all (404 everywhere): still gone, nothing changes.
    documents.clear();
    expect(await listings.refresh(await row())).to.deep.equal({ ok: true, changed: false, gone: true });
    documents.set(CATALOGUE, FIXTURE);
    expect(await listings.refresh(await row())).to.deep.equal({ ok: true, changed: true });
    expect((await listings.get('boutique', view.id)).published).to.deep.include({ stock: 24, price: 3 });
    expect((await listings.get('boutique', view.id)).origin.state).to.equal('available');
  });

  it('refuses an unknown item (422), an unreachable origin (503), an item without offer (422)', async () => {
    const notFound = await reject(service(scripted(new Map())).add('boutique', `${ORIGIN}/items/1`));
    expect(notFound.status).to.equal(422);
    expect(notFound.message).to.match(/no dfc-b:CatalogItem .*HTTP 404/u);
    const down: SafeFetch = async (request) => ({ ok: false, failure: failure('network', 'ECONNREFUSED', request.url) });
    const unreachable = await reject(service(down).add('boutique', `${ORIGIN}/items/1`));
    expect(unreachable.status).to.equal(503);
    expect(unreachable.message).to.match(/cannot be reached: network: ECONNREFUSED/u);
    // No pack either (no flow under the product's id): a plain item, and it has no offer.
    let n = 0;
    const withoutOffer = FIXTURE.replace(/"dfc-b:offeredThrough": "[^"]*101\/Offer"/u, '"dfc-b:sku": "X"')
      .replace(/"@id": "[^"]*101\/AsPlanned[A-Za-z]+"/gu, () => `"@id": "https://fdc.example/nothing/${++n}"`);
    const noOffer = await reject(service(scripted(new Map([[CATALOGUE, withoutOffer]]))).add('boutique', `${CATALOGUE}/101/CatalogItem`));
    expect(noOffer.status).to.equal(422);
    expect(noOffer.message).to.match(/no priced offer/u);
    expect((await reject(service(scripted(new Map())).add('nobody', `${ORIGIN}/items/1`))).status).to.equal(404);
  });

  describe('what the shop cannot publish', () => {
    const EURO = measureIri('Euro');
    const retailItem = `${CATALOGUE}/101/CatalogItem`;
    const caseItem = (stock: number | null): CatalogItemRecord => ({
      kind: 'CatalogItem', id: `${CATALOGUE}/102/CatalogItem` as NodeId, product: `${CATALOGUE}/102` as NodeId, stock, offers: [`${CATALOGUE}/102/Offer` as NodeId], listedIn: [],
    });
    const caseOffer = (value: number, currency: string = EURO): OfferRecord => ({
      kind: 'Offer', id: `${CATALOGUE}/102/Offer` as NodeId, item: `${CATALOGUE}/102/CatalogItem` as NodeId, stock: 1, price: { value, currency: currency as Iri },
    });
    /** The fixture with the pack factor (the consumption flow's quantity) replaced. */
    const withFactor = (factor: string): string => FIXTURE.replace('"dfc-b:value": 6.0', `"dfc-b:value": ${factor}`);

    it('keeps the last good values when a push brings a price or stock it cannot publish, and says why until one it can', async () => {
      const listings = service(scripted(new Map([[CATALOGUE, FIXTURE]])));
      const view = await listings.add('boutique', retailItem);
      expect(view.published).to.deep.equal({ price: 3, currency: EURO, stock: 24 });
      expect(view.lastError).to.equal(null);
      const pushes: [CatalogItemRecord, OfferRecord, RegExp][] = [
        [caseItem(1), caseOffer(1e308), /price would be Infinity/u],
        [caseItem(1), caseOffer(Number.NaN), /price would be NaN/u],
        // 0.02 € the case of 6: 0.0033 € the unit, 0.00 in cents: not a free item.
        [caseItem(1), caseOffer(0.02), /price would be 0:/u],
        [caseItem(1), caseOffer(-6), /price would be -1/u],
        [caseItem(-5), caseOffer(24), /stock would be -30/u],
        [caseItem(1e300), caseOffer(24), /stock would be 6e\+300/u],
        [caseItem(Number.NaN), caseOffer(24), /stock would be NaN/u],
        [caseItem(1), caseOffer(24, 'garbage'), /hasUnit|currency/u],
        [caseItem(1), caseOffer(24, 'https://evil.example/money'), /unknown currency/u],
      ];
      for (const [item, offer, why] of pushes) {
        const label = `${String(item.stock)} / ${String(offer.price?.value)} ${String(offer.price?.currency)}`;
        expect(await listings.onPeerRecords([item, offer], ORIGIN), label).to.equal(0);
        const after = await listings.get('boutique', view.id);
        expect(after.published, label).to.deep.equal({ price: 3, currency: EURO, stock: 24 });
        expect(after.lastError?.message, label).to.match(why);
        expect(after.lastError?.message, label).to.match(/^kept the last published values: /u);
      }
      const records = await node.store.getResources([view.item, view.offer]);
      expect(records.map((r) => ('stock' in r.record ? r.record.stock : undefined))).to.deep.equal([24, 24]);
      // A value it can publish is mirrored, and the listing no longer says it refused one.
      expect(await listings.onPeerRecords([caseItem(2), caseOffer(24)], ORIGIN)).to.equal(1);
      const good = await listings.get('boutique', view.id);
      expect(good.published).to.deep.include({ price: 4, stock: 12 });
      expect(good.lastError).to.equal(null);
    });

    it('keeps a fixed price when the origin changes its currency, and follows it with a markup', async () => {
      const listings = service(scripted(new Map([[CATALOGUE, FIXTURE]])));
      const fixed = await listings.add('boutique', retailItem, { price: 3.5 });
      expect(await listings.onPeerRecords([caseItem(1), caseOffer(24, measureIri('USDollar'))], ORIGIN)).to.equal(0);
      const kept = await listings.get('boutique', fixed.id);
      expect(kept.published).to.deep.equal({ price: 3.5, currency: EURO, stock: 24 });
      expect(kept.lastError?.message).to.match(/now prices in .*USDollar.*fixed price 3\.5 was set in .*Euro/u);
      await listings.remove('boutique', fixed.id);
      const marked = await listings.add('boutique', retailItem, { markup: 10 });
      expect(await listings.onPeerRecords([caseItem(1), caseOffer(24, measureIri('USDollar'))], ORIGIN)).to.equal(1);
      expect((await listings.get('boutique', marked.id)).published).to.deep.equal({ price: 4.4, currency: measureIri('USDollar'), stock: 6 });
    });

    it('refuses to list what would publish a free item or an unknown currency (422)', async () => {
      const cheapCase = FIXTURE.replace('"dfc-b:value": "18.00"', '"dfc-b:value": "0.02"');
      const free = await reject(service(scripted(new Map([[CATALOGUE, cheapCase]]))).add('boutique', retailItem));
      expect(free.status).to.equal(422);
      expect(free.message).to.match(/price would be 0:/u);
      const farm = serialize(farmRecords('ferme', { origin: ORIGIN }), 'jsonld');
      const tomato = `${ORIGIN}/api/dfc/enterprises/ferme/catalog_items/tomate`;
      const farmed = service(scripted(new Map([[`${ORIGIN}/api/dfc/enterprises/ferme/catalog_items`, farm]])));
      const discounted = await reject(farmed.add('boutique', tomato, { markup: -99.99 }));
      expect(discounted.status).to.equal(422);
      expect(discounted.message).to.match(/price would be 0:/u);
      const strange = FIXTURE.replace(/("dfc-b:value": "18.00", "dfc-b:hasUnit": )"dfc-m:Euro"/u, '$1"https://evil.example/money"');
      const unknown = await reject(service(scripted(new Map([[CATALOGUE, strange]]))).add('boutique', retailItem));
      expect(unknown.status).to.equal(422);
      expect(unknown.message).to.match(/unknown currency/u);
      // The service refuses terms the API would not take, whoever calls it.
      for (const terms of [{ price: 0 }, { price: 12.3456 }, { price: Number.NaN }, { markup: -100 }]) {
        expect((await reject(farmed.add('boutique', tomato, terms))).status, JSON.stringify(terms)).to.equal(422);
      }
      expect(await node.store.orders.listings('boutique')).to.deep.equal([]);
    });

    it('refuses a catalogue that declares a pack but declares it wrong (422 naming what), and lists a whole one', async () => {
      const cases: [string, string, RegExp][] = [
        ['factor 0', withFactor('0'), /pack factor .* is 0, not a whole number from 1 to 10000/u],
        ['negative factor', withFactor('-6'), /pack factor .* is -6,/u],
        ['non-numeric factor', withFactor('"six"'), /pack factor .* is "six",/u],
        ['fractional factor', withFactor('0.5'), /pack factor .* is 0.5,/u],
        ['huge factor', withFactor('1e9'), /pack factor .* is 1000000000,/u],
        ['no factor', FIXTURE.replace(/"dfc-b:hasQuantity": \{[^}]*"dfc-b:value": 6\.0\}/u, '"dfc-b:name": "x"'), /pack factor .* is missing/u],
        ['no produces', FIXTURE.replace(/"dfc-b:produces": "[^"]*",/u, ''), /produces nothing/u],
        ['no production flow', FIXTURE.replace(/"@id": "([^"]*101\/AsPlannedProductionFlow)"/u, '"@id": "https://fdc.example/elsewhere"'), /AsPlannedProductionFlow is not a dfc-b:AsPlannedProductionFlow/u],
        ['no consumption flow', FIXTURE.replace(/"@id": "([^"]*101\/AsPlannedConsumptionFlow)"/u, '"@id": "https://fdc.example/elsewhere"'), /AsPlannedConsumptionFlow is not a dfc-b:AsPlannedConsumptionFlow/u],
        ['consumes another product', FIXTURE.replace(/("dfc-b:consumes": ")[^"]*"/u, '$1https://fdc.example/other"'), /consumes https:\/\/fdc\.example\/other/u],
        ['produces itself', FIXTURE.replace(/("dfc-b:produces": ")[^"]*"/u, `$1${CATALOGUE}/101"`), /produces the retail product itself/u],
        ['makes two cases', FIXTURE.replace(/("dfc-b:produces": "[^"]*",\s*"dfc-b:hasQuantity": \{[^}]*"dfc-b:value": )1\.0/u, '$12.0'), /makes 2 cases/u],
        ['case without catalog item', FIXTURE.replace(/"dfc-b:references": "[^"]*102",/u, ''), /has no catalog item/u],
        ['case not in the catalogue', FIXTURE.replace(/"@id": "[^"]*102",/u, '"@id": "https://fdc.example/elsewhere",'), /is not in its catalogue/u],
      ];
      for (const [label, body, why] of cases) {
        expect(body, label).to.not.equal(FIXTURE);
        const refused = await reject(service(scripted(new Map([[CATALOGUE, body]]))).add('boutique', retailItem));
        expect(refused.status, label).to.equal(422);
        expect(refused.message, label).to.match(why);
      }
      expect(await node.store.orders.listings('boutique')).to.deep.equal([]);
      // A factor written as a decimal string or 6.0 is the whole number it says.
      const view = await service(scripted(new Map([[CATALOGUE, withFactor('"6"')]]))).add('boutique', retailItem);
      expect(view).to.deep.include({ factor: 6 });
    });

    it('keeps the last good values when a pull finds the pack broken or changed, and says why', async () => {
      const documents = new Map([[CATALOGUE, FIXTURE]]);
      const listings = service(scripted(documents));
      const view = await listings.add('boutique', retailItem);
      const pull = async (): Promise<{ ok: boolean; message?: string }> => {
        const row = await node.store.orders.listing(view.id);
        const outcome = await listings.refresh(row as NonNullable<typeof row>);
        return outcome.ok ? { ok: true } : { ok: false, message: outcome.failure.message };
      };
      documents.set(CATALOGUE, withFactor('0').replace('"dfc-b:stockLimitation": "4"', '"dfc-b:stockLimitation": "9"'));
      expect((await pull()).message).to.match(/pack factor/u);
      let now = await listings.get('boutique', view.id);
      expect(now.published).to.deep.include({ price: 3, stock: 24 });
      expect(now.lastError?.message).to.match(/pack factor .* is 0/u);
      documents.set(CATALOGUE, withFactor('12'));
      expect((await pull()).message).to.match(/in packs of 12, listed as .*102 in packs of 6: list it again/u);
      now = await listings.get('boutique', view.id);
      expect(now.published).to.deep.include({ price: 3, stock: 24 });
      documents.set(CATALOGUE, FIXTURE.replaceAll('"dfc-b:stockLimitation": "4"', '"dfc-b:stockLimitation": "3"'));
      expect(await pull()).to.deep.equal({ ok: true });
      now = await listings.get('boutique', view.id);
      expect(now.published).to.deep.include({ price: 3, stock: 18 });
      expect(now.lastError).to.equal(null);
      // An origin that cannot be read (not one that says the item is gone) is said too, and cleared once it can.
      documents.set(CATALOGUE, 'HTTP 503');
      expect((await pull()).ok).to.equal(false);
      expect((await listings.get('boutique', view.id)).lastError?.message).to.match(/HTTP 503/u);
      documents.set(CATALOGUE, FIXTURE);
      expect(await pull()).to.deep.equal({ ok: true });
      expect((await listings.get('boutique', view.id)).lastError).to.equal(null);
    });
  });
});
