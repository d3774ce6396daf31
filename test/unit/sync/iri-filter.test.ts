import { expect } from 'chai';
import { IriFilter } from '../../../server/sync/iri-filter.js';

describe('IriFilter', () => {
  it('never forgets an IRI it was given', () => {
    const filter = new IriFilter(1 << 16);
    const iris = Array.from({ length: 5000 }, (_, i) => `https://peer.example/api/dfc/enterprises/f/catalog_items/${i}`);
    iris.forEach((iri) => filter.add(iri));
    expect(iris.filter((iri) => !filter.mayHave(iri))).to.deep.equal([]);
    expect(filter.size).to.equal(5000);
  });

  it('says "surely not" of nearly every IRI it was not given', () => {
    const filter = new IriFilter(1 << 20);
    for (let i = 0; i < 50_000; i++) filter.add(`https://peer.example/offers/${i}`);
    const others = Array.from({ length: 50_000 }, (_, i) => `https://peer.example/offers/${i + 50_000}`);
    const falsePositives = others.filter((iri) => filter.mayHave(iri)).length;
    // 20 bits an IRI and 4 positions: about 0.2 % in theory; a broken hash would answer "perhaps" far more often.
    expect(falsePositives).to.be.lessThan(500);
    expect(new IriFilter().mayHave('https://peer.example/offers/1')).to.equal(false);
  });

  it('tells apart IRIs that differ in one character, and the empty one', () => {
    const filter = new IriFilter(1 << 12);
    filter.add('https://a.example/x1');
    expect(filter.mayHave('https://a.example/x1')).to.equal(true);
    expect(['https://a.example/x2', 'https://a.example/x', 'https://a.example/x10', ''].filter((iri) => filter.mayHave(iri))).to.deep.equal([]);
  });
});
