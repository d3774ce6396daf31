/**
 * The JSON bodies of the node's own APIs (peers, subscriptions, notifications): one JSON object, sent as JSON.
 * DFC documents are not read here: they go to the codec, which reads every RDF syntax.
 *
 * @packageDocumentation
 */
import type { Request } from 'express';
import { duplicateNameMessage, scanJsonText } from '../codec/json-duplicates.js';
import { MAX_JSON_DEPTH } from '../codec/limits.js';
import { BadRequestHttpError, UnprocessableEntityHttpError, UnsupportedMediaTypeHttpError } from '../errors/http-error.js';

/** The media types {@link jsonObjectBody} accepts, for messages and `Accept-Post`. */
export const JSON_BODY_TYPES = 'application/json, application/*+json';

/**
 * Whether a `Content-Type` names JSON: `application/json` or a structured `+json` type (RFC 6839 §3.1), such as
 * `application/ld+json`. Parameters do not matter here: the body parser has already decoded the charset.
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/u.test(type);
}

/** What a parsed value is, for a refusal's detail. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * The body of a request as a JSON object.
 *
 * @param req - the request (its body is the text the body parser read)
 * @param example - what the object looks like, shown in the refusal so a client sees what to send
 * @throws UnsupportedMediaTypeHttpError (415) when the `Content-Type` is absent or not JSON
 * @throws BadRequestHttpError (400) when the body is empty, malformed JSON, or JSON that is no object (`null`,
 *   an array, a string, a number, a boolean)
 */
export function jsonObjectBody(req: Request, example?: string): Record<string, unknown> {
  const expected = `expected a JSON object${example !== undefined ? `: ${example}` : ''}`;
  const contentType = req.get('content-type');
  if (!isJsonMediaType(contentType)) {
    throw new UnsupportedMediaTypeHttpError(
      `${contentType === undefined ? 'a body without Content-Type' : JSON.stringify(contentType)} is not accepted here; send ${JSON_BODY_TYPES}`,
      { headers: { 'Accept-Post': JSON_BODY_TYPES } },
    );
  }
  const text = typeof req.body === 'string' ? req.body : '';
  if (text.trim() === '') throw new BadRequestHttpError(`the request body is empty; ${expected}`);
  // Read once before JSON.parse, which would hold the event loop for seconds on millions of `[`.
  const scan = scanJsonText(text);
  if (scan.tooDeep) throw new UnprocessableEntityHttpError(`the body nests JSON arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error: unknown) {
    throw new BadRequestHttpError(`malformed JSON (${error instanceof Error ? error.message : String(error)}); ${expected}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestHttpError(`the body is ${kindOf(parsed)}; ${expected}`);
  }
  if (scan.duplicate !== undefined) throw new UnprocessableEntityHttpError(duplicateNameMessage(scan.duplicate));
  return parsed as Record<string, unknown>;
}

/**
 * Refuses a body with a field the route does not take: a misspelt one (`"intervall"`, `"audiance"`) was taken
 * without a word, and the setting it meant left at its default (an issuer then accepted tokens for any audience).
 *
 * @throws UnprocessableEntityHttpError (422) naming the unknown fields and those taken
 */
export function refuseUnknownFields(body: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(body).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw new UnprocessableEntityHttpError(`unknown field(s) ${unknown.join(', ')}; this takes ${known.join(', ')}`);
}
