import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAYOUT, startThreeNodes, type ExampleNode } from '../../../examples/three-nodes.js';

describe('examples/three-nodes.ts', () => {
  let dir: string;
  let nodes: ExampleNode[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-three-'));
    nodes = await startThreeNodes({ dataDir: dir, firstPort: 0, baseUrl: (name) => `http://node-${name}.test`, logLevel: 'silent' });
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.node.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts three nodes, each serving its own two enterprises from its own database', async () => {
    expect(nodes.map((n) => n.name)).to.deep.equal(['a', 'b', 'c']);
    const databases = new Set(nodes.map((n) => n.node.config.db));
    expect(databases.size).to.equal(3);
    for (const [index, { node, adminToken }] of nodes.entries()) {
      expect(adminToken).to.match(/^mln_/u);
      const response = await fetch(`${node.url}/api/dfc/enterprises`);
      const body = (await response.json()) as { '@graph': { '@id': string; '@type': string }[] };
      const enterprises = body['@graph'].filter((n) => n['@type'] === 'dfc-b:Enterprise').map((n) => n['@id']).sort();
      const expected = (LAYOUT[index]?.enterprises ?? []).map((eid) => `http://node-${LAYOUT[index]?.name}.test/api/dfc/enterprises/${eid}`).sort();
      expect(enterprises).to.deep.equal(expected);
      for (const eid of LAYOUT[index]?.enterprises ?? []) {
        const catalogue = await fetch(`${node.url}/api/dfc/enterprises/${eid}/catalog_items`);
        expect(catalogue.status).to.equal(200);
        const decoded = await node.decoder.decode(await catalogue.text());
        expect(decoded.problems).to.deep.equal([]);
        expect(decoded.records.filter((r) => r.kind === 'Offer').length).to.be.greaterThan(9);
      }
    }
  });
});
