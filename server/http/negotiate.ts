/**
 * Content negotiation: which representation an `Accept` header asks for, and which media type a request
 * body has.
 *
 * @packageDocumentation
 */
import type { DfcProfile } from '../codec/encode.js';
import type { OutputFormat } from '../codec/serialize.js';
import { NotAcceptableHttpError, UnsupportedMediaTypeHttpError } from '../errors/http-error.js';

/** A representation the node can produce. */
export interface Representation {
  readonly format: OutputFormat;
  readonly profile: DfcProfile;
  /** The Content-Type to answer with. */
  readonly contentType: string;
}

interface MediaRange {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
  readonly q: number;
  readonly order: number;
}

const OFFERED: readonly { type: string; format: OutputFormat }[] = [
  { type: 'application/ld+json', format: 'jsonld' },
  { type: 'application/json', format: 'jsonld' },
  { type: 'text/turtle', format: 'turtle' },
  { type: 'application/n-triples', format: 'ntriples' },
  { type: 'application/n-quads', format: 'nquads' },
];

/** The media types the node serves, for 406 messages and OPTIONS. */
export const SERVED_MEDIA_TYPES = OFFERED.map((o) => o.type);

/** Media types accepted in request bodies (`Accept-Post`). */
export const ACCEPTED_BODY_TYPES = ['application/ld+json', 'application/json', 'text/turtle', 'application/n-triples', 'application/n-quads'];

function parseParams(parts: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    params[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim().replace(/^"(.*)"$/u, '$1');
  }
  return params;
}

function parseAccept(header: string): MediaRange[] {
  // Split on commas outside quotes (a profile parameter may be a quoted URI list).
  const ranges = header.match(/(?:[^,"]|"[^"]*")+/gu) ?? [];
  return ranges.map((range, order) => {
    const [type = '', ...rest] = range.split(';');
    const params = parseParams(rest);
    const q = params['q'] === undefined ? 1 : Number(params['q']);
    return { type: type.trim().toLowerCase(), params, q: Number.isFinite(q) ? q : 0, order };
  }).filter((r) => r.type !== '');
}

function matches(range: string, type: string): boolean {
  if (range === '*/*') return true;
  if (range.endsWith('/*')) return type.startsWith(range.slice(0, -1));
  return range === type;
}

/** The profiles of every format, the default first (it wins a tie). */
const PROFILES: readonly DfcProfile[] = ['dfc-v1', 'dfc-v2'];

function profileOf(params: Readonly<Record<string, string>>): DfcProfile {
  const profile = params['profile'] ?? '';
  return profile.split(/\s+/u).some((p) => p === 'dfc-v2' || p.endsWith('/dfc-v2') || p.endsWith('#dfc-v2')) ? 'dfc-v2' : 'dfc-v1';
}

/** A media type without its parameters (`application/ld+json; profile="dfc-v2"` is `application/ld+json`). */
export function mediaTypeOnly(contentType: string): string {
  return (contentType.split(';')[0] as string).trim();
}

/**
 * Chooses the representation for an `Accept` header.
 *
 * @param accept - the header (absent means anything)
 * @param formats - the formats this resource has (default: all)
 * @throws NotAcceptableHttpError when nothing the node serves is acceptable
 */
export function negotiate(accept: string | undefined, formats?: readonly OutputFormat[]): Representation {
  if (accept === undefined || accept.trim() === '') return { format: 'jsonld', profile: 'dfc-v1', contentType: 'application/ld+json' };
  if (formats !== undefined) return choose(accept, formats);
  // Clients send the same few headers on every request: each is parsed and matched once (a refused one every time, so
  // that each refusal is an error of its own).
  let chosen = CHOSEN.get(accept);
  if (chosen === undefined) {
    chosen = Object.freeze(choose(accept, undefined));
    if (CHOSEN.size >= MAX_CHOSEN) CHOSEN.clear();
    CHOSEN.set(accept, chosen);
  }
  return chosen;
}

/** The representation chosen for each `Accept` header met (of every format), emptied when full. */
const CHOSEN = new Map<string, Representation>();
/** The most `Accept` headers {@link CHOSEN} keeps: any client may send any header. */
const MAX_CHOSEN = 256;

/** {@link negotiate}, for a header that says something. */
function choose(accept: string, formats: readonly OutputFormat[] | undefined): Representation {
  const ranges = parseAccept(accept);
  let best: { offer: (typeof OFFERED)[number]; profile: DfcProfile; q: number; specificity: number } | undefined;
  for (const offer of OFFERED.filter((o) => formats === undefined || formats.includes(o.format))) {
    // Each offer in each profile is a representation of its own: a range with a profile matches that profile only, and
    // is more specific than one without (`application/ld+json;q=0.5, application/ld+json;profile="dfc-v2"` is 2.0).
    for (const profile of PROFILES) {
      // The most specific matching range decides the quality of this representation (RFC 9110 §12.5.1).
      let top: { range: MediaRange; specificity: number } | undefined;
      for (const range of ranges) {
        if (!matches(range.type, offer.type)) continue;
        const profiled = range.params['profile'] !== undefined;
        if (profiled && profileOf(range.params) !== profile) continue;
        const specificity = (range.type === '*/*' ? 0 : range.type.endsWith('/*') ? 1 : 2) * 2 + (profiled ? 1 : 0);
        if (top === undefined || specificity > top.specificity) top = { range, specificity };
      }
      if (top === undefined || top.range.q <= 0) continue;
      if (best === undefined || top.range.q > best.q || (top.range.q === best.q && top.specificity > best.specificity)) {
        best = { offer, profile, q: top.range.q, specificity: top.specificity };
      }
    }
  }
  if (best === undefined) {
    const available = formats === undefined ? SERVED_MEDIA_TYPES : OFFERED.filter((o) => formats.includes(o.format)).map((o) => o.type);
    // `Vary: Accept` on the refusal too: another Accept gets a representation, and a cache must not answer it with this.
    throw new NotAcceptableHttpError(`cannot produce ${JSON.stringify(accept)}; available: ${available.join(', ')}`, { headers: { Vary: 'Accept' } });
  }
  const { profile } = best;
  const contentType = best.offer.format === 'jsonld'
    ? `${best.offer.type}${profile === 'dfc-v2' ? '; profile="dfc-v2"' : ''}`
    : best.offer.type;
  return { format: best.offer.format, profile, contentType };
}

/**
 * The media type of a request body.
 *
 * @param contentType - the `Content-Type` header
 * @throws UnsupportedMediaTypeHttpError when it is absent or not one the node reads
 */
export function bodyMediaType(contentType: string | undefined): string {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!ACCEPTED_BODY_TYPES.includes(type)) {
    throw new UnsupportedMediaTypeHttpError(
      `${type === '' ? 'a body without Content-Type' : type} is not accepted; send one of ${ACCEPTED_BODY_TYPES.join(', ')}`,
      { headers: { 'Accept-Post': ACCEPTED_BODY_TYPES.join(', ') } },
    );
  }
  return type;
}
