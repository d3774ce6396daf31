/**
 * The dashboard's routes: `/` serves the page to a browser only (an API client still gets the 404 problem it
 * always got), `/dashboard` always; the page carries a strict CSP; its assets and Leaflet are served from the
 * node; and the two plain-JSON views it reads (`/api/federation/rows`, `/api/federation/producers`) page, sort
 * and filter.
 */
import { expect } from 'chai';
import { contentSecurityPolicy } from '../../../server/http/dashboard-routes.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

interface Rows { total: number; page: number; pageSize: number; rows: { name: string | null; price: number | null; typeLabel: string | null; source: string }[] }

describe('the dashboard routes', () => {
  let node: InProcessNode;

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
  });
  after(() => node.close());

  it('serves the page at / to a browser, with a strict CSP and no inline script', async () => {
    const response = await node.request('GET', '/', { headers: { accept: BROWSER_ACCEPT } });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/^text\/html/u);
    expect(response.headers.get('content-security-policy')).to.equal(contentSecurityPolicy(undefined));
    expect(response.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(response.text).to.include('<script type="module" src="/dashboard/assets/app.js">');
    expect(response.text).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/u);
    expect(response.text).to.include('<meta name="maillon-tile-url" content="">');
  });

  for (const accept of [undefined, '*/*', 'application/json', 'application/ld+json', 'text/turtle']) {
    it(`keeps answering / with a 404 problem to an API client (Accept: ${accept ?? 'none'})`, async () => {
      const response = await node.request('GET', '/', accept === undefined ? {} : { headers: { accept } });
      expect(response.status).to.equal(404);
      expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/u);
    });
  }

  it('serves /dashboard whatever the Accept, and its assets and Leaflet', async () => {
    expect((await node.request('GET', '/dashboard')).status).to.equal(200);
    for (const [path, type] of [['/dashboard/assets/app.js', /javascript/u], ['/dashboard/assets/i18n.js', /javascript/u], ['/dashboard/assets/network.js', /javascript/u],
      ['/dashboard/assets/styles.css', /text\/css/u], ['/dashboard/vendor/leaflet/leaflet-src.esm.js', /javascript/u],
      ['/dashboard/vendor/leaflet/leaflet.css', /text\/css/u]] as const) {
      const response = await node.request('GET', path);
      expect(response.status, path).to.equal(200);
      expect(response.headers.get('content-type'), path).to.match(type);
    }
    expect((await node.request('GET', '/dashboard/assets/nothing.js')).status).to.equal(404);
    expect((await node.request('GET', '/dashboard/vendor/leaflet/../../package.json')).status).to.equal(404);
  });

  it('does not serve the page\'s template among its assets, where it would have no CSP and could be framed', async () => {
    for (const path of ['/dashboard/assets/index.html', '/dashboard/assets/%69ndex.html', '/dashboard/assets/./index.html',
      '/dashboard/assets/x/../index.html', '/dashboard/assets/index.html/', '/dashboard/assets/INDEX.HTML']) {
      const response = await node.request('GET', path);
      expect(response.status, path).to.equal(404);
      expect(response.text, path).to.not.include('<html');
    }
    expect((await node.request('HEAD', '/dashboard/assets/index.html')).status).to.equal(404);
    expect((await node.request('GET', '/dashboard/assets/app.js')).status).to.equal(200);
  });

  it('allows the tile server\'s images in the CSP when one is configured', () => {
    expect(contentSecurityPolicy('https://tiles.example.org/{z}/{x}/{y}.png')).to.include("img-src 'self' data: https://tiles.example.org;");
    expect(contentSecurityPolicy('https://{s}.tile.example.org:8443/{z}/{x}/{y}.png')).to.include("img-src 'self' data: https://*.tile.example.org:8443;");
  });

  it('pages and sorts plain rows, with labels in the asked language', async () => {
    const all = (await node.request('GET', '/api/federation/rows')).json<Rows>();
    expect(all.total).to.be.greaterThan(2);
    expect(all.rows).to.have.length(all.total);
    const page = (await node.request('GET', '/api/federation/rows?page_size=2&page=2&sort=-price')).json<Rows>();
    expect(page).to.include({ total: all.total, page: 2, pageSize: 2 });
    const prices = all.rows.map((r) => r.price).filter((p) => p !== null).sort((x, y) => y - x);
    expect(page.rows.map((r) => r.price)).to.deep.equal(prices.slice(2, 4));
    const french = (await node.request('GET', '/api/federation/rows', { headers: { 'accept-language': 'fr' } })).json<Rows>();
    expect(french.rows.map((r) => r.typeLabel)).to.not.deep.equal(all.rows.map((r) => r.typeLabel));
    expect((await node.request('GET', '/api/federation/rows?sort=iri')).status).to.equal(400);
    expect((await node.request('GET', '/api/federation/rows?page_size=501')).status).to.equal(400);
  });

  it('lists the producers with coordinates, once each, with their offers', async () => {
    const body = (await node.request('GET', '/api/federation/producers')).json<{ total: number; producers: { name: string; lat: number; lon: number; offers: number }[] }>();
    expect(body.total).to.equal(1);
    expect(body.producers[0]?.offers).to.be.greaterThan(0);
    expect(body.producers[0]?.lat).to.be.a('number');
    const none = (await node.request('GET', '/api/federation/producers?q=zzzzzz')).json<{ total: number }>();
    expect(none.total).to.equal(0);
  });
});
