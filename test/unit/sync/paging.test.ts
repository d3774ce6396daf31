import { expect } from 'chai';
import { nextFromJson, nextFromLinkHeader } from '../../../server/sync/paging.js';

describe('paging links', () => {
  const base = new URL('http://127.0.0.1:8080/api/catalog');

  describe('nextFromLinkHeader()', () => {
    it('reads rel="next", resolved against the URL; only the first rel parameter of a link counts', () => {
      // The second link has title first, then rel (RFC 8288).
      expect(nextFromLinkHeader('</catalog?page=1>; rel="first", <catalog?page=2>; title="a, b"; rel="next"', base))
        .to.equal('http://127.0.0.1:8080/api/catalog?page=2');
      expect(nextFromLinkHeader('</p2>; rel="prev"; rel="next"', base)).to.equal(undefined);
    });

    it('reads an unquoted rel and a rel among several', () => {
      expect(nextFromLinkHeader('</p2>; rel=next', base)).to.equal('http://127.0.0.1:8080/p2');
      expect(nextFromLinkHeader('</p2>; REL="last NEXT"', base)).to.equal('http://127.0.0.1:8080/p2');
    });

    it('ignores no header, and links that are not http(s)', () => {
      expect(nextFromLinkHeader(undefined, base)).to.equal(undefined);
      expect(nextFromLinkHeader('<javascript:alert(1)>; rel="next"', base)).to.equal(undefined);
    });
  });

  describe('nextFromJson()', () => {
    it('reads hydra:next from a @graph node, compact or full, string or {"@id"}', () => {
      const page = (path: string): URL => new URL(path, base);
      expect(nextFromJson({ '@graph': [{ '@id': '/o/1' }, { '@type': 'hydra:PartialCollectionView', 'hydra:next': '/catalog?page=2' }] }, page('/compact')))
        .to.equal('http://127.0.0.1:8080/catalog?page=2');
      expect(nextFromJson({ '@graph': [{ 'http://www.w3.org/ns/hydra/core#next': [{ '@id': 'https://peer.example/catalog?page=3' }] }] }, page('/full')))
        .to.equal('https://peer.example/catalog?page=3');
      expect(nextFromJson({ '@id': '/catalog', 'hydra:view': { 'hydra:next': { '@id': '?page=4' } } }, page('/view')))
        .to.equal('http://127.0.0.1:8080/view?page=4');
    });

    it('reads a top-level "next" key; ignores bad links', () => {
      expect(nextFromJson({ items: [], next: 'https://peer.example/catalog?page=3' }, base)).to.equal('https://peer.example/catalog?page=3');
      expect(nextFromJson({ next: 'javascript:alert(1)' }, base)).to.equal(undefined);
    });

    it('reads the nodes of a top-level array, and finds nothing in what is no object', () => {
      expect(nextFromJson([{ '@id': '/a' }, { 'hydra:next': '/p2' }], base)).to.equal('http://127.0.0.1:8080/p2');
      for (const value of [null, 42, 'next', []]) expect(nextFromJson(value, base)).to.equal(undefined);
    });

    it('reads a single page of 300,000 nodes (more than a call takes arguments) without overflowing the stack', () => {
      const graph: unknown[] = Array.from({ length: 300_000 }, (_, i) => ({ '@id': `/n${i}` }));
      graph.push({ '@id': '/catalog', 'hydra:view': { 'hydra:next': '/catalog?page=2' } });
      expect(nextFromJson({ '@graph': graph }, base)).to.equal('http://127.0.0.1:8080/catalog?page=2');
    });
  });
});
