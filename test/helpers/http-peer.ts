/**
 * The kit of the outbound client's tests, on top of the one fake peer ({@link startFakePeer}): peers that record
 * each request with its body, a DNS that answers from a table, and the check that the client closed every
 * connection itself.
 */
import { expect } from 'chai';
import dns, { type LookupAddress } from 'node:dns';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { startFakePeer, type FakeHit, type FakePeer, type FakePeerHandler } from './fake-peer.js';

/** A fake peer whose every recorded request has its body. */
export type RecordingPeer = Omit<FakePeer, 'hits'> & { readonly hits: readonly (FakeHit & { readonly body: Buffer })[] };

/** The peers started by the current test, closed by {@link closePeers}. */
const running: FakePeer[] = [];

/**
 * Starts a test peer that records each request with its body (see `hits`) before the handler answers it.
 *
 * @param handler - answers each request
 */
export async function startPeer(handler: FakePeerHandler): Promise<RecordingPeer> {
  const peer = await startFakePeer(handler, { readBody: true });
  running.push(peer);
  return peer as RecordingPeer;
}

/**
 * Waits until a condition holds, or gives up after `ms`.
 *
 * @returns whether it held
 */
export async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const stop = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > stop) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}

/** Closes every test peer, after checking that the client closed every connection itself (for `afterEach`). */
export async function closePeers(): Promise<void> {
  // The client must close every connection itself; give the FINs a moment, then check before we close.
  const closedByClient = await until(() => running.every((r) => r.sockets.size === 0), 1_000);
  const leaked = running.reduce((n, r) => n + r.sockets.size, 0);
  for (const peer of running.splice(0)) await peer.close();
  expect(closedByClient, `${leaked} connection(s) left open by the client`).to.equal(true);
}

/** Makes `dns.promises.lookup` (which the client calls at request time) answer from a table, for one call. */
export async function withDns<T>(answer: (host: string) => Promise<LookupAddress[]>, run: () => Promise<T>): Promise<T> {
  const promises = dns.promises as unknown as { lookup: (host: string, options: unknown) => Promise<LookupAddress[]> };
  const original = promises.lookup;
  promises.lookup = (host: string) => answer(host);
  try {
    return await run();
  } finally {
    promises.lookup = original;
  }
}

export const JSONLD = 'application/ld+json';
export const CATALOG = JSON.stringify({ '@context': 'https://w3id.org/dfc/ontology/context/context_1.16.0.json', '@graph': [] });

/** Answers 200 with a JSON-LD body (a string as it is, anything else as JSON). */
export function sendJson(res: ServerResponse, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(200, { 'content-type': JSONLD, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
