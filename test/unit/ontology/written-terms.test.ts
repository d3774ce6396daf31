/**
 * Every class and property IRI the node writes is a term of DFC (issue 12): the official 1.16 ontology for
 * 1.16 output, the 2.0 context for 2.0 output. What we write is found by expanding our real output to triples
 * (the encoder's JSON-LD through jsonld.js, the RDF formats through n3, and the HTTP answers of a real node), so
 * a term cannot hide behind a compaction rule. The ontology and context come from `../shared/dfc/` (AGPL data
 * of another project, never copied here): without them these tests skip, saying so.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Parser, type Quad } from 'n3';
import type { Iri, NodeId } from '../../../ontology/iri.js';
import { DFC_NAMESPACES, NS, type DfcGeneration } from '../../../ontology/namespaces.js';
import type { DfcRecord } from '../../../ontology/records.js';
import { SPELLING_EXCEPTIONS } from '../../../ontology/spellings.js';
import { DFC_B_CLASSES_ADDED_2_0, DFC_B_OBJECT_PROPERTIES_REMOVED_2_0 } from '../../../ontology/terms.js';
import { measureIri } from '../../../ontology/units.js';
import { DFC_B, DFC_B_2_0 } from '../../../ontology/vocabulary.js';
import { encodeJsonLd, type DfcProfile } from '../../../server/codec/encode.js';
import { serialize } from '../../../server/codec/serialize.js';
import { jsonld, offline } from '../../helpers/jsonld.js';
import { bearer as bearerOf, startInProcess, type InProcessNode } from '../../helpers/in-process.js';
import { startTestNode, type TestNode } from '../../helpers/node.js';
import { sampleRecords } from '../../helpers/sample-records.js';
import { readSharedJson, requireShared } from '../../helpers/shared-dfc.js';

const RDF_TYPE = `${NS.rdf}type`;
const OWL = NS.owl;

/**
 * The only IRIs outside DFC the node may write, each with why: the envelope of a response (LDP containers,
 * Hydra paging) and RDF itself. A new one must be added here, on purpose.
 */
const NON_DFC_PROPERTIES = new Map<string, string>([
  [RDF_TYPE, 'RDF'],
  [`${NS.ldp}contains`, 'DFC 2.0 collections are ldp:Containers'],
  [`${NS.hydra}view`, 'Hydra paging of collections'],
  [`${NS.hydra}first`, 'Hydra paging of collections'],
  [`${NS.hydra}next`, 'Hydra paging of collections'],
  [`${NS.hydra}previous`, 'Hydra paging of collections'],
  [`${NS.hydra}last`, 'Hydra paging of collections'],
  [`${NS.owl}sameAs`, 'identity links between two nodes\' records of one product (README: federated catalogue)'],
]);
const NON_DFC_CLASSES = new Map<string, string>([
  [`${NS.ldp}Container`, 'DFC 2.0 collections'],
  [`${NS.hydra}PartialCollectionView`, 'Hydra paging of collections'],
]);

/** What a DFC version defines, as full IRIs in its own namespaces. */
interface Terms {
  readonly generation: DfcGeneration;
  readonly classes: ReadonlySet<string>;
  /** Properties whose values are literals. */
  readonly literalProperties: ReadonlySet<string>;
  /** Properties whose values are nodes. */
  readonly linkProperties: ReadonlySet<string>;
}

/** The terms of the official DFC 1.16 business ontology (its Turtle rendering), by the `owl:` type it gives them. */
function ontologyTerms(path: string): Terms {
  const quads = new Parser().parse(readFileSync(path, 'utf8'));
  const typed = (type: string): Set<string> => new Set(quads
    .filter((q) => q.predicate.value === RDF_TYPE && q.object.value === `${OWL}${type}` && q.subject.termType === 'NamedNode')
    .map((q) => q.subject.value));
  const annotations = typed('AnnotationProperty');
  return {
    generation: '1.x',
    classes: typed('Class'),
    literalProperties: new Set([...typed('DatatypeProperty'), ...annotations]),
    linkProperties: new Set([...typed('ObjectProperty'), ...annotations]),
  };
}

/**
 * The terms of DFC 2.0: the object properties the official 2.0 context declares, the 1.16 datatype properties
 * (a DFC context declares no datatype property, and no 2.0 OWL file is published), the 1.16 classes and the
 * classes 2.0 adds; all in the 2.0 namespaces.
 */
function terms2(context: Record<string, unknown>, v116: Terms): Terms {
  const ns116 = DFC_NAMESPACES['1.x']['dfc-b'];
  const ns20 = DFC_NAMESPACES['2.0']['dfc-b'];
  expect(context['dfc-b']).to.equal(ns20);
  const in20 = (iri: string): string => (iri.startsWith(ns116) ? ns20 + iri.slice(ns116.length) : iri);
  const removed = new Set<string>(DFC_B_OBJECT_PROPERTIES_REMOVED_2_0.map((t) => `${ns20}${t}`));
  return {
    generation: '2.0',
    classes: new Set([...[...v116.classes].map(in20), ...DFC_B_CLASSES_ADDED_2_0.map((t) => `${ns20}${t}`)]),
    literalProperties: new Set([...v116.literalProperties].map(in20).filter((t) => !removed.has(t))),
    linkProperties: new Set(Object.entries(context)
      .filter(([key, value]) => key.startsWith('dfc-b:') && typeof value === 'object' && value !== null && (value as Record<string, unknown>)['@type'] === '@id')
      .map(([key]) => `${ns20}${key.slice('dfc-b:'.length)}`)),
  };
}

const ALL_DFC_NAMESPACES = Object.values(DFC_NAMESPACES).flatMap((table) => Object.values(table));

/**
 * Every IRI of `quads` in a predicate or `rdf:type` position that is not a term of `terms`, with where it was
 * found. A reader's spelling ({@link SPELLING_EXCEPTIONS}) passes only beside its ontology term, with the same value.
 * With `other`, the terms of the other generation: a term `terms` does not define passes under that generation's IRI
 * when it defines it (a 2.0-only `dfc-b:ProductOption` in 1.16 output, the 1.16-only `dfc-b:hasProcess` in 2.0 output).
 */
function offences(quads: readonly Quad[], terms: Terms, other?: Terms): string[] {
  const found: string[] = [];
  const own = DFC_NAMESPACES[terms.generation];
  const inGeneration = (iri: string): string => {
    const ns116 = DFC_NAMESPACES['1.x']['dfc-b'];
    return iri.startsWith(ns116) ? own['dfc-b'] + iri.slice(ns116.length) : iri;
  };
  const twins = new Map(SPELLING_EXCEPTIONS.map((s) => [inGeneration(s.wire), s]));
  const classes = new Map<string, Set<string>>();
  for (const q of quads) {
    if (q.predicate.value === RDF_TYPE) classes.set(q.subject.value, (classes.get(q.subject.value) ?? new Set()).add(q.object.value.replace(/^.*#/u, '')));
  }
  const key = (q: Quad, predicate: string): string => `${q.subject.value} ${predicate} ${q.object.termType}:${q.object.value}`;
  const written = new Set(quads.map((q) => key(q, q.predicate.value)));
  type Kind = 'class' | 'link' | 'literal';
  const defines = (t: Terms, kind: Kind, iri: string): boolean =>
    (kind === 'class' ? t.classes : kind === 'link' ? t.linkProperties : t.literalProperties).has(iri);
  /** A business IRI of any generation in `terms`' own business namespace. */
  const inOwn = (iri: string): string => {
    const from = Object.values(DFC_NAMESPACES).map((ns) => ns['dfc-b']).find((ns) => iri.startsWith(ns));
    return from === undefined ? iri : own['dfc-b'] + iri.slice(from.length);
  };
  const check = (iri: string, kind: Kind, nonDfc: ReadonlyMap<string, string>, what: string): void => {
    const dfc = ALL_DFC_NAMESPACES.some((ns) => iri.startsWith(ns));
    if (!dfc) {
      if (!nonDfc.has(iri)) found.push(`${what} outside DFC and the allow-list: ${iri}`);
    } else if (!Object.values(own).some((ns) => iri.startsWith(ns))) {
      const theirs = other !== undefined && defines(other, kind, iri) && !defines(terms, kind, inOwn(iri));
      if (!theirs) found.push(`${what} in another DFC generation's namespace: ${iri}`);
    } else if (!defines(terms, kind, iri)) {
      found.push(`${what} that is no DFC term: ${iri}`);
    }
  };
  for (const q of quads) {
    const predicate = q.predicate.value;
    if (predicate === RDF_TYPE) {
      check(q.object.value, 'class', NON_DFC_CLASSES, 'class');
      continue;
    }
    const twin = twins.get(predicate);
    if (twin !== undefined) {
      const term = inGeneration(twin.term);
      // The one spelling whose value may differ from its term's: an order's echo of an Offer names as offeredItem what
      // the buyer named (Open Food Network matches its lines by it: the product), as offers the catalog item sold.
      const echo = twin.wire === DFC_B.offeredItem && quads.some((o) => o.subject.value === q.subject.value && o.predicate.value === term);
      if (!written.has(key(q, term)) && !echo) found.push(`reader spelling ${predicate} without its term ${term} beside it (${q.subject.value})`);
      // Only on the kind of resource whose readers need it (an Enterprise is an Organization in 2.0).
      const kinds = classes.get(q.subject.value) ?? new Set();
      if (!kinds.has(twin.on) && !(twin.on === 'Enterprise' && kinds.has('Organization'))) {
        found.push(`reader spelling ${predicate} on a resource that is no ${twin.on} (${q.subject.value})`);
      }
      continue;
    }
    const isLink = q.object.termType === 'NamedNode' || q.object.termType === 'BlankNode';
    check(predicate, isLink ? 'link' : 'literal', NON_DFC_PROPERTIES,
      isLink ? 'link property' : 'literal property');
  }
  return [...new Set(found)].sort();
}

const base = 'https://node.example/api/dfc/enterprises/ferme';
const id = (path: string): NodeId => `${base}/${path}` as NodeId;

/**
 * Every kind of resource the encoder writes, with every field: the sample catalogue (enterprise, address,
 * person, customer category, product group and variants, items, offers, sale session, order and line, social
 * media) plus a catalogue, an order line with a unit, kept characteristics and a planned transformation as
 * peers send them.
 */
function richCatalogue(): DfcRecord[] {
  const records = sampleRecords().map(withoutForeignExtras);
  const item = records.find((r) => r.kind === 'CatalogItem')?.id as NodeId;
  const product = records.find((r) => r.kind === 'SuppliedProduct' && r.quantity !== undefined)?.id as NodeId;
  return [
    ...records,
    { kind: 'Catalog', id: id('catalogs/main'), name: 'Catalogue', maintainedBy: base as NodeId, items: [item] },
    // A country no table maps to an IRI is text, and text goes under a datatype property.
    { kind: 'Address', id: id('addresses/atlantis'), city: 'Poseidonia', country: 'Atlantis' },
    {
      kind: 'OrderLine', id: id('orders/1/lines/2'), order: id('orders/1'), offer: id('offers/tomate-3kg'), quantity: 1.5,
      quantityUnit: measureIri('Kilogram'), price: { value: 4.95, currency: measureIri('Euro'), vatRate: 5.5 },
    },
    {
      kind: 'Resource', id: `${product}/AsPlannedTransformation` as Iri, types: [DFC_B.AsPlannedTransformation],
      extra: {
        [`${DFC_B.namespace}hasInput`]: [{ '@id': `${product}/AsPlannedConsumptionFlow` }],
        [`${DFC_B.namespace}hasOutput`]: [{ '@id': `${product}/AsPlannedProductionFlow` }],
      },
    },
    {
      kind: 'Resource', id: `${product}/AsPlannedConsumptionFlow` as Iri, types: [DFC_B.AsPlannedConsumptionFlow],
      extra: {
        [DFC_B.consumes]: [{ '@id': product }],
        [DFC_B.hasQuantity]: [{ '@type': [DFC_B.QuantitativeValue], properties: { [DFC_B.value]: [{ '@value': '1' }], [DFC_B.hasUnit]: [{ '@id': measureIri('Piece') }] } }],
      },
    },
    {
      kind: 'Resource', id: `${product}/AsPlannedProductionFlow` as Iri, types: [DFC_B.AsPlannedProductionFlow],
      extra: { [DFC_B.produces]: [{ '@id': product }], [`${DFC_B.namespace}frozen`]: [{ '@value': 'false' }] },
    },
    // Terms of one generation only, as a peer's catalogue relays them: written under the IRI of the one that has them.
    {
      kind: 'SuppliedProduct', id: id('supplied_products/confiture'), name: 'Confiture', images: [], variantOf: [], variants: [], catalogItems: [],
      extra: {
        [DFC_B_2_0.hasProductOption]: [{ '@id': id('options/parfum') }], [DFC_B_2_0.isCertifiedBy]: [{ '@id': id('certificates/bio') }],
        [`${DFC_B.namespace}hasProcess`]: [{ '@id': id('processes/cuisson') }],
      },
    },
    { kind: 'Resource', id: id('options/parfum'), types: [DFC_B_2_0.ProductOption], extra: { [DFC_B.name]: [{ '@value': 'Parfum' }] } },
  ];
}

/**
 * A record without the properties a peer sent outside DFC (`ofn:…`, schema.org): the node relays those
 * unchanged, as README "Spelling exceptions" says; this test is about what the node itself writes.
 */
function withoutForeignExtras(record: DfcRecord): DfcRecord {
  if (record.extra === undefined) return record;
  const extra = Object.fromEntries(Object.entries(record.extra).filter(([predicate]) => ALL_DFC_NAMESPACES.some((ns) => predicate.startsWith(ns))));
  return { ...record, extra };
}

/** The triples of a JSON-LD document, through jsonld.js. */
async function jsonLdQuads(document: unknown): Promise<Quad[]> {
  return new Parser({ format: 'application/n-quads' }).parse(await jsonld.toRDF(document, { format: 'application/n-quads', ...offline }));
}

describe('every term the node writes is a DFC term (issue 12)', function () {
  this.timeout(60000);
  let v116: Terms;
  let v20: Terms;

  before(function () {
    v116 = ontologyTerms(requireShared(this, 'ontology', 'DFC_BusinessOntology_1.16.0.ttl'));
    const context = readSharedJson(requireShared(this, 'context', 'context_2.0.0.json')) as { '@context': Record<string, unknown> };
    v20 = terms2(context['@context'], v116);
  });

  const terms = (profile: DfcProfile): Terms => (profile === 'dfc-v2' ? v20 : v116);
  /** The terms of the generation `profile` does not write. */
  const others = (profile: DfcProfile): Terms => (profile === 'dfc-v2' ? v116 : v20);

  it('reads the ontology it checks against (so an empty term list cannot pass everything)', () => {
    expect(v116.classes.has(DFC_B.SuppliedProduct)).to.equal(true);
    expect(v116.literalProperties.has(DFC_B.stockLimitation)).to.equal(true);
    expect(v116.linkProperties.has(DFC_B.offeredThrough)).to.equal(true);
    expect(v116.literalProperties.has(DFC_B.hasStreet)).to.equal(false);
    expect(v20.classes.has(`${DFC_NAMESPACES['2.0']['dfc-b']}Organization`)).to.equal(true);
    expect(v20.linkProperties.has(`${DFC_NAMESPACES['2.0']['dfc-b']}hasProcess`)).to.equal(false);
  });

  it('finds what is no term: a misspelt property, a reader spelling alone, a foreign or another generation\'s IRI', async () => {
    const document = {
      '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json',
      '@graph': [{
        '@id': 'https://x.example/a', '@type': ['dfc-b:Address', 'https://schema.org/Place'],
        'dfc-b:hasStreet': '1 rue', 'dfc-b:city': 'Lyon', 'dfc-b:hasCity': 'Paris', 'dfc-b:colour': 'red',
        'http://w3id.org/dfc/ontology/v2.0.0/src/DFC_BusinessOntology.owl#name': 'n',
      }, {
        '@id': 'https://x.example/p', '@type': 'dfc-b:SuppliedProduct', 'dfc-b:description': 'd', 'dfc-b:hasDescription': 'd',
      }],
    };
    expect(offences(await jsonLdQuads(document), v116)).to.deep.equal([
      'class outside DFC and the allow-list: https://schema.org/Place',
      `literal property in another DFC generation's namespace: ${DFC_NAMESPACES['2.0']['dfc-b']}name`,
      `literal property that is no DFC term: ${DFC_B.namespace}colour`,
      `reader spelling ${DFC_B.hasCity} without its term ${DFC_B.city} beside it (https://x.example/a)`,
      `reader spelling ${DFC_B.hasDescription} on a resource that is no Enterprise (https://x.example/p)`,
      `reader spelling ${DFC_B.hasStreet} without its term ${DFC_B.street} beside it (https://x.example/a)`,
    ]);
  });

  it('takes a term the written generation lacks only under the IRI of the generation that defines it', async () => {
    const v2 = DFC_NAMESPACES['2.0']['dfc-b'];
    const document = {
      '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json',
      '@graph': [{
        '@id': 'https://x.example/o', '@type': `${v2}ProductOption`, [`${v2}name`]: 'n', [`${v2}hasProductOption`]: { '@id': 'https://x.example/p' },
      }, {
        '@id': 'https://x.example/p', '@type': 'dfc-b:ProductOption', 'dfc-b:hasProcess': 'https://x.example/q',
      }],
    };
    expect(offences(await jsonLdQuads(document), v116, v20)).to.deep.equal([
      `class that is no DFC term: ${DFC_B.namespace}ProductOption`,
      // 1.16 defines `name`: its 2.0 IRI has no place in 1.16 output.
      `literal property in another DFC generation's namespace: ${v2}name`,
    ]);
  });

  for (const profile of ['dfc-v1', 'dfc-v2'] as const) {
    it(`the encoder's JSON-LD (${profile}), read by jsonld.js, uses only ${profile === 'dfc-v2' ? 'DFC 2.0 context' : 'DFC 1.16 ontology'} terms`, async () => {
      const records = richCatalogue();
      const document = encodeJsonLd(records, { profile, containerId: `${base}/catalog_items` });
      const quads = await jsonLdQuads(document);
      expect(quads.length).to.be.greaterThan(120);
      expect(offences(quads, terms(profile), others(profile))).to.deep.equal([]);
      // Each reader spelling is written, beside its term.
      const predicates = new Set(quads.map((q) => q.predicate.value));
      const ns = DFC_NAMESPACES[profile === 'dfc-v2' ? '2.0' : '1.x']['dfc-b'];
      for (const s of SPELLING_EXCEPTIONS) {
        for (const iri of [s.term, s.wire]) expect(predicates.has(ns + iri.slice(DFC_B.namespace.length)), iri).to.equal(true);
      }
    });

    for (const format of ['turtle', 'ntriples'] as const) {
      it(`the encoder's ${format} (${profile}) uses the same terms`, () => {
        const text = serialize(richCatalogue(), format, { profile, containerId: `${base}/catalog_items` });
        const quads = new Parser({ format: format === 'turtle' ? 'text/turtle' : 'application/n-triples' }).parse(text);
        expect(quads.length).to.be.greaterThan(120);
        expect(offences(quads, terms(profile), others(profile))).to.deep.equal([]);
      });
    }
  }

  describe('the HTTP answers of a node', () => {
    let t: TestNode;
    before(async function () {
      if (v116 === undefined) this.skip();
      t = await startTestNode({ pageSize: 2 });
      await t.seed('ferme-des-trois-chenes');
      await t.seed('groupement-producteurs-limousins');
    });
    after(async () => {
      await t?.close();
    });

    const PATHS = [
      '/api/dfc/enterprises', '/api/dfc/enterprises/ferme-des-trois-chenes',
      '/api/dfc/enterprises/groupement-producteurs-limousins',
      // The catalogue whole (as a client asking for no pages gets it), and paged.
      '/api/dfc/enterprises/ferme-des-trois-chenes/catalog_items', '/api/dfc/enterprises/ferme-des-trois-chenes/catalog_items?page=1',
      '/api/dfc/enterprises/ferme-des-trois-chenes/supplied_products?page=2',
    ];

    for (const [accept, profile] of [['application/ld+json', 'dfc-v1'], ['application/ld+json; profile="dfc-v2"', 'dfc-v2']] as const) {
      it(`write only DFC ${profile === 'dfc-v2' ? '2.0' : '1.16'} terms (enterprises, paged collections, one resource of each kind)`, async () => {
        const all: Quad[] = [];
        const singles = new Set<string>();
        for (const path of PATHS) {
          const response = await t.request('GET', path, { headers: { accept } });
          expect(response.status, `${path}: ${response.text.slice(0, 200)}`).to.equal(200);
          const document = response.json<{ '@graph'?: { '@id'?: string; '@type'?: unknown }[] }>();
          all.push(...await jsonLdQuads(document));
          // One resource of each kind, fetched by itself.
          for (const node of document['@graph'] ?? []) {
            const nodeId = node['@id'];
            if (typeof nodeId === 'string' && nodeId.startsWith(`${t.base}/api/dfc/enterprises/ferme-des-trois-chenes/`) && !nodeId.includes('?')) {
              singles.add(nodeId.slice(t.base.length));
            }
          }
        }
        for (const path of singles) {
          const response = await t.request('GET', path, { headers: { accept } });
          if (response.status === 200) all.push(...await jsonLdQuads(response.json()));
        }
        const types = new Set(all.filter((q) => q.predicate.value === RDF_TYPE).map((q) => q.object.value.replace(/^.*[#/]/u, '')));
        expect([...types]).to.include.members(['SuppliedProduct', 'CatalogItem', 'Offer', 'Address', 'PartialCollectionView']);
        expect(offences(all, terms(profile))).to.deep.equal([]);
      });
    }
  });

  describe('the order answers of a node', () => {
    let node: InProcessNode;
    before(async function () {
      if (v116 === undefined) this.skip();
      node = await startInProcess({ base: 'http://a.test' });
      await node.seed('ferme');
    });
    after(async () => {
      await node?.close();
    });

    it('write only DFC terms (an order placed as Open Food Network places it, then read back in 1.16 and 2.0)', async () => {
      const api = `${node.base}/api/dfc/enterprises/ferme`;
      const orders = `${api}/orders`;
      const body = JSON.stringify({
        '@context': 'https://www.datafoodconsortium.org',
        '@graph': [
          { '@id': orders, '@type': 'dfc-b:Order', 'dfc-b:orderedBy': 'https://ofn.example/api/dfc/enterprises/7',
            'dfc-b:hasOrderStatus': 'dfc-v:Held', 'dfc-b:hasPart': `${orders}/OrderLines/1` },
          { '@id': `${orders}/OrderLines/1`, '@type': 'dfc-b:OrderLine', 'dfc-b:quantity': '2', 'dfc-b:concerns': `${api}/offers/tomate` },
          { '@id': `${api}/offers/tomate`, '@type': 'dfc-b:Offer', 'dfc-b:offeredItem': `${api}/supplied_products/tomate` },
        ],
      });
      const token = await node.token('ferme', ['ReadOrders', 'WriteOrders', 'ReadProducts']);
      const created = await node.request('POST', '/api/dfc/enterprises/ferme/orders', { headers: { 'content-type': 'application/json', ...bearerOf(token) }, body });
      expect(created.status, created.text).to.equal(201);
      const orderPath = (created.headers.get('location') ?? '').slice(node.base.length);
      for (const [accept, profile] of [['application/ld+json', 'dfc-v1'], ['application/ld+json; profile="dfc-v2"', 'dfc-v2']] as const) {
        const quads: Quad[] = [];
        for (const path of ['/api/dfc/enterprises/ferme/orders', orderPath]) {
          const response = await node.request('GET', path, { headers: { accept, ...bearerOf(token) } });
          expect(response.status, `${path}: ${response.text.slice(0, 200)}`).to.equal(200);
          quads.push(...await jsonLdQuads(JSON.parse(response.text)));
        }
        const types = new Set(quads.filter((q) => q.predicate.value === RDF_TYPE).map((q) => q.object.value.replace(/^.*[#/]/u, '')));
        expect([...types], profile).to.include.members(['Order', 'OrderLine']);
        expect(offences(quads, terms(profile)), profile).to.deep.equal([]);
      }
      expect(offences(await jsonLdQuads(JSON.parse(created.text)), v116)).to.deep.equal([]);
    });
  });

  it('names the same reader spellings as ontology/dfc-vocabulary.ttl\'s wire aliases', () => {
    const quads = new Parser().parse(readFileSync(new URL('../../../ontology/dfc-vocabulary.ttl', import.meta.url), 'utf8'));
    const aliases = quads.filter((q) => q.predicate.value === 'https://maillon.example/ns#wireAliasOf')
      .map((q) => `${q.subject.value} ${q.object.value}`)
      // A bare dfc-b:quantity is an ontology term of its own (deprecated), written only for a line without a unit.
      .filter((pair) => pair !== `${DFC_B.quantity} ${DFC_B.hasQuantity}`);
    expect(SPELLING_EXCEPTIONS.map((s) => `${s.wire} ${s.term}`).sort()).to.deep.equal(aliases.sort());
  });
});
