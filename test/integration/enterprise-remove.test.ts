/**
 * Removing an enterprise (`DELETE /api/dfc/enterprises/{eid}`, `maillon enterprise remove`): admin only,
 * refused while an order placed with it is open, and its resources withdrawn through the change feed, so that
 * a node following this one sees them go; its tokens stop working; an enterprise later made with the same id
 * never reuses its versions (ETags, cached bodies).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken } from '../../server/auth/tokens.js';
import { run } from '../../server/cli/main.js';
import { startFederationNode, type FederationNode } from '../helpers/federation.js';
import { CONTEXT, expectProblem } from '../helpers/write-api.js';

const FERME = 'ferme-des-trois-chenes';

function order(base: string): string {
  const e = `${base}/api/dfc/enterprises/${FERME}`;
  const id = `${e}/orders`;
  return JSON.stringify({
    '@context': CONTEXT,
    '@graph': [
      { '@id': id, '@type': 'dfc-b:Order', 'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': `${id}/OrderLines/1` },
      { '@id': `${id}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': 1, 'dfc-b:concerns': `${e}/offers/ail-violet` },
      { '@id': `${e}/offers/ail-violet`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${e}/supplied_products/ail-violet` },
    ],
  });
}

describe('removing an enterprise', function () {
  this.timeout(30_000);
  let a: FederationNode;
  let b: FederationNode;
  let admin: Record<string, string>;

  before(async () => {
    a = await startFederationNode({ name: 'A' });
    b = await startFederationNode({ name: 'B' });
    await a.seed(FERME);
    await a.seed('chevrerie-du-puy');
    admin = { Authorization: `Bearer ${a.adminToken}` };
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  it('is the admin\'s: 401 without a token, 403 with the enterprise\'s own token, 404 for an unknown one', async () => {
    expectProblem(await a.request('DELETE', `/api/dfc/enterprises/${FERME}`), 401);
    const own = (await issueToken(a.node.store, { eid: FERME, scopes: ['ReadEnterprise', 'WriteEnterprise', 'WriteProducts'] })).token;
    expectProblem(await a.request('DELETE', `/api/dfc/enterprises/${FERME}`, { headers: { Authorization: `Bearer ${own}` } }), 403);
    expectProblem(await a.request('DELETE', '/api/dfc/enterprises/nobody', { headers: admin }), 404);
    const options = await a.request('OPTIONS', `/api/dfc/enterprises/${FERME}`);
    expect(options.headers.get('allow')).to.include('DELETE');
  });

  it('withdraws its resources through the feed: a following node sees them go, the other enterprise stays', async () => {
    const peer = await b.addPeer(`${a.base}/`, 'a');
    expect((await b.sync(peer.id)).added).to.be.greaterThan(0);
    const before = (await b.request('GET', '/api/federation/catalog.csv')).text;
    expect(before).to.include(`${a.base}/api/dfc/enterprises/${FERME}/catalog_items/ail-violet`);
    expect(before).to.include(`${a.base}/api/dfc/enterprises/chevrerie-du-puy/`);

    // An open order holds the enterprise: 409, and nothing is removed.
    const buyer = (await issueToken(a.node.store, { eid: FERME, scopes: ['WriteOrders'] })).token;
    const placed = await a.request('POST', `/api/dfc/enterprises/${FERME}/orders`, {
      headers: { Authorization: `Bearer ${buyer}`, 'Content-Type': 'application/ld+json' }, body: order(a.base),
    });
    expect(placed.status, placed.text).to.equal(201);
    const refused = expectProblem(await a.request('DELETE', `/api/dfc/enterprises/${FERME}`, { headers: admin }), 409);
    expect(refused.detail).to.equal(`enterprise ${FERME} has 1 open order(s) (pending or held): complete or cancel them first`);
    expect((await a.request('GET', `/api/dfc/enterprises/${FERME}/catalog_items/ail-violet`)).status).to.equal(200);
    const orderUrl = placed.headers.get('location') ?? '';
    expect((await a.request('DELETE', new URL(orderUrl).pathname, { headers: { Authorization: `Bearer ${buyer}` } })).status).to.be.oneOf([200, 204]);

    const versionBefore = (await a.node.store.getEnterprise(FERME))?.version ?? 0;
    const removed = await a.request('DELETE', `/api/dfc/enterprises/${FERME}`, { headers: admin });
    expect(removed.status, removed.text).to.equal(204);
    expect((await a.request('GET', `/api/dfc/enterprises/${FERME}`)).status).to.equal(404);
    expect((await a.request('GET', `/api/dfc/enterprises/${FERME}/catalog_items`)).status).to.equal(404);
    // Its tokens went with it.
    expect((await a.request('POST', `/api/dfc/enterprises/${FERME}/orders`, {
      headers: { Authorization: `Bearer ${buyer}`, 'Content-Type': 'application/ld+json' }, body: order(a.base),
    })).status).to.equal(401);
    // The feed says each resource was deleted.
    const latest = await a.node.store.feed.latestSeq();
    const deletes = (await a.node.store.feed.events(Math.max(0, latest - 400), 1000, undefined, true)).filter((e) => e.eid === FERME && e.action === 'delete').map((e) => e.iri);
    expect(deletes).to.include(`${a.base}/api/dfc/enterprises/${FERME}/catalog_items/ail-violet`);
    expect(deletes).to.include(`${a.base}/api/dfc/enterprises/${FERME}`);

    await b.sync(peer.id);
    const after = (await b.request('GET', '/api/federation/catalog.csv')).text;
    expect(after).not.to.include(`/api/dfc/enterprises/${FERME}/`);
    expect(after).to.include(`${a.base}/api/dfc/enterprises/chevrerie-du-puy/`);

    // The same id made again continues the versions: no ETag or cached body of the removed one passes for it.
    expect(await run(['enterprise', 'add', '--id', FERME, '--name', 'Nouvelle ferme', '--db', a.db], { out: () => undefined, err: () => undefined })).to.equal(0);
    expect((await a.node.store.getEnterprise(FERME))?.version).to.be.greaterThan(versionBefore);
  });

  it('delivers the deletes to a subscriber that watches only that enterprise, then drops its subscription', async () => {
    const EPICERIE = 'epicerie-du-village';
    await a.seed(EPICERIE);
    const received: { object?: { id?: string }; type?: string }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as { object?: { id?: string }; type?: string });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    try {
      const callback = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
      const own = (await issueToken(a.node.store, { eid: EPICERIE, scopes: ['ReadEnterprise', 'ReadProducts'] })).token;
      const created = await a.request('POST', '/api/dfc/subscriptions', {
        headers: { Authorization: `Bearer ${own}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ callback, enterprise: EPICERIE }),
      });
      expect(created.status, created.text).to.equal(201);
      const id = (JSON.parse(created.text) as { id: string }).id;
      const resources = (await a.node.store.listResources(EPICERIE, ['SuppliedProduct', 'CatalogItem', 'Offer'])).map((r) => r.record.id);
      expect(resources.length).to.be.greaterThan(0);
      expect((await a.request('DELETE', `/api/dfc/enterprises/${EPICERIE}`, { headers: admin })).status).to.equal(204);
      // The subscription was made with the enterprise's own token, which went with it: its deletes still arrive.
      const deadline = Date.now() + 10_000;
      const deleted = (): string[] => received.filter((n) => n.type === 'Delete').map((n) => n.object?.id ?? '');
      while (resources.some((iri) => !deleted().includes(iri)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(deleted()).to.include.members(resources);
      while ((await a.node.store.feed.getSubscription(id)) !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await a.node.store.feed.getSubscription(id)).to.equal(undefined);
    } finally {
      await new Promise<void>((resolve) => hook.close(() => resolve()));
    }
  });

  it('maillon enterprise remove says what would go and changes nothing without --yes; with it, removes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maillon-remove-'));
    const db = join(dir, 'node.db');
    let out = '';
    let err = '';
    const cli = async (...argv: string[]): Promise<number> => {
      out = '';
      err = '';
      return run([...argv, '--db', db, '--data-dir', dir], { out: (t) => void (out += t), err: (t) => void (err += t) });
    };
    try {
      expect(await cli('import', join(import.meta.dirname, '../../examples/network/chevrerie-du-puy.jsonld'), '--enterprise', 'chevrerie')).to.equal(0);
      expect(await cli('token', 'create', '--enterprise', 'chevrerie')).to.equal(0);
      expect(await cli('enterprise', 'remove', 'chevrerie')).to.equal(1);
      expect(err).to.match(/^enterprise chevrerie \(.+\) has \d+ published resource\(s\) and 1 token\(s\); removing it withdraws them from every peer\. Nothing removed: run 'maillon enterprise remove chevrerie --yes'\n$/u);
      const told = Number(/has (\d+) published/u.exec(err)?.[1]);
      expect(await cli('enterprise', 'list')).to.equal(0);
      expect(out).to.match(/^chevrerie\t/u);
      expect(await cli('enterprise', 'remove', 'chevrerie', '--yes')).to.equal(0);
      expect(out).to.match(/^removed enterprise chevrerie: \d+ resource\(s\) withdrawn through the change feed, 1 token\(s\) deleted\n$/u);
      // What was told would go is what went (it said 60, then withdrew 63).
      expect(Number(/: (\d+) resource/u.exec(out)?.[1])).to.equal(told);
      await cli('enterprise', 'list');
      expect(out).to.equal('');
      expect(await cli('enterprise', 'remove', 'chevrerie', '--yes')).to.equal(1);
      expect(err).to.equal('no enterprise chevrerie\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
