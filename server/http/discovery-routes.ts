/**
 * Discovery: `/.well-known/dfc/` maps DFC scopes to this node's endpoints, and `/api/dfc/webid` describes the
 * platform (name, the DFC versions it speaks), so a peer can start from the node's base URL alone.
 *
 * @packageDocumentation
 */
import { Router } from 'express';
import { DataFactory, Writer, type Quad } from 'n3';
import { CONTEXT_1_16_URL } from '../../ontology/contexts.js';
import { DFC_NAMESPACES, NS } from '../../ontology/namespaces.js';
import { MAILLON } from '../../ontology/streams.js';
import { scopeIri, SCOPES } from '../auth/tokens.js';
import type { NodeUrls } from '../urls/node-urls.js';
import { mediaTypeOnly, negotiate, SERVED_MEDIA_TYPES } from './negotiate.js';
import { sendRendered } from './render.js';

/** Options of {@link discoveryRoutes}. */
export interface DiscoveryArgs {
  readonly urls: NodeUrls;
  readonly name: string;
  readonly version: string;
}

/** The discovery document. */
export function discoveryDocument(args: DiscoveryArgs): Record<string, unknown> {
  const { urls } = args;
  const catalogue = `${urls.enterprises()}/{eid}/catalog_items`;
  const endpoints: Record<string, string> = {
    ReadEnterprise: `${urls.enterprises()}/{eid}`,
    WriteEnterprise: `${urls.enterprises()}/{eid}`,
    ReadProducts: catalogue,
    WriteProducts: `${urls.enterprises()}/{eid}/supplied_products`,
  };
  return {
    '@context': { '@vocab': MAILLON.namespace, dfc: 'https://www.datafoodconsortium.org/' },
    '@id': `${urls.base}/.well-known/dfc/`,
    platform: `${urls.api}/webid`,
    name: args.name,
    software: 'Maillon',
    version: args.version,
    ontologyVersions: ['1.16.0', '2.0.0'],
    context: CONTEXT_1_16_URL,
    mediaTypes: SERVED_MEDIA_TYPES,
    enterprises: urls.enterprises(),
    feed: `${urls.api}/feed`,
    subscriptions: `${urls.api}/subscriptions`,
    enterpriseFeed: `${urls.enterprises()}/{eid}/feed`,
    scopes: SCOPES.filter((s) => endpoints[s] !== undefined).map((scope) => ({ scope, iri: scopeIri(scope), endpoint: endpoints[scope] })),
  };
}

/** Builds the discovery router (mounted at the root). */
export function discoveryRoutes(args: DiscoveryArgs): Router {
  const router = Router();
  const document = JSON.stringify(discoveryDocument(args));
  router.get(['/.well-known/dfc', '/.well-known/dfc/'], (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/ld+json').send(document);
  });
  const webid = platformWebId(args);
  const bodies = new Map<string, string>();
  router.get('/api/dfc/webid', (req, res) => {
    // As every other resource: JSON-LD, or Turtle, N-Triples or N-Quads when asked (406 for anything else).
    const representation = negotiate(req.get('accept'));
    let body = bodies.get(representation.format);
    if (body === undefined) {
      body = representation.format === 'jsonld' ? JSON.stringify(webid.document) : writeQuads(webid.quads, representation.format);
      bodies.set(representation.format, body);
    }
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('Vary', 'Accept');
    // The media type chosen (`application/json` to a client that refused `application/ld+json`), without a DFC
    // profile: the WebID is the same document in both.
    sendRendered(res, mediaTypeOnly(representation.contentType), body);
  });
  return router;
}

const SCHEMA = 'https://schema.org/';
const FOAF = 'http://xmlns.com/foaf/0.1/';
const DFC_T = DFC_NAMESPACES['1.x']['dfc-t'];

/**
 * The platform's WebID, as Open Food Network describes its own (a `dfc-t:Platform`, a `foaf:Agent`, with the
 * ontology versions it speaks), with our name, version and discovery document; as JSON-LD and as its quads.
 */
function platformWebId(args: DiscoveryArgs): { document: Record<string, unknown>; quads: Quad[] } {
  const id = `${args.urls.api}/webid`;
  const versions = ['1.16.0', '2.0.0'];
  const discovery = `${args.urls.base}/.well-known/dfc/`;
  const document = {
    '@context': { schema: SCHEMA, foaf: FOAF, 'dfc-t': DFC_T, maillon: MAILLON.namespace },
    '@id': id,
    '@type': ['dfc-t:Platform', 'foaf:Agent', 'schema:SoftwareApplication'],
    'schema:name': args.name,
    'schema:softwareVersion': args.version,
    'dfc-t:supportedOntologyVersion': versions,
    'maillon:ontologyVersion': versions,
    'maillon:discovery': { '@id': discovery },
  };
  const { namedNode, literal, quad } = DataFactory;
  const subject = namedNode(id);
  const type = namedNode(`${NS.rdf}type`);
  const quads = [
    ...[`${DFC_T}Platform`, `${FOAF}Agent`, `${SCHEMA}SoftwareApplication`].map((t) => quad(subject, type, namedNode(t))),
    quad(subject, namedNode(`${SCHEMA}name`), literal(args.name)),
    quad(subject, namedNode(`${SCHEMA}softwareVersion`), literal(args.version)),
    ...versions.map((v) => quad(subject, namedNode(`${DFC_T}supportedOntologyVersion`), literal(v))),
    ...versions.map((v) => quad(subject, namedNode(`${MAILLON.namespace}ontologyVersion`), literal(v))),
    quad(subject, namedNode(`${MAILLON.namespace}discovery`), namedNode(discovery)),
  ];
  return { document, quads };
}

/** Writes a few quads in an RDF format (N3.js: its writer is synchronous for a document given whole). */
function writeQuads(quads: readonly Quad[], format: 'turtle' | 'ntriples' | 'nquads'): string {
  const writer = new Writer({
    format: format === 'turtle' ? 'Turtle' : format === 'ntriples' ? 'N-Triples' : 'N-Quads',
    ...(format === 'turtle' ? { prefixes: { schema: SCHEMA, foaf: FOAF, 'dfc-t': DFC_T, maillon: MAILLON.namespace } } : {}),
  });
  writer.addQuads([...quads]);
  let text = '';
  writer.end((error: Error | null, result: string) => {
    if (error !== null) throw error;
    text = result;
  });
  return text;
}
