/**
 * A number that does not fit (`1e309`, which JSON reads as Infinity; `-1e309`; `"1e309"` as a string; NaN,
 * Infinity and INF spelled out) in any numeric field (VAT rate, price, stock, quantity, coordinates), in every
 * body syntax (plain JSON, JSON-LD, Turtle): 422 with the field's path, never ignored, and nothing stored. So is
 * a stock above 10^9 or a price above 10^13 of this node's own items and offers: valid DFC, but beyond what its
 * stock ledger and its prices keep exactly.
 */
import { expect } from 'chai';
import { bearer, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { CONTEXT, enterpriseBody, expectCodecProblems, expectProblem, nestedProduct, turtleProduct } from '../../helpers/write-api.js';

/** A number no real body holds, replaced in the text by each bad number. */
const SENTINEL = 424242.25;

/** Bad numbers as they appear in JSON text. */
const JSON_BAD_NUMBERS = ['1e309', '-1e309', '"1e309"', '"-1e309"', '"NaN"', '"Infinity"', '"INF"', '1e999999'];

/** Bad numbers as Turtle literals. */
const TURTLE_BAD_NUMBERS = ['1e309', '-1e309', '"1e309"^^xsd:decimal', '"1e309"^^xsd:double', '"NaN"^^xsd:double', '"INF"^^xsd:double', '"1e309"'];

const FERME = '/api/dfc/enterprises/ferme';

describe('http: numbers that do not fit are refused with their path', function () {
  let node: InProcessNode;
  let token: string;
  let snapshot: string;

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    token = await node.token('ferme');
    // The VAT rate a silent drop would keep.
    const set = await node.request('PUT', `${FERME}/offers/tomate`, {
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ 'dfc-b:hasPrice': { 'dfc-b:value': 4.5, 'dfc-b:hasUnit': 'dfc-m:Euro', 'dfc-b:VATrate': 5.5 } }),
    });
    expect(set.status, set.text).to.equal(200);
    snapshot = await state();
  });
  after(async () => node.close());

  async function state(): Promise<string> {
    return JSON.stringify({ catalogue: await node.catalog.catalogue('ferme'), profile: (await node.catalog.enterpriseGraph('ferme')).records, head: await node.store.feed.latestSeq() });
  }

  const send = (method: string, path: string, contentType: string, body: string) => node.request(method, path, {
    headers: { ...bearer(token), 'content-type': contentType }, body,
  });

  /** Checks a 422 names `path` among its problems, and that nothing changed. */
  async function refused(response: Awaited<ReturnType<typeof send>>, path: string, what: string): Promise<void> {
    const problem = expectProblem(response, 422);
    const paths = (problem.problems ?? []).map((p) => p.path);
    expect(paths.some((p) => p.includes(path)), `${what}: ${JSON.stringify(problem.problems)}`).to.equal(true);
    expect(await state(), `${what}: nothing stored`).to.equal(snapshot);
  }

  describe('plain-JSON updates', () => {
    const cases: readonly (readonly [string, string, string])[] = [
      ['offers/tomate', `{"dfc-b:hasPrice": {"dfc-b:value": 4.5, "dfc-b:hasUnit": "dfc-m:Euro", "dfc-b:VATrate": ${'$'}}}`, 'dfc-b:hasPrice/dfc-b:VATrate'],
      ['offers/tomate', `{"dfc-b:hasPrice": {"dfc-b:value": ${'$'}, "dfc-b:hasUnit": "dfc-m:Euro"}}`, 'dfc-b:hasPrice'],
      ['offers/tomate', `{"dfc-b:hasPrice": ${'$'}}`, 'dfc-b:hasPrice'],
      ['offers/tomate', `{"dfc-b:stockLimitation": ${'$'}}`, 'dfc-b:stockLimitation'],
      ['catalog_items/tomate', `{"dfc-b:stockLimitation": ${'$'}}`, 'dfc-b:stockLimitation'],
    ];
    it('a VAT rate, price or stock that does not fit is a 422 with its path (the old VAT rate is not kept silently)', async () => {
      for (const [resource, template, path] of cases) {
        for (const bad of JSON_BAD_NUMBERS) {
          const body = template.replace('$', bad);
          await refused(await send('PUT', `${FERME}/${resource}`, 'application/json', body), path, body);
        }
      }
    });

    it('a VAT rate or unit of the wrong type is a 422 too', async () => {
      for (const vat of ['"cinq"', 'true', '[]', '{}']) {
        const body = `{"dfc-b:hasPrice": {"dfc-b:value": 4.5, "dfc-b:hasUnit": "dfc-m:Euro", "dfc-b:VATrate": ${vat}}}`;
        await refused(await send('PUT', `${FERME}/offers/tomate`, 'application/json', body), 'dfc-b:hasPrice/dfc-b:VATrate', body);
      }
      const body = '{"dfc-b:hasPrice": {"dfc-b:value": 4.5, "dfc-b:hasUnit": 42}}';
      await refused(await send('PUT', `${FERME}/offers/tomate`, 'application/json', body), 'dfc-b:hasPrice/dfc-b:hasUnit', body);
    });

    it('says which number it read, not null', async () => {
      const response = await send('PUT', `${FERME}/offers/tomate`, 'application/json', '{"dfc-b:hasPrice": {"dfc-b:value": 4.5, "dfc-b:hasUnit": "dfc-m:Euro", "dfc-b:VATrate": 1e309}}');
      expect(expectCodecProblems(expectProblem(response, 422)).map((p) => p.message)).to.deep.equal(['VAT rate is not a number: Infinity']);
    });
  });

  describe('DFC documents', () => {
    type Node = Record<string, unknown>;
    /** The node at a path of keys in a JSON object. */
    const at = (node: Node, ...keys: string[]): Node => keys.reduce<Node>((n, key) => n[key] as Node, node);
    const OFFER = ['dfc-b:referencedBy', 'dfc-b:offeredThrough'];
    const jsonld: readonly (readonly [string, string[], string, string])[] = [
      ['VAT rate', [...OFFER, 'dfc-b:hasPrice'], 'dfc-b:VATrate', 'VATrate'],
      ['price', [...OFFER, 'dfc-b:hasPrice'], 'dfc-b:value', 'hasPrice'],
      ['offer stock', OFFER, 'dfc-b:stockLimitation', 'stockLimitation'],
      ['item stock', ['dfc-b:referencedBy'], 'dfc-b:stockLimitation', 'stockLimitation'],
      ['quantity', ['dfc-b:hasQuantity'], 'dfc-b:value', 'hasQuantity'],
    ];

    it('in JSON-LD: a POSTed product with a VAT rate, price, stock or quantity that does not fit is a 422 with its path', async () => {
      for (const [what, keys, key, path] of jsonld) {
        const body = nestedProduct({ name: 'Nombres', stock: 3, price: 2 });
        at(body, ...keys)[key] = SENTINEL;
        const text = JSON.stringify(body);
        for (const bad of JSON_BAD_NUMBERS) {
          await refused(await send('POST', `${FERME}/supplied_products`, 'application/ld+json', text.replace(String(SENTINEL), bad)), path, `${what} ${bad}`);
        }
      }
    });

    it('in Turtle: the same', async () => {
      const ids = { product: 'http://node.test/p/n', item: 'http://node.test/i/n', offer: 'http://node.test/o/n' };
      const text = turtleProduct({ name: 'Nombres', ids, stock: 3, price: SENTINEL })
        .replace(`"${SENTINEL}"^^xsd:decimal`, `${'$'} ; dfc-b:VATrate ${'$'}`);
      for (const bad of TURTLE_BAD_NUMBERS) {
        const price = text.replace(`${'$'} ; dfc-b:VATrate ${'$'}`, `${bad} ; dfc-b:VATrate 5.5`);
        await refused(await send('POST', `${FERME}/supplied_products`, 'text/turtle', price), 'hasPrice', `price ${bad}`);
        const vat = text.replace(`${'$'} ; dfc-b:VATrate ${'$'}`, `2.5 ; dfc-b:VATrate ${bad}`);
        await refused(await send('POST', `${FERME}/supplied_products`, 'text/turtle', vat), 'VATrate', `VAT ${bad}`);
        const stock = text.replace(`${'$'} ; dfc-b:VATrate ${'$'}`, '2.5').replaceAll('"3"^^xsd:integer', bad);
        await refused(await send('POST', `${FERME}/supplied_products`, 'text/turtle', stock), 'stockLimitation', `stock ${bad}`);
      }
    });

    it('coordinates of an address that do not fit are a 422 with their path', async () => {
      for (const field of ['dfc-b:latitude', 'dfc-b:longitude']) {
        const body = enterpriseBody({ id: `${node.base}${FERME}`, name: 'Ferme ferme' });
        const graph = body['@graph'] as Record<string, unknown>[];
        (graph[1] as Record<string, unknown>)[field] = SENTINEL;
        const text = JSON.stringify({ ...body, '@context': CONTEXT });
        for (const bad of JSON_BAD_NUMBERS) {
          await refused(await send('PUT', FERME, 'application/ld+json', text.replace(String(SENTINEL), bad)), field.slice('dfc-b:'.length), `${field} ${bad}`);
        }
      }
    });
  });

  describe('numbers valid in DFC but beyond what this node keeps exactly', () => {
    // A stock of 1e17 was stored, then every order of the item failed the ledger's own check (a 500), and no stock
    // write could repair it.
    const TOO_MUCH = ['1e10', '1e17', '9007199254740993', '99999999999999999999999', '1e308'];

    it('a stock above 10^9, or a price above 10^13, of an item or offer of this node is a 422 with its path', async () => {
      for (const bad of TOO_MUCH) {
        for (const resource of ['catalog_items/tomate', 'offers/tomate']) {
          const body = `{"dfc-b:stockLimitation": ${bad}}`;
          await refused(await send('PUT', `${FERME}/${resource}`, 'application/json', body), 'dfc-b:stockLimitation', `${resource} ${body}`);
        }
        const price = `{"dfc-b:hasPrice": {"dfc-b:value": ${bad === '1e10' ? '1e14' : bad}, "dfc-b:hasUnit": "dfc-m:Euro"}}`;
        await refused(await send('PUT', `${FERME}/offers/tomate`, 'application/json', price), 'dfc-b:hasPrice', price);
        const item = JSON.stringify({ '@context': CONTEXT, '@id': `${node.base}${FERME}/catalog_items/tomate`, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': SENTINEL })
          .replace(String(SENTINEL), bad);
        await refused(await send('PUT', `${FERME}/catalog_items/tomate`, 'application/ld+json', item), 'dfc-b:stockLimitation', `JSON-LD item ${bad}`);
        const product = JSON.stringify(nestedProduct({ name: 'Beaucoup', stock: SENTINEL, price: 2 })).replace(String(SENTINEL), bad);
        await refused(await send('POST', `${FERME}/supplied_products`, 'application/ld+json', product), 'stockLimitation', `POSTed product ${bad}`);
      }
    });

    it('a stock of 10^9 is kept, and the item is ordered from as any', async () => {
      const set = await send('PUT', `${FERME}/catalog_items/tomate`, 'application/json', '{"dfc-b:stockLimitation": 1000000000}');
      expect(set.status, set.text).to.equal(200);
      const order = await send('POST', `${FERME}/orders`, 'application/ld+json', JSON.stringify({
        '@context': CONTEXT,
        '@graph': [
          { '@id': `${node.base}${FERME}/orders`, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': `${node.base}${FERME}/orders/l1` },
          { '@id': `${node.base}${FERME}/orders/l1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 0.5, 'dfc-b:concerns': `${node.base}${FERME}/offers/tomate` },
        ],
      }));
      expect(order.status, order.text).to.equal(201);
      const item = await node.request('GET', `${FERME}/catalog_items/tomate`, { headers: { accept: 'application/json' } });
      expect(item.text).to.include('999999999.5');
    });
  });

  describe('two stocks where one is read', () => {
    // The first one was read before: which of two stocks the ledger kept depended on how the body was written.
    it('a catalog item or offer of this node written with two different stocks is a 422 naming the field, nothing stored', async () => {
      snapshot = await state();
      for (const resource of ['catalog_items/tomate', 'offers/tomate']) {
        const kind = resource.startsWith('offers') ? 'dfc-b:Offer' : 'dfc-b:CatalogItem';
        const id = `${node.base}${FERME}/${resource}`;
        const jsonLd = JSON.stringify({ '@context': CONTEXT, '@id': id, '@type': kind, 'dfc-b:stockLimitation': [5, 7] });
        await refused(await send('PUT', `${FERME}/${resource}`, 'application/ld+json', jsonLd), 'dfc-b:stockLimitation', `JSON-LD ${resource}`);
        const turtle = `@prefix dfc-b: <https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#> .
<${id}> a ${kind} ; dfc-b:stockLimitation 5, 7 .`;
        await refused(await send('PUT', `${FERME}/${resource}`, 'text/turtle', turtle), 'dfc-b:stockLimitation', `Turtle ${resource}`);
        await refused(await send('PUT', `${FERME}/${resource}`, 'application/json', '{"dfc-b:stockLimitation": [5, 7]}'), 'dfc-b:stockLimitation',
          `plain JSON ${resource}`);
      }
      const product = nestedProduct({ name: 'Deux stocks', stock: SENTINEL, price: 2 });
      await refused(await send('POST', `${FERME}/supplied_products`, 'application/ld+json', JSON.stringify(product).replace(String(SENTINEL), '[3, 4]')),
        'stockLimitation', 'POSTed product');
    });

    it('one stock written twice is that stock', async () => {
      const id = `${node.base}${FERME}/catalog_items/tomate`;
      const set = await send('PUT', `${FERME}/catalog_items/tomate`, 'application/ld+json',
        JSON.stringify({ '@context': CONTEXT, '@id': id, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': [6, '6'] }));
      expect(set.status, set.text).to.equal(200);
      const stored = (await node.catalog.catalogue('ferme')).entries.flatMap((e) => e.items).find((i) => i.id === id);
      expect(stored?.stock).to.equal(6);
    });
  });
});
