import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shareStock } from '../../../examples/shared-stock.js';
import { startThreeNodes, type ExampleNode } from '../../../examples/three-nodes.js';

/** Three consecutive free ports on loopback (the nodes' ids are made from them, so they must be known first). */
async function freePorts(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all([0, 1, 2].map((i) => new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(base + i, '127.0.0.1', () => server.close(() => resolve(true)));
    })));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no three free ports');
}

describe('examples/shared-stock.ts', function () {
  this.timeout(60_000);
  let dir: string;
  let nodes: ExampleNode[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-shared-'));
    nodes = await startThreeNodes({ dataDir: dir, firstPort: await freePorts(), logLevel: 'silent', allowPrivate: true });
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.node.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("sells the farm's tomatoes at the grocery from the farm's one stock", async () => {
    const run = await shareStock(nodes);
    expect(run.before).to.be.greaterThan(3);
    expect(run.ledger).to.deep.equal({ available: run.before - 3, reserved: 3, sold: 0 });
    expect(run.listed).to.equal(run.before - 3);
    expect(run.upstreamOrder).to.match(/\/api\/dfc\/enterprises\/ferme-des-trois-chenes\/orders\/\d+$/u);
    const held = await nodes[2]?.node.store.orders.get(run.customerOrder);
    expect(held?.state).to.equal('Held');
  });
});
