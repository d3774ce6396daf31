import { expect } from 'chai';
import { Decoder } from '../../../server/codec/decode.js';
import { encodeJsonLd } from '../../../server/codec/encode.js';
import { serialize } from '../../../server/codec/serialize.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { canonicalNQuads as canonical, doublesAsDecimals, jsonld, offline } from '../../helpers/jsonld.js';
import { sampleRecords } from '../../helpers/sample-records.js';

/** Records sorted by id: RDF has no order, so a round trip through Turtle may list them differently. */
function byId(records: readonly DfcRecord[]): DfcRecord[] {
  return [...records].sort((a, b) => a.id.localeCompare(b.id));
}

describe('codec round trip', () => {
  const decoder = new Decoder();

  for (const profile of ['dfc-v1', 'dfc-v2'] as const) {
    it(`decodes what it encodes (${profile}) into the same records`, async () => {
      const records = sampleRecords();
      const result = await decoder.decode(JSON.stringify(encodeJsonLd(records, { profile })));
      expect(result.problems).to.deep.equal([]);
      expect(byId(result.records)).to.deep.equal(byId(records));
    });

    it(`writes JSON-LD that jsonld.js reads as the same graph as our N-Quads (${profile})`, async () => {
      const records = sampleRecords();
      const ours = serialize(records, 'nquads', { profile });
      const theirs = await jsonld.toRDF(encodeJsonLd(records, { profile }), { format: 'application/n-quads', ...offline });
      expect(await canonical(ours)).to.equal(await canonical(doublesAsDecimals(theirs)));
      expect(ours.split('\n').filter(Boolean).length).to.be.greaterThan(100);
    });
  }

  for (const format of ['turtle', 'ntriples', 'nquads'] as const) {
    it(`decodes its own ${format} into the same records`, async () => {
      const records = sampleRecords();
      const mediaType = { turtle: 'text/turtle', ntriples: 'application/n-triples', nquads: 'application/n-quads' }[format];
      const result = await decoder.decode(serialize(records, format), { mediaType });
      expect(result.problems).to.deep.equal([]);
      expect(result.via).to.equal('rdf');
      expect(byId(result.records)).to.deep.equal(byId(records));
    });
  }

  it('writes the shape Open Food Network imports', () => {
    const document = encodeJsonLd(sampleRecords());
    expect(document['@context']).to.equal('https://w3id.org/dfc/ontology/context/context_1.16.0.json');
    const nodes = new Map(document['@graph'].map((n) => [n['@id'] as string, n]));
    const product = nodes.get('https://node.example/api/dfc/enterprises/ferme/supplied_products/tomate-1kg');
    expect(product?.['dfc-b:referencedBy']).to.equal('https://node.example/api/dfc/enterprises/ferme/catalog_items/tomate-1kg');
    const item = nodes.get('https://node.example/api/dfc/enterprises/ferme/catalog_items/tomate-1kg');
    expect(item?.['dfc-b:offeredThrough']).to.equal('https://node.example/api/dfc/enterprises/ferme/offers/tomate-1kg');
    expect(item?.['dfc-b:stockLimitation']).to.equal(12);
    const offer = nodes.get('https://node.example/api/dfc/enterprises/ferme/offers/tomate-1kg');
    expect(offer?.['dfc-b:hasPrice']).to.deep.equal({ '@type': 'dfc-b:Price', 'dfc-b:value': 4.5, 'dfc-b:hasUnit': 'dfc-m:Euro', 'dfc-b:VATrate': 5.5 });
    expect(offer?.['dfc-b:stockLimitation']).to.equal(12);
    const onDemandItem = nodes.get('https://node.example/api/dfc/enterprises/ferme/catalog_items/tomate-3kg');
    const onDemandOffer = nodes.get('https://node.example/api/dfc/enterprises/ferme/offers/tomate-3kg');
    // On demand as Open Food Network imports it: -1 (absent is "no change" to its importer).
    expect(onDemandItem?.['dfc-b:stockLimitation']).to.equal(-1);
    expect(onDemandOffer?.['dfc-b:stockLimitation']).to.equal(-1);
    const enterprise = nodes.get('https://node.example/api/dfc/enterprises/ferme');
    expect(enterprise?.['@type']).to.equal('dfc-b:Enterprise');
    expect(enterprise?.['ofn:contact_name']).to.equal('Anne Martin');
  });

  it('writes DFC 2.0 with an Organization and an ldp:Container', () => {
    const document = encodeJsonLd(sampleRecords(), { profile: 'dfc-v2', containerId: 'https://node.example/api/dfc/enterprises/ferme/catalog_items' });
    expect(document['@context'][0]).to.equal('https://w3id.org/dfc/ontology/context/context_2.0.0.json');
    const [container, ...nodes] = document['@graph'];
    expect(container?.['@type']).to.equal('ldp:Container');
    expect(container?.['ldp:contains']).to.have.length(2);
    expect(nodes.find((n) => n['@id'] === 'https://node.example/api/dfc/enterprises/ferme')?.['@type']).to.equal('dfc-b:Organization');
  });

  it('keeps properties it does not model, across a round trip', async () => {
    const result = await decoder.decode(JSON.stringify(encodeJsonLd(sampleRecords())));
    const product = result.records.find((r) => r.id.endsWith('supplied_products/tomate-1kg'));
    expect(product?.extra?.['ofn:spree_product_id']).to.deep.equal([{ '@value': 21 }]);
    expect(product?.extra?.['https://schema.org/alternateName']).to.deep.equal([{ '@value': 'Heirloom tomatoes', '@language': 'en' }]);
    expect(result.records.find((r) => r.kind === 'Resource')?.id).to.equal('https://social.example/ferme');
  });
});
