/**
 * Discovery: `/.well-known/dfc/` maps DFC scopes to this node's endpoints, and `/api/dfc/webid` describes the
 * platform (name, the DFC versions it speaks), so a peer can start from the node's base URL alone.
 *
 * @packageDocumentation
 */
import { Router } from 'express';
import { CONTEXT_1_16_URL } from '../../ontology/contexts.js';
import { MAILLON } from '../../ontology/streams.js';
import { scopeIri, SCOPES } from '../auth/tokens.js';
import type { NodeUrls } from '../urls/node-urls.js';
import { SERVED_MEDIA_TYPES } from './negotiate.js';

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
  const webid = JSON.stringify({
    '@context': { schema: 'https://schema.org/', maillon: MAILLON.namespace },
    '@id': `${args.urls.api}/webid`,
    '@type': 'schema:SoftwareApplication',
    'schema:name': args.name,
    'schema:softwareVersion': args.version,
    'maillon:ontologyVersion': ['1.16.0', '2.0.0'],
    'maillon:discovery': { '@id': `${args.urls.base}/.well-known/dfc/` },
  });
  router.get('/api/dfc/webid', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/ld+json').send(webid);
  });
  return router;
}
