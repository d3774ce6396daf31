/**
 * A link property given text (`"dfc-b:offeredTo": "https://…"` where the context makes no link of it, so JSON-LD
 * reads a string) was read as no link and dropped without a word. An http(s) IRI written so is read as the link its
 * writer meant (as an order's lines are); other text is kept as written, with a warning saying how to write a link.
 */
import { expect } from 'chai';
import { Decoder } from '../../../server/codec/decode.js';
import { serialize } from '../../../server/codec/serialize.js';

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const P = 'https://peer.example/api/dfc/enterprises/ferme';
const RETAIL = 'https://peer.example/api/dfc/enterprises/ferme/customer_categories/retail';

function offer(offeredTo: unknown): string {
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [{
      '@id': `${P}/offers/1`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${P}/catalog_items/1`, 'dfc-b:offeredTo': offeredTo,
      'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 2, 'dfc-b:hasUnit': 'dfc-m:Euro' },
    }],
  });
}

describe('a link property given text', () => {
  const decoder = new Decoder();
  const offerOf = async (offeredTo: unknown) => {
    const result = await decoder.decode(offer(offeredTo));
    const record = result.records.find((r) => r.id === `${P}/offers/1`);
    if (record?.kind !== 'Offer') expect.fail('no offer');
    return { result, record };
  };

  it('reads an http(s) IRI as the link, as written with {"@id"}, without a warning', async () => {
    for (const given of [RETAIL, { '@id': RETAIL }]) {
      const { result, record } = await offerOf(given);
      expect(record.customerCategory, JSON.stringify(given)).to.equal(RETAIL);
      // The connector's offeredItem, in no DFC context, is text too: the offer's item.
      expect(record.item).to.equal(`${P}/catalog_items/1`);
      expect(result.problems.filter((p) => p.path === 'dfc-b:offeredTo')).to.deep.equal([]);
      expect(record.extra).to.equal(undefined);
    }
  });

  it('keeps other text as written, with a warning, and writes it out again', async () => {
    const { result, record } = await offerOf('retail');
    expect(record.customerCategory).to.equal(undefined);
    const warning = result.problems.find((p) => p.path === 'dfc-b:offeredTo');
    expect(warning?.severity).to.equal('warning');
    expect(warning?.message).to.include('not a link');
    expect(result.rejected).to.deep.equal([]);
    for (const format of ['jsonld', 'turtle'] as const) expect(serialize(result.records, format), format).to.match(/"retail"/u);
  });
});
