/**
 * A product's PUT that says nothing of its item's stock keeps the stock stored: the stored item it read is expected
 * at the commit, so a stock write committing in between makes it decide again, never undoes that write.
 */
import { expect } from 'chai';
import { bearer, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { CONTEXT } from '../../helpers/write-api.js';

const FERME = '/api/dfc/enterprises/ferme';

function graphOf(text: string): Record<string, unknown>[] {
  const document = JSON.parse(text) as { '@graph'?: Record<string, unknown>[] } & Record<string, unknown>;
  return document['@graph'] ?? [document];
}

describe('catalog: a product PUT beside a stock write', () => {
  let node: InProcessNode;
  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
  });
  after(async () => node.close());

  it('keeps the stock another client wrote while it decided, on the item and the offer mirroring it', async () => {
    const token = await node.token('ferme');
    const item = `${node.base}${FERME}/catalog_items/tomate`;
    const product = `${node.base}${FERME}/supplied_products/tomate`;
    const stockAt = async (path: string): Promise<unknown> => graphOf((await node.request('GET', path)).text)[0]?.['dfc-b:stockLimitation'];
    expect(await stockAt(`${FERME}/catalog_items/tomate`)).to.equal(await stockAt(`${FERME}/offers/tomate`));
    const store = node.store as unknown as { getResource: (iri: string) => Promise<unknown> };
    const original = store.getResource.bind(store);
    let armed = true;
    store.getResource = async (iri: string) => {
      const read = await original(iri);
      if (armed && iri === item) {
        armed = false;
        // Another client's stock write commits between the PUT's read of the item and its commit.
        await node.catalog.updateCatalogItem('ferme', 'tomate', { text: JSON.stringify({ 'dfc-b:stockLimitation': 3 }), mediaType: 'application/json' });
      }
      return read;
    };
    try {
      const put = await node.request('PUT', `${FERME}/supplied_products/tomate`, {
        headers: { ...bearer(token), 'content-type': 'application/ld+json' },
        body: JSON.stringify({ '@context': CONTEXT, '@graph': [
          { '@id': product, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Tomates', 'dfc-b:referencedBy': item },
          { '@id': item, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': product, 'dfc-b:sku': 'TOM-9' },
        ] }),
      });
      expect(put.status, put.text).to.equal(200);
    } finally {
      store.getResource = original;
    }
    expect(armed, 'the stock write ran inside the PUT').to.equal(false);
    expect(await stockAt(`${FERME}/catalog_items/tomate`)).to.equal(3);
    expect(await stockAt(`${FERME}/offers/tomate`)).to.equal(3);
    expect(graphOf((await node.request('GET', `${FERME}/catalog_items/tomate`)).text)[0]?.['dfc-b:sku']).to.equal('TOM-9');
  });
});
