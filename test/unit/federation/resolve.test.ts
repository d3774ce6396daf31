/**
 * Resolving `type=` and `enterprise=` as people write them, on the built-in taxonomy and on the official DFC
 * product types (read from `../shared/dfc/`, skipped when absent), and the types a free text names.
 */
import { expect } from 'chai';
import { parseSkosTaxonomy, Taxonomy } from '../../../ontology/taxonomy.js';
import { DFC_PT_NS } from '../../../ontology/vocabulary.js';
import { BadRequestHttpError } from '../../../server/errors/http-error.js';
import { placeLabel, resolveEnterprise, resolvePlace, resolveProductType, typesNamedBy } from '../../../server/federation/resolve.js';
import type { PlaceRow } from '../../../server/store/federation.js';
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
    // This node's enterprise of a slug first: a peer's of the same slug leaves it unambiguous (two peers' stay so).
    const ours = (iri: string): boolean => iri.startsWith('http://b.example/');
    expect(resolveEnterprise(enterprises, 'verger', ours)).to.equal(enterprises[1]?.iri);
    expect((await refused(() => resolveEnterprise(enterprises, 'verger', () => false))).message).to.include('names several enterprises');
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

describe('federation: resolving near= (coordinates, or a town of the catalogue)', () => {
  const PLACES: readonly PlaceRow[] = [
    { city: 'Saint-Junien', postcode: '87200', lat: 45.88, lon: 0.9, producers: 3 },
    { city: 'Égletons', postcode: '19300', lat: 45.41, lon: 2.05, producers: 1 },
    { city: 'Saint-Léonard-de-Noblat', postcode: '87400', lat: 45.84, lon: 1.49, producers: 2 },
    // One name, two postcodes; one postcode, two towns.
    { city: 'Beaulieu', postcode: '19120', lat: 44.98, lon: 1.84, producers: 1 },
    { city: 'Beaulieu', postcode: '87700', lat: 45.7, lon: 1.1, producers: 2 },
    { city: 'Aixe-sur-Vienne', postcode: '87700', lat: 45.8, lon: 1.14, producers: 4 },
    { city: 'Sans Code', postcode: null, lat: 46, lon: 1, producers: 1 },
  ];
  let asked = 0;
  const places = async (): Promise<readonly PlaceRow[]> => {
    asked++;
    return PLACES;
  };
  const suggestions = (error: BadRequestHttpError): string[] => (error.extensions['suggestions'] as { value: string }[]).map((s) => s.value);

  it('takes coordinates as people paste them: a space, a comma and a space, French decimal commas', async () => {
    for (const written of ['45.83 1.26', '45.83, 1.26', '45.83;1.26', '45,83 ; 1,26', '45,83, 1,26', '45,83 1,26']) {
      expect(await resolvePlace(places, written), written).to.deep.equal({ lat: 45.83, lon: 1.26 });
    }
    // Numbers that are no pair of coordinates: the format is said, not "no known town".
    for (const bad of ['45,83,1,26', '45.83;;1', '1.2.3 4']) {
      const error = await resolvePlace(places, bad).then(() => undefined, (e: unknown) => e as BadRequestHttpError);
      expect(error?.message, bad).to.include('latitude,longitude');
    }
  });

  it('takes a town written without its postcode when another of its name has one', async () => {
    const withTwin: readonly PlaceRow[] = [...PLACES, { city: 'Sans Code', postcode: '87000', lat: 45, lon: 1.5, producers: 2 }];
    expect(await resolvePlace(async () => withTwin, 'Sans Code')).to.deep.equal({ lat: 46, lon: 1 });
    expect(await resolvePlace(async () => withTwin, 'Sans Code (87000)')).to.deep.equal({ lat: 45, lon: 1.5 });
  });

  it('takes coordinates in degrees, without asking for the towns', async () => {
    asked = 0;
    expect(await resolvePlace(places, '45.83,1.26')).to.deep.equal({ lat: 45.83, lon: 1.26 });
    expect(await resolvePlace(places, ' -33.9 , 151.2 ')).to.deep.equal({ lat: -33.9, lon: 151.2 });
    expect(await resolvePlace(places, '90,-180')).to.deep.equal({ lat: 90, lon: -180 });
    expect(await resolvePlace(places, '0,0')).to.deep.equal({ lat: 0, lon: 0 });
    expect(asked).to.equal(0);
  });

  it('refuses coordinates out of range with a 400 that says how to write them', async () => {
    for (const value of ['90.5,1', '-91,1', '45,180.01', '45,-200']) {
      const error = await refused(() => resolvePlace(places, value));
      expect(error.status, value).to.equal(400);
      expect(error.message, value).to.match(/latitude -90 to 90/u);
    }
  });

  it('takes a town by name, accents, case and hyphens ignored', async () => {
    for (const value of ['Saint-Junien', 'saint junien', ' SAINT-JUNIEN ']) {
      expect(await resolvePlace(places, value), value).to.deep.equal({ lat: 45.88, lon: 0.9 });
    }
    for (const value of ['Égletons', 'egletons', 'EGLETONS']) expect(await resolvePlace(places, value), value).to.deep.equal({ lat: 45.41, lon: 2.05 });
    expect(await resolvePlace(places, 'saint leonard de noblat')).to.deep.equal({ lat: 45.84, lon: 1.49 });
    expect(await resolvePlace(places, 'Sans Code')).to.deep.equal({ lat: 46, lon: 1 });
  });

  it('takes a town by postcode, and by name and postcode as its label writes them', async () => {
    expect(await resolvePlace(places, '87200')).to.deep.equal({ lat: 45.88, lon: 0.9 });
    expect(await resolvePlace(places, '19 300')).to.deep.equal({ lat: 45.41, lon: 2.05 });
    expect(await resolvePlace(places, 'Beaulieu (19120)')).to.deep.equal({ lat: 44.98, lon: 1.84 });
    expect(await resolvePlace(places, 'beaulieu(87700)')).to.deep.equal({ lat: 45.7, lon: 1.1 });
    expect(await resolvePlace(places, 'Aixe-sur-Vienne (87700)')).to.deep.equal({ lat: 45.8, lon: 1.14 });
    // Every town's label names it back.
    for (const place of PLACES) expect(await resolvePlace(places, placeLabel(place)), placeLabel(place)).to.deep.equal({ lat: place.lat, lon: place.lon });
    expect(placeLabel(PLACES[0] as PlaceRow)).to.equal('Saint-Junien (87200)');
    expect(placeLabel({ city: 'Sans Code', postcode: null })).to.equal('Sans Code');
  });

  it('refuses a name of two postcodes, or a postcode of two towns, listing them', async () => {
    const byName = await refused(() => resolvePlace(places, 'beaulieu'));
    expect(byName.status).to.equal(400);
    expect(byName.message).to.include('names several towns');
    expect(suggestions(byName)).to.have.members(['Beaulieu (19120)', 'Beaulieu (87700)']);
    const byCode = await refused(() => resolvePlace(places, '87700'));
    expect(suggestions(byCode)).to.have.members(['Beaulieu (87700)', 'Aixe-sur-Vienne (87700)']);
    expect(byCode.extensions['suggestions']).to.deep.include({ value: 'Aixe-sur-Vienne (87700)', label: '4 producers' });
  });

  it('refuses an unknown town with close matches, and an unknown postcode or a wrong pair', async () => {
    const typo = await refused(() => resolvePlace(places, 'Saint-Junian'));
    expect(typo.message).to.include('is no known town');
    expect(suggestions(typo)[0]).to.equal('Saint-Junien (87200)');
    expect(suggestions(typo).length).to.be.within(1, 5);
    expect((await refused(() => resolvePlace(places, '75001'))).message).to.include('is no known town');
    expect((await refused(() => resolvePlace(places, 'Beaulieu (19300)'))).message).to.include('is no known town');
    expect((await refused(() => resolvePlace(places, 'Atlantis'))).status).to.equal(400);
  });

  it('takes a town its producers write two ways as one, centred on all its producers', async () => {
    const written = [...PLACES, { city: 'SAINT JUNIEN', postcode: '87 200', lat: 45.9, lon: 0.94, producers: 1 }];
    const towns = async (): Promise<readonly PlaceRow[]> => written;
    for (const value of ['Saint-Junien', 'SAINT JUNIEN (87 200)', 'Saint-Junien (87200)', '87200']) {
      const point = await resolvePlace(towns, value);
      expect(point.lat, value).to.be.closeTo((45.88 * 3 + 45.9) / 4, 1e-9);
      expect(point.lon, value).to.be.closeTo((0.9 * 3 + 0.94) / 4, 1e-9);
    }
    // Two towns of one postcode are still two.
    expect((await refused(() => resolvePlace(towns, '87700'))).message).to.include('names several towns');
  });

  it('refuses an empty or overlong value', async () => {
    for (const value of ['', '   ', 'x'.repeat(201)]) {
      const error = await refused(() => resolvePlace(places, value));
      expect(error.message, JSON.stringify(value)).to.match(/near must be/u);
    }
  });
});
