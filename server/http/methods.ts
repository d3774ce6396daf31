/**
 * What every resource route answers alike: `OPTIONS` and the 405 of a method it does not take, and the text of
 * a request body with its media type.
 *
 * @packageDocumentation
 */
import type { Request, Response } from 'express';
import { BadRequestHttpError, MethodNotAllowedHttpError } from '../errors/http-error.js';
import { ACCEPTED_BODY_TYPES, bodyMediaType } from './negotiate.js';

/**
 * The handler of the methods a path does not route: `OPTIONS` answers 204 with `Allow` (and `Accept-Post` on a
 * collection that takes POST), any other method 405 with `Allow`.
 */
export function allowOnly(methods: string, acceptPost = false) {
  return (req: Request, res: Response): void => {
    res.setHeader('Allow', methods);
    if (acceptPost) res.setHeader('Accept-Post', ACCEPTED_BODY_TYPES.join(', '));
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    throw new MethodNotAllowedHttpError(`${req.method} is not allowed on ${req.originalUrl.split('?')[0] ?? ''}; allowed: ${methods}`, {
      headers: { Allow: methods },
    });
  };
}

/** A request's body as text with its media type: 415 for a type the codec does not read, 400 when empty. */
export function textBody(req: Request): { readonly text: string; readonly mediaType: string } {
  const mediaType = bodyMediaType(req.get('content-type'));
  const text = typeof req.body === 'string' ? req.body : '';
  if (text.trim() === '') throw new BadRequestHttpError('the request body is empty');
  return { text, mediaType };
}
