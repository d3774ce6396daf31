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
import { serialize } from '../../../server/codec/serialize.js';
import { HttpError } from '../../../server/errors/http-error.js';
import { failure } from '../../../server/errors/failure.js';
import { DEFAULT_FETCH_POLICY, type SafeFetch } from '../../../server/net/safe-fetch.js';
import { ListingService, parseMarkup } from '../../../server/orders/listings.js';
import { NodeUrls } from '../../../server/urls/node-urls.js';
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
      expect(parseMarkup(' 12.5 % ')).to.equal(12.5);
      expect(parseMarkup('-20%')).to.equal(-20);
    });
    it('refuses what is no percentage, and -100% or less', () => {
      for (const bad of ['abc', '', '15%%', '1e3', -100, '-150%', Number.NaN, Infinity, null, {}, true]) expect(parseMarkup(bad), String(bad)).to.equal(undefined);
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

  it('reads what a sync holds before asking the origin', async () => {
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
    const view = await service(scripted(new Map(), asked)).add('boutique', `${ORIGIN}/api/dfc/enterprises/verger/catalog_items/chevre`);
    expect(asked).to.deep.equal([]);
    expect(view.published).to.deep.include({ price: 3.2, stock: 0 });
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
    const withoutOffer = FIXTURE.replace(/"dfc-b:offeredThrough": "[^"]*101\/Offer"/u, '"dfc-b:sku": "X"')
      .replace(/"@id": "[^"]*101\/AsPlannedProductionFlow"/u, '"@id": "https://fdc.example/nothing"');
    const noOffer = await reject(service(scripted(new Map([[CATALOGUE, withoutOffer]]))).add('boutique', `${CATALOGUE}/101/CatalogItem`));
    expect(noOffer.status).to.equal(422);
    expect(noOffer.message).to.match(/no priced offer/u);
    expect((await reject(service(scripted(new Map())).add('nobody', `${ORIGIN}/items/1`))).status).to.equal(404);
  });
});
