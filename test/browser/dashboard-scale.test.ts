/**
 * The dashboard at a territory's scale, in a real browser: 100,000 federated offers of 1,000 producers (seeded
 * straight into a node's index, see `bench/territory-seed.ts`). What the page asks must stay aggregates and pages
 * (never the whole catalogue), the map must stay readable (towns, not a thousand overlapping points), and the
 * first view and each filter change are timed. The targets (first view ≤ 1 s, each change ≤ 300 ms) are checked by
 * `npm run bench` on a quiet machine; here a test machine runs other suites at once, so the bounds are five
 * times looser: they catch a page that asks for too much, not a slow afternoon.
 *
 * Skipped, saying which package to install, where there is no Chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromium } from 'playwright-core';
import { seedTerritory } from '../../bench/territory-seed.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { startNode, type RunningNode } from '../../server/main.js';
import { CHROMIUM, CHROMIUM_FLAGS, hasChromium, timeDashboard, type DashboardTimings } from '../helpers/dashboard-timing.js';

const SIZE = { offers: 100_000, enterprises: 1000, peers: 12 } as const;

describe('the dashboard in a browser, with 100,000 federated offers', function () {
  this.timeout(300000);
  let dir: string;
  let node: RunningNode;
  let timings: DashboardTimings;

  before(async function () {
    if (!hasChromium()) {
      console.log(`      skipped: no ${CHROMIUM} (install the chromium package: apt-get install -y chromium)`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'maillon-dashboard-scale-'));
    await seedTerritory(join(dir, 'maillon.db'), SIZE);
    const config = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': dir, 'base-url': 'http://127.0.0.1' },
      { MAILLON_LOG_LEVEL: 'silent', MAILLON_SYNC_SCHEDULE: '0' });
    node = await startNode(config, createLogger('silent'));
    timings = await timeDashboard(node.url, 'Tulle');
    console.log(`      first view ${Math.round(timings.firstViewMs)} ms; filter changes: ${
      timings.filters.map((f) => `${f.change} ${Math.round(f.ms)} ms`).join(', ')}`);
  });

  after(async () => {
    await node?.shutdown(1000);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('asks aggregates and pages only: never the catalogue, never a page of more than 100 rows', () => {
    const api = timings.requests.filter((r) => r.startsWith('/api/'));
    expect(api.length).to.be.greaterThan(timings.filters.length);
    for (const request of api) {
      const url = new URL(request, 'http://x');
      expect(url.pathname, request).to.match(/^\/api\/federation\/(stats|rows|producers|places|gaps)$/u);
      if (url.pathname.endsWith('/rows')) expect(Number(url.searchParams.get('page_size')), request).to.be.at.most(100);
    }
    // A thousand producers' points are the biggest answer; the catalogue's DFC pages would be hundreds of megabytes.
    expect(timings.apiBytes).to.be.below(5 * 1024 * 1024);
  });

  it('answers the first view and every filter change in time (bounds five times the targets)', () => {
    expect(timings.firstViewMs).to.be.below(5000);
    expect(timings.filters.length).to.be.at.least(8);
    for (const f of timings.filters) expect(f.ms, f.change).to.be.below(1500);
  });

  it('shows a thousand producers by town, each town reachable with the keyboard, counting every producer', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS] });
    try {
      const page = await browser.newPage({ locale: 'en-GB' });
      await page.goto(`${node.url}/dashboard`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
      const producers = (await (await fetch(`${node.url}/api/federation/producers`)).json()) as { total: number; producers: unknown[] };
      expect(producers.total).to.equal(SIZE.enterprises);
      expect(await page.locator('#map .producer-marker').count()).to.equal(0);
      const towns = page.locator('#map .town-marker');
      expect(await towns.count()).to.be.greaterThan(1).and.below(100);
      const counted = (await towns.allTextContents()).reduce((sum, text) => sum + Number(text.replace(/\D/gu, '')), 0);
      expect(counted).to.equal(producers.total);
      expect(await page.locator('#map-mode').innerText()).to.match(/by town/u);
      await towns.first().focus();
      await page.keyboard.press('Enter');
      await page.locator('.leaflet-popup-content button:focus').waitFor();
      await page.keyboard.press('Enter');
      await page.waitForSelector('body[data-ready="true"]');
      expect(await page.inputValue('#f-near')).to.not.equal('');
      expect(await page.inputValue('#f-radius')).to.equal('10');
    } finally {
      await browser.close();
    }
  });
});
