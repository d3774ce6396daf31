/**
 * The one error funnel: every error of a request becomes an RFC 9457 `application/problem+json` answer here.
 *
 * @packageDocumentation
 */
import type { ErrorRequestHandler } from 'express';
import { badCredentialOf, unauthorized } from '../auth/middleware.js';
import type { Logger } from 'pino';
import { STATUS_CODES } from 'node:http';
import {
  BadRequestHttpError, HttpError, InternalServerError, PayloadTooLargeHttpError, UnsupportedMediaTypeHttpError,
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
function toHttpError(error: unknown): HttpError {
  if (HttpError.isInstance(error)) return error;
  const e = error as { type?: string; status?: number; message?: string; limit?: number; charset?: string; expose?: boolean };
  if (e.type === 'entity.too.large') return new PayloadTooLargeHttpError(`the body is over the limit of ${e.limit ?? '?'} bytes`);
  if (e.status === 400 || e.type === 'encoding.unsupported' || e.type === 'request.aborted') {
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
  return new InternalServerError('an unexpected error occurred; it has been logged', { cause: error });
}

/**
 * Builds the error handler.
 *
 * @param logger - where unexpected errors are logged with their stack
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    let httpError = toHttpError(error);
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
    for (const [name, value] of Object.entries(httpError.headers)) res.setHeader(name, value);
    res.status(httpError.status).type('application/problem+json').send(JSON.stringify(body));
  };
}
