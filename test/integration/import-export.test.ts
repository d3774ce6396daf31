import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../server/cli/main.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('maillon import and export', () => {
  let dir: string;
  let db: string;
  const fixture = (name: string) => join(import.meta.dirname, '../fixtures', name);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-import-'));
    db = join(dir, 'node.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const common = () => ['--db', db, '--data-dir', dir, '--base-url', 'http://node.test'];

  it('imports an Open Food Network catalogue under the node, keeping the original ids as owl:sameAs', async () => {
    const imported = await cli('import', fixture('ofn-catalog-1.16.json'), '--enterprise', 'ferme', ...common());
    expect(imported.code, imported.err).to.equal(0);
    expect(imported.out).to.match(/→ ferme: \d+ products, \d+ catalog items, \d+ offers/u);
    const exported = await cli('export', '--enterprise', 'ferme', '--to', 'jsonld', ...common());
    expect(exported.code).to.equal(0);
    const document = JSON.parse(exported.out) as { '@graph': Record<string, unknown>[] };
    const ids = document['@graph'].map((n) => n['@id'] as string);
    expect(ids.every((id) => id.startsWith('http://node.test/api/dfc/'))).to.equal(true);
    expect(exported.out).to.include('owl#sameAs');
    expect(exported.out).to.include('https://ofn.example/');
  });

  it('imports sale sessions and reports what a catalogue import leaves out (orders)', async () => {
    const imported = await cli('import', fixture('connector-export.json'), '--enterprise', 'connecteur', ...common());
    expect(imported.code, imported.err).to.equal(0);
    expect(imported.out).to.match(/\d+ other resources? \(sale sessions, customer categories, catalogues\)/u);
    expect(imported.err).to.match(/not imported, not part of a catalogue \(.*Order/u);
    const exported = await cli('export', '--enterprise', 'connecteur', '--to', 'turtle', ...common());
    expect(exported.out).to.include('dfc-b:SaleSession');
    expect(exported.out).to.include('/api/dfc/enterprises/connecteur/sale_sessions/');
  });

  it('links the enterprise, its catalogues and customer categories by the ids the node gave them', async () => {
    const file = join(dir, 'e4.json');
    const X = 'https://x.example';
    writeFileSync(file, JSON.stringify({
      '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json',
      '@graph': [
        { '@id': `${X}/ent/4`, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Ferme 4', 'dfc-b:defines': `${X}/cc/retail`, 'dfc-b:maintains': `${X}/cat/main` },
        { '@id': `${X}/cc/retail`, '@type': 'dfc-b:CustomerCategory', 'dfc-b:name': 'Retail', 'dfc-b:definedBy': `${X}/ent/4` },
        { '@id': `${X}/cat/main`, '@type': 'dfc-b:Catalog', 'dfc-b:maintainedBy': `${X}/ent/4`, 'dfc-b:lists': `${X}/item/1` },
        { '@id': `${X}/sp/1`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Miel', 'dfc-b:referencedBy': `${X}/item/1` },
        { '@id': `${X}/item/1`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${X}/sp/1`, 'dfc-b:stockLimitation': 3, 'dfc-b:offeredThrough': `${X}/offer/1` },
        { '@id': `${X}/offer/1`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${X}/item/1`, 'dfc-b:offeredTo': { '@id': `${X}/cc/retail` },
          'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 5, 'dfc-b:hasUnit': 'dfc-m:Euro' } },
      ],
    }));
    const imported = await cli('import', file, '--enterprise', 'e4', ...common());
    expect(imported.code, imported.err).to.equal(0);
    const exported = await cli('export', '--enterprise', 'e4', '--to', 'jsonld', ...common());
    const graph = (JSON.parse(exported.out) as { '@graph': Record<string, unknown>[] })['@graph'];
    const nodeOf = (type: string) => graph.find((n) => n['@type'] === type) ?? expect.fail(`no ${type}`);
    const enterprise = nodeOf('dfc-b:Enterprise');
    const catalog = nodeOf('dfc-b:Catalog');
    const category = nodeOf('dfc-b:CustomerCategory');
    expect(enterprise['@id']).to.equal('http://node.test/api/dfc/enterprises/e4');
    expect(enterprise['dfc-b:maintains']).to.equal(catalog['@id']);
    expect(enterprise['dfc-b:defines']).to.equal(category['@id']);
    expect(catalog['dfc-b:maintainedBy']).to.equal(enterprise['@id']);
    expect(category['dfc-b:definedBy']).to.equal(enterprise['@id']);
    expect(String(catalog['@id'])).to.match(/^http:\/\/node\.test\//u);
  });

  it('imports nothing from a file that cannot be read as DFC', async () => {
    const imported = await cli('import', fixture('invalid/missing-context.json'), '--enterprise', 'rejet', ...common());
    expect(imported.code).to.equal(1);
    expect(imported.err).to.match(/nothing imported/u);
    const listed = await cli('enterprise', 'list', ...common());
    expect(listed.out).to.not.include('rejet');
  });

  it('imports the valid resources of a file and reports each rejected one (exit 1)', async () => {
    const imported = await cli('import', fixture('shapes/partial-catalogue.json'), '--enterprise', 'partiel', ...common());
    expect(imported.code, imported.err).to.equal(1);
    expect(imported.err).to.match(/rejected: https:\/\/farm\.example\/offers\/onions dfc-b:hasPrice\/dfc-b:value: price is not a number: "deux euros"/u);
    expect(imported.err).to.match(/rejected: https:\/\/farm\.example\/items\/garlic dfc-b:stockLimitation: stock .*is not a number: "plenty"/u);
    expect(imported.err).to.match(/2 resources rejected, the others imported/u);
    expect(imported.out).to.match(/→ partiel: 3 products, 2 catalog items, 1 offer\b/u);
    const exported = await cli('export', '--enterprise', 'partiel', '--to', 'nquads', ...common());
    for (const kept of ['products/leeks', 'items/leeks', 'offers/leeks', 'products/onions', 'items/onions', 'products/garlic']) {
      expect(exported.out).to.include(`https://farm.example/${kept}`);
    }
    expect(exported.out).to.not.include('https://farm.example/offers/onions');
    expect(exported.out).to.not.include('https://farm.example/items/garlic');
  });

  it('re-importing the same file changes nothing but the version', async () => {
    const first = await cli('export', '--enterprise', 'ferme', '--to', 'nquads', ...common());
    await cli('import', fixture('ofn-catalog-1.16.json'), '--enterprise', 'ferme', ...common());
    const second = await cli('export', '--enterprise', 'ferme', '--to', 'nquads', ...common());
    expect(second.out.split('\n').sort()).to.deep.equal(first.out.split('\n').sort());
  });
  it("gives an offer that says no stock its item's (0 too), and refuses an item with two stocks rather than keep the first", async () => {
    const base = 'https://farm.example/e/u';
    const catalogue = (itemStock: unknown) => JSON.stringify({
      '@context': 'https://www.datafoodconsortium.org',
      '@graph': [
        { '@id': `${base}/sp/1`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Poireaux', 'dfc-b:referencedBy': `${base}/ci/1` },
        { '@id': `${base}/ci/1`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${base}/sp/1`, 'dfc-b:offeredThrough': `${base}/of/1`, 'dfc-b:stockLimitation': itemStock },
        { '@id': `${base}/of/1`, '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 4.5, 'dfc-b:hasUnit': 'dfc-m:Euro' } },
      ],
    });
    const file = join(dir, 'stock.json');
    writeFileSync(file, catalogue(0));
    const imported = await cli('import', file, '--enterprise', 'stock-0', ...common());
    expect(imported.code, imported.err).to.equal(0);
    const exported = await cli('export', '--enterprise', 'stock-0', '--to', 'jsonld', ...common());
    const nodes = (JSON.parse(exported.out) as { '@graph': Record<string, unknown>[] })['@graph'];
    const stocks = nodes.filter((n) => n['@type'] === 'dfc-b:CatalogItem' || n['@type'] === 'dfc-b:Offer').map((n) => [n['@type'], n['dfc-b:stockLimitation']]);
    expect(stocks).to.have.deep.members([['dfc-b:CatalogItem', 0], ['dfc-b:Offer', 0]]);

    writeFileSync(file, catalogue([9, 55]));
    const refused = await cli('import', file, '--enterprise', 'stock-two', ...common());
    expect(refused.err).to.match(/stockLimitation: 2 different values \(9, 55\) where one is read/u);
    // Neither value was kept: not the first, nor the last (which JSON.parse keeps of a name given twice).
    const listed = await cli('export', '--enterprise', 'stock-two', '--to', 'jsonld', ...common());
    expect(listed.out).not.to.include('"dfc-b:stockLimitation": 9').and.not.to.include('"dfc-b:stockLimitation": 55');
    expect(listed.out).not.to.include('dfc-b:CatalogItem');
  });
});
