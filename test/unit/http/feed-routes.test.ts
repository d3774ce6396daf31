/**
 * The change feed routes, in-process, read with n3 (not our codec): the stream, its fragments (`?after=N`)
 * linked by relations, immutable full fragments, an enterprise's feed, private enterprises, negotiation, 304,
 * and bad parameters.
 */
import { expect } from 'chai';
import { Parser, type Quad } from 'n3';
import { bearer, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { expectProblem } from '../../helpers/write-api.js';

const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const LDES = 'https://w3id.org/ldes#';
const TREE = 'https://w3id.org/tree#';
const IS_VERSION_OF = 'http://purl.org/dc/terms/isVersionOf';
const MAILLON = 'https://maillon.example/ns#';
const TURTLE = { accept: 'text/turtle' };
const FRAGMENT = 4;

function quads(text: string): Quad[] {
  return new Parser({ format: 'text/turtle' }).parse(text);
}

function objects(all: readonly Quad[], subject: string, predicate: string): string[] {
  return all.filter((q) => q.subject.value === subject && q.predicate.value === predicate).map((q) => q.object.value);
}

describe('http: the change feed routes', function () {
  let node: InProcessNode;
  let feedUrl: string;

  before(async () => {
    node = await startInProcess({ feedFragmentSize: FRAGMENT });
    await node.seed('ferme');
    await node.seed('secret', { private: true });
    feedUrl = `${node.base}/api/dfc/feed`;
  });
  after(async () => node.close());

  /** Every fragment from `?after=0`, following the relations; the resources versioned, in order. */
  async function walk(path: string, headers: Record<string, string> = {}): Promise<{ fragments: number; members: string[]; resources: string[] }> {
    let next: string | undefined = `${path}?after=0`;
    const members: string[] = [];
    const resources: string[] = [];
    let fragments = 0;
    while (next !== undefined) {
      const response = await node.request('GET', next, { headers: { ...TURTLE, ...headers } });
      expect(response.status, next).to.equal(200);
      fragments++;
      const all = quads(response.text);
      const stream = `${node.base}${path}`;
      const page = objects(all, stream, `${TREE}member`);
      members.push(...page);
      for (const member of page) resources.push(...objects(all, member, IS_VERSION_OF));
      const relation = all.find((q) => q.predicate.value === `${TREE}relation`)?.object;
      const target = relation === undefined ? undefined : all.find((q) => q.subject.equals(relation) && q.predicate.value === `${TREE}node`)?.object.value;
      if (target !== undefined) {
        expect(page, 'a fragment with a relation is full').to.have.length(FRAGMENT);
        expect(response.headers.get('cache-control')).to.include('immutable');
      } else {
        expect(response.headers.get('cache-control')).to.include('max-age=1');
      }
      next = target?.slice(node.base.length);
    }
    return { fragments, members, resources };
  }

  it('the stream describes itself: an EventStream, its first fragment, its head and stream id', async () => {
    const response = await node.request('GET', '/api/dfc/feed', { headers: TURTLE });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('text/turtle; charset=utf-8');
    expect(response.headers.get('cache-control')).to.equal('public, max-age=1, must-revalidate');
    const all = quads(response.text);
    expect(objects(all, feedUrl, RDF_TYPE)).to.include(`${LDES}EventStream`);
    expect(objects(all, feedUrl, `${TREE}view`)).to.deep.equal([`${feedUrl}?after=0`]);
    expect(objects(all, feedUrl, `${MAILLON}head`)).to.deep.equal([String(await node.store.feed.latestSeq(undefined, true))]);
    expect(objects(all, feedUrl, `${MAILLON}stream`)).to.deep.equal([await node.store.feed.streamId()]);
    expect(objects(all, feedUrl, `${LDES}versionOfPath`)).to.deep.equal([IS_VERSION_OF]);
  });

  it('the fragments hold every public version once, full ones immutable and linked to the next', async () => {
    const { fragments, members, resources } = await walk('/api/dfc/feed');
    const head = await node.store.feed.latestSeq(undefined, true);
    expect(members).to.have.length(head);
    expect(new Set(members).size).to.equal(members.length);
    expect(fragments).to.equal(Math.floor(head / FRAGMENT) + 1);
    expect(resources).to.include(`${node.base}/api/dfc/enterprises/ferme/offers/tomate`);
    expect(resources.some((r) => r.includes('/secret'))).to.equal(false);
  });

  it('the admin sees the versions of private enterprises in the node feed; the stream is then private', async () => {
    const admin = await walk('/api/dfc/feed', bearer(node.adminToken));
    expect(admin.resources.some((r) => r.includes('/enterprises/secret'))).to.equal(true);
    const head = await node.request('GET', '/api/dfc/feed', { headers: bearer(node.adminToken) });
    expect(head.headers.get('cache-control')).to.equal('private, max-age=1, must-revalidate');
  });

  it('an enterprise feed holds that enterprise’s versions only', async () => {
    const { resources } = await walk('/api/dfc/enterprises/ferme/feed');
    expect(resources.length).to.equal(await node.store.feed.latestSeq('ferme'));
    expect(resources.every((r) => r.startsWith(`${node.base}/api/dfc/`) && !r.includes('secret'))).to.equal(true);
  });

  it('a public enterprise’s feed is cached publicly, as the node’s is, but for the admin', async () => {
    for (const path of ['/api/dfc/enterprises/ferme/feed', '/api/dfc/enterprises/ferme/feed?after=0']) {
      expect((await node.request('GET', path)).headers.get('cache-control'), path).to.match(/^public, /u);
      expect((await node.request('GET', path, { headers: bearer(await node.token('ferme')) })).headers.get('cache-control'), path).to.match(/^public, /u);
      expect((await node.request('GET', path, { headers: bearer(node.adminToken) })).headers.get('cache-control'), path).to.match(/^private, /u);
    }
  });

  it('a private enterprise’s feed needs ReadProducts on it (404 to others), and is never cached as public', async () => {
    expectProblem(await node.request('GET', '/api/dfc/enterprises/secret/feed'), 404);
    expectProblem(await node.request('GET', '/api/dfc/enterprises/secret/feed', { headers: bearer(await node.token('ferme')) }), 404);
    const token = await node.token('secret', ['ReadProducts']);
    const response = await node.request('GET', '/api/dfc/enterprises/secret/feed?after=0', { headers: bearer(token) });
    expect(response.status).to.equal(200);
    expect(response.headers.get('cache-control')).to.match(/^private/u);
    expectProblem(await node.request('GET', '/api/dfc/enterprises/nobody/feed'), 404);
  });

  it('a public enterprise removed and made again private under its id: its past versions, deletes included, stay public as served', async () => {
    await node.seed('passe');
    const before = await walk('/api/dfc/feed');
    expect(before.resources.some((r) => r.includes('/enterprises/passe/'))).to.equal(true);
    const headBefore = await node.store.feed.latestSeq();
    await node.catalog.removeEnterprise('passe');
    const deletes = (await node.store.feed.events(headBefore, 1000)).map((e) => e.seq);
    expect(deletes.length, 'its deletes').to.be.greaterThan(0);
    await node.seed('passe', { private: true });
    const after = await walk('/api/dfc/feed');
    // What was served (full fragments immutable) is served again, and the deletes follow it for followers to withdraw.
    expect(after.members.slice(0, before.members.length)).to.deep.equal(before.members);
    expect(after.members.slice(before.members.length)).to.deep.equal(deletes.map((seq) => `${node.base}/api/dfc/feed/versions/${seq}`));
    // The new private enterprise's versions are the admin's, and its readers'.
    const admin = await walk('/api/dfc/feed', bearer(node.adminToken));
    expect(admin.members.length).to.be.greaterThan(after.members.length);
    expect(await node.store.feed.latestSeq(undefined, true)).to.equal(deletes.at(-1));
    expectProblem(await node.request('GET', '/api/dfc/enterprises/passe/feed'), 404);
    const reader = await walk('/api/dfc/enterprises/passe/feed', bearer(await node.token('passe', ['ReadProducts'])));
    // Its feed shows its readers every version under its id, the public ones of the enterprise before it included.
    expect(reader.members.length).to.equal((await node.store.feed.events(0, 10_000, 'passe')).length);
    expect(reader.members).to.include.members(after.members.slice(before.members.length));
  });

  it('each member IRI answers with that version, immutable; a private one to its enterprise\'s readers only, an unknown one 404', async () => {
    const { members, resources } = await walk('/api/dfc/feed');
    const member = members[1] as string;
    const one = await node.request('GET', member.slice(node.base.length), { headers: TURTLE });
    expect(one.status, one.text).to.equal(200);
    expect(one.headers.get('cache-control')).to.equal('public, max-age=31536000, immutable');
    expect(objects(quads(one.text), member, IS_VERSION_OF)).to.deep.equal([resources[1]]);
    // A version of the private enterprise: not in the public feed, readable with a token on it.
    const admin = await walk('/api/dfc/feed', bearer(node.adminToken));
    const hidden = admin.members.find((m, i) => (admin.resources[i] ?? '').includes('/enterprises/secret')) as string;
    const path = hidden.slice(node.base.length);
    expectProblem(await node.request('GET', path), 404);
    expectProblem(await node.request('GET', path, { headers: bearer(await node.token('ferme')) }), 404);
    const reader = await node.request('GET', path, { headers: { ...TURTLE, ...bearer(await node.token('secret', ['ReadProducts'])) } });
    expect(reader.status).to.equal(200);
    expect(reader.headers.get('cache-control')).to.equal('private, max-age=31536000, immutable');
    for (const bad of ['0', '999999999', 'abc', '1e3', '-1']) expectProblem(await node.request('GET', `/api/dfc/feed/versions/${bad}`), 404);
  });

  it('JSON-LD with an inline context by default; Turtle on demand; 406 for other RDF', async () => {
    const response = await node.request('GET', '/api/dfc/feed?after=0');
    expect(response.headers.get('content-type')).to.equal('application/ld+json; charset=utf-8');
    const document = response.json<{ '@context': Record<string, unknown>; '@graph': Record<string, unknown>[] }>();
    expect(document['@context']).to.be.an('object').that.has.property('ldes');
    expect(document['@graph'].some((n) => n['@id'] === feedUrl)).to.equal(true);
    const problem = expectProblem(await node.request('GET', '/api/dfc/feed', { headers: { accept: 'application/n-triples' } }), 406);
    expect(problem.detail).to.include('text/turtle').and.not.include('n-quads');
  });

  it('answers 304 to a current If-None-Match', async () => {
    const first = await node.request('GET', '/api/dfc/feed?after=0');
    const etag = first.headers.get('etag') ?? '';
    expect((await node.request('GET', '/api/dfc/feed?after=0', { headers: { 'if-none-match': etag } })).status).to.equal(304);
    expect((await node.request('GET', '/api/dfc/feed?after=0', { headers: { 'if-none-match': '"old"' } })).status).to.equal(200);
  });

  it('a fragment past the head is empty and not immutable', async () => {
    const head = await node.store.feed.latestSeq(undefined, true);
    const response = await node.request('GET', `/api/dfc/feed?after=${head + 100}`, { headers: TURTLE });
    expect(response.status).to.equal(200);
    expect(objects(quads(response.text), feedUrl, `${TREE}member`)).to.deep.equal([]);
    expect(response.headers.get('cache-control')).to.not.include('immutable');
  });

  it('a new write appears as a new member after the head', async () => {
    const head = await node.store.feed.latestSeq('ferme');
    const put = await node.request('PUT', '/api/dfc/enterprises/ferme/catalog_items/tomate', {
      headers: { ...bearer(node.adminToken), 'content-type': 'application/json' }, body: JSON.stringify({ 'dfc-b:stockLimitation': 99 }),
    });
    expect(put.status).to.equal(200);
    const response = await node.request('GET', `/api/dfc/enterprises/ferme/feed?after=${head}`, { headers: TURTLE });
    const all = quads(response.text);
    const members = objects(all, `${node.base}/api/dfc/enterprises/ferme/feed`, `${TREE}member`);
    const versioned = members.flatMap((m) => objects(all, m, IS_VERSION_OF));
    expect(versioned).to.include(`${node.base}/api/dfc/enterprises/ferme/catalog_items/tomate`);
  });

  it('refuses an after that is not a sequence number ≥ 0, or given twice, with 400', async () => {
    for (const after of ['-1', 'abc', '1.5', '1&after=2']) {
      expect(expectProblem(await node.request('GET', `/api/dfc/feed?after=${after}`), 400).detail, after).to.include('after');
    }
    expectProblem(await node.request('GET', '/api/dfc/enterprises/ferme/feed?after=x'), 400);
  });
});
