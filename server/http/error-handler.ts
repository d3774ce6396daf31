/**
 * The one error funnel: every error of a request becomes an RFC 9457 `application/problem+json` answer here.
 *
 * @packageDocumentation
 */
import type { ErrorRequestHandler } from 'express';
import { badCredentialOf, unauthorized } from '../auth/middleware.js';
import type { Logger } from 'pino';
import { addVary } from './compress.js';
import { STATUS_CODES } from 'node:http';
import {
  BadRequestHttpError, HttpError, InsufficientStorageHttpError, InternalServerError, PayloadTooLargeHttpError, ServiceUnavailableHttpError,
  UnsupportedMediaTypeHttpError,
} from '../errors/http-error.js';

/** The problem document of an error. */
export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  /** The codec's problem list, when the error is about DFC content. */
  readonly problems?: readonly unknown[];
}

/** Maps errors thrown by body parsers and other libraries to our family. */
/** The content codings a request body may come in (what the body reader decompresses). */
export const BODY_CODINGS = 'gzip, deflate, br';

function toHttpError(error: unknown, contentEncoding: string | undefined): HttpError {
  if (HttpError.isInstance(error)) return error;
  const e = error as { type?: string; status?: number; message?: string; limit?: number; charset?: string; expose?: boolean; encoding?: string; code?: string };
  if (e.type === 'entity.too.large') return new PayloadTooLargeHttpError(`the body is over the limit of ${e.limit ?? '?'} bytes`);
  if (e.type === 'encoding.unsupported') {
    // RFC 9110 §12.5.3 and §15.5.16: a content coding the server does not take is a 415 that says which it takes.
    return new UnsupportedMediaTypeHttpError(
      `the body's content coding ${JSON.stringify(e.encoding ?? contentEncoding ?? '')} (Content-Encoding) is not supported; send ${BODY_CODINGS}, or none`,
      { headers: { 'Accept-Encoding': BODY_CODINGS } },
    );
  }
  // A body that does not decompress: zlib's own words ("incorrect header check") say little of what was wrong.
  // zlib's errors have codes Z_…, brotli's ERR__… (ERR__ERROR_FORMAT_PADDING_2).
  if (e.status === 400 && typeof e.code === 'string' && /^(?:Z_|ERR_)/u.test(e.code) && contentEncoding !== undefined) {
    return new BadRequestHttpError(`the body is not valid ${contentEncoding} data, as its Content-Encoding says (${e.message ?? e.code})`);
  }
  if (e.status === 400 || e.type === 'request.aborted') {
    return new BadRequestHttpError(e.message ?? 'bad request');
  }
  if (e.type === 'charset.unsupported') {
    return new UnsupportedMediaTypeHttpError(`the body's charset ${JSON.stringify(e.charset ?? '')} is not supported; send UTF-8`);
  }
  // Any other client error a library raises (http-errors marks them `expose`) keeps its status: bad input is
  // the client's to fix, never our 500.
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true) {
    return new HttpError(e.status, STATUS_CODES[e.status] ?? 'Client Error', e.message ?? 'bad request');
  }
  return storageError(error) ?? new InternalServerError('an unexpected error occurred; it has been logged', { cause: error });
}

/**
 * The answer to a write the database could not make for want of room or of write access (SQLite's `SQLITE_FULL`,
 * `SQLITE_READONLY`, or a rolled-back group whose cause is one): the client learns that nothing was written and that
 * trying again later may work, not "an unexpected error". Undefined for any other error.
 */
function storageError(error: unknown): HttpError | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e !== undefined && e !== null && depth < 4; e = e.cause as typeof e, depth++) {
    if (e.code === 'SQLITE_FULL') {
      return new InsufficientStorageHttpError('the node\'s disk is full: the write this request needed was not made; try again once its operator has made room',
        { cause: error, headers: { 'Retry-After': '60' } });
    }
    if (e.code === 'SQLITE_READONLY') {
      return new ServiceUnavailableHttpError('the node cannot write to its database now (it is read-only): the write this request needed was not made',
        { cause: error, headers: { 'Retry-After': '60' } });
    }
    // Another process held the database longer than the node waits (a `maillon sync` or `import` run beside the
    // node commits a large change at once): the request was not served, and a retry in a moment will be.
    if (e.code === 'SQLITE_BUSY' || e.code === 'SQLITE_LOCKED') {
      return new ServiceUnavailableHttpError('the node\'s database is busy with another process (a command run beside the node): the request was not completed; retry in a few seconds',
        { cause: error, headers: { 'Retry-After': '5' } });
    }
    // The database's file was removed or replaced under the node: its writes would be lost, so none is made until a
    // restart (the message says why; a retry alone will not help, hence no Retry-After).
    if (e.code === 'MAILLON_DATABASE_GONE') {
      return new ServiceUnavailableHttpError(`the write this request needed was not made: ${(e as { message?: string }).message ?? 'the database file is gone'}`, { cause: error });
    }
    // The disk or the file system failed the database (a quota, a device error): nothing this request needed was made.
    if (e.code === 'SQLITE_IOERR') {
      return new ServiceUnavailableHttpError('the node could not read or write its database (a disk or file system error): the request was not completed; its operator is told',
        { cause: error, headers: { 'Retry-After': '60' } });
    }
  }
  return undefined;
}

/**
 * Builds the error handler.
 *
 * @param logger - where unexpected errors are logged with their stack
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    let httpError = toHttpError(error, req.get('content-encoding'));
    // A request with a credential we cannot use learns that first: a 404 would tell an unknown enterprise from a
    // private one, which answers 401 invalid_token to it (RFC 9110 §15.5.5; RFC 6750 §3.1).
    if (httpError.status === 404 && badCredentialOf(res) !== undefined) httpError = unauthorized(res, '');
    if (httpError.status >= 500) logger.error({ err: error, requestId: res.getHeader('X-Request-Id') }, 'request failed');
    const body: ProblemDocument = {
      // Extension members first: they never overwrite the standard ones.
      ...httpError.extensions,
      type: 'about:blank',
      title: httpError.title,
      status: httpError.status,
      detail: httpError.message,
      instance: req.originalUrl,
      ...(httpError.problems !== undefined ? { problems: httpError.problems } : {}),
    };
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(httpError.headers)) {
      // Vary is added to, not replaced: what the route already said its answer varies by still holds.
      if (name.toLowerCase() === 'vary') for (const token of String(value).split(',')) addVary(res, token.trim());
      else res.setHeader(name, value);
    }
    res.status(httpError.status).type('application/problem+json').send(JSON.stringify(body));
  };
}
