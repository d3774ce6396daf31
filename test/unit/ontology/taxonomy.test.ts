import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseSkosTaxonomy, Taxonomy } from '../../../ontology/taxonomy.js';
import { measureIri } from '../../../ontology/units.js';
import { DFC_PT_NS } from '../../../ontology/vocabulary.js';
import { readSharedJson, requireShared } from '../../helpers/shared-dfc.js';

const pt = (local: string): string => `${DFC_PT_NS}${local}`;

describe('ontology/taxonomy', () => {
  const builtin = Taxonomy.builtin();

  it('knows every DFC unit and currency, and nothing else as one', () => {
    expect(builtin.isQuantityUnit(measureIri('Kilogram'))).to.equal(true);
    expect(builtin.isQuantityUnit(measureIri('Punnet'))).to.equal(true);
    expect(builtin.isCurrency(measureIri('Euro'))).to.equal(true);
    expect(builtin.isCurrency(measureIri('Kilogram'))).to.equal(false);
    expect(builtin.isQuantityUnit(measureIri('Euro'))).to.equal(false);
    expect(builtin.isQuantityUnit(`${measureIri('Gram')}x`)).to.equal(false);
  });

  it('rolls product types up and down the skos:broader tree', () => {
    expect(builtin.isUnder(pt('round-tomato'), pt('vegetable'))).to.equal(true);
    expect(builtin.isUnder(pt('round-tomato'), pt('fruit'))).to.equal(false);
    const vegetables = builtin.narrowerClosure(pt('tomato'));
    expect([...vegetables].sort()).to.deep.equal([pt('cherry-tomato'), pt('hierloom-tomato'), pt('round-tomato'), pt('tomato')].sort());
  });

  it('is immutable: adding concepts returns a new taxonomy', () => {
    const grown = builtin.with([{ iri: pt('romanesco') as never, broader: [pt('cabbage') as never], labels: { en: 'romanesco' } }]);
    expect(grown.isUnder(pt('romanesco'), pt('vegetable'))).to.equal(true);
    expect(builtin.get(pt('romanesco'))).to.equal(undefined);
    expect(grown.size).to.equal(builtin.size + 1);
  });

  it('survives a cycle in a loaded taxonomy', () => {
    const cyclic = Taxonomy.empty().with([
      { iri: pt('a') as never, broader: [pt('b') as never], labels: {} },
      { iri: pt('b') as never, broader: [pt('a') as never], labels: {} },
    ]);
    expect(cyclic.isUnder(pt('a'), pt('c'))).to.equal(false);
    expect(cyclic.narrowerClosure(pt('a')).size).to.equal(2);
  });

  it('refuses a file that is not a SKOS taxonomy', () => {
    expect(() => parseSkosTaxonomy({ '@graph': [{ '@id': 'https://x.example/a' }] })).to.throw(/no skos:Concept/u);
    expect(() => parseSkosTaxonomy({ '@context': {}, '@graph': [] })).to.throw(/expanded JSON-LD/u);
  });

  for (const file of ['productTypes.json', 'measures.json', 'facets.json', 'vocabulary.json']) {
    it(`loads the official ${file}`, function () {
      const path = requireShared(this, 'taxonomies', file);
      const concepts = parseSkosTaxonomy(readSharedJson(path));
      expect(concepts.length).to.be.greaterThan(20);
      const taxonomy = builtin.with(concepts);
      if (file === 'productTypes.json') {
        // The starter set has no romanesco; the official taxonomy files it under cabbage, under vegetable.
        expect(taxonomy.isUnder(pt('romanesco'), pt('vegetable'))).to.equal(true);
        expect(taxonomy.get(pt('romanesco'))?.labels['fr']).to.be.a('string');
        // Every starter product type exists in the official taxonomy, under the same parent (some have two).
        for (const concept of builtin.all()) {
          if (!concept.iri.startsWith(DFC_PT_NS)) continue;
          const official = concepts.find((c) => c.iri === concept.iri);
          expect(official, concept.iri).to.not.equal(undefined);
          expect(official?.broader, concept.iri).to.include.members([...concept.broader]);
        }
      }
      if (file === 'measures.json') {
        // The built-in unit list matches the official one exactly.
        for (const concept of concepts.filter((c) => c.broader.some((b) => b.endsWith('#QuantityUnit') || b.endsWith('#CurrencyUnit')))) {
          expect(builtin.isQuantityUnit(concept.iri) || builtin.isCurrency(concept.iri), concept.iri).to.equal(true);
        }
        expect(readFileSync(path, 'utf8')).to.include('QuantityUnit');
      }
    });
  }
});
