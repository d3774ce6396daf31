/**
 * The OpenAPI 3.1 description of the node's HTTP API, served at `GET /api/openapi.json`. A test keeps it true:
 * every route the application registers is described here, every operation described here is routed, and the
 * document validates.
 *
 * DFC bodies are RDF in several syntaxes: their schema is left open (the DFC ontology is their schema); the
 * JSON-only routes (sync, subscriptions, listings, admin) and the problem documents are described precisely.
 *
 * @packageDocumentation
 */
import { Router } from 'express';
import { ACCEPTED_BODY_TYPES, SERVED_MEDIA_TYPES } from './negotiate.js';

/** What the document says about the node it describes. */
export interface OpenApiArgs {
  /** The node's public base URL (the `servers` entry). */
  readonly base: string;
  /** The node's version. */
  readonly version: string;
}

/** Who may call an operation. */
type Access = 'public' | 'token' | 'admin';

interface Operation {
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly access: Access;
  /** Path and query parameters (names of components/parameters). */
  readonly parameters?: readonly string[];
  readonly body?: 'dfc' | 'json' | 'order';
  /** Status → what it answers. */
  readonly responses: Readonly<Record<string, 'dfc' | 'json' | 'empty' | 'csv' | 'turtle-or-jsonld' | 'html'>>;
  /** Problem statuses it may answer besides the ones every operation may. */
  readonly problems?: readonly number[];
}

const ref = (kind: string, name: string): { $ref: string } => ({ $ref: `#/components/${kind}/${name}` });

const DFC_CONTENT = Object.fromEntries(SERVED_MEDIA_TYPES.map((type) => [type, {
  schema: type.includes('json') ? { type: 'object', description: 'DFC JSON-LD (1.16, or 2.0 with profile="dfc-v2")' } : { type: 'string' },
}]));

const PROBLEM_TITLES: Readonly<Record<number, string>> = {
  400: 'Malformed request', 401: 'Missing, invalid or expired credential (WWW-Authenticate says which)', 403: 'The credential lacks the scope',
  404: 'Not found (also a private enterprise to a caller that may not see it)', 405: 'Method not allowed (Allow says which)',
  406: 'No acceptable representation', 409: 'Conflict (an order short of stock names each short line)', 412: 'A precondition failed (If-Match stale, If-None-Match matching, modified since If-Unmodified-Since)',
  413: 'Body over MAILLON_BODY_LIMIT', 415: 'Unsupported body media type', 422: 'Invalid DFC (the problems are listed)',
  503: 'Not available now: a peer or supplier node cannot be reached, or this node cannot use its database',
};

function responses(op: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, kind] of Object.entries(op.responses)) {
    const description = status === '304' ? 'Not modified (If-None-Match)' : status.startsWith('2') ? 'Success' : 'See the description';
    if (kind === 'empty') out[status] = { description };
    else if (kind === 'dfc') out[status] = { description, headers: { ETag: ref('headers', 'ETag') }, content: DFC_CONTENT };
    else if (kind === 'html') out[status] = { description, content: { 'text/html': { schema: { type: 'string' } } } };
    else if (kind === 'csv') out[status] = { description, content: { 'text/csv': { schema: { type: 'string' } } } };
    else if (kind === 'turtle-or-jsonld') out[status] = { description, content: { 'text/turtle': { schema: { type: 'string' } }, 'application/ld+json': { schema: { type: 'object' } } } };
    else out[status] = { description, content: { 'application/json': { schema: { type: 'object' } } } };
  }
  const problems = new Set([400, 405, ...(op.access === 'public' ? [] : [401, 403]), ...(op.problems ?? [])]);
  for (const status of [...problems].sort()) out[String(status)] = ref('responses', `Problem${status}`);
  return out;
}

function operation(op: Operation): Record<string, unknown> {
  const security = op.access === 'public'
    // A public read takes a credential when it has one (a private enterprise, more of a collection).
    ? [{}, { bearer: [] }, { apiToken: [] }]
    : [{ bearer: [] }, { apiToken: [] }, { oidc: [] }];
  const body = op.body === undefined ? undefined : op.body === 'json'
    ? { required: true, content: { 'application/json': { schema: { type: 'object' } } } }
    : ref('requestBodies', op.body === 'order' ? 'Order' : 'Dfc');
  return {
    summary: op.summary,
    ...(op.description !== undefined ? { description: op.description } : {}),
    tags: op.tags,
    ...(op.parameters !== undefined && op.parameters.length > 0 ? { parameters: op.parameters.map((p) => ref('parameters', p)) } : {}),
    ...(body !== undefined ? { requestBody: body } : {}),
    security,
    responses: responses(op),
  };
}

const READ: Operation['responses'] = { 200: 'dfc', 304: 'empty' };
const PAGED = ['page', 'page_size'];
/** The preconditions a write of the catalogue or a profile takes (RFC 9110 §13.2.2). */
const WRITE_PRECONDITIONS = ['If-Match', 'If-None-Match', 'If-Unmodified-Since'];
/** A catalogue: whole unless the client asks for pages, by parameter or preference. */
const CATALOGUE_PAGED = [...PAGED, 'Prefer'];
/** A list a client walks along its next links: by page number, or after where the previous page ended (what next links carry). */
const WALKED = [...PAGED, 'cursor'];

/** Every path the node serves, with its operations (Express's `:name` written `{name}`). */
const PATHS: Readonly<Record<string, Readonly<Record<string, Operation>>>> = {
  '/.well-known/dfc': {
    get: { summary: 'DFC discovery (also with a trailing slash)', tags: ['discovery'], access: 'public', responses: { 200: 'json' } },
  },
  '/.well-known/dfc/': {
    get: { summary: 'DFC discovery: DFC scopes → endpoints, supported ontology versions', tags: ['discovery'], access: 'public', responses: { 200: 'json' } },
  },
  '/api/dfc/webid': {
    get: { summary: 'The platform profile (name, DFC versions)', tags: ['discovery'], access: 'public', responses: { 200: 'json' } },
  },
  '/api/openapi.json': {
    get: { summary: 'This document', tags: ['discovery'], access: 'public', responses: { 200: 'json' } },
  },
  '/api/health': {
    get: {
      summary: 'Whether the node can serve: {"status": "ok", "version"}; 503 when its database cannot be read, or its file was removed or replaced under it (writes are then refused)',
      tags: ['discovery'], access: 'public', responses: { 200: 'json' }, problems: [503],
    },
  },
  '/api/dfc/enterprises': {
    get: { summary: 'Every public enterprise (the admin also sees private ones), paged', tags: ['catalogue'], access: 'public', parameters: PAGED, responses: READ, problems: [406] },
    post: {
      summary: 'Create an enterprise from a DFC Enterprise document (admin)', tags: ['catalogue'], access: 'admin', parameters: ['private'],
      body: 'dfc', responses: { 201: 'dfc' }, problems: [409, 413, 415, 422],
    },
  },
  '/api/dfc/enterprises/{eid}': {
    get: { summary: 'The enterprise graph: main contact, address, supplies, manages', tags: ['catalogue'], access: 'public', parameters: ['eid'], responses: READ, problems: [404, 406] },
    put: {
      summary: 'Replace the enterprise profile (WriteEnterprise)', tags: ['catalogue'], access: 'token', parameters: ['eid', ...WRITE_PRECONDITIONS],
      body: 'dfc', responses: { 200: 'dfc' }, problems: [404, 412, 413, 415, 422],
    },
    delete: {
      summary: 'Remove the enterprise (admin): its resources are withdrawn through the change feed, its tokens, grants and listings deleted',
      tags: ['catalogue'], access: 'admin', parameters: ['eid'], responses: { 204: 'empty' }, problems: [404, 409],
    },
  },
  '/api/dfc/enterprises/{eid}/catalog_items': {
    get: {
      summary: 'The whole catalogue: catalog items, supplied products with groups, offers; in pages when asked for',
      description: 'Whole (up to 10,000 products a page) to a client that asks for no pages, as Open Food Network reads it; paged with '
        + 'page/page_size, or with Prefer: return=representation; max-member-count="N".',
      tags: ['catalogue'], access: 'public', parameters: ['eid', ...CATALOGUE_PAGED], responses: READ, problems: [404, 406],
    },
  },
  '/api/dfc/enterprises/{eid}/supplied_products': {
    get: {
      summary: 'The whole catalogue (as catalog_items); in pages when asked for',
      description: 'With a buyer\'s token (WriteOrders without ReadOrders) the page also holds the buyer\'s open (Held) orders: Open '
        + 'Food Network\'s URL rule, applied to our product ids, names this collection as the orders collection, and OFN looks there '
        + 'for its open order. That answer is never stored (Cache-Control: private, no-store) and has no ETag.',
      tags: ['catalogue'], access: 'public', parameters: ['eid', ...CATALOGUE_PAGED], responses: READ, problems: [404, 406],
    },
    post: {
      summary: 'Create products with their catalog items and offers (WriteProducts)',
      description: 'Valid products are created and rejected ones listed in the 201 body; 422 when none is valid. An order posted here '
        + '(Open Food Network\'s URL rule) is taken as posted to …/orders.',
      tags: ['catalogue'], access: 'token', parameters: ['eid'], body: 'dfc', responses: { 200: 'dfc', 201: 'dfc' }, problems: [404, 409, 413, 415, 422],
    },
  },
  '/api/dfc/enterprises/{eid}/SuppliedProducts': {
    get: { summary: 'The catalogue under the FDC spelling', tags: ['catalogue'], access: 'public', parameters: ['eid', ...CATALOGUE_PAGED], responses: READ, problems: [404, 406] },
  },
  '/api/dfc/enterprises/{eid}/supplied_products/{id}': {
    get: { summary: 'One supplied product', tags: ['catalogue'], access: 'public', parameters: ['eid', 'id'], responses: READ, problems: [404, 406] },
    put: {
      summary: 'Replace a product (WriteProducts; 409 for a listing\'s, which its origin manages)', tags: ['catalogue'], access: 'token', parameters: ['eid', 'id', ...WRITE_PRECONDITIONS], body: 'dfc',
      responses: { 200: 'dfc', 204: 'empty' }, problems: [404, 409, 412, 413, 415, 422],
    },
    delete: {
      summary: 'Remove a product with its items and offers (WriteProducts; 409 for a listing\'s: DELETE the listing)', tags: ['catalogue'], access: 'token', parameters: ['eid', 'id', ...WRITE_PRECONDITIONS],
      responses: { 204: 'empty' }, problems: [404, 409, 412],
    },
  },
  '/api/dfc/enterprises/{eid}/SuppliedProducts/{id}': {
    get: { summary: 'One supplied product, under the FDC spelling', tags: ['catalogue'], access: 'public', parameters: ['eid', 'id'], responses: READ, problems: [404, 406] },
  },
  '/api/dfc/enterprises/{eid}/catalog_items/{id}': {
    get: { summary: 'One catalog item', tags: ['catalogue'], access: 'public', parameters: ['eid', 'id'], responses: READ, problems: [404, 406] },
    put: {
      summary: 'Set a catalog item (WriteProducts): JSON-LD, or Open Food Network\'s plain JSON {"dfc-b:stockLimitation": 12, "dfc-b:sku": "…"} (409 for a listing\'s, whose stock is its origin\'s)',
      tags: ['catalogue'], access: 'token', parameters: ['eid', 'id', ...WRITE_PRECONDITIONS], body: 'dfc', responses: { 200: 'dfc' }, problems: [404, 409, 412, 413, 415, 422],
    },
  },
  '/api/dfc/enterprises/{eid}/offers/{id}': {
    get: { summary: 'One offer', tags: ['catalogue'], access: 'public', parameters: ['eid', 'id'], responses: READ, problems: [404, 406] },
    put: {
      summary: 'Set an offer (WriteProducts): JSON-LD, or plain JSON with dfc-b:hasPrice and dfc-b:stockLimitation (409 for a listing\'s, which its origin manages)',
      tags: ['catalogue'], access: 'token', parameters: ['eid', 'id', ...WRITE_PRECONDITIONS], body: 'dfc', responses: { 200: 'dfc' }, problems: [404, 409, 412, 413, 415, 422],
    },
  },
  '/api/dfc/enterprises/{eid}/sale_sessions/{id}': {
    get: { summary: 'One sale session (from imports)', tags: ['catalogue'], access: 'public', parameters: ['eid', 'id'], responses: READ, problems: [404, 406] },
  },
  '/api/dfc/enterprises/{eid}/customer_categories/{id}': {
    get: { summary: 'One customer category (from imports)', tags: ['catalogue'], access: 'public', parameters: ['eid', 'id'], responses: READ, problems: [404, 406] },
  },
  '/api/dfc/enterprises/{eid}/catalogs/{id}': {
    get: { summary: 'One catalogue (from imports)', tags: ['catalogue'], access: 'public', parameters: ['eid', 'id'], responses: READ, problems: [404, 406] },
  },
  '/api/dfc/persons/{id}': {
    get: { summary: 'An enterprise\'s main contact', tags: ['catalogue'], access: 'public', parameters: ['id'], responses: READ, problems: [404, 406] },
  },
  '/api/dfc/addresses/{id}': {
    get: { summary: 'An enterprise\'s address', tags: ['catalogue'], access: 'public', parameters: ['id'], responses: READ, problems: [404, 406] },
  },
  '/api/dfc/enterprises/{eid}/feed': {
    get: { summary: 'The enterprise\'s change feed (LDES); fragments with ?after=N', tags: ['feed'], access: 'public', parameters: ['eid', 'after'], responses: { 200: 'turtle-or-jsonld', 304: 'empty' }, problems: [404, 406] },
  },
  '/api/dfc/feed': {
    get: { summary: 'The node\'s change feed (LDES); fragments with ?after=N', tags: ['feed'], access: 'public', parameters: ['after'], responses: { 200: 'turtle-or-jsonld', 304: 'empty' }, problems: [406] },
  },
  '/api/dfc/feed/versions/{seq}': {
    get: { summary: 'One version of the change feed (an LDES member, a notification\'s maillon:version): immutable; written private, its enterprise\'s readers\' only', tags: ['feed'], access: 'public', parameters: ['seq'], responses: { 200: 'turtle-or-jsonld', 304: 'empty' }, problems: [404, 406] },
  },
  '/api/dfc/subscriptions': {
    get: { summary: 'Your webhook subscriptions', tags: ['feed'], access: 'token', responses: { 200: 'json' } },
    post: {
      summary: 'Register a webhook {"callback": URL, "enterprise": EID}; the shared secret is answered once; 409 (Location: the existing one) when this token has it already',
      tags: ['feed'], access: 'token', body: 'json', responses: { 201: 'json' }, problems: [404, 409, 413, 415, 422],
    },
  },
  '/api/dfc/subscriptions/{id}': {
    get: { summary: 'A subscription\'s delivery status', tags: ['feed'], access: 'token', parameters: ['id'], responses: { 200: 'json' }, problems: [404] },
    delete: { summary: 'Remove a subscription', tags: ['feed'], access: 'token', parameters: ['id'], responses: { 204: 'empty' }, problems: [404] },
  },
  ...Object.fromEntries(['orders', 'Orders'].flatMap((collection) => [
    [`/api/dfc/enterprises/{eid}/${collection}`, {
      get: { summary: `The orders, newest first, paged (ReadOrders: all; WriteOrders: a buyer's own)${collection === 'Orders' ? ' (FDC spelling)' : ''}`, tags: ['orders'], access: 'token', parameters: ['eid', ...WALKED], responses: READ, problems: [404, 406] },
      post: {
        summary: 'Place an order (WriteOrders): every line reserved at once, or none', tags: ['orders'], access: 'token',
        parameters: ['eid', 'Idempotency-Key', 'Maillon-Order-Via'], body: 'order', responses: { 201: 'dfc' }, problems: [400, 404, 409, 413, 415, 422, 503],
      },
    }],
    [`/api/dfc/enterprises/{eid}/${collection}/{n}`, {
      get: { summary: 'One order', tags: ['orders'], access: 'token', parameters: ['eid', 'n'], responses: READ, problems: [404, 406] },
      put: {
        summary: 'Change an order\'s lines and status (Complete sells, Cancelled gives back)', tags: ['orders'], access: 'token',
        parameters: ['eid', 'n', 'If-Match', 'Maillon-Order-Via'], body: 'order', responses: { 200: 'dfc' }, problems: [400, 404, 409, 412, 413, 415, 422, 503],
      },
      delete: { summary: 'Cancel an order', tags: ['orders'], access: 'token', parameters: ['eid', 'n', 'If-Match'], responses: { 200: 'dfc', 204: 'empty' }, problems: [404, 409, 412, 503] },
    }],
    [`/api/dfc/enterprises/{eid}/${collection}/{n}/OrderLines/{line}`, {
      get: { summary: 'One line of an order: its order\'s document (Content-Location), to those who may see the order', tags: ['orders'], access: 'token', parameters: ['eid', 'n', 'line'], responses: READ, problems: [404, 406] },
    }],
  ])) as Record<string, Record<string, Operation>>,
  '/api/dfc/enterprises/{eid}/listings': {
    get: { summary: 'The enterprise\'s listings of other nodes\' items (WriteProducts)', tags: ['orders'], access: 'token', parameters: ['eid'], responses: { 200: 'json' }, problems: [404] },
    post: {
      summary: 'List another node\'s catalog item {"item": IRI, "price"? | "markup"?}', tags: ['orders'], access: 'token', parameters: ['eid'],
      body: 'json', responses: { 201: 'json' }, problems: [404, 409, 413, 415, 422, 503],
    },
  },
  '/api/dfc/enterprises/{eid}/listings/{id}': {
    get: {
      summary: 'One listing (origin.state: available, or gone when its owner removed the item: stock 0, orders refused)', tags: ['orders'], access: 'token',
      parameters: ['eid', 'id'], responses: { 200: 'json' }, problems: [404],
    },
    patch: {
      summary: 'Change the price a listing sells at {"price": P} | {"markup": "15%"} | {"price": null} (the origin\'s); published at once, placed orders keep theirs',
      tags: ['orders'], access: 'token', parameters: ['eid', 'id'], body: 'json', responses: { 200: 'json' }, problems: [404, 409, 413, 415, 422, 503],
    },
    delete: {
      summary: 'Remove a listing with what it published; 409 naming the open orders that sell from it, unless force=true cancels them (200 {"cancelledOrders"})',
      tags: ['orders'], access: 'token', parameters: ['eid', 'id', 'force'], responses: { 200: 'json', 204: 'empty' }, problems: [400, 404, 409],
    },
  },
  '/api/sync/peers': {
    get: { summary: 'The peers (admin)', tags: ['sync'], access: 'admin', responses: { 200: 'json' } },
    post: {
      summary: 'Add a peer {"url", "name"?, "token"?, "tokenHeader"?, "interval"?, "profile"?, "kind"?: "dfc" | "solid"} (admin)', tags: ['sync'], access: 'admin',
      body: 'json', responses: { 201: 'json' }, problems: [409, 413, 415, 422],
    },
  },
  '/api/sync/peers/{id}': {
    get: { summary: 'One peer, its counts and quarantined records (admin)', tags: ['sync'], access: 'admin', parameters: ['id'], responses: { 200: 'json' }, problems: [404] },
    patch: {
      summary: 'Change a peer {"name"?, "token"?, "tokenHeader"?, "interval"?, "profile"?} (merge patch; its synced data stays) (admin)',
      tags: ['sync'], access: 'admin', parameters: ['id'], body: 'json', responses: { 200: 'json' }, problems: [404, 409, 413, 415, 422],
    },
    delete: { summary: 'Remove a peer and its data (admin)', tags: ['sync'], access: 'admin', parameters: ['id'], responses: { 204: 'empty' }, problems: [404] },
  },
  '/api/sync/peers/{id}/sync': {
    post: { summary: 'Sync one peer now (admin): {"ok": true, "summary"} or {"ok": false, "failure"}; failure kind `busy` when another process (a `maillon sync` beside the node) is syncing it: not synced twice at once', tags: ['sync'], access: 'admin', parameters: ['id'], responses: { 200: 'json' }, problems: [404, 409] },
  },
  '/api/sync/peers/{id}/subscribe': {
    post: { summary: 'Subscribe to a peer\'s push notifications (admin)', tags: ['sync'], access: 'admin', parameters: ['id'], responses: { 200: 'json', 201: 'json' }, problems: [404, 503] },
  },
  '/api/sync/status': {
    get: {
      summary: 'Every peer\'s sync status, last error and summary, quarantine count, and how its changes reach us (admin)', tags: ['sync'], access: 'admin',
      description: 'Per peer: `status` (`syncing` while a sync of it runs, `syncingSince` then set; `lastStatus`, `failures` and `lastError` are what its last sync left), `quarantined` (a count; the records are in the peer\'s detail), `changes` (`via` push or interval, `read` from its feed, a snapshot or unknown yet) and `push` (our subscription at the peer: `state`, when made, notifications received, failed attempts; never its secret).',
      responses: { 200: 'json' },
    },
  },
  '/api/sync/feed': {
    get: {
      summary: 'Our change feed\'s state and the push subscriptions other nodes hold at it (admin)', tags: ['sync'], access: 'admin',
      description: '`feed`: the newest sequence, when it was written, events kept, the stream id. `subscriptions`: each one\'s target (a callback without credentials or query), state, last delivery, failures in a row, last error; never a secret nor a token.',
      responses: { 200: 'json' },
    },
  },
  '/api/sync/notifications/{peer}': {
    post: {
      summary: 'Where a peer posts its signed notifications (Maillon-Signature: t=…,v1=…)', tags: ['sync'], access: 'public',
      parameters: ['peer'], body: 'json', responses: { 202: 'empty' }, problems: [401, 404, 413, 415],
    },
  },
  '/api/admin/oidc/issuers': {
    get: { summary: 'The OpenID issuers whose tokens are accepted (admin)', tags: ['admin'], access: 'admin', responses: { 200: 'json' } },
    post: { summary: 'Accept an issuer {"issuer": URL | "les-communs" | "fdc", "audience"?} (admin)', tags: ['admin'], access: 'admin', body: 'json', responses: { 201: 'json' }, problems: [413, 415, 422] },
    delete: { summary: 'Stop accepting an issuer (?issuer=URL) (admin)', tags: ['admin'], access: 'admin', parameters: ['issuer'], responses: { 204: 'empty' }, problems: [404] },
  },
  '/api/admin/grants': {
    get: { summary: 'What OpenID identities may do', tags: ['admin'], access: 'token', parameters: ['enterprise'], responses: { 200: 'json' } },
    post: {
      summary: 'Grant scopes on an enterprise to an OpenID identity {"email" | "sub" | "clientId", "enterprise", "scopes", "issuer"?}', tags: ['admin'],
      access: 'token', body: 'json', responses: { 201: 'json' }, problems: [404, 409, 413, 415, 422],
    },
  },
  '/api/admin/grants/{id}': {
    delete: { summary: 'Revoke a grant', tags: ['admin'], access: 'token', parameters: ['id'], responses: { 204: 'empty' }, problems: [404] },
  },
  '/api/federation/catalog': {
    get: {
      summary: 'The federated catalogue (ours and every peer\'s); N-Quads with one graph per source', tags: ['federation'], access: 'public',
      description: 'Paged with page_size and page, or after (the cursor every next link carries: a walk along the next links sees every row there for '
        + 'the whole walk once, whatever syncs insert or remove meanwhile; with q, every match of the list its first page found, whatever changes meanwhile, while the node keeps the walk: a 409 to start again once it does not).',
      parameters: ['type', 'q', 'near', 'radius_km', 'in_stock', 'enterprise', 'peerFilter', ...WALKED], responses: READ, problems: [406, 409],
    },
  },
  '/api/federation/catalog.csv': {
    get: {
      summary: 'The federated catalogue, filtered, as CSV', tags: ['federation'], access: 'public',
      parameters: ['type', 'q', 'near', 'radius_km', 'in_stock', 'enterprise', 'peerFilter'], responses: { 200: 'csv', 304: 'empty' },
    },
  },
  '/api/federation/rows': {
    get: {
      summary: 'A page of the federated catalogue as plain JSON rows for people (the dashboard\'s table): {total, page, pageSize, rows}',
      description: 'Sorted by sort (relevance by default; name, typeLabel, price, stock, enterpriseName, city, postcode or sourceName, a leading - for descending); labels in the Accept-Language (fr or en). page_size is at most 500.',
      tags: ['federation'], access: 'public', parameters: ['type', 'q', 'near', 'radius_km', 'in_stock', 'enterprise', 'peerFilter', 'sort', ...PAGED],
      responses: { 200: 'json', 304: 'empty' },
    },
  },
  '/api/federation/producers': {
    get: {
      summary: 'The producers with coordinates behind the matching offers, for a map: {total, producers: [{iri, name, lat, lon, offers, inStock, source…}]} (at most 2,000); with max_points=N and more than N producers, their towns instead: {total, towns: [{city, postcode, label, lat, lon, producers, offers, inStock}]}',
      tags: ['federation'], access: 'public', parameters: ['type', 'q', 'near', 'radius_km', 'in_stock', 'enterprise', 'peerFilter', 'max_points'], responses: { 200: 'json', 304: 'empty' }, problems: [400],
    },
  },
  '/': {
    get: {
      summary: 'The dashboard, to a browser (a request preferring text/html); an API client gets a 404 problem pointing to discovery',
      tags: ['dashboard'], access: 'public', responses: { 200: 'html' }, problems: [404],
    },
  },
  '/dashboard': {
    get: {
      summary: 'The territory dashboard (HTML; its scripts, styles and Leaflet are under /dashboard/assets/ and /dashboard/vendor/leaflet/)',
      tags: ['dashboard'], access: 'public', responses: { 200: 'html' },
    },
  },
  '/api/federation/stats': {
    get: {
      summary: 'Producers, products and offers per product type, source and postcode area (of what the filters match)', tags: ['federation'], access: 'public',
      description: 'Totals and each slice also count the offers in stock now (inStock); each product type gives its broader type (broader, null at the top), for a tree.',
      parameters: ['type', 'q', 'near', 'radius_km', 'in_stock', 'enterprise', 'peerFilter'], responses: { 200: 'json', 304: 'empty' },
    },
  },
  '/api/federation/places': {
    get: {
      summary: 'The towns of the catalogue\'s producers, for a distance filter: {places: [{city, postcode, label, lat, lon, producers}]}',
      description: 'Each town\'s point is the centre of its producers (each producer counted once); its label ("Saint-Junien (87200)") is what near= takes back.',
      tags: ['federation'], access: 'public', responses: { 200: 'json', 304: 'empty' },
    },
  },
  '/api/federation/gaps': {
    get: {
      summary: 'What a territory lacks: the product types with no producer within radius_km of near, each with nearestKm (null when nobody offers it) and producersElsewhere',
      description: 'near is required; in_stock, enterprise and peer filter the offers looked at; type and q are refused (every type is looked at). Types roll up the taxonomy: a producer of tomatoes nearby fills the vegetable gap.',
      tags: ['federation'], access: 'public', parameters: ['near', 'radius_km', 'in_stock', 'enterprise', 'peerFilter'], responses: { 200: 'json', 304: 'empty' },
    },
  },
};

const query = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }): Record<string, unknown> => ({
  name, in: 'query', required: false, description, schema,
});
const path = (name: string, description: string): Record<string, unknown> => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const header = (name: string, description: string): Record<string, unknown> => ({ name, in: 'header', required: false, description, schema: { type: 'string' } });

const CODEC_PROBLEM = {
  type: 'object',
  required: ['code', 'message', 'severity'],
  properties: {
    code: { type: 'string', description: 'stable: invalid-json, unknown-context, missing-property, out-of-range…' },
    id: { type: ['string', 'null'] }, type: { type: ['string', 'null'] }, path: { type: 'string' }, message: { type: 'string' },
    severity: { enum: ['error', 'warning'] },
  },
};

/**
 * The OpenAPI 3.1 document.
 *
 * @returns a plain JSON value
 */
export function openApiDocument(args: OpenApiArgs): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [route, operations] of Object.entries(PATHS)) {
    paths[route] = Object.fromEntries(Object.entries(operations).map(([method, op]) => [method, operation(op)]));
  }
  const dfcBody = Object.fromEntries(ACCEPTED_BODY_TYPES.map((type) => [type, { schema: type.includes('json') ? { type: 'object' } : { type: 'string' } }]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Maillon node',
      version: args.version,
      summary: 'A federation node for short food supply chains, speaking the Data Food Consortium (DFC) vocabulary',
      license: { name: 'AGPL-3.0-or-later', identifier: 'AGPL-3.0-or-later' },
    },
    servers: [{ url: args.base }],
    tags: ['discovery', 'catalogue', 'orders', 'feed', 'sync', 'federation', 'admin', 'dashboard'].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token of this node (maillon token create), or a JWT of a configured OpenID issuer' },
        apiToken: { type: 'apiKey', in: 'header', name: 'X-Api-Token', description: 'An API token, as Open Food Network sends it' },
        oidc: {
          type: 'openIdConnect', openIdConnectUrl: 'https://login.lescommuns.org/auth/realms/data-food-consortium/.well-known/openid-configuration',
          description: 'Tokens of the issuers the operator configured (maillon oidc issuer add); the DFC identity service is the usual one',
        },
      },
      schemas: {
        CodecProblem: CODEC_PROBLEM,
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, instance: { type: 'string' },
            problems: { type: 'array', items: ref('schemas', 'CodecProblem') },
            shortLines: {
              type: 'array', description: 'an order\'s lines short of stock (409), ours or a listing\'s supplier\'s, in the terms of the order sent',
              items: {
                type: 'object', required: ['line', 'item', 'requested', 'available'],
                properties: {
                  line: { type: 'integer', description: 'the line\'s position in the order, from 1' },
                  id: { type: 'string', description: 'the line\'s @id as sent' },
                  offer: { type: 'string' }, item: { type: 'string' },
                  requested: { type: 'number', description: 'the line\'s own quantity (in an amendment, its new quantity)' },
                  available: { type: 'number', description: 'the most the order could have of the line\'s stock (what is left, plus what the order holds); shared by the lines on the same stock' },
                  requestedTogether: { type: 'number', description: 'with other lines on the same stock: what they all ask' },
                  sharedWith: { type: 'array', items: { type: 'integer' }, description: 'with other lines on the same stock: their positions' },
                  supplier: {
                    type: 'object', description: 'a listed line: what its supplier was asked and has, in its packs of `factor` units',
                    properties: { requested: { type: 'number' }, available: { type: 'number' }, factor: { type: 'number' } },
                  },
                },
              },
            },
          },
        },
      },
      responses: Object.fromEntries(Object.entries(PROBLEM_TITLES).map(([status, title]) => [`Problem${status}`, {
        description: title, content: { 'application/problem+json': { schema: ref('schemas', 'Problem') } },
      }])),
      headers: {
        ETag: { description: 'A strong validator: from a collection\'s bytes, or a resource\'s stored version', schema: { type: 'string' } },
      },
      requestBodies: {
        Dfc: { required: true, description: 'A DFC document in any syntax the codec reads', content: dfcBody },
        Order: {
          required: true, description: 'A dfc-b:Order with dfc-b:OrderLines (JSON-LD; application/json as Open Food Network sends it)',
          content: { 'application/ld+json': { schema: { type: 'object' } }, 'application/json': { schema: { type: 'object' } } },
        },
      },
      parameters: {
        eid: path('eid', 'The enterprise\'s id on this node'),
        id: path('id', 'The resource\'s id'),
        n: path('n', 'The order\'s number'),
        line: path('line', 'The line\'s position in its order (1, 2…)'),
        seq: path('seq', 'A version\'s sequence number in the feed'),
        peer: path('peer', 'The peer\'s id on the receiving node'),
        page: query('page', 'Page number, from 1', { type: 'integer', minimum: 1 }),
        page_size: query('page_size', 'Page size (default MAILLON_PAGE_SIZE, at most 10,000)', { type: 'integer', minimum: 1, maximum: 10000 }),
        private: query('private', 'true: a private enterprise', { type: 'boolean' }),
        force: query('force', 'true: cancel the open orders that sell from the listing (and their orders at its owner) with it', { type: 'boolean' }),
        after: query('after', 'The fragment after this sequence number', { type: 'integer', minimum: 0 }),
        cursor: query('after', 'Where the previous page ended: the opaque cursor a next link carries (not with page); 400 when this node did not write it for this list'),
        issuer: { ...query('issuer', 'The issuer URL'), required: true },
        enterprise: query('enterprise', 'An enterprise id (grants) or IRI (federated catalogue)'),
        type: query('type', 'A product type IRI or local name (narrower types included)'),
        q: query('q', 'Text to search'),
        sort: query('sort', 'relevance, or a column (name, typeLabel, price, stock, enterpriseName, city, postcode, sourceName), - first for descending'),
        peerFilter: query('peer', 'A peer id, or local for this node\'s own; an id that is no peer of this node is a 400 naming it'),
        near: query('near', 'A point "latitude,longitude" in degrees (45.83,1.26), or a town of the catalogue by name (Saint-Junien, accents and case ignored), postcode (87200) or both as /api/federation/places labels it (Saint-Junien (87200)); 400 with suggestions when unknown or ambiguous'),
        radius_km: query('radius_km', 'Radius around near, in km, as a plain decimal (25, 12.5; not 0x10 or 1e2)', { type: 'number', exclusiveMinimum: 0, maximum: 20000 }),
        in_stock: query('in_stock', 'true: only what is in stock', { type: 'boolean' }),
        max_points: query('max_points', 'The most producers sent one by one; more come by town', { type: 'integer', minimum: 0, maximum: 2000 }),
        'If-Match': header('If-Match', 'Write only if the resource is still at this ETag (412 otherwise); * requires it to exist'),
        'If-None-Match': header('If-None-Match', 'Write only if the resource is at none of these ETags (compared weakly); * requires it not to exist: 412 otherwise'),
        'If-Unmodified-Since': header('If-Unmodified-Since', 'Without If-Match: write only if not modified since this HTTP date (its Last-Modified), 412 otherwise'),
        Prefer: header('Prefer', 'return=representation; max-member-count="N": the catalogue in pages of at most N products (at most the page size)'),
        'Idempotency-Key': header('Idempotency-Key', 'A retry with the same key gets the same order, and reserves nothing again'),
        'Maillon-Order-Via': header('Maillon-Order-Via', 'The base URLs of the nodes the order came through, comma-separated, the buyer\'s node last (a node ordering for its listings sends it): 409 when it names this node (listings that lead round) or more than 4 nodes'),
      },
    },
  };
}

/** Serves the document at `GET /api/openapi.json` (public, cached for a while: it changes only with the code). */
export function openApiRoutes(args: OpenApiArgs): Router {
  const router = Router();
  const body = JSON.stringify(openApiDocument(args));
  router.get('/api/openapi.json', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('application/json').send(body);
  });
  return router;
}

/** Each path template of {@link PATHS} as a pattern, with the methods it allows (`HEAD` with `GET`, and `OPTIONS`). */
const ROUTE_METHODS: readonly { readonly pattern: RegExp; readonly methods: readonly string[] }[] = Object.entries(PATHS).map(([route, operations]) => {
  // As Express routes: whatever the case, with or without a trailing slash.
  const pattern = new RegExp(`^${route.replace(/(.)\/$/u, '$1').split(/\{[^}]+\}/u).map((part) => part.replace(/[.*+?^$()|[\]\\]/gu, '\\$&')).join('[^/]+')}/?$`, 'iu');
  const methods = Object.keys(operations).map((m) => m.toUpperCase());
  return { pattern, methods: [...methods, ...(methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'] };
});

/**
 * The methods the node serves at a path, as an `Allow` header (`GET, HEAD, OPTIONS`), from the routes this document
 * lists (every route the node serves); undefined for a path it serves no route at. For a 405 where no router answered
 * a method the path does not take (`PUT /api/dfc/feed` was a 404, "nothing at", beside an `Allow` of its own).
 */
export function allowedMethods(path: string): string | undefined {
  const methods = new Set<string>();
  for (const route of ROUTE_METHODS) if (route.pattern.test(path)) for (const method of route.methods) methods.add(method);
  return methods.size === 0 ? undefined : [...methods].join(', ');
}
