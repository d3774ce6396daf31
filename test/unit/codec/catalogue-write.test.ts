/**
 * A write to this node's own catalogue (`DecodeOptions.catalogueWrite`) reads a stock strictly: several different
 * values of `dfc-b:stockLimitation` are a `conflicting-values` error of that catalog item or offer, since the stock
 * ledger and every order of the item would rest on whichever came first. The same value written twice is one value.
 * A peer's catalogue (every other document) reads the first value, as it always has.
 */
import { expect } from 'chai';
import { Decoder, type DecodeResult } from '../../../server/codec/decode.js';

const CONTEXT = 'https://www.datafoodconsortium.org';
const BASE = 'https://node.example/api/dfc/enterprises/ferme';
const ITEM = `${BASE}/catalog_items/tomate`;
const OFFER = `${BASE}/offers/tomate`;
const PRODUCT = `${BASE}/supplied_products/tomate`;

/** A catalog item and its offer, each with the stock given (left out when undefined). */
function catalogue(itemStock: unknown, offerStock?: unknown, more: Record<string, unknown>[] = []): string {
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      { '@id': PRODUCT, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Tomate' },
      { '@id': ITEM, '@type': 'dfc-b:CatalogItem', 'dfc-b:offeredThrough': OFFER, 'dfc-b:sku': 'TOM', ...(itemStock === undefined ? {} : { 'dfc-b:stockLimitation': itemStock }) },
      {
        '@id': OFFER, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': ITEM,
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 3.5, 'dfc-b:hasUnit': 'dfc-m:Euro' },
        ...(offerStock === undefined ? {} : { 'dfc-b:stockLimitation': offerStock }),
      },
      ...more,
    ],
  });
}

function conflicts(result: DecodeResult): [string | null, string][] {
  return result.problems.filter((p) => p.code === 'conflicting-values').map((p) => [p.id, p.path]);
}

function stockOf(result: DecodeResult, id: string): number | null | undefined {
  const record = result.records.find((r) => r.id === id);
  return record !== undefined && 'stock' in record ? record.stock : undefined;
}

describe('a write to our own catalogue', () => {
  const decoder = new Decoder();
  const write = (text: string, mediaType = 'application/ld+json') => decoder.decode(text, { mediaType, base: BASE, catalogueWrite: true });
  const peer = (text: string) => decoder.decode(text, { base: BASE });

  it('refuses a catalog item or an offer with two different stocks, naming it and dfc-b:stockLimitation', async () => {
    const cases: [string, string][] = [
      [catalogue([5, 7]), ITEM],
      [catalogue(['5', 7]), ITEM],
      [catalogue(12, [1, 2]), OFFER],
      // One item sent twice: JSON-LD merges the two nodes into one, with both stocks.
      [catalogue(5, undefined, [{ '@id': ITEM, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 9 }]), ITEM],
      // A number and something that is none: still two values where one is read.
      [catalogue([5, 'beaucoup']), ITEM],
    ];
    for (const [body, id] of cases) {
      const result = await write(body);
      expect(conflicts(result), body).to.deep.equal([[id, 'dfc-b:stockLimitation']]);
      expect(result.rejected.map((r) => r.id), body).to.deep.equal([id]);
      expect(result.records.some((r) => r.id === id), body).to.equal(false);
      expect(result.problems.find((p) => p.code === 'conflicting-values')?.message, body).to.match(/2 different values/);
    }
  });

  it('reads one stock written twice, or in two spellings of one number, as that stock', async () => {
    for (const stock of [[5, 5], [5, '5'], 5]) {
      const result = await write(catalogue(stock));
      expect(conflicts(result), JSON.stringify(stock)).to.deep.equal([]);
      expect(stockOf(result, ITEM), JSON.stringify(stock)).to.equal(5);
    }
  });

  it('refuses two stocks in Turtle too', async () => {
    const turtle = `@prefix dfc-b: <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#> .
<${ITEM}> a dfc-b:CatalogItem ; dfc-b:sku "TOM" ; dfc-b:stockLimitation 5, 7 .`;
    const result = await write(turtle, 'text/turtle');
    expect(conflicts(result)).to.deep.equal([[ITEM, 'dfc-b:stockLimitation']]);
    expect(result.records.some((r) => r.id === ITEM)).to.equal(false);
  });

  it("reads a peer's catalogue as before: the first stock, nothing reported", async () => {
    const result = await peer(catalogue([5, 7]));
    expect(conflicts(result)).to.deep.equal([]);
    expect(stockOf(result, ITEM)).to.equal(5);
  });

  describe('a price', () => {
    const offer = (price: unknown, more: Record<string, unknown>[] = []): string => JSON.stringify({
      '@context': CONTEXT,
      '@graph': [{ '@id': OFFER, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': ITEM, 'dfc-b:hasPrice': price }, ...more],
    });
    const price = (value: unknown, unit: unknown = 'dfc-m:Euro', vat?: unknown) =>
      ({ '@type': 'dfc-b:Price', 'dfc-b:value': value, 'dfc-b:hasUnit': unit, ...(vat === undefined ? {} : { 'dfc-b:VATrate': vat }) });
    const priceOf = (result: DecodeResult) => {
      const record = result.records.find((r) => r.id === OFFER);
      return record?.kind === 'Offer' ? record.price?.value : undefined;
    };

    it('refuses an offer with two different prices, values, currencies or VAT rates, naming where', async () => {
      const cases: [string, string][] = [
        [offer(price([2, 3])), 'dfc-b:hasPrice/dfc-b:value'],
        [offer(price(['2', 3])), 'dfc-b:hasPrice/dfc-b:value'],
        [offer(price(2, ['dfc-m:Euro', 'dfc-m:PoundSterling'])), 'dfc-b:hasPrice/dfc-b:hasUnit'],
        [offer(price(2, 'dfc-m:Euro', [5.5, 20])), 'dfc-b:hasPrice/dfc-b:VATrate'],
        [offer([price(2), price(3)]), 'dfc-b:hasPrice'],
        [offer([2, 3]), 'dfc-b:hasPrice'],
        // The offer sent twice, each with its own price.
        [offer(price(2), [{ '@id': OFFER, 'dfc-b:hasPrice': price(3) }]), 'dfc-b:hasPrice'],
      ];
      for (const [body, path] of cases) {
        const result = await write(body);
        expect(conflicts(result), body).to.deep.equal([[OFFER, path]]);
        expect(result.rejected.map((r) => r.id), body).to.deep.equal([OFFER]);
      }
    });

    it('reads one price written twice, or in two spellings, as that price', async () => {
      for (const given of [price([2, 2]), price([2, '2']), [price(2), price(2)], [2, price(2)], price(2, ['dfc-m:Euro', 'EUR'])]) {
        const result = await write(offer(given));
        expect(conflicts(result), JSON.stringify(given)).to.deep.equal([]);
        expect(priceOf(result), JSON.stringify(given)).to.equal(2);
      }
    });

    it("reads a peer's offer as before: the first price", async () => {
      const result = await peer(offer(price([2, 3])));
      expect(conflicts(result)).to.deep.equal([]);
      expect(priceOf(result)).to.equal(2);
    });
  });
});

describe("an offer that says no stock takes its item's, in every document (a peer's page, an import, a conversion)", () => {
  const decoder = new Decoder();
  const peer = (text: string, mediaType = 'application/ld+json') => decoder.decode(text, { mediaType, base: BASE });

  it("gives the offer its item's stock, 0 and a few alike, whichever reader reads the document", async () => {
    for (const stock of [0, 9, 2.5]) {
      const text = catalogue(stock);
      // As a text (read a node at a time), as a parsed page (a sync's), and the general way (no direct reader).
      for (const result of [await peer(text), await decoder.decode(JSON.parse(text) as object, { base: BASE }), await decoder.decode(text, { base: BASE, direct: false })]) {
        expect(stockOf(result, ITEM), `${stock} via ${result.via}`).to.equal(stock);
        expect(stockOf(result, OFFER), `${stock} via ${result.via}`).to.equal(stock);
        expect(result.unstatedStock?.has(OFFER), result.via).to.equal(false);
      }
    }
    const turtle = `@prefix dfc-b: <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#> .
<${ITEM}> a dfc-b:CatalogItem ; dfc-b:sku "TOM" ; dfc-b:stockLimitation 0 ; dfc-b:offeredThrough <${OFFER}> .
<${OFFER}> a dfc-b:Offer ; dfc-b:offeredItem <${ITEM}> ; dfc-b:hasPrice 3.5 .`;
    expect(stockOf(await peer(turtle, 'text/turtle'), OFFER)).to.equal(0);
  });

  it('keeps an offer stating its own stock (on demand too), and an offer whose item says none on demand', async () => {
    expect(stockOf(await peer(catalogue(9, 4)), OFFER)).to.equal(4);
    expect(stockOf(await peer(catalogue(9, -1)), OFFER)).to.equal(null);
    const silent = await peer(catalogue(undefined));
    expect(stockOf(silent, ITEM)).to.equal(null);
    expect(stockOf(silent, OFFER)).to.equal(null);
  });
});
