/**
 * Issue 9 through HTTP: a 1 KB product whose unmodelled property holds blank nodes shared in a chain (which,
 * kept as a tree, doubles at every level) is refused with 422 and a `too-large` problem, fast, and nothing
 * is stored. Deep nesting is a 4xx as well, never a 500.
 */
import { expect } from 'chai';
import { bearer, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { CONTEXT, expectCodecProblems, expectProblem, JSONLD, TURTLE } from '../../helpers/write-api.js';

const FERME = '/api/dfc/enterprises/ferme';
const DFC_B = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';

function chainedProduct(depth: number): string {
  const chain = Array.from({ length: depth }, (_, i) => ({ '@id': `_:l${i}`, 'dfc-b:a': { '@id': `_:l${i + 1}` }, 'dfc-b:b': { '@id': `_:l${i + 1}` } }));
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      {
        '@id': '_:product', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Chaîne', 'dfc-b:a': { '@id': '_:l0' },
        'dfc-b:referencedBy': { '@id': '_:item' },
      },
      { '@id': '_:item', '@type': 'dfc-b:CatalogItem', 'dfc-b:references': { '@id': '_:product' }, 'dfc-b:sku': 'CH-1', 'dfc-b:stockLimitation': 1 },
      ...chain,
    ],
  });
}

describe('http: hostile bodies', function () {
  this.timeout(30_000);
  let node: InProcessNode;
  let ferme: string;

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    ferme = await node.token('ferme');
  });
  after(async () => node.close());

  it('POST of a product with a depth-30 chain of shared blank nodes: 422 too-large, fast, nothing stored', async () => {
    const body = chainedProduct(30);
    expect(body.length).to.be.below(4000);
    const before = (await node.request('GET', `${FERME}/catalog_items`)).headers.get('etag');
    const start = Date.now();
    const response = await node.request('POST', `${FERME}/supplied_products`, { headers: { ...bearer(ferme), ...JSONLD }, body });
    expect(Date.now() - start).to.be.below(5000);
    const problems = expectCodecProblems(expectProblem(response, 422));
    expect(problems.map((p) => (p as { code?: string }).code)).to.include('too-large');
    expect((await node.request('GET', `${FERME}/catalog_items`)).headers.get('etag')).to.equal(before);
    expect((await node.request('GET', `${FERME}/supplied_products/Cha%C3%AEne`)).status).to.equal(404);
  });

  it('deeply nested JSON and Turtle bodies are a 4xx, never a 500', async () => {
    const bodies: [Record<string, string>, string][] = [
      [JSONLD, `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
      [JSONLD, `{"@context":"${CONTEXT}",${'"dfc-b:a":{'.repeat(10_000)}"dfc-b:name":"x"${'}'.repeat(10_000)}}`],
      [TURTLE, `@prefix dfc-b: <${DFC_B}> .\n_:p a dfc-b:SuppliedProduct ; dfc-b:name "x" ; dfc-b:a ${'[ dfc-b:a '.repeat(10_000)}"x"${' ]'.repeat(10_000)} .\n`],
      [TURTLE, `@prefix dfc-b: <${DFC_B}> .\n_:p a dfc-b:SuppliedProduct ; dfc-b:name "x" ; dfc-b:a ${'( '.repeat(10_000)}"x"${' )'.repeat(10_000)} .\n`],
    ];
    for (const [headers, body] of bodies) {
      const response = await node.request('POST', `${FERME}/supplied_products`, { headers: { ...bearer(ferme), ...headers }, body });
      expect(response.status, response.text.slice(0, 300)).to.be.within(400, 499);
    }
  });
});
