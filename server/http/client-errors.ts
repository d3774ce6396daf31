/**
 * What a client is told when Node's HTTP parser refuses its request before any route sees it: headers (or a URL)
 * beyond the size limit, a request line or header that is not HTTP, a request that took too long to arrive. Node
 * answers those with a bare status line and no body; this answers the same status as RFC 9457
 * `application/problem+json`, as the error funnel answers everything else.
 *
 * @packageDocumentation
 */
import type { Socket } from 'node:net';

/** The status and reason of a parser error, by Node's error code; anything else is a 400. */
const STATUSES: Readonly<Record<string, readonly [number, string, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'the request line and headers are larger than this node accepts (16 KiB)'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'the request did not arrive in time'],
  ERR_HTTP_HEADERS_TIMEOUT: [408, 'Request Timeout', 'the request headers did not arrive in time'],
};

/**
 * Answers a request Node's parser refused, then closes the connection (what follows on it cannot be read).
 *
 * @param error - the parser's error (`clientError` of `http.Server`)
 * @param socket - the client's connection
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A connection reset, or a socket already answered or closing: nothing to write to.
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, title, detail] = STATUSES[error.code ?? ''] ?? [400, 'Bad Request', 'the request is not well-formed HTTP'];
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  socket.end(`HTTP/1.1 ${status} ${title}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`
    + `connection: close\r\n\r\n${body}`);
}
