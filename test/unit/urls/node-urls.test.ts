import { expect } from 'chai';
import { NodeUrls } from '../../../server/urls/node-urls.js';

describe('urls/node-urls canonical', () => {
  const urls = new NodeUrls('https://a.example');

  it('answers a product under the FDC spelling with its stored @id', () => {
    expect(urls.canonical('https://a.example/api/dfc/enterprises/ferme/SuppliedProducts/tomate'))
      .to.equal('https://a.example/api/dfc/enterprises/ferme/supplied_products/tomate');
  });

  it('leaves our other IRIs, and every other node\'s, as they are', () => {
    for (const iri of [
      'https://a.example/api/dfc/enterprises/ferme/offers/tomate',
      'https://a.example/api/dfc/enterprises/ferme/supplied_products/tomate',
      'https://b.example/api/dfc/enterprises/ferme/SuppliedProducts/tomate',
      'https://a.example/api/dfc/enterprises/ferme/catalog_items/SuppliedProducts/x',
    ]) expect(urls.canonical(iri)).to.equal(iri);
  });
});
