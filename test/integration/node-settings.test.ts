/**
 * The allow-private node setting: stored by `maillon config set` (or `init --allow-private`), read by every
 * command and by the node at start, shown by `peer status`; and refusals that name the right fix: on
 * `peer add`, the flag or this node's setting; for a refused subscription, the *other* node's setting.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueToken, SCOPES } from '../../server/auth/tokens.js';
import { run } from '../../server/cli/main.js';
import { UsageError } from '../../server/cli/node-commands.js';
import { loadConfig } from '../../server/config.js';
import { subscribeFailureText } from '../../server/sync/subscribe.js';
import { createLogger } from '../../server/logging.js';
import { startNode, type RunningNode } from '../../server/main.js';
import { startFakePeer, type FakePeer } from '../helpers/fake-peer.js';
import { startFederationNode, type FederationNode } from '../helpers/federation.js';

describe('the allow-private node setting', function () {
  this.timeout(30_000);
  let dir: string;
  let peer: FakePeer;

  async function cli(db: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await run([...argv, '--db', db, '--data-dir', dir], { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'maillon-settings-'));
    peer = await startFakePeer((_req, res) => void res.writeHead(404).end());
  });
  after(async () => {
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('config set/get/list store it; every later command reads it; peer status says where it comes from', async () => {
    const db = join(dir, 'a.db');
    expect((await cli(db, 'config', 'list')).out).to.match(/^allow-private = false \(default\)\t/u);
    const refused = await cli(db, 'peer', 'add', `${peer.base}/catalog`, '--name', 'p');
    expect(refused.code).to.equal(1);
    expect(refused.err).to.equal("127.0.0.1 is a private or loopback address; give --allow-private to this command, or allow private peers for good with 'maillon config set allow-private true'\n");
    const set = await cli(db, 'config', 'set', 'allow-private', 'true');
    expect(set.code).to.equal(0);
    expect(set.out).to.equal(`allow-private = true (stored in ${db}; a running node takes it at its next start)\n`);
    expect((await cli(db, 'config', 'get', 'allow-private')).out).to.equal('true\n');
    expect((await cli(db, 'config', 'get')).out).to.equal('allow-private = true\n');
    expect((await cli(db, 'peer', 'add', `${peer.base}/catalog`, '--name', 'p')).code).to.equal(0);
    const status = await cli(db, 'peer', 'status');
    expect(status.out.split('\n')[0]).to.equal('allow-private: true (stored setting)');
    expect((await cli(db, 'config', 'set', 'allow-private', 'off')).out).to.match(/^allow-private = false /u);
    expect((await cli(db, 'peer', 'status')).out.split('\n')[0]).to.match(/^allow-private: false \(private and loopback peers are refused; /u);
    expect((await cli(db, 'peer', 'status', '--allow-private')).out.split('\n')[0]).to.match(/^allow-private: true for this command only /u);
  });

  it('config refuses an unknown key, a value the key does not take, and a missing value, changing nothing', async () => {
    const db = join(dir, 'b.db');
    for (const argv of [['set', 'allow-public', 'true'], ['set', 'allow-private', 'maybe'], ['set', 'allow-private'], ['get', 'nope'], ['frobnicate']]) {
      const error = await cli(db, 'config', ...argv).then(() => undefined, (e: unknown) => e);
      expect(error, argv.join(' ')).to.be.instanceOf(UsageError);
    }
    expect((await cli(db, 'config', 'get', 'allow-private')).out).to.equal('false\n');
  });

  it('init --allow-private stores the setting', async () => {
    const db = join(dir, 'c.db');
    const init = await cli(db, 'init', '--allow-private');
    expect(init.code).to.equal(0);
    expect(init.out).to.include('allow-private = true');
    expect((await cli(db, 'config', 'get', 'allow-private')).out).to.equal('true\n');
  });

  describe('a subscription the other node refuses', () => {
    let a: RunningNode | undefined;
    let b: FederationNode;
    let aDir: string;
    after(async () => {
      await a?.close();
      await b.close();
      rmSync(aDir, { recursive: true, force: true });
    });

    it('names the other node\'s setting, and subscribes once that node stores it and restarts', async () => {
      aDir = mkdtempSync(join(tmpdir(), 'maillon-settings-a-'));
      const aConfig = loadConfig({ port: '0', host: '127.0.0.1', 'data-dir': aDir }, { MAILLON_LOG_LEVEL: 'silent', MAILLON_SYNC_SCHEDULE: 'off' });
      a = await startNode(aConfig, createLogger('silent'));
      const aUrl = a.url;
      const { token } = await issueToken(a.store, { eid: null, scopes: SCOPES, label: 'admin' });
      b = await startFederationNode();
      const added = await b.addPeer(`${aUrl}/`, 'a');
      const patched = await b.request('PATCH', `/api/sync/peers/${added.id}`, {
        headers: { Authorization: `Bearer ${b.adminToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ token }),
      });
      expect(patched.status, patched.text).to.equal(200);
      const peerRow = await b.node.store.provenance.getPeer(added.id);
      if (peerRow === undefined) throw new Error('peer gone');
      const refused = await b.node.subscribe(peerRow);
      expect(refused.ok).to.equal(false);
      if (refused.ok) return;
      expect(subscribeFailureText(refused.failure)).to.equal('http-status: the peer refused (HTTP 422): callback refused: 127.0.0.1 is a private or loopback address; '
        + "this node does not call such addresses; its operator (not the subscriber's) allows them with 'maillon config set allow-private true' and a restart");
      await a.close();
      a = undefined;
      expect((await cli(aConfig.db, 'config', 'set', 'allow-private', 'true')).code).to.equal(0);
      a = await startNode({ ...aConfig, port: Number(new URL(aUrl).port) }, createLogger('silent'));
      expect(a.config.allowPrivate).to.equal(true);
      const subscribed = await b.node.subscribe(peerRow);
      expect(subscribed.ok, JSON.stringify(subscribed)).to.equal(true);
      expect((await a.store.feed.listSubscriptions()).map((s) => s.callback)).to.deep.equal([`${b.base}/api/sync/notifications/${added.id}`]);
    });
  });
});
