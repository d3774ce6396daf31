/**
 * `GET /api/health` for load balancers and monitors, and the writes a node refuses once its database file is gone.
 */
import { expect } from 'chai';
import { renameSync } from 'node:fs';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

describe('http/health-routes', () => {
  let node: InProcessNode;
  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
  });
  after(async () => node?.close());

  it('answers 200 {status: ok} uncached while the node can serve, to anyone', async () => {
    const answer = await node.request('GET', '/api/health');
    expect(answer.status).to.equal(200);
    expect(answer.headers.get('cache-control')).to.equal('no-store');
    expect(JSON.parse(answer.text)).to.include({ status: 'ok' });
  });

  it('answers 503 with the reason once the database file is removed, refuses writes the same way, and is ok again once it is back', async () => {
    renameSync(node.db, `${node.db}.moved`);
    try {
      const health = await node.request('GET', '/api/health');
      expect(health.status).to.equal(503);
      expect(health.headers.get('content-type')).to.match(/^application\/problem\+json/u);
      expect(JSON.parse(health.text).detail).to.match(/database file was removed/u);
      expect(health.text).to.not.include(node.dir);
      const write = await node.request('PUT', '/api/dfc/enterprises/ferme/catalog_items/carottes', {
        headers: { authorization: `Bearer ${node.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ 'dfc-b:stockLimitation': 7 }),
      });
      expect(write.status).to.equal(503);
      expect(JSON.parse(write.text).detail).to.match(/not made: the database file was removed/u);
      // Reads go on from the file still open.
      expect((await node.request('GET', '/api/dfc/enterprises/ferme/catalog_items/carottes')).status).to.equal(200);
    } finally {
      renameSync(`${node.db}.moved`, node.db);
    }
    expect((await node.request('GET', '/api/health')).status).to.equal(200);
  });
});
