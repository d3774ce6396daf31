/**
 * The dashboard in a browser against what peers send that it must survive: a price in a unit that is no ISO
 * currency, a product type outside the loaded taxonomy whose local name is another type's label, a name holding
 * a right-to-left override. A node with an example enterprise and a static peer serving such a catalogue.
 *
 * Skipped, saying which package to install, where there is no Chromium.
 */
import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.js';
import { startFederationNode, type FederationNode } from '../helpers/federation.js';

const CHROMIUM = '/usr/bin/chromium';
const RLO = '\u202E';

/** A peer's catalogue: one enterprise whose name holds a right-to-left override, and the offers the tests look at. */
function oddCatalogue(origin: string): string {
  const e = `${origin}/api/dfc/enterprises/pont`;
  const graph: Record<string, unknown>[] = [
    { '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': `Ferme ${RLO} du Pont`, 'dfc-b:hasAddress': `${origin}/addr/pont` },
    {
      '@id': `${origin}/addr/pont`, '@type': 'dfc-b:Address', 'dfc-b:city': 'Bourg', 'dfc-b:postcode': '87120',
      'dfc-b:latitude': 45.75, 'dfc-b:longitude': 1.9,
    },
  ];
  const offers: [string, string, string, string][] = [
    ['doge', 'Zz price in doge', 'dfc-pt:honey', 'https://evil.example/unit#doge'],
    ['kilo', 'Zz price in kilograms', 'dfc-pt:honey', 'dfc-m:Kilogram'],
    ['nope', 'Zz price in nothing', 'dfc-pt:honey', 'dfc-m:NotACurrency'],
    ['gbp', 'Zz price in pounds', 'dfc-pt:honey', 'dfc-m:PoundSterling'],
    ['apple', 'Pomme du Pont', 'dfc-pt:apple', 'dfc-m:Euro'],
    ['jam', 'Confiture maison', 'https://types.example/custom#jam', 'dfc-m:Euro'],
    ['mystery', 'Confiture mystère', 'dfc-pt:not-a-real-type', 'dfc-m:Euro'],
    ['long', `Long${'A'.repeat(600)}`, 'dfc-pt:honey', 'dfc-m:Euro'],
  ];
  for (const [id, name, type, unit] of offers) {
    graph.push(
      { '@id': `${e}/supplied_products/${id}`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': name, 'dfc-b:hasType': type, 'dfc-b:suppliedBy': e },
      {
        '@id': `${e}/catalog_items/${id}`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${e}/supplied_products/${id}`,
        'dfc-b:stockLimitation': 3, 'dfc-b:offeredThrough': `${e}/offers/${id}`, 'dfc-b:managedBy': e,
      },
      {
        '@id': `${e}/offers/${id}`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${e}/catalog_items/${id}`,
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 2, 'dfc-b:hasUnit': unit },
      },
    );
  }
  return JSON.stringify({ '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json', '@graph': graph });
}

describe('the dashboard in a browser, with what peers send', function () {
  this.timeout(120000);
  let a: FederationNode;
  let peer: FakePeer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      skipped: no ${CHROMIUM} (install the chromium package: apt-get install -y chromium)`);
      this.skip();
    }
    a = await startFederationNode({ name: 'Node A' });
    // Its apples are dfc-pt:apples, labelled "apple" in English.
    await a.seed('epicerie-du-village');
    peer = await startFakePeer((req, res) => {
      const body = req.url === '/catalog' ? oddCatalogue(peer.base) : undefined;
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/ld+json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    const added = await a.addPeer(`${peer.base}/catalog`, 'Pont');
    const summary = await a.sync(added.id);
    expect(summary.quarantined).to.equal(0);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const context = await browser.newContext({ locale: 'en-GB' });
    await context.route('**/*', async (route) => (route.request().url().startsWith(`${a.url}/`) ? route.continue() : route.abort()));
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${a.url}/dashboard`);
    await page.waitForSelector('body[data-ready="true"]');
  });

  after(async () => {
    await browser?.close();
    await a?.close();
    await peer?.close();
  });

  const ready = async (): Promise<void> => {
    await page.waitForSelector('body[data-ready="true"]');
  };

  it('shows a price in a unit that is no currency with the unit\'s name, and the rest of the page', async () => {
    await page.fill('#f-q', 'Zz price');
    await ready();
    const rows = await page.locator('#table tbody tr').evaluateAll((lines) => lines.map((line) => [line.children[0]?.textContent, line.children[2]?.textContent]));
    const prices = Object.fromEntries(rows);
    expect(prices).to.deep.equal({
      'Zz price in doge': '2 \u2068doge\u2069', 'Zz price in kilograms': '2 \u2068Kilogram\u2069', 'Zz price in nothing': '2 \u2068NotACurrency\u2069',
      'Zz price in pounds': '£2.00',
    });
    // Sorted by price, the page holding them all still loads.
    await page.fill('#f-q', '');
    await ready();
    await page.click('#table thead th:nth-child(3) button');
    await page.waitForSelector('#table thead th:nth-child(3)[aria-sort="ascending"]');
    expect(await page.locator('#summary').innerText()).to.not.match(/Could not load/u);
  });

  it('sends each type of the tree as its CURIE or IRI: it finds as many rows as the tree counts, a peer\'s type outside the taxonomy too', async () => {
    // Every type the tree offers, as the page sends it (its data-type): the rows it finds are the offers the tree counts.
    await page.click('#type-filter summary');
    const buttons = await page.locator('#type-tree button.type').evaluateAll((all) => all.map((b) => [b.getAttribute('data-type'), b.textContent]));
    expect(buttons.length).to.be.greaterThan(10);
    const wrong: string[] = [];
    for (const [type, text] of buttons) {
      const counted = Number(/\((\d+)\)$/u.exec(text ?? '')?.[1]);
      const answer = await a.request('GET', `/api/federation/rows?${new URLSearchParams({ type: type ?? '', page_size: '1' })}`);
      const total = answer.status === 200 ? answer.json<{ total: number }>().total : `HTTP ${answer.status}`;
      if (total !== counted) wrong.push(`${type}: counted ${counted}, found ${total}`);
    }
    expect(wrong).to.deep.equal([]);
    // dfc-pt:apple is no type of the taxonomy; its local name is a label of dfc-pt:apples, which the node has too.
    const apple = page.locator('#type-tree button.type[data-type="dfc-pt:apple"]');
    expect(await apple.innerText()).to.match(/\(1\)$/u);
    await apple.click();
    await ready();
    expect(await page.locator('#table tbody tr td:first-child').allTextContents()).to.deep.equal(['Pomme du Pont']);
    expect(new URL(await page.locator('#csv').getAttribute('href') ?? '', a.url).searchParams.get('type')).to.equal('dfc-pt:apple');
    await page.click('#type-filter summary');
    await page.click('#type-all');
    await ready();
  });

  it('isolates a peer\'s name in a marker\'s label and popup: its right-to-left override reverses nothing else', async () => {
    const marker = page.locator('#map .producer-marker[aria-label*="du Pont"]');
    const label = `\u2068Ferme ${RLO} du Pont\u2069 (8 offers)`;
    expect(await marker.getAttribute('aria-label')).to.equal(label);
    expect(await marker.getAttribute('title')).to.equal(label);
    await marker.focus();
    await page.keyboard.press('Enter');
    const text = page.locator('.leaflet-popup-content p');
    expect(await text.innerText()).to.include(`\u2068Ferme ${RLO} du Pont\u2069, \u2068Bourg 87120\u2069: 8 offers`);
    // As drawn: the postcode's 8 left of its 0, as it reads (the override reversed it: 02178).
    const order = await page.evaluate(`(() => {
      const node = document.querySelector('.leaflet-popup-content p').firstChild;
      const at = node.textContent.indexOf('87120');
      const left = (i) => { const range = document.createRange(); range.setStart(node, i); range.setEnd(node, i + 1); return range.getBoundingClientRect().left; };
      return [left(at), left(at + 4)];
    })()`) as [number, number];
    expect(order[0]).to.be.lessThan(order[1]);
    await page.keyboard.press('Escape');
  });

  it('takes a point clicked on a copy of the world (zoomed out) at its longitude between -180 and 180', async () => {
    const box = await page.locator('#map').boundingBox();
    if (box === null) throw new Error('no map');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < 12; i++) {
      await page.mouse.wheel(0, 400);
      await page.waitForTimeout(100);
    }
    await page.waitForFunction('!document.querySelector("#map").classList.contains("leaflet-zoom-anim")');
    await page.waitForTimeout(300);
    await page.mouse.click(box.x + 3, box.y + box.height / 2);
    await ready();
    const [lat, lon] = (await page.inputValue('#f-near')).split(',').map(Number);
    expect(lat).to.be.within(-90, 90);
    expect(lon).to.be.within(-180, 180);
    await page.click('#f-near-clear');
    await ready();
  });

  it('wraps a long unbroken name in its cell instead of widening the table', async () => {
    await page.fill('#f-q', 'Long');
    await ready();
    expect(await page.locator('#table tbody tr').count()).to.equal(1);
    const [table, wrap] = await page.locator('#table').evaluate((t) => [t.scrollWidth, t.parentElement?.clientWidth ?? 0]);
    expect(table).to.be.at.most(wrap);
    await page.fill('#f-q', '');
    await ready();
  });

  it('threw nothing', () => {
    expect(errors).to.deep.equal([]);
  });
});
