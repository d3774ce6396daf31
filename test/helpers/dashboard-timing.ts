/**
 * The dashboard's speed as a person sees it, measured in a real browser (the system's Chromium, driven by
 * playwright-core, kept off the network): how long from opening the page to a page that answers (table, map,
 * charts all drawn: `body[data-ready="true"]`), and from each change of a filter to its answer drawn, timed by the
 * page itself from the person's act (the driver's own round trips are reported beside it). Used by the
 * browser test at a territory's scale and by `npm run bench` (group `dashboard`).
 *
 * Each filter change is one the node has not answered before (its answer cache is per query): what is timed is
 * the database's work, not a cache.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where Debian's Chromium is. */
export const CHROMIUM = '/usr/bin/chromium';

/** The flags that keep Chromium off the network and quiet. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'] as const;

/** Whether this machine has the browser the measurements need. */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** One filter change and how long its answer took to be drawn. */
export interface FilterTiming {
  readonly change: string;
  /** In the page: from the person's act to the answer drawn. */
  readonly ms: number;
  /** From the driver: the same, with the driver's own round trips. */
  readonly driverMs: number;
}

/** What {@link timeDashboard} measured. */
export interface DashboardTimings {
  /** From navigation to a page that answers. */
  readonly firstViewMs: number;
  readonly filters: readonly FilterTiming[];
  /** Every URL the page asked of the node (paths with their queries). */
  readonly requests: readonly string[];
  /** Bytes of every answer the page received from the API. */
  readonly apiBytes: number;
}

/** Waits for the page to have drawn its answer, and how long since `started`. */
async function answered(page: Page, started: number): Promise<number> {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  return performance.now() - started;
}

/**
 * What the page itself measures of a change (installed once per page): from the first event of the person's act
 * (a click, a change, a key) to the moment the page marks its answer drawn (`body[data-ready="true"]`). The
 * driver's own delays (finding the element, the DevTools round trips) are not the page's, and are not counted.
 */
const PAGE_CLOCK = `(() => {
  if (window.__clock !== undefined) return;
  window.__clock = {};
  for (const type of ['click', 'change', 'keydown']) {
    document.addEventListener(type, () => { if (window.__clock.start === undefined) window.__clock.start = performance.now(); }, true);
  }
  new MutationObserver(() => {
    const c = window.__clock;
    if (document.body.dataset.ready === 'true' && c.start !== undefined && c.end === undefined) c.end = performance.now();
  }).observe(document.body, { attributes: true, attributeFilter: ['data-ready'] });
})()`;

/** Marks the page busy, does `act`, and times until its answer is drawn (in the page, see {@link PAGE_CLOCK}). */
async function timeChange(page: Page, change: string, act: () => Promise<void>): Promise<FilterTiming> {
  await page.evaluate(PAGE_CLOCK);
  await page.evaluate('window.__clock.start = undefined; window.__clock.end = undefined; document.body.dataset.ready = "pending"');
  const started = performance.now();
  await act();
  const outside = await answered(page, started);
  const inside = await page.evaluate('window.__clock.end - window.__clock.start') as number;
  const ms = Number.isFinite(inside) && inside > 0 ? inside : outside;
  if (process.env['DASHBOARD_TIMING_DEBUG'] !== undefined) {
    const entries = await page.evaluate(() => performance.getEntriesByType('resource').slice(-6).map((e) => `${e.name.replace(/^.*\/api\//u, '')} ${Math.round(e.duration)}`));
    console.log(change, Math.round(ms), `(driver ${Math.round(outside)})`, entries);
    await page.evaluate(() => performance.clearResourceTimings());
  }
  return { change, ms, driverMs: outside };
}

/**
 * Opens the dashboard of the node at `url` in a new browser, times the first view, then a series of filter
 * changes, each to filters the page has not asked before: a broad product type from the taxonomy tree, a narrower
 * one, in stock now, one source, a distance around `town`, a smaller radius, all types, no distance, all sources.
 * Every request outside the node is refused.
 */
export async function timeDashboard(url: string, town: string): Promise<DashboardTimings> {
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_FLAGS] });
    const context = await browser.newContext({ locale: 'fr-FR' });
    const requests: string[] = [];
    let apiBytes = 0;
    await context.route('**/*', async (route) => {
      const target = route.request().url();
      if (!target.startsWith(`${url}/`)) {
        await route.abort();
        return;
      }
      requests.push(target.slice(url.length));
      await route.continue();
    });
    const page = await context.newPage();
    page.on('response', (response) => {
      if (response.url().startsWith(`${url}/api/`)) void response.body().then((body) => { apiBytes += body.length; }, () => undefined);
    });
    const started = performance.now();
    await page.goto(`${url}/dashboard`);
    const firstViewMs = await answered(page, started);
    const filters: FilterTiming[] = [];
    // The first broad type of the tree, then the first type under it: a region's whole branch, then a part.
    await page.click('#type-filter summary');
    const broad = page.locator('#type-tree > li > button.type').first();
    filters.push(await timeChange(page, `type=${await broad.getAttribute('data-type') ?? '?'}`, () => broad.click()));
    // Choosing a type closes the tree: open it again.
    await page.click('#type-filter summary');
    const toggle = page.locator('#type-tree > li > button.toggle').first();
    if (await toggle.count() > 0) {
      if (await toggle.getAttribute('aria-expanded') !== 'true') await toggle.click();
      const narrow = page.locator('#type-tree > li > ul > li > button.type').first();
      filters.push(await timeChange(page, `type=${await narrow.getAttribute('data-type') ?? '?'}`, () => narrow.click()));
    }
    filters.push(await timeChange(page, 'in stock now', () => page.check('#f-stock')));
    const source = await page.locator('#f-peer option').nth(1).getAttribute('value');
    if (source !== null) filters.push(await timeChange(page, `source ${source}`, async () => { await page.selectOption('#f-peer', source); }));
    filters.push(await timeChange(page, `near ${town}, 25 km`, async () => {
      await page.fill('#f-near', town);
      await page.press('#f-near', 'Enter');
    }));
    filters.push(await timeChange(page, `near ${town}, 10 km`, async () => { await page.selectOption('#f-radius', '10'); }));
    filters.push(await timeChange(page, 'all types', async () => {
      await page.click('#type-filter summary');
      await page.click('#type-all');
    }));
    filters.push(await timeChange(page, 'no distance', () => page.click('#f-near-clear')));
    filters.push(await timeChange(page, 'all sources', async () => { await page.selectOption('#f-peer', ''); }));
    await context.close();
    return { firstViewMs, filters, requests, apiBytes };
  } finally {
    await browser?.close();
  }
}
