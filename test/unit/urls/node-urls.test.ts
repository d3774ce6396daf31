import { expect } from 'chai';
import { NodeUrls, slugify } from '../../../server/urls/node-urls.js';

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

describe('urls/node-urls slugify', () => {
  it('spells out the letters no decomposition makes ASCII, as French, German and Nordic names write them without', () => {
    expect(slugify('Œufs de plein air')).to.equal('oeufs-de-plein-air');
    expect(slugify('Cœur de bœuf')).to.equal('coeur-de-boeuf');
    expect(slugify('Ferme v1 ŒŸ')).to.equal('ferme-v1-oey');
    expect(slugify('Straße Æbleskiver Smørrebrød Łódź Đakovo Þórr')).to.equal('strasse-aebleskiver-smorrebrod-lodz-dakovo-thorr');
  });

  it('keeps what it made before for other names: accents dropped, dashes, at most 60 characters, "item" for none', () => {
    expect(slugify('Tomates anciennes – 1 kg')).to.equal('tomates-anciennes-1-kg');
    expect(slugify('Crème fraîche épaisse')).to.equal('creme-fraiche-epaisse');
    expect(slugify('蜂蜜')).to.equal('item');
    expect(slugify('a'.repeat(80))).to.have.length(60);
  });
});
