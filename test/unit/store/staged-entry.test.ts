import { expect } from 'chai';
import type { FederatedEntry } from '../../../server/store/federated-entries.js';
import { stagedEntry } from '../../../server/store/sqlite/federated-index.js';
import { stagingParams } from '../../../server/store/sqlite/provenance-store.js';

const ENTRY: FederatedEntry = {
  itemIri: 'https://p.example/items/1', productIri: 'https://p.example/products/1', productKey: 'https://p.example/products/1', sameAs: [],
  offerIri: 'https://p.example/offers/1', enterpriseIri: 'https://p.example/e', enterpriseName: 'Ferme', city: 'Limoges', name: 'Échalote',
  search: 'echalote ferme', productType: 'dfc-pt:shallot', stock: 3, inStock: true, price: 2.5, currency: 'EUR', latitude: 45.8, longitude: 1.2,
  postcode: '87000', quantity: 1, quantityUnit: 'dfc-m:Kilogram',
};

const WRITE = { kind: 'CatalogItem', json: '{"id":"https://p.example/items/1"}', hash: 'h1', authoritative: true, sourceUrl: 'https://p.example/page/1' } as const;

describe('stagedEntry (a first snapshot\'s index row, staged as JSON)', () => {
  it('holds the values the index binds, in its column order, in groups of 6, the source and peer left to the run', () => {
    const { values: groups, sameAs } = stagedEntry({ entry: ENTRY, authoritative: true, enterpriseRank: 1 });
    expect(groups.map((g) => g.length)).to.deep.equal([6, 6, 6, 6, 3]);
    const values = groups.flat();
    expect(values).to.deep.equal([
      '', ENTRY.itemIri, ENTRY.productIri, ENTRY.productKey, ENTRY.offerIri, ENTRY.enterpriseIri, null, 1, 1, 'Échalote', 'echalote ferme',
      'dfc-pt:shallot', 3, 1, 2.5, 'EUR', 45.8, 1.2, '87000', 'Ferme', 'Limoges', 1, 'dfc-m:Kilogram', 'echalote', 'ferme', 'limoges', 1,
    ]);
    expect(sameAs).to.equal(null);
    // A relay's row ranks below the origin's; owl:sameAs targets apart.
    const relayed = stagedEntry({ entry: { ...ENTRY, sameAs: ['https://o.example/p'] }, authoritative: false, enterpriseRank: 2 });
    expect(relayed.values.flat()[7]).to.equal(2);
    // And its word about the enterprise, last, below the origin's.
    expect(relayed.values.flat()[26]).to.equal(2);
    expect(relayed.sameAs).to.deep.equal(['https://o.example/p']);
  });
});

/** The rows of {@link stagingParams}: each row's JSON parsed, its record beside it. */
function staged(params: readonly unknown[]): { row: unknown[]; record: unknown }[] {
  const out: { row: unknown[]; record: unknown }[] = [];
  for (let i = 0; i < params.length; i += 2) out.push({ row: JSON.parse(params[i] as string) as unknown[], record: params[i + 1] });
  return out;
}

describe('stagingParams (a chunk of a page\'s staged rows, two parameters a row)', () => {
  it('writes each row\'s columns in the staging\'s order as JSON, its record apart, with nulls and empty texts for a resource held unchanged', () => {
    const params = stagingParams([
      { iri: ENTRY.itemIri, write: WRITE, entry: { entry: { ...ENTRY, sameAs: ['https://o.example/p'] }, authoritative: true, enterpriseRank: 1 } },
      { iri: 'https://p.example/held' },
      { iri: 'https://p.example/offers/1', write: { ...WRITE, kind: 'Offer', authoritative: false } },
    ]);
    expect(params).to.have.length(6);
    const rows = staged(params);
    expect(rows[0]?.row.slice(0, 5)).to.deep.equal([ENTRY.itemIri, 'CatalogItem', 'h1', 1, WRITE.sourceUrl]);
    // The record's text itself, not escaped into the row's JSON.
    expect(rows[0]?.record).to.equal(WRITE.json);
    expect(rows[0]?.row[5]).to.deep.equal(stagedEntry({ entry: ENTRY, authoritative: true, enterpriseRank: 1 }).values);
    expect(rows[0]?.row[6]).to.deep.equal(['https://o.example/p']);
    expect(rows[1]).to.deep.equal({ row: ['https://p.example/held', '', '', 0, '', null, null], record: null });
    expect(rows[2]?.row.slice(1, 4)).to.deep.equal(['Offer', 'h1', 0]);
    expect(rows[2]?.record).to.equal(WRITE.json);
    expect(rows[2]?.row[5]).to.equal(null);
  });

  it('makes a lone surrogate U+FFFD, as binding the text would, and leaves a pair, a backslash and a record\'s escapes alone', () => {
    const record = JSON.stringify({ name: 'lone \ud800 in a record' });
    const params = stagingParams([
      { iri: 'https://p.example/items/\udc00', write: { ...WRITE, json: record }, entry: { entry: { ...ENTRY, name: 'bad \ud800 name', city: 'ok 😀 \\ud800' }, authoritative: true, enterpriseRank: 1 } },
    ]);
    expect(params[0]).to.include('"bad \ufffd name"');
    const [first] = staged(params);
    expect(first?.row[0]).to.equal('https://p.example/items/\ufffd');
    // The record's text is kept as it was (its escape is six ASCII characters, not a surrogate).
    expect(first?.record).to.equal(record);
    expect(JSON.parse(first?.record as string)).to.deep.equal({ name: 'lone \ud800 in a record' });
    const values = (first?.row[5] as unknown[][]).flat();
    expect(values[9]).to.equal('bad \ufffd name');
    expect(values[20]).to.equal('ok 😀 \\ud800');
  });
});
