/**
 * What an absolute IRI is, to the codec: a scheme, no character RDF serialisations forbid, and brackets in the
 * authority only around an IP literal that is the whole host.
 */
import { expect } from 'chai';
import { isAbsoluteIri } from '../../../ontology/iri.js';
import { Decoder } from '../../../server/codec/decode.js';

describe('isAbsoluteIri', () => {
  it('takes IRIs, IP literals among them, and brackets past the authority', () => {
    for (const iri of ['http://a.example/ok', 'https://a.example/x?filter[type]=veg', 'https://a.example/[b]', 'http://[::1]', 'http://[::1]:8080/x',
      'http://u@[fe80::1%25eth0]/', 'http://[v1.fe]/', 'mailto:x@y', 'urn:x:[y]', 'file:///a[b]']) {
      expect(isAbsoluteIri(iri), iri).to.equal(true);
    }
  });

  it('refuses a bracket out of place in the authority, and what has no scheme or holds a space', () => {
    for (const iri of ['http://[::1', 'http://::1]/', 'http://]::1[/', 'http://a]b/', 'http://[::1]x/', 'http://a[b]c/', 'relative/path', 'http://a b/']) {
      expect(isAbsoluteIri(iri), iri).to.equal(false);
    }
  });

  it('makes a resource whose @id is one of those a malformed IRI, refused', async () => {
    const result = await new Decoder().decode(JSON.stringify({
      '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json',
      '@graph': [{ '@id': 'http://[::1/offers/1', '@type': 'dfc-b:Offer', 'dfc-b:stockLimitation': 3 }],
    }));
    expect(result.records).to.deep.equal([]);
    expect(result.problems.map((p) => p.code)).to.include('invalid-iri');
  });
});
