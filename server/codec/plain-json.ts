/**
 * Open Food Network's plain-JSON updates: a JSON object without `@context` whose keys name the fields to
 * change (`{"dfc-b:stockLimitation": 12, "dfc-b:sku": "TOM-1K"}` on a catalog item; `dfc-b:hasPrice` as a
 * Price or a bare number, and `dfc-b:stockLimitation`, on an offer). An absent key leaves its field as it was.
 *
 * Values follow the same rules as in a DFC document ({@link stockOf}, {@link barePrice}). Reading never
 * throws: a body that is not an update is refused with a {@link Problem}.
 *
 * @packageDocumentation
 */
import { duplicateNameMessage, scanJsonText } from './json-duplicates.js';
import { MAX_JSON_DEPTH } from './limits.js';
import type { Iri } from '../../ontology/iri.js';
import type { CatalogItemRecord, OfferRecord, Price } from '../../ontology/records.js';
import { EURO } from '../../ontology/units.js';
import { DFC_B, DFC_M_NS } from '../../ontology/vocabulary.js';
import { problem, type Problem } from '../errors/problem.js';
import { shortName } from './compact.js';
import { barePrice, inThousandths, jsonNumber, STOCK_LABEL, STOCK_STEP_MESSAGE, stockOf } from './values.js';

/** A field a plain-JSON update can set. */
export type PlainField = 'stock' | 'sku' | 'price';

/** The keys that name each field, in the order the refusal message lists them. */
const KEYS: readonly (readonly [PlainField, readonly string[]])[] = [
  // Only the stock is also taken by its full IRI: the keys Open Food Network sends, no more.
  ['stock', [shortName(DFC_B.stockLimitation), 'stockLimitation', DFC_B.stockLimitation]],
  ['sku', [shortName(DFC_B.sku), 'sku']],
  ['price', [shortName(DFC_B.hasPrice), 'hasPrice', 'price']],
];
const FIELD_OF: ReadonlyMap<string, PlainField> = new Map(KEYS.flatMap(([field, keys]) => keys.map((key) => [key, field] as const)));

/** A body as given to a write. */
export interface PlainJsonBody {
  readonly text: string;
  readonly mediaType: string;
}

/** What reading a body as a plain-JSON update gives. */
export type PlainJsonRead<T> =
  /** Not a plain-JSON update (not JSON, or JSON-LD): decode it as a DFC document. */
  | { readonly kind: 'document' }
  /** A body that is no update: malformed JSON, not an object, or a key this resource does not take. */
  | { readonly kind: 'refused'; readonly problem: Problem }
  /** The fields given, and the problems of their values (the update is valid when there are none). */
  | { readonly kind: 'update'; readonly update: T; readonly problems: readonly Problem[] };

/** The changes of a catalog item update. */
export interface CatalogItemUpdate {
  /** Null is on demand. */
  readonly stock?: number | null;
  /** Null removes the SKU. */
  readonly sku?: string | null;
}

/** The changes of an offer update. */
export interface OfferUpdate {
  readonly stock?: number | null;
  readonly price?: Price;
}

/**
 * The fields of a plain-JSON body, by field.
 *
 * @param allowed - the fields this resource takes; any other key is refused rather than ignored
 */
function readFields(body: PlainJsonBody, allowed: readonly PlainField[]): PlainJsonRead<Partial<Record<PlainField, unknown>>> {
  if (!body.mediaType.includes('json')) return { kind: 'document' };
  // Read once before JSON.parse, which would hold the event loop for seconds on millions of `[`.
  const scan = scanJsonText(body.text);
  if (scan.tooDeep) return refused('too-deep', `the body nests JSON arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.text);
  } catch (error: unknown) {
    return refused('invalid-json', `malformed JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refused('not-an-object', 'expected a JSON object');
  // Two stocks in one body (`{"stockLimitation": 7, "stockLimitation": 9}`) are not read as the last one.
  if (scan.duplicate !== undefined) return refused('conflicting-values', duplicateNameMessage(scan.duplicate));
  const object = parsed as Record<string, unknown>;
  if ('@context' in object || '@type' in object || '@graph' in object) return { kind: 'document' };
  const fields: Partial<Record<PlainField, unknown>> = {};
  for (const [key, value] of Object.entries(object)) {
    const field = FIELD_OF.get(key);
    if (field === undefined || !allowed.includes(field)) {
      const expected = KEYS.filter(([f]) => allowed.includes(f)).map(([, keys]) => keys[0] as string);
      return refused('unexpected-property', `unknown field ${JSON.stringify(key)} here: expected ${expected.join(' or ')}`);
    }
    fields[field] = value;
  }
  return { kind: 'update', update: fields, problems: [] };
}

function refused(code: Problem['code'], message: string): PlainJsonRead<never> {
  return { kind: 'refused', problem: problem(code, null, null, '', message) };
}

/** A JSON value in a message, with a number JSON cannot write (`1e309`, read as Infinity) as itself, not `null`. */
function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

function readStock(value: unknown, record: CatalogItemRecord | OfferRecord, problems: Problem[]): number | null {
  if (value === null) return null;
  const number = jsonNumber(value);
  if (number === undefined) {
    problems.push(problem('not-a-number', record.id, `dfc-b:${record.kind}`, shortName(DFC_B.stockLimitation),
      `${STOCK_LABEL} is not a number: ${shown(value)}`));
    return null;
  }
  // A plain-JSON update writes this node's own stock, which its orders take a thousandth at a time.
  const stock = stockOf(number);
  if (stock !== null && !inThousandths(stock)) {
    problems.push(problem('invalid-value', record.id, `dfc-b:${record.kind}`, shortName(DFC_B.stockLimitation), `${STOCK_STEP_MESSAGE}, not ${shown(value)}`));
    return null;
  }
  return stock;
}

/**
 * A price given as a Price object (`{"dfc-b:value": 3.5, "dfc-b:hasUnit": "dfc-m:Euro", "dfc-b:VATrate": 5.5}`) or a
 * bare number. Every part given must be valid: a VAT rate or a unit that is not one is refused with its path,
 * never dropped for the one stored (null, like an absent key, keeps it).
 */
function readPrice(value: unknown, record: OfferRecord, defaultCurrency: Iri, problems: Problem[]): Price | undefined {
  const currency = record.price?.currency ?? defaultCurrency;
  const path = shortName(DFC_B.hasPrice);
  const refuse = (code: Problem['code'], at: string, message: string): undefined => {
    problems.push(problem(code, record.id, 'dfc-b:Offer', at, message));
    return undefined;
  };
  if (typeof value === 'number' || typeof value === 'string') {
    const number = jsonNumber(value);
    return number !== undefined ? barePrice(number, defaultCurrency, record.price) : refuse('not-a-number', path, `price is not a number: ${shown(value)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse('not-a-number', path, `price is not a number: ${shown(value)}`);
  const object = value as Record<string, unknown>;
  const field = (iri: Iri, local: string): unknown => object[shortName(iri)] ?? object[local];
  const number = jsonNumber(field(DFC_B.value, 'value'));
  const unit = field(DFC_B.hasUnit, 'hasUnit');
  const vat = field(DFC_B.VATrate, 'VATrate');
  const vatRate = jsonNumber(vat);
  const before = problems.length;
  if (number === undefined) refuse('not-a-number', path, `price is not a number: ${shown(value)}`);
  if (unit != null && typeof unit !== 'string') refuse('not-a-string', `${path}/${shortName(DFC_B.hasUnit)}`, `price unit is not a unit IRI: ${shown(unit)}`);
  if (vat != null && vatRate === undefined) refuse('not-a-number', `${path}/${shortName(DFC_B.VATrate)}`, `VAT rate is not a number: ${shown(vat)}`);
  if (number === undefined || problems.length > before) return undefined;
  const unitIri = typeof unit === 'string' ? unit.replace(/^dfc-m:/u, DFC_M_NS) : currency;
  const price: Price = { value: number, currency: unitIri as Iri };
  const withVat = vatRate ?? record.price?.vatRate;
  return withVat !== undefined ? { ...price, vatRate: withVat } : price;
}

/**
 * Reads a catalog item update: `dfc-b:stockLimitation` (a number; negative or null is on demand) and
 * `dfc-b:sku` (a string; null removes it).
 *
 * @param body - the request body
 * @param record - the catalog item as stored
 */
export function readCatalogItemUpdate(body: PlainJsonBody, record: CatalogItemRecord): PlainJsonRead<CatalogItemUpdate> {
  const read = readFields(body, ['stock', 'sku']);
  if (read.kind !== 'update') return read;
  const fields = read.update;
  const problems: Problem[] = [];
  const update: { -readonly [K in keyof CatalogItemUpdate]: CatalogItemUpdate[K] } = {};
  if ('stock' in fields) update.stock = readStock(fields.stock, record, problems);
  if ('sku' in fields) {
    const sku = fields.sku;
    if (sku === null || typeof sku === 'string') update.sku = sku;
    else problems.push(problem('not-a-string', record.id, 'dfc-b:CatalogItem', shortName(DFC_B.sku), 'sku must be a string'));
  }
  return { kind: 'update', update, problems };
}

/**
 * Reads an offer update: `dfc-b:hasPrice` (a Price or a bare number, in the offer's currency) and
 * `dfc-b:stockLimitation`.
 *
 * @param body - the request body
 * @param record - the offer as stored
 * @param defaultCurrency - the currency of a bare number when the offer has no price yet
 */
export function readOfferUpdate(body: PlainJsonBody, record: OfferRecord, defaultCurrency: Iri = EURO): PlainJsonRead<OfferUpdate> {
  const read = readFields(body, ['stock', 'price']);
  if (read.kind !== 'update') return read;
  const fields = read.update;
  const problems: Problem[] = [];
  const update: { -readonly [K in keyof OfferUpdate]: OfferUpdate[K] } = {};
  if ('stock' in fields) update.stock = readStock(fields.stock, record, problems);
  if ('price' in fields) {
    const price = readPrice(fields.price, record, defaultCurrency, problems);
    if (price !== undefined) update.price = price;
  }
  return { kind: 'update', update, problems };
}
