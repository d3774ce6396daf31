/**
 * Search as French users type it (issue 14): text that ignores case, accents and ligatures on names,
 * descriptions, product type labels (French and English) and enterprise names, ranked and as-you-type; `type=`
 * and `enterprise=` by IRI, local name or label, and a 400 with close matches for what names nothing; hostile
 * text never a 500.
 */
import { expect } from 'chai';
import { BadRequestHttpError } from '../../../server/errors/http-error.js';
import type { CatalogueQuery } from '../../../server/federation/federation-service.js';
import { ftsQuery } from '../../../server/store/sqlite/federated-index.js';
import { farmRecords, startFederated, type FederatedFixture } from '../../helpers/in-process.js';
import { expectProblem } from '../../helpers/write-api.js';

describe('federation: search and filters that work for French users', function () {
  let fixture: FederatedFixture;
  const TROIS_CHENES = 'ferme-des-trois-chenes';

  before(async () => {
    fixture = await startFederated();
    await fixture.node.seed(TROIS_CHENES, {
      records: farmRecords(TROIS_CHENES, {
        name: 'Ferme des Trois Chênes',
        products: [
          { id: 'oeufs', name: 'Œufs frais plein air', type: 'egg', stock: 40, price: 3.1 },
          { id: 'tomme', name: 'Tomme de chèvre', type: 'goat-mature-cheese', stock: 4, price: 6 },
          { id: 'panier', name: 'Panier découverte', stock: 2, price: 25,
            description: 'Un assortiment de saison: pain, confiture, miel, jus de pomme, beurre, yaourts, et un peu de fromage de chèvre' },
          { id: 'courges', name: 'Courges butternut', type: 'butternut', stock: 10, price: 2.4 },
        ],
      }),
    });
  });
  after(async () => fixture.close());

  const rows = async (query: CatalogueQuery) => fixture.node.federation.rows(await fixture.node.federation.query(query));
  const names = async (query: CatalogueQuery): Promise<string[]> => (await rows(query)).map((r) => r.name ?? '');
  const sorted = async (query: CatalogueQuery): Promise<string[]> => (await names(query)).sort();
  const refusal = async (query: CatalogueQuery): Promise<BadRequestHttpError> => {
    try {
      await fixture.node.federation.query(query);
    } catch (error) {
      expect(error).to.be.instanceOf(BadRequestHttpError);
      return error as BadRequestHttpError;
    }
    throw new Error(`expected a 400 for ${JSON.stringify(query)}`);
  };

  it('ignores case and accents: chevre, chèvre and CHÈVRE find the same offers', async () => {
    const accented = await sorted({ q: 'chèvre' });
    expect(accented).to.include.members(['Crottin de chèvre', 'Tomme de chèvre', 'Panier découverte']);
    expect(await sorted({ q: 'chevre' })).to.deep.equal(accented);
    expect(await sorted({ q: 'CHÈVRE' })).to.deep.equal(accented);
    expect(await sorted({ q: 'Chevre' })).to.deep.equal(accented);
  });

  it('spells ligatures out: oeufs finds Œufs, and œufs too', async () => {
    expect(await names({ q: 'oeufs' })).to.deep.equal(['Œufs frais plein air']);
    expect(await names({ q: 'Œufs frais' })).to.deep.equal(['Œufs frais plein air']);
    expect(await names({ q: 'OEUFS' })).to.deep.equal(['Œufs frais plein air']);
  });

  it('finds the last word as a prefix while people type', async () => {
    expect(await sorted({ q: 'chev' })).to.deep.equal(await sorted({ q: 'chèvre' }));
    expect(await names({ q: 'tomme de ch' })).to.deep.equal(['Tomme de chèvre']);
    // Only the last word: a whole earlier word must be there.
    expect(await names({ q: 'tom chevre' })).to.deep.equal([]);
  });

  it('searches product type labels in French and English, with their narrower types', async () => {
    // No offer says "légume" in its name: the type does (carrots, heirloom tomatoes, cherry tomatoes, butternut).
    const vegetables = ['Carottes des sables', 'Courges butternut', 'Tomates anciennes', 'Tomates cerises'];
    expect(await sorted({ q: 'legume' })).to.deep.equal(vegetables);
    expect(await sorted({ q: 'légumes' })).to.deep.equal(vegetables);
    expect(await sorted({ q: 'vegetable' })).to.deep.equal(vegetables);
    expect(await names({ q: 'oeuf' })).to.deep.equal(['Œufs frais plein air']);
    expect(await sorted({ q: 'courge' })).to.deep.equal(['Courges butternut']);
    // The other filters hold for offers found by their type's label too.
    expect(await names({ q: 'legume', enterprise: TROIS_CHENES })).to.deep.equal(['Courges butternut']);
    expect(await names({ q: 'legume', inStock: 'false' })).to.deep.equal([]);
    expect(await sorted({ q: 'legume', peer: 'local' })).to.deep.equal(['Carottes des sables', 'Courges butternut', 'Tomates anciennes']);
  });

  it('searches enterprise names', async () => {
    expect(await sorted({ q: 'trois chenes' })).to.deep.equal(['Courges butternut', 'Panier découverte', 'Tomme de chèvre', 'Œufs frais plein air']);
    expect(await sorted({ q: 'Trois Chênes tomme' })).to.deep.equal(['Tomme de chèvre']);
  });

  it('ranks the best match first (bm25): a short name with the word before a long description mentioning it', async () => {
    const found = await names({ q: 'chèvre', enterprise: TROIS_CHENES });
    expect(found).to.deep.equal(['Tomme de chèvre', 'Panier découverte']);
  });

  it('takes type= as an IRI, a local name, or a French or English label', async () => {
    const vegetables = ['Carottes des sables', 'Courges butternut', 'Tomates anciennes', 'Tomates cerises'];
    for (const type of ['legume', 'légume', 'Légumes', 'LEGUMES', 'vegetable', 'Vegetables', 'dfc-pt:vegetable', 'https://github.com/datafoodconsortium/taxonomies/releases/latest/download/productTypes.rdf#vegetable']) {
      expect(await sorted({ type }), type).to.deep.equal(vegetables);
    }
    expect(await sorted({ type: 'tomate' })).to.deep.equal(['Tomates anciennes', 'Tomates cerises']);
    expect(await names({ type: 'œuf' })).to.deep.equal(['Œufs frais plein air']);
    expect(await names({ type: 'pomme de terre' })).to.deep.equal([]);
  });

  it('refuses an unknown type with a 400 listing close matches', async () => {
    const legum = await refusal({ type: 'legum' });
    expect(legum.message).to.include('type="legum" is no known product type').and.include('dfc-pt:vegetable');
    expect((legum.extensions['suggestions'] as { value: string }[]).map((s) => s.value)).to.include('dfc-pt:vegetable');
    expect((await refusal({ type: 'tomat' })).message).to.include('dfc-pt:tomato');
    const nothing = await refusal({ type: 'zzzzzzzzzz' });
    expect(nothing.extensions['suggestions']).to.deep.equal([]);
    expect((await refusal({ type: 'dfc-pt:spaceship' })).message).to.include('no known product type');
  });

  it('takes enterprise= as an IRI, a local slug or a name', async () => {
    const all = ['Courges butternut', 'Panier découverte', 'Tomme de chèvre', 'Œufs frais plein air'];
    const iri = `${fixture.node.base}/api/dfc/enterprises/${TROIS_CHENES}`;
    for (const enterprise of [iri, TROIS_CHENES, 'Ferme des Trois Chênes', 'ferme des trois chenes']) {
      expect(await sorted({ enterprise }), enterprise).to.deep.equal(all);
    }
    expect(await sorted({ enterprise: 'verger' })).to.deep.equal(['=Miel "toutes fleurs", printemps', 'Pommes Reinette', 'Tomates cerises']);
  });

  it('refuses an unknown enterprise with a 400 listing close matches', async () => {
    const refused = await refusal({ enterprise: 'ferme-des-trois-chene' });
    expect(refused.message).to.include('is no known enterprise').and.include(TROIS_CHENES);
    expect((refused.extensions['suggestions'] as { value: string; label: string }[])[0])
      .to.deep.equal({ value: `${fixture.node.base}/api/dfc/enterprises/${TROIS_CHENES}`, label: 'Ferme des Trois Chênes' });
    expect((await refusal({ enterprise: 'https://nowhere.example/enterprises/x' })).message).to.include('no known enterprise');
  });

  it('finds every word in the singular or the plural, not only the last one, and leaves French elisions out', async () => {
    // The names say "Courges" and "Œufs"; the words typed, one in the plural, one in the singular, then the other way.
    expect(await names({ q: 'courge butternut' })).to.deep.equal(['Courges butternut']);
    expect(await names({ q: 'courges butternut' })).to.deep.equal(['Courges butternut']);
    expect(await names({ q: 'oeuf frais' })).to.deep.equal(['Œufs frais plein air']);
    expect(await names({ q: 'oeufs frai' })).to.deep.equal(['Œufs frais plein air']);
    expect(await names({ q: 'fromages de chevre' })).to.include('Panier découverte');
    // An elided article is no word to find: `l'œuf frais` is `œuf frais`, with a typographic apostrophe too.
    expect(await names({ q: "l'oeuf frais" })).to.deep.equal(['Œufs frais plein air']);
    expect(await names({ q: 'l’œuf frais' })).to.deep.equal(['Œufs frais plein air']);
    expect(ftsQuery("jusqu'aux d'Aubrac")).to.equal('"aux" AND "aubrac"*');
  });

  it('quotes every word for FTS5, so no input is read as its syntax', () => {
    expect(ftsQuery('chèvre "frais" NEAR(a b) -lait *')).to.equal(
      '("chevre" OR "chevres" OR "chevrex") AND ("frais" OR "frai" OR "fraix") AND ("near" OR "nears" OR "nearx") AND "a" AND "b" AND "lait"*');
    expect(ftsQuery('chèvre "frais" NEAR(a b) -lait *', false)).to.equal('"chevre" "frais" "near" "a" "b" "lait"');
    expect(ftsQuery('Œufs')).to.equal('"oeuf"*');
    expect(ftsQuery('"*()-:^')).to.equal(undefined);
  });

  it('answers hostile text with results or a 400 with the reason, never anything else', async () => {
    const hostile = ['"', '""', '*', 'chèvre*', '"chèvre', 'NEAR(chèvre tomme)', 'chèvre NEAR tomme', '-chèvre', 'chèvre -tomme', 'a OR b',
      'NOT', 'AND', '(', ')', '((chèvre)', '^chèvre', 'search:chèvre', 'rowid:1', '{search}: chèvre', 'chèvre AND', "l'été", '\u0000', '%', '_',
      '\\', 'x'.repeat(400), 'a '.repeat(17), '🐐', '\uFEFF', 'chèvre; DROP TABLE federated_entries; --'];
    for (const q of hostile) {
      try {
        const found = await fixture.node.federation.query({ q });
        expect(found, q).to.be.an('array');
      } catch (error) {
        expect(error, q).to.be.instanceOf(BadRequestHttpError);
        expect((error as Error).message, q).to.match(/^q /u);
      }
    }
    expect((await refusal({ q: '***' })).message).to.include('at least one word');
    expect((await refusal({ q: 'a '.repeat(17) })).message).to.include('at most 16');
    expect(await sorted({ q: 'NEAR(chèvre tomme)' })).to.deep.equal([]);
    expect(await names({ q: 'tomme' })).to.deep.equal(['Tomme de chèvre']);
  });

  it('refuses a bad type or enterprise over HTTP as problem+json with the suggestions', async () => {
    const response = await fixture.node.request('GET', '/api/federation/catalog?type=legum');
    expectProblem(response, 400);
    const problem = response.json<{ detail: string; suggestions: { value: string; label: string }[] }>();
    expect(problem.detail).to.include('dfc-pt:vegetable');
    expect(problem.suggestions.map((s) => s.value)).to.include('dfc-pt:vegetable');
    const hostile = await fixture.node.request('GET', `/api/federation/catalog?q=${encodeURIComponent('"*(')}`);
    expectProblem(hostile, 400);
  });
});
