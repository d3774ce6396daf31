import { expect } from 'chai';
import { startTestNode, type TestNode } from '../helpers/node.js';

describe('a node on loopback', () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
    await t.seed('ferme-des-trois-chenes');
  });
  after(() => t.close());

  it('serves an enterprise catalogue that our own codec reads back into the same records', async () => {
    const response = await t.request('GET', '/api/dfc/enterprises/ferme-des-trois-chenes/catalog_items');
    expect(response.status).to.equal(200);
    const decoded = await t.node.decoder.decode(response.text);
    expect(decoded.problems).to.deep.equal([]);
    const catalogue = await t.node.catalog.catalogue('ferme-des-trois-chenes');
    const stored = [...catalogue.groups.values(), ...catalogue.entries.flatMap((e) => [e.product, ...e.items, ...e.offers])];
    const sort = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));
    expect(sort(decoded.records)).to.deep.equal(sort(stored));
  });
});
