/**
 * A peer's token changed: node B follows node A's feed from a cursor, and what A lets B read depends on the token.
 * Records a new token allows (a private enterprise) were never among the versions B read past, so the change
 * (`PATCH /api/sync/peers/{id}`, `maillon peer set --token`) makes the next sync read A whole, once; the syncs
 * after it follow the feed again.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../server/cli/main.js';
import { startFederationNode, type FederationNode } from '../helpers/federation.js';

const EXAMPLES = join(import.meta.dirname, '../../examples/network');
const PUBLIC = 'ferme-des-trois-chenes';
const PRIVATE = 'chevrerie-du-puy';

/**
 * Node A with a private enterprise and a public one, and node B to follow it. The private enterprise is made first:
 * its versions come before the public feed's head, where B's cursor will be.
 */
async function nodesWithAPrivateEnterprise(): Promise<{ a: FederationNode; b: FederationNode }> {
  const a = await startFederationNode({ name: 'A' });
  const b = await startFederationNode({ name: 'B' });
  const decoded = await a.node.decoder.decode(readFileSync(join(EXAMPLES, `${PRIVATE}.jsonld`), 'utf8'));
  await a.node.catalog.createEnterprise(decoded.records, { eid: PRIVATE, private: true });
  await a.node.catalog.importRecords(PRIVATE, decoded.records);
  await a.seed(PUBLIC);
  return { a, b };
}

describe('a peer whose token changed is read whole once', function () {
  this.timeout(60_000);
  let a: FederationNode;
  let b: FederationNode;
  before(async () => ({ a, b } = await nodesWithAPrivateEnterprise()));
  after(async () => {
    await b.close();
    await a.close();
  });

  const catalogueAtB = async (): Promise<string> => (await b.request('GET', '/api/federation/catalog.csv')).text;
  const admin = (node: FederationNode): Record<string, string> => ({ Authorization: `Bearer ${node.adminToken}`, 'Content-Type': 'application/json' });

  it('PATCH with a new token: the next sync brings what the token allows, then B follows the feed again', async () => {
    const peer = await b.addPeer(`${a.base}/`, 'a');
    expect((await b.sync(peer.id)).added).to.be.greaterThan(0);
    expect(await catalogueAtB()).to.include(`/api/dfc/enterprises/${PUBLIC}/`);
    expect(await catalogueAtB()).to.not.include(`/api/dfc/enterprises/${PRIVATE}/`);
    // B follows A's feed from here.
    await b.sync(peer.id);
    expect((await b.node.store.feed.peerFeed(peer.id)).cursor).to.not.equal(null);

    const patched = await b.request('PATCH', `/api/sync/peers/${peer.id}`, { headers: admin(b), body: JSON.stringify({ token: a.adminToken }) });
    expect(patched.status, patched.text).to.equal(200);
    const whole = await b.sync(peer.id);
    expect(whole.added, 'the private enterprise\'s records').to.be.greaterThan(0);
    expect(await catalogueAtB()).to.include(`/api/dfc/enterprises/${PRIVATE}/`);
    // Once: the cursor is back, and the next sync reads the feed, where nothing changed.
    expect((await b.node.store.feed.peerFeed(peer.id)).cursor).to.not.equal(null);
    const next = await b.sync(peer.id);
    expect(next).to.include({ added: 0, updated: 0 });
    expect((await b.node.store.feed.peerFeed(peer.id)).cursor).to.not.equal(null);
  });

  it('maillon peer set --token does the same', async () => {
    const quiet = { out: (): void => undefined, err: (): void => undefined };
    const peer = await b.addPeer(`${a.base}/api/dfc/enterprises/${PUBLIC}`, 'a-ferme');
    await b.sync(peer.id);
    await b.sync(peer.id);
    expect((await b.node.store.feed.peerFeed(peer.id)).cursor).to.not.equal(null);
    expect(await run(['peer', 'set', String(peer.id), '--token', a.adminToken, '--db', b.db], quiet)).to.equal(0);
    expect((await b.node.store.feed.peerFeed(peer.id)).cursor).to.equal(null);
  });
});

describe('a token changed while a sync of the peer runs', function () {
  this.timeout(60_000);
  let a: FederationNode;
  let b: FederationNode;
  before(async () => ({ a, b } = await nodesWithAPrivateEnterprise()));
  after(async () => {
    await b.close();
    await a.close();
  });

  const catalogueAtB = async (): Promise<string> => (await b.request('GET', '/api/federation/catalog.csv')).text;

  it('a sync running with the old token when it changes does not write its cursor back: the next one still reads A whole', async () => {
    const peer = await b.addPeer(`${a.base}/`, 'a');
    await b.sync(peer.id);
    await b.sync(peer.id);
    expect((await b.node.store.feed.peerFeed(peer.id)).cursor).to.be.a('number');
    const old = await b.node.store.provenance.getPeer(peer.id);
    if (old === undefined) throw new Error('no peer');
    // The scheduler's sync, with the row it read, is under way when the admin changes the token; then one with the
    // row as it was read before the change.
    const inFlight = b.node.scheduler.syncOne(old);
    await b.node.store.provenance.updatePeer(peer.id, { token: a.adminToken });
    await inFlight;
    expect((await b.node.store.feed.peerFeed(peer.id)).cursor, 'the running sync wrote its cursor back').to.equal(null);
    await b.node.engine.sync(old);
    expect((await b.node.store.feed.peerFeed(peer.id)).cursor, 'a sync with the old row wrote its cursor').to.equal(null);
    await b.sync(peer.id);
    expect((await b.node.store.feed.peerFeed(peer.id)).cursor).to.be.a('number');
    expect(await catalogueAtB()).to.include(`/api/dfc/enterprises/${PRIVATE}/`);
  });
});
