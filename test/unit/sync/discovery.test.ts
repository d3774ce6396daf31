import { expect } from 'chai';
import { failure } from '../../../server/errors/failure.js';
import { discover, enterprisesOf, feedOf, subscriptionsOf, type DiscoveryDocument } from '../../../server/sync/discovery.js';
import type { FetchOutcome, PageRequest } from '../../../server/sync/peer-fetch.js';

/** A page fetch that answers one outcome, recording what was asked. */
function answering(outcome: FetchOutcome): { fetch: (request: PageRequest) => Promise<FetchOutcome>; asked: PageRequest[] } {
  const asked: PageRequest[] = [];
  return { asked, fetch: async (request) => { asked.push(request); return outcome; } };
}

const json = (value: unknown): FetchOutcome => ({
  ok: true, page: { url: 'https://peer.example/.well-known/dfc/', status: 200, body: JSON.stringify(value), json: { value }, bytes: 1 },
});

describe('discovery', () => {
  describe('discover()', () => {
    it('fetches /.well-known/dfc/ of the origin, without a credential, and reads the URLs it names', async () => {
      const { fetch, asked } = answering(json({ enterprises: 'https://peer.example/api/dfc/enterprises', feed: 42, subscriptions: '/api/dfc/subscriptions' }));
      const found = await discover('https://peer.example', fetch);
      expect(asked).to.deep.equal([{ url: 'https://peer.example/.well-known/dfc/', accept: 'application/ld+json, application/json' }]);
      expect(found).to.deep.equal({ status: 'found', document: { enterprises: 'https://peer.example/api/dfc/enterprises', subscriptions: '/api/dfc/subscriptions' } });
    });

    it('reads an empty document from an answer that is no JSON object', async () => {
      for (const outcome of [json([1]), json(null), { ok: true, page: { url: 'u', status: 200, body: '{oops', bytes: 5 } } as const]) {
        expect(await discover('https://peer.example', answering(outcome).fetch)).to.deep.equal({ status: 'found', document: {} });
      }
    });

    it('says absent when the peer answered without a discovery document, unreachable when it did not answer', async () => {
      const http404 = failure('http-status', 'HTTP 404 Not Found', 'https://peer.example/.well-known/dfc/', 404);
      const html = failure('not-dfc', 'content type text/html is not a DFC format', 'https://peer.example/.well-known/dfc/', 200);
      const timeout = failure('timeout', 'no complete response within 30000 ms', 'https://peer.example/.well-known/dfc/');
      expect(await discover('https://peer.example', answering({ ok: false, failure: http404 }).fetch)).to.deep.equal({ status: 'absent', failure: http404 });
      expect(await discover('https://peer.example', answering({ ok: false, failure: html }).fetch)).to.deep.equal({ status: 'absent', failure: html });
      expect(await discover('https://peer.example', answering({ ok: false, failure: timeout }).fetch)).to.deep.equal({ status: 'unreachable', failure: timeout });
      const notModified = await discover('https://peer.example', answering({ ok: true, page: { url: 'u', status: 304, bytes: 0 } }).fetch);
      expect(notModified.status).to.equal('absent');
    });
  });

  describe('what a document names, on the peer\'s origin only', () => {
    const document: DiscoveryDocument = {
      enterprises: 'https://peer.example/api/dfc/enterprises',
      feed: 'https://peer.example/api/dfc/feed',
      enterpriseFeed: 'https://peer.example/api/dfc/enterprises/{eid}/feed',
      subscriptions: '/api/dfc/subscriptions',
    };
    const elsewhere: DiscoveryDocument = {
      enterprises: 'https://evil.example/api/dfc/enterprises',
      feed: 'https://evil.example/feed',
      enterpriseFeed: 'https://evil.example/{eid}/feed',
      subscriptions: 'https://evil.example/subscriptions',
    };

    it('enterprisesOf()', () => {
      expect(enterprisesOf(document, 'https://peer.example/')).to.equal('https://peer.example/api/dfc/enterprises');
      expect(enterprisesOf(elsewhere, 'https://peer.example/')).to.equal(undefined);
      expect(enterprisesOf({}, 'https://peer.example/')).to.equal(undefined);
    });

    it('feedOf(): the node\'s feed for a base URL, the enterprise\'s for an enterprise URL, none otherwise', () => {
      expect(feedOf(document, 'https://peer.example/')).to.equal('https://peer.example/api/dfc/feed');
      expect(feedOf(document, 'https://peer.example/api/dfc/enterprises/ferme')).to.equal('https://peer.example/api/dfc/enterprises/ferme/feed');
      expect(feedOf(document, 'https://peer.example/catalog.json')).to.equal(undefined);
      expect(feedOf(elsewhere, 'https://peer.example/')).to.equal(undefined);
      expect(feedOf(elsewhere, 'https://peer.example/api/dfc/enterprises/ferme')).to.equal(undefined);
      expect(feedOf({ ...document, enterpriseFeed: '' }, 'https://peer.example/api/dfc/enterprises/ferme')).to.equal(undefined);
    });

    it('subscriptionsOf(): resolved against the origin', () => {
      expect(subscriptionsOf(document, 'https://peer.example')).to.equal('https://peer.example/api/dfc/subscriptions');
      expect(subscriptionsOf(elsewhere, 'https://peer.example')).to.equal(undefined);
      expect(subscriptionsOf({}, 'https://peer.example')).to.equal(undefined);
    });
  });
});
