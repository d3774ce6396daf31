/**
 * An order request (`DecodeOptions.orderRequest`) is read strictly where a second value would be a guess: several
 * different values of what the order is read by, or a second Order, are `conflicting-values` errors of that
 * resource. The same value repeated is one value. Every other document reads as it always did (the first value).
 */
import { expect } from 'chai';
import { Decoder, type DecodeResult } from '../../../server/codec/decode.js';
import { errorsOf, fixtureText, recordOf } from './fixtures.js';

const CONTEXT = 'https://www.datafoodconsortium.org';
const SHOP = 'https://shop.example/api/dfc/enterprises/ferme';
const ORDER = `${SHOP}/orders/1`;
const LINE = `${ORDER}/OrderLines/1`;
const OFFER = `${SHOP}/offers/tomate`;
const PRODUCT = `${SHOP}/supplied_products/tomate`;
const SESSION = `${SHOP}/SalesSession/1`;

/** An order of one line, with the Order's and the line's properties given, and more nodes. */
function order(orderProps: Record<string, unknown>, lineProps: Record<string, unknown>, more: Record<string, unknown>[] = []): string {
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      { '@id': ORDER, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': LINE, ...orderProps },
      { '@id': LINE, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 2, 'dfc-b:concerns': OFFER, ...lineProps },
      ...more,
    ],
  });
}

/** The conflicts reported, as [id, path]. */
function conflicts(result: DecodeResult): [string | null, string][] {
  return result.problems.filter((p) => p.code === 'conflicting-values').map((p) => [p.id, p.path]);
}

describe('order requests', () => {
  const decoder = new Decoder();
  const strict = (text: string, mediaType = 'application/ld+json') => decoder.decode(text, { mediaType, base: ORDER, direct: false, orderRequest: true });
  const lenient = (text: string) => decoder.decode(text, { base: ORDER, direct: false });

  it('refuses a line with two quantities, naming the line and dfc-b:quantity, however they are written', async () => {
    const qv = (value: unknown) => ({ '@type': 'dfc-b:QuantitativeValue', 'dfc-b:value': value, 'dfc-b:hasUnit': 'dfc-m:Piece' });
    const bodies = [
      order({}, { 'dfc-b:quantity': [1, 2] }),
      // One line's node sent twice: JSON-LD merges them into one node with both quantities.
      order({}, { 'dfc-b:quantity': 1 }, [{ '@id': LINE, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 5 }]),
      order({}, { 'dfc-b:quantity': 1, 'dfc-b:hasQuantity': qv(3) }),
      order({}, { 'dfc-b:quantity': undefined, 'dfc-b:hasQuantity': qv([3, 4]) }),
      order({}, { 'dfc-b:quantity': undefined, 'dfc-b:hasQuantity': [qv(3), qv(4)] }),
      order({}, { 'dfc-b:quantity': [1, 'beaucoup'] }),
    ];
    for (const body of bodies) {
      const result = await strict(body);
      expect(conflicts(result), body).to.deep.equal([[LINE, 'dfc-b:quantity']]);
      expect(result.rejected.map((r) => r.id), body).to.deep.equal([LINE]);
      expect(result.records.some((r) => r.kind === 'OrderLine'), body).to.equal(false);
    }
  });

  it('refuses two offers or two orders of a line, two statuses, buyers or sale sessions of an order, two items of an Offer, two dates of a sale session', async () => {
    const cases: [string, string, string][] = [
      [order({}, { 'dfc-b:concerns': [OFFER, `${SHOP}/offers/carottes`] }), LINE, 'dfc-b:concerns'],
      [order({}, { 'dfc-b:partOf': [ORDER, `${SHOP}/orders/2`] }), LINE, 'dfc-b:partOf'],
      [order({ 'dfc-b:hasOrderStatus': ['dfc-v:Held', 'dfc-v:Complete'] }, {}), ORDER, 'dfc-b:hasOrderStatus'],
      [order({ 'dfc-b:orderedBy': ['https://ofn.example/e/1', 'https://ofn.example/e/2'] }, {}), ORDER, 'dfc-b:orderedBy'],
      [order({ 'dfc-b:belongsTo': ['https://ofn.example/s/1', 'https://ofn.example/s/2'] }, {}), ORDER, 'dfc-b:belongsTo'],
      [order({}, {}, [{ '@id': OFFER, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': [PRODUCT, `${PRODUCT}-bis`] }]), OFFER, 'dfc-b:offeredItem'],
      [order({ 'dfc-b:belongsTo': SESSION }, {}, [{ '@id': SESSION, '@type': 'dfc-b:SaleSession', 'dfc-b:beginDate': ['2024-08-22T05:40:38Z', '2024-08-23T05:40:38Z'] }]), SESSION, 'dfc-b:beginDate'],
    ];
    for (const [body, id, path] of cases) {
      const result = await strict(body);
      expect(conflicts(result), path).to.deep.equal([[id, path]]);
      const problem = result.problems.find((p) => p.code === 'conflicting-values');
      expect(problem?.message, path).to.match(/^2 different values \(.+, .+\) where one is read$/u);
      expect(problem?.severity).to.equal('error');
    }
  });

  it('refuses a second Order, whether described, a bare reference or also something else', async () => {
    const second = `${SHOP}/orders/2`;
    const bodies = [
      order({}, {}, [{ '@id': second, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held' }]),
      order({}, {}, [{ '@id': second, '@type': 'dfc-b:Order' }]),
      order({}, {}, [{ '@id': second, '@type': ['dfc-b:Offer', 'dfc-b:Order'], 'dfc-b:offeredItem': PRODUCT }]),
    ];
    for (const body of bodies) {
      const result = await strict(body);
      expect(conflicts(result), body).to.deep.equal([[second, '@type']]);
      expect(result.rejected.map((r) => r.id), body).to.include(second);
      expect(result.problems.find((p) => p.code === 'conflicting-values')?.message).to.contain(`<${ORDER}>`);
    }
  });

  it('takes the same value repeated, and the same resource sent several times, as one', async () => {
    const bodies = [
      order({}, { 'dfc-b:quantity': [2, 2] }),
      order({}, { 'dfc-b:quantity': [2, '2', { '@value': '2.0' }] }),
      order({}, { 'dfc-b:quantity': 2, 'dfc-b:hasQuantity': { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:value': '2', 'dfc-b:hasUnit': 'dfc-m:Piece' } }),
      order({}, { 'dfc-b:concerns': [OFFER, { '@id': OFFER }] }),
      // One instant in the JavaScript spelling OFN sends and in ISO 8601 is one date.
      order({ 'dfc-b:belongsTo': SESSION }, {}, [
        { '@id': SESSION, '@type': 'dfc-b:SaleSession', 'dfc-b:beginDate': ['Thu Aug 22 2024 05:40:38 UTC', '2024-08-22T05:40:38Z'], 'dfc-b:endDate': '2024-08-29T05:40:38Z' },
      ]),
      // As Open Food Network sends it: the line, its Offer as a node and as bare references, the order referred to again.
      order({}, { 'dfc-b:partOf': ORDER }, [
        { '@id': LINE, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': '2', 'dfc-b:concerns': { '@id': OFFER } },
        { '@id': OFFER, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': PRODUCT, 'dfc-b:offers': PRODUCT },
        { '@id': OFFER },
        { '@id': PRODUCT, '@type': 'dfc-b:SuppliedProduct' },
        { '@id': ORDER, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held' },
      ]),
    ];
    for (const body of bodies) {
      const result = await strict(body);
      expect(conflicts(result), body).to.deep.equal([]);
      const line = recordOf(result.records, 'OrderLine', LINE);
      expect(line.quantity, body).to.equal(2);
      expect(line.offer, body).to.equal(OFFER);
    }
  });

  it('reads a Turtle order request as strictly', async () => {
    const turtle = `@prefix dfc-b: <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#> .
<${ORDER}> a dfc-b:Order ; dfc-b:hasPart <${LINE}> .
<${LINE}> a dfc-b:OrderLine ; dfc-b:quantity 1, 2 ; dfc-b:concerns <${OFFER}> .
`;
    expect(conflicts(await strict(turtle, 'text/turtle'))).to.deep.equal([[LINE, 'dfc-b:quantity']]);
  });

  it('reads every other document as before: the first value, nothing reported', async () => {
    const result = await lenient(order({ 'dfc-b:hasOrderStatus': ['dfc-v:Held', 'dfc-v:Complete'] }, { 'dfc-b:quantity': [1, 2], 'dfc-b:concerns': [OFFER, `${SHOP}/offers/carottes`] }, [
      { '@id': `${SHOP}/orders/2`, '@type': 'dfc-b:Order' },
    ]));
    expect(errorsOf(result)).to.deep.equal([]);
    const line = recordOf(result.records, 'OrderLine', LINE);
    expect([line.quantity, line.offer]).to.deep.equal([1, OFFER]);
    expect(recordOf(result.records, 'Order', ORDER).orderStatus).to.match(/#Held$/u);
  });

  it('reads the catalogue fixtures the same in either mode', async () => {
    for (const name of ['ofn-catalog-1.16.json', 'connector-export.json', 'fdc-2.0.json', 'fdc-wholesale.json', 'valid-edge-cases.json', 'expanded.json']) {
      const text = fixtureText(name);
      const [before, after] = [await lenient(text), await strict(text)];
      expect(after.problems, name).to.deep.equal(before.problems);
      expect(after.records, name).to.deep.equal(before.records);
    }
  });
});
