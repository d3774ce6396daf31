/**
 * Where the readers we target spell a term differently from the DFC 1.16 ontology.
 *
 * The node writes every term the ontology defines. For the few properties that the TypeScript and Ruby
 * connectors (and Open Food Network, built on the Ruby one) read only under another name, it writes that name
 * too, with the same value, so that a strict DFC reader and those readers both find the value. Readers take
 * either spelling (`server/codec/extract.ts`). README "Spelling exceptions" lists this table.
 *
 * @packageDocumentation
 */
import type { Iri } from './iri.js';
import type { RecordKind } from './records.js';
import { DFC_B } from './vocabulary.js';

/** One property written under two names. */
export interface SpellingException {
  /** The term of the DFC 1.16 ontology: always written. */
  readonly term: Iri;
  /** The name a reader we target reads instead: written beside the term, with the same value. */
  readonly wire: Iri;
  /** The kind of record that carries it (an Enterprise is a `dfc-b:Organization` in 2.0). */
  readonly on: RecordKind;
  /** Who reads only the wire name. */
  readonly reason: string;
}

/** Every property the node writes under both its ontology term and the name its readers use. */
export const SPELLING_EXCEPTIONS: readonly SpellingException[] = Object.freeze([
  { term: DFC_B.description, wire: DFC_B.hasDescription, on: 'Enterprise',
    reason: 'the connectors read an enterprise\'s description only as hasDescription (Enterprise.getDescription); Open Food Network imports it from there' },
  { term: DFC_B.street, wire: DFC_B.hasStreet, on: 'Address',
    reason: 'the connectors and Open Food Network read and write addresses as hasStreet (Address.getStreet)' },
  { term: DFC_B.postcode, wire: DFC_B.hasPostalCode, on: 'Address',
    reason: 'the connectors and Open Food Network read hasPostalCode (Address.getPostalCode)' },
  { term: DFC_B.city, wire: DFC_B.hasCity, on: 'Address',
    reason: 'the connectors and Open Food Network read hasCity (Address.getCity)' },
  { term: DFC_B.totalTheoriticalStock, wire: DFC_B.totalTheoreticalStock, on: 'SuppliedProduct',
    reason: 'the ontology misspells the term; every connector reads the corrected spelling (SuppliedProduct.getTotalTheoreticalStock)' },
  { term: DFC_B.Image, wire: DFC_B.image, on: 'SuppliedProduct',
    reason: 'the connectors and Open Food Network read images as the lower-case image (getImages)' },
  { term: DFC_B.offers, wire: DFC_B.offeredItem, on: 'Offer',
    reason: 'the connector reads an offer\'s item as offeredItem (Offer.getOfferedItem), and Open Food Network matches order lines by line.offer.offeredItem' },
  { term: DFC_B.offersTo, wire: DFC_B.offeredTo, on: 'Offer',
    reason: 'the connector reads an offer\'s customer category as offeredTo (Offer.getCustomerCategory)' },
  { term: DFC_B.startDate, wire: DFC_B.beginDate, on: 'SaleSession',
    reason: 'the connector and Open Food Network read a sale session\'s start as beginDate (SaleSession.getBeginDate)' },
]);

/**
 * The name written beside an ontology term on a kind of record, if any.
 *
 * @param kind - the record being written
 * @param term - the ontology term
 */
export function wireSpelling(kind: RecordKind, term: string): Iri | undefined {
  // Asked for every property of every record written: a map, not a search of the list.
  return WIRE_OF.get(kind)?.get(term);
}

const WIRE_OF: ReadonlyMap<RecordKind, ReadonlyMap<string, Iri>> = (() => {
  const byKind = new Map<RecordKind, Map<string, Iri>>();
  for (const s of SPELLING_EXCEPTIONS) {
    const terms = byKind.get(s.on) ?? new Map<string, Iri>();
    terms.set(s.term, s.wire);
    byKind.set(s.on, terms);
  }
  return byKind;
})();
