/**
 * The write side of the DFC API, against a real node on loopback: creating enterprises and products in every
 * wire shape, replacing and deleting products, Open Food Network's stock and price updates, If-Match, and every
 * rejection (each answered with a problem document and leaving the store exactly as it was).
 */
import { expect } from 'chai';
import { Parser } from 'n3';
import type { EnterpriseRecord, OfferRecord } from '../../ontology/records.js';
import { startTestNode, type TestNode, type TestResponse } from '../helpers/node.js';
import {
  api, bearer, bigProduct, byId, catalogueDump, CONTEXT, created, DFC_B, DFC_M, enterpriseBody, EURO, expectCodecProblems, expectProblem, flatProduct,
  getItem, getOffer, getProduct, getRecords, iri, JSON_TYPE, JSONLD, nestedProduct, snapshot, TURTLE, turtleProduct, wireNode,
  type ProductSpec,
} from '../helpers/write-api.js';

const A = 'ferme-des-trois-chenes';
const FOREIGN = 'https://ofn.example/api/dfc/enterprises/3102';
const OWL_SAME_AS = 'http://www.w3.org/2002/07/owl#sameAs';

describe('write API (real node)', () => {
  let t: TestNode;
  let admin: Record<string, string>;
  let n = 0;
  /** A fresh name, so that every test works on its own product. */
  const fresh = (stem: string): string => `${stem} ${++n}`;

  /** Creates a product in A through the API (admin token), returning its ids. */
  const createProduct = async (spec: ProductSpec = {}): Promise<{ product: string; item: string; offer: string }> => {
    const response = await t.request('POST', api(A, 'supplied_products'), {
      headers: { ...admin, ...JSONLD },
      body: JSON.stringify(nestedProduct({ name: fresh('Produit'), ...spec })),
    });
    return created(t, response);
  };

  const put = (path: string, body: unknown, headers: Record<string, string> = JSON_TYPE): Promise<TestResponse> =>
    t.request('PUT', path, { headers: { ...admin, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  const pathOf = (id: string): string => id.slice(t.base.length);

  before(async () => {
    t = await startTestNode();
    await t.seed(A);
    admin = bearer(t.adminToken);
  });
  after(() => t.close());

  // ------------------------------------------------------------------ enterprises

  describe('POST /api/dfc/enterprises and PUT /api/dfc/enterprises/{eid}', () => {
    const eid = 'les-jardins-de-beaulieu';
    let location: string;

    before(async () => {
      const response = await t.request('POST', '/api/dfc/enterprises', {
        headers: { ...admin, ...JSONLD },
        body: JSON.stringify(enterpriseBody({ name: 'Les Jardins de Beaulieu', description: 'Maraîchers en agriculture biologique.' })),
      });
      expect(response.status, response.text).to.equal(201);
      location = response.headers.get('location') ?? '';
    });

    it('creates an enterprise from a DFC Enterprise document: 201 with a Location under /enterprises/', async () => {
      expect(location).to.equal(iri(t, api(eid)));
      const records = await getRecords(t, api(eid));
      const enterprise = byId(records, location, 'Enterprise');
      expect(enterprise.name).to.equal('Les Jardins de Beaulieu');
      expect(enterprise.description).to.equal('Maraîchers en agriculture biologique.');
      expect(enterprise.email).to.equal('contact@example.org');
      expect(enterprise.address).to.equal(iri(t, `/api/dfc/addresses/${eid}`));
      expect(enterprise.mainContact).to.equal(iri(t, `/api/dfc/persons/${eid}`));
      expect(byId(records, enterprise.address ?? '', 'Address').city).to.equal('Limoges');
      expect(byId(records, enterprise.mainContact ?? '', 'Person').familyName).to.equal('Martin');
      const address = await t.request('GET', `/api/dfc/addresses/${eid}`);
      expect(address.status).to.equal(200);
      const listed = await getRecords(t, '/api/dfc/enterprises');
      expect(listed.some((r) => r.id === location)).to.equal(true);
    });

    it('refuses a duplicate with 409 and changes nothing', async () => {
      const before = await snapshot(t, eid);
      const response = await t.request('POST', '/api/dfc/enterprises', {
        headers: { ...admin, ...JSONLD },
        body: JSON.stringify(enterpriseBody({ name: 'Les Jardins de Beaulieu', description: 'Un doublon.' })),
      });
      expectProblem(response, 409);
      expect(await snapshot(t, eid)).to.equal(before);
    });

    it('refuses a duplicate named by its @id with 409', async () => {
      const before = await snapshot(t, A);
      const response = await t.request('POST', '/api/dfc/enterprises', {
        headers: { ...admin, ...JSONLD },
        body: JSON.stringify(enterpriseBody({ id: iri(t, api(A)), name: 'Autre ferme' })),
      });
      expectProblem(response, 409);
      expect(await snapshot(t, A)).to.equal(before);
    });

    it('keeps the @id an enterprise had elsewhere (Open Food Network\'s) as owl:sameAs, once, and none for a placeholder', async () => {
      const ofn = 'https://ofn.example/api/dfc/enterprises/7';
      const posted = await t.request('POST', '/api/dfc/enterprises', {
        headers: { ...admin, ...JSONLD }, body: JSON.stringify(enterpriseBody({ id: ofn, name: 'Ferme du Pré' })),
      });
      expect(posted.status, posted.text).to.equal(201);
      const own = posted.headers.get('location') as string;
      const sameAs = async (): Promise<unknown> => byId(await getRecords(t, own.slice(t.base.length)), own, 'Enterprise').extra?.[OWL_SAME_AS];
      expect(await sameAs()).to.deep.equal([{ '@id': ofn }]);
      // Sent again under its first @id, with what the node wrote: still one.
      const again = enterpriseBody({ id: ofn, name: 'Ferme du Pré' }) as { '@graph': Record<string, unknown>[] };
      (again['@graph'][0] as Record<string, unknown>)['owl:sameAs'] = { '@id': ofn };
      (again as Record<string, unknown>)['@context'] = [CONTEXT, { owl: 'http://www.w3.org/2002/07/owl#' }];
      const put = await t.request('PUT', own.slice(t.base.length), { headers: { ...admin, ...JSONLD }, body: JSON.stringify(again) });
      expect(put.status, put.text).to.equal(200);
      expect(await sameAs()).to.deep.equal([{ '@id': ofn }]);
      const placeholder = await t.request('POST', '/api/dfc/enterprises', {
        headers: { ...admin, ...JSONLD }, body: JSON.stringify(enterpriseBody({ id: '#', name: 'Ferme du Placeholder' })),
      });
      expect(placeholder.status, placeholder.text).to.equal(201);
      const minted = placeholder.headers.get('location') as string;
      expect(byId(await getRecords(t, minted.slice(t.base.length)), minted, 'Enterprise').extra?.[OWL_SAME_AS]).to.equal(undefined);
    });

    it('PUT with a WriteEnterprise token of that enterprise updates the name and the description', async () => {
      const token = await t.token(eid, ['WriteEnterprise']);
      const response = await t.request('PUT', api(eid), {
        headers: { ...bearer(token), ...JSONLD },
        body: JSON.stringify(enterpriseBody({ id: location, name: 'GAEC Les Jardins de Beaulieu', description: 'Légumes et petits fruits.' })),
      });
      expect(response.status, response.text).to.equal(200);
      const records = await getRecords(t, api(eid));
      const enterprise = byId(records, location, 'Enterprise');
      expect(enterprise.name).to.equal('GAEC Les Jardins de Beaulieu');
      expect(enterprise.description).to.equal('Légumes et petits fruits.');
      expect(enterprise.address).to.equal(iri(t, `/api/dfc/addresses/${eid}`));
      expect((await t.node.store.getEnterprise(eid))?.name).to.equal('GAEC Les Jardins de Beaulieu');
    });

    it('PUT keeps the social media an enterprise names and describes (Open Food Network names them), in every format, and reads back as sent', async () => {
      const facebook = 'https://ofn.example/api/dfc/enterprises/7/social_medias/facebook';
      const instagram = 'https://ofn.example/api/dfc/enterprises/7/social_medias/instagram';
      const body = {
        '@context': CONTEXT,
        '@graph': [
          {
            '@id': location, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Jardins de Beaulieu',
            'dfc-b:hasSocialMedia': [facebook, { '@id': instagram }],
          },
          { '@id': facebook, '@type': 'dfc-b:SocialMedia', 'dfc-b:name': 'facebook', 'dfc-b:URL': 'https://www.facebook.com/beaulieu', 'dfc-b:socialMediaOf': location },
          { '@id': instagram, '@type': 'dfc-b:SocialMedia', 'dfc-b:name': 'instagram', 'dfc-b:URL': 'https://www.instagram.com/beaulieu' },
        ],
      };
      const response = await t.request('PUT', api(eid), { headers: { ...admin, ...JSONLD }, body: JSON.stringify(body) });
      expect(response.status, response.text).to.equal(200);
      const read = await t.request('GET', api(eid), { headers: { ...admin, accept: 'application/ld+json' } });
      const enterprise = (JSON.parse(read.text) as { '@graph': Record<string, unknown>[] })['@graph'].find((n) => n['@id'] === location) as Record<string, unknown>;
      expect(enterprise['dfc-b:hasSocialMedia']).to.deep.equal([
        { '@id': facebook, '@type': 'dfc-b:SocialMedia', 'dfc-b:name': 'facebook', 'dfc-b:URL': 'https://www.facebook.com/beaulieu', 'dfc-b:socialMediaOf': location },
        { '@id': instagram, '@type': 'dfc-b:SocialMedia', 'dfc-b:name': 'instagram', 'dfc-b:URL': 'https://www.instagram.com/beaulieu' },
      ]);
      // Turtle names the node and says what it is.
      const turtle = await t.request('GET', api(eid), { headers: { ...admin, accept: 'text/turtle' } });
      const quads = new Parser({ format: 'text/turtle' }).parse(turtle.text);
      const about = (subject: string) => quads.filter((q) => q.subject.value === subject).map((q) => `${q.predicate.value} ${q.object.value}`).sort();
      expect(about(facebook)).to.deep.equal([
        `http://www.w3.org/1999/02/22-rdf-syntax-ns#type ${DFC_B}SocialMedia`,
        `${DFC_B}URL https://www.facebook.com/beaulieu`, `${DFC_B}name facebook`, `${DFC_B}socialMediaOf ${location}`,
      ]);
      expect(quads.some((q) => q.subject.value === location && q.predicate.value === `${DFC_B}hasSocialMedia` && q.object.value === facebook)).to.equal(true);
      // What was read, sent back, is the same profile.
      const again = await t.request('PUT', api(eid), { headers: { ...admin, ...JSONLD }, body: read.text });
      expect(again.status, again.text).to.equal(200);
      const reread = await t.request('GET', api(eid), { headers: { ...admin, accept: 'application/ld+json' } });
      expect(JSON.parse(reread.text)).to.deep.equal(JSON.parse(read.text));
    });

    it('PUT embeds each described node once: nodes that all link to one another are stored as large as sent, not copied at every link', async () => {
      const n = 14;
      const media = Array.from({ length: n }, (_, i) => `https://ofn.example/api/dfc/enterprises/7/social_medias/m${i}`);
      const body = JSON.stringify({
        '@context': CONTEXT,
        '@graph': [
          { '@id': location, '@type': 'dfc-b:Enterprise', 'dfc-b:name': 'Jardins de Beaulieu', 'dfc-b:hasSocialMedia': media },
          ...media.map((id, i) => ({ '@id': id, '@type': 'dfc-b:SocialMedia', 'dfc-b:name': `m${i}`, 'https://example.org/see': media.filter((m) => m !== id).map((m) => ({ '@id': m })) })),
        ],
      });
      const response = await t.request('PUT', api(eid), { headers: { ...admin, ...JSONLD }, body });
      expect(response.status, response.text).to.equal(200);
      const read = await t.request('GET', api(eid), { headers: { ...admin, accept: 'application/ld+json' } });
      // It was 13 MB for this 8 KB document.
      expect(read.text.length).to.be.below(4 * body.length);
      const nodes = JSON.stringify(JSON.parse(read.text));
      for (const id of media) expect(nodes.split(`"@id":"${id}","@type":"dfc-b:SocialMedia"`), id).to.have.length(2);
    });

    it('PUT with the admin token works too', async () => {
      const response = await t.request('PUT', api(eid), {
        headers: { ...admin, ...JSONLD },
        body: JSON.stringify(enterpriseBody({ id: location, name: 'Jardins de Beaulieu', description: 'Par l’administrateur.' })),
      });
      expect(response.status, response.text).to.equal(200);
      const enterprise = byId(await getRecords(t, api(eid)), location, 'Enterprise');
      expect(enterprise.name).to.equal('Jardins de Beaulieu');
      expect(enterprise.description).to.equal('Par l’administrateur.');
    });

    it('PUT keeps the catalogue links derived from the catalogue', async () => {
      const before = byId(await getRecords(t, api(A)), iri(t, api(A)), 'Enterprise');
      const response = await t.request('PUT', api(A), {
        headers: { ...admin, ...JSONLD },
        body: JSON.stringify(enterpriseBody({ id: iri(t, api(A)), name: 'Ferme des Trois Chênes', description: 'Maraîchage biologique.' })),
      });
      expect(response.status, response.text).to.equal(200);
      const after = byId(await getRecords(t, api(A)), iri(t, api(A)), 'Enterprise');
      expect(after.description).to.equal('Maraîchage biologique.');
      expect(after.supplies).to.deep.equal(before.supplies);
      expect(after.manages).to.deep.equal(before.manages);
    });
  });

  // ------------------------------------------------------------------ creating products

  describe('POST /api/dfc/enterprises/{eid}/supplied_products', () => {
    const shapes: { shape: string; headers: Record<string, string>; body: (spec: ProductSpec, key: string) => string }[] = [
      { shape: 'JSON-LD with the CatalogItem and Offer nested', headers: JSONLD, body: (spec) => JSON.stringify(nestedProduct(spec)) },
      {
        shape: 'JSON-LD flattened in @graph, linked by @id',
        headers: JSONLD,
        body: (spec, key) => JSON.stringify(flatProduct({
          ...spec, ids: { product: `${FOREIGN}/supplied_products/${key}`, item: `${FOREIGN}/catalog_items/${key}`, offer: `${FOREIGN}/offers/${key}` },
        })),
      },
      {
        shape: 'JSON-LD flattened in @graph with blank nodes',
        headers: JSONLD,
        body: (spec) => JSON.stringify(flatProduct(spec)),
      },
      {
        shape: 'JSON-LD sent as application/json; charset=utf-8 (as Open Food Network does)',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: (spec) => JSON.stringify(nestedProduct(spec)),
      },
      {
        shape: 'Turtle',
        headers: TURTLE,
        body: (spec, key) => turtleProduct({
          ...spec, ids: { product: `${FOREIGN}/supplied_products/${key}`, item: `${FOREIGN}/catalog_items/${key}`, offer: `${FOREIGN}/offers/${key}` },
        }),
      },
    ];

    shapes.forEach(({ shape, headers, body }, index) => {
      it(`creates a product, its catalog item and its offer from ${shape}`, async () => {
        const name = `Courge spaghetti ${index}`;
        const sku = `COU-SPA-${index}`;
        const response = await t.request('POST', api(A, 'supplied_products'), {
          headers: { ...admin, ...headers },
          body: body({ name, sku, stock: 7 + index, price: 3.1 + index }, `9${index}0`),
        });
        expect(response.status, response.text).to.equal(201);
        const { product, item, offer } = await created(t, response);
        expect(product.startsWith(iri(t, `${api(A, 'supplied_products')}/`)), product).to.equal(true);
        expect(item.startsWith(iri(t, `${api(A, 'catalog_items')}/`)), item).to.equal(true);
        expect(offer.startsWith(iri(t, `${api(A, 'offers')}/`)), offer).to.equal(true);
        expect(response.headers.get('etag')).to.match(/^"[^"]+"$/u);

        // The product answers at its Location.
        const stored = await getProduct(t, product);
        expect(stored.name).to.equal(name);
        expect(stored.catalogItems).to.include(item);
        expect(stored.suppliedBy).to.equal(iri(t, api(A)));

        // The catalogue lists them with price and stock.
        const catalogue = await getRecords(t, api(A, 'catalog_items'));
        expect(byId(catalogue, product, 'SuppliedProduct').catalogItems).to.include(item);
        const catalogItem = byId(catalogue, item, 'CatalogItem');
        expect(catalogItem.product).to.equal(product);
        expect(catalogItem.sku).to.equal(sku);
        expect(catalogItem.stock).to.equal(7 + index);
        expect(catalogItem.offers).to.deep.equal([offer]);
        expect(catalogItem.managedBy).to.equal(iri(t, api(A)));
        const catalogOffer = byId(catalogue, offer, 'Offer');
        expect(catalogOffer.item).to.equal(item);
        expect(catalogOffer.price?.value).to.be.closeTo(3.1 + index, 1e-9);
        expect(catalogOffer.price?.currency).to.equal(EURO);
        expect(catalogOffer.stock).to.equal(7 + index);

        // The supplied_products URL serves the same catalogue; the enterprise lists what it supplies and manages.
        const same = await getRecords(t, api(A, 'supplied_products'));
        expect(same.some((r) => r.id === offer)).to.equal(true);
        const enterprise = byId(await getRecords(t, api(A)), iri(t, api(A)), 'Enterprise');
        expect(enterprise.supplies).to.include(product);
        expect(enterprise.manages).to.include(item);
        // Resources and their offer are readable one by one.
        expect((await getItem(t, item)).stock).to.equal(7 + index);
        expect((await getOffer(t, offer)).price?.value).to.be.closeTo(3.1 + index, 1e-9);
      });
    });

    it('creates the valid products of a body of several and lists the rejected ones (with their item and offer) in the answer', async () => {
      const good = flatProduct({ name: fresh('Céleri'), ids: { product: `${FOREIGN}/supplied_products/9970`, item: `${FOREIGN}/catalog_items/9970`, offer: `${FOREIGN}/offers/9970` } });
      const refused = fresh('Rutabaga refusé');
      const bad = flatProduct({ name: refused, price: -1, ids: { product: `${FOREIGN}/supplied_products/9971`, item: `${FOREIGN}/catalog_items/9971`, offer: `${FOREIGN}/offers/9971` } });
      const body = { '@context': CONTEXT, '@graph': [...(good['@graph'] as unknown[]), ...(bad['@graph'] as unknown[])] };
      const before = await snapshot(t, A);
      const response = await t.request('POST', api(A, 'supplied_products'), { headers: { ...admin, ...JSONLD }, body: JSON.stringify(body) });
      const { product } = await created(t, response);
      expect((await getProduct(t, product)).name).to.match(/^Céleri/u);
      const answer = response.json<{ rejected: { id: string; problems: { message: string }[] }[] }>();
      expect(answer.rejected.map((r) => r.id)).to.have.members([
        `${FOREIGN}/offers/9971`, `${FOREIGN}/supplied_products/9971`, `${FOREIGN}/catalog_items/9971`,
      ]);
      expect(answer.rejected.find((r) => r.id === `${FOREIGN}/offers/9971`)?.problems[0]?.message).to.match(/negative/u);
      // The answer is still the DFC document of what was written: the report is not part of the graph.
      const decoded = await t.node.decoder.decode(response.text);
      expect(decoded.problems.filter((p) => p.path !== 'rejected')).to.deep.equal([]);
      expect(decoded.rejected).to.deep.equal([]);
      const after = await snapshot(t, A);
      expect(after).to.not.equal(before);
      expect(after).to.not.contain(refused);
    });

    it('creates a product published by type only (no name) and one in a unit it does not know (warnings, not errors)', async () => {
      const nameless = { ...nestedProduct({ unit: 'dfc-m:pack' }), 'dfc-b:hasType': 'dfc-pt:round-tomato' };
      delete (nameless as Record<string, unknown>)['dfc-b:name'];
      const response = await t.request('POST', api(A, 'supplied_products'), { headers: { ...admin, ...JSONLD }, body: JSON.stringify(nameless) });
      const { product } = await created(t, response);
      // Its id is minted from its product type's label, as a named product's is from its name.
      expect(product).to.match(/\/supplied_products\/round-tomato/u);
      const stored = await getProduct(t, product);
      expect(stored.name).to.equal(undefined);
      expect(stored.quantity?.unit).to.equal(`${DFC_M}pack`);
    });

    for (const placeholder of ['#', 'nouveau-produit', './#produit']) {
      it(`gives a product posted with "@id": ${JSON.stringify(placeholder)} a real IRI, and keeps nothing that points at the placeholder`, async () => {
        const name = fresh('Blettes');
        const body = nestedProduct({ name, ids: { product: placeholder } });
        const response = await t.request('POST', api(A, 'supplied_products'), { headers: { ...admin, ...JSONLD }, body: JSON.stringify(body) });
        const { product } = await created(t, response);
        expect(product.startsWith(iri(t, `${api(A, 'supplied_products')}/`)), product).to.equal(true);
        expect(product).to.not.contain('#');
        const get = await t.request('GET', pathOf(product));
        const resolved = new URL(placeholder, iri(t, api(A, 'supplied_products'))).href;
        for (const text of [response.text, get.text]) {
          expect(text).to.not.contain('sameAs');
          expect(text).to.not.contain(`"${resolved}"`);
        }
        expect((await getProduct(t, product)).name).to.equal(name);
      });
    }

    it('keeps foreign @ids as owl:sameAs and mints local ones', async () => {
      const key = '9990';
      const response = await t.request('POST', api(A, 'supplied_products'), {
        headers: { ...admin, ...JSONLD },
        body: JSON.stringify(flatProduct({
          name: fresh('Potiron'), ids: { product: `${FOREIGN}/supplied_products/${key}`, item: `${FOREIGN}/catalog_items/${key}`, offer: `${FOREIGN}/offers/${key}` },
        })),
      });
      const { product } = await created(t, response);
      expect(product).to.not.contain('ofn.example');
      const get = await t.request('GET', pathOf(product));
      expect(JSON.stringify(wireNode(get, product))).to.contain(`${FOREIGN}/supplied_products/${key}`);
    });

    it('a new variant naming an existing product group (isVariantOf) appears in the group’s hasVariant', async () => {
      const group = iri(t, api(A, 'supplied_products', 'tomates-anciennes'));
      const before = await getProduct(t, group);
      const { product } = await createProduct({ name: 'Tomates anciennes - 5 kg', variantOf: group });
      const after = await getProduct(t, group);
      expect(after.variants).to.deep.equal([...before.variants, product]);
      expect((await getProduct(t, product)).variantOf).to.deep.equal([group]);
      const catalogue = await getRecords(t, api(A, 'catalog_items'));
      expect(byId(catalogue, group, 'SuppliedProduct').variants).to.include(product);
    });

    it('a name that is already taken gets a fresh id: the existing product is untouched', async () => {
      const existing = iri(t, api(A, 'supplied_products', 'tomates-rondes'));
      const before = JSON.stringify(await t.node.store.getResources([existing, iri(t, api(A, 'catalog_items', 'tomates-rondes')), iri(t, api(A, 'offers', 'tomates-rondes'))]));
      const { product, item, offer } = await createProduct({ name: 'Tomates rondes' });
      expect([product, item, offer]).to.not.include.members([existing]);
      expect(product).to.not.equal(existing);
      expect(item).to.not.equal(iri(t, api(A, 'catalog_items', 'tomates-rondes')));
      expect(offer).to.not.equal(iri(t, api(A, 'offers', 'tomates-rondes')));
      const after = JSON.stringify(await t.node.store.getResources([existing, iri(t, api(A, 'catalog_items', 'tomates-rondes')), iri(t, api(A, 'offers', 'tomates-rondes'))]));
      expect(after).to.equal(before);
    });

    it('answers in the representation asked for (Turtle)', async () => {
      const response = await t.request('POST', api(A, 'supplied_products'), {
        headers: { ...admin, ...JSONLD, accept: 'text/turtle' },
        body: JSON.stringify(nestedProduct({ name: fresh('Radis noir') })),
      });
      expect(response.status, response.text).to.equal(201);
      expect(response.headers.get('content-type')).to.match(/^text\/turtle/u);
      expect(response.text).to.contain(response.headers.get('location') ?? '<none>');
    });
  });

  // ------------------------------------------------------------------ replacing and deleting products

  describe('PUT and DELETE /api/dfc/enterprises/{eid}/supplied_products/{id}', () => {
    it('PUT replaces the name and the description and keeps the catalog item', async () => {
      const { product, item, offer } = await createProduct({ name: fresh('Chou rave'), sku: 'CHR-1', stock: 4, price: 1.9 });
      const response = await put(pathOf(product), {
        '@context': CONTEXT,
        '@id': product,
        '@type': 'dfc-b:SuppliedProduct',
        'dfc-b:name': 'Chou-rave violet',
        'dfc-b:description': 'Nouvelle description.',
        'dfc-b:hasQuantity': { '@type': 'dfc-b:QuantitativeValue', 'dfc-b:hasUnit': 'dfc-m:Piece', 'dfc-b:value': 1 },
      }, JSONLD);
      expect(response.status, response.text).to.equal(200);
      const stored = await getProduct(t, product);
      expect(stored.name).to.equal('Chou-rave violet');
      expect(stored.description).to.equal('Nouvelle description.');
      expect(stored.catalogItems).to.deep.equal([item]);
      const catalogItem = await getItem(t, item);
      expect(catalogItem.product).to.equal(product);
      expect(catalogItem.sku).to.equal('CHR-1');
      expect(catalogItem.stock).to.equal(4);
      expect((await getOffer(t, offer)).price?.value).to.equal(1.9);
      const catalogue = await getRecords(t, api(A, 'catalog_items'));
      expect(byId(catalogue, product, 'SuppliedProduct').name).to.equal('Chou-rave violet');
      expect(byId(catalogue, item, 'CatalogItem').product).to.equal(product);
    });

    it('PUT of a variant keeps it in its group', async () => {
      const group = iri(t, api(A, 'supplied_products', 'pommes-de-terre'));
      const { product } = await createProduct({ name: 'Pommes de terre - 10 kg', variantOf: group });
      const response = await put(pathOf(product), {
        '@context': CONTEXT, '@id': product, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Pommes de terre - sac de 10 kg', 'dfc-b:isVariantOf': group,
      }, JSONLD);
      expect(response.status, response.text).to.equal(200);
      expect((await getProduct(t, group)).variants).to.include(product);
      expect((await getProduct(t, product)).variantOf).to.deep.equal([group]);
    });

    it('PUT moving a variant to another group: the new group lists it, the old one no longer does', async () => {
      const from = iri(t, api(A, 'supplied_products', 'carottes'));
      const to = iri(t, api(A, 'supplied_products', 'panier-de-legumes'));
      const { product } = await createProduct({ name: 'Carottes - 3 kg', variantOf: from });
      expect((await getProduct(t, from)).variants).to.include(product);
      const response = await put(pathOf(product), {
        '@context': CONTEXT, '@id': product, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Panier de carottes', 'dfc-b:isVariantOf': to,
      }, JSONLD);
      expect(response.status, response.text).to.equal(200);
      expect((await getProduct(t, product)).variantOf).to.deep.equal([to]);
      expect((await getProduct(t, to)).variants).to.include(product);
      expect((await getProduct(t, from)).variants, 'the old group still lists a product that is no longer its variant').to.not.include(product);
    });

    it('PUT of a variant without isVariantOf takes it out of its group', async () => {
      const group = iri(t, api(A, 'supplied_products', 'pommes-de-terre'));
      const { product } = await createProduct({ name: 'Pommes de terre - 25 kg', variantOf: group });
      const response = await put(pathOf(product), { '@context': CONTEXT, '@id': product, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Pommes de terre en vrac' }, JSONLD);
      expect(response.status, response.text).to.equal(200);
      expect((await getProduct(t, product)).variantOf).to.deep.equal([]);
      expect((await getProduct(t, group)).variants, 'the group still lists a product that is no longer its variant').to.not.include(product);
    });

    it('PUT takes Turtle, with <> naming the product', async () => {
      const { product, item } = await createProduct({ name: fresh('Navet') });
      const response = await put(pathOf(product), `@prefix dfc-b: <${DFC_B}> .\n<> a dfc-b:SuppliedProduct ; dfc-b:name "Navet boule d’or" ; dfc-b:description "En Turtle." .\n`, TURTLE);
      expect(response.status, response.text).to.equal(200);
      const stored = await getProduct(t, product);
      expect(stored.name).to.equal('Navet boule d’or');
      expect(stored.description).to.equal('En Turtle.');
      expect(stored.catalogItems).to.deep.equal([item]);
    });

    it('DELETE answers 204; then the product, its item and its offer are 404 and the group no longer lists it', async () => {
      const group = iri(t, api(A, 'supplied_products', 'tomates-cerises'));
      const { product, item, offer } = await createProduct({ name: 'Tomates cerises - 1 kg', variantOf: group });
      expect((await getProduct(t, group)).variants).to.include(product);

      const response = await t.request('DELETE', pathOf(product), { headers: admin });
      expect(response.status, response.text).to.equal(204);
      expect(response.text).to.equal('');
      for (const id of [product, item, offer]) expectProblem(await t.request('GET', pathOf(id)), 404);
      const groupAfter = await getProduct(t, group);
      expect(groupAfter.variants).to.not.include(product);
      expect(groupAfter.variants).to.have.length.greaterThan(0);
      const catalogue = await getRecords(t, api(A, 'catalog_items'));
      expect(catalogue.map((r) => r.id)).to.not.include.members([product, item, offer]);
      expect(catalogue.map((r) => r.id)).to.not.include(product);
      const enterprise = byId(await getRecords(t, api(A)), iri(t, api(A)), 'Enterprise');
      expect(enterprise.supplies).to.not.include(product);
      expect(enterprise.manages).to.not.include(item);
      // A second DELETE: 404.
      expectProblem(await t.request('DELETE', pathOf(product), { headers: admin }), 404);
    });
  });

  // ------------------------------------------------------------------ Open Food Network stock updates

  describe('PUT /api/dfc/enterprises/{eid}/catalog_items/{id}', () => {
    it('takes plain JSON exactly as Open Food Network sends it: stock and sku change, the offer follows', async () => {
      const { item, offer } = await createProduct({ name: fresh('Tomates'), sku: 'TOM-0', stock: 25 });
      const response = await put(pathOf(item), '{"dfc-b:stockLimitation": 12, "dfc-b:sku": "TOM-1K"}');
      expect(response.status, response.text).to.equal(200);
      const catalogItem = await getItem(t, item);
      expect(catalogItem.stock).to.equal(12);
      expect(catalogItem.sku).to.equal('TOM-1K');
      expect(catalogItem.offers).to.deep.equal([offer]);
      expect((await getOffer(t, offer)).stock).to.equal(12);
      // The answer is the updated item.
      expect(wireNode(response, item)['dfc-b:stockLimitation']).to.equal(12);
    });

    it('a stock alone leaves the sku as it was', async () => {
      const { item, offer } = await createProduct({ name: fresh('Tomates'), sku: 'TOM-1K', stock: 25 });
      const response = await put(pathOf(item), '{"dfc-b:stockLimitation": 5}');
      expect(response.status, response.text).to.equal(200);
      const catalogItem = await getItem(t, item);
      expect(catalogItem.stock).to.equal(5);
      expect(catalogItem.sku).to.equal('TOM-1K');
      expect((await getOffer(t, offer)).stock).to.equal(5);
    });

    it('a negative stock means on demand: published as -1 on the item (and on its offer), what Open Food Network imports as on demand', async () => {
      const { item, offer } = await createProduct({ name: fresh('Tomates'), sku: 'TOM-OD', stock: 25 });
      const response = await put(pathOf(item), '{"dfc-b:stockLimitation": -1}');
      expect(response.status, response.text).to.equal(200);
      const get = await t.request('GET', pathOf(item));
      expect(wireNode(get, item)['dfc-b:stockLimitation']).to.equal(-1);
      expect(wireNode(get, item)['dfc-b:sku']).to.equal('TOM-OD');
      expect((await getItem(t, item)).stock).to.equal(null);
      const getOfferResponse = await t.request('GET', pathOf(offer));
      expect(wireNode(getOfferResponse, offer)['dfc-b:stockLimitation']).to.equal(-1);
      // And back to a limited stock.
      expect((await put(pathOf(item), '{"dfc-b:stockLimitation": 3}')).status).to.equal(200);
      expect((await getItem(t, item)).stock).to.equal(3);
      expect((await getOffer(t, offer)).stock).to.equal(3);
    });

    it('works on a seeded item (the example network)', async () => {
      const item = iri(t, api(A, 'catalog_items', 'tomates-rondes'));
      const before = await getItem(t, item);
      const offer = before.offers[0] ?? '';
      const offerBefore = await getOffer(t, offer);
      const response = await put(pathOf(item), '{"dfc-b:stockLimitation": 12, "dfc-b:sku": "TOM-1K"}');
      expect(response.status, response.text).to.equal(200);
      const after = await getItem(t, item);
      expect(after.stock).to.equal(12);
      expect(after.sku).to.equal('TOM-1K');
      if (offerBefore.stock === before.stock) expect((await getOffer(t, offer)).stock).to.equal(12);
    });

    it('takes a JSON-LD CatalogItem too', async () => {
      const { item, offer } = await createProduct({ name: fresh('Tomates'), sku: 'TOM-LD', stock: 25 });
      const response = await put(pathOf(item), {
        '@context': CONTEXT, '@id': item, '@type': 'dfc-b:CatalogItem', 'dfc-b:sku': 'TOM-LD-2', 'dfc-b:stockLimitation': 9,
      }, JSONLD);
      expect(response.status, response.text).to.equal(200);
      const catalogItem = await getItem(t, item);
      expect(catalogItem.stock).to.equal(9);
      expect(catalogItem.sku).to.equal('TOM-LD-2');
      expect(catalogItem.offers).to.deep.equal([offer]);
      expect((await getOffer(t, offer)).stock).to.equal(9);
    });

    it('an offer that did not mirror the item’s stock keeps its own', async () => {
      const { item, offer } = await createProduct({ name: fresh('Tomates'), stock: 25 });
      expect((await put(pathOf(offer), '{"dfc-b:stockLimitation": 4}')).status).to.equal(200);
      expect((await put(pathOf(item), '{"dfc-b:stockLimitation": 30}')).status).to.equal(200);
      expect((await getItem(t, item)).stock).to.equal(30);
      expect((await getOffer(t, offer)).stock).to.equal(4);
    });
  });

  // ------------------------------------------------------------------ offers

  describe('PUT /api/dfc/enterprises/{eid}/offers/{id}', () => {
    it('takes a bare number as the price', async () => {
      const { offer } = await createProduct({ name: fresh('Fraises'), price: 2.5, stock: 6 });
      const response = await put(pathOf(offer), '{"dfc-b:hasPrice": 3.2}');
      expect(response.status, response.text).to.equal(200);
      const stored = await getOffer(t, offer);
      expect(stored.price).to.deep.include({ value: 3.2, currency: EURO });
      expect(stored.stock).to.equal(6);
      const catalogue = await getRecords(t, api(A, 'catalog_items'));
      expect(byId(catalogue, offer, 'Offer').price?.value).to.equal(3.2);
    });

    it('takes a Price object', async () => {
      const { offer } = await createProduct({ name: fresh('Fraises'), price: 2.5 });
      const response = await put(pathOf(offer), { 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 3.4, 'dfc-b:hasUnit': 'dfc-m:Euro' } });
      expect(response.status, response.text).to.equal(200);
      expect((await getOffer(t, offer)).price).to.deep.include({ value: 3.4, currency: EURO });
    });

    it('keeps the VAT rate when only the price changes (seeded offer)', async () => {
      const offer = iri(t, api(A, 'offers', 'tomates-anciennes-3kg'));
      const before = await getOffer(t, offer);
      const response = await put(pathOf(offer), '{"dfc-b:hasPrice": 3.2}');
      expect(response.status, response.text).to.equal(200);
      const after = await getOffer(t, offer);
      expect(after.price?.value).to.equal(3.2);
      expect(after.price?.vatRate).to.equal(before.price?.vatRate);
    });

    it('takes a stock, and a negative stock means on demand', async () => {
      const { offer } = await createProduct({ name: fresh('Fraises'), price: 2.5, stock: 6 });
      expect((await put(pathOf(offer), '{"dfc-b:stockLimitation": 4}')).status).to.equal(200);
      expect((await getOffer(t, offer)).stock).to.equal(4);
      // More than its item's 6: what can be ordered through it is the item's 6, and that is what it publishes.
      expect((await put(pathOf(offer), '{"dfc-b:stockLimitation": 8}')).status).to.equal(200);
      expect((await getOffer(t, offer)).stock).to.equal(6);
      expect((await put(pathOf(offer), '{"dfc-b:stockLimitation": -1}')).status).to.equal(200);
      const get = await t.request('GET', pathOf(offer));
      expect(wireNode(get, offer)['dfc-b:stockLimitation']).to.equal(-1);
      expect((await getOffer(t, offer)).price?.value).to.equal(2.5);
    });

    it('takes price and stock together', async () => {
      const { offer } = await createProduct({ name: fresh('Fraises'), price: 2.5, stock: 6 });
      const response = await put(pathOf(offer), '{"dfc-b:hasPrice": 4, "dfc-b:stockLimitation": 2}');
      expect(response.status, response.text).to.equal(200);
      const stored = await getOffer(t, offer);
      expect(stored.price?.value).to.equal(4);
      expect(stored.stock).to.equal(2);
    });

    it('takes a JSON-LD Offer', async () => {
      const { offer, item } = await createProduct({ name: fresh('Fraises'), price: 2.5, stock: 6 });
      const response = await put(pathOf(offer), {
        '@context': CONTEXT, '@id': offer, '@type': 'dfc-b:Offer',
        'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': 5.5, 'dfc-b:hasUnit': 'dfc-m:Euro' }, 'dfc-b:stockLimitation': 1,
      }, JSONLD);
      expect(response.status, response.text).to.equal(200);
      const stored: OfferRecord = await getOffer(t, offer);
      expect(stored.price?.value).to.equal(5.5);
      expect(stored.stock).to.equal(1);
      expect(stored.item).to.equal(item);
    });
  });

  // ------------------------------------------------------------------ If-Match

  describe('If-Match', () => {
    it('with the current ETag of a GET: 200', async () => {
      const { item } = await createProduct({ name: fresh('Melon'), stock: 5 });
      const get = await t.request('GET', pathOf(item));
      const etag = get.headers.get('etag') ?? '';
      expect(etag).to.not.equal('');
      const response = await t.request('PUT', pathOf(item), { headers: { ...admin, ...JSON_TYPE, 'if-match': etag }, body: '{"dfc-b:stockLimitation": 4}' });
      expect(response.status, response.text).to.equal(200);
      expect((await getItem(t, item)).stock).to.equal(4);
    });

    for (const accept of ['application/ld+json', 'application/json', 'text/turtle', 'application/n-triples', 'application/ld+json; profile="dfc-v2"']) {
      it(`with the current ETag of a GET in ${accept}: 200`, async () => {
        const { offer } = await createProduct({ name: fresh('Melon'), stock: 5 });
        const get = await t.request('GET', pathOf(offer), { headers: { accept } });
        expect(get.status).to.equal(200);
        const etag = get.headers.get('etag') ?? '';
        const response = await t.request('PUT', pathOf(offer), { headers: { ...admin, ...JSON_TYPE, 'if-match': etag }, body: '{"dfc-b:hasPrice": 7}' });
        expect(response.status, `If-Match ${etag} from a GET with Accept ${accept}: ${response.text}`).to.equal(200);
      });
    }

    it('the ETag of a PUT answer is the one a GET then gives, and it works as If-Match', async () => {
      const { product, item, offer } = await createProduct({ name: fresh('Melon'), stock: 5 });
      const updates: [string, string, Record<string, string>][] = [
        [item, '{"dfc-b:stockLimitation": 1}', JSON_TYPE],
        [offer, '{"dfc-b:hasPrice": 1.5}', JSON_TYPE],
        [product, JSON.stringify({ '@context': CONTEXT, '@id': product, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': fresh('Melon jaune') }), JSONLD],
        [iri(t, api(A)), JSON.stringify(enterpriseBody({ id: iri(t, api(A)), name: 'Ferme des Trois Chênes', description: 'ETag.' })), JSONLD],
      ];
      for (const [id, body, headers] of updates) {
        const response = await t.request('PUT', pathOf(id), { headers: { ...admin, ...headers }, body });
        expect(response.status, response.text).to.equal(200);
        const get = await t.request('GET', pathOf(id));
        expect(response.headers.get('etag'), `ETag of PUT ${id}`).to.equal(get.headers.get('etag'));
        expect(response.text, `body of PUT ${id}`).to.equal(get.text);
        const again = await t.request('PUT', pathOf(id), { headers: { ...admin, ...headers, 'if-match': response.headers.get('etag') ?? '' }, body });
        expect(again.status, again.text).to.equal(200);
      }
    });

    it('with a weak form of the current ETag: 412, nothing changed (If-Match compares strongly); with *: 200', async () => {
      const { item } = await createProduct({ name: fresh('Melon'), stock: 5 });
      const etag = (await t.request('GET', pathOf(item))).headers.get('etag') ?? '';
      // RFC 9110 §13.1.1: a weak entity tag never matches If-Match, even beside another weak one or with spaces.
      for (const ifMatch of [`W/${etag}`, `"stale", W/${etag}`, ` W/${etag} `]) {
        const weak = await t.request('PUT', pathOf(item), { headers: { ...admin, ...JSON_TYPE, 'if-match': ifMatch }, body: '{"dfc-b:stockLimitation": 3}' });
        expect(weak.status, `${ifMatch}: ${weak.text}`).to.equal(412);
      }
      expect((await getItem(t, item)).stock).to.equal(5);
      // The strong tag beside a weak one matches.
      const strong = await t.request('PUT', pathOf(item), { headers: { ...admin, ...JSON_TYPE, 'if-match': `W/${etag}, ${etag}` }, body: '{"dfc-b:stockLimitation": 3}' });
      expect(strong.status, strong.text).to.equal(200);
      expect((await getItem(t, item)).stock).to.equal(3);
      const star = await t.request('PUT', pathOf(item), { headers: { ...admin, ...JSON_TYPE, 'if-match': '*' }, body: '{"dfc-b:stockLimitation": 2}' });
      expect(star.status, star.text).to.equal(200);
      expect((await getItem(t, item)).stock).to.equal(2);
    });

    it('with a stale ETag: 412 and nothing changed (catalog item, offer, product, DELETE, enterprise)', async () => {
      const { product, item, offer } = await createProduct({ name: fresh('Melon'), stock: 5, price: 2 });
      const etags = new Map<string, string>();
      for (const id of [product, item, offer, iri(t, api(A))]) etags.set(id, (await t.request('GET', pathOf(id))).headers.get('etag') ?? '');
      // Change every one of them, so that the ETags above are stale.
      expect((await put(pathOf(item), '{"dfc-b:stockLimitation": 6}')).status).to.equal(200);
      expect((await put(pathOf(offer), '{"dfc-b:hasPrice": 2.2}')).status).to.equal(200);
      expect((await put(pathOf(product), { '@context': CONTEXT, '@id': product, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': fresh('Melon charentais') }, JSONLD)).status).to.equal(200);
      expect((await put(api(A), enterpriseBody({ id: iri(t, api(A)), name: 'Ferme des Trois Chênes', description: 'Version 2.' }), JSONLD)).status).to.equal(200);

      const attempts: [string, string, string, string | undefined, Record<string, string>][] = [
        ['PUT', item, item, '{"dfc-b:stockLimitation": 1}', JSON_TYPE],
        ['PUT', offer, offer, '{"dfc-b:hasPrice": 1}', JSON_TYPE],
        ['PUT', product, product, JSON.stringify({ '@context': CONTEXT, '@id': product, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Jamais' }), JSONLD],
        ['DELETE', product, product, undefined, {}],
        ['PUT', iri(t, api(A)), iri(t, api(A)), JSON.stringify(enterpriseBody({ id: iri(t, api(A)), name: 'Jamais' })), JSONLD],
      ];
      for (const [method, target, etagOf, body, headers] of attempts) {
        const before = await snapshot(t, A);
        const response = await t.request(method, pathOf(target), {
          headers: { ...admin, ...headers, 'if-match': etags.get(etagOf) ?? '' }, ...(body !== undefined ? { body } : {}),
        });
        expectProblem(response, 412);
        expect(await snapshot(t, A), `${method} ${target} with a stale ETag changed the store`).to.equal(before);
      }
    });
  });

  // ------------------------------------------------------------------ rejections

  describe('rejections: a problem document and an unchanged store', () => {
    let product: string;
    let item: string;
    let offer: string;
    let other: string;
    let victim: { product: string; item: string; offer: string };
    let tokenB: string;
    let readOnlyA: string;
    let enterpriseTokenA: string;

    before(async () => {
      ({ product, item, offer } = await createProduct({ name: fresh('Cible'), sku: 'CIB-1', stock: 10, price: 2 }));
      ({ product: other } = await createProduct({ name: fresh('Autre') }));
      victim = await createProduct({ name: fresh('Victime'), sku: 'VIC-1', stock: 3, price: 4 });
      await t.seed('chevrerie-du-puy');
      tokenB = await t.token('chevrerie-du-puy', ['ReadEnterprise', 'WriteEnterprise', 'ReadProducts', 'WriteProducts']);
      readOnlyA = await t.token(A, ['ReadEnterprise', 'ReadProducts', 'WriteEnterprise']);
      enterpriseTokenA = await t.token(A, ['ReadEnterprise', 'WriteEnterprise', 'ReadProducts', 'WriteProducts']);
    });

    interface Case {
      readonly name: string;
      readonly method: string;
      readonly path: () => string;
      readonly status: number;
      readonly headers?: () => Record<string, string>;
      readonly body?: () => string;
      /** Whether the answer must carry the codec's problems. */
      readonly problems?: { id?: () => string; type?: string; message: RegExp };
      /** Without the admin token unless given in headers. */
      readonly anonymous?: boolean;
    }

    const validProduct = (): string => JSON.stringify(nestedProduct({ name: 'Produit valide' }));
    const invalid = (spec: ProductSpec): string => JSON.stringify(flatProduct({
      name: 'Produit invalide', ...spec,
      ids: { product: `${FOREIGN}/supplied_products/980`, item: `${FOREIGN}/catalog_items/980`, offer: `${FOREIGN}/offers/980` },
    }));
    const products = (): string => api(A, 'supplied_products');
    const pathOfLocal = (id: () => string) => (): string => id().slice(t.base.length);

    const cases: Case[] = [
      // 400
      { name: 'malformed JSON-LD on POST', method: 'POST', path: products, status: 400, headers: () => JSONLD, body: () => `{"@context": "${CONTEXT}", "@type": ` },
      { name: 'malformed plain JSON on PUT catalog item', method: 'PUT', path: pathOfLocal(() => item), status: 400, headers: () => JSON_TYPE, body: () => '{"dfc-b:stockLimitation": 12' },
      { name: 'malformed plain JSON on PUT offer', method: 'PUT', path: pathOfLocal(() => offer), status: 400, headers: () => JSON_TYPE, body: () => '{"dfc-b:hasPrice": }' },
      { name: 'malformed Turtle on POST', method: 'POST', path: products, status: 400, headers: () => TURTLE, body: () => '<a> <b> "unterminated .' },
      { name: 'empty body on POST', method: 'POST', path: products, status: 400, headers: () => JSONLD, body: () => '' },
      { name: 'blank body on PUT catalog item', method: 'PUT', path: pathOfLocal(() => item), status: 400, headers: () => JSON_TYPE, body: () => '  \n' },
      { name: 'empty body on PUT offer', method: 'PUT', path: pathOfLocal(() => offer), status: 400, headers: () => JSON_TYPE, body: () => '' },
      { name: 'empty body on PUT product', method: 'PUT', path: pathOfLocal(() => product), status: 400, headers: () => JSONLD, body: () => '' },
      { name: 'empty body on PUT enterprise', method: 'PUT', path: () => api(A), status: 400, headers: () => JSONLD, body: () => '' },
      { name: 'a JSON array on PUT catalog item', method: 'PUT', path: pathOfLocal(() => item), status: 400, headers: () => JSON_TYPE, body: () => '[12]' },
      // 401
      { name: 'no token on POST', method: 'POST', path: products, status: 401, anonymous: true, headers: () => JSONLD, body: validProduct },
      { name: 'no token on PUT catalog item', method: 'PUT', path: pathOfLocal(() => item), status: 401, anonymous: true, headers: () => JSON_TYPE, body: () => '{"dfc-b:stockLimitation": 1}' },
      { name: 'no token on DELETE', method: 'DELETE', path: pathOfLocal(() => product), status: 401, anonymous: true },
      { name: 'a bad Bearer token', method: 'PUT', path: pathOfLocal(() => offer), status: 401, anonymous: true, headers: () => ({ ...JSON_TYPE, authorization: 'Bearer mln_not-a-real-token' }), body: () => '{"dfc-b:hasPrice": 1}' },
      { name: 'a bad X-Api-Token', method: 'DELETE', path: pathOfLocal(() => product), status: 401, anonymous: true, headers: () => ({ 'x-api-token': 'mln_not-a-real-token' }) },
      { name: 'no token on POST enterprises', method: 'POST', path: () => '/api/dfc/enterprises', status: 401, anonymous: true, headers: () => JSONLD, body: () => JSON.stringify(enterpriseBody({ name: 'Sans jeton' })) },
      // 403
      { name: 'another enterprise’s token on POST', method: 'POST', path: products, status: 403, headers: () => ({ ...JSONLD, ...bearer(tokenB) }), body: validProduct },
      { name: 'another enterprise’s token on PUT catalog item', method: 'PUT', path: pathOfLocal(() => item), status: 403, headers: () => ({ ...JSON_TYPE, ...bearer(tokenB) }), body: () => '{"dfc-b:stockLimitation": 1}' },
      { name: 'another enterprise’s token on DELETE', method: 'DELETE', path: pathOfLocal(() => product), status: 403, headers: () => bearer(tokenB) },
      { name: 'another enterprise’s token on PUT enterprise', method: 'PUT', path: () => api(A), status: 403, headers: () => ({ ...JSONLD, ...bearer(tokenB) }), body: () => JSON.stringify(enterpriseBody({ id: iri(t, api(A)), name: 'Volée' })) },
      { name: 'a token without WriteProducts on PUT offer', method: 'PUT', path: pathOfLocal(() => offer), status: 403, headers: () => ({ ...JSON_TYPE, ...bearer(readOnlyA) }), body: () => '{"dfc-b:hasPrice": 1}' },
      { name: 'a token without WriteProducts on POST', method: 'POST', path: products, status: 403, headers: () => ({ ...JSONLD, ...bearer(readOnlyA) }), body: validProduct },
      { name: 'an enterprise token on POST enterprises', method: 'POST', path: () => '/api/dfc/enterprises', status: 403, headers: () => ({ ...JSONLD, ...bearer(enterpriseTokenA) }), body: () => JSON.stringify(enterpriseBody({ name: 'Pas admin' })) },
      // 404
      { name: 'PUT of an unknown product', method: 'PUT', path: () => api(A, 'supplied_products', 'inconnu'), status: 404, headers: () => JSONLD, body: () => JSON.stringify({ '@context': CONTEXT, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Inconnu' }) },
      { name: 'DELETE of an unknown product', method: 'DELETE', path: () => api(A, 'supplied_products', 'inconnu'), status: 404 },
      { name: 'PUT of an unknown catalog item', method: 'PUT', path: () => api(A, 'catalog_items', 'inconnu'), status: 404, headers: () => JSON_TYPE, body: () => '{"dfc-b:stockLimitation": 1}' },
      { name: 'PUT of an unknown offer', method: 'PUT', path: () => api(A, 'offers', 'inconnu'), status: 404, headers: () => JSON_TYPE, body: () => '{"dfc-b:hasPrice": 1}' },
      { name: 'POST into an unknown enterprise', method: 'POST', path: () => api('inconnue', 'supplied_products'), status: 404, headers: () => JSONLD, body: validProduct },
      { name: 'PUT of an unknown enterprise', method: 'PUT', path: () => api('inconnue'), status: 404, headers: () => JSONLD, body: () => JSON.stringify(enterpriseBody({ name: 'Inconnue' })) },
      { name: 'PUT of another enterprise’s item through A’s URL', method: 'PUT', path: () => api(A, 'catalog_items', 'tomme-de-chevre-250g'), status: 404, headers: () => JSON_TYPE, body: () => '{"dfc-b:stockLimitation": 1}' },
      // 405
      { name: 'PATCH on a product', method: 'PATCH', path: pathOfLocal(() => product), status: 405, headers: () => JSON_TYPE, body: () => '{"dfc-b:name": "x"}' },
      { name: 'DELETE on a catalog item', method: 'DELETE', path: pathOfLocal(() => item), status: 405 },
      { name: 'POST on an offer', method: 'POST', path: pathOfLocal(() => offer), status: 405, headers: () => JSON_TYPE, body: () => '{"dfc-b:hasPrice": 1}' },
      { name: 'POST on the catalog_items collection', method: 'POST', path: () => api(A, 'catalog_items'), status: 405, headers: () => JSONLD, body: validProduct },
      { name: 'PATCH on an enterprise', method: 'PATCH', path: () => api(A), status: 405, headers: () => JSON_TYPE, body: () => '{}' },
      { name: 'PUT on the supplied_products collection', method: 'PUT', path: products, status: 405, headers: () => JSONLD, body: validProduct },
      // 409
      {
        name: 'POST of a product whose @id already exists', method: 'POST', path: products, status: 409, headers: () => JSONLD,
        body: () => JSON.stringify({ '@context': CONTEXT, '@id': product, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Doublon' }),
      },
      {
        name: 'POST of a new product embedding an existing catalog item (@id of another product’s item)', method: 'POST', path: products, status: 409, headers: () => JSONLD,
        body: () => JSON.stringify(nestedProduct({ name: 'Voleur d’article', stock: 99, ids: { item: victim.item } })),
      },
      {
        name: 'POST of a new product embedding an existing offer (@id of another product’s offer)', method: 'POST', path: products, status: 409, headers: () => JSONLD,
        body: () => JSON.stringify(nestedProduct({ name: 'Voleur d’offre', price: 99, ids: { offer: victim.offer } })),
      },
      {
        name: 'PUT of a product with a body describing another product of the enterprise', method: 'PUT', path: pathOfLocal(() => product), status: 409, headers: () => JSONLD,
        body: () => JSON.stringify({ '@context': CONTEXT, '@id': other, '@type': 'dfc-b:SuppliedProduct', 'dfc-b:name': 'Échange' }),
      },
      // 415
      { name: 'text/plain on POST', method: 'POST', path: products, status: 415, headers: () => ({ 'content-type': 'text/plain' }), body: validProduct },
      { name: 'application/xml on POST', method: 'POST', path: products, status: 415, headers: () => ({ 'content-type': 'application/xml' }), body: () => '<product><name>x</name></product>' },
      { name: 'text/plain on PUT catalog item', method: 'PUT', path: pathOfLocal(() => item), status: 415, headers: () => ({ 'content-type': 'text/plain' }), body: () => '{"dfc-b:stockLimitation": 1}' },
      { name: 'application/xml on PUT offer', method: 'PUT', path: pathOfLocal(() => offer), status: 415, headers: () => ({ 'content-type': 'application/xml' }), body: () => '<price>1</price>' },
      { name: 'text/plain on PUT enterprise', method: 'PUT', path: () => api(A), status: 415, headers: () => ({ 'content-type': 'text/plain' }), body: () => JSON.stringify(enterpriseBody({ id: iri(t, api(A)), name: 'x' })) },
      // 422: invalid DFC, with the codec's problems
      {
        name: 'a negative price', method: 'POST', path: products, status: 422, headers: () => JSONLD, body: () => invalid({ price: -2.5 }),
        problems: { id: () => `${FOREIGN}/offers/980`, type: 'dfc-b:Offer', message: /negative/u },
      },
      {
        name: 'a price that is not a number', method: 'POST', path: products, status: 422, headers: () => JSONLD, body: () => invalid({ price: 'abc' }),
        problems: { id: () => `${FOREIGN}/offers/980`, type: 'dfc-b:Offer', message: /not a number/u },
      },
      {
        name: 'a negative price in Turtle', method: 'POST', path: products, status: 422, headers: () => TURTLE,
        body: () => turtleProduct({ name: 'Invalide', price: -1, ids: { product: `${FOREIGN}/supplied_products/981`, item: `${FOREIGN}/catalog_items/981`, offer: `${FOREIGN}/offers/981` } }),
        problems: { id: () => `${FOREIGN}/offers/981`, type: 'dfc-b:Offer', message: /negative/u },
      },
      {
        name: 'PUT of a JSON-LD offer with a negative price', method: 'PUT', path: pathOfLocal(() => offer), status: 422, headers: () => JSONLD,
        body: () => JSON.stringify({ '@context': CONTEXT, '@id': offer, '@type': 'dfc-b:Offer', 'dfc-b:hasPrice': { '@type': 'dfc-b:Price', 'dfc-b:value': -3, 'dfc-b:hasUnit': 'dfc-m:Euro' } }),
        problems: { id: () => offer, message: /negative/u },
      },
      {
        name: 'PUT of a JSON-LD catalog item with a stock that is not a number', method: 'PUT', path: pathOfLocal(() => item), status: 422, headers: () => JSONLD,
        body: () => JSON.stringify({ '@context': CONTEXT, '@id': item, '@type': 'dfc-b:CatalogItem', 'dfc-b:stockLimitation': 'beaucoup' }),
        problems: { id: () => item, message: /not a number/u },
      },
      {
        name: 'PUT of an offer with a bare negative price', method: 'PUT', path: pathOfLocal(() => offer), status: 422, headers: () => JSON_TYPE,
        body: () => '{"dfc-b:hasPrice": -1}', problems: { id: () => offer, message: /negative/u },
      },
      {
        name: 'PUT of an offer with a price that is not a number', method: 'PUT', path: pathOfLocal(() => offer), status: 422, headers: () => JSON_TYPE,
        body: () => '{"dfc-b:hasPrice": "abc"}', problems: { id: () => offer, message: /not a number/u },
      },
      {
        name: 'PUT of a catalog item with a stock that is not a number', method: 'PUT', path: pathOfLocal(() => item), status: 422, headers: () => JSON_TYPE,
        body: () => '{"dfc-b:stockLimitation": "beaucoup"}', problems: { id: () => item, message: /not a number/u },
      },
      {
        name: 'PUT of an offer with a stock that is not a number', method: 'PUT', path: pathOfLocal(() => offer), status: 422, headers: () => JSON_TYPE,
        body: () => '{"dfc-b:stockLimitation": true}', problems: { id: () => offer, message: /not a number/u },
      },
      { name: 'PUT of a catalog item with an unknown key', method: 'PUT', path: pathOfLocal(() => item), status: 422, headers: () => JSON_TYPE, body: () => '{"dfc-b:stockLimitation": 3, "dfc-b:colour": "rouge"}' },
      { name: 'PUT of an offer with an unknown key', method: 'PUT', path: pathOfLocal(() => offer), status: 422, headers: () => JSON_TYPE, body: () => '{"dfc-b:hasPrice": 3, "colour": "rouge"}' },
      // A key of the other resource is no key of this one: silently ignoring it would answer 200 for a change never made.
      { name: 'PUT of an offer with a catalog item key (dfc-b:sku)', method: 'PUT', path: pathOfLocal(() => offer), status: 422, headers: () => JSON_TYPE, body: () => '{"dfc-b:sku": "X"}' },
      { name: 'PUT of a catalog item with an offer key (dfc-b:hasPrice)', method: 'PUT', path: pathOfLocal(() => item), status: 422, headers: () => JSON_TYPE, body: () => '{"dfc-b:hasPrice": 3}' },
      { name: 'PUT of a catalog item with a sku that is not a string', method: 'PUT', path: pathOfLocal(() => item), status: 422, headers: () => JSON_TYPE, body: () => '{"dfc-b:sku": 12}' },
      { name: 'POST of a body without a SuppliedProduct', method: 'POST', path: products, status: 422, headers: () => JSONLD, body: () => JSON.stringify(enterpriseBody({ name: 'Pas un produit' })) },
      { name: 'PUT of an enterprise with a body without an Enterprise', method: 'PUT', path: () => api(A), status: 422, headers: () => JSONLD, body: validProduct },
    ];

    for (const c of cases) {
      it(`${c.status}: ${c.name}`, async () => {
        const beforeA = await snapshot(t, A);
        const beforeCatalogue = await catalogueDump(t, A);
        const beforeB = await snapshot(t, 'chevrerie-du-puy');
        const headers = { ...(c.anonymous === true ? {} : admin), ...(c.headers?.() ?? {}) };
        const response = await t.request(c.method, c.path(), { headers, ...(c.body !== undefined ? { body: c.body() } : {}) });
        const problem = expectProblem(response, c.status);
        if (c.status === 405) expect(response.headers.get('allow')).to.be.a('string').and.not.equal('');
        if (c.status === 401) expect(response.headers.get('www-authenticate')).to.match(/^Bearer/u);
        if (c.problems !== undefined) {
          const list = expectCodecProblems(problem);
          const expected = c.problems;
          const match = list.find((p) => (expected.id === undefined || p.id === expected.id())
            && (expected.type === undefined || p.type === expected.type) && expected.message.test(p.message));
          expect(match, `a problem ${JSON.stringify({ id: expected.id?.(), type: expected.type, message: String(expected.message) })} in ${JSON.stringify(list)}`)
            .to.not.equal(undefined);
        }
        expect(await catalogueDump(t, A), 'the catalogue changed').to.equal(beforeCatalogue);
        expect(await snapshot(t, A), 'the store changed').to.equal(beforeA);
        expect(await snapshot(t, 'chevrerie-du-puy'), 'the other enterprise changed').to.equal(beforeB);
      });
    }

    it('the target product, item and offer are still as created after all rejections', async () => {
      expect((await getProduct(t, product)).name).to.match(/^Cible/u);
      const catalogItem = await getItem(t, item);
      expect(catalogItem.sku).to.equal('CIB-1');
      expect(catalogItem.stock).to.equal(10);
      const stored = await getOffer(t, offer);
      expect(stored.price?.value).to.equal(2);
      expect(stored.stock).to.equal(10);
      const enterprise: EnterpriseRecord = byId(await getRecords(t, api(A)), iri(t, api(A)), 'Enterprise');
      expect(enterprise.name).to.equal('Ferme des Trois Chênes');
    });
  });

  // ------------------------------------------------------------------ body limit

  describe('413: a body over the limit', () => {
    let small: TestNode;
    let ids: { product: string; item: string; offer: string };

    before(async () => {
      small = await startTestNode({ bodyLimit: 2048 });
      await small.seed(A);
      const response = await small.request('POST', api(A, 'supplied_products'), {
        headers: { ...bearer(small.adminToken), ...JSONLD }, body: JSON.stringify(nestedProduct({ name: 'Petit' })),
      });
      ids = await created(small, response);
    });
    after(() => small.close());

    it('a body under the limit is taken', async () => {
      const body = bigProduct(1200);
      expect(Buffer.byteLength(body)).to.be.lessThan(2048);
      const response = await small.request('POST', api(A, 'supplied_products'), { headers: { ...bearer(small.adminToken), ...JSONLD }, body });
      expect(response.status, response.text).to.equal(201);
    });

    for (const [name, method, target] of [
      ['POST supplied_products', 'POST', () => api(A, 'supplied_products')],
      ['PUT supplied_products/{id}', 'PUT', () => ids.product.slice(small.base.length)],
      ['PUT catalog_items/{id}', 'PUT', () => ids.item.slice(small.base.length)],
      ['PUT offers/{id}', 'PUT', () => ids.offer.slice(small.base.length)],
      ['PUT enterprises/{eid}', 'PUT', () => api(A)],
      ['POST enterprises', 'POST', () => '/api/dfc/enterprises'],
    ] as const) {
      it(`${name}: 413 problem document, nothing changed`, async () => {
        const before = await snapshot(small, A);
        const body = bigProduct(4096);
        expect(Buffer.byteLength(body)).to.be.greaterThan(2048);
        const response = await small.request(method, target(), { headers: { ...bearer(small.adminToken), ...JSONLD }, body });
        expectProblem(response, 413);
        expect(await snapshot(small, A)).to.equal(before);
      });
    }

    it('413 even without a token (the limit comes first) and the node keeps serving', async () => {
      const response = await small.request('POST', api(A, 'supplied_products'), { headers: JSONLD, body: bigProduct(4096) });
      expect([401, 413]).to.include(response.status);
      expectProblem(response, response.status);
      expect((await small.request('GET', api(A, 'catalog_items'))).status).to.equal(200);
    });
  });
});
