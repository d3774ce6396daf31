import { expect } from 'chai';
import type { NodeId } from '../../../ontology/iri.js';
import type { CatalogItemRecord, OfferRecord } from '../../../ontology/records.js';
import { measureIri } from '../../../ontology/units.js';
import { DFC_B } from '../../../ontology/vocabulary.js';
import { readCatalogItemUpdate, readOfferUpdate } from '../../../server/codec/plain-json.js';
import { barePrice, jsonNumber, stockOf } from '../../../server/codec/values.js';

const EURO = measureIri('Euro');
const item: CatalogItemRecord = {
  kind: 'CatalogItem', id: 'https://node.example/api/dfc/enterprises/e/catalog_items/tomate' as NodeId, stock: 5, sku: 'TOM-1',
  offers: [], listedIn: [],
};
const offer: OfferRecord = {
  kind: 'Offer', id: 'https://node.example/api/dfc/enterprises/e/offers/tomate' as NodeId, stock: 5,
  price: { value: 2, currency: EURO, vatRate: 5.5 },
};
const json = (value: unknown, mediaType = 'application/json') => ({ text: typeof value === 'string' ? value : JSON.stringify(value), mediaType });

describe('Plain-JSON updates (Open Food Network)', () => {
  describe('the shared value rules', () => {
    it('stock: zero or more is limited, absent or negative is on demand', () => {
      expect(stockOf(0)).to.equal(0);
      expect(stockOf(12)).to.equal(12);
      expect(stockOf(-1)).to.equal(null);
      expect(stockOf(undefined)).to.equal(null);
    });

    it('numbers: JSON numbers and numeric strings, nothing else', () => {
      expect(jsonNumber(3)).to.equal(3);
      expect(jsonNumber(' 4.5 ')).to.equal(4.5);
      expect(jsonNumber('1e2')).to.equal(100);
      expect(jsonNumber('4 kg')).to.equal(undefined);
      expect(jsonNumber(true)).to.equal(undefined);
      expect(jsonNumber(null)).to.equal(undefined);
      expect(jsonNumber(Number.POSITIVE_INFINITY)).to.equal(undefined);
    });

    it('a bare price keeps the currency and VAT rate of the price it replaces', () => {
      expect(barePrice(3, EURO)).to.deep.equal({ value: 3, currency: EURO });
      const pound = measureIri('PoundSterling');
      expect(barePrice(3, EURO, { value: 1, currency: pound, vatRate: 20 })).to.deep.equal({ value: 3, currency: pound, vatRate: 20 });
    });
  });

  describe('a catalog item', () => {
    it('takes dfc-b:stockLimitation and dfc-b:sku, by CURIE, bare name, or (stock only) full IRI', () => {
      expect(readCatalogItemUpdate(json({ 'dfc-b:stockLimitation': 12, 'dfc-b:sku': 'TOM-2' }), item))
        .to.deep.equal({ kind: 'update', update: { stock: 12, sku: 'TOM-2' }, problems: [] });
      expect(readCatalogItemUpdate(json({ stockLimitation: '7', sku: null }), item))
        .to.deep.equal({ kind: 'update', update: { stock: 7, sku: null }, problems: [] });
      expect(readCatalogItemUpdate(json({ [DFC_B.stockLimitation]: -1 }), item))
        .to.deep.equal({ kind: 'update', update: { stock: null }, problems: [] });
      expect(readCatalogItemUpdate(json({}), item)).to.deep.equal({ kind: 'update', update: {}, problems: [] });
    });

    it('reports values that are not numbers or strings, with codes', () => {
      const read = readCatalogItemUpdate(json({ 'dfc-b:stockLimitation': 'lots', 'dfc-b:sku': 3 }), item);
      expect(read.kind).to.equal('update');
      if (read.kind !== 'update') return;
      expect(read.problems.map((p) => [p.code, p.path, p.message])).to.deep.equal([
        ['not-a-number', 'dfc-b:stockLimitation', 'stock (dfc-b:stockLimitation) is not a number: "lots"'],
        ['not-a-string', 'dfc-b:sku', 'sku must be a string'],
      ]);
      expect(read.problems[0]).to.include({ id: item.id, type: 'dfc-b:CatalogItem', severity: 'error' });
    });

    it('refuses a key the resource does not take, naming the keys it does', () => {
      const read = readCatalogItemUpdate(json({ 'dfc-b:hasPrice': 3 }), item);
      expect(read).to.have.property('kind', 'refused');
      if (read.kind !== 'refused') return;
      expect(read.problem.code).to.equal('unexpected-property');
      expect(read.problem.message).to.equal('unknown field "dfc-b:hasPrice" here: expected dfc-b:stockLimitation or dfc-b:sku');
      expect(readCatalogItemUpdate(json({ [DFC_B.sku]: 'X' }), item)).to.have.property('kind', 'refused');
    });

    it('refuses malformed JSON and non-objects as syntax errors', () => {
      const malformed = readCatalogItemUpdate(json('{ nope'), item);
      expect(malformed.kind === 'refused' && malformed.problem.code).to.equal('invalid-json');
      expect(malformed.kind === 'refused' && malformed.problem.message).to.match(/^malformed JSON: /u);
      for (const body of ['[1]', '3', 'null']) {
        const read = readCatalogItemUpdate(json(body), item);
        expect(read.kind === 'refused' && [read.problem.code, read.problem.message], body).to.deep.equal(['not-an-object', 'expected a JSON object']);
      }
    });

    it('leaves JSON-LD and non-JSON bodies to the document decoder', () => {
      expect(readCatalogItemUpdate(json({ '@context': 'x', 'dfc-b:sku': 'A' }), item)).to.deep.equal({ kind: 'document' });
      expect(readCatalogItemUpdate(json({ '@type': 'dfc-b:CatalogItem' }), item)).to.deep.equal({ kind: 'document' });
      expect(readCatalogItemUpdate(json({ '@graph': [] }, 'application/ld+json'), item)).to.deep.equal({ kind: 'document' });
      expect(readCatalogItemUpdate({ text: '<a> <b> <c> .', mediaType: 'text/turtle' }, item)).to.deep.equal({ kind: 'document' });
    });
  });

  describe('an offer', () => {
    it('takes a bare-number price in the offer\'s currency, keeping its VAT rate', () => {
      expect(readOfferUpdate(json({ 'dfc-b:hasPrice': 3.5 }), offer))
        .to.deep.equal({ kind: 'update', update: { price: { value: 3.5, currency: EURO, vatRate: 5.5 } }, problems: [] });
      expect(readOfferUpdate(json({ price: '4' }), { ...offer, price: undefined } as unknown as OfferRecord))
        .to.deep.equal({ kind: 'update', update: { price: { value: 4, currency: EURO } }, problems: [] });
    });

    it('takes a Price object, expanding a dfc-m: unit, keeping the VAT rate unless given', () => {
      const pound = measureIri('PoundSterling');
      expect(readOfferUpdate(json({ 'dfc-b:hasPrice': { 'dfc-b:value': 3, 'dfc-b:hasUnit': 'dfc-m:PoundSterling' } }), offer))
        .to.deep.equal({ kind: 'update', update: { price: { value: 3, currency: pound, vatRate: 5.5 } }, problems: [] });
      expect(readOfferUpdate(json({ hasPrice: { value: '3', VATrate: 20 } }), offer))
        .to.deep.equal({ kind: 'update', update: { price: { value: 3, currency: EURO, vatRate: 20 } }, problems: [] });
    });

    it('takes a stock, and reports prices that are not numbers', () => {
      expect(readOfferUpdate(json({ 'dfc-b:stockLimitation': null }), offer)).to.deep.equal({ kind: 'update', update: { stock: null }, problems: [] });
      const read = readOfferUpdate(json({ 'dfc-b:hasPrice': { 'dfc-b:value': 'cher' } }), offer);
      expect(read.kind === 'update' && read.problems.map((p) => [p.code, p.type, p.path, p.message])).to.deep.equal([
        ['not-a-number', 'dfc-b:Offer', 'dfc-b:hasPrice', 'price is not a number: {"dfc-b:value":"cher"}'],
      ]);
      expect(read.kind === 'update' && read.update).to.deep.equal({});
    });

    it('refuses a SKU, which belongs to the catalog item', () => {
      const read = readOfferUpdate(json({ sku: 'A' }), offer);
      expect(read.kind === 'refused' && read.problem.message).to.equal('unknown field "sku" here: expected dfc-b:stockLimitation or dfc-b:hasPrice');
    });
  });
});
