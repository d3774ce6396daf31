/**
 * The federated catalogue under `/api/federation`, in-process, with a peer synced from a static server:
 * filters as query parameters, paging, representations (JSON-LD, Turtle, N-Quads with one graph per source),
 * CSV, statistics, 304, and every bad parameter (400) or page (404).
 */
import { expect } from 'chai';
import { Parser } from 'n3';
import { foldText } from '../../../ontology/fold.js';
import { CSV_COLUMNS, type TableRow } from '../../../server/federation/federation-service.js';
import { parseCsv } from '../../helpers/csv.js';
import { startFederated, type FederatedFixture } from '../../helpers/in-process.js';
import { expectProblem } from '../../helpers/write-api.js';

const OFFER = 'dfc-b:Offer';

function nodesOf(text: string): Record<string, unknown>[] {
  return (JSON.parse(text) as { '@graph': Record<string, unknown>[] })['@graph'];
}

describe('http: the federation routes', function () {
  let fixture: FederatedFixture;
  const get = (path: string, headers: Record<string, string> = {}) => fixture.node.request('GET', path, { headers });

  before(async () => {
    fixture = await startFederated();
  });
  after(async () => fixture.close());

  it('serves the federated catalogue as DFC JSON-LD: our offers and the peer’s, with their own ids', async () => {
    const response = await get('/api/federation/catalog');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/ld+json; charset=utf-8');
    expect(response.headers.get('cache-control')).to.equal('no-cache');
    const offers = nodesOf(response.text).filter((n) => n['@type'] === OFFER).map((n) => n['@id'] as string);
    expect(offers).to.have.length(6);
    expect(offers).to.include(`${fixture.node.base}/api/dfc/enterprises/ferme/offers/tomate`);
    expect(offers).to.include(`${fixture.peerServer.url}/api/dfc/enterprises/verger/offers/pommes`);
  });

  it('takes the filters as query parameters', async () => {
    const offers = async (query: string) => nodesOf((await get(`/api/federation/catalog?${query}`)).text)
      .filter((n) => n['@type'] === OFFER).map((n) => (n['@id'] as string).split('/').pop()).sort();
    expect(await offers('type=tomato')).to.deep.equal(['tomate', 'tomate-cerise']);
    expect(await offers('type=vegetable&in_stock=true&near=45.83,1.26&radius_km=30')).to.deep.equal(['carottes', 'tomate']);
    expect(await offers('q=cerises')).to.deep.equal(['tomate-cerise']);
    expect(await offers(`peer=${fixture.peer.id}&in_stock=false`)).to.deep.equal(['miel']);
    expect(await offers(`enterprise=${encodeURIComponent(`${fixture.node.base}/api/dfc/enterprises/ferme`)}&type=fruit`)).to.deep.equal([]);
  });

  it('refuses bad parameters with 400, and a page past the end with 404', async () => {
    for (const query of ['near=here', 'near=45,1&radius_km=-3', 'radius_km=3', 'in_stock=maybe', 'peer=someone', 'type=a&type=b',
      'page=0', 'page=x', 'page_size=0', 'page_size=10001']) {
      const response = await get(`/api/federation/catalog?${query}`);
      expectProblem(response, 400);
    }
    expect(expectProblem(await get('/api/federation/catalog?q=a&q=b'), 400).detail).to.equal('q must be given once');
    expectProblem(await get('/api/federation/catalog.csv?in_stock=1'), 400);
    expectProblem(await get('/api/federation/catalog?page=5&page_size=2'), 404);
    // A cursor it did not write (or not for this list, or beside a page number): a 400 saying why, never a 500.
    const cursor = (parts: unknown[]): string => Buffer.from(JSON.stringify(parts)).toString('base64url');
    for (const [query, why] of [['after=', 'empty'], ['after=%25%25', 'not base64url'], [`after=${cursor(['n', 1, 'a', 'b'])}`, 'not what this node writes'],
      [`after=${cursor(['o', 2, 5])}`, 'not one of the federated catalogue'], [`after=${cursor(['n', 2, 'a', 'b'])}&page=2`, 'not both'],
      [`after=${cursor(['n', 2, 'a', 'b'])}&q=tomate`, 'walk without q'], [`after=${cursor(['q', 2, 'AbCdEfGhIjKlMnOpQrSt_-', 3])}`, 'walk with q'], [`after=${cursor(['q', 2, 'AbCdEfGhIjKlMnOpQrSt_-', 3])}&q=tomate`, 'no longer kept']]) {
      expect(expectProblem(await get(`/api/federation/catalog?${query}`), why === 'no longer kept' ? 409 : 400).detail, query).to.include(why);
    }
  });

  it('refuses with 400 a filter written otherwise (type[]=, in_stok=, Type=, radius-km=) on every route, and leaves other parameters alone', async () => {
    for (const [route, query, meant] of [
      ['catalog', 'type[]=nonsense', 'type'], ['catalog', 'in_stock[]=true', 'in_stock'], ['catalog', 'q[]=zzz', 'q'], ['catalog', 'peer[0]=1', 'peer'],
      ['catalog', 'in_stok=true', 'in_stock'], ['catalog', 'Type=x', 'type'], ['catalog', 'radius-km=3', 'radius_km'], ['rows', 'sort[]=name', 'sort'],
      ['stats', 'near[]=45,1', 'near'], ['gaps', 'enterprize=x', 'enterprise'], ['catalog.csv', 'decimals=comma', 'decimal'], ['producers', 'max_point=3', 'max_points'],
      ['catalog', 'types=x', 'type'], ['rows', 'peers=1', 'peer'],
    ] as const) {
      const detail = expectProblem(await get(`/api/federation/${route}?${query}`), 400).detail;
      expect(detail, `${route}?${query}`).to.contain(`did you mean ${meant}?`);
    }
    // A newsletter's tracking parameters, or anything far from a filter, change nothing.
    const plain = await get('/api/federation/catalog');
    const tracked = await get('/api/federation/catalog?utm_source=newsletter&x=1&qs=1');
    expect(tracked.status).to.equal(200);
    expect(JSON.parse(tracked.text)['@graph']).to.deep.equal(JSON.parse(plain.text)['@graph']);
  });

  it('pages with Link headers and hydra links that keep the filters', async () => {
    const first = await get('/api/federation/catalog?in_stock=true&page_size=3');
    const link = first.headers.get('link') ?? '';
    expect(link).to.include('rel="next"').and.include('rel="first"').and.include('in_stock=true').and.include('page=2');
    expect(first.text).to.include('hydra:next');
    // The view of the first page is the URL as requested, with first, next and last.
    const view = nodesOf(first.text).find((n) => n['@type'] === 'hydra:PartialCollectionView');
    expect(view?.['@id']).to.match(/\/api\/federation\/catalog\?in_stock=true&page_size=3$/u);
    expect(view).to.include.keys('hydra:first', 'hydra:next', 'hydra:last');
    const second = await get('/api/federation/catalog?in_stock=true&page_size=3&page=2');
    expect(second.status).to.equal(200);
    expect(second.headers.get('link')).to.not.include('rel="next"');
    const ids = (text: string) => nodesOf(text).filter((n) => n['@type'] === OFFER).map((n) => n['@id']);
    expect([...ids(first.text), ...ids(second.text)]).to.have.length(4);
    const onSecond = ids(second.text);
    expect(ids(first.text).filter((id) => onSecond.includes(id))).to.deep.equal([]);
    const whole = await get('/api/federation/catalog?page_size=10');
    expect(whole.headers.get('link')).to.equal(null);
  });

  it('gives N-Quads with one named graph per source', async () => {
    const response = await get('/api/federation/catalog?type=tomato', { accept: 'application/n-quads' });
    expect(response.headers.get('content-type')).to.equal('application/n-quads; charset=utf-8');
    const quads = new Parser({ format: 'application/n-quads' }).parse(response.text);
    const graphs = new Set(quads.map((q) => q.graph.value));
    expect([...graphs].sort()).to.deep.equal([
      `${fixture.node.base}/api/dfc/enterprises/ferme`, `${fixture.node.base}/api/sync/peers/${fixture.peer.id}`,
    ].sort());
    const peerSubjects = quads.filter((q) => q.graph.value.endsWith(`/peers/${fixture.peer.id}`)).map((q) => q.subject.value);
    expect(peerSubjects).to.include(`${fixture.peerServer.url}/api/dfc/enterprises/verger/offers/tomate-cerise`);
  });

  it('gives N-Quads in the DFC profile asked for: 2.0 on dfc-v2, each source in its graph still', async () => {
    const V2 = 'http://w3id.org/dfc/ontology/v2.0.0/src/DFC_BusinessOntology.owl#';
    const V1 = 'https://github.com/datafoodconsortium/ontology/releases/latest/download/DFC_BusinessOntology.owl#';
    for (const [accept, ns, not] of [['application/n-quads; profile="dfc-v2"', V2, V1], ['application/n-quads', V1, V2]] as const) {
      const response = await get('/api/federation/catalog?type=tomato', { accept });
      const quads = new Parser({ format: 'application/n-quads' }).parse(response.text);
      const predicates = quads.map((q) => q.predicate.value).filter((p) => p.includes('DFC_BusinessOntology'));
      expect(predicates.length, accept).to.be.greaterThan(0);
      expect(predicates.every((p) => p.startsWith(ns)), accept).to.equal(true);
      expect(response.text.includes(not), accept).to.equal(false);
      expect(new Set(quads.map((q) => q.graph.value)).size, accept).to.equal(2);
    }
  });

  it('gives Turtle, and 406 for what it cannot produce', async () => {
    const turtle = await get('/api/federation/catalog?q=pommes', { accept: 'text/turtle' });
    expect(turtle.headers.get('content-type')).to.equal('text/turtle; charset=utf-8');
    expect(turtle.text).to.include(`<${fixture.peerServer.url}/api/dfc/enterprises/verger/offers/pommes>`);
    expectProblem(await get('/api/federation/catalog', { accept: 'image/png' }), 406);
  });

  it('answers 304 to a current If-None-Match, on the catalogue, the CSV and the statistics', async () => {
    for (const path of ['/api/federation/catalog', '/api/federation/catalog.csv', '/api/federation/stats']) {
      const first = await get(path);
      const etag = first.headers.get('etag') ?? '';
      expect(etag, path).to.match(/^"/u);
      expect((await get(path, { 'if-none-match': etag })).status, path).to.equal(304);
      expect((await get(path, { 'if-none-match': '*' })).status, path).to.equal(304);
      expect((await get(path, { 'if-none-match': '"other"' })).status, path).to.equal(200);
    }
  });

  it('serves the filtered catalogue as a CSV attachment', async () => {
    const response = await get('/api/federation/catalog.csv?type=tomato');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).to.equal('attachment; filename="federated-catalog.csv"');
    const table = parseCsv(response.text);
    expect(table).to.have.length(3);
    const source = CSV_COLUMNS.indexOf('source');
    expect(table.slice(1).map((line) => [line[0], line[source]]).sort()).to.deep.equal([['Tomates anciennes', 'local'], ['Tomates cerises', 'verger']]);
  });

  it('writes the CSV for the reader\'s spreadsheet: UTF-8 with a BOM; ";" and decimal commas in French, or as asked', async () => {
    const raw = async (query: string, headers: Record<string, string> = {}) => {
      const response = await fetch(`${fixture.node.url}/api/federation/catalog.csv?${query}`, { headers });
      expect(response.status).to.equal(200);
      const bytes = new Uint8Array(await response.arrayBuffer());
      // The byte order mark a spreadsheet needs to read UTF-8 (fetch's text() would hide it).
      expect([...bytes.slice(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
      expect(response.headers.get('vary')).to.equal('Accept, Accept-Language, Accept-Encoding');
      return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    };
    const column = (name: string): number => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
    const french = parseCsv(await raw('type=tomato', { 'Accept-Language': 'fr-FR,fr;q=0.9,en;q=0.5' }), ';');
    expect(french[0]).to.deep.equal([...CSV_COLUMNS]);
    const cerises = french.find((line) => line[0] === 'Tomates cerises') ?? [];
    expect(cerises[column('price')]).to.equal('3,5');
    expect(cerises[column('currency_code')]).to.equal('EUR');
    expect(cerises[column('product_type_label')]).to.equal('tomate cerise');
    expect(cerises[column('town')]).to.equal('Limoges');
    expect(cerises[column('unit')]).to.equal('Kilogram');
    expect(cerises[column('quantity')]).to.equal('1');
    expect(cerises[column('enterprise_name')]).to.equal('Verger de Brive');
    // English (or no preference): commas and points; both can be asked for.
    const english = parseCsv(await raw('type=tomato', { 'Accept-Language': 'en-GB' }));
    expect(english.find((line) => line[0] === 'Tomates cerises')?.[column('price')]).to.equal('3.5');
    expect(english.find((line) => line[0] === 'Tomates cerises')?.[column('product_type_label')]).to.equal('cherry tomato');
    const asked = parseCsv(await raw(`type=tomato&sep=${encodeURIComponent(';')}&decimal=point`), ';');
    expect(asked.find((line) => line[0] === 'Tomates cerises')?.[column('price')]).to.equal('3.5');
    const tabs = parseCsv(await raw('type=tomato&sep=tab&decimal=comma'), '\t');
    expect(tabs.find((line) => line[0] === 'Tomates cerises')?.[column('price')]).to.equal('3,5');
    // A comma in a field with sep=, is quoted; a decimal comma in a ','-separated file too.
    const quoted = await raw('type=tomato&sep=,&decimal=comma');
    expect(quoted).to.include('"3,5"');
    expect(parseCsv(quoted).find((line) => line[0] === 'Tomates cerises')?.[column('price')]).to.equal('3,5');
    for (const query of ['sep=|', 'sep=%3B%3B', 'decimal=virgule', 'sep=a&sep=b', 'sep=constructor', 'sep=__proto__', 'sep=toString']) {
      const response = await get(`/api/federation/catalog.csv?${query}`);
      expectProblem(response, 400);
    }
  });

  it('serves the statistics as JSON', async () => {
    const response = await get('/api/federation/stats');
    expect(response.headers.get('content-type')).to.equal('application/json; charset=utf-8');
    const stats = response.json<{ totals: Record<string, number>; bySource: { name: string }[]; byPostcodeArea: { area: string }[] }>();
    const stocked = (await get('/api/federation/rows?in_stock=true')).json<{ total: number }>().total;
    expect(stats.totals).to.deep.equal({ producers: 2, products: 6, offers: 6, inStock: stocked });
    expect(stats.bySource.map((s) => s.name)).to.deep.equal(['this node', 'verger']);
    expect(stats.byPostcodeArea.map((a) => a.area)).to.deep.equal(['19', '87']);
  });

  it('sorts /rows by each column both directions, as people read them, missing values last; refuses an unknown sort', async () => {
    type Page = { total: number; page: number; pageSize: number; rows: TableRow[] };
    for (const language of ['en', 'fr']) {
      for (const key of ['name', 'typeLabel', 'price', 'stock', 'enterpriseName', 'city', 'postcode', 'sourceName'] as const) {
        for (const sign of ['', '-']) {
          const response = await get(`/api/federation/rows?sort=${sign}${key}`, { 'accept-language': language });
          expect(response.status, `${sign}${key}`).to.equal(200);
          const { rows, total } = response.json<Page>();
          expect(rows, `${sign}${key}`).to.have.length(total);
          const values = rows.map((r) => r[key]);
          const present = values.filter((v) => v !== null);
          // Missing values last, whichever the direction.
          expect(values.slice(present.length).every((v) => v === null), `${sign}${key} ${language}`).to.equal(true);
          const comparable = present.map((v) => (typeof v === 'number' ? v : foldText(String(v))));
          const sorted = [...comparable].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          expect(comparable, `${sign}${key} ${language}`).to.deep.equal(sign === '-' ? sorted.reverse() : sorted);
        }
      }
    }
    // The stock of the carrots is on demand (null): last both ways.
    for (const sort of ['stock', '-stock']) expect((await get(`/api/federation/rows?sort=${sort}`)).json<Page>().rows.at(-1)?.name, sort).to.equal('Carottes des sables');
    for (const query of ['sort=bogus', 'sort=-bogus', 'sort=--name', 'sort=name&sort=price', 'sort=', 'sort=type']) {
      expect(expectProblem(await get(`/api/federation/rows?${query}`), 400).detail, query).to.match(/^sort must be/u);
    }
  });

  it('pages /rows down to the 50,000th row (an empty page past the end), and refuses a page beyond with a 400', async () => {
    type Page = { total: number; page: number; rows: { name: string }[] };
    const pages = [1, 2, 3].map(async (page) => (await get(`/api/federation/rows?page=${page}&page_size=2&sort=-price`)).json<Page>());
    const together = (await Promise.all(pages)).flatMap((p) => p.rows.map((r) => r.name));
    const whole = (await get('/api/federation/rows?sort=-price')).json<Page>().rows.map((r) => r.name);
    expect(together).to.deep.equal(whole);
    expect(whole).to.have.length(6);
    const last = await get('/api/federation/rows?page=2000');
    expect(last.status).to.equal(200);
    expect(last.json<Page>()).to.include({ total: 6, page: 2000 });
    expect(last.json<Page>().rows).to.deep.equal([]);
    expect(expectProblem(await get('/api/federation/rows?page=2001'), 400).detail).to.include('page 2000 at most');
    // Counted in rows: a larger page goes no deeper.
    expect((await get('/api/federation/rows?page=100&page_size=500')).status).to.equal(200);
    expect(expectProblem(await get('/api/federation/rows?page=101&page_size=500'), 400).detail).to.include('page 100 at most');
    expect((await get('/api/federation/rows?page=50000&page_size=1')).status).to.equal(200);
    expectProblem(await get('/api/federation/rows?page=50001&page_size=1'), 400);
    expectProblem(await get('/api/federation/rows?page_size=501'), 400);
  });

  it('gives a map its producers one by one up to max_points, their towns beyond, every producer counted', async () => {
    type Map = { total: number; producers?: { iri: string }[]; towns?: { producers: number; offers: number; label: string | null }[] };
    const each = (await get('/api/federation/producers?max_points=10')).json<Map>();
    expect(each.total).to.equal(2);
    expect(each.producers).to.have.length(2);
    expect(each.towns).to.equal(undefined);
    const byTown = (await get('/api/federation/producers?max_points=1')).json<Map>();
    expect(byTown.total).to.equal(2);
    expect(byTown.producers).to.equal(undefined);
    expect(byTown.towns?.reduce((n, t) => n + t.producers, 0)).to.equal(2);
    expect(byTown.towns?.reduce((n, t) => n + t.offers, 0)).to.equal(6);
    for (const bad of ['-1', '2001', 'x', '1.5']) expectProblem(await get(`/api/federation/producers?max_points=${bad}`), 400);
  });

  it('lists the towns under /places, whose labels near= takes back', async () => {
    const response = await get('/api/federation/places');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/json; charset=utf-8');
    const { places } = response.json<{ places: { label: string; lat: number; lon: number; producers: number }[] }>();
    expect(places.map((p) => [p.label, p.lat, p.lon, p.producers])).to.deep.equal([['Limoges (19100)', 45.16, 1.53, 1], ['Limoges (87000)', 45.83, 1.26, 1]]);
    const around = await get(`/api/federation/rows?near=${encodeURIComponent('Limoges (19100)')}&radius_km=5`);
    expect(around.json<{ rows: { sourceName: string }[] }>().rows.map((r) => r.sourceName)).to.deep.equal(['verger', 'verger', 'verger']);
    expect((await get('/api/federation/stats?near=87000&radius_km=5')).json<{ totals: { offers: number } }>().totals.offers).to.equal(3);
    // This node's own Limoges (87000), though a peer's town of that name is listed too.
    const local = await get('/api/federation/rows?near=Limoges&radius_km=5');
    expect(local.json<{ rows: { sourceName: string }[] }>().rows.map((r) => r.sourceName)).to.deep.equal(['this node', 'this node', 'this node']);
  });

  it('tells what the territory lacks under /gaps', async () => {
    const response = await get('/api/federation/gaps?near=45.83,1.26&radius_km=10');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/json; charset=utf-8');
    const body = response.json<{ near: { lat: number; lon: number }; radiusKm: number; gaps: { type: string; nearestKm: number | null; producersElsewhere: number }[] }>();
    expect(body).to.include({ radiusKm: 10 });
    expect(body.near).to.deep.equal({ lat: 45.83, lon: 1.26 });
    expect(body.gaps.find((g) => g.type === 'dfc-pt:honey')).to.include({ producersElsewhere: 1 });
    expect(body.gaps.find((g) => g.type === 'dfc-pt:honey')?.nearestKm).to.be.within(75, 80);
    expect(body.gaps.find((g) => g.type === 'dfc-pt:bakery')).to.include({ nearestKm: null, producersElsewhere: 0 });
    expect(body.gaps.find((g) => g.type === 'dfc-pt:tomato')).to.equal(undefined);
    const town = (await get(`/api/federation/gaps?near=${encodeURIComponent('Limoges (87000)')}&radius_km=10`)).json<typeof body>();
    expect(town.gaps).to.deep.equal(body.gaps);
    // A form's empty fields are absent.
    const form = await get('/api/federation/gaps?near=45.83,1.26&radius_km=10&type=&q=&peer=&enterprise=');
    expect(form.status, form.text).to.equal(200);
    expect(form.json<typeof body>().gaps).to.deep.equal(body.gaps);
  });

  it('refuses a bad /gaps query, and a bad near= or radius_km= on every route, with a 400 problem', async () => {
    for (const query of ['', 'radius_km=10', 'near=', 'near=here', 'near=95,1', 'near=45,1&radius_km=-3', 'near=45,1&radius_km=far',
      'near=45,1&radius_km=30000', 'near=45,1&type=tomato', 'near=45,1&q=miel', 'near=45,1&near=46,1', 'near=45,1&in_stock=maybe',
      'near=45,1&peer=someone']) {
      expectProblem(await get(`/api/federation/gaps?${query}`), 400);
    }
    for (const query of ['near=here', 'near=45,1&radius_km=0', 'near=Atlantis']) {
      expectProblem(await get(`/api/federation/rows?${query}`), 400);
      expectProblem(await get(`/api/federation/producers?${query}`), 400);
      expectProblem(await get(`/api/federation/stats?${query}`), 400);
    }
  });

  it('answers 304 to a current If-None-Match on /rows, /producers, /places and /gaps', async () => {
    for (const path of ['/api/federation/rows?sort=-price', '/api/federation/producers', '/api/federation/places', '/api/federation/gaps?near=87000']) {
      const first = await get(path);
      expect(first.status, path).to.equal(200);
      const etag = first.headers.get('etag') ?? '';
      expect(etag, path).to.match(/^(W\/)?"/u);
      expect((await get(path, { 'if-none-match': etag })).status, path).to.equal(304);
      expect((await get(path, { 'if-none-match': '"other"' })).status, path).to.equal(200);
    }
    // Another answer, another tag.
    const a = (await get('/api/federation/gaps?near=87000&radius_km=10')).headers.get('etag');
    const b = (await get('/api/federation/gaps?near=87000&radius_km=100')).headers.get('etag');
    expect(a).to.not.equal(b);
  });
});
