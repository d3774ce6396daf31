/**
 * The dashboard in a real browser: Chromium (the system's, driven by playwright-core) against a node started
 * in-process on loopback with the example network, a synced peer and a peer that cannot be reached, a peer
 * serving a record the codec quarantines, and push subscriptions both ways with the synced peer. Every request
 * that is not to the node is blocked and recorded: the page must work with nothing from the internet (the map
 * then shows plain points). axe-core checks accessibility; screenshots go to `test/artifacts/`.
 *
 * Skipped, saying which package to install, where there is no Chromium.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.js';
import { freePort, startFederationNode, type FederationNode } from '../helpers/federation.js';
import { startInProcess } from '../helpers/in-process.js';
import { negativePriceCatalogue } from '../helpers/sample-records.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '../artifacts');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

interface Producers { total: number; producers: { name: string }[] }

/** Polls `probe` until it returns something other than undefined; fails after `timeoutMs`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Changes the stock of one of an enterprise's catalog items through the API: one event in the node's feed. */
async function bumpStock(node: FederationNode, eid: string): Promise<void> {
  const item = (await node.node.store.listResources(eid, ['CatalogItem'])).map((r) => r.record)
    .find((r) => r.kind === 'CatalogItem' && r.stock !== null);
  if (item?.kind !== 'CatalogItem') throw new Error(`no catalog item with stock at ${eid}`);
  const response = await node.request('PUT', new URL(item.id).pathname, {
    headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ 'dfc-b:stockLimitation': (item.stock ?? 0) + 1 }),
  });
  if (response.status !== 200) throw new Error(`stock change at ${eid}: ${response.status} ${response.text}`);
}
interface AxeResult { violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }

/**
 * Runs axe-core in the page. Not through a script tag: the page's CSP forbids inline scripts, and so it should;
 * code evaluated by the driver (the DevTools protocol) is not subject to it.
 */
async function axe(page: Page): Promise<AxeResult> {
  await page.evaluate(readFileSync(AXE, 'utf8'));
  return page.evaluate(async () => (globalThis as unknown as { axe: { run(): Promise<AxeResult> } }).axe.run());
}

describe('the dashboard in a browser', function () {
  this.timeout(120000);
  let a: FederationNode;
  let b: FederationNode;
  let rucher: FakePeer;
  let rucherId = 0;
  let deadSubscription = '';
  let browser: Browser;
  let page: Page;
  /** Requests to anywhere but the node. */
  const foreign: string[] = [];
  /** Uncaught errors of the page's scripts. */
  const errors: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      skipped: no ${CHROMIUM} (install the chromium package: apt-get install -y chromium)`);
      this.skip();
    }
    a = await startFederationNode({ name: 'Node A' });
    b = await startFederationNode({ name: 'Node B' });
    for (const name of ['ferme-des-trois-chenes', 'chevrerie-du-puy', 'epicerie-du-village', 'fournil-de-la-place']) await a.seed(name);
    for (const name of ['amap-du-vieux-pont', 'groupement-producteurs-limousins']) await b.seed(name);
    const peer = await a.addPeer(b.url, 'Node B');
    await a.sync(peer.id);
    // A peer nothing answers at: its failure must show in the network view.
    const gone = await a.addPeer(`http://127.0.0.1:${await freePort()}`, 'Gone');
    await a.sync(gone.id).catch(() => undefined);
    // A peer serving a record the codec refuses: it must show, with its problem, in the network view.
    rucher = await startFakePeer((req, res) => {
      const body = req.url === '/catalog' ? negativePriceCatalogue(rucher.base) : undefined;
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/ld+json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    rucherId = (await a.addPeer(`${rucher.base}/catalog`, 'Rucher')).id;
    expect((await a.sync(rucherId)).quarantined).to.equal(1);
    // Push both ways: A subscribes at B (node-wide, with B's admin token), B at A; a change on each side is delivered.
    const admin = (node: FederationNode): Record<string, string> => ({ authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' });
    await a.request('PATCH', `/api/sync/peers/${peer.id}`, { headers: admin(a), body: JSON.stringify({ token: b.adminToken }) });
    const atB = await a.request('POST', `/api/sync/peers/${peer.id}/subscribe`, { headers: admin(a) });
    expect(atB.status, atB.text).to.equal(200);
    const added = await b.request('POST', '/api/sync/peers', { headers: admin(b), body: JSON.stringify({ url: a.url, name: 'Node A', token: a.adminToken }) });
    expect(added.status, added.text).to.equal(201);
    const atA = await b.request('POST', `/api/sync/peers/${added.json<{ id: number }>().id}/subscribe`, { headers: admin(b) });
    expect(atA.status, atA.text).to.equal(200);
    // And a subscriber at A that nothing answers: its failures and last error must show.
    const dead = await a.request('POST', '/api/dfc/subscriptions', {
      headers: admin(a), body: JSON.stringify({ callback: `http://127.0.0.1:${await freePort()}/hook`, enterprise: 'ferme-des-trois-chenes' }),
    });
    expect(dead.status, dead.text).to.equal(201);
    deadSubscription = dead.json<{ id: string }>().id;
    await bumpStock(b, 'amap-du-vieux-pont');
    await bumpStock(a, 'ferme-des-trois-chenes');
    // Settled before the catalogue is looked at: A got B's notification and synced, B's delivery from A is done.
    await waitFor('a notification from B at A', async () => ((await a.node.store.feed.peerPush(peer.id)).notifications > 0 ? true : undefined));
    await waitFor('A\'s deliveries', async () => ((await a.node.store.feed.listSubscriptions())
      .every((r) => (r.id === deadSubscription ? r.failures > 0 : r.lastDeliveryAt !== null)) ? true : undefined));
    await waitFor('both nodes idle', async () => (a.node.scheduler.active.length + b.node.scheduler.active.length === 0 ? true : undefined));
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const context = await browser.newContext({ locale: 'en-GB', acceptDownloads: true });
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith(`${a.url}/`)) await route.continue();
      else {
        foreign.push(url);
        await route.abort();
      }
    });
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await a?.close();
    await b?.close();
    await rucher?.close();
  });

  const ready = async (): Promise<void> => {
    await page.waitForSelector('body[data-ready="true"]');
  };

  it('is served at / to a browser, with a strict Content-Security-Policy', async () => {
    const response = await page.goto(`${a.url}/`);
    expect(response?.status()).to.equal(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).to.include("default-src 'self'").and.include("script-src 'self'").and.not.include('unsafe-inline');
    await ready();
  });

  it('shows one marker per producer with coordinates, on a blank background with a scale', async () => {
    const expected = (await a.request('GET', '/api/federation/producers')).json<Producers>();
    expect(expected.total).to.be.greaterThan(3);
    expect(await page.locator('#map .producer-marker').count()).to.equal(expected.total);
    expect(await page.locator('#map .leaflet-tile').count()).to.equal(0);
    expect(await page.locator('#map .leaflet-control-scale').count()).to.equal(1);
    // Said in the page's first language, not only after a switch.
    expect(await page.locator('#map-note').innerText()).to.equal('No map tiles: producers are shown as points.');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-en.png'), fullPage: true });
  });

  it('searches without accents: chevre finds the goat cheeses', async () => {
    const before = await page.locator('#table tbody tr').count();
    await page.fill('#f-q', 'chevre');
    await ready();
    const types = await page.locator('#table tbody tr td:nth-child(2)').allTextContents();
    expect(types.length).to.be.greaterThan(0).and.lessThan(before);
    for (const type of types) expect(type.toLowerCase()).to.include('goat');
    expect(types.some((type) => /goat .*cheese/u.test(type))).to.equal(true);
    await page.fill('#f-q', '');
    await ready();
    expect(await page.locator('#table tbody tr').count()).to.equal(before);
  });

  /** Opens the product type tree and its branches down to `type`, then chooses it. */
  const chooseType = async (type: string): Promise<void> => {
    await page.click('#type-filter summary');
    const target = page.locator(`#type-tree button.type[data-type="${type}"]`);
    // Open closed branches, one at a time, until the type shows.
    for (let i = 0; i < 20 && !(await target.isVisible()); i++) await page.locator('#type-tree button.toggle[aria-expanded="false"]:visible').first().click();
    await target.click();
    await ready();
  };

  it('filters by product type, chosen in the taxonomy tree: the table and the charts change', async () => {
    const chartBefore = await page.locator('#chart-type').innerText();
    const rowsBefore = await page.locator('#table tbody tr').count();
    // The tree's top holds the broadest types, each counting the offers of the types under it.
    const stats = (await a.request('GET', '/api/federation/stats')).json<{ byProductType: { type: string; offers: number; broader: string | null }[] }>();
    const top = stats.byProductType.filter((t) => t.broader === null && t.type !== '(untyped)').map((t) => t.type).sort();
    await page.click('#type-filter summary');
    const shown = await page.locator('#type-tree > li > button.type').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('data-type')));
    expect([...shown].sort()).to.deep.equal(top);
    await page.click('#type-filter summary');
    const option = 'dfc-pt:goat-mature-cheese';
    await chooseType(option);
    expect(await page.locator('#type-chosen').innerText()).to.match(/goat/iu);
    expect(await page.locator('#chart-type').innerText()).to.not.equal(chartBefore);
    expect(await page.locator('#table tbody tr').count()).to.be.lessThan(rowsBefore);
    expect(new URL(await page.locator('#csv').getAttribute('href') ?? '', a.url).searchParams.get('type')).to.equal(option);
    // The tree is reached and worked with the keyboard alone: a toggle opens a branch with Enter.
    await page.click('#type-filter summary');
    const toggle = page.locator('#type-tree button.toggle').first();
    await toggle.focus();
    const expanded = await toggle.getAttribute('aria-expanded');
    await page.keyboard.press('Enter');
    expect(await toggle.getAttribute('aria-expanded')).to.equal(expanded === 'true' ? 'false' : 'true');
    await page.click('#type-filter summary');
  });

  it('downloads what is on screen as CSV, starting with the UTF-8 byte order mark', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
    const path = await download.path();
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').trim().split(/\r\n/u);
    // Every row the filters select (all pages), as the table shows them.
    const total = (await a.request('GET', '/api/federation/rows?type=dfc-pt:goat-mature-cheese')).json<{ total: number }>().total;
    expect(lines.length - 1).to.equal(total);
    expect(await page.locator('#table tbody tr').count()).to.equal(Math.min(total, 25));
    await page.click('#type-filter summary');
    await page.click('#type-all');
    await ready();
  });

  it('filters by distance from a town typed without accents, draws the circle, and shows the gaps around it', async () => {
    const all = (await a.request('GET', '/api/federation/rows?page_size=500')).json<{ total: number }>().total;
    await page.fill('#f-near', 'saint leonard de noblat');
    await page.press('#f-near', 'Enter');
    await ready();
    const expected = (await a.request('GET', `/api/federation/rows?near=${encodeURIComponent('Saint-Léonard-de-Noblat')}&radius_km=25`)).json<{ total: number }>();
    expect(expected.total).to.be.greaterThan(0).and.lessThan(all);
    expect(await page.locator('#table tbody tr').count()).to.equal(Math.min(expected.total, 25));
    const producers = (await a.request('GET', `/api/federation/producers?near=${encodeURIComponent('Saint-Léonard-de-Noblat')}&radius_km=25`)).json<Producers>();
    expect(await page.locator('#map .producer-marker').count()).to.equal(producers.total);
    // The circle: one SVG path, the distance around the town.
    expect(await page.locator('#map .leaflet-overlay-pane path').count()).to.equal(1);
    // Gaps: the product types nobody within 25 km offers, each with how far the nearest producer is.
    const gaps = (await a.request('GET', `/api/federation/gaps?near=${encodeURIComponent('Saint-Léonard-de-Noblat')}&radius_km=25`))
      .json<{ gaps: { nearestKm: number | null }[] }>();
    const far = gaps.gaps.filter((g) => g.nearestKm !== null).length;
    expect(await page.locator('#gaps').isVisible()).to.equal(true);
    expect(await page.locator('#gaps-list li').count()).to.equal(Math.min(far, 15) + (far > 15 ? 1 : 0));
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-near.png'), fullPage: true });
    // A smaller radius around the same town keeps fewer offers.
    await page.selectOption('#f-radius', '5');
    await ready();
    const within5 = (await a.request('GET', `/api/federation/rows?near=${encodeURIComponent('Saint-Léonard-de-Noblat')}&radius_km=5`)).json<{ total: number }>();
    expect(within5.total).to.be.lessThan(expected.total);
    expect(await page.locator('#table tbody tr').count()).to.equal(Math.min(within5.total, 25));
  });

  it('says why when the town is unknown, and takes a point clicked on the map', async () => {
    await page.fill('#f-near', 'Atlantis');
    await page.press('#f-near', 'Enter');
    await page.waitForSelector('body[data-ready="error"]');
    expect(await page.locator('#summary').innerText()).to.match(/Atlantis/u);
    // Nothing of the previous filters' answer is left as if it were this one's: no rows, pages, markers or CSV.
    const stale = async (): Promise<unknown> => ({
      rows: await page.locator('#table tbody tr').count(), pages: await page.locator('#page-info').innerText(),
      next: await page.locator('#next').isDisabled(), markers: await page.locator('#map .producer-marker').count(),
      csv: await page.locator('#csv').getAttribute('href'),
    });
    const cleared = { rows: 0, pages: '', next: true, markers: 0, csv: null };
    expect(await stale()).to.deep.equal(cleared);
    // A text the node refuses (no word in it) the same.
    await page.fill('#f-near', '');
    await page.press('#f-near', 'Enter');
    await ready();
    expect(await page.locator('#csv').getAttribute('href')).to.not.equal(null);
    await page.fill('#f-q', '!!!');
    await page.waitForSelector('body[data-ready="error"]');
    expect(await stale()).to.deep.equal(cleared);
    await page.fill('#f-q', '');
    await ready();
    const box = await page.locator('#map').boundingBox();
    if (box === null) throw new Error('no map');
    // Away from the markers (framed in the middle) and from the controls (the other corners).
    await page.mouse.click(box.x + box.width * 0.9, box.y + box.height * 0.1);
    await ready();
    expect(await page.inputValue('#f-near')).to.match(/^-?\d+\.\d{4},-?\d+\.\d{4}$/u);
    await page.click('#f-near-clear');
    await ready();
    expect(await page.locator('#gaps').isVisible()).to.equal(false);
  });

  it('reaches a producer on the map with the keyboard, and lists its offers', async () => {
    const marker = page.locator('#map .producer-marker').first();
    expect(await marker.getAttribute('tabindex')).to.equal('0');
    const label = await marker.getAttribute('aria-label');
    expect(label).to.match(/\(\d+ offers\)/u);
    await marker.focus();
    await page.keyboard.press('Enter');
    const button = page.locator('.leaflet-popup-content button');
    await button.waitFor();
    expect(await page.locator('.leaflet-popup-content button:focus').count()).to.equal(1);
    // Escape closes the popup, and the focus goes back to the marker; so does × pressed with the keyboard.
    const onMarker = async (): Promise<boolean> => marker.evaluate((m) => m === m.ownerDocument.activeElement);
    await page.keyboard.press('Escape');
    await page.locator('.leaflet-popup').waitFor({ state: 'detached' });
    expect(await onMarker()).to.equal(true);
    await page.keyboard.press('Enter');
    await page.locator('.leaflet-popup-close-button').focus();
    await page.keyboard.press('Enter');
    await page.locator('.leaflet-popup').waitFor({ state: 'detached' });
    expect(await onMarker()).to.equal(true);
    // "Show its offers" with Enter: the focus goes to the table that lists them.
    await page.keyboard.press('Enter');
    await page.locator('.leaflet-popup-content button:focus').waitFor();
    await page.keyboard.press('Enter');
    await ready();
    expect(await page.locator('#table-title').evaluate((h) => h === h.ownerDocument.activeElement)).to.equal(true);
    // The name is isolated in the label (FSI … PDI): a right-to-left override in it reverses nothing else.
    const name = (label ?? '').replace(/ \(\d+ offers\)$/u, '').replace(/^\u2068(.*)\u2069$/u, '$1');
    expect(await page.locator('#producer-name').innerText()).to.equal(name);
    const enterprises = await page.locator('#table tbody tr td:nth-child(5)').allTextContents();
    expect(enterprises.length).to.be.greaterThan(0);
    for (const enterprise of enterprises) expect(enterprise).to.equal(name);
    await page.click('#producer-clear');
    await ready();
  });

  it('has no serious or critical accessibility violations (axe-core), with the type tree open and the gaps shown', async () => {
    await page.fill('#f-near', 'Limoges');
    await page.press('#f-near', 'Enter');
    await ready();
    await page.click('#type-filter summary');
    await page.locator('#type-tree button.toggle').first().click();
    const result = await axe(page);
    await page.click('#type-filter summary');
    await page.click('#f-near-clear');
    await ready();
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).to.deep.equal([]);
  });

  it('switches to French', async () => {
    expect(await page.locator('h1').innerText()).to.equal('Territory dashboard');
    await page.click('#lang');
    await page.waitForSelector('html[lang="fr"]');
    await ready();
    expect(await page.locator('h1').innerText()).to.equal('Tableau de bord du territoire');
    expect(await page.locator('label[for="f-q"]').innerText()).to.equal('Recherche');
    // The CSV is written for a French spreadsheet (; and decimal commas), though the browser asks for English.
    const csv = new URL(await page.locator('#csv').getAttribute('href') ?? '', a.url).searchParams;
    expect([csv.get('sep'), csv.get('decimal')]).to.deep.equal([';', 'comma']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
    const header = readFileSync(await download.path(), 'utf8').split(/\r\n/u)[0] ?? '';
    expect(header.split(';').length).to.be.greaterThan(5);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-fr.png'), fullPage: true });
  });

  it('lists the peers and their failures in the network view, with the admin token kept in the session', async () => {
    await page.click('#tab-network');
    await page.fill('#token', a.adminToken);
    await page.press('#token', 'Enter');
    await page.waitForSelector('#peers tbody tr');
    const rows = await page.locator('#peers tbody tr').allInnerTexts();
    expect(rows.join('\n')).to.include('Node B').and.include('Gone');
    expect(await page.locator('#peers tbody tr.peer-failed').count()).to.equal(1);
    // Browser code as text: the test project is compiled without the DOM library.
    expect(await page.evaluate('sessionStorage.getItem("maillon.adminToken")')).to.equal(a.adminToken);
    expect(await page.evaluate('localStorage.getItem("maillon.adminToken")')).to.equal(null);
    await page.click('#peers tbody tr:has-text("Node B") button');
    await page.waitForSelector('#network-status:has-text("synchronisé")');
    // A sync that fails is a 200 saying ok: false; the view says it failed, and why, not that it synced.
    await page.click('#peers tbody tr:has-text("Gone") button');
    await page.waitForSelector('#network-status:has-text("échec de la synchronisation")');
    expect(await page.locator('#network-status').innerText()).to.include('Gone').and.include('ECONNREFUSED').and.not.include('synchronisé');
    const result = await axe(page);
    expect(result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).to.deep.equal([]);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-network.png'), fullPage: true });
  });

  it('opens a peer\'s quarantine with the keyboard: each record with its type and problems', async () => {
    const toggle = page.locator('#peers tbody tr:has-text("Rucher") button.disclosure');
    expect(await toggle.innerText()).to.include('1');
    expect(await toggle.getAttribute('aria-expanded')).to.equal('false');
    const controls = await toggle.getAttribute('aria-controls') ?? '';
    expect(controls).to.equal(`quarantine-${rucherId}`);
    expect(await page.locator(`#${controls}`).isHidden()).to.equal(true);
    await toggle.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector(`#${controls} .problems li`);
    expect(await toggle.getAttribute('aria-expanded')).to.equal('true');
    const detail = await page.locator(`#${controls}`).innerText();
    expect(detail).to.include(`${rucher.base}/api/dfc/enterprises/rucher/offers/gelee`).and.include('Offer').and.include('price must not be negative');
    expect(detail).to.include('Enregistrements en quarantaine de \u2068Rucher\u2069');
    // Its problem's code, the stable title, is there too.
    expect((await page.locator(`#${controls} .problems li strong`).first().innerText()).trim()).to.not.equal('');
    await page.keyboard.press('Space');
    await page.waitForSelector(`#${controls}`, { state: 'hidden' });
    expect(await toggle.getAttribute('aria-expanded')).to.equal('false');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`#${controls} .problems li`);
    const result = await axe(page);
    expect(result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).to.deep.equal([]);
  });

  it('shows how each peer\'s changes reach us, our feed, and the push subscriptions both ways, in French and English', async () => {
    const reach = async (name: string): Promise<string> => page.locator(`#reach tbody tr:has-text("${name}")`).innerText();
    const nodeB = await reach('Node B');
    expect(nodeB).to.include('À chaque notification').and.include('son flux de changements').and.include('abonné').and.not.include('non abonné');
    // One notification at least, received from B.
    expect(Number((await page.locator('#reach tbody tr:has-text("Node B") td:nth-child(6)').innerText()).trim())).to.be.greaterThan(0);
    expect(await reach('Rucher')).to.include('Toutes les 5 min : un instantané complet').and.include('non abonné');
    // Subscribing from the view: Rucher takes no subscriptions; the refusal is said, and kept in its row.
    expect(await page.locator('#reach tbody tr:has-text("Node B") button').count(), 'no second subscription offered').to.equal(0);
    await page.click('#reach tbody tr:has-text("Rucher") button');
    await page.waitForSelector('#network-status:has-text("cannot subscribe")');
    await page.waitForSelector('#reach tbody tr:has-text("Rucher") .push-failing');
    expect(await reach('Rucher')).to.include('en échec').and.include('does not take subscriptions');
    const feed = (await a.request('GET', '/api/sync/feed', { headers: { authorization: `Bearer ${a.adminToken}` } }))
      .json<{ feed: { latestSeq: number; stream: string } }>().feed;
    const facts = await page.locator('#own-feed').innerText();
    expect(facts).to.include('Dernière séquence').and.include(feed.stream);
    expect(await page.locator('#own-feed dd').first().innerText()).to.equal(new Intl.NumberFormat('fr').format(feed.latestSeq));
    // B's subscription at A: its target, active, delivered, up to date; no secret anywhere on the page.
    const subscriber = page.locator(`#subscribers tbody tr:has-text("${b.url}/api/sync/notifications/")`);
    const line = await subscriber.innerText();
    expect(line).to.include('tout le nœud').and.include('actif').and.include('oui').and.not.include('jamais');
    // The subscriber nothing answers: failing, its failures counted, the last error said.
    const failing = await page.locator('#subscribers tbody tr.subscriber-failing').innerText();
    expect(failing).to.include('ferme-des-trois-chenes').and.include('en échec').and.include('en retard').and.include('ECONNREFUSED');
    expect((await a.node.store.feed.getSubscription(deadSubscription))?.failures).to.be.greaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-network-fr.png'), fullPage: true });
    const secrets = (await a.node.store.feed.listSubscriptions()).map((r) => r.secret);
    const text = await page.locator('#network-view').innerText();
    for (const secret of secrets) expect(text).to.not.include(secret);
    expect(text).to.not.include(b.adminToken);

    await page.click('#lang');
    await page.waitForSelector('html[lang="en"]');
    await page.waitForSelector('body[data-network="ready"]');
    await page.waitForSelector('#reach tbody tr:has-text("On each notification")');
    expect(await reach('Node B')).to.include('its change feed').and.include('subscribed');
    expect(await subscriber.innerText()).to.include('the whole node').and.include('active');
    await page.waitForSelector(`#quarantine-${rucherId} .problems li`);
    const result = await axe(page);
    expect(result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).to.deep.equal([]);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-network.png'), fullPage: true });
  });

  it('says a peer is being synced now, and why a sync asked meanwhile did not run (another process holds it)', async () => {
    const gone = (await a.node.store.provenance.listPeers()).find((p) => p.name === 'Gone');
    if (gone === undefined) throw new Error('no peer Gone');
    // As `maillon sync` beside the node marks it: the mark of another process, alive (this one's parent).
    const at = new Date().toISOString();
    const owner = `${hostname()}:${process.ppid}:maillon-sync`;
    expect((await a.node.store.provenance.markSyncing(gone.id, { at, owner, nextAttemptAt: at }, () => false)).state).to.equal('marked');
    try {
      await page.click('#tab-catalogue');
      await page.click('#tab-network');
      await page.waitForSelector('#peers tbody tr:has-text("Gone"):has-text("syncing now")');
      await page.click('#peers tbody tr:has-text("Gone") button');
      await page.waitForSelector('#network-status:has-text("already being synced by another process")');
      expect(await page.locator('#network-status').innerText()).to.include('Gone').and.not.include('ECONNREFUSED');
    } finally {
      await a.node.store.provenance.recordAttempt(gone.id, {
        owner, status: 'failed', at, nextAttemptAt: at, failures: gone.failures, error: gone.lastError, summary: null,
      });
    }
  });

  it('asked nothing of any other origin, and threw nothing', () => {
    expect(foreign).to.deep.equal([]);
    expect(errors).to.deep.equal([]);
  });

  it('speaks French to a French browser', async () => {
    const context = await browser.newContext({ locale: 'fr-FR' });
    await context.route('**/*', async (route) => (route.request().url().startsWith(`${a.url}/`) ? route.continue() : route.abort()));
    const tab = await context.newPage();
    await tab.goto(`${a.url}/dashboard`);
    await tab.waitForSelector('body[data-ready="true"]');
    expect(await tab.locator('html').getAttribute('lang')).to.equal('fr');
    expect(await tab.locator('h1').innerText()).to.equal('Tableau de bord du territoire');
    expect(await tab.locator('#table thead th').first().innerText()).to.match(/^Produit/u);
    await context.close();
  });

  it('falls back to plain points when the configured tile server cannot be reached', async () => {
    const tiles = 'https://tiles.invalid/{z}/{x}/{y}.png';
    const node = await startInProcess({ deps: (deps) => ({ ...deps, tileUrl: tiles }) });
    try {
      await node.seed('ferme');
      const context = await browser.newContext({ locale: 'en-GB' });
      const elsewhere: string[] = [];
      await context.route('**/*', async (route) => {
        const url = route.request().url();
        if (url.startsWith(`${node.url}/`)) await route.continue();
        else {
          elsewhere.push(url);
          await route.abort();
        }
      });
      const tab = await context.newPage();
      const response = await tab.goto(`${node.url}/dashboard`);
      expect(response?.headers()['content-security-policy']).to.include("img-src 'self' data: https://tiles.invalid;");
      await tab.waitForSelector('body[data-ready="true"]');
      await tab.waitForSelector('#map-note:has-text("could not be loaded")');
      expect(await tab.locator('#map .producer-marker').count()).to.equal(1);
      // Only tiles were asked of the tile server, and nothing of anywhere else.
      expect(elsewhere.length).to.be.greaterThan(0);
      for (const url of elsewhere) expect(url).to.match(/^https:\/\/tiles\.invalid\/\d+\/\d+\/\d+\.png$/u);
      await tab.screenshot({ path: join(ARTIFACTS, 'dashboard-tiles-failed.png') });
      await context.close();
    } finally {
      await node.close();
    }
  });
});
