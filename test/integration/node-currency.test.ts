/**
 * The node's currency (`MAILLON_CURRENCY`): a price given as a bare number has no unit of its own, and the node
 * reads it in its own currency, not in euros whatever the country (an Australian Open Food Network instance sent
 * its prices as bare numbers before its Price nodes).
 */
import { expect } from 'chai';
import { CURRENCIES, loadConfig, ConfigError } from '../../server/config.js';
import { CURRENCY_CODES, currencyOfCode, measureIri } from '../../ontology/units.js';
import { startTestNode, type TestNode, type TestResponse } from '../helpers/node.js';

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const EID = 'chevrerie-du-puy';

describe('the node\'s currency (MAILLON_CURRENCY)', function () {
  this.timeout(30000);
  let t: TestNode;
  before(async () => {
    t = await startTestNode({ env: { MAILLON_CURRENCY: 'gbp' } });
    await t.seed(EID);
  });
  after(() => t.close());

  const headers = (type: string): Record<string, string> => ({ authorization: `Bearer ${t.adminToken}`, 'content-type': type });
  const api = (...parts: string[]): string => ['/api/dfc/enterprises', EID, ...parts].join('/');

  /** Creates a product with its catalog item and offer (`offer` adds to the offer), through the API. */
  const create = (slug: string, offer: Record<string, unknown>): Promise<TestResponse> => {
    const [product, item, offerId] = [api('supplied_products', slug), api('catalog_items', slug), api('offers', slug)].map((p) => `${t.base}${p}`);
    return t.request('POST', api('supplied_products'), {
      headers: headers('application/ld+json'),
      body: JSON.stringify({ '@context': CONTEXT, '@graph': [
        { '@id': product, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': slug, 'dfc-b:referencedBy': item },
        { '@id': item, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': product, 'dfc-b:stockLimitation': 3, 'dfc-b:offeredThrough': offerId },
        { '@id': offerId, '@type': 'dfc-b:Offer', 'dfc-b:offers': item, ...offer },
      ] }),
    });
  };

  it('is EUR unless set, one of the DFC currencies by its ISO code, and anything else is refused at start', () => {
    expect(loadConfig({}, {}).currency).to.equal('EUR');
    expect(currencyOfCode(loadConfig({}, { MAILLON_CURRENCY: ' aud ' }).currency)).to.equal(measureIri('AustralianDollar'));
    expect([...CURRENCIES].sort(), 'config\'s codes are the DFC currencies\'').to.deep.equal(Object.values(CURRENCY_CODES).sort());
    expect(() => loadConfig({}, { MAILLON_CURRENCY: 'XYZ' })).to.throw(ConfigError, /MAILLON_CURRENCY must be one of AUD, CAD, EUR, GBP, USD/u);
  });

  it('reads a bare-number price of a JSON-LD document in the node\'s currency', async () => {
    const offer = `${t.base}${api('offers', 'bare-price')}`;
    const created = await create('bare-price', { 'dfc-b:hasPrice': 5.25 });
    expect(created.status, created.text).to.equal(201);
    const read = await t.request('GET', api('offers', 'bare-price'), { headers: { accept: 'application/ld+json' } });
    expect(read.status, read.text).to.equal(200);
    const node = read.json<{ '@graph': Record<string, unknown>[] }>()['@graph'].find((n) => n['@id'] === offer);
    expect(node?.['dfc-b:hasPrice']).to.deep.include({ 'dfc-b:value': 5.25, 'dfc-b:hasUnit': 'dfc-m:PoundSterling' });
  });
});
