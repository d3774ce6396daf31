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
  '.turtle': 'text/turtle',
  '.nt': 'application/n-triples',
  '.ntriples': 'application/n-triples',
  '.nq': 'application/n-quads',
  '.nquads': 'application/n-quads',
};

/**
 * The media type of a file: from its extension when it is one we know, else from its first characters (a file
 * saved as `catalogue.turtle`, `export.txt` or without extension is still read).
 *
 * @param path - the file name
 * @param text - its content, looked at only when the extension says nothing
 */
export function mediaTypeOfFile(path: string, text?: string): string {
  const known = BY_EXTENSION[extname(path).toLowerCase()];
  if (known !== undefined || text === undefined) return known ?? 'application/ld+json';
  return sniffMediaType(text);
}

/**
 * JSON starts with `{` or `[`; anything else that looks like RDF text is read as Turtle, which N-Triples is a
 * subset of. What is neither goes to the JSON-LD reader, whose error says what is wrong.
 */
function sniffMediaType(text: string): string {
  const start = text.replace(/^\uFEFF/u, '').replace(/^(?:\s|#[^\n]*\n)*/u, '');
  if (start.startsWith('{') || start.startsWith('[')) return 'application/ld+json';
  if (/^(?:<|_:)/u.test(start) && /^(?:<[^>]*>|_:\S+)\s+<[^>]*>\s+(?:<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"\S*)\s+(?:<[^>]*>|_:\S+)\s*\.\s*$/mu.test(start)) {
    // A line with a fourth term, the graph: N-Quads, whose reader also takes N-Triples lines.
    return 'application/n-quads';
  }
  if (/^(?:@prefix|@base|prefix\s|base\s|<|_:)/iu.test(start)) return 'text/turtle';
  return 'application/ld+json';
}
