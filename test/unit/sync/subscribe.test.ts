/**
 * Subscribing at a peer (server/sync/subscribe.ts): the secret the peer gives is all that tells its notifications
 * from forged ones, so one that can be guessed (empty, short) is no subscription.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { DEFAULT_FETCH_POLICY, safeFetch } from '../../../server/net/safe-fetch.js';
import type { FeedStore } from '../../../server/store/feed.js';
import type { PeerRow } from '../../../server/store/federation.js';
import { MIN_SECRET_LENGTH, subscribeToPeer } from '../../../server/sync/subscribe.js';

describe('sync: subscribing at a peer', () => {
  let server: Server;
  let origin: string;
  let secret: string;
  const deleted: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      if (req.method === 'DELETE') deleted.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/dfc/') res.end(JSON.stringify({ software: 'Maillon', subscriptions: `${origin}/api/dfc/subscriptions` }));
      else if (req.method === 'POST' && req.url === '/api/dfc/subscriptions') res.writeHead(201).end(JSON.stringify({ id: 's1', secret }));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Subscribes, answering the secret given; what the feed store kept. */
  async function subscribe(given: string): Promise<{ ok: boolean; message?: string; kept: unknown[] }> {
    secret = given;
    const kept: unknown[] = [];
    const feed = { setPeerFeed: async (_id: number, state: unknown) => void kept.push(state) } as unknown as FeedStore;
    const peer = { id: 7, url: `${origin}/api/dfc/enterprises`, token: null, tokenHeader: 'authorization' } as unknown as PeerRow;
    const outcome = await subscribeToPeer(peer, { feed, fetch: safeFetch, policy: { ...DEFAULT_FETCH_POLICY, allowPrivate: true }, ownBase: 'http://me.test' });
    return { ok: outcome.ok, ...(outcome.ok ? {} : { message: outcome.failure.message }), kept };
  }

  it('keeps a secret that is long enough', async () => {
    const outcome = await subscribe('whsec_0123456789abcdef0123456789');
    expect(outcome.ok).to.equal(true);
    expect(outcome.kept).to.deep.equal([{ secret: 'whsec_0123456789abcdef0123456789', subscriptionUrl: `${origin}/api/dfc/subscriptions/s1` }]);
  });

  it('refuses an empty or short secret, keeping nothing and giving the subscription back: anyone could sign notifications with it', async () => {
    deleted.length = 0;
    for (const given of ['', 'x', 'a'.repeat(MIN_SECRET_LENGTH - 1)]) {
      const outcome = await subscribe(given);
      expect(outcome.ok, JSON.stringify(given)).to.equal(false);
      expect(outcome.message).to.contain(`a secret of ${given.length} characters, too short`);
      expect(outcome.kept).to.deep.equal([]);
    }
    expect(deleted).to.deep.equal(['/api/dfc/subscriptions/s1', '/api/dfc/subscriptions/s1', '/api/dfc/subscriptions/s1']);
  });
});
