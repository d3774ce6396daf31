/**
 * Media types of files, from their extension (for the command line).
 *
 * @packageDocumentation
 */
import { extname } from 'node:path';

const BY_EXTENSION: Readonly<Record<string, string>> = {
  '.json': 'application/ld+json',
  '.jsonld': 'application/ld+json',
  '.ttl': 'text/turtle',
  '.nt': 'application/n-triples',
  '.nq': 'application/n-quads',
};

/** The media type of a file name, JSON-LD when the extension says nothing. */
export function mediaTypeOfFile(path: string): string {
  return BY_EXTENSION[extname(path).toLowerCase()] ?? 'application/ld+json';
}
