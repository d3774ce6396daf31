/**
 * Open Food Network as a client of this node, with the OpenID Connect tokens it really sends (issue 11): the
 * requests of its `DfcRequest` in order (catalogue import, stock refresh, backorder POST, completion PUT), each
 * with `Authorization: Bearer <the user's Les Communs access token>`, refreshing that token once and retrying
 * once on a 401 or 403, as OFN does. The "Les Communs" here is a local OpenID provider on loopback.
 */
import { expect } from 'chai';
import { startInProcess, type InProcessNode } from '../helpers/in-process.js';
import { startOidcProvider, type OidcProvider } from '../helpers/oidc-provider.js';

const CONTEXT = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';

/** OFN's `DfcRequest`: the user's token on every request; on 401/403, one refresh and one retry. */
class OfnDfcRequest {
  public readonly sent: { method: string; url: string; status: number }[] = [];
  public refreshes = 0;

  public constructor(
    private readonly provider: OidcProvider,
    private readonly nodeUrl: string,
    private readonly base: string,
    private accessToken: string,
    private refreshToken: string,
  ) {}

  public async call(method: 'GET' | 'POST' | 'PUT', iri: string, body?: unknown): Promise<{ status: number; text: string }> {
    const once = async () => {
      const response = await fetch(`${this.nodeUrl}${iri.slice(this.base.length)}`, {
        method,
        headers: { authorization: `Bearer ${this.accessToken}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      this.sent.push({ method, url: iri, status: response.status });
      return { status: response.status, text };
    };
    const first = await once();
    if (first.status !== 401 && first.status !== 403) return first;
    await this.refresh();
    return once();
  }

  /** The Devise openid_connect strategy's refresh: `grant_type=refresh_token` at the issuer's token endpoint. */
  private async refresh(): Promise<void> {
    this.refreshes += 1;
    const response = await fetch(`${this.provider.issuer}/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.refreshToken, client_id: 'openfoodnetwork', client_secret: 'ofn-secret' }).toString(),
    });
    const answer = (await response.json()) as { access_token: string; refresh_token: string };
    this.accessToken = answer.access_token;
    this.refreshToken = answer.refresh_token;
  }
}

function graph(text: string): Record<string, unknown>[] {
  const doc = JSON.parse(text) as { '@graph'?: Record<string, unknown>[] } & Record<string, unknown>;
  return doc['@graph'] ?? [doc];
}

/** The backorder as OFN's FdcBackorderer builds it. */
function backorder(ordersUrl: string, offer: string, product: string, quantity: number, options: { id?: string; status?: string } = {}): unknown {
  const id = options.id ?? ordersUrl;
  const session = `${ordersUrl.replace(/\/Orders$/u, '')}/SalesSession/#`;
  return {
    '@context': CONTEXT,
    '@graph': [
      { '@id': id, '@type': 'dfc-b:Order', 'dfc-b:orderedBy': 'https://ofn.example/api/dfc/enterprises/7', 'dfc-b:hasOrderStatus': options.status ?? 'dfc-v:Held',
        'dfc-b:belongsTo': session, 'dfc-b:hasPart': `${id}/OrderLines/1` },
      { '@id': `${id}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': quantity, 'dfc-b:concerns': offer },
      { '@id': offer, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': product },
      { '@id': product, '@type': 'dfc-b:SuppliedProduct' },
      { '@id': session, '@type': 'dfc-b:SaleSession', 'dfc-b:beginDate': 'Mon Dec 16 2024 02:30:56 UTC', 'dfc-b:endDate': 'Tue Dec 24 2024 02:30:56 UTC' },
    ],
  };
}

describe('Open Food Network with a Les Communs user token', function () {
  this.timeout(60_000);
  let node: InProcessNode;
  let provider: OidcProvider;
  const USER = { email: 'boutique@ofn.example', sub: 'kc-user-1', preferred_username: 'boutique' };

  before(async () => {
    provider = await startOidcProvider();
    node = await startInProcess({ base: 'http://a.test' });
    await node.seed('ferme');
    await node.store.oidc.addIssuer(provider.issuer, null);
  });
  after(async () => {
    await node.close();
    await provider.close();
  });

  it('imports the catalogue, writes stock, refreshes it, places a backorder and completes it; an expired token is refreshed once', async () => {
    await node.store.oidc.grant({ kind: 'email', subject: USER.email, eid: 'ferme', scopes: ['ReadProducts', 'WriteProducts', 'WriteOrders'] });
    provider.refreshTokens.set('rt-initial', USER);
    const ofn = new OfnDfcRequest(provider, node.url, node.base, await provider.sign(USER), 'rt-initial');
    const api = `${node.base}/api/dfc/enterprises/ferme`;

    // 1. The catalogue import: the URL the user pasted, GET with the user's token.
    const imported = await ofn.call('GET', `${api}/catalog_items`);
    expect(imported.status).to.equal(200);
    const products = graph(imported.text).filter((n) => n['@type'] === 'dfc-b:SuppliedProduct');
    expect(products.map((p) => p['@id'])).to.include(`${api}/supplied_products/tomate`);

    // 2. A stock write-back, as OFN's catalog_items#update takes it: plain JSON.
    expect((await ofn.call('PUT', `${api}/catalog_items/tomate`, { 'dfc-b:stockLimitation': 20, 'dfc-b:sku': 'TOM-1' })).status).to.equal(200);

    // 3. The stock refresh at add-to-cart: the catalogue URL derived from the linked product's @id (FDC spelling).
    const linked = `${api}/SuppliedProducts/tomate`;
    const catalogUrl = linked.slice(0, linked.lastIndexOf('/'));
    const refreshed = await ofn.call('GET', catalogUrl);
    expect(refreshed.status).to.equal(200);
    const item = graph(refreshed.text).find((n) => n['@type'] === 'dfc-b:CatalogItem' && String(n['@id']).endsWith('/tomate'));
    expect(item?.['dfc-b:stockLimitation']).to.equal(20);

    // The user's access token expires meanwhile: the next call gets a 401, refreshes once and retries.
    (ofn as unknown as { accessToken: string }).accessToken = await provider.sign(USER, { expiresIn: -60 });

    // 4. The backorder: POST to …/Orders, derived by OFN's URL rule.
    const ordersUrl = catalogUrl.replace('/SuppliedProducts', '/Orders');
    const offer = `${api}/offers/tomate`;
    const placed = await ofn.call('POST', ordersUrl, backorder(ordersUrl, offer, linked, 3));
    expect(placed.status, placed.text).to.equal(201);
    expect(ofn.refreshes).to.equal(1);
    expect(ofn.sent.slice(-2).map((s) => s.status)).to.deep.equal([401, 201]);
    const order = graph(placed.text).find((n) => n['@type'] === 'dfc-b:Order');
    const orderId = order?.['@id'] as string;
    expect(orderId.startsWith(`${ordersUrl}/`)).to.equal(true);
    expect(order?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Held');

    // OFN finds its order again before amending it (its GET of the linked order).
    const found = await ofn.call('GET', orderId);
    expect(found.status).to.equal(200);

    // 5. The completion at order-cycle close: PUT the order with dfc-v:Complete.
    const completed = await ofn.call('PUT', orderId, backorder(ordersUrl, offer, linked, 3, { id: orderId, status: 'dfc-v:Complete' }));
    expect(completed.status, completed.text).to.equal(200);
    expect(graph(completed.text).find((n) => n['@type'] === 'dfc-b:Order')?.['dfc-b:hasOrderStatus']).to.equal('dfc-v:Complete');
    expect(await node.store.orders.stock(`${api}/catalog_items/tomate`)).to.include({ available: 17, reserved: 0, sold: 3 });
    expect(ofn.refreshes).to.equal(1);
  });

  it('a user without a grant still imports the public catalogue, and is refused the backorder (403, after one refresh)', async () => {
    provider.refreshTokens.set('rt-other', { email: 'autre@ofn.example' });
    const ofn = new OfnDfcRequest(provider, node.url, node.base, await provider.sign({ email: 'autre@ofn.example' }), 'rt-other');
    const api = `${node.base}/api/dfc/enterprises/ferme`;
    expect((await ofn.call('GET', `${api}/catalog_items`)).status).to.equal(200);
    const ordersUrl = `${api}/Orders`;
    const refused = await ofn.call('POST', ordersUrl, backorder(ordersUrl, `${api}/offers/tomate`, `${api}/SuppliedProducts/tomate`, 1));
    expect(refused.status).to.equal(403);
    expect(ofn.refreshes).to.equal(1);
  });
});
