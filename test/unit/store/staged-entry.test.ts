import { expect } from 'chai';
import type { FederatedEntry } from '../../../server/store/federated-entries.js';
import { stagedEntry } from '../../../server/store/sqlite/federated-index.js';

const ENTRY: FederatedEntry = {
  itemIri: 'https://p.example/items/1', productIri: 'https://p.example/products/1', productKey: 'https://p.example/products/1', sameAs: [],
  offerIri: 'https://p.example/offers/1', enterpriseIri: 'https://p.example/e', enterpriseName: 'Ferme', city: 'Limoges', name: 'Échalote',
  search: 'echalote ferme', productType: 'dfc-pt:shallot', stock: 3, inStock: true, price: 2.5, currency: 'EUR', latitude: 45.8, longitude: 1.2,
  postcode: '87000', quantity: 1, quantityUnit: 'dfc-m:Kilogram',
};

describe('stagedEntry (a first snapshot\'s index row, staged as JSON)', () => {
  it('holds the values the index binds, in its column order, the source and peer left to the run', () => {
    const { values, sameAs } = stagedEntry({ entry: ENTRY, authoritative: true });
    expect(JSON.parse(values)).to.deep.equal([
      '', ENTRY.itemIri, ENTRY.productIri, ENTRY.productKey, ENTRY.offerIri, ENTRY.enterpriseIri, null, 1, 1, 'Échalote', 'echalote ferme',
      'dfc-pt:shallot', 3, 1, 2.5, 'EUR', 45.8, 1.2, '87000', 'Ferme', 'Limoges', 1, 'dfc-m:Kilogram', 'echalote', 'ferme', 'limoges',
    ]);
    expect(sameAs).to.equal(null);
    // A relay's row ranks below the origin's; owl:sameAs targets apart.
    const relayed = stagedEntry({ entry: { ...ENTRY, sameAs: ['https://o.example/p'] }, authoritative: false });
    expect((JSON.parse(relayed.values) as unknown[])[7]).to.equal(2);
    expect(relayed.sameAs).to.equal('["https://o.example/p"]');
  });

  it('makes a lone surrogate U+FFFD, as binding the text would, and leaves a pair and a backslash alone', () => {
    const { values } = stagedEntry({ entry: { ...ENTRY, name: 'bad \ud800 name', city: 'ok 😀 \\ud800' }, authoritative: true });
    const parsed = JSON.parse(values) as unknown[];
    expect(parsed[9]).to.equal('bad \ufffd name');
    expect(parsed[20]).to.equal('ok 😀 \\ud800');
    expect(values).to.include('"bad \ufffd name"');
  });
});
