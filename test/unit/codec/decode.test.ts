import { expect } from 'chai';
import { DFC_B, DFC_PT_NS } from '../../../ontology/vocabulary.js';
import { measureIri } from '../../../ontology/units.js';
import { Decoder, decodeFailed, type DecodeResult } from '../../../server/codec/decode.js';
import { errorsOf, fixtureJson, fixtureText, idsOf, recordOf } from './fixtures.js';

const EURO = measureIri('Euro');
const CONTEXT_1_16 = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const FRANCE = 'http://publications.europa.eu/resource/authority/country/FRA';

function expectClean(result: DecodeResult): void {
  expect(errorsOf(result), JSON.stringify(result.problems, null, 2)).to.deep.equal([]);
  expect(result.rejected).to.deep.equal([]);
  expect(decodeFailed(result)).to.equal(false);
}

describe('Decoder.decode', () => {
  const decoder = new Decoder();

  describe('Open Food Network catalogue (DFC 1.16)', () => {
    const OFN = 'https://ofn.example/api/dfc/enterprises/3101';
    const group = `${OFN}/supplied_products/900`;
    const variants = [901, 902, 903].map((n) => `${OFN}/supplied_products/${n}`);
    const items = [901, 902, 903].map((n) => `${OFN}/catalog_items/${n}`);
    const offers = [901, 902, 903].map((n) => `${OFN}/offers/${n}`);
    let result: DecodeResult;

    before(async () => {
      result = await decoder.decode(fixtureText('ofn-catalog-1.16.json'));
    });

    it('decodes on the fast path without problems but a warning for a product type the starter taxonomy lacks', () => {
      expectClean(result);
      // The official taxonomy spells it `hierloom-tomato`: the type OFN sends is kept, with a warning.
      expect(result.problems.map((p) => [p.code, p.severity, p.id])).to.deep.equal([['unknown-product-type', 'warning', variants[0]]]);
      expect(result.via).to.equal('fast');
      expect(idsOf(result.records, 'SuppliedProduct')).to.deep.equal([group, ...variants]);
      expect(idsOf(result.records, 'CatalogItem')).to.deep.equal(items);
      expect(idsOf(result.records, 'Offer')).to.deep.equal(offers);
    });

    it('reads the enterprise, its address and its main contact', () => {
      const enterprise = recordOf(result.records, 'Enterprise', OFN);
      expect(enterprise.name).to.equal('Ferme des Trois Chênes');
      expect(enterprise.description).to.equal('Maraîchage biologique en Drôme, vente en circuit court.');
      expect(enterprise.email).to.equal('contact@trois-chenes.example');
      expect(enterprise.website).to.equal('https://trois-chenes.example');
      expect(enterprise.address).to.equal('https://ofn.example/api/dfc/addresses/4101');
      expect(enterprise.mainContact).to.equal(`${OFN}#mainContact`);
      expect(enterprise.supplies).to.deep.equal([group, ...variants]);
      expect(enterprise.manages).to.deep.equal(items);

      const address = recordOf(result.records, 'Address', 'https://ofn.example/api/dfc/addresses/4101');
      expect(address.street).to.equal('12 chemin des Vignes');
      expect(address.postcode).to.equal('26400');
      expect(address.city).to.equal('Crest');
      expect(address.country).to.equal(FRANCE);
      expect(address.latitude).to.equal(44.7281);
      expect(address.longitude).to.equal(5.0227);

      const contact = recordOf(result.records, 'Person', `${OFN}#mainContact`);
      expect(contact.firstName).to.equal('Camille');
      expect(contact.familyName).to.equal('Rivière');
    });

    it('keeps ofn:* properties in extra', () => {
      const enterprise = recordOf(result.records, 'Enterprise', OFN);
      expect(enterprise.extra).to.deep.equal({ 'ofn:contact_name': [{ '@value': 'Camille Rivière' }] });
      for (const id of [group, ...variants]) {
        expect(recordOf(result.records, 'SuppliedProduct', id).extra).to.deep.equal({
          'ofn:spree_product_id': [{ '@value': 77 }],
        });
      }
    });

    it('links the product group and its variants in both directions', () => {
      const groupRecord = recordOf(result.records, 'SuppliedProduct', group);
      expect(groupRecord.name).to.equal('Tomates de plein champ');
      expect(groupRecord.variants).to.deep.equal(variants);
      expect(groupRecord.variantOf).to.deep.equal([]);
      for (const id of variants) {
        const variant = recordOf(result.records, 'SuppliedProduct', id);
        expect(variant.variantOf).to.deep.equal([group]);
        expect(variant.variants).to.deep.equal([]);
        expect(variant.suppliedBy).to.equal(OFN);
      }
    });

    it('reads product types, pack sizes and images', () => {
      const [v1, v2, v3] = variants.map((id) => recordOf(result.records, 'SuppliedProduct', id));
      expect(v1?.name).to.equal('Tomates anciennes - 1 kg');
      expect(v1?.productType).to.equal(`${DFC_PT_NS}heirloom-tomato`);
      expect(v1?.quantity).to.deep.equal({ value: 1000, unit: measureIri('Gram') });
      expect(v1?.images).to.deep.equal(['https://ofn.example/images/tomates-anciennes.jpg']);
      expect(v2?.name).to.equal('Tomates cerises - barquette 250 g');
      expect(v2?.productType).to.equal(`${DFC_PT_NS}cherry-tomato`);
      expect(v2?.quantity).to.deep.equal({ value: 250, unit: measureIri('Gram') });
      expect(v3?.productType).to.equal(`${DFC_PT_NS}round-tomato`);
      expect(v3?.quantity).to.deep.equal({ value: 1, unit: measureIri('Piece') });
    });

    it('reads catalog items with stock, null when on demand', () => {
      const [i1, i2, i3] = items.map((id) => recordOf(result.records, 'CatalogItem', id));
      expect(i1?.sku).to.equal('TOM-ANC-1KG');
      expect(i1?.stock).to.equal(40);
      // No stockLimitation anywhere: on demand.
      expect(i2?.sku).to.equal('TOM-CER-250');
      expect(i2?.stock).to.equal(null);
      // stockLimitation -1: on demand (Open Food Network's rule).
      expect(i3?.stock).to.equal(null);
      for (const item of [i1, i2, i3]) expect(item?.managedBy).to.equal(OFN);
    });

    it('links catalog items and products both ways', () => {
      items.forEach((itemId, i) => {
        const item = recordOf(result.records, 'CatalogItem', itemId);
        expect(item.product).to.equal(variants[i]);
        expect(recordOf(result.records, 'SuppliedProduct', variants[i] as string).catalogItems).to.deep.equal([itemId]);
      });
    });

    it('reads offers with prices as numbers in euro and links them to their item', () => {
      const [o1, o2, o3] = offers.map((id) => recordOf(result.records, 'Offer', id));
      expect(o1?.price).to.deep.equal({ value: 5.8, currency: EURO });
      expect(o1?.stock).to.equal(40);
      expect(o2?.price).to.deep.equal({ value: 3.2, currency: EURO });
      expect(o2?.stock).to.equal(null);
      expect(o3?.price?.value).to.equal(0.6);
      expect(o3?.price?.currency).to.equal(EURO);
      expect(o3?.stock).to.equal(null);
      offers.forEach((offerId, i) => {
        // Only offeredThrough is in the document: offeredItem is completed.
        expect(recordOf(result.records, 'Offer', offerId).item).to.equal(items[i]);
        expect(recordOf(result.records, 'CatalogItem', items[i] as string).offers).to.deep.equal([offerId]);
      });
    });

    it('does not turn inline prices and quantities into records', () => {
      expect(result.records.filter((r) => r.kind === 'Resource')).to.deep.equal([]);
      expect(result.records.every((r) => !r.id.startsWith('_:'))).to.equal(true);
    });

    it('decodes the same from parsed JSON as from text', async () => {
      const parsed = await decoder.decode(fixtureJson<object>('ofn-catalog-1.16.json'));
      expect(parsed.records).to.deep.equal(result.records);
      expect(parsed.via).to.equal('fast');
    });
  });

  describe('TypeScript connector export', () => {
    const COOP = 'https://coop.example';
    const enterpriseId = `${COOP}/enterprises/brasserie-du-vercors`;
    let result: DecodeResult;

    before(async () => {
      result = await decoder.decode(fixtureText('connector-export.json'), { mediaType: 'application/ld+json; charset=utf-8' });
    });

    it('decodes on the fast path without problems', () => {
      expectClean(result);
      expect(result.via).to.equal('fast');
      expect(result.records.map((r) => r.kind)).to.deep.equal([
        'Enterprise', 'Address', 'CustomerCategory', 'SuppliedProduct', 'SuppliedProduct', 'CatalogItem',
        'CatalogItem', 'Offer', 'Offer', 'SaleSession', 'Order', 'OrderLine',
      ]);
    });

    it('maps the connector spellings of enterprise and address', () => {
      const enterprise = recordOf(result.records, 'Enterprise', enterpriseId);
      expect(enterprise.name).to.equal('Brasserie du Vercors');
      expect(enterprise.description).to.equal('Bières artisanales brassées au pied du plateau.');
      expect(enterprise.vatNumber).to.equal('FR00123456789');
      expect(enterprise.customerCategories).to.deep.equal([`${COOP}/customer-categories/particuliers`]);
      const address = recordOf(result.records, 'Address', `${COOP}/addresses/brasserie-du-vercors`);
      expect(address.street).to.equal('3 route des Grands Goulets');
      expect(address.postcode).to.equal('26420');
      expect(address.city).to.equal('La Chapelle-en-Vercors');
      expect(address.latitude).to.equal(44.9697);
      expect(address.longitude).to.equal(5.4153);
      const category = recordOf(result.records, 'CustomerCategory', `${COOP}/customer-categories/particuliers`);
      expect(category.definedBy).to.equal(enterpriseId);
    });

    it('turns numbers sent as strings into numbers', () => {
      const blonde = recordOf(result.records, 'SuppliedProduct', `${COOP}/products/blonde-33cl`);
      expect(blonde.quantity).to.deep.equal({ value: 0.33, unit: measureIri('Litre') });
      expect(blonde.totalTheoreticalStock).to.equal(120);
      expect(blonde.images).to.deep.equal([`${COOP}/images/blonde-33cl.jpg`]);
      expect(blonde.productType).to.equal(`${DFC_PT_NS}beer`);
      expect(blonde.description).to.equal('Blonde légère, houblon du Diois.');
      expect(recordOf(result.records, 'CatalogItem', `${COOP}/catalog-items/blonde-33cl`).stock).to.equal(40);
      expect(recordOf(result.records, 'CatalogItem', `${COOP}/catalog-items/ambree-75cl`).stock).to.equal(12);
    });

    it('reads prices from flattened blank nodes, with their VAT rate', () => {
      const blonde = recordOf(result.records, 'Offer', `${COOP}/offers/blonde-33cl`);
      expect(blonde.price).to.deep.equal({ value: 2.8, currency: EURO, vatRate: 20 });
      expect(blonde.stock).to.equal(40);
      expect(blonde.customerCategory).to.equal(`${COOP}/customer-categories/particuliers`);
      const ambree = recordOf(result.records, 'Offer', `${COOP}/offers/ambree-75cl`);
      expect(ambree.price).to.deep.equal({ value: 6.5, currency: EURO, vatRate: 5.5 });
      // The offer says no stock: it takes its item's (12); the blonde says its own (40).
      expect(ambree.stock).to.equal(12);
      expect(result.records.some((r) => r.id.startsWith('_:'))).to.equal(false);
    });

    it('completes item ↔ offer and item ↔ product links from the other side', () => {
      // offeredItem only: the item's offers are completed.
      for (const name of ['blonde-33cl', 'ambree-75cl']) {
        const item = recordOf(result.records, 'CatalogItem', `${COOP}/catalog-items/${name}`);
        expect(item.offers).to.deep.equal([`${COOP}/offers/${name}`]);
        expect(recordOf(result.records, 'Offer', `${COOP}/offers/${name}`).item).to.equal(item.id);
        expect(item.managedBy).to.equal(enterpriseId);
      }
      // The ambrée item has no references: it comes from the product's referencedBy.
      const ambree = recordOf(result.records, 'CatalogItem', `${COOP}/catalog-items/ambree-75cl`);
      expect(ambree.product).to.equal(`${COOP}/products/ambree-75cl`);
      expect(recordOf(result.records, 'SuppliedProduct', `${COOP}/products/ambree-75cl`).catalogItems)
        .to.deep.equal([ambree.id]);
    });

    it('reads the sale session, the order and its line', () => {
      const session = recordOf(result.records, 'SaleSession', `${COOP}/sale-sessions/2025-s20`);
      expect(session.beginDate).to.equal('2025-05-12T08:00:00+02:00');
      expect(session.endDate).to.equal('2025-05-16T18:00:00+02:00');
      expect(session.offers).to.deep.equal([`${COOP}/offers/blonde-33cl`, `${COOP}/offers/ambree-75cl`]);
      const order = recordOf(result.records, 'Order', `${COOP}/orders/1042`);
      expect(order.orderNumber).to.equal('1042');
      expect(order.soldBy).to.equal(enterpriseId);
      expect(order.saleSession).to.equal(session.id);
      expect(order.lines).to.deep.equal([`${COOP}/orders/1042/lines/1`]);
      const line = recordOf(result.records, 'OrderLine', `${COOP}/orders/1042/lines/1`);
      expect(line.quantity).to.equal(2);
      expect(line.offer).to.equal(`${COOP}/offers/blonde-33cl`);
      expect(line.order).to.equal(order.id);
    });
  });

  describe('DFC 2.0 document', () => {
    const BASE = 'https://coop.example/v2/gaec-la-source';
    let result: DecodeResult;

    before(async () => {
      result = await decoder.decode(fixtureText('fdc-2.0.json'));
    });

    it('decodes on the fast path without problems', () => {
      expectClean(result);
      expect(result.via).to.equal('fast');
      expect(idsOf(result.records, 'CatalogItem')).to.deep.equal([`${BASE}/catalog-items/crottin`, `${BASE}/catalog-items/tomme`]);
    });

    it('reads dfc-b:Organization as an Enterprise', () => {
      const organization = recordOf(result.records, 'Enterprise', BASE);
      expect(organization.name).to.equal('GAEC de la Source');
      expect(organization.address).to.equal(`${BASE}/address`);
      expect(organization.manages).to.deep.equal([`${BASE}/catalog-items/crottin`, `${BASE}/catalog-items/tomme`]);
      // dfc-b:Organization is the 2.0 name of the class: not an extra type.
      expect(organization.extraTypes).to.equal(undefined);
      const address = recordOf(result.records, 'Address', `${BASE}/address`);
      expect(address.postcode).to.equal('07200');
      expect(address.country).to.equal(FRANCE);
    });

    it('maps 2.0 namespaces to the canonical 1.16 IRIs', () => {
      const crottin = recordOf(result.records, 'SuppliedProduct', `${BASE}/products/crottin`);
      expect(crottin.productType).to.equal(`${DFC_PT_NS}goat-fresh-cheese`);
      expect(crottin.quantity).to.deep.equal({ value: 60, unit: measureIri('Gram') });
      const tomme = recordOf(result.records, 'SuppliedProduct', `${BASE}/products/tomme`);
      expect(tomme.productType).to.equal(`${DFC_PT_NS}goat-mature-cheese`);
      expect(tomme.quantity).to.deep.equal({ value: 0.5, unit: measureIri('Kilogram') });
      expect(recordOf(result.records, 'SuppliedProduct', `${BASE}/products/fromages`).productType)
        .to.equal(`${DFC_PT_NS}goat-dairy-product`);
      const offer = recordOf(result.records, 'Offer', `${BASE}/offers/crottin`);
      expect(offer.price).to.deep.equal({ value: 2.1, currency: EURO });
      // No record keeps a w3id 2.0 IRI anywhere.
      expect(JSON.stringify(result.records)).to.not.include('w3id.org/dfc');
    });

    it('completes isVariantOf from hasVariant', () => {
      const group = recordOf(result.records, 'SuppliedProduct', `${BASE}/products/fromages`);
      expect(group.variants).to.deep.equal([`${BASE}/products/crottin`, `${BASE}/products/tomme`]);
      for (const id of group.variants) {
        expect(recordOf(result.records, 'SuppliedProduct', id).variantOf).to.deep.equal([group.id]);
      }
    });

    it('reads stock and links items, products and offers', () => {
      const crottin = recordOf(result.records, 'CatalogItem', `${BASE}/catalog-items/crottin`);
      expect(crottin.stock).to.equal(85);
      expect(crottin.sku).to.equal('CROT-60');
      expect(crottin.product).to.equal(`${BASE}/products/crottin`);
      expect(crottin.offers).to.deep.equal([`${BASE}/offers/crottin`]);
      expect(crottin.managedBy).to.equal(BASE);
      expect(recordOf(result.records, 'Offer', `${BASE}/offers/crottin`).item).to.equal(crottin.id);
      // The offer says no stock: it takes its item's (one stock per variant, as Open Food Network reads it).
      expect(recordOf(result.records, 'Offer', `${BASE}/offers/crottin`).stock).to.equal(85);
      const tommeOffer = recordOf(result.records, 'Offer', `${BASE}/offers/tomme`);
      expect(tommeOffer.price).to.deep.equal({ value: 11, currency: EURO });
      expect(tommeOffer.stock).to.equal(6);
      expect(tommeOffer.item).to.equal(`${BASE}/catalog-items/tomme`);
      expect(recordOf(result.records, 'SuppliedProduct', `${BASE}/products/tomme`).catalogItems)
        .to.deep.equal([`${BASE}/catalog-items/tomme`]);
    });
  });

  describe('Turtle catalogue', () => {
    const TTL = 'https://coop.example/ttl';
    let result: DecodeResult;

    before(async () => {
      result = await decoder.decode(fixtureText('catalog.ttl'), { mediaType: 'text/turtle' });
    });

    it('decodes through the RDF reader without problems', () => {
      expectClean(result);
      expect(result.via).to.equal('rdf');
      expect(result.records.map((r) => r.kind)).to.deep.equal(['Enterprise', 'SuppliedProduct', 'CatalogItem', 'Offer']);
    });

    it('reads typed literals as numbers and blank-node prices', () => {
      const product = recordOf(result.records, 'SuppliedProduct', `${TTL}/products/miel-lavande-500g`);
      expect(product.name).to.equal('Miel de lavande 500 g');
      expect(product.productType).to.equal(`${DFC_PT_NS}honey`);
      expect(product.quantity).to.deep.equal({ value: 500, unit: measureIri('Gram') });
      expect(product.suppliedBy).to.equal(`${TTL}/rucher-des-baronnies`);
      expect(product.catalogItems).to.deep.equal([`${TTL}/catalog-items/miel-lavande-500g`]);
      const item = recordOf(result.records, 'CatalogItem', `${TTL}/catalog-items/miel-lavande-500g`);
      expect(item.stock).to.equal(24);
      expect(item.sku).to.equal('MIEL-LAV-500');
      expect(item.product).to.equal(product.id);
      expect(item.offers).to.deep.equal([`${TTL}/offers/miel-lavande-500g`]);
      const offer = recordOf(result.records, 'Offer', `${TTL}/offers/miel-lavande-500g`);
      expect(offer.price).to.deep.equal({ value: 4.5, currency: EURO, vatRate: 5.5 });
      expect(offer.stock).to.equal(24);
      expect(offer.item).to.equal(item.id);
      expect(recordOf(result.records, 'Enterprise', `${TTL}/rucher-des-baronnies`).name).to.equal('Rucher des Baronnies');
    });
  });

  describe('expanded JSON-LD', () => {
    const EXP = 'https://coop.example/expanded';
    let result: DecodeResult;

    before(async () => {
      result = await decoder.decode(fixtureText('expanded.json'));
    });

    it('decodes a document without @context', () => {
      expectClean(result);
      expect(result.records.map((r) => r.kind)).to.deep.equal(['Enterprise', 'SuppliedProduct', 'CatalogItem', 'Offer']);
      const product = recordOf(result.records, 'SuppliedProduct', `${EXP}/products/farine-t80`);
      expect(product.name).to.equal('Farine de blé T80 - 1 kg');
      expect(product.productType).to.equal(`${DFC_PT_NS}grain`);
      expect(product.quantity).to.deep.equal({ value: 1, unit: measureIri('Kilogram') });
      expect(product.suppliedBy).to.equal(`${EXP}/enterprises/moulin-de-la-tour`);
      const item = recordOf(result.records, 'CatalogItem', `${EXP}/catalog-items/farine-t80`);
      expect(item.stock).to.equal(15);
      expect(item.sku).to.equal('FAR-T80-1KG');
      expect(item.product).to.equal(product.id);
      const offer = recordOf(result.records, 'Offer', `${EXP}/offers/farine-t80`);
      expect(offer.price).to.deep.equal({ value: 2.95, currency: EURO });
      expect(offer.item).to.equal(item.id);
      // The offer says no stock: it takes its item's.
      expect(offer.stock).to.equal(15);
    });
  });

  describe('valid edge cases', () => {
    const EDGE = 'https://coop.example/edge';
    let result: DecodeResult;

    before(async () => {
      result = await decoder.decode(fixtureText('valid-edge-cases.json'));
    });

    it('accepts every resource', () => {
      expectClean(result);
      expect(result.via).to.equal('fast');
      expect(idsOf(result.records, 'SuppliedProduct')).to.deep.equal([`${EDGE}/products/tomates`]);
      expect(idsOf(result.records, 'CatalogItem')).to.deep.equal([`${EDGE}/catalog-items/tomates`]);
      expect(idsOf(result.records, 'Offer')).to.deep.equal([`${EDGE}/offers/tomates`]);
    });

    it('reads a language-tagged name and a product embedded in ldp:contains', () => {
      const product = recordOf(result.records, 'SuppliedProduct', `${EDGE}/products/tomates`);
      expect(product.name).to.equal('Tomates');
      expect(product.productType).to.equal(`${DFC_PT_NS}round-tomato`);
      expect(product.quantity).to.deep.equal({ value: 1, unit: measureIri('Kilogram') });
    });

    it('takes the first of several values and keeps the others in extra', () => {
      const product = recordOf(result.records, 'SuppliedProduct', `${EDGE}/products/tomates`);
      expect(product.description).to.equal('Tomates rondes de plein champ.');
      expect(product.extra?.[DFC_B.description]).to.deep.equal([{ '@value': 'Variété Marmande.' }]);
    });

    it('accepts negative stock as on demand', () => {
      const item = recordOf(result.records, 'CatalogItem', `${EDGE}/catalog-items/tomates`);
      expect(item.stock).to.equal(null);
      expect(item.sku).to.equal('TOM-RND-1KG');
      // stockLimitation {"@value": "-1"} on the offer: on demand too.
      expect(recordOf(result.records, 'Offer', `${EDGE}/offers/tomates`).stock).to.equal(null);
    });

    it('reads an offer embedded in its catalog item and links both ways', () => {
      const item = recordOf(result.records, 'CatalogItem', `${EDGE}/catalog-items/tomates`);
      const offer = recordOf(result.records, 'Offer', `${EDGE}/offers/tomates`);
      expect(item.offers).to.deep.equal([offer.id]);
      expect(offer.item).to.equal(item.id);
      expect(offer.price).to.deep.equal({ value: 3.9, currency: EURO });
      expect(item.product).to.equal(`${EDGE}/products/tomates`);
      expect(recordOf(result.records, 'SuppliedProduct', `${EDGE}/products/tomates`).catalogItems).to.deep.equal([item.id]);
    });
  });

  describe('full JSON-LD processing fallback', () => {
    const B = DFC_B.namespace;
    const P = 'https://coop.example/full';

    /** The compact document the other forms must decode like. */
    const compact = {
      '@context': CONTEXT_1_16,
      '@graph': [
        {
          '@id': `${P}/products/carottes`,
          '@type': 'dfc-b:SuppliedProduct',
          'dfc-b:name': 'Carottes de Tréhet - 1 kg',
          'dfc-b:hasType': 'dfc-pt:carrot',
          'dfc-b:hasQuantity': { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:hasUnit': 'dfc-m:Kilogram', 'dfc-b:value': 1 },
        },
        {
          '@id': `${P}/catalog-items/carottes`,
          '@type': 'dfc-b:CatalogItem',
          'dfc-b:references': `${P}/products/carottes`,
          'dfc-b:sku': 'CAR-1KG',
          'dfc-b:stockLimitation': 30,
        },
        {
          '@id': `${P}/offers/carottes`,
          '@type': 'dfc-b:Offer',
          'dfc-b:offeredItem': { '@id': `${P}/catalog-items/carottes` },
          'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 2.6, 'dfc-b:hasUnit': 'dfc-m:Euro' },
        },
      ],
    };

    const byId = (result: DecodeResult) => [...result.records].sort((a, b) => a.id.localeCompare(b.id));

    it('decodes the compact reference document by the direct reader', async () => {
      const result = await decoder.decode(compact);
      expectClean(result);
      expect(result.via).to.equal('direct');
      expect(result.records).to.have.length(3);
      expect(recordOf(result.records, 'CatalogItem', `${P}/catalog-items/carottes`).offers).to.deep.equal([`${P}/offers/carottes`]);
    });

    it('decodes a document using @vocab like the compact one', async () => {
      const vocab = {
        '@context': [CONTEXT_1_16, { '@vocab': B }],
        '@graph': [
          {
            '@id': `${P}/products/carottes`,
            '@type': 'SuppliedProduct',
            name: 'Carottes de Tréhet - 1 kg',
            hasType: { '@id': 'dfc-pt:carrot' },
            hasQuantity: { '@type': 'QuantitativeValue', hasUnit: { '@id': 'dfc-m:Kilogram' }, value: 1 },
          },
          {
            '@id': `${P}/catalog-items/carottes`,
            '@type': 'CatalogItem',
            references: { '@id': `${P}/products/carottes` },
            sku: 'CAR-1KG',
            stockLimitation: 30,
          },
          {
            '@id': `${P}/offers/carottes`,
            '@type': 'Offer',
            offeredItem: { '@id': `${P}/catalog-items/carottes` },
            hasPrice: { '@type': 'Price', value: 2.6, hasUnit: { '@id': 'dfc-m:Euro' } },
          },
        ],
      };
      const expected = await decoder.decode(compact);
      const result = await decoder.decode(vocab);
      expectClean(result);
      expect(result.via).to.equal('full');
      expect(byId(result)).to.deep.equal(byId(expected));
    });

    it('decodes a document using @reverse like the compact one', async () => {
      // The offer → item link is written from the item's side with @reverse.
      const reverse = {
        '@context': CONTEXT_1_16,
        '@graph': [
          compact['@graph'][0],
          {
            ...compact['@graph'][1],
            '@reverse': { 'dfc-b:offeredItem': { '@id': `${P}/offers/carottes` } },
          },
          {
            '@id': `${P}/offers/carottes`,
            '@type': 'dfc-b:Offer',
            'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 2.6, 'dfc-b:hasUnit': 'dfc-m:Euro' },
          },
        ],
      };
      const expected = await decoder.decode(compact);
      const result = await decoder.decode(reverse);
      expectClean(result);
      // The one-pass reader takes @reverse with a simple context; with @vocab it needs jsonld.js.
      expect(result.via).to.equal('fast');
      expect(byId(result)).to.deep.equal(byId(expected));
      const full = await decoder.decode({ ...reverse, '@context': [CONTEXT_1_16, { '@vocab': 'https://vocab.example/' }] });
      expectClean(full);
      expect(full.via).to.equal('full');
      expect(byId(full)).to.deep.equal(byId(expected));
    });
  });
});
