/**
 * The corpus round trip (issue 12): documents of our own (`test/fixtures/`, written by us; nothing from the
 * official DFC material) in the shapes peers really send — references, type-only products, unknown units, ISO
 * currencies and countries, literal phone numbers, string booleans and decimals, `#` ids, transformations and
 * flows, Turtle, expanded JSON-LD, DFC 2.0 and the connector's context — are
 *
 * 1. each read with their values asserted (here, or in the codec's unit tests named in {@link CORPUS});
 * 2. all imported into one running node, through `maillon import` (the CLI path) or a POST to the products
 *    collection (the HTTP path);
 * 3. served over HTTP and read back, page by page, by the DFC connector, which must find the same names, prices
 *    and stock as the input.
 *
 * The expected values are written out by hand from the documents, not computed by our decoder.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { EU_COUNTRY_NS } from '../../ontology/countries.js';
import { CANONICAL_NAMESPACES } from '../../ontology/namespaces.js';
import { DFC_B, DFC_M_NS } from '../../ontology/vocabulary.js';
import { measureIri } from '../../ontology/units.js';
import { issueToken } from '../../server/auth/tokens.js';
import { run } from '../../server/cli/main.js';
import { Decoder } from '../../server/codec/decode.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { startNode, type RunningNode } from '../../server/main.js';
import { readWithConnector, type ConnectorRead } from '../helpers/dfc-connector.js';
import { freePort } from '../helpers/federation.js';
import { fixtureText, recordOf } from '../unit/codec/fixtures.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');

/** A stock as Open Food Network reads it: none, or a negative one, is on demand (`null`). */
function onDemand(stock: number | undefined): number | null {
  return stock === undefined || stock < 0 ? null : stock;
}

/** A catalog item as a client must read it back: its product's name, its sku, its offer's price, its stock. */
interface ExpectedItem {
  readonly name: string;
  readonly sku?: string;
  /** The offer's price; absent when the item has no offer. */
  readonly price?: number;
  /** The offer's currency, as the connector reads it (default `dfc-m:Euro`). */
  readonly currency?: string;
  /** `null`: on demand (no stock limit published). */
  readonly stock: number | null;
  /** The offer's own stock, when the document gives the offer another one than its item's (an offer that says none takes its item's). */
  readonly offerStock?: number | null;
}

/** One document of the corpus, and what a DFC client reads back once it is imported and served. */
interface CorpusEntry {
  /** Under `test/fixtures/`. */
  readonly file: string;
  /** The enterprise it is imported into. */
  readonly eid: string;
  /** `import`: `maillon import FILE --enterprise EID` (the default); `post`: a POST to the products collection. */
  readonly via?: 'import' | 'post';
  /** Commands run before the import (the words after `maillon`; `{db}` options are added), e.g. adding a context. */
  readonly before?: readonly (readonly string[])[];
  /** The import's exit code: 1 when the document holds resources rejected on purpose (the others are imported). */
  readonly exit?: 0 | 1;
  /** The test file that asserts the values this document is read with, when it is not this one. */
  readonly readIn?: string;
  /** Every catalog item served. */
  readonly items: readonly ExpectedItem[];
  /** The names of the products served without a catalog item (product groups, products not on sale). */
  readonly productsOnly?: readonly string[];
}

const GBP = 'dfc-m:PoundSterling';
/** Boolean properties of DFC 1.16 the node does not model (kept as written). */
const VAT_STATUS = `${CANONICAL_NAMESPACES['dfc-b']}VATstatus`;
const FROZEN = `${CANONICAL_NAMESPACES['dfc-b']}frozen`;

/**
 * The corpus. One line (or entry) per document; a document in another context is registered first by
 * `maillon context add`, the command in `before`.
 */
const CORPUS: readonly CorpusEntry[] = [
  {
    file: 'ofn-catalog-1.16.json', eid: 'trois-chenes', readIn: 'test/unit/codec/decode.test.ts',
    items: [
      { name: 'Tomates anciennes - 1 kg', sku: 'TOM-ANC-1KG', price: 5.8, stock: 40 },
      { name: 'Tomates cerises - barquette 250 g', sku: 'TOM-CER-250', price: 3.2, stock: null },
      { name: 'Tomates rondes - à la pièce', sku: 'TOM-RND-PC', price: 0.6, stock: null },
    ],
    productsOnly: ['Tomates de plein champ'],
  },
  {
    file: 'ofn-static/catalog.json', eid: 'vergers',
    items: [
      { name: 'Pommes Reinette - 1 kg', sku: 'VV-POM-REI-1K', price: 3.4, stock: 20 },
      { name: 'Pommes Golden - 2 kg', sku: 'VV-POM-GOL-2K', price: 5.9, stock: null },
      { name: 'Jus de pomme - 1 L', sku: 'VV-JUS-1L', price: 3.75, stock: 12 },
      { name: 'Miel de châtaignier - 500 g', sku: 'VV-MIE-500', price: 9.5, stock: 0 },
      { name: 'Tomates cœur de bœuf - 1 kg', sku: 'VV-TOM-CDB-1K', price: 4.9, stock: null },
    ],
    productsOnly: ['Pommes'],
  },
  {
    file: 'fdc-wholesale.json', eid: 'moulin',
    items: [
      { name: 'Lentilles vertes, sachet 500 g', sku: 'LEN-500', price: 4.2, stock: null },
      { name: 'Lentilles vertes, sachet 500 g, carton de 6', sku: 'LEN-500-X6', price: 18, stock: 4 },
    ],
  },
  {
    file: 'fdc-2.0.json', eid: 'la-source', readIn: 'test/unit/codec/decode.test.ts',
    items: [
      { name: 'Crottin frais', sku: 'CROT-60', price: 2.1, stock: 85 },
      { name: 'Tomme de chèvre', sku: 'TOMME-500', price: 11, stock: 6 },
    ],
    productsOnly: ['Fromages de chèvre fermiers'],
  },
  {
    file: 'catalog.ttl', eid: 'rucher', readIn: 'test/unit/codec/decode.test.ts',
    items: [{ name: 'Miel de lavande 500 g', sku: 'MIEL-LAV-500', price: 4.5, stock: 24 }],
  },
  {
    file: 'connector-export.json', eid: 'brasserie', readIn: 'test/unit/codec/decode.test.ts',
    items: [
      { name: 'Bière blonde 33 cl', sku: 'BLD-33', price: 2.8, stock: 40 },
      { name: 'Bière ambrée 75 cl', sku: 'AMB-75', price: 6.5, stock: 12 },
    ],
  },
  {
    file: 'expanded.json', eid: 'moulin-tour', readIn: 'test/unit/codec/decode.test.ts',
    items: [{ name: 'Farine de blé T80 - 1 kg', sku: 'FAR-T80-1KG', price: 2.95, stock: 15 }],
  },
  {
    file: 'valid-edge-cases.json', eid: 'edge', readIn: 'test/unit/codec/decode.test.ts',
    items: [{ name: 'Tomates', sku: 'TOM-RND-1KG', price: 3.9, stock: null }],
  },
  {
    file: 'shapes/partial-catalogue.json', eid: 'partiel', exit: 1, readIn: 'test/integration/import-export.test.ts',
    items: [
      { name: 'Poireaux - botte', price: 2.2, stock: 12 },
      { name: 'Oignons jaunes - 1 kg', stock: 30 },
    ],
    productsOnly: ['Ail violet'],
  },
  { file: 'shapes/unknown-unit.json', eid: 'unites', readIn: 'test/unit/codec/severity.test.ts', items: [], productsOnly: ['Fil de lin', 'Huile de noix - 50 cl'] },
  { file: 'shapes/product-without-name.json', eid: 'sans-nom', readIn: 'test/unit/codec/severity.test.ts', items: [], productsOnly: ['Radis roses - botte'] },
  { file: 'shapes/severity.json', eid: 'severite', exit: 1, readIn: 'test/unit/codec/severity.test.ts', items: [], productsOnly: ['Kohlrabi'] },
  { file: 'shapes/bare-references.json', eid: 'references', readIn: 'test/unit/codec/references.test.ts', items: [], productsOnly: ['Miel de châtaignier'] },
  { file: 'shapes/unknown-currency.json', eid: 'devises', readIn: 'test/unit/codec/severity.test.ts', items: [] },
  { file: 'shapes/as-people-write.json', eid: 'gens', readIn: 'test/unit/codec/as-people-write.test.ts', items: [] },
  {
    file: 'shapes/shop-as-written.json', eid: 'hedgerow',
    items: [
      { name: 'Garden peas, 500 g', sku: 'PEA-500', price: 4.95, currency: GBP, stock: 0 },
      { name: 'Blackcurrant sorbet, 570 ml', sku: 'SOR-BLK', price: 12.5, currency: GBP, stock: 7 },
      { name: 'Garden twine, 2 furlongs', sku: 'TWN-2F', price: 3, currency: GBP, stock: null },
    ],
  },
  {
    file: 'shapes/posted-with-placeholders.json', eid: 'poste', via: 'post',
    items: [{ name: 'Jus de poire - 75 cl', sku: 'JUS-POI-75', price: 3.6, stock: 18 }],
  },
  {
    // A platform's own context, stored by the operator with `maillon context add` before the import.
    file: 'shapes/other-context.json', eid: 'comptoir', readIn: 'test/unit/codec/context-registry.test.ts',
    before: [['context', 'add', 'https://comptoir.example/ns/catalogue.jsonld', join(FIXTURES, 'contexts/comptoir-catalogue.json')]],
    items: [
      { name: 'Potimarron - pièce', sku: 'POTI-1', price: 3.2, stock: 15 },
      { name: 'Chou kale - botte', sku: 'KALE-1', price: 2.4, stock: 0 },
    ],
  },
];

async function cli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run([...argv], { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('the corpus round trip (issue 12)', function () {
  this.timeout(180_000);

  describe('each document, read with its values', () => {
    const decoder = new Decoder();

    it('names, for every document whose values are asserted elsewhere, a test that reads it', () => {
      for (const entry of CORPUS.filter((e) => e.readIn !== undefined)) {
        const test = readFileSync(join(import.meta.dirname, '../..', entry.readIn ?? ''), 'utf8');
        expect(test, `${entry.readIn} reads ${entry.file}`).to.include(entry.file.replace(/^shapes\//u, ''));
      }
    });

    it('an Open Food Network static export: product groups, variants, stock 0 and on demand, VAT rates', async () => {
      const result = await decoder.decode(fixtureText('ofn-static/catalog.json'));
      expect(result.rejected).to.deep.equal([]);
      const api = 'http://ofn-static.invalid/api/dfc/enterprises/7001';
      expect(recordOf(result.records, 'SuppliedProduct', `${api}/supplied_products/1200`).variants).to.have.length(2);
      expect(recordOf(result.records, 'SuppliedProduct', `${api}/supplied_products/1201`).variantOf).to.deep.equal([`${api}/supplied_products/1200`]);
      expect(recordOf(result.records, 'CatalogItem', `${api}/catalog_items/1204`).stock).to.equal(0);
      expect(recordOf(result.records, 'CatalogItem', `${api}/catalog_items/1205`).stock).to.equal(null);
      const offer = recordOf(result.records, 'Offer', `${api}/offers/1203`);
      expect(offer.price).to.deep.equal({ value: 3.75, currency: measureIri('Euro'), vatRate: 5.5 });
    });

    it('an FDC wholesale catalogue: string decimals and stock, and the transformation with its flows kept', async () => {
      const result = await decoder.decode(fixtureText('fdc-wholesale.json'));
      expect(result.rejected).to.deep.equal([]);
      const base = 'https://fdc.example/api/dfc/Enterprises/moulin/SuppliedProducts';
      expect(recordOf(result.records, 'Offer', `${base}/101/Offer`).price?.value).to.equal(4.2);
      expect(recordOf(result.records, 'Offer', `${base}/102/Offer`).price?.value).to.equal(18);
      expect(recordOf(result.records, 'CatalogItem', `${base}/101/CatalogItem`).stock).to.equal(null);
      expect(recordOf(result.records, 'CatalogItem', `${base}/102/CatalogItem`).stock).to.equal(4);
      const types = result.records.filter((r) => r.kind === 'Resource').map((r) => (r.kind === 'Resource' ? r.types : []));
      expect(types).to.deep.equal([[DFC_B.AsPlannedTransformation], [DFC_B.AsPlannedConsumptionFlow], [DFC_B.AsPlannedProductionFlow]]);
      // The flows keep what they consume and produce, and how many: six retail bags make one case.
      const flow = recordOf(result.records, 'Resource', `${base}/101/AsPlannedConsumptionFlow`);
      expect(flow.extra?.[DFC_B.consumes]).to.deep.equal([{ '@id': `${base}/101` }]);
      expect(flow.extra?.[DFC_B.hasQuantity]).to.deep.equal([{
        '@type': [DFC_B.QuantitativeValue], properties: { [DFC_B.hasUnit]: [{ '@id': measureIri('Piece') }], [DFC_B.value]: [{ '@value': 6 }] },
      }]);
      expect(recordOf(result.records, 'Resource', `${base}/101/AsPlannedProductionFlow`).extra?.[DFC_B.produces]).to.deep.equal([{ '@id': `${base}/102` }]);
    });

    it('a shop as people write it: # ids, "4.95", "0", ISO currencies and countries, a literal phone, string booleans, a type-only product', async () => {
      const result = await decoder.decode(fixtureText('shapes/shop-as-written.json'));
      const shop = 'https://shop.example/catalogue';
      expect(result.rejected).to.deep.equal([]);
      expect(result.problems.map((p) => [p.id, p.code])).to.deep.equal([[`${shop}#twine`, 'unknown-unit']]);
      const enterprise = recordOf(result.records, 'Enterprise', `${shop}#enterprise`);
      expect(enterprise.phone).to.equal('+44 1803 000000');
      expect(enterprise.extra?.[`${VAT_STATUS}`]).to.deep.equal([{ '@value': 'false' }]);
      expect(recordOf(result.records, 'Address', `${shop}#address`).country).to.equal(`${EU_COUNTRY_NS}GBR`);
      const peas = recordOf(result.records, 'Offer', `${shop}#peas-offer`);
      expect(peas.price).to.deep.equal({ value: 4.95, currency: measureIri('PoundSterling'), vatRate: 0 });
      expect(peas.stock).to.equal(0);
      expect(recordOf(result.records, 'CatalogItem', `${shop}#peas-item`).stock).to.equal(0);
      expect(recordOf(result.records, 'Offer', `${shop}#sorbet-offer`).price).to.deep.equal({ value: 12.5, currency: measureIri('PoundSterling') });
      expect(recordOf(result.records, 'SuppliedProduct', `${shop}#sorbet`).quantity).to.deep.equal({ value: 0.57, unit: measureIri('Litre') });
      // Booleans the node does not model are kept as written, and written out again.
      expect(recordOf(result.records, 'SuppliedProduct', `${shop}#sorbet`).extra?.[`${FROZEN}`]).to.deep.equal([{ '@value': 'true' }]);
      expect(recordOf(result.records, 'SuppliedProduct', `${shop}#peas`).extra?.[`${FROZEN}`]).to.deep.equal([{ '@value': 'false' }]);
      expect(recordOf(result.records, 'SuppliedProduct', `${shop}#twine`).quantity?.unit).to.equal(`${DFC_M_NS}Furlong`);
      expect(recordOf(result.records, 'CatalogItem', `${shop}#twine-item`).stock).to.equal(null);
      // A product given by its type only is a reference: listed, never stored over what it names.
      expect(result.references).to.deep.equal([`${shop}#chutney`]);
      expect(result.records.some((r) => r.id === `${shop}#chutney`)).to.equal(false);
    });

    it('a product posted with "#" ids: read against the URL it is posted to', async () => {
      const posted = 'http://node.test/api/dfc/enterprises/poste/supplied_products';
      const result = await decoder.decode(fixtureText('shapes/posted-with-placeholders.json'), { base: posted });
      expect(result.rejected).to.deep.equal([]);
      const offer = result.records.find((r) => r.kind === 'Offer');
      expect(offer?.kind === 'Offer' && offer.price).to.deep.equal({ value: 3.6, currency: measureIri('Euro') });
      const item = result.records.find((r) => r.kind === 'CatalogItem');
      expect(item?.kind === 'CatalogItem' && [item.sku, item.stock]).to.deep.equal(['JUS-POI-75', 18]);
    });
  });

  describe('the whole corpus, imported, served and read back by the DFC connector', () => {
    let dir: string;
    let node: RunningNode | undefined;
    let base: string;
    const reads = new Map<string, ConnectorRead>();

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'maillon-corpus-'));
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      const config = loadConfig({ port: String(port), host: '127.0.0.1', 'data-dir': dir, 'base-url': base },
        { MAILLON_LOG_LEVEL: 'silent', MAILLON_SYNC_SCHEDULE: 'off' });
      node = await startNode(config, createLogger('silent'));
      // The operator imports into the running node, as `maillon import` is used beside `maillon serve`.
      const common = ['--data-dir', dir, '--base-url', base];
      for (const entry of CORPUS) {
        for (const command of entry.before ?? []) {
          const done = await cli([...command, ...common]);
          expect(done.code, `${command.join(' ')}: ${done.err}`).to.equal(0);
        }
        if (entry.via === 'post') {
          const created = await cli(['enterprise', 'add', '--id', entry.eid, '--name', entry.eid, ...common]);
          expect(created.code, created.err).to.equal(0);
          const { token } = await issueToken(node.store, { eid: entry.eid, scopes: ['WriteProducts'] });
          const response = await fetch(`${base}/api/dfc/enterprises/${entry.eid}/supplied_products`, {
            method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/ld+json' }, body: fixtureText(entry.file),
          });
          expect(response.status, `POST ${entry.file}: ${await response.clone().text()}`).to.equal(201);
          continue;
        }
        const imported = await cli(['import', join(FIXTURES, entry.file), '--enterprise', entry.eid, ...common]);
        expect(imported.code, `import ${entry.file}: ${imported.err}`).to.equal(entry.exit ?? 0);
      }
      for (const entry of CORPUS) reads.set(entry.eid, await readWithConnector(`${base}/api/dfc/enterprises/${entry.eid}/catalog_items?page_size=2`));
    });

    after(async () => {
      await node?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('serves what it does not model as it was written: string booleans, and the transformation with its flows', async () => {
      const shop = await (await fetch(`${base}/api/dfc/enterprises/hedgerow/catalog_items`, { headers: { accept: 'application/n-triples' } })).text();
      expect(shop).to.match(new RegExp(`<${FROZEN}> "true"`, 'u')).and.match(new RegExp(`<${FROZEN}> "false"`, 'u'));
      const moulin = await (await fetch(`${base}/api/dfc/enterprises/moulin/catalog_items`, { headers: { accept: 'application/n-triples' } })).text();
      for (const type of [DFC_B.AsPlannedTransformation, DFC_B.AsPlannedConsumptionFlow, DFC_B.AsPlannedProductionFlow]) expect(moulin).to.include(`<${type}>`);
      expect(moulin).to.include(`<${DFC_B.consumes}>`).and.include(`<${DFC_B.produces}>`);
    });

    for (const entry of CORPUS) {
      it(`${entry.file}: the same names, prices and stock`, () => {
        const read = reads.get(entry.eid);
        if (read === undefined) throw new Error(`${entry.eid} was not read`);
        expect(read.connectorFetches.every((u) => u.startsWith('https://w3id.org/dfc/')), read.connectorFetches.join(' ')).to.equal(true);
        const got = read.entries.map((e) => ({
          name: e.name,
          ...(e.sku !== undefined ? { sku: e.sku } : {}),
          ...(e.offers[0]?.price !== undefined ? { price: e.offers[0].price } : {}),
          currency: e.offers[0]?.unit ?? 'none',
          // As Open Food Network reads a stock: none, or a negative one (what this node writes: -1), is on demand.
          stock: onDemand(e.stock),
          offers: e.offers.length,
          offerStock: e.offers[0] === undefined ? 'none' : onDemand(e.offers[0].stock),
        }));
        const expected = entry.items.map((i) => ({
          name: i.name,
          ...(i.sku !== undefined ? { sku: i.sku } : {}),
          ...(i.price !== undefined ? { price: i.price } : {}),
          currency: i.price === undefined ? 'none' : i.currency ?? 'dfc-m:Euro',
          stock: i.stock,
          offers: i.price === undefined ? 0 : 1,
          offerStock: i.price === undefined ? 'none' : i.offerStock === undefined ? i.stock : i.offerStock,
        }));
        const byName = (a: { name: string | undefined }, b: { name: string | undefined }) => (a.name ?? '').localeCompare(b.name ?? '');
        expect(got.sort(byName)).to.deep.equal([...expected].sort(byName));
        // A product group is on every page that holds one of its variants: read once, by its id.
        const named = [...new Map(read.products.map((p) => [p.id, p.name])).values()].filter((n) => n !== undefined).sort();
        expect(named).to.deep.equal([...entry.items.map((i) => i.name), ...(entry.productsOnly ?? [])].sort());
        // Paged by two products: the pages after the first were reached by following `next`.
        expect(read.pages.length).to.be.at.least(Math.ceil(entry.items.length / 2));
      });
    }
  });
});
