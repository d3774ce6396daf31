/**
 * A write to an enterprise or a resource that is not there answers 404 whatever its body holds: PUT replaces and
 * creates nothing, so the body of a write that cannot apply is not worth reading (a 422 would send the client to
 * fix a body that no fix can make apply). The caller's credential still comes first (401, 403).
 */
import { expect } from 'chai';
import { bearer, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { expectProblem } from '../../helpers/write-api.js';

const FERME = '/api/dfc/enterprises/ferme';

/** Bodies no write takes, each with its media type. */
const BAD_BODIES: readonly (readonly [string, string])[] = [
  ['application/ld+json', '{"@context": 5}'],
  ['application/ld+json', '{"@graph": ['],
  ['text/turtle', '<a> <b> .'],
  ['application/ld+json', '{"@context": "https://www.datafoodconsortium.org", "@type": "dfc-b:SuppliedProduct"}'],
];

describe('http: a write to what is not there is a 404 whatever the body holds', function () {
  let node: InProcessNode;
  let token: string;

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
    token = await node.token('ferme');
  });
  after(async () => node.close());

  const put = (path: string, credential: string | undefined, [contentType, body]: readonly [string, string]) => node.request('PUT', path, {
    headers: { ...(credential === undefined ? {} : bearer(credential)), 'content-type': contentType }, body,
  });

  it('an unknown enterprise: its profile and its products, with the admin token', async () => {
    for (const bad of BAD_BODIES) {
      for (const path of ['/api/dfc/enterprises/nope', '/api/dfc/enterprises/nope/supplied_products/tomate',
        '/api/dfc/enterprises/nope/catalog_items/tomate', '/api/dfc/enterprises/nope/offers/tomate']) {
        const problem = expectProblem(await put(path, node.adminToken, bad), 404);
        expect(problem.detail, `${path} ${bad[1]}`).to.match(/nope/);
      }
    }
  });

  it("an unknown product, item or offer of a known enterprise, with the enterprise's token", async () => {
    for (const bad of BAD_BODIES) {
      for (const collection of ['supplied_products', 'catalog_items', 'offers']) {
        const problem = expectProblem(await put(`${FERME}/${collection}/nope`, token, bad), 404);
        expect(problem.detail, `${collection} ${bad[1]}`).to.match(/nope/);
      }
    }
  });

  it('the credential still comes first: 401 without one, 403 for another enterprise', async () => {
    const bad = BAD_BODIES[0] as readonly [string, string];
    expectProblem(await put('/api/dfc/enterprises/nope', undefined, bad), 401);
    expectProblem(await put('/api/dfc/enterprises/nope', token, bad), 403);
    expectProblem(await put('/api/dfc/enterprises/nope/supplied_products/tomate', token, bad), 403);
  });

  it('what is there still reads the body: a bad one is a 400 or 422', async () => {
    for (const path of [FERME, `${FERME}/supplied_products/tomate`]) {
      const response = await put(path, token, BAD_BODIES[0] as readonly [string, string]);
      expect([400, 422], `${path}: ${response.text}`).to.include(response.status);
    }
  });
});
