/**
 * What every catalogue write shares: decoding a body (or refusing it with 400/422), checking the result and
 * committing it as one store transaction, doing a read-modify-write again when another request changed what
 * it read, and turning the store port's errors into HTTP errors.
 *
 * @packageDocumentation
 */
import type { Iri } from '../../ontology/iri.js';
import type { DfcRecord } from '../../ontology/records.js';
import type { Decoder, DecodeResult } from '../codec/decode.js';
import {
  BadRequestHttpError, ConflictHttpError, ForbiddenHttpError, PreconditionFailedHttpError, UnprocessableEntityHttpError,
} from '../errors/http-error.js';
import { problem, SYNTAX_ERRORS, type Problem } from '../errors/problem.js';
import {
  AlreadyExistsError, ConcurrentChangeError, ListedRecordError, MAX_MONEY, MAX_QUANTITY, OpenOrdersError, OrderedRecordError, OwnershipError, VersionConflictError, type ApplyOptions, type ChangeSet, type NodeStore, type RemovedEnterprise,
  type ResourceReads,
} from '../store/store.js';
import { listingPublishes } from '../store/orders.js';
import type { VersionedRecord } from './catalog-reads.js';

/** Options of {@link Committer.commit}. */
export interface CommitOptions extends ApplyOptions {
  /** The message of the 422 when a record is not valid DFC. */
  readonly invalid?: string;
}

/** A body decoded for a write. */
export interface WriteBody {
  readonly text: string;
  readonly mediaType: string;
}

/**
 * What a conditional write (`If-Match`) requires of the state it writes over: a number is the enterprise's
 * version (any change to the enterprise refuses the write); `{ version }` is the version of the resource
 * itself, the one its ETag was made from. With `record`, it is the resource as the request read it to check
 * `If-Match` (a {@link VersionedRecord}): the write starts from it instead of reading it again. With
 * `anyVersion` (`If-Match: *`, RFC 9110 §13.1.1), the resource must only exist: `version` is then that of
 * `record`, and the write is no more conditional than one without `If-Match` (a missing resource is a 404 either way).
 */
export type WriteCondition = number | { readonly version: string; readonly record?: DfcRecord; readonly anyVersion?: boolean };

/** The message of a 412 when `If-Match` names no current representation. */
export const IF_MATCH_FAILED = 'the resource changed since that ETag (If-Match does not match)';

/**
 * Checks a write condition against the resource as the write read it.
 *
 * @returns the part of the change set that makes the store check the rest in its transaction
 * @throws PreconditionFailedHttpError when the resource is not at the version the condition names
 */
export function conditionOf(condition: WriteCondition | undefined, read: { readonly version: string }): { expectedVersion?: number } {
  if (condition === undefined) return {};
  if (typeof condition === 'number') return { expectedVersion: condition };
  if (condition.anyVersion === true) return {};
  // The write's own read-modify-write check (`expect`) then makes sure nothing changes until the commit.
  if (condition.version !== read.version) throw new PreconditionFailedHttpError(IF_MATCH_FAILED);
  return {};
}

/**
 * The resource a read-modify-write starts from without reading it: on the first attempt of a write whose
 * condition carries the resource as the request read it. The check of `If-Match` and the write then cost one
 * read, and nothing is lost: the write's `expect` still requires, in its transaction, that the resource is as
 * it was read, and a retry after a concurrent change reads it afresh (and answers 412 when it moved on).
 *
 * @param attempt - the attempt of {@link Committer.retrying} (1 for the first)
 */
export function alreadyRead(condition: WriteCondition | undefined, attempt: number): VersionedRecord | undefined {
  if (attempt !== 1 || typeof condition !== 'object' || condition.record === undefined) return undefined;
  return { record: condition.record, version: condition.version };
}

/**
 * Whether a write must apply whatever was written meanwhile: no condition, or `If-Match: *`. Such a write sets
 * the value (last writer wins); it never answers 409 or 412 because another request wrote first.
 */
export function unconditional(condition: WriteCondition | undefined): boolean {
  return condition === undefined || (typeof condition === 'object' && condition.anyVersion === true);
}

/** What one attempt of a read-modify-write decided ({@link Committer.readModifyWrite}). */
export interface WriteDecision<T> {
  readonly changes: ChangeSet;
  readonly value: T;
  /** The message of the 422 when a record written is not valid DFC. */
  readonly invalid?: string;
}

/** The problems of a record this node writes whose stock or price is beyond what it keeps exactly. */
function outOfBounds(record: DfcRecord): Problem[] {
  if (record.kind !== 'CatalogItem' && record.kind !== 'Offer') return [];
  const problems: Problem[] = [];
  const type = `dfc-b:${record.kind}`;
  if (typeof record.stock === 'number' && record.stock > MAX_QUANTITY) {
    problems.push(problem('out-of-range', record.id, type, 'dfc-b:stockLimitation',
      `stock ${record.stock} is beyond the most this node keeps (${MAX_QUANTITY.toExponential()}); a negative stock (or none) is unlimited`));
  }
  const price = record.kind === 'Offer' ? record.price?.value : undefined;
  if (typeof price === 'number' && price > MAX_MONEY) {
    problems.push(problem('out-of-range', record.id, type, 'dfc-b:hasPrice', `price ${price} is beyond the most this node keeps (${MAX_MONEY.toExponential()})`));
  }
  return problems;
}

/** The HTTP error of a store port error; anything else passes as it is. */
export function httpErrorOf(error: unknown): unknown {
  if (error instanceof ConcurrentChangeError) return new ConflictHttpError(`${error.message}; try again`);
  if (error instanceof AlreadyExistsError) return new ConflictHttpError('that resource exists already');
  if (error instanceof VersionConflictError) return new PreconditionFailedHttpError(error.message);
  if (error instanceof OwnershipError) return new ForbiddenHttpError(error.message);
  if (error instanceof OpenOrdersError) return new ConflictHttpError(error.message);
  if (error instanceof OrderedRecordError) return new ConflictHttpError(error.message, { extensions: { order: error.order } });
  return error;
}

/**
 * Decodes, checks and commits catalogue writes.
 *
 * Every record a write stores is validated once: what it decoded from the body when decoded (so a 422 names
 * the ids the client sent), anything else (a plain-JSON update, a stored record the write changes, records
 * handed to the service) at commit. Records derived from decoded ones by a change that cannot make them
 * invalid carry the validity of their source ({@link Committer.carryValidity}) and are not checked again.
 */
export class Committer {
  /** Records known to be valid DFC: decoded (and validated) here, or derived from such by a safe change. */
  private readonly valid = new WeakSet<DfcRecord>();

  public constructor(
    private readonly store: NodeStore,
    private readonly decoder: Decoder,
    private readonly onChange: () => void,
  ) {}

  /** The currency of a price given as a bare number (the node's: see `Config.currency`). */
  public get currency(): Iri {
    return this.decoder.defaultCurrency;
  }

  /**
   * Decodes a body, or throws 400/422 with the codec's problems. Nothing is written.
   *
   * @param options - with `partial`, rejected resources do not fail the decode: they are in the result's
   *   `rejected`, for a write of several resources that takes the valid ones (a document-level error still fails)
   */
  public async decode(body: WriteBody, base: string, options: { readonly partial?: boolean } = {}): Promise<DecodeResult> {
    // Our own catalogue: a stock given two values is refused, not read as the first (see `catalogueWrite`).
    const result = await this.decoder.decode(body.text, { mediaType: body.mediaType, base, catalogueWrite: true });
    const documentErrors = result.problems.filter((p) => p.id === null && p.severity === 'error');
    if (documentErrors.length > 0) {
      const malformed = documentErrors.some((p) => SYNTAX_ERRORS.has(p.code));
      const Error = malformed ? BadRequestHttpError : UnprocessableEntityHttpError;
      throw new Error(documentErrors.map((p) => p.message).join('; '), { problems: result.problems });
    }
    if (result.rejected.length > 0 && options.partial !== true) {
      throw new UnprocessableEntityHttpError(`${result.rejected.length} resource(s) are not valid DFC`, { problems: result.problems });
    }
    // The decoder validated every record it kept: a commit need not do it again (an offer given its item's stock, as
    // the decoder gives it, is as valid: the item's stock passed the same schema).
    for (const record of result.records) this.valid.add(record);
    return result;
  }

  /**
   * Notes that `derived` is valid DFC when `source` is, without validating it: for a change that cannot make a
   * record invalid (the caller says why where it calls this).
   */
  public carryValidity(source: DfcRecord, derived: DfcRecord): void {
    if (this.valid.has(source)) this.valid.add(derived);
  }

  /**
   * Refuses (409) a change set that writes or deletes a record a listing publishes: its product, catalog item,
   * offer, or a record named under its product. The stock of a listed item is its origin's, and the listing
   * service alone mirrors it (through the store, not through here); a catalogue write there would sell stock the
   * shop does not own, or be overwritten by the next mirror.
   */
  public async refuseListingRecords(changes: Pick<ChangeSet, 'upsert' | 'delete'>): Promise<void> {
    const iris = [...(changes.upsert ?? []).map((r) => r.id as string), ...(changes.delete ?? [])];
    if (iris.length === 0) return;
    const [listing] = await this.store.orders.listingsPublishing(iris);
    if (listing === undefined) return;
    const iri = iris.find((i) => listingPublishes(listing, i)) ?? listing.item;
    throw new ConflictHttpError(
      `${iri} is a listing of ${listing.originItem}, managed by its origin: its stock is the origin's, and it changes only through the listing `
      + `(listing ${listing.id} of enterprise ${listing.eid}: its price with PATCH, its removal with DELETE /api/dfc/enterprises/${listing.eid}/listings/${listing.id})`,
      { extensions: { listing: listing.id, origin: listing.originItem } },
    );
  }

  /**
   * Validates the records a change set writes that are not known valid, and applies it in one store transaction,
   * refused (409) when it writes or deletes a record a listing publishes: the store checks that with the write
   * ({@link ChangeSet.refuseListed}), in the same statement for a stock write, not with a read of its own before it.
   */
  public async commit(eid: string, changes: ChangeSet, options: CommitOptions = {}): Promise<void> {
    const { invalid, ...apply } = options;
    this.validate(changes, invalid);
    try {
      await this.store.apply(eid, { ...changes, refuseListed: true }, apply);
    } catch (error: unknown) {
      // A concurrent change is retried by the caller; everything else becomes an HTTP error here.
      if (error instanceof ConcurrentChangeError) throw error;
      if (error instanceof ListedRecordError) await this.refusedAsListed(changes, error);
      throw httpErrorOf(error);
    }
    this.onChange();
  }

  /**
   * The 409 of a write the store refused because a listing publishes one of its records, named by
   * {@link refuseListingRecords}; a {@link ConcurrentChangeError} (the write is done again) when that listing went
   * meanwhile.
   */
  private async refusedAsListed(changes: Pick<ChangeSet, 'upsert' | 'delete'>, error: ListedRecordError): Promise<never> {
    await this.refuseListingRecords(changes);
    throw new ConcurrentChangeError(error.iri);
  }

  /**
   * Removes an enterprise with everything it has (see `NodeStore.removeEnterprise`), then wakes the deliveries
   * that carry its withdrawals.
   *
   * @throws ConflictHttpError (409) while orders placed with it are open
   */
  public async removeEnterprise(eid: string): Promise<RemovedEnterprise | undefined> {
    let removed: RemovedEnterprise | undefined;
    try {
      removed = await this.store.removeEnterprise(eid);
    } catch (error: unknown) {
      throw httpErrorOf(error);
    }
    if (removed !== undefined) this.onChange();
    return removed;
  }

  /**
   * A read-modify-write of a resource. The first attempt reads outside the store's transaction, so that a write
   * holds the store's lock only for its own statements; its change set's `expect` makes the store refuse it when
   * what it read changed meanwhile. Then:
   * - a write with a version condition (`If-Match` with ETags) reads again: the resource moved on, so it answers
   *   412 (or, when only something beside it changed, it applies);
   * - a write without one (no `If-Match`, or `*`) is decided again inside the store's transaction
   *   (`NodeStore.update`), where nothing can change under it: it applies, the last writer wins, and contention
   *   with other writers is never answered 409.
   *
   * @param decide - one attempt: reads through `from` (the store, or the transaction's reads), and returns the
   *   change set with what the write answers; given the attempt's number (1 for the first)
   */
  public async readModifyWrite<T>(
    eid: string, condition: WriteCondition | undefined, decide: (from: ResourceReads, attempt: number) => Promise<WriteDecision<T>>,
  ): Promise<T> {
    return this.retrying(async (attempt) => {
      if (attempt > 1 && unconditional(condition)) return this.commitDecided(eid, (reads) => decide(reads, attempt));
      const { changes, value, invalid } = await decide(this.store, attempt);
      await this.commit(eid, changes, invalid !== undefined ? { invalid } : {});
      return value;
    });
  }

  /**
   * Runs a read-modify-write again (a few times) when another request changed what it read meanwhile.
   *
   * @param work - one attempt, given its number (1 for the first)
   */
  public async retrying<T>(work: (attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work(attempt);
      } catch (error: unknown) {
        if (!(error instanceof ConcurrentChangeError) || attempt >= 5) throw httpErrorOf(error);
      }
    }
  }

  /** Decides a write inside the store's transaction, validates it there and commits it: it cannot meet a concurrent change. */
  private async commitDecided<T>(eid: string, decide: (reads: ResourceReads) => Promise<WriteDecision<T>>): Promise<T> {
    let value: T;
    let decided: WriteDecision<T> | undefined;
    try {
      value = await this.store.update(eid, async (reads) => {
        decided = await decide(reads);
        this.validate(decided.changes, decided.invalid);
        return { ...decided, changes: { ...decided.changes, refuseListed: true } };
      });
    } catch (error: unknown) {
      if (error instanceof ListedRecordError && decided !== undefined) await this.refusedAsListed(decided.changes, error);
      throw httpErrorOf(error);
    }
    this.onChange();
    return value;
  }

  /**
   * Validates the records a change set writes that are not known valid, and the bounds of this node's own stock and
   * prices in every record it writes (valid DFC, as a peer may send it, but not what this node can keep): 422 with
   * their problems.
   */
  private validate(changes: ChangeSet, invalid = 'the result would not be valid DFC'): void {
    const upsert = changes.upsert ?? [];
    const unchecked = upsert.filter((record) => !this.valid.has(record));
    const problems = [...this.decoder.validate(unchecked).filter((p) => p.severity === 'error'), ...upsert.flatMap(outOfBounds)];
    if (problems.length > 0) throw new UnprocessableEntityHttpError(invalid, { problems });
  }
}
