/**
 * The rules for stock and price values, shared by every reader of DFC: the JSON-LD and RDF documents
 * (`extract.ts`) and Open Food Network's plain-JSON updates (`plain-json.ts`).
 *
 * @packageDocumentation
 */
import type { Iri } from '../../ontology/iri.js';
import { NS } from '../../ontology/namespaces.js';
import { LDP } from '../../ontology/vocabulary.js';
import { LANGUAGE_TAG, type DfcRecord, type Price, type RecordKind } from '../../ontology/records.js';
import type { Term } from './graph.js';

const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/u;

/** What a stock limitation is called in problem messages. */
export const STOCK_LABEL = 'stock (dfc-b:stockLimitation)';

/**
 * The `dfc-b:stockLimitation` written for on-demand (unlimited) stock. Open Food Network imports a catalogue's absent
 * stock as "no change" (a product new to it then has none, and cannot be sold) and a negative one as on demand, as
 * the Food Data Collaboration's platforms send it (`-1`); every reader of this node takes a negative stock as on demand.
 */
export const ON_DEMAND_STOCK = -1;

/**
 * Whether a language tag is one every RDF syntax can write (Turtle's `LANGTAG`: letters, then `-` and letters or
 * digits; BCP 47 tags are of that form). Another (`not a tag`) is no language: JSON-LD that carries it does not
 * convert to RDF, and Turtle cannot write it.
 */
export function isLanguageTag(tag: string): boolean {
  return LANGUAGE_TAG.test(tag.toLowerCase());
}

/**
 * The `dfc-b:stockLimitation` every writer writes for a catalog item or an offer: its stock, {@link ON_DEMAND_STOCK}
 * for on demand, or none for an order's echo of an offer (`offeredItem`), which tells no stock.
 */
export function writtenStock(record: { readonly stock: number | null; readonly offeredItem?: unknown }): number | undefined {
  if (record.stock !== null) return record.stock;
  return record.offeredItem === undefined ? ON_DEMAND_STOCK : undefined;
}

/**
 * A literal as a number: JSON numbers, numeric strings (`"40"`, as the TypeScript connector sends every
 * number) and numeric typed literals. A number that does not fit a double (`1e309`, which JSON and `Number`
 * read as Infinity), NaN and `INF` are no number: every caller reports the value with its path rather than
 * storing a value that JSON cannot write back.
 */
export function toNumber(term: Term): number | undefined {
  if (term.kind !== 'literal') return undefined;
  if (typeof term.value === 'number') return Number.isFinite(term.value) ? term.value : undefined;
  if (typeof term.value === 'string' && NUMBER.test(term.value)) {
    const value = Number(term.value);
    return Number.isFinite(value) ? value : undefined;
  }
  return undefined;
}

/** A plain JSON value as a number, by the same rule as {@link toNumber} (numbers and numeric strings). */
export function jsonNumber(value: unknown): number | undefined {
  return typeof value === 'number' || typeof value === 'string' ? toNumber({ kind: 'literal', value }) : undefined;
}

/**
 * The finest quantity of stock or of an order line: a thousandth (a gram of a kilogram, a millilitre of a litre). A
 * finer one is no quantity anyone sells, and in the ledger it would be stock no order can take (a stock of 0.0004,
 * "in stock", refuses every order).
 */
export const QUANTITY_STEP = 1000;

/**
 * Whether a quantity is 0 or a whole number of thousandths, within floating point's error of the decimal written:
 * a few units in the last place of the scaled value (`0.059` is 59.00000000000001 thousandths), never more. (A
 * tolerance of a millionth of the value let `2.0000000001` and `1000.0004` through.)
 */
export function inThousandths(quantity: number): boolean {
  const scaled = quantity * QUANTITY_STEP;
  const whole = Math.round(scaled);
  return Math.abs(scaled - whole) <= 8 * Number.EPSILON * Math.max(1, whole) && (quantity === 0 || whole >= 1);
}

/** What a stock finer than a thousandth is told, in a write of this node's own catalogue. */
export const STOCK_STEP_MESSAGE = `${STOCK_LABEL} must be a whole number of thousandths (0.001), as orders take it`;

/**
 * Open Food Network's stock rule: a stock limitation of zero or more is limited stock; absent or negative
 * is on demand (null).
 */
export function stockOf(limitation: number | undefined): number | null {
  return limitation === undefined || limitation < 0 ? null : limitation;
}

/**
 * A price given as a bare number, as Open Food Network sent before 2025 (and still accepts): the value in
 * the currency of the price it replaces, else the default currency; that price's VAT rate is kept.
 */
export function barePrice(value: number, defaultCurrency: Iri, previous?: Price): Price {
  // What the old price's node said beside its value (a minValue, a tax category) was said of that value: not kept.
  return { value, currency: previous?.currency ?? defaultCurrency, ...(previous?.vatRate !== undefined ? { vatRate: previous.vatRate } : {}) };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** JavaScript's `Date.toString()`/`toUTCString()`-like spelling some platforms send: `Thu Aug 22 2024 05:40:38 UTC`. */
const JS_DATE = /^\s*(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{1,2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (?:UTC|GMT)(?:([+-])(\d{2}):?(\d{2}))?(?: \([^)]*\))?\s*$/u;

/** Whether a calendar day and a time of it exist (`Feb 30`, `Aug 0`, `24:00` and a 61st second do not). */
function realMoment(year: number, monthIndex: number, day: number, hours: number, minutes: number, seconds: number): boolean {
  if (hours > 23 || minutes > 59 || seconds > 59 || day < 1) return false;
  // The day after the last of the month is the first of the next: a day past the month's end changes the month.
  return new Date(Date.UTC(year, monthIndex, day)).getUTCMonth() === monthIndex;
}

/** An `xsd:dateTime` or `xsd:date` as ISO 8601 writes it (a four-digit year; the offset optional). */
const XSD_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?)?(?:(Z)|([+-])(\d{2}):(\d{2}))?$/u;

/**
 * The instant (ms since the epoch) an `xsd:dateTime` or `xsd:date` names (`2026-05-01T18:00:00+02:00`,
 * `2026-05-01`: its midnight; no offset: UTC), or undefined when the text is none, or names no real moment: a
 * number (`12345`, which `Date.parse` reads as the year 12345), `not a date`, `2026-13-45`, `24:30`.
 */
export function dateMoment(written: string): number | undefined {
  const m = XSD_DATE.exec(written);
  if (m === null) return undefined;
  const [, year, month, day, hh = '00', mm = '00', ss = '00', fraction, , sign, oh, om] = m;
  if (!realMoment(Number(year), Number(month) - 1, Number(day), Number(hh), Number(mm), Number(ss))) return undefined;
  if (oh !== undefined && (Number(oh) > 14 || Number(om) > 59)) return undefined;
  const offset = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om)) * 60_000;
  const ms = fraction === undefined ? 0 : Math.floor(Number(`0${fraction}`) * 1000);
  return Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hh), Number(mm), Number(ss), ms) - offset;
}

/**
 * A date as ISO 8601. ISO 8601 input is kept as written (its offset is information: a sale session closing at
 * 18:00+02:00 closes at six in the evening where it is held); the JavaScript spelling platforms send
 * (`Thu Aug 22 2024 05:40:38 UTC`, `… GMT+0200`) becomes ISO 8601 with its offset. Anything else, and such a
 * date that names no real moment (`Fri Aug 99 2024`), is returned as given.
 */
export function isoDate(written: string): string {
  const m = JS_DATE.exec(written);
  if (m === null) return written;
  const [, month, day, year, hh, mm, ss, sign, oh, om] = m as unknown as string[];
  // Only a real moment is rewritten: `Aug 99` or `25:00` written as ISO 8601 would look valid and be none.
  if (!realMoment(Number(year), MONTHS.indexOf(month as string), Number(day), Number(hh), Number(mm), Number(ss))) return written;
  if (oh !== undefined && (Number(oh) > 23 || Number(om) > 59)) return written;
  const date = `${year}-${String(MONTHS.indexOf(month as string) + 1).padStart(2, '0')}-${(day as string).padStart(2, '0')}`;
  const offset = sign === undefined || (oh === '00' && om === '00') ? 'Z' : `${sign}${oh}:${om}`;
  return `${date}T${hh}:${mm}:${ss}${offset}`;
}

/**
 * The kinds a collection lists, the first present in a document being its members: a catalogue's items, a list of
 * orders, of enterprises… The records beside them (an item's product and offers, an order's lines, an
 * enterprise's address) are what the members link to, not members.
 */
const MEMBER_KINDS: readonly RecordKind[] = ['CatalogItem', 'Order', 'Enterprise', 'SuppliedProduct', 'Offer', 'SaleSession', 'Person', 'Catalog'];

/**
 * The members of the `ldp:Container` a DFC 2.0 collection is written in (the same in every format): the records of
 * the first kind of {@link MEMBER_KINDS} the document holds, or else every record but paging views and containers
 * (what describes the document itself is no member of it).
 */
export function containerMembers(records: readonly DfcRecord[]): readonly DfcRecord[] {
  for (const kind of MEMBER_KINDS) {
    const members = records.filter((r) => r.kind === kind);
    if (members.length > 0) return members;
  }
  return records.filter((r) => r.kind !== 'Resource' || !r.types.some((t) => ENVELOPE_TYPES.has(t)));
}

/** The types of the nodes that describe a document rather than being in it (see {@link containerMembers}). */
const ENVELOPE_TYPES: ReadonlySet<string> = new Set([LDP.Container, LDP.BasicContainer, `${NS.hydra}PartialCollectionView`, `${NS.hydra}Collection`]);
