import { expect } from 'chai';
import { catalogUrlOf, ordersUrlOf } from '../../../server/urls/fdc-urls.js';

describe('urls/fdc-urls', () => {
  it('derives the catalogue URL by dropping the last path segment', () => {
    expect(catalogUrlOf('https://fdc.example/api/dfc/Enterprises/hodmedod/SuppliedProducts/445')).to.equal('https://fdc.example/api/dfc/Enterprises/hodmedod/SuppliedProducts');
    expect(catalogUrlOf('https://ofn.example/api/dfc/enterprises/7/catalog_items/55/')).to.equal('https://ofn.example/api/dfc/enterprises/7/catalog_items');
    expect(catalogUrlOf('https://ofn.example/api/dfc/enterprises/7/catalog_items/55#x')).to.equal('https://ofn.example/api/dfc/enterprises/7/catalog_items');
  });

  it('replaces /SuppliedProducts with /Orders (an FDC supplier)', () => {
    expect(ordersUrlOf('https://fdc.example/api/dfc/Enterprises/hodmedod/SuppliedProducts/445')).to.equal('https://fdc.example/api/dfc/Enterprises/hodmedod/Orders');
  });

  it('replaces /supplied_products with /orders (an OFN-shaped node, Maillon included)', () => {
    expect(ordersUrlOf('https://node.example/api/dfc/enterprises/verger/supplied_products/pommes')).to.equal('https://node.example/api/dfc/enterprises/verger/orders');
  });

  it('leaves a catalogue without either segment as it is, and does not touch a longer segment name', () => {
    expect(ordersUrlOf('https://x.example/products/1')).to.equal('https://x.example/products');
    expect(ordersUrlOf('https://x.example/SuppliedProductsOld/1')).to.equal('https://x.example/SuppliedProductsOld');
  });
});

describe('urls/fdc-urls planOf', () => {
  it('finds the product of a planned transformation or flow, and nothing else', async () => {
    const { planOf } = await import('../../../server/urls/fdc-urls.js');
    expect(planOf('https://x.example/SuppliedProducts/9/AsPlannedConsumptionFlow')).to.deep.equal({ product: 'https://x.example/SuppliedProducts/9', suffix: '/AsPlannedConsumptionFlow' });
    expect(planOf('https://x.example/SuppliedProducts/9/AsPlannedTransformation')?.product).to.equal('https://x.example/SuppliedProducts/9');
    expect(planOf('https://x.example/SuppliedProducts/9')).to.equal(undefined);
    expect(planOf('/AsPlannedProductionFlow')).to.equal(undefined);
  });
});
