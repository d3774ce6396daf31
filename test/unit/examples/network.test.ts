import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type {
  AddressRecord, CatalogItemRecord, DfcRecord, EnterpriseRecord, OfferRecord, SuppliedProductRecord,
} from '../../../ontology/records.js';
import { STARTER_PRODUCT_TYPES } from '../../../ontology/product-types.js';
import { measureIri } from '../../../ontology/units.js';
import { DFC_PT_NS } from '../../../ontology/vocabulary.js';
import { Decoder, type DecodeResult } from '../../../server/codec/decode.js';
import {
  buildEnterpriseRecords, enterpriseIris, EXAMPLE_BASE_URL, exampleFileName, exampleFileText, NETWORK,
} from '../../../examples/network/build.js';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'network');
const STARTER_TYPES = new Set(STARTER_PRODUCT_TYPES.map(([local]) => `${DFC_PT_NS}${local}`));
const PACK_UNITS = new Set<string>(
  (['Kilogram', 'Gram', 'Litre', 'Centilitre', 'Millilitre', 'Piece', 'Bunch', 'Dozen', 'HalfDozen', 'Jar', 'Bottle',
    'Punnet', 'Basket', 'Box'] as const).map((unit) => measureIri(unit)),
);
const WITH_GROUPS = ['ferme-des-trois-chenes', 'chevrerie-du-puy', 'fournil-de-la-place'];

function ofKind<K extends DfcRecord['kind']>(records: readonly DfcRecord[], kind: K): Extract<DfcRecord, { kind: K }>[] {
  return records.filter((r): r is Extract<DfcRecord, { kind: K }> => r.kind === kind);
}

/** Distance in kilometres between two points (haversine). */
function distanceKm(a: AddressRecord, b: AddressRecord): number {
  const rad = (deg: number): number => (deg * Math.PI) / 180;
  const dLat = rad((b.latitude ?? 0) - (a.latitude ?? 0));
  const dLon = rad((b.longitude ?? 0) - (a.longitude ?? 0));
  const h = Math.sin(dLat / 2) ** 2
    + Math.cos(rad(a.latitude ?? 0)) * Math.cos(rad(b.latitude ?? 0)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

describe('example network (examples/network)', () => {
  const decoder = new Decoder();
  const decoded = new Map<string, DecodeResult>();

  before(async () => {
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.jsonld'))) {
      decoded.set(file.replace(/\.jsonld$/u, ''), await decoder.decode(readFileSync(join(EXAMPLES, file), 'utf8')));
    }
  });

  function recordsOf(slug: string): DfcRecord[] {
    const result = decoded.get(slug);
    expect(result, `examples/network/${slug}.jsonld`).to.not.equal(undefined);
    return result?.records ?? [];
  }

  it('has one file per enterprise of the network, and no other', () => {
    expect(NETWORK).to.have.length(6);
    expect([...decoded.keys()].sort()).to.deep.equal(NETWORK.map((e) => e.slug).sort());
  });

  it('keeps the committed files exactly as generate.ts writes them', () => {
    for (const enterprise of NETWORK) {
      const committed = readFileSync(join(EXAMPLES, exampleFileName(enterprise)), 'utf8');
      expect(committed === exampleFileText(enterprise, EXAMPLE_BASE_URL),
        `${exampleFileName(enterprise)} is stale: run npx tsx examples/network/generate.ts`).to.equal(true);
    }
  });

  it('decodes every file with zero problems', () => {
    for (const [slug, result] of decoded) {
      expect(result.problems, `${slug}: ${JSON.stringify(result.problems, null, 2)}`).to.deep.equal([]);
      expect(result.rejected, slug).to.deep.equal([]);
    }
  });

  it('decodes to exactly the records it was built from', () => {
    for (const enterprise of NETWORK) {
      expect(recordsOf(enterprise.slug), enterprise.slug)
        .to.deep.equal(buildEnterpriseRecords(enterprise, EXAMPLE_BASE_URL));
    }
  });

  for (const enterprise of NETWORK) {
    describe(enterprise.slug, () => {
      const iris = enterpriseIris(enterprise.slug, EXAMPLE_BASE_URL);

      it('has an enterprise with an address with coordinates and a main contact', () => {
        const records = recordsOf(enterprise.slug);
        const [found] = ofKind(records, 'Enterprise');
        expect(ofKind(records, 'Enterprise')).to.have.length(1);
        expect(found?.id).to.equal(iris.enterprise);
        expect(found?.name).to.be.a('string').and.not.equal('');
        expect(found?.address).to.equal(iris.address);
        expect(found?.mainContact).to.equal(iris.person);
        const address = ofKind(records, 'Address').find((a) => a.id === iris.address);
        expect(address?.latitude).to.be.a('number').within(44, 47);
        expect(address?.longitude).to.be.a('number').within(0, 3);
        expect(address?.postcode).to.match(/^\d{5}$/u);
        const person = ofKind(records, 'Person').find((p) => p.id === iris.person);
        expect(person?.firstName).to.be.a('string');
        expect(person?.familyName).to.be.a('string');
      });

      it('sells 10 to 60 products, some on demand', () => {
        const records = recordsOf(enterprise.slug);
        const sold = ofKind(records, 'SuppliedProduct').filter((p) => p.variants.length === 0);
        expect(sold.length).to.be.within(10, 60);
        const items = ofKind(records, 'CatalogItem');
        expect(items).to.have.length(sold.length);
        expect(items.filter((i) => i.stock === null)).to.not.have.length(0);
        expect(new Set(items.map((i) => i.sku)).size, 'unique SKUs').to.equal(items.length);
      });

      if (WITH_GROUPS.includes(enterprise.slug)) {
        it('has a product group with at least two variants', () => {
          const groups = ofKind(recordsOf(enterprise.slug), 'SuppliedProduct').filter((p) => p.variants.length >= 2);
          expect(groups).to.not.have.length(0);
        });
      }

      it('links products, items, offers and the enterprise both ways, in the OFN id layout', () => {
        const records = recordsOf(enterprise.slug);
        const byId = new Map(records.map((r) => [r.id, r]));
        const get = <K extends DfcRecord['kind']>(id: string | undefined, kind: K): Extract<DfcRecord, { kind: K }> => {
          const found = id === undefined ? undefined : byId.get(id as DfcRecord['id']);
          expect(found?.kind, `${kind} ${id}`).to.equal(kind);
          return found as Extract<DfcRecord, { kind: K }>;
        };
        const ent: EnterpriseRecord = get(iris.enterprise, 'Enterprise');
        const products = ofKind(records, 'SuppliedProduct');
        expect(ent.supplies).to.deep.equal(products.map((p) => p.id));
        expect(ent.manages).to.deep.equal(ofKind(records, 'CatalogItem').map((i) => i.id));
        for (const product of products) {
          const slug = product.id.slice(iris.suppliedProduct('').length);
          expect(product.id).to.equal(iris.suppliedProduct(slug));
          expect(product.suppliedBy).to.equal(iris.enterprise);
          expect(STARTER_TYPES.has(product.productType ?? ''), `${product.id} type ${product.productType}`).to.equal(true);
          for (const variantId of product.variants) {
            expect(get(variantId, 'SuppliedProduct').variantOf).to.deep.equal([product.id]);
          }
          if (product.variants.length > 0) {
            expect(product.catalogItems, `group ${slug}`).to.deep.equal([]);
            expect(byId.has(iris.catalogItem(slug)) || byId.has(iris.offer(slug)), `group ${slug}`).to.equal(false);
            continue;
          }
          for (const groupId of product.variantOf) {
            expect(get(groupId, 'SuppliedProduct').variants).to.include(product.id);
          }
          expect(PACK_UNITS.has(product.quantity?.unit ?? ''), `${product.id} unit`).to.equal(true);
          expect(product.quantity?.value).to.be.above(0);
          expect(product.catalogItems).to.deep.equal([iris.catalogItem(slug)]);
          const item: CatalogItemRecord = get(iris.catalogItem(slug), 'CatalogItem');
          expect(item.product).to.equal(product.id);
          expect(item.managedBy).to.equal(iris.enterprise);
          expect(item.offers).to.deep.equal([iris.offer(slug)]);
          const offer: OfferRecord = get(iris.offer(slug), 'Offer');
          expect(offer.item).to.equal(item.id);
          expect(offer.stock).to.equal(item.stock);
          expect(offer.price?.currency).to.equal(measureIri('Euro'));
          expect(offer.price?.value).to.be.above(0);
          expect([5.5, 20]).to.include(offer.price?.vatRate);
          if (item.stock !== null) expect(Number.isInteger(item.stock), `${item.id} stock`).to.equal(true);
        }
      });
    });
  }

  it('places every enterprise within 40 km of every other', () => {
    const addresses = NETWORK.map((e) => ofKind(recordsOf(e.slug), 'Address')[0] as AddressRecord);
    for (const a of addresses) {
      for (const b of addresses) expect(distanceKm(a, b), `${a.city} - ${b.city}`).to.be.at.most(40);
    }
  });

  it('uses distinct product slugs within each enterprise', () => {
    for (const enterprise of NETWORK) {
      const products: SuppliedProductRecord[] = ofKind(buildEnterpriseRecords(enterprise, EXAMPLE_BASE_URL), 'SuppliedProduct');
      expect(new Set(products.map((p) => p.id)).size, enterprise.slug).to.equal(products.length);
    }
  });

  it('lays ids out under any base URL', () => {
    const [first] = NETWORK;
    expect(first).to.not.equal(undefined);
    if (first === undefined) return;
    const records = buildEnterpriseRecords(first, 'http://127.0.0.1:3000');
    expect(records[0]?.id).to.equal(`http://127.0.0.1:3000/api/dfc/enterprises/${first.slug}`);
    expect(records.every((r) => r.id.startsWith('http://127.0.0.1:3000/api/dfc/'))).to.equal(true);
  });
});
