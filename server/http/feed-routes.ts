/**
 * The change feed under `/api/dfc`: the node's stream at `/feed`, an enterprise's at
 * `/enterprises/{eid}/feed`, fragments at `?after=N`. Full fragments are immutable; the newest one is
 * served with a short max-age and an ETag.
 *
 * @packageDocumentation
 */
import { Router, type Request, type Response } from 'express';
import type { Iri } from '../../ontology/iri.js';
import { NS } from '../../ontology/namespaces.js';
import type { DfcRecord, ExtraValue } from '../../ontology/records.js';
import { principalOf, requireVisible } from '../auth/middleware.js';
import { allows, isAdmin } from '../auth/tokens.js';
import { unknownEnterprise } from '../catalog/catalog-reads.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import { encodeJsonLd } from '../codec/encode.js';
import { serialize } from '../codec/serialize.js';
import { BadRequestHttpError, NotFoundHttpError } from '../errors/http-error.js';
import { versionIri, versionRecord } from '../codec/ldes.js';
import { DCTERMS, FEED_CONTEXT, LDES, MAILLON, TREE } from '../../ontology/streams.js';
import type { FeedStore } from '../store/feed.js';
import { mediaTypeOnly, negotiate } from './negotiate.js';
import { requestIri } from './page-params.js';
import { etagOf, sendBody } from './render.js';

/** Options of {@link feedRoutes}. */
export interface FeedRoutesArgs {
  readonly feed: FeedStore;
  readonly catalog: CatalogService;
  /** Versions per fragment. */
  readonly fragmentSize: number;
}

const link = (iri: string): ExtraValue[] => [{ '@id': iri }];

/** Builds the router (mounted at `/api/dfc`). */
export function feedRoutes(args: FeedRoutesArgs): Router {
  const router = Router();
  const { feed, catalog } = args;
  const api = catalog.urls.api;

  const send = async (req: Request, res: Response, records: readonly DfcRecord[], immutable: boolean, isPrivate: boolean): Promise<void> => {
    const representation = negotiate(req.get('accept'), ['jsonld', 'turtle']);
    let body: string;
    if (representation.format === 'turtle') {
      body = serialize(records, 'turtle');
    } else {
      // An inline context: LDES clients must not have to fetch a remote one.
      body = JSON.stringify({ '@context': FEED_CONTEXT, '@graph': encodeJsonLd(records)['@graph'] });
    }
    // The media type chosen (`application/json` to a client that refused `application/ld+json`); a feed has one
    // JSON-LD form whatever DFC profile is asked, so none is named.
    const contentType = representation.format === 'turtle' ? 'text/turtle' : mediaTypeOnly(representation.contentType);
    const etag = etagOf(body, contentType);
    res.setHeader('Vary', 'Accept, Authorization, X-Api-Token');
    // A feed that needed a token is nobody else's: shared caches must not keep it.
    const scope = isPrivate ? 'private' : 'public';
    res.setHeader('Cache-Control', immutable ? `${scope}, max-age=31536000, immutable` : `${scope}, max-age=1, must-revalidate`);
    res.status(200);
    await sendBody(req, res, { bytes: Buffer.from(body, 'utf8'), contentType: `${contentType}; charset=utf-8`, etag });
  };

  const stream = async (req: Request, res: Response, feedUrl: string, eid: string | undefined, isPrivate: boolean): Promise<void> => {
    // The versions written while their enterprise was private are the admin's only, on the node's feed and on a
    // public enterprise's (its id may have been a private enterprise's); a private enterprise's feed, which needs a
    // token on it, shows all of its own.
    const publicOnly = !isPrivate && !isAdmin(principalOf(res));
    // An answer that needed a token, or that shows what only the admin sees, is kept from shared caches; the public
    // versions are everyone's, on a public enterprise's feed as on the node's.
    const personal = isPrivate || !publicOnly;
    const afterParam = req.query['after'];
    if (afterParam === undefined) {
      const head = await feed.latestSeq(eid, publicOnly);
      const root: DfcRecord = {
        kind: 'Resource', id: feedUrl as Iri, types: [LDES.EventStream],
        extra: {
          [LDES.versionOfPath]: link(DCTERMS.isVersionOf),
          [LDES.timestampPath]: link(DCTERMS.modified),
          [TREE.view]: link(`${feedUrl}?after=0`),
          // The newest sequence: a follower that starts with a full snapshot resumes the feed from here.
          [MAILLON.head]: [{ '@value': head }],
          // Sequences mean something within one stream only: a follower that sees another stream starts over.
          [MAILLON.stream]: [{ '@value': await feed.streamId() }],
          [LDES.retentionPolicy]: [{ '@type': [LDES.LatestVersionSubset], properties: { [LDES.amount]: [{ '@value': 1 }] } }],
        },
      };
      await send(req, res, [root], false, personal);
      return;
    }
    // Plain decimal digits only: Number() would take `0x10`, `1e3` or blanks.
    const after = typeof afterParam === 'string' && /^\d{1,15}$/u.test(afterParam) ? Number(afterParam) : Number.NaN;
    if (typeof afterParam !== 'string' || !Number.isInteger(after) || after < 0) throw new BadRequestHttpError('after must be a sequence number ≥ 0');
    const events = await feed.events(after, args.fragmentSize, eid, publicOnly);
    // The fragment's `@id` is the URL as requested: a TREE reader follows the relations of the node that is the
    // very page it fetched (as Hydra readers follow `hydra:next` of the view that is), whatever else the query holds.
    const self = requestIri(catalog.urls.base, req);
    const full = events.length === args.fragmentSize;
    const last = events.at(-1);
    const fragment: DfcRecord = {
      kind: 'Resource', id: self as Iri, types: [TREE.Node],
      extra: full && last !== undefined ? {
        [TREE.relation]: [{
          '@type': [TREE.GreaterThanOrEqualToRelation],
          properties: {
            [TREE.path]: link(DCTERMS.modified),
            [TREE.value]: [{ '@value': last.at, '@type': `${NS.xsd}dateTime` }],
            [TREE.node]: link(`${feedUrl}?after=${last.seq}`),
          },
        }],
      } : {},
    };
    const streamNode: DfcRecord = {
      kind: 'Resource', id: feedUrl as Iri, types: [LDES.EventStream],
      extra: {
        [LDES.versionOfPath]: link(DCTERMS.isVersionOf),
        [LDES.timestampPath]: link(DCTERMS.modified),
        ...(events.length > 0 ? { [TREE.member]: events.map((e) => ({ '@id': versionIri(api, e.seq) })) } : {}),
      },
    };
    await send(req, res, [streamNode, fragment, ...events.map((e) => versionRecord(api, e))], full, personal);
  };

  router.get('/feed', async (req, res) => stream(req, res, `${api}/feed`, undefined, false));
  // A version's own IRI (a member of the stream, a notification's `maillon:version`) answers with that version:
  // immutable. One written private is its enterprise's readers' and the admin's; one compacted away is gone (404).
  router.get('/feed/versions/:seq', async (req, res) => {
    const text = req.params['seq'] ?? '';
    const seq = /^\d{1,15}$/u.test(text) ? Number(text) : Number.NaN;
    const gone = (): NotFoundHttpError => new NotFoundHttpError(`no version ${text} in this node's feed (never written, compacted away, or not yours to read)`);
    if (!Number.isInteger(seq) || seq < 1) throw gone();
    const [shown] = await feed.events(seq - 1, 1, undefined, true);
    if (shown?.seq === seq) {
      await send(req, res, [versionRecord(api, shown)], true, false);
      return;
    }
    const principal = principalOf(res);
    const [written] = await feed.events(seq - 1, 1);
    if (written?.seq !== seq || !(isAdmin(principal) || allows(principal, 'ReadProducts', written.eid))) throw gone();
    await send(req, res, [versionRecord(api, written)], true, true);
  });
  router.get('/enterprises/:eid/feed', async (req, res) => {
    const row = await catalog.enterpriseRow(req.params['eid'] as string);
    requireVisible(res, row, 'ReadProducts', () => unknownEnterprise(row.eid));
    await stream(req, res, `${catalog.urls.enterprise(row.eid)}/feed`, row.eid, row.private);
  });
  return router;
}
