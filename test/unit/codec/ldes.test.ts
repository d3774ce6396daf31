/**
 * The change feed's members on the wire (`server/codec/ldes.ts`): a version of a resource as a record under
 * its version IRI, and back, directly and through the wire (JSON-LD and Turtle, decoded by our decoder).
 */
import { expect } from 'chai';
import type { DfcRecord } from '../../../ontology/records.js';
import { AS, DCTERMS } from '../../../ontology/streams.js';
import { Decoder } from '../../../server/codec/decode.js';
import { membersOf, sequenceOf, versionIri, versionRecord, type VersionEvent } from '../../../server/codec/ldes.js';
import { serialize } from '../../../server/codec/serialize.js';
import { farmRecords } from '../../helpers/in-process.js';

const API = 'https://node.example/api/dfc';
const records = farmRecords('ferme', { origin: 'https://node.example' });
const offer = records.find((r) => r.kind === 'Offer' && r.id.endsWith('/offers/tomate')) as DfcRecord;
const product = records.find((r) => r.kind === 'SuppliedProduct' && r.id.endsWith('/tomate')) as DfcRecord;

const events: VersionEvent[] = [
  { seq: 7, iri: offer.id, at: '2026-11-24T10:00:00.000Z', record: offer },
  { seq: 3, iri: product.id, at: '2026-11-24T09:00:00.000Z', record: product },
  { seq: 9, iri: 'https://node.example/api/dfc/enterprises/ferme/offers/gone', at: '2026-11-24T11:00:00.000Z', record: null },
];

describe('feed: LDES members', () => {
  it('names versions under the feed and reads the sequence back from our IRIs only', () => {
    expect(versionIri(API, 42)).to.equal(`${API}/feed/versions/42`);
    expect(sequenceOf(`${API}/feed/versions/42`)).to.equal(42);
    expect(sequenceOf(`${API}/feed/versions/42/x`)).to.equal(undefined);
    expect(sequenceOf(`${API}/feed/versions/abc`)).to.equal(undefined);
    expect(sequenceOf('https://node.example/api/dfc/enterprises/ferme')).to.equal(undefined);
  });

  it('a version is the record under its version IRI, with isVersionOf and modified; a withdrawal is an as:Delete', () => {
    const version = versionRecord(API, events[0] as VersionEvent);
    expect(version.id).to.equal(`${API}/feed/versions/7`);
    expect(version.kind).to.equal('Offer');
    expect(version.extra?.[DCTERMS.isVersionOf]).to.deep.equal([{ '@id': offer.id }]);
    expect(version.extra?.[DCTERMS.modified]).to.deep.equal([{ '@value': '2026-11-24T10:00:00.000Z', '@type': 'http://www.w3.org/2001/XMLSchema#dateTime' }]);
    const deletion = versionRecord(API, events[2] as VersionEvent);
    expect(deletion).to.deep.include({ kind: 'Resource', id: `${API}/feed/versions/9`, types: [AS.Delete] });
  });

  it('members come back as the resources they are versions of, ordered by sequence', () => {
    const members = membersOf(events.map((e) => versionRecord(API, e)));
    expect(members.map((m) => [m.kind, m.seq, m.iri])).to.deep.equal([
      ['version', 3, product.id], ['version', 7, offer.id], ['delete', 9, 'https://node.example/api/dfc/enterprises/ferme/offers/gone'],
    ]);
    const back = members[1];
    expect(back?.kind === 'version' ? back.record : undefined).to.deep.equal(offer);
    expect(back?.at).to.equal('2026-11-24T10:00:00.000Z');
  });

  it('keeps the extra properties a resource had, and ignores records that are not versions', () => {
    const withExtra = { ...offer, extra: { 'https://schema.org/note': [{ '@value': 'bio' }] } } as DfcRecord;
    const members = membersOf([versionRecord(API, { seq: 1, iri: offer.id, at: '2026-11-24T10:00:00Z', record: withExtra }), product]);
    expect(members).to.have.length(1);
    expect(members[0]?.kind === 'version' ? members[0].record : undefined).to.deep.equal(withExtra);
  });

  for (const format of ['jsonld', 'turtle'] as const) {
    it(`round-trips through ${format} and the decoder`, async () => {
      const wire = serialize(events.map((e) => versionRecord(API, e)), format);
      const decoded = await new Decoder().decode(wire, { mediaType: format === 'jsonld' ? 'application/ld+json' : 'text/turtle', base: API });
      expect(decoded.rejected).to.deep.equal([]);
      const members = membersOf(decoded.records);
      expect(members.map((m) => [m.kind, m.seq, m.iri, m.at])).to.deep.equal(
        [...events].sort((a, b) => a.seq - b.seq).map((e) => [e.record === null ? 'delete' : 'version', e.seq, e.iri, e.at]),
      );
      const backOffer = members.find((m) => m.iri === offer.id);
      expect(backOffer?.kind === 'version' ? backOffer.record : undefined).to.deep.include({
        kind: 'Offer', id: offer.id, stock: 12, price: (offer as { price: unknown }).price,
      });
    });
  }
});
