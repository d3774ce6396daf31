/**
 * What people type in the federated catalogue's filters, resolved to IRIs: a product type by IRI, `dfc-pt:`
 * local name or label (French or English, any case, accents optional), an enterprise by IRI, local slug or
 * name, a place by coordinates, town name or postcode. An unknown or ambiguous value is a 400 listing close matches,
 * never an empty 200.
 *
 * @packageDocumentation
 */
import { editDistance, foldText, foldedWords } from '../../ontology/fold.js';
import { isAbsoluteIri } from '../../ontology/iri.js';
import type { Concept, Taxonomy } from '../../ontology/taxonomy.js';
import { DFC_PT_NS } from '../../ontology/vocabulary.js';
import { BadRequestHttpError } from '../errors/http-error.js';
import type { FederatedEnterprise, PlaceRow } from '../store/federation.js';

/** How many close matches a 400 lists. */
const SUGGESTIONS = 5;

/** One thing a value could have meant: what to write, and what it is. */
export interface Suggestion {
  readonly value: string;
  readonly label: string;
}

/** A folded word without a plural's final `s` or `x` (`legumes` is `legume`, `choux` is `chou`). */
export function singular(word: string): string {
  return word.length > 3 ? word.replace(/[sx]$/u, '') : word;
}

/** A name folded for comparison, each word singular. */
function key(text: string): string {
  return foldedWords(text).map(singular).join(' ');
}

/** The candidates closest to a value: those it begins, then by edit distance, within a third of its length. */
function closest<T>(value: string, candidates: readonly T[], names: (c: T) => readonly string[]): T[] {
  const wanted = key(value);
  const scored: { candidate: T; score: number }[] = [];
  for (const candidate of candidates) {
    let best = Infinity;
    for (const name of names(candidate)) {
      const k = key(name);
      if (k === '') continue;
      // A name that goes on from what was typed is the closest; else the fewest edits.
      const score = k.startsWith(wanted) ? 0 : editDistance(wanted, k);
      best = Math.min(best, score);
    }
    if (best <= Math.max(2, Math.floor(wanted.length / 3))) scored.push({ candidate, score: best });
  }
  return scored.sort((a, b) => a.score - b.score).slice(0, SUGGESTIONS).map((s) => s.candidate);
}

/** A 400 naming the parameter, the value, and the close matches (also as the `suggestions` member). */
function unresolved(param: string, value: string, what: string, matches: readonly Suggestion[], ambiguous: boolean): BadRequestHttpError {
  const listed = matches.map((m) => `${m.value} (${m.label})`).join(', ');
  const reason = ambiguous
    ? `${param}=${JSON.stringify(value)} names several ${what}s: ${listed}; give one of them`
    : `${param}=${JSON.stringify(value)} is no known ${what}${matches.length > 0 ? `; did you mean ${listed}?` : ''}`;
  return new BadRequestHttpError(reason, { extensions: { suggestions: matches } });
}

/**
 * A number as a query parameter writes it: plain decimal digits, perhaps a minus and a decimal point (`25`, `12.5`,
 * `-1.26`); undefined for anything else `Number()` would take (`0x10`, `1e3`, `Infinity`, blanks, an empty text).
 *
 * @param text - the parameter's value
 */
export function decimalNumber(text: string): number | undefined {
  return /^-?\d{1,15}(?:\.\d{1,15})?$/u.test(text) ? Number(text) : undefined;
}

/** The local name of an IRI (after its last `/`, `#` or `:`), percent-decoded. */
function localName(iri: string): string {
  const local = /[^#/:]+$/u.exec(iri)?.[0] ?? iri;
  try {
    return decodeURIComponent(local);
  } catch {
    return local;
  }
}

/** The product types of a taxonomy (concepts under the `dfc-pt:` namespace). */
function productTypes(taxonomy: Taxonomy): Concept[] {
  return [...taxonomy.all()].filter((c) => c.iri.startsWith(DFC_PT_NS));
}

/** Everything a product type is called: its labels and its local name with dashes as spaces. */
function typeNames(concept: Concept): string[] {
  return [...Object.values(concept.labels), localName(concept.iri).replace(/[-_]+/gu, ' ')];
}

function typeSuggestion(taxonomy: Taxonomy, concept: Concept): Suggestion {
  const labels = concept.labels;
  return { value: `dfc-pt:${localName(concept.iri)}`, label: labels['fr'] ?? labels['en'] ?? taxonomy.label(concept.iri) };
}

/**
 * The product type a `type=` value names: an IRI, a `dfc-pt:` name (`dfc-pt:vegetable`, `vegetable`), or a
 * label in any language of the taxonomy (`légume`, `legumes`, `Vegetable`).
 *
 * @param known - whether an IRI the taxonomy does not know is the type of some listed offer
 * @throws BadRequestHttpError for an unknown or ambiguous value, with up to five close matches
 */
export async function resolveProductType(taxonomy: Taxonomy, value: string, known: (iri: string) => Promise<boolean>): Promise<string> {
  const trimmed = value.trim();
  const prefixed = /^dfc-pt:/u.test(trimmed);
  const iri = prefixed ? `${DFC_PT_NS}${trimmed.slice('dfc-pt:'.length)}` : isAbsoluteIri(trimmed) ? trimmed : `${DFC_PT_NS}${trimmed}`;
  const exactly = prefixed || isAbsoluteIri(trimmed);
  if (exactly && (taxonomy.get(iri) !== undefined || (await known(iri)))) return iri;
  const types = productTypes(taxonomy);
  // A bare word may be a local name or a label, of different types (`prune` is the local name of prunes and
  // the French label of plums): every type it names is a candidate, and several are refused as ambiguous.
  if (!exactly && trimmed !== '') {
    const wanted = key(trimmed);
    const exact = foldedTypeNames(taxonomy).filter(({ names }) => names.some((words) => words.map(singular).join(' ') === wanted))
      .map(({ concept }) => concept);
    if (exact.length === 1) return (exact[0] as Concept).iri;
    if (exact.length > 1) throw unresolved('type', value, 'product type', exact.slice(0, SUGGESTIONS).map((c) => typeSuggestion(taxonomy, c)), true);
  }
  const near = closest(exactly ? localName(trimmed) : trimmed, types, typeNames);
  throw unresolved('type', value, 'product type', near.map((c) => typeSuggestion(taxonomy, c)), false);
}

/** The folded words of every name of every product type, per taxonomy (a taxonomy is immutable). */
const FOLDED_NAMES = new WeakMap<Taxonomy, { concept: Concept; names: string[][] }[]>();

function foldedTypeNames(taxonomy: Taxonomy): { concept: Concept; names: string[][] }[] {
  let list = FOLDED_NAMES.get(taxonomy);
  if (list === undefined) {
    list = productTypes(taxonomy).map((concept) => ({ concept, names: typeNames(concept).map(foldedWords) }));
    FOLDED_NAMES.set(taxonomy, list);
  }
  return list;
}

/**
 * The product types a free text names (every word of it, the last one as a prefix, in one of their labels), with
 * their narrower types: `q=legume` finds the offers of type "légume" and of its narrower types.
 */
export function typesNamedBy(taxonomy: Taxonomy, text: string): string[] {
  const words = foldedWords(text);
  if (words.length === 0) return [];
  const found = new Set<string>();
  for (const { concept, names } of foldedTypeNames(taxonomy)) {
    const named = names.some((have) =>
      words.every((w, i) => have.some((h) => (i === words.length - 1 ? h.startsWith(singular(w)) : singular(h) === singular(w)))));
    if (named) for (const narrower of taxonomy.narrowerClosure(concept.iri)) found.add(narrower);
  }
  return [...found];
}

/** The slug of an enterprise IRI: its last path segment (`ferme-des-trois-chenes`). */
function slugOf(iri: string): string {
  return localName(iri.replace(/\/+$/u, ''));
}

/**
 * The enterprise an `enterprise=` value names, among those with offers in the catalogue: its IRI, its local
 * slug (`ferme-des-trois-chenes`; this node's enterprise of that slug before a peer's) or its name (`Ferme des Trois
 * Chênes`, folded; this node's enterprise of that name before a peer's).
 *
 * @param isOwn - whether an enterprise IRI is this node's
 *
 * @throws BadRequestHttpError for an unknown or ambiguous value, with up to five close matches
 */
export function resolveEnterprise(enterprises: readonly FederatedEnterprise[], value: string, isOwn: (iri: string) => boolean = () => false): string {
  const trimmed = value.trim();
  if (enterprises.some((e) => e.iri === trimmed)) return trimmed;
  const suggestion = (e: FederatedEnterprise): Suggestion => ({ value: e.iri, label: e.name ?? slugOf(e.iri) });
  if (!isAbsoluteIri(trimmed) && trimmed !== '') {
    const slugged = enterprises.filter((e) => slugOf(e.iri) === trimmed);
    // A local slug names this node's enterprise first: a peer's of the same slug (nodes seeded alike, or a peer
    // choosing it) must not make it ambiguous, as it did (a 400 where the same request listed our rows before).
    const own = slugged.filter((e) => isOwn(e.iri));
    const bySlug = own.length === 1 ? own : slugged;
    const wanted = foldText(trimmed).trim();
    const matches = bySlug.length > 0 ? bySlug : enterprises.filter((e) => e.name !== null && foldText(e.name).trim() === wanted);
    if (matches.length === 1) return (matches[0] as FederatedEnterprise).iri;
    // A name this node's enterprise bears means it: a peer's of the same name (a homonym, or one copying it) must not
    // make it ambiguous for everyone.
    const ownNamed = matches.filter((e) => isOwn(e.iri));
    if (ownNamed.length === 1) return (ownNamed[0] as FederatedEnterprise).iri;
    if (matches.length > 1) throw unresolved('enterprise', value, 'enterprise', matches.slice(0, SUGGESTIONS).map(suggestion), true);
  }
  const near = closest(isAbsoluteIri(trimmed) ? slugOf(trimmed) : trimmed, enterprises, (e) => [slugOf(e.iri), ...(e.name !== null ? [e.name] : [])]);
  throw unresolved('enterprise', value, 'enterprise', near.map(suggestion), false);
}

/** A point in degrees. */
export interface Point {
  readonly lat: number;
  readonly lon: number;
}

/** How a town is written back to people (and what `near=` takes back): `Saint-Junien (87200)`. */
export function placeLabel(place: Pick<PlaceRow, 'city' | 'postcode'>): string {
  return place.postcode === null ? place.city : `${place.city} (${place.postcode})`;
}

/**
 * The point a `near=` value names: `latitude,longitude` in degrees, or a town of the catalogue (the centre of its
 * producers) by name (`Saint-Junien`, `saint junien`, accents and case ignored), by postcode (`87200`), or both
 * as the dashboard writes them (`Saint-Junien (87200)`). A name shared by towns of several postcodes is
 * ambiguous, a postcode of several towns too, unless just one of them is where this node's own producers are
 * (`PlaceRow.local`): that one.
 *
 * @param places - the towns of the catalogue (see `FederatedIndex.places`)
 * @throws BadRequestHttpError for coordinates out of range, or an unknown or ambiguous town, with close matches
 */
export function resolvePlace(places: () => Promise<readonly PlaceRow[]>, value: string): Promise<Point> {
  const trimmed = value.trim();
  // `45.83,1.26` as the API writes it; also as people paste them: `45.83 1.26`, `45.83, 1.26`, and French
  // `45,83 ; 1,26` or `45,83, 1,26` (a decimal comma, then a separator with a space).
  // Two whole numbers apart (`87 200`, `45 100`) are a postcode, not coordinates.
  const coordinates = /^(-?\d+(?:\.\d+)?)\s*[,;]\s*(-?\d+(?:\.\d+)?)$/u.exec(trimmed)
    ?? /^(-?\d+\.\d+)\s+(-?\d+\.\d+)$/u.exec(trimmed)
    ?? /^(-?\d+(?:,\d+)?)\s*(?:;|,\s)\s*(-?\d+(?:,\d+)?)$/u.exec(trimmed)
    ?? /^(-?\d+,\d+)\s+(-?\d+,\d+)$/u.exec(trimmed);
  if (coordinates !== null) {
    const lat = Number((coordinates[1] as string).replace(',', '.'));
    const lon = Number((coordinates[2] as string).replace(',', '.'));
    if (Math.abs(lat) > 90 || Math.abs(lon) > 180) {
      return Promise.reject(new BadRequestHttpError('near must be "latitude,longitude" in degrees (latitude -90 to 90, longitude -180 to 180), e.g. near=45.83,1.26, or a town of the catalogue'));
    }
    return Promise.resolve({ lat, lon });
  }
  return resolveTown(places, trimmed, value);
}

async function resolveTown(places: () => Promise<readonly PlaceRow[]>, trimmed: string, value: string): Promise<Point> {
  if (trimmed === '' || trimmed.length > 200 || /^[-+\d.,;\s]+$/u.test(trimmed) && /\d[.,;\s]+-?\d/u.test(trimmed) && !/^\d[\dA-Za-z ]{1,9}$/u.test(trimmed)) {
    throw new BadRequestHttpError('near must be "latitude,longitude" in degrees, e.g. near=45.83,1.26, or the name or postcode of a town of the catalogue');
  }
  const towns = await places();
  const suggestion = (p: PlaceRow): Suggestion => ({ value: placeLabel(p), label: `${p.producers} producer${p.producers === 1 ? '' : 's'}` });
  const written = /^(.*?)\s*\(\s*([\w -]+?)\s*\)$/u.exec(trimmed);
  const name = written === null ? trimmed : (written[1] as string);
  const postcode = written === null ? undefined : (written[2] as string).replace(/\s+/gu, '');
  const wanted = foldedWords(name).join(' ');
  const sameName = (p: PlaceRow): boolean => foldedWords(p.city).join(' ') === wanted;
  const samePostcode = (p: PlaceRow, code: string): boolean => p.postcode !== null && p.postcode.replace(/\s+/gu, '') === code;
  let matches: PlaceRow[];
  if (postcode !== undefined) matches = towns.filter((p) => sameName(p) && samePostcode(p, postcode));
  else if (/^\d[\dA-Za-z ]{1,9}$/u.test(name)) matches = towns.filter((p) => samePostcode(p, name.replace(/\s+/gu, '')));
  else {
    matches = towns.filter(sameName);
    // The name alone, as `/places` writes a town without a postcode: that town, though others share its name.
    const unnumbered = matches.filter((p) => p.postcode === null);
    if (matches.length > 1 && unnumbered.length === 1 && placeLabel(unnumbered[0] as PlaceRow) === trimmed) matches = unnumbered;
  }
  if (matches.length === 1) return { lat: (matches[0] as PlaceRow).lat, lon: (matches[0] as PlaceRow).lon };
  // One town its producers write two ways (`Saint-Junien`, `SAINT JUNIEN`), listed twice: the same folded name
  // and postcode are one place, at the centre of all its producers (else its own label would be ambiguous).
  const town = (p: PlaceRow): string => `${foldedWords(p.city).join(' ')}|${p.postcode?.replace(/\s+/gu, '') ?? ''}`;
  if (matches.length > 1 && new Set(matches.map(town)).size === 1) {
    const producers = matches.reduce((n, p) => n + p.producers, 0);
    return {
      lat: matches.reduce((sum, p) => sum + p.lat * p.producers, 0) / producers,
      lon: matches.reduce((sum, p) => sum + p.lon * p.producers, 0) / producers,
    };
  }
  // A name (or postcode) of several towns, one of them where this node's own producers are: that one (a peer's town
  // of the same name, "Ambazac 99999", must not make this node's own ambiguous for everyone).
  const local = new Set(matches.filter((p) => p.local === true).map(town));
  if (local.size === 1) {
    const [only] = local;
    const spellings = matches.filter((p) => town(p) === only);
    return { lat: (spellings[0] as PlaceRow).lat, lon: (spellings[0] as PlaceRow).lon };
  }
  if (matches.length > 1) throw unresolved('near', value, 'town', matches.slice(0, SUGGESTIONS).map(suggestion), true);
  const near = closest(name, towns, (p) => [p.city]);
  throw unresolved('near', value, 'town', near.map(suggestion), false);
}
