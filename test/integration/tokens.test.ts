/**
 * API tokens against a real node: the whole write matrix (endpoint × credential), the two ways to send a
 * token, malformed and revoked tokens, hashed storage, and the command-line token lifecycle.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCOPES, type Scope } from '../../server/auth/tokens.js';
import { main, run } from '../../server/cli/main.js';
import { UsageError } from '../../server/cli/node-commands.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { startNode, type RunningNode } from '../../server/main.js';
import { startTestNode, type TestNode, type TestResponse } from '../helpers/node.js';
import { readTable } from '../helpers/sqlite.js';
import {
  api, bearer, byId, CONTEXT, created, enterpriseBody, enterpriseSnapshot, expectProblem, getItem, getOffer, getProduct, getRecords, iri, JSON_TYPE,
  JSONLD, nestedProduct,
} from '../helpers/write-api.js';

const A = 'ferme-des-trois-chenes';
const B = 'chevrerie-du-puy';

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

describe('API tokens (real node)', () => {
  let t: TestNode;
  let admin: Record<string, string>;
  let initialB: string;
  let n = 0;

  before(async () => {
    t = await startTestNode();
    await t.seed(A);
    await t.seed(B);
    admin = bearer(t.adminToken);
    initialB = await enterpriseSnapshot(t, B);
  });
  after(() => t.close());

  /** Creates a product in A with the admin token. */
  const createInA = async (): Promise<{ product: string; item: string; offer: string }> => {
    const response = await t.request('POST', api(A, 'supplied_products'), {
      headers: { ...admin, ...JSONLD }, body: JSON.stringify(nestedProduct({ name: `Matrice ${++n}`, stock: 10, price: 2 })),
    });
    return created(t, response);
  };
  const pathOf = (id: string): string => id.slice(t.base.length);

  // ------------------------------------------------------------------ the matrix

  describe('the write matrix: endpoint × credential, on enterprise A', () => {
    interface Target { readonly path: string; readonly body?: string; readonly headers: Record<string, string>; readonly verify: () => Promise<void> }
    interface Endpoint {
      readonly name: string;
      readonly method: string;
      readonly scope: Scope;
      readonly success: number;
      readonly prepare: () => Promise<Target>;
    }

    const endpoints: Endpoint[] = [
      {
        name: 'POST supplied_products', method: 'POST', scope: 'WriteProducts', success: 201,
        prepare: async () => {
          const name = `Nouveau ${++n}`;
          return {
            path: api(A, 'supplied_products'), headers: JSONLD, body: JSON.stringify(nestedProduct({ name })),
            verify: async () => {
              const catalogue = await getRecords(t, api(A, 'catalog_items'));
              expect(catalogue.some((r) => r.kind === 'SuppliedProduct' && r.name === name)).to.equal(true);
            },
          };
        },
      },
      {
        name: 'PUT supplied_products/{id}', method: 'PUT', scope: 'WriteProducts', success: 200,
        prepare: async () => {
          const { product } = await createInA();
          const name = `Renommé ${++n}`;
          return {
            path: pathOf(product), headers: JSONLD,
            body: JSON.stringify({ '@context': CONTEXT, '@id': product, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': name }),
            verify: async () => {
              expect((await getProduct(t, product)).name).to.equal(name);
            },
          };
        },
      },
      {
        name: 'DELETE supplied_products/{id}', method: 'DELETE', scope: 'WriteProducts', success: 204,
        prepare: async () => {
          const { product } = await createInA();
          return { path: pathOf(product), headers: {}, verify: async () => { expect((await t.request('GET', pathOf(product))).status).to.equal(404); } };
        },
      },
      {
        name: 'PUT catalog_items/{id}', method: 'PUT', scope: 'WriteProducts', success: 200,
        prepare: async () => {
          const { item } = await createInA();
          return { path: pathOf(item), headers: JSON_TYPE, body: '{"dfc-b:stockLimitation": 42}', verify: async () => { expect((await getItem(t, item)).stock).to.equal(42); } };
        },
      },
      {
        name: 'PUT offers/{id}', method: 'PUT', scope: 'WriteProducts', success: 200,
        prepare: async () => {
          const { offer } = await createInA();
          return { path: pathOf(offer), headers: JSON_TYPE, body: '{"dfc-b:hasPrice": 9.9}', verify: async () => { expect((await getOffer(t, offer)).price?.value).to.equal(9.9); } };
        },
      },
      {
        name: 'PUT enterprises/{eid}', method: 'PUT', scope: 'WriteEnterprise', success: 200,
        prepare: async () => {
          const description = `Description ${++n}`;
          return {
            path: api(A), headers: JSONLD, body: JSON.stringify(enterpriseBody({ id: iri(t, api(A)), name: 'Ferme des Trois Chênes', description })),
            verify: async () => {
              expect(byId(await getRecords(t, api(A)), iri(t, api(A)), 'Enterprise').description).to.equal(description);
            },
          };
        },
      },
    ];

    /** Tokens by credential and scope, issued once. */
    const credentials: { name: string; expect: 'success' | 401 | 403; headers: (scope: Scope) => Record<string, string> }[] = [
      { name: 'no token', expect: 401, headers: () => ({}) },
      { name: 'an invalid token', expect: 401, headers: () => bearer(`mln_${randomBytes(32).toString('base64url')}`) },
      { name: 'the admin token', expect: 'success', headers: () => admin },
      { name: 'a token of A with the scope', expect: 'success', headers: (scope) => bearer(tokens.get(`A+${scope}`) ?? '') },
      { name: 'a token of A with every other scope', expect: 403, headers: (scope) => bearer(tokens.get(`A-${scope}`) ?? '') },
      { name: 'a token of B with every scope', expect: 403, headers: () => bearer(tokens.get('B') ?? '') },
    ];
    const tokens = new Map<string, string>();

    before(async () => {
      for (const scope of ['WriteProducts', 'WriteEnterprise'] as const) {
        tokens.set(`A+${scope}`, await t.token(A, ['ReadEnterprise', 'ReadProducts', scope]));
        tokens.set(`A-${scope}`, await t.token(A, SCOPES.filter((s) => s !== scope)));
      }
      tokens.set('B', await t.token(B, SCOPES));
    });

    for (const endpoint of endpoints) {
      for (const credential of credentials) {
        const status = credential.expect === 'success' ? endpoint.success : credential.expect;
        it(`${endpoint.method} ${endpoint.name.replace(/^\S+ /u, '')} with ${credential.name} (${credential.name.includes('scope') ? endpoint.scope : '-'}) → ${status}`, async () => {
          const target = await endpoint.prepare();
          const beforeA = await enterpriseSnapshot(t, A);
          const beforeB = await enterpriseSnapshot(t, B);
          const response = await t.request(endpoint.method, target.path, {
            headers: { ...target.headers, ...credential.headers(endpoint.scope) }, ...(target.body !== undefined ? { body: target.body } : {}),
          });
          if (credential.expect === 'success') {
            expect(response.status, response.text).to.equal(endpoint.success);
            await target.verify();
            expect(await enterpriseSnapshot(t, A)).to.not.equal(beforeA);
          } else {
            expectProblem(response, status);
            if (status === 401) expect(response.headers.get('www-authenticate')).to.match(/^Bearer/u);
            expect(await enterpriseSnapshot(t, A), 'A changed').to.equal(beforeA);
          }
          expect(await enterpriseSnapshot(t, B), 'B changed').to.equal(beforeB);
        });
      }
    }

    it('a token of A is refused (403) on every write endpoint of B, and B is unchanged', async () => {
      const tokenA = await t.token(A, SCOPES);
      const itemB = iri(t, api(B, 'catalog_items', 'tomme-de-chevre-250g'));
      const offerB = (await getItem(t, itemB)).offers[0] ?? '';
      const productB = iri(t, api(B, 'supplied_products', 'tomme-de-chevre-250g'));
      const attempts: [string, string, string | undefined, Record<string, string>][] = [
        ['POST', api(B, 'supplied_products'), JSON.stringify(nestedProduct({ name: 'Intrus' })), JSONLD],
        ['PUT', pathOf(productB), JSON.stringify({ '@context': CONTEXT, '@id': productB, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Intrus' }), JSONLD],
        ['DELETE', pathOf(productB), undefined, {}],
        ['PUT', pathOf(itemB), '{"dfc-b:stockLimitation": 0}', JSON_TYPE],
        ['PUT', pathOf(offerB), '{"dfc-b:hasPrice": 0.01}', JSON_TYPE],
        ['PUT', api(B), JSON.stringify(enterpriseBody({ id: iri(t, api(B)), name: 'Intrus' })), JSONLD],
      ];
      const before = await enterpriseSnapshot(t, B);
      for (const [method, path, body, headers] of attempts) {
        for (const credential of [bearer(tokenA), { 'x-api-token': tokenA }]) {
          const response = await t.request(method, path, { headers: { ...headers, ...credential }, ...(body !== undefined ? { body } : {}) });
          expectProblem(response, 403);
        }
      }
      expect(await enterpriseSnapshot(t, B)).to.equal(before);
    });

    it('a token of A writing into A with bodies naming B’s resources never changes B', async () => {
      const tokenA = bearer(await t.token(A, SCOPES));
      const before = await enterpriseSnapshot(t, B);
      const productB = iri(t, api(B, 'supplied_products', 'tomme-de-chevre-250g'));
      const groupB = iri(t, api(B, 'supplied_products', 'tomme-de-chevre'));
      const itemB = iri(t, api(B, 'catalog_items', 'tomme-de-chevre-250g'));
      const offerB = iri(t, api(B, 'offers', 'tomme-de-chevre-250g'));
      const answers: TestResponse[] = [];

      // A new product of A whose @ids are B's, and that claims to be a variant of B's group.
      answers.push(await t.request('POST', api(A, 'supplied_products'), {
        headers: { ...tokenA, ...JSONLD },
        body: JSON.stringify(nestedProduct({ name: 'Copie de tomme', stock: 1, price: 0.5, variantOf: groupB, ids: { product: productB, item: itemB, offer: offerB } })),
      }));
      // A product of A replaced by a body describing B's product.
      const { product, item, offer } = await createInA();
      answers.push(await t.request('PUT', pathOf(product), {
        headers: { ...tokenA, ...JSONLD },
        body: JSON.stringify({ '@context': CONTEXT, '@id': productB, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Tomme volée' }),
      }));
      // A's item and offer updated with JSON-LD naming B's.
      answers.push(await t.request('PUT', pathOf(item), {
        headers: { ...tokenA, ...JSONLD },
        body: JSON.stringify({ '@context': CONTEXT, '@id': itemB, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 0 }),
      }));
      answers.push(await t.request('PUT', pathOf(offer), {
        headers: { ...tokenA, ...JSONLD },
        body: JSON.stringify({ '@context': CONTEXT, '@id': offerB, '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 0.01, 'dfc-b:hasUnit': 'dfc-m:Euro' } }),
      }));
      // A's profile with B's @id: refused.
      answers.push(await t.request('PUT', api(A), {
        headers: { ...tokenA, ...JSONLD }, body: JSON.stringify(enterpriseBody({ id: iri(t, api(B)), name: 'Chèvrerie du Puy' })),
      }));
      // B's resources through A's URLs: not found.
      answers.push(await t.request('PUT', api(A, 'catalog_items', 'tomme-de-chevre-250g'), { headers: { ...tokenA, ...JSON_TYPE }, body: '{"dfc-b:stockLimitation": 0}' }));
      answers.push(await t.request('PUT', api(A, 'offers', 'tomme-de-chevre-250g'), { headers: { ...tokenA, ...JSON_TYPE }, body: '{"dfc-b:hasPrice": 0.01}' }));
      answers.push(await t.request('DELETE', api(A, 'supplied_products', 'tomme-de-chevre-250g'), { headers: tokenA }));

      expect(answers.map((r) => r.status)).to.satisfy((statuses: number[]) => statuses.every((s) => s < 500), JSON.stringify(answers.map((r) => r.text.slice(0, 200))));
      expect(answers.slice(-3).map((r) => r.status)).to.deep.equal([404, 404, 404]);
      expect(await enterpriseSnapshot(t, B)).to.equal(before);
      expect((await getItem(t, itemB)).stock).to.not.equal(0);
      expect((await getProduct(t, groupB)).variants.every((v) => v.startsWith(iri(t, api(B))))).to.equal(true);
    });

    it('after every attempt, B is exactly as seeded', async () => {
      expect(await enterpriseSnapshot(t, B)).to.equal(initialB);
    });
  });

  // ------------------------------------------------------------------ how a token is sent

  describe('sending a token', () => {
    let item: string;
    let token: string;

    before(async () => {
      ({ item } = await createInA());
      token = await t.token(A, ['ReadProducts', 'WriteProducts']);
    });

    const putStock = (headers: Record<string, string>, stock: number): Promise<TestResponse> =>
      t.request('PUT', pathOf(item), { headers: { ...JSON_TYPE, ...headers }, body: `{"dfc-b:stockLimitation": ${stock}}` });

    it('Authorization: Bearer <token> works', async () => {
      expect((await putStock({ authorization: `Bearer ${token}` }, 1)).status).to.equal(200);
      expect((await getItem(t, item)).stock).to.equal(1);
    });

    it('the Bearer scheme is case-insensitive', async () => {
      expect((await putStock({ authorization: `bearer ${token}` }, 2)).status).to.equal(200);
      expect((await getItem(t, item)).stock).to.equal(2);
    });

    it('X-Api-Token: <token> works', async () => {
      expect((await putStock({ 'x-api-token': token }, 3)).status).to.equal(200);
      expect((await getItem(t, item)).stock).to.equal(3);
    });

    // Only the last word of the header is read (as Open Food Network reads it): a bare token, or any scheme word, works.
    for (const [name, value] of [['a bare token', 'TOKEN'], ['another scheme word', 'JWT TOKEN'], ['two tokens', 'Bearer TOKEN TOKEN']] as const) {
      it(`an Authorization header whose last word is the token (${name}) → 200`, async () => {
        expect((await putStock({ authorization: value.replace(/TOKEN/gu, token) }, 7)).status).to.equal(200);
      });
    }

    for (const [name, value] of [['Basic xyz', 'Basic xyz'], ['Bearer without a token', 'Bearer'], ['a token then a word', 'Bearer TOKEN x']] as const) {
      it(`an Authorization header without a usable token (${name}) → 401, nothing changed`, async () => {
        const before = await enterpriseSnapshot(t, A);
        const response = await putStock({ authorization: value.replace(/TOKEN/gu, token) }, 99);
        expectProblem(response, 401);
        expect(response.headers.get('www-authenticate')).to.match(/^Bearer/u);
        expect(await enterpriseSnapshot(t, A)).to.equal(before);
      });
    }

    it('an unusable Authorization header is ignored on a public GET (served as anonymous)', async () => {
      expect((await t.request('GET', api(A, 'catalog_items'), { headers: { authorization: 'Basic xyz' } })).status).to.equal(200);
      expect((await t.request('GET', api(A, 'catalog_items'))).status).to.equal(200);
    });

    it('a revoked token → 401 (writes and reads), and nothing changes', async () => {
      const revoked = await t.token(A, ['ReadProducts', 'WriteProducts']);
      expect((await putStock(bearer(revoked), 4)).status).to.equal(200);
      const rows = await t.node.store.listTokens(A);
      const row = rows.find((r) => r.id === sha256(revoked).slice(0, 16));
      expect(row, 'the token is listed by its id').to.not.equal(undefined);
      expect(row?.revokedAt).to.equal(null);
      expect(await t.node.store.revokeToken(row?.id ?? '')).to.equal(true);
      expect((await t.node.store.listTokens(A)).find((r) => r.id === row?.id)?.revokedAt).to.be.a('string');

      const before = await enterpriseSnapshot(t, A);
      for (const headers of [bearer(revoked), { 'x-api-token': revoked }]) {
        const response = await putStock(headers, 5);
        expectProblem(response, 401);
        expect(response.headers.get('www-authenticate')).to.match(/invalid_token/u);
        // A public read ignores it.
        expect((await t.request('GET', api(A, 'catalog_items'), { headers })).status).to.equal(200);
      }
      expect(await enterpriseSnapshot(t, A)).to.equal(before);
      expect((await getItem(t, item)).stock).to.equal(4);
      // Other tokens of A still work.
      expect((await putStock(bearer(token), 6)).status).to.equal(200);
    });
  });

  // ------------------------------------------------------------------ storage

  describe('storage', () => {
    it('stores tokens hashed: the token text is nowhere in the tokens table, its SHA-256 hex is', async () => {
      const token = await t.token(A, ['ReadProducts', 'WriteProducts']);
      const secret = token.replace(/^mln_/u, '');
      const rows = await readTable(t.db, 'tokens');
      expect(rows.length).to.be.greaterThan(1);
      for (const row of rows) {
        for (const value of Object.values(row)) {
          if (typeof value !== 'string') continue;
          expect(value).to.not.contain(secret);
          expect(value).to.not.contain(t.adminToken.replace(/^mln_/u, ''));
        }
      }
      const hashes = rows.map((r) => r['hash']);
      expect(hashes).to.include(sha256(token));
      expect(hashes).to.include(sha256(t.adminToken));
      const row = rows.find((r) => r['hash'] === sha256(token));
      expect(row?.['id']).to.equal(sha256(token).slice(0, 16));
      expect(row?.['eid']).to.equal(A);
      expect(row?.['scopes']).to.equal('ReadProducts WriteProducts');
    });

    it('the token text is in no file of the database (main file and write-ahead log)', async () => {
      const token = await t.token(A, ['ReadProducts']);
      const secret = token.replace(/^mln_/u, '');
      for (const file of [t.db, `${t.db}-wal`]) {
        if (!existsSync(file)) continue;
        expect(readFileSync(file).includes(Buffer.from(secret)), file).to.equal(false);
      }
    });
  });
});

// ------------------------------------------------------------------ command line

describe('token lifecycle on the command line', () => {
  let dir: string;
  let db: string;
  let common: string[];

  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await run([...argv, ...common], { out: (text) => void (out += text), err: (text) => void (err += text) });
    return { code, out, err };
  }
  const tokenIn = (text: string): string | undefined => /\b(mln_[A-Za-z0-9_-]{20,})/u.exec(text)?.[1];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-cli-tokens-'));
    db = join(dir, 'node.db');
    common = ['--db', db, '--data-dir', dir, '--base-url', 'http://node.test'];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  let adminToken: string;
  let enterpriseToken: string;
  let enterpriseTokenId: string;

  it('init on a fresh database prints an admin token once', async () => {
    const { code, out } = await cli('init');
    expect(code).to.equal(0);
    adminToken = tokenIn(out) ?? '';
    expect(adminToken).to.not.equal('');
    expect(out.split(adminToken).length - 1).to.equal(1);
    const second = await cli('init');
    expect(second.code).to.equal(1);
    expect(tokenIn(second.out + second.err)).to.equal(undefined);
    expect(second.err).to.match(/already initialised/u);
  });

  it('enterprise add --id x --name X', async () => {
    const { code, out } = await cli('enterprise', 'add', '--id', 'x', '--name', 'X');
    expect(code).to.equal(0);
    expect(out).to.contain('http://node.test/api/dfc/enterprises/x');
    expect((await cli('enterprise', 'list')).out).to.match(/^x\tX\t/mu);
  });

  it('token create --enterprise x --scopes ReadProducts,WriteProducts prints a token', async () => {
    const { code, out } = await cli('token', 'create', '--enterprise', 'x', '--scopes', 'ReadProducts,WriteProducts');
    expect(code).to.equal(0);
    enterpriseToken = tokenIn(out) ?? '';
    expect(enterpriseToken).to.not.equal('');
    enterpriseTokenId = sha256(enterpriseToken).slice(0, 16);
    expect(out).to.contain(enterpriseTokenId);
    expect(out).to.contain('ReadProducts WriteProducts');
  });

  it('token list shows it without the secret', async () => {
    const { code, out } = await cli('token', 'list');
    expect(code).to.equal(0);
    const line = out.split('\n').find((l) => l.startsWith(enterpriseTokenId));
    expect(line).to.be.a('string');
    expect(line).to.match(/\tx\tReadProducts,WriteProducts\t.*\tactive$/u);
    expect(out).to.not.contain(enterpriseToken);
    expect(out).to.not.contain(enterpriseToken.replace(/^mln_/u, ''));
    expect(out).to.not.contain(adminToken.replace(/^mln_/u, ''));
    expect(out).to.match(/\(admin\)/u);
    expect((await cli('token', 'list', '--enterprise', 'x')).out.trim().split('\n')).to.have.length(1);
  });

  it('the tokens the command line prints work on a node running on that database; a revoked one no longer does', async () => {
    const config = loadConfig({ port: '0', host: '127.0.0.1', db, 'data-dir': dir, 'base-url': 'http://node.test' }, { MAILLON_LOG_LEVEL: 'silent' });
    const node: RunningNode = await startNode(config, createLogger('silent'));
    try {
      const post = (token: string, name: string) => fetch(`${node.url}/api/dfc/enterprises/x/supplied_products`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/ld+json' }, body: JSON.stringify(nestedProduct({ name })),
      });
      expect((await post(enterpriseToken, 'Premier')).status).to.equal(201);
      expect((await post(adminToken, 'Par l’admin')).status).to.equal(201);

      const revoke = await cli('token', 'revoke', enterpriseTokenId);
      expect(revoke.code).to.equal(0);
      expect(revoke.out).to.contain(enterpriseTokenId);
      const refused = await post(enterpriseToken, 'Après révocation');
      expect(refused.status).to.equal(401);
      expect(refused.headers.get('content-type')).to.match(/^application\/problem\+json/u);
      expect((await node.store.listResources('x', ['SuppliedProduct'])).map((r) => r.record.kind === 'SuppliedProduct' && r.record.name))
        .to.have.members(['Premier', 'Par l’admin']);
    } finally {
      await node.close();
    }
  });

  it('token list shows it revoked; revoking again exits 1', async () => {
    const line = (await cli('token', 'list')).out.split('\n').find((l) => l.startsWith(enterpriseTokenId));
    expect(line).to.match(/\trevoked \d{4}-\d\d-\d\dT/u);
    const again = await cli('token', 'revoke', enterpriseTokenId);
    expect(again.code).to.equal(1);
    expect(again.err).to.contain(enterpriseTokenId);
  });

  it('token create --admin with an enterprise or scopes is a usage error, and no token is created (an admin token was)', async () => {
    const before = (await cli('token', 'list')).out;
    for (const extra of [['--enterprise', 'x'], ['--scopes', 'ReadProducts'], ['--enterprise', 'x', '--scopes', 'ReadProducts']]) {
      const thrown = await cli('token', 'create', '--admin', ...extra).then(() => undefined, (error: unknown) => error);
      expect(thrown, extra.join(' ')).to.be.instanceOf(UsageError);
      expect((thrown as Error).message).to.match(/^token create --admin makes a token for every enterprise and scope: it takes no --/u);
    }
    expect((await cli('token', 'list')).out).to.equal(before);
  });

  it('an unknown scope is a usage error: run throws UsageError (main exits 2) and no token is created', async () => {
    const before = (await cli('token', 'list')).out;
    let thrown: unknown;
    try {
      await cli('token', 'create', '--enterprise', 'x', '--scopes', 'ReadProducts,EatCheese');
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(UsageError);
    expect((thrown as Error).message).to.match(/unknown scope.*EatCheese/u);
    expect((await cli('token', 'list')).out).to.equal(before);
    // No scope at all (a variable expanded to nothing) is no token either.
    for (const none of ['', ' , ']) {
      const refused = await cli('token', 'create', '--enterprise', 'x', '--scopes', none).then(() => undefined, (error: unknown) => error);
      expect((refused as Error).message).to.contain('--scopes must name at least one scope');
    }
    expect((await cli('token', 'list')).out).to.equal(before);

    // main() reports it with exit code 2 and the usage on standard error.
    const exitCode = process.exitCode;
    const write = process.stderr.write.bind(process.stderr);
    let err = '';
    process.stderr.write = ((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    }) as typeof process.stderr.write;
    let code: typeof process.exitCode;
    try {
      await main(['token', 'create', '--enterprise', 'x', '--scopes', 'EatCheese', ...common]);
      code = process.exitCode;
    } finally {
      process.stderr.write = write;
      process.exitCode = exitCode;
    }
    expect(code).to.equal(2);
    expect(err).to.match(/unknown scope/u);
    // One line with the reason and a pointer to the command's help, not the whole help.
    expect(err).to.match(/Run 'maillon token --help' for usage/u);
    expect(err).not.to.match(/Commands:/u);
  });

  it('token create for an unknown enterprise is a usage error too', async () => {
    let thrown: unknown;
    try {
      await cli('token', 'create', '--enterprise', 'nobody');
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(UsageError);
  });
});
