import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Parser } from 'n3';
import { isDfc2OnlyTerm } from '../../../ontology/namespaces.js';
import { DFC_B, DFC_B_2_0 } from '../../../ontology/vocabulary.js';
import { requireShared } from '../../helpers/shared-dfc.js';

const here = dirname(fileURLToPath(import.meta.url));
const WIRE_ALIAS = 'https://maillon.example/ns#wireAliasOf';

describe('ontology/dfc-vocabulary.ttl', () => {
  const quads = new Parser().parse(readFileSync(join(here, '../../../ontology/dfc-vocabulary.ttl'), 'utf8'));
  const described = new Set(quads.filter((q) => q.subject.value.startsWith(DFC_B.namespace) || q.subject.value.startsWith(DFC_B_2_0.namespace))
    .map((q) => q.subject.value));
  const aliases = new Set(quads.filter((q) => q.predicate.value === WIRE_ALIAS).map((q) => q.subject.value));

  it('describes the classes and properties the node uses', () => {
    for (const term of [DFC_B.Enterprise, DFC_B.Organization, DFC_B.Address, DFC_B.Person, DFC_B.SuppliedProduct, DFC_B.hasVariant,
      DFC_B.isVariantOf, DFC_B.CatalogItem, DFC_B.Catalog, DFC_B.Offer, DFC_B.Price, DFC_B.QuantitativeValue,
      DFC_B.CustomerCategory, DFC_B.SaleSession, DFC_B.Order, DFC_B.OrderLine, DFC_B.stockLimitation]) {
      expect(described.has(term), term).to.equal(true);
    }
  });

  it('describes a term only DFC 2.0 defines (Organization) under its 2.0 IRI, never under the 1.x one', () => {
    expect(described.has(DFC_B_2_0.Organization)).to.equal(true);
    expect([...described].filter((iri) => iri.startsWith(DFC_B.namespace) && isDfc2OnlyTerm(iri.slice(DFC_B.namespace.length)))).to.deep.equal([]);
  });

  it('uses only terms of the official DFC 1.16 ontology, or wire aliases it names as such', function () {
    const official = readFileSync(requireShared(this, 'ontology', 'DFC_BusinessOntology_1.16.0.ttl'), 'utf8');
    // A term only DFC 2.0 defines is described under its 2.0 IRI, which the 1.16 ontology cannot have.
    const missing = [...described].filter((iri) => !aliases.has(iri) && !iri.startsWith(DFC_B_2_0.namespace))
      .filter((iri) => !official.includes(`dfc-b:${iri.slice(DFC_B.namespace.length)} `) && !official.includes(`<${iri}>`));
    expect(missing).to.deep.equal([]);
  });
});
