import { expect } from 'chai';
import { INVERSE_PAIRS, LINK_ENDS, withDerivedLinks, withoutDerivedLinks } from '../../../ontology/inverses.js';
import type { NodeId } from '../../../ontology/iri.js';
import type { CatalogItemRecord, DfcRecord, EnterpriseRecord, OfferRecord, SuppliedProductRecord } from '../../../ontology/records.js';
import { DFC_B } from '../../../ontology/vocabulary.js';
import { Decoder } from '../../../server/codec/decode.js';
import { sampleRecords } from '../../helpers/sample-records.js';

const CONTEXT = 'https://www.datafoodconsortium.org';
const BASE = 'https://shop.example/api/dfc/enterprises/shop';

describe('The inverse-property table', () => {
  it('pairs the properties the node keeps both ways, with DFC_B constants', () => {
    const pairs = INVERSE_PAIRS.map((p) => [p.forward.property, p.inverse.property]);
    expect(pairs).to.deep.include.members([
      [DFC_B.suppliedBy, DFC_B.supplies],
      [DFC_B.managedBy, DFC_B.manages],
      [DFC_B.referencedBy, DFC_B.references],
      [DFC_B.offeredThrough, DFC_B.offeredItem],
      [DFC_B.hasVariant, DFC_B.isVariantOf],
      [DFC_B.listedIn, DFC_B.lists],
      [DFC_B.maintainedBy, DFC_B.maintains],
      [DFC_B.definedBy, DFC_B.defines],
      [DFC_B.partOf, DFC_B.hasPart],
    ]);
    expect(INVERSE_PAIRS).to.have.length(9);
  });

  it('each end names a field of its record kind that holds one link or a list, as `many` says', () => {
    const records = sampleRecords();
    for (const [own] of LINK_ENDS) {
      const record = records.find((r) => r.kind === own.kind);
      if (record === undefined) continue;
      const value = (record as unknown as Record<string, unknown>)[own.field];
      if (own.many) expect(value, `${own.kind}.${own.field}`).to.be.an('array');
      else expect(value === undefined || typeof value === 'string', `${own.kind}.${own.field}`).to.equal(true);
    }
  });

  it('only an enterprise\'s supplies and manages are derived', () => {
    expect(LINK_ENDS.filter(([own]) => own.derived).map(([own]) => `${own.kind}.${own.field}`).sort()).to.deep.equal(['Enterprise.manages', 'Enterprise.supplies']);
  });

  it('withoutDerivedLinks empties supplies and manages, keeps the rest, and returns the record itself when there is nothing to empty', () => {
    const enterprise = sampleRecords().find((r): r is EnterpriseRecord => r.kind === 'Enterprise') as EnterpriseRecord;
    const emptied = withoutDerivedLinks(enterprise);
    expect(emptied.supplies).to.deep.equal([]);
    expect(emptied.manages).to.deep.equal([]);
    expect(emptied.customerCategories).to.deep.equal(enterprise.customerCategories);
    expect(enterprise.supplies).to.have.length(2); // not mutated
    expect(withoutDerivedLinks(emptied)).to.equal(emptied);
    const product = sampleRecords().find((r) => r.kind === 'SuppliedProduct') as DfcRecord;
    expect(withoutDerivedLinks(product)).to.equal(product);
  });

  it('withDerivedLinks fills supplies and manages from the records of the opposite end\'s kind, and leaves other kinds alone', () => {
    const enterprise = withoutDerivedLinks(sampleRecords().find((r): r is EnterpriseRecord => r.kind === 'Enterprise') as EnterpriseRecord);
    const products = [`${BASE}/supplied_products/p` as NodeId];
    const items = [`${BASE}/catalog_items/i` as NodeId, `${BASE}/catalog_items/j` as NodeId];
    const filled = withDerivedLinks(enterprise, (opposite) => (opposite.kind === 'SuppliedProduct' ? products : opposite.kind === 'CatalogItem' ? items : []));
    expect(filled.supplies).to.deep.equal(products);
    expect(filled.manages).to.deep.equal(items);
    expect(filled.customerCategories).to.deep.equal(enterprise.customerCategories);
    expect(enterprise.supplies).to.deep.equal([]); // not mutated
    const product = sampleRecords().find((r) => r.kind === 'SuppliedProduct') as DfcRecord;
    expect(withDerivedLinks(product, () => products)).to.equal(product);
  });

  it('the codec completes every link from either end', async () => {
    const result = await new Decoder().decode(JSON.stringify({
      '@context': CONTEXT,
      '@graph': [
        { '@id': BASE, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Shop', 'dfc-b:supplies': `${BASE}/supplied_products/p` },
        { '@id': `${BASE}/supplied_products/p`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'P', 'dfc-b:referencedBy': `${BASE}/catalog_items/i` },
        { '@id': `${BASE}/catalog_items/i`, '@type': 'dfc-b:CatalogItem', 'dfc-b:managedBy': BASE },
        { '@id': `${BASE}/offers/o`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': { '@id': `${BASE}/catalog_items/i` }, 'dfc-b:hasPrice': 2 },
      ],
    }));
    expect(result.rejected).to.deep.equal([]);
    const byKind = <T extends DfcRecord>(kind: T['kind']) => result.records.find((r) => r.kind === kind) as T;
    expect(byKind<SuppliedProductRecord>('SuppliedProduct').suppliedBy).to.equal(BASE);
    expect(byKind<CatalogItemRecord>('CatalogItem').product).to.equal(`${BASE}/supplied_products/p`);
    expect(byKind<CatalogItemRecord>('CatalogItem').offers).to.deep.equal([`${BASE}/offers/o`]);
    expect(byKind<EnterpriseRecord>('Enterprise').manages).to.deep.equal([`${BASE}/catalog_items/i`]);
    expect(byKind<OfferRecord>('Offer').item).to.equal(`${BASE}/catalog_items/i`);
  });
});
