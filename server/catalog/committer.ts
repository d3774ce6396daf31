/**
 * What every catalogue write shares: decoding a body (or refusing it with 400/422), checking the result and
 * committing it as one store transaction, doing a read-modify-write again when another request changed what
 * it read, and turning the store port's errors into HTTP errors.
 *
 * @packageDocumentation
 */
import type { Decoder, DecodeResult } from '../codec/decode.js';
import {
  BadRequestHttpError, ConflictHttpError, ForbiddenHttpError, PreconditionFailedHttpError, UnprocessableEntityHttpError,
} from '../errors/http-error.js';
import { SYNTAX_ERRORS } from '../errors/problem.js';
import {
  AlreadyExistsError, ConcurrentChangeError, OwnershipError, VersionConflictError, type ApplyOptions, type ChangeSet, type NodeStore,
} from '../store/store.js';

/** A body decoded for a write. */
export interface WriteBody {
  readonly text: string;
  readonly mediaType: string;
}

/**
 * What a conditional write (`If-Match`) requires of the state it writes over: a number is the enterprise's
 * version (any change to the enterprise refuses the write); `{ version }` is the version of the resource
 * itself, the one its ETag was made from.
 */
export type WriteCondition = number | { readonly version: string };

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
  // The write's own read-modify-write check (`expect`) then makes sure nothing changes until the commit.
  if (condition.version !== read.version) throw new PreconditionFailedHttpError(IF_MATCH_FAILED);
  return {};
}

/** The HTTP error of a store port error; anything else passes as it is. */
export function httpErrorOf(error: unknown): unknown {
  if (error instanceof ConcurrentChangeError) return new ConflictHttpError(`${error.message}; try again`);
  if (error instanceof AlreadyExistsError) return new ConflictHttpError('that resource exists already');
  if (error instanceof VersionConflictError) return new PreconditionFailedHttpError(error.message);
  if (error instanceof OwnershipError) return new ForbiddenHttpError(error.message);
  return error;
}

/** Decodes, checks and commits catalogue writes. */
export class Committer {
  public constructor(
    private readonly store: NodeStore,
    private readonly decoder: Decoder,
    private readonly onChange: () => void,
  ) {}

  /** Decodes a body, or throws 400/422 with the codec's problems. Nothing is written. */
  public async decode(body: WriteBody, base: string): Promise<DecodeResult> {
    const result = await this.decoder.decode(body.text, { mediaType: body.mediaType, base });
    const documentErrors = result.problems.filter((p) => p.id === null && p.severity === 'error');
    if (documentErrors.length > 0) {
      const malformed = documentErrors.some((p) => SYNTAX_ERRORS.has(p.code));
      const Error = malformed ? BadRequestHttpError : UnprocessableEntityHttpError;
      throw new Error(documentErrors.map((p) => p.message).join('; '), { problems: result.problems });
    }
    if (result.rejected.length > 0) {
      throw new UnprocessableEntityHttpError(`${result.rejected.length} resource(s) are not valid DFC`, { problems: result.problems });
    }
    return result;
  }

  /**
   * Validates the records a change set writes (once) and applies it in one store transaction.
   *
   * @param invalid - the message of the 422 when a record is not valid DFC
   */
  public async commit(eid: string, changes: ChangeSet, options: ApplyOptions = {}, invalid = 'the result would not be valid DFC'): Promise<void> {
    const problems = this.decoder.validate(changes.upsert ?? []).filter((p) => p.severity === 'error');
    if (problems.length > 0) throw new UnprocessableEntityHttpError(invalid, { problems });
    try {
      await this.store.apply(eid, changes, options);
    } catch (error: unknown) {
      // A concurrent change is retried by the caller; everything else becomes an HTTP error here.
      if (error instanceof ConcurrentChangeError) throw error;
      throw httpErrorOf(error);
    }
    this.onChange();
  }

  /** Runs a read-modify-write again (a few times) when another request changed what it read meanwhile. */
  public async retrying<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error: unknown) {
        if (!(error instanceof ConcurrentChangeError) || attempt >= 5) throw httpErrorOf(error);
      }
    }
  }
}
