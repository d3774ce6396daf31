/**
 * Two peers on one origin (two paths of one host) are both that origin's word, and the lower peer id wins between
 * them: an enterprise both describe has the lower one's name in every view (the offers' rows, the CSV, the DFC
 * catalogue, the producers, `enterprise=<name>`), whichever synced first, and follows it when it renames it. Before,
 * the DFC catalogue showed the last synced copy and each peer's rows its own, so one IRI had two names.
 */
import { expect } from 'chai';
import type { PeerRow } from '../../../server/store/federation.js';
import { parseCsv } from '../../helpers/csv.js';
import { startStaticPeer, type StaticPeer } from '../../helpers/fake-peer.js';
import { startInProcess, type InProcessNode } from '../../helpers/in-process.js';

const CTX = 'https://w3id.org/dfc/ontology/context/context_1.16.0.json';

/** A catalogue of the shared host: its farm (one IRI for both), named `name` in `city`, and one product of its own. */
function catalogue(origin: string, name: string, slug: string, city = slug === 'victim' ? 'Limoges' : 'Paris'): string {
  const e = `${origin}/ent/farm`;
  const [lat, lon] = city === 'Limoges' ? [45.83, 1.26] : [48.85, 2.35];
  return JSON.stringify({ '@context': CTX, '@graph': [
    { '@id': e, '@type': 'dfc-b:Enterprise', 'dfc-b:name': name, 'dfc-b:hasAddress': `${origin}/addr/${slug}` },
    { '@id': `${origin}/addr/${slug}`, '@type': 'dfc-b:Address', 'dfc-b:hasCity': city, 'dfc-b:latitude': lat, 'dfc-b:longitude': lon },
    { '@id': `${origin}/p/${slug}`, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': `${slug} carrots`, 'dfc-b:suppliedBy': e },
    { '@id': `${origin}/ci/${slug}`, '@type': 'dfc-b:CatalogItem', 'dfc-b:references': `${origin}/p/${slug}`, 'dfc-b:stockLimitation': 10,
      'dfc-b:offeredThrough': `${origin}/o/${slug}`, 'dfc-b:managedBy': e },
    { '@id': `${origin}/o/${slug}`, '@type': 'dfc-b:Offer', 'dfc-b:offers': `${origin}/ci/${slug}`,
      'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 2, 'dfc-b:hasUnit': 'dfc-m:Euro' } },
  ] });
}

describe('federation: two peers on one origin name an enterprise by the lower peer id\'s word', function () {
  this.timeout(30_000);

  for (const order of ['lower first', 'higher first'] as const) {
    describe(`synced ${order}`, () => {
      let node: InProcessNode;
      let host: StaticPeer;
      let farm: string;
      let lower: PeerRow;

      before(async () => {
        node = await startInProcess();
        host = await startStaticPeer((origin) => ({
          '/victim/ci': { contentType: 'application/ld+json', body: catalogue(origin, 'Victim Farm', 'victim') },
          '/good/ci': { contentType: 'application/ld+json', body: catalogue(origin, 'Good Farm', 'good') },
        }));
        farm = `${host.url}/ent/farm`;
        lower = await node.store.provenance.addPeer({ name: 'victim', url: `${host.url}/victim/ci` }, host.url);
        const higher = await node.store.provenance.addPeer({ name: 'good', url: `${host.url}/good/ci` }, host.url);
        expect(lower.id).to.be.lessThan(higher.id);
        for (const peer of order === 'lower first' ? [lower, higher] : [higher, lower]) {
          const outcome = await node.scheduler.syncOne(peer);
          expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
        }
      });
      after(async () => {
        await node.close();
        await host.close();
      });

      /** The name of the farm in every view, each view's names in a set. */
      async function names(): Promise<Record<string, string[]>> {
        const rows = (await node.request('GET', '/api/federation/rows?page_size=100'))
          .json<{ rows: { enterprise: string | null; enterpriseName: string | null; city: string | null }[] }>().rows;
        const [head, ...lines] = parseCsv((await node.request('GET', '/api/federation/catalog.csv')).text);
        const at = (column: string): number => (head ?? []).indexOf(column);
        const csv = lines.filter((l) => l[at('enterprise')] === farm).map((l) => l[at('enterprise_name')] ?? '');
        const response = await node.request('GET', '/api/federation/catalog?page_size=100', { headers: { accept: 'application/ld+json' } });
        const decoded = await node.decoder.decode(response.text, { mediaType: 'application/ld+json' });
        const dfc = decoded.records.flatMap((r) => (r.kind === 'Enterprise' && r.id === farm ? [r.name ?? ''] : []));
        const producers = (await node.request('GET', '/api/federation/producers')).json<{ producers: { iri: string; name: string; city: string }[] }>().producers;
        const set = (list: readonly string[]): string[] => [...new Set(list)].sort();
        return {
          rows: set(rows.filter((r) => r.enterprise === farm).map((r) => `${r.enterpriseName ?? ''}, ${r.city ?? ''}`)), csv: set(csv), dfc: set(dfc),
          producers: set(producers.filter((p) => p.iri === farm).map((p) => `${p.name}, ${p.city}`)),
        };
      }

      it('names the farm as the lower peer id says it in every view', async () => {
        expect(await names()).to.deep.equal({ rows: ['Victim Farm, Limoges'], csv: ['Victim Farm'], dfc: ['Victim Farm'], producers: ['Victim Farm, Limoges'] });
        // Both peers' items are the farm's, found by its one name.
        const found = (await node.request('GET', `/api/federation/rows?enterprise=${encodeURIComponent('Victim Farm')}`)).json<{ rows: { name: string }[] }>();
        expect(found.rows.map((r) => r.name).sort()).to.deep.equal(['good carrots', 'victim carrots']);
      });

      it('follows the lower peer id when it renames the farm', async () => {
        host.files.set('/victim/ci', { contentType: 'application/ld+json', body: catalogue(host.url, 'Victim Farm renamed', 'victim') });
        const outcome = await node.scheduler.syncOne((await node.store.provenance.getPeer(lower.id)) ?? lower);
        expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
        const now = await names();
        expect(now).to.deep.equal({ rows: ['Victim Farm renamed, Limoges'], csv: ['Victim Farm renamed'], dfc: ['Victim Farm renamed'],
          producers: ['Victim Farm renamed, Limoges'] });
      });

      it('gives the higher peer id its own word back at once when the lower one is removed', async () => {
        expect(await node.store.provenance.removePeer(lower.id)).to.equal(true);
        expect(await names()).to.deep.equal({ rows: ['Good Farm, Paris'], csv: ['Good Farm'], dfc: ['Good Farm'], producers: ['Good Farm, Paris'] });
      });
    });
  }
});
