/**
 * Resolving `type=` and `enterprise=` as people write them, on the built-in taxonomy and on the official DFC
 * product types (read from `../shared/dfc/`, skipped when absent), and the types a free text names.
 */
import { expect } from 'chai';
import { parseSkosTaxonomy, Taxonomy } from '../../../ontology/taxonomy.js';
import { DFC_PT_NS } from '../../../ontology/vocabulary.js';
import { BadRequestHttpError } from '../../../server/errors/http-error.js';
import { resolveEnterprise, resolveProductType, typesNamedBy } from '../../../server/federation/resolve.js';
import { readSharedJson, requireShared } from '../../helpers/shared-dfc.js';

const pt = (local: string): string => `${DFC_PT_NS}${local}`;
const never = async (): Promise<boolean> => false;

async function refused(run: () => unknown): Promise<BadRequestHttpError> {
  try {
    await run();
  } catch (error) {
    expect(error).to.be.instanceOf(BadRequestHttpError);
    return error as BadRequestHttpError;
  }
  throw new Error('expected a 400');
}

describe('federation: resolving what people type in type= and enterprise=', () => {
  const builtin = Taxonomy.builtin();

  it('takes a product type by IRI, dfc-pt: name, local name, or label in French or English, plural or not', async () => {
    for (const value of ['vegetable', 'dfc-pt:vegetable', pt('vegetable'), 'légume', 'legume', 'Légumes', 'VEGETABLES', ' legume ']) {
      expect(await resolveProductType(builtin, value, never), value).to.equal(pt('vegetable'));
    }
    expect(await resolveProductType(builtin, 'pomme de terre', never)).to.equal(pt('potato'));
    expect(await resolveProductType(builtin, 'œuf', never)).to.equal(pt('egg'));
    expect(await resolveProductType(builtin, 'oeufs', never)).to.equal(pt('egg'));
  });

  it('takes an IRI the taxonomy does not know when some listed offer has that type', async () => {
    const iri = 'https://example.org/types/romanesco';
    expect(await resolveProductType(builtin, iri, async (t) => t === iri)).to.equal(iri);
    expect((await refused(() => resolveProductType(builtin, iri, never))).message).to.include('no known product type');
  });

  it('lists close matches for an unknown type, the ones it begins first', async () => {
    const error = await refused(() => resolveProductType(builtin, 'tomat', never));
    const values = (error.extensions['suggestions'] as { value: string }[]).map((s) => s.value);
    expect(values[0]).to.equal('dfc-pt:tomato');
    expect(values.length).to.be.within(1, 5);
  });

  it('names the types a text names, with their narrower types', () => {
    expect(typesNamedBy(builtin, 'legume')).to.include.members([pt('vegetable'), pt('tomato'), pt('round-tomato'), pt('carrot')]);
    expect(typesNamedBy(builtin, 'fromage de chev')).to.have.members([pt('goat-fresh-cheese'), pt('goat-mature-cheese')]);
    expect(typesNamedBy(builtin, 'spaceship')).to.deep.equal([]);
    expect(typesNamedBy(builtin, '***')).to.deep.equal([]);
  });

  it('takes an enterprise by IRI, slug or name, and refuses an ambiguous slug listing both', async () => {
    const enterprises = [
      { iri: 'http://a.example/api/dfc/enterprises/ferme-des-trois-chenes', name: 'Ferme des Trois Chênes' },
      { iri: 'http://b.example/api/dfc/enterprises/verger', name: 'Verger de Brive' },
      { iri: 'http://c.example/api/dfc/enterprises/verger', name: 'Le Verger' },
    ];
    expect(resolveEnterprise(enterprises, 'ferme-des-trois-chenes')).to.equal(enterprises[0]?.iri);
    expect(resolveEnterprise(enterprises, 'FERME DES TROIS CHENES')).to.equal(enterprises[0]?.iri);
    expect(resolveEnterprise(enterprises, 'le verger')).to.equal(enterprises[2]?.iri);
    const ambiguous = await refused(() => resolveEnterprise(enterprises, 'verger'));
    expect(ambiguous.message).to.include('names several enterprises');
    expect((ambiguous.extensions['suggestions'] as { value: string }[]).map((s) => s.value)).to.have.members([enterprises[1]?.iri, enterprises[2]?.iri]);
  });

  it('on the official DFC product types: French labels resolve, as do the local names', async function () {
    const path = requireShared(this, 'taxonomies', 'productTypes.json');
    const official = builtin.with(parseSkosTaxonomy(readSharedJson(path)));
    const vegetable = official.get(pt('vegetable'));
    expect(vegetable?.labels['fr']).to.be.a('string');
    expect(await resolveProductType(official, vegetable?.labels['fr'] ?? '', never)).to.equal(pt('vegetable'));
    expect(await resolveProductType(official, 'legume', never)).to.equal(pt('vegetable'));
    expect(await resolveProductType(official, 'round-tomato', never)).to.equal(pt('round-tomato'));
    // A bare word that is one type's local name and another's French label is ambiguous; dfc-pt: is exact.
    if (official.get(pt('prune')) !== undefined && official.get(pt('plum'))?.labels['fr'] === 'prune') {
      const error = await refused(() => resolveProductType(official, 'prune', never));
      expect((error.extensions['suggestions'] as { value: string }[]).map((x) => x.value)).to.include.members(['dfc-pt:prune', 'dfc-pt:plum']);
      expect(await resolveProductType(official, 'dfc-pt:prune', never)).to.equal(pt('prune'));
    }
    // Every official label either names its concept or, shared by several, is refused with them listed.
    let checked = 0;
    for (const concept of [...official.all()].filter((c) => c.iri.startsWith(DFC_PT_NS)).slice(0, 200)) {
      const label = concept.labels['fr'];
      if (label === undefined) continue;
      try {
        expect(await resolveProductType(official, label, never), label).to.equal(concept.iri);
      } catch (error) {
        if (!(error instanceof BadRequestHttpError)) throw error;
        expect(error.message, label).to.include('names several product types');
      }
      checked += 1;
    }
    expect(checked).to.be.greaterThan(50);
    expect(typesNamedBy(official, 'legume')).to.include(pt('vegetable'));
  });
});
