/**
 * The media type a response says is the one negotiation chose, on the WebID and the change feed too (not
 * `application/ld+json` to a client that refused it), and a 406 says it depends on `Accept`.
 */
import { expect } from 'chai';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

describe('http: the media type served is the one chosen', () => {
  let node: InProcessNode;
  before(async () => {
    node = await startInProcess();
    await node.seed('ferme');
  });
  after(async () => node?.close());

  for (const path of ['/api/dfc/webid', '/api/dfc/feed', '/api/dfc/enterprises/ferme/feed', '/api/dfc/enterprises/ferme/catalog_items']) {
    it(`${path}: application/json when ld+json is refused or json preferred; never a refused type`, async () => {
      const refused = await node.request('GET', path, { headers: { accept: 'application/ld+json;q=0, */*;q=0.1' } });
      expect(refused.status).to.equal(200);
      expect(refused.headers.get('content-type')).to.match(/^(application\/json|text\/turtle|application\/n-triples|application\/n-quads)\b/u);
      const json = await node.request('GET', path, { headers: { accept: 'application/json' } });
      expect(json.status).to.equal(200);
      expect(json.headers.get('content-type')).to.match(/^application\/json\b/u);
      expect(JSON.parse(json.text)).to.have.property('@context');
      const ld = await node.request('GET', path, { headers: { accept: 'application/ld+json' } });
      expect(ld.headers.get('content-type')).to.match(/^application\/ld\+json\b/u);
    });
  }

  it('a 406 varies by Accept', async () => {
    const refused = await node.request('GET', '/api/dfc/webid', { headers: { accept: 'text/html' } });
    expect(refused.status).to.equal(406);
    expect((refused.headers.get('vary') ?? '').split(',').map((t) => t.trim().toLowerCase())).to.include('accept');
  });
});
