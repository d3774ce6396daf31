/**
 * One peer cannot move a town for everyone, nor make a local name ambiguous: twenty enterprises of one peer saying
 * "Limoges 87000" at Paris's coordinates moved Limoges (a town was the mean of its producers), so `near=Limoges`
 * looked around Paris; a peer's town "Limoges 99999", or an enterprise named as this node's, turned `near=Limoges`
 * and `enterprise=<name>` into a 400 for everyone. This node's own producers now place a town where they are, else
 * each source counts once (its centre, then the median of the sources); an ambiguous name means this node's own
 * when one of the candidates is. Between peers alone, a name stays ambiguous.
 */
import { expect } from 'chai';
import { BadRequestHttpError } from '../../../server/errors/http-error.js';
import { startStaticPeer, type StaticPeer } from '../../helpers/fake-peer.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

const CTX = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';
const PARIS = [48.85, 2.35] as const;

/** `count` enterprises of a peer at `path`, each with one offer, all in `city` (`postcode`) at `at`, named `name i`. */
function shops(base: string, count: number, city: string, postcode: string, at: readonly [number, number], name: string): string {
  const graph: object[] = [];
  for (let i = 0; i < count; i++) {
    const e = `${base}/ent/${i}`;
    graph.push(
      { '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': count === 1 ? name : `${name} ${i}`, 'dfc-b:hasAddress': `${base}/addr/${i}` },
      { '@id': `${base}/addr/${i}`, '@type': 'dfc-b:Address', 'dfc-b:hasCity': city, 'dfc-b:hasPostalCode': postcode, 'dfc-b:latitude': at[0], 'dfc-b:longitude': at[1] },
      { '@id': `${base}/p/${i}`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': `${name} item ${i}`, 'dfc-b:suppliedBy': e },
      { '@id': `${base}/ci/${i}`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${base}/p/${i}`, 'dfc-b:stockLimitation': 1,
        'dfc-b:offeredThrough': `${base}/o/${i}`, 'dfc-b:managedBy': e },
      { '@id': `${base}/o/${i}`, '@type': 'dfc-b:Offer', 'dfc-b:offers': `${base}/ci/${i}`,
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 1, 'dfc-b:hasUnit': 'dfc-m:Euro' } },
    );
  }
  return JSON.stringify({ '@context': CTX, '@graph': graph });
}

describe('federation: one peer cannot move a town or make a local name ambiguous', function () {
  this.timeout(30_000);
  let node: InProcessNode;
  let host: StaticPeer;

  before(async () => {
    node = await startInProcess();
    await node.seed('ferme'); // "Ferme ferme", Limoges (87000), at 45.83,1.26
    host = await startStaticPeer((origin) => {
      const file = (body: string) => ({ contentType: 'application/ld+json', body });
      return {
        // Twenty shops "in Limoges" at Paris, and twenty "in Tulle" at Paris too.
        '/movetown/ci': file(shops(`${origin}/movetown`, 20, 'Limoges', '87000', PARIS, 'Paris shop')),
        '/movetulle/ci': file(shops(`${origin}/movetulle`, 20, 'Tulle', '19000', PARIS, 'Paris stall')),
        // Two honest peers in Tulle, and two towns of one name in two peers (neither this node's).
        '/tulle-a/ci': file(shops(`${origin}/tulle-a`, 1, 'Tulle', '19000', [45.27, 1.77], 'Tulle A')),
        '/tulle-b/ci': file(shops(`${origin}/tulle-b`, 2, 'Tulle', '19000', [45.26, 1.76], 'Tulle B')),
        '/brive-a/ci': file(shops(`${origin}/brive-a`, 1, 'Brive', '19100', [45.16, 1.53], 'Brive A')),
        '/brive-b/ci': file(shops(`${origin}/brive-b`, 1, 'Brive', '19101', [45.15, 1.52], 'Brive B')),
        // A homonym of this node's farm, in a town of this node's name with another postcode.
        '/ambig/ci': file(shops(`${origin}/ambig`, 1, 'Limoges', '99999', [43.3, 5.4], 'Ferme ferme')),
      };
    });
    for (const path of ['movetown', 'movetulle', 'tulle-a', 'tulle-b', 'brive-a', 'brive-b', 'ambig']) {
      const peer = await node.store.provenance.addPeer({ name: path, url: `${host.url}/${path}/ci` }, host.url);
      const outcome = await node.scheduler.syncOne(peer);
      expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
    }
  });
  after(async () => {
    await node.close();
    await host.close();
  });

  const service = () => node.federation;
  const place = async (label: string) => (await service().places()).find((p) => p.label === label);
  const sources = async (near: string): Promise<string[]> =>
    [...new Set((await service().rows(await service().query({ near, radiusKm: '10' }))).map((r) => (r.peerId === null ? 'local' : 'peer')))].sort();

  it('places a town where this node\'s own producers are, whatever a peer says of it', async () => {
    expect(await place('Limoges (87000)')).to.deep.include({ lat: 45.83, lon: 1.26, producers: 21 });
    expect(await sources('Limoges (87000)')).to.deep.equal(['local']);
    // The map by towns too.
    const map = await service().map({}, 1);
    if (!('towns' in map)) return expect.fail('expected towns');
    expect(map.towns.find((t) => t.label === 'Limoges (87000)')).to.deep.include({ lat: 45.83, lon: 1.26, producers: 21 });
  });

  it('counts each source once where this node has no producer: the median of the sources\' centres', async () => {
    const tulle = await place('Tulle (19000)');
    expect(tulle?.producers).to.equal(23);
    // Sources' centres: 45.27 and 45.26 (honest), 48.85 (twenty at Paris): the median is an honest one.
    expect(tulle).to.deep.include({ lat: 45.27, lon: 1.77 });
    const map = await service().map({}, 1);
    if (!('towns' in map)) return expect.fail('expected towns');
    expect(map.towns.find((t) => t.label === 'Tulle (19000)')).to.deep.include({ lat: 45.27, lon: 1.77 });
  });

  it('takes this node\'s town for a name a peer\'s town shares', async () => {
    expect(await sources('Limoges')).to.deep.equal(['local']);
  });

  it('takes this node\'s enterprise for a name a peer\'s enterprise shares', async () => {
    const ferme = `${node.base}/api/dfc/enterprises/ferme`;
    const rows = await service().rows(await service().query({ enterprise: 'Ferme ferme' }));
    expect([...new Set(rows.map((r) => r.enterpriseIri))]).to.deep.equal([ferme]);
  });

  it('still finds a name of two peers\' towns, neither this node\'s, ambiguous', async () => {
    let caught: unknown;
    await service().query({ near: 'Brive' }).catch((e: unknown) => { caught = e; });
    expect(caught).to.be.instanceOf(BadRequestHttpError);
    expect((caught as BadRequestHttpError).message).to.match(/several/u);
  });
});
