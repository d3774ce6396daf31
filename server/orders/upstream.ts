/**
 * Orders placed at a supplier's node for the listings a shop sells: {@link UpstreamOrders} over HTTP.
 *
 * The requests are shaped exactly as Open Food Network's `FdcBackorderer` sends its backorders (a v1 JSON-LD
 * graph under `application/json`, the order's `@id` being the collection URL when new, lines
 * `{order}/OrderLines/{n}` that `concerns` an Offer whose `offeredItem` is the supplier's SuppliedProduct), so a
 * Maillon shop orders the same way from another Maillon node, from an FDC-style wholesaler or from any server
 * that takes OFN's backorders.
 *
 * The supplier is another party: every request goes through the node's safe client, under a deadline of its
 * own, and every way it can fail comes back as an {@link UpstreamOutcome} value, never as an exception.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { Agent, STATUS_CODES } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { NodeId } from '../../ontology/iri.js';
import type { DfcRecord, OrderRecord } from '../../ontology/records.js';
import { DFC_V_NS } from '../../ontology/vocabulary.js';
import { encodeJsonLd } from '../codec/encode.js';
import type { DecodeResult, Decoder } from '../codec/decode.js';
import type { Failure } from '../errors/failure.js';
import { bodyText, clip, type FetchPolicy, type SafeFetch, type SafeResponse } from '../net/safe-fetch.js';
import type { PeerRow } from '../store/federation.js';
import { ORDER_VIA_HEADER, statusName, type OrderStatusName, type UpstreamLine, type UpstreamOrders, type UpstreamOutcome, type UpstreamShortLine } from './order-service.js';

/**
 * The context our order bodies name: the one Open Food Network's connector writes, which our decoder (and
 * OFN's, and FDC's) resolves to DFC 1.16 without a request.
 */
export const UPSTREAM_CONTEXT = 'https://www.datafoodconsortium.org';

/** Largest answer read from a supplier: an order's graph is a few kilobytes, never a catalogue. */
export const UPSTREAM_MAX_BYTES = 1024 * 1024;

/** Answers by which a supplier refuses the order itself (the customer is told why); any other is an outage. */
const REFUSALS: ReadonlySet<number> = new Set([400, 403, 404, 409, 422]);

/** The longest `Idempotency-Key` sent as it is (Maillon takes up to 200 visible ASCII characters). */
const LONGEST_KEY = 120;

/** Most entries of a refusal's `shortLines` looked at: an order has a few lines, a supplier's answer is untrusted. */
const MOST_SHORT_LINES = 1000;

/** What {@link HttpUpstreamOrders} needs. */
export interface HttpUpstreamDeps {
  /** The node's outbound client. */
  readonly fetch: SafeFetch;
  /** The node's fetch policy (private addresses, connect timeout); the deadline is {@link timeoutMs}. */
  readonly policy: FetchPolicy;
  readonly decoder: Decoder;
  /** The peers the node knows, with the credentials it holds for them. */
  readonly peers: () => Promise<readonly PeerRow[]>;
  /**
   * The peers at one origin, each saying whether the node holds OpenID Connect credentials for it (one read per
   * order, where {@link peers} and a look for credentials per peer are several); {@link peers} when absent.
   */
  readonly peersAt?: (origin: string) => Promise<readonly (PeerRow & { readonly oidc?: boolean })[]>;
  /** Deadline of one request to a supplier, in milliseconds (`MAILLON_ORDER_TIMEOUT`). */
  readonly timeoutMs: number;
  /**
   * The OpenID Connect access token the node holds for a peer configured with client credentials or a refresh
   * token (undefined for a peer without them, whose API token is used).
   */
  readonly oidcTokenFor?: (peer: PeerRow) => Promise<string | undefined>;
}

/**
 * How long a connection to a supplier stays open unused: under the idle timeout of common servers (Node's
 * default is 5 s), so that we close it before the supplier does, rather than send an order on a closing socket.
 */
const IDLE_CONNECTION_MS = 4000;

/**
 * Idle connections kept per supplier: as many as a shop under load has orders in flight there. With 32, a shop
 * with 50 customer orders in flight closed every connection above 32 each time its orders ebbed, and opened one
 * again for about one order in four (each a handshake, a socket and a parser on both nodes). Kept 4 s at most
 * ({@link IDLE_CONNECTION_MS}): a shop that ordered from many suppliers in a burst holds up to this many file
 * descriptors per supplier for those seconds.
 */
const IDLE_CONNECTIONS = 128;

/** The status names an order is sent with. */
type SentStatus = 'Held' | 'Complete' | 'Cancelled';

/** Orders at suppliers' nodes, over HTTP, in Open Food Network's backorder shape. */
export class HttpUpstreamOrders implements UpstreamOrders {
  /**
   * A keep-alive pool per supplier's origin: a shop places an order at its supplier for every customer order,
   * and opening (and closing) a connection each time cost both nodes more than the order itself on loopback.
   */
  private readonly pools = new Map<string, Agent>();

  public constructor(private readonly deps: HttpUpstreamDeps) {}

  /** Closes the pooled connections (when the node closes). */
  public closePools(): void {
    for (const pool of this.pools.values()) pool.destroy();
    this.pools.clear();
  }

  private poolFor(url: string): Agent | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    let pool = this.pools.get(parsed.origin);
    if (pool === undefined) {
      const options = { keepAlive: true, maxFreeSockets: IDLE_CONNECTIONS, timeout: IDLE_CONNECTION_MS };
      pool = parsed.protocol === 'https:' ? new HttpsAgent(options) : new Agent(options);
      this.pools.set(parsed.origin, pool);
    }
    return pool;
  }

  /** Places a Held order (POST to the collection) or replaces the lines of one placed before (PUT to it). */
  public async place(request: {
    readonly ordersUrl: string; readonly existing?: string; readonly orderedBy: string; readonly lines: readonly UpstreamLine[]; readonly key: string;
    readonly via?: readonly string[]; readonly sessionEnd?: string;
  }): Promise<UpstreamOutcome> {
    const { ordersUrl, existing } = request;
    const id = existing ?? ordersUrl;
    const body = orderBody(id, request.orderedBy, 'Held', request.lines, request.sessionEnd);
    const answer = await this.send(existing === undefined ? 'POST' : 'PUT', id, body, existing === undefined ? idempotencyKey(request.key) : undefined, request.via);
    if (!answer.ok) {
      // A supplier short of stock (a Maillon node) names the lines it is short of: the lines sent, in what it sells.
      const { shortLines, ...refusal } = answer;
      const short = shortLines === undefined ? [] : shortLinesSent(shortLines, id, request.lines);
      return short.length > 0 ? { ...refusal, short } : refusal;
    }
    // OFN keeps the order by the @id of the answer's Order: an answer without one placed nothing we can follow.
    const found = await this.orderOf(answer.response, existing);
    if (found === undefined || found.id === ordersUrl) {
      return { ok: false, status: 503, reason: `the supplier's answer (HTTP ${answer.response.status}) names no order of its own` };
    }
    // The order's @id is where its amendments, completion and cancellation go, with the credentials held for its
    // origin: one on another site than the supplier's would have us send those (and another peer's token) there.
    if (originOf(found.id) !== originOf(ordersUrl)) {
      return { ok: false, status: 503, reason: `the supplier's answer names an order on another site (${clip(found.id, 200)}), not one of its own` };
    }
    // A success that does not hold the order (a supplier answering Cancelled or Draft) is no acceptance.
    const status = statusName(found.status);
    if (found.status !== undefined && status !== 'Held') {
      return { ok: false, status: 409, reason: `the supplier answered with the order ${status ?? found.status}, not Held` };
    }
    return { ok: true, order: found.id };
  }

  /** Completes an order placed before: OFN's completion PUT, status `Complete` with its lines. */
  public async complete(order: string, lines: readonly UpstreamLine[], orderedBy: string): Promise<UpstreamOutcome> {
    return this.close(order, orderBody(order, orderedBy, 'Complete', lines), 'Complete');
  }

  /** Cancels an order placed before: a PUT with status `Cancelled` (best effort: the supplier's hold expires anyway). */
  public async cancel(order: string, orderedBy: string): Promise<UpstreamOutcome> {
    return this.close(order, orderBody(order, orderedBy, 'Cancelled', []));
  }

  /**
   * The status of an order placed before, as its supplier says it now (a GET of it, with the credentials held for
   * its origin): undefined when the supplier does not say (it cannot be reached, refuses the read, or answers no such order).
   */
  public async state(order: string): Promise<OrderStatusName | undefined> {
    const answer = await this.send('GET', order);
    if (!answer.ok) return undefined;
    const found = await this.orderOf(answer.response, order);
    return found?.id === order ? statusName(found.status) : undefined;
  }

  private async close(order: string, body: string, expected?: 'Complete'): Promise<UpstreamOutcome> {
    const answer = await this.send('PUT', order, body);
    if (!answer.ok) {
      const { shortLines: _ignored, ...refusal } = answer;
      return refusal;
    }
    // A supplier may answer a status change with no body at all: the order stays the one we named.
    const found = await this.orderOf(answer.response, order);
    const status = statusName(found?.status);
    if (expected !== undefined && found?.status !== undefined && status !== expected) {
      return { ok: false, status: 409, reason: `the supplier answered with the order ${status ?? found.status}, not ${expected}` };
    }
    return { ok: true, order: found?.id ?? order };
  }

  /** One request to a supplier, with the credentials held for its origin, under the order deadline. */
  private async send(
    method: 'GET' | 'POST' | 'PUT', url: string, body?: string, key?: string, via?: readonly string[],
  ): Promise<{ ok: true; response: SafeResponse } | (Extract<UpstreamOutcome, { ok: false }> & { readonly shortLines?: readonly unknown[] })> {
    const credential = await this.credentialFor(url);
    const { policy, timeoutMs } = this.deps;
    const agent = this.poolFor(url);
    const outcome = await this.deps.fetch({
      url, method, ...(body !== undefined ? { body } : {}), ...(agent !== undefined ? { agent } : {}),
      // What OFN sends: JSON-LD as plain JSON (FDC's servers take nothing else).
      // The path of the order (a Maillon supplier refuses one that would go round; any other ignores it).
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}), accept: 'application/json', ...(key !== undefined ? { 'idempotency-key': key } : {}),
        ...(via !== undefined && via.length > 0 ? { [ORDER_VIA_HEADER.toLowerCase()]: via.join(', ') } : {}),
      },
      ...(credential !== undefined ? { credential } : {}),
      // A refusal is read whole: its problem document says why, and the customer is told.
      answerStatuses: REFUSALS,
    }, {
      ...policy, totalTimeoutMs: timeoutMs, connectTimeoutMs: Math.min(policy.connectTimeoutMs, timeoutMs), maxBytes: Math.min(policy.maxBytes, UPSTREAM_MAX_BYTES),
      // An order's answer is a few kilobytes: compressing it (at the supplier) and inflating it (here) costs both
      // nodes more CPU, on every order, than the bytes it saves.
      compressed: false,
    });
    if (!outcome.ok) return outageOf(outcome.failure);
    const { response } = outcome;
    if (REFUSALS.has(response.status)) {
      const said = problemOf(bodyText(response));
      // A conflict to retry in a moment (a Maillon supplier still placing the order that an Idempotency-Key names)
      // refuses nothing: the order may yet be placed there.
      if (response.status === 409 && response.headers['retry-after'] !== undefined) {
        return { ok: false, status: 503, reason: `the supplier asks to retry later: ${said.detail ?? statusLine(response.status)}` };
      }
      return {
        ok: false, status: 409, httpStatus: response.status, reason: said.detail ?? statusLine(response.status), ...(said.shortLines !== undefined ? { shortLines: said.shortLines } : {}),
      };
    }
    return outcome;
  }

  private async credentialFor(url: string): Promise<{ header: string; value: string } | undefined> {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return undefined;
    }
    const peers: readonly (PeerRow & { readonly oidc?: boolean })[] = this.deps.peersAt !== undefined
      ? await this.deps.peersAt(origin)
      : (await this.deps.peers()).filter((p) => p.origin === origin);
    for (const candidate of peers) {
      // Known to hold no OpenID Connect credentials: nothing to look for.
      if (candidate.oidc === false) continue;
      const oidc = await this.deps.oidcTokenFor?.(candidate);
      if (oidc !== undefined) return { header: 'authorization', value: `Bearer ${oidc}` };
    }
    const peer = peers.find((p) => p.token !== null);
    if (peer === undefined || peer.token === null) return undefined;
    return peer.tokenHeader === 'x-api-token' ? { header: 'x-api-token', value: peer.token } : { header: 'authorization', value: `Bearer ${peer.token}` };
  }

  /** The `@id` of the Order in an answer (the one named `preferred` when there are several), if any. */
  private async orderOf(response: SafeResponse, preferred?: string): Promise<{ id: string; status?: string } | undefined> {
    const text = bodyText(response);
    if (text.trim() === '') return undefined;
    const contentType = response.headers['content-type'];
    const mediaType = contentType === undefined ? 'application/ld+json' : (contentType.split(';')[0] ?? '').trim().toLowerCase();
    let decoded: DecodeResult;
    try {
      // An order's graph, never a catalogue: the direct reader would look at it for nothing.
      decoded = await this.deps.decoder.decode(text, { mediaType: mediaType === '' ? 'application/ld+json' : mediaType, base: response.url, direct: false });
    } catch {
      // Whatever the supplier sent, it is not an answer we can follow (and never our exception to raise).
      return undefined;
    }
    const orders = decoded.records.filter((r): r is OrderRecord => r.kind === 'Order');
    const chosen = orders.find((o) => o.id === preferred) ?? orders[0];
    return chosen === undefined ? undefined : { id: chosen.id, ...(chosen.orderStatus !== undefined ? { status: chosen.orderStatus } : {}) };
  }
}

/** An order as Open Food Network's `FdcBackorderer` writes it: the Order, its lines, their Offers, bare products. */
export function orderBody(id: string, orderedBy: string, status: SentStatus, lines: readonly UpstreamLine[], sessionEnd?: string): string {
  const lineIds = lines.map((_line, i) => `${id}/OrderLines/${i + 1}` as NodeId);
  // Until when this node holds its own order, as the end of a sale session: a supplier's hold (Maillon's) counts
  // from it, so the supplier never gives the stock back while this node still holds the order.
  const session = sessionEnd === undefined ? undefined : '_:session' as NodeId;
  const records: DfcRecord[] = [{
    kind: 'Order', id: id as NodeId, orderedBy: orderedBy as NodeId, orderStatus: `${DFC_V_NS}${status}`, lines: lineIds,
    ...(session !== undefined ? { saleSession: session } : {}),
  }];
  if (session !== undefined) records.push({ kind: 'SaleSession', id: session, endDate: sessionEnd, offers: [] });
  const offers = new Map<string, DfcRecord>();
  const products = new Map<string, DfcRecord>();
  for (const [i, line] of lines.entries()) {
    // No offer known: the FDC convention names a product's offer `<product>/Offer`.
    const offer = line.offer ?? `${line.product}/Offer`;
    records.push({ kind: 'OrderLine', id: lineIds[i] as NodeId, offer: offer as NodeId, quantity: line.quantity });
    // The product as the Offer's dfc-b:offeredItem, as Open Food Network sends and matches it (not as dfc-b:offers,
    // whose value is a catalog item).
    offers.set(offer, { kind: 'Offer', id: offer as NodeId, offeredItem: line.product as NodeId, stock: null });
    products.set(line.product, { kind: 'SuppliedProduct', id: line.product as NodeId, images: [], variantOf: [], variants: [], catalogItems: [] });
  }
  return JSON.stringify(encodeJsonLd([...records, ...offers.values(), ...products.values()], { contextUrl: UPSTREAM_CONTEXT }));
}

/**
 * The header value of an idempotency key: as given when short and plain, else its digest (the order service's
 * keys hold URLs, and a receiver bounds the header's length).
 */
function idempotencyKey(key: string): string {
  return key.length <= LONGEST_KEY && /^[\x21-\x7e]+$/u.test(key) ? key : createHash('sha256').update(key).digest('base64url');
}

/** A request that got no usable answer (an error status other than a refusal, a timeout, no connection…): an outage. */
function outageOf(f: Failure): Extract<UpstreamOutcome, { ok: false }> {
  // A supplier that does not take this node's credential will not take it on a retry either: a refusal (409) saying
  // what to do, not an outage that tells the buyer to try again in 30 seconds (nor the supplier's own text).
  if (f.kind === 'http-status' && f.status === 401) {
    return {
      ok: false, status: 409, httpStatus: 401,
      reason: 'the supplier does not accept this node\'s credential for it (HTTP 401): the shop\'s operator must give this node a token of the supplier (maillon peer set --token) or an OpenID login it grants',
    };
  }
  return { ok: false, status: 503, reason: `${f.kind}: ${f.message}` };
}

/** The `detail` (else the `title`) of a problem document, and its `shortLines` as sent (unchecked), if the body is one. */
function problemOf(text: string): { detail?: string; shortLines?: readonly unknown[] } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof body !== 'object' || body === null) return {};
  const { detail, title, shortLines } = body as Record<string, unknown>;
  const said = typeof detail === 'string' && detail.trim() !== '' ? detail : title;
  return {
    ...(typeof said === 'string' && said.trim() !== '' ? { detail: clip(said, 1000) } : {}),
    ...(Array.isArray(shortLines) ? { shortLines: shortLines.slice(0, MOST_SHORT_LINES) as unknown[] } : {}),
  };
}

/**
 * The lines of `sent` that a supplier's `shortLines` name, with what it says was asked and is available (in what it
 * sells). A line is recognised by the `@id` we gave it (`{order}/OrderLines/{n}`, which Maillon echoes as `id`),
 * else by its Offer when only one line sent concerns it; an entry that names no line sent, or whose quantities
 * are no numbers, is left out (the supplier is another party: its answer is never trusted to be well formed).
 */
function shortLinesSent(entries: readonly unknown[], order: string, sent: readonly UpstreamLine[]): UpstreamShortLine[] {
  const offers = sent.map((line) => line.offer ?? `${line.product}/Offer`);
  const found = new Map<number, UpstreamShortLine>();
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { id, offer, requested, available } = entry as Record<string, unknown>;
    if (!isQuantity(requested) || !isQuantity(available)) continue;
    let index = typeof id === 'string' ? sent.findIndex((_line, i) => id === `${order}/OrderLines/${i + 1}`) : -1;
    if (index < 0 && typeof offer === 'string' && offers.indexOf(offer) === offers.lastIndexOf(offer)) index = offers.indexOf(offer);
    if (index >= 0 && !found.has(index)) found.set(index, { index, requested, available });
  }
  return [...found.values()].sort((a, b) => a.index - b.index);
}

/** The origin of a URL (scheme, host and port, as URLs compare them), or undefined when it is none. */
function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** A quantity a supplier may say it was asked or has: a finite number, not below zero. */
function isQuantity(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** `HTTP 409 Conflict`. */
function statusLine(status: number): string {
  const text = STATUS_CODES[status];
  return `HTTP ${status}${text !== undefined ? ` ${text}` : ''}`;
}
