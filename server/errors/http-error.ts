/**
 * The one family of errors that carry an HTTP status. Core code throws a subclass that names the situation
 * (`NotFoundHttpError`); only the HTTP error funnel turns it into an RFC 9457 `application/problem+json`.
 *
 * @packageDocumentation
 */
import type { Problem } from './problem.js';

/** Options of an {@link HttpError}. */
export interface HttpErrorOptions {
  /** The codec's problem list, when the error is about DFC content. */
  readonly problems?: readonly Problem[];
  /** Extra response headers (`Allow` on a 405, say). */
  readonly headers?: Readonly<Record<string, string>>;
  /** RFC 9457 extension members of the problem document (the short lines of a refused order, say). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/**
 * An error with an HTTP status.
 *
 * A client error (4xx) captures no stack: the error funnel never logs or shows it, and capturing it costs more than
 * the rest of the error (about 15 µs, measured), on answers as frequent as a refused order in a race for the last
 * units. A server error (5xx) keeps its stack, which is logged.
 */
export class HttpError extends Error {
  public readonly status: number;
  public readonly title: string;
  public readonly problems: readonly Problem[] | undefined;
  public readonly headers: Readonly<Record<string, string>>;
  public readonly extensions: Readonly<Record<string, unknown>>;

  public constructor(status: number, title: string, message: string, options: HttpErrorOptions = {}) {
    const limit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    try {
      super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.status = status;
    this.title = title;
    this.name = new.target.name;
    this.problems = options.problems;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }

  /** Whether a value is an {@link HttpError}. */
  public static isInstance(error: unknown): error is HttpError {
    return error instanceof HttpError;
  }
}

function httpErrorClass(status: number, title: string) {
  return class extends HttpError {
    public constructor(message: string = title, options?: HttpErrorOptions) {
      super(status, title, message, options);
    }
  };
}

/** 400: the request is malformed (bad JSON, bad parameter). */
export class BadRequestHttpError extends httpErrorClass(400, 'Bad Request') {}
/** 401: no valid credentials. */
export class UnauthorizedHttpError extends httpErrorClass(401, 'Unauthorized') {}
/** 403: valid credentials without the right. */
export class ForbiddenHttpError extends httpErrorClass(403, 'Forbidden') {}
/** 404: no such resource. */
export class NotFoundHttpError extends httpErrorClass(404, 'Not Found') {}
/** 405: the method is not allowed here. */
export class MethodNotAllowedHttpError extends httpErrorClass(405, 'Method Not Allowed') {}
/** 406: no representation matches the Accept header. */
export class NotAcceptableHttpError extends httpErrorClass(406, 'Not Acceptable') {}
/** 409: the request conflicts with the current state. */
export class ConflictHttpError extends httpErrorClass(409, 'Conflict') {}
/** 412: a precondition (If-Match) failed. */
export class PreconditionFailedHttpError extends httpErrorClass(412, 'Precondition Failed') {}
/** 413: the body is over the limit. */
export class PayloadTooLargeHttpError extends httpErrorClass(413, 'Content Too Large') {}
/** 415: the body's media type is not accepted. */
export class UnsupportedMediaTypeHttpError extends httpErrorClass(415, 'Unsupported Media Type') {}
/** 422: well-formed, but not valid DFC. */
export class UnprocessableEntityHttpError extends httpErrorClass(422, 'Unprocessable Content') {}
/** 501: the request needs what this node does not do (a transfer coding other than chunked). */
export class NotImplementedHttpError extends httpErrorClass(501, 'Not Implemented') {}
/** 503: a service this request depends on (a supplier's node) cannot be reached now. */
export class ServiceUnavailableHttpError extends httpErrorClass(503, 'Service Unavailable') {}
/** 500: our fault. */
export class InternalServerError extends httpErrorClass(500, 'Internal Server Error') {}
/** 507: the node cannot store what the request writes (its disk is full); nothing of it was written. */
export class InsufficientStorageHttpError extends httpErrorClass(507, 'Insufficient Storage') {}
