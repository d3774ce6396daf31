import { expect } from 'chai';
import { failure } from '../../../server/errors/failure.js';
import { DEFAULT_FETCH_POLICY } from '../../../server/net/safe-fetch.js';
import type { PeerRow } from '../../../server/store/federation.js';
import type { FetchOutcome, PageRequest } from '../../../server/sync/peer-fetch.js';
import { detectPeerKind, solidSnapshotSync } from '../../../server/sync/solid-snapshot.js';
import type { SyncParts, SyncRun } from '../../../server/sync/sync-context.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

const POD = 'https://pod.example';
const B = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';
const LDP = 'http://www.w3.org/ns/ldp#';

const product = (url: string, name: string): string => `<${url}#product> a <${B}SuppliedProduct>; <${B}name> "${name}".\n`;
const container = (url: string, members: readonly string[]): string =>
  `<${url}> a <${LDP}Container>, <${LDP}BasicContainer>${members.length > 0 ? `; <${LDP}contains> ${members.map((m) => `<${m}>`).join(', ')}` : ''}.\n`;

/** A scripted pod: URL → Turtle (or a failure), and the URLs asked for. */
function scriptedPod(documents: Record<string, string | FetchOutcome>): { fetch: SyncParts['fetch']; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    fetch: async (request: PageRequest) => {
      asked.push(request.url);
      const doc = documents[request.url];
      if (doc === undefined) return { ok: false, failure: failure('http-status', 'not found', request.url, 404) };
      if (typeof doc !== 'string') return doc;
      return { ok: true, page: { url: request.url, status: 200, body: doc, contentType: 'text/turtle', bytes: doc.length, etag: `"${doc.length}"` } };
    },
  };
}

describe('solid-snapshot (a pod peer)', () => {
  let node: InProcessNode;
  let peerId = 0;
  before(async () => {
    node = await startInProcess();
  });
  after(async () => {
    await node.close();
  });

  async function sync(url: string, fetch: SyncParts['fetch']): Promise<ReturnType<typeof solidSnapshotSync>> {
    const peer: PeerRow = await node.store.provenance.addPeer({ name: `pod-${++peerId}`, url, kind: 'solid' }, new URL(url).origin);
    const parts: SyncParts = {
      provenance: node.store.provenance, feed: node.store.feed, decoder: node.decoder, ownBase: node.base, policy: DEFAULT_FETCH_POLICY, graceMs: 0, fetch,
    };
    const run: SyncRun = { peer, started: Date.now(), startedAt: new Date(), deadline: Date.now() + 60_000, budgetMs: 60_000 };
    return solidSnapshotSync(parts, run);
  }

  it('walks the container and its sub-containers, and follows no member off the container or off the origin', async () => {
    const root = `${POD}/alice/dfc/`;
    const pod = scriptedPod({
      [root]: container(root, [`${root}a.ttl`, `${root}products/`, `${POD}/alice/private/secret.ttl`, 'http://169.254.169.254/latest/', 'https://evil.example/x.ttl']),
      [`${root}a.ttl`]: product(`${root}a.ttl`, 'A'),
      [`${root}products/`]: container(`${root}products/`, [`${root}products/b.ttl`, `${root}products/c.png`]),
      [`${root}products/b.ttl`]: product(`${root}products/b.ttl`, 'B'),
      [`${root}products/c.png`]: { ok: false, failure: failure('not-dfc', 'content type image/png is not a DFC format', `${root}products/c.png`) },
    });
    const outcome = await sync(root, pod.fetch);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    expect(outcome.ok && outcome.summary.added).to.equal(2);
    expect(pod.asked).to.have.members([root, `${root}a.ttl`, `${root}products/`, `${root}products/b.ttl`, `${root}products/c.png`]);
  });

  it('finds the catalogue through a WebID\'s public type index, and refuses registrations off the origin', async () => {
    const webId = `${POD}/bob/profile/card#me`;
    const index = `${POD}/bob/settings/publicTypeIndex.ttl`;
    const root = `${POD}/bob/shop/`;
    const pod = scriptedPod({
      [`${POD}/bob/profile/card`]: `<${webId}> <http://www.w3.org/ns/solid/terms#publicTypeIndex> <${index}>.\n`,
      [index]: `<#r1> a <http://www.w3.org/ns/solid/terms#TypeRegistration>; <http://www.w3.org/ns/solid/terms#forClass> <${B}SuppliedProduct>;
        <http://www.w3.org/ns/solid/terms#instanceContainer> <${root}>, <https://evil.example/steal/>.\n`,
      [root]: container(root, [`${root}p.ttl`]),
      [`${root}p.ttl`]: product(`${root}p.ttl`, 'P'),
    });
    // The sync is asked for the WebID's document (fragment dropped by the fetch).
    const outcome = await sync(`${POD}/bob/profile/card`, pod.fetch);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    expect(outcome.ok && outcome.summary.added).to.equal(1);
    expect(pod.asked.some((u) => u.includes('evil.example'))).to.equal(false);
  });

  it('keeps a resource of a class only DFC 2.0 defines (kept under its 2.0 IRI), and none of no DFC class', async () => {
    const root = `${POD}/frank/`;
    const v2 = 'http://w3id.org/dfc/ontology/v2.0.0/src/DFC_BusinessOntology.owl#';
    const pod = scriptedPod({
      [root]: container(root, [`${root}a.ttl`]),
      [`${root}a.ttl`]: `${product(`${root}a.ttl`, 'A')}<${root}a.ttl#colour> a <${B}ProductOption>; <${B}name> "Colour".\n`
        + `<${root}a.ttl#size> a <${v2}ProductOption>; <${B}name> "Size".\n<${root}a.ttl#thing> a <https://schema.org/Thing>; <${B}name> "Thing".\n`,
    });
    const outcome = await sync(root, pod.fetch);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    expect(outcome.ok && outcome.summary.added).to.equal(3);
  });

  it('a pod answering 500 for one document fails its sync, and applies nothing', async () => {
    const root = `${POD}/carol/`;
    const pod = scriptedPod({
      [root]: container(root, [`${root}a.ttl`, `${root}b.ttl`]),
      [`${root}a.ttl`]: product(`${root}a.ttl`, 'A'),
      [`${root}b.ttl`]: { ok: false, failure: failure('http-status', 'HTTP 500', `${root}b.ttl`, 500) },
    });
    const outcome = await sync(root, pod.fetch);
    expect(outcome.ok).to.equal(false);
    expect(!outcome.ok && outcome.failure.status).to.equal(500);
  });

  it('quarantines a document that is no valid Turtle, and reads the others', async () => {
    const root = `${POD}/dan/`;
    const pod = scriptedPod({
      [root]: container(root, [`${root}a.ttl`, `${root}broken.ttl`]),
      [`${root}a.ttl`]: product(`${root}a.ttl`, 'A'),
      [`${root}broken.ttl`]: '<#x> a <',
    });
    const outcome = await sync(root, pod.fetch);
    expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    expect(outcome.ok && outcome.summary.added).to.equal(1);
    expect(outcome.ok && outcome.summary.quarantined).to.equal(1);
  });

  it('asks again only for the documents whose container lists a new modification time', async () => {
    const root = `${POD}/erin/`;
    const listing = (a: string, b: string): string => `${container(root, [`${root}a.ttl`, `${root}b.ttl`])}`
      + `<${root}a.ttl> <http://purl.org/dc/terms/modified> "${a}"^^<http://www.w3.org/2001/XMLSchema#dateTime>.\n`
      + `<${root}b.ttl> <http://purl.org/dc/terms/modified> "${b}"^^<http://www.w3.org/2001/XMLSchema#dateTime>.\n`;
    const documents: Record<string, string> = {
      [root]: listing('2026-01-01T10:00:00.100Z', '2026-01-01T10:00:00.200Z'),
      [`${root}a.ttl`]: product(`${root}a.ttl`, 'A'),
      [`${root}b.ttl`]: product(`${root}b.ttl`, 'B'),
    };
    const pod = scriptedPod(documents);
    const peer: PeerRow = await node.store.provenance.addPeer({ name: 'erin', url: root, kind: 'solid' }, POD);
    const parts: SyncParts = {
      provenance: node.store.provenance, feed: node.store.feed, decoder: node.decoder, ownBase: node.base, policy: DEFAULT_FETCH_POLICY, graceMs: 0, fetch: pod.fetch,
    };
    const again = (): ReturnType<typeof solidSnapshotSync> =>
      solidSnapshotSync(parts, { peer, started: Date.now(), startedAt: new Date(), deadline: Date.now() + 60_000, budgetMs: 60_000 });
    expect((await again()).ok).to.equal(true);
    pod.asked.length = 0;
    const unchanged = await again();
    expect(pod.asked).to.deep.equal([root]);
    expect(unchanged.ok && unchanged.summary.notModified).to.equal(2);
    // b.ttl changes (a new name), and its listed time with it.
    documents[`${root}b.ttl`] = product(`${root}b.ttl`, 'B2');
    documents[root] = listing('2026-01-01T10:00:00.100Z', '2026-01-01T10:00:00.900Z');
    pod.asked.length = 0;
    const changed = await again();
    expect(pod.asked).to.deep.equal([root, `${root}b.ttl`]);
    expect(changed.ok && changed.summary.updated).to.equal(1);
  });

  it('tells a pod (a container, a WebID) from a DFC node', async () => {
    const pod = scriptedPod({
      [`${POD}/c/`]: container(`${POD}/c/`, []),
      [`${POD}/me`]: `<${POD}/me#i> <http://www.w3.org/ns/solid/terms#oidcIssuer> <${POD}/>.\n`,
      [`${POD}/api/dfc/enterprises`]: { ok: true, page: { url: `${POD}/api/dfc/enterprises`, status: 200, body: '{"@context": {}, "@graph": []}', json: { value: { '@graph': [] } }, contentType: 'application/ld+json', bytes: 10 } },
    });
    expect(await detectPeerKind(`${POD}/c/`, pod.fetch)).to.equal('solid');
    expect(await detectPeerKind(`${POD}/me`, pod.fetch)).to.equal('solid');
    expect(await detectPeerKind(`${POD}/api/dfc/enterprises`, pod.fetch)).to.equal('dfc');
    expect(await detectPeerKind(`${POD}/nothing`, pod.fetch)).to.equal('dfc');
  });
});
