/**
 * The worker thread that reads a node's snapshot pages (`page-workers.ts` starts it): one page at a time, with a
 * decoder configured as the node's, through the same {@link readPage} as the event loop's, and its reading posted back.
 * Whatever it throws is that page's `decode` failure; should it die (out of memory), the node replaces it.
 *
 * @packageDocumentation
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Decoder, type DecoderSettings } from '../codec/decode.js';
import { failure } from '../errors/failure.js';
import { clip } from '../net/safe-fetch.js';
import { jsonHash } from './merge.js';
import { readPage, type PageAt, type PageReading } from './page-reader.js';
import type { FetchedPage } from './peer-fetch.js';

/** A page to read, as the node posts it. */
export interface PageJob {
  readonly id: number;
  readonly page: FetchedPage;
  readonly at: PageAt;
}

/**
 * A page's reading, as the worker posts it back: a reading's records go as their JSON texts (the merge's, made here with
 * their hashes), not as objects: a structured clone of a thousand offers' records cost the event loop three times the
 * `JSON.parse` of their texts, which it makes them again from.
 */
export interface PageDone {
  readonly id: number;
  /** The reading, without its records when {@link PageDone.json} holds them. */
  readonly reading: PageReading;
  /** The records' JSON, in order. */
  readonly json?: readonly string[];
  /** Their hashes (`jsonHash`), in order. */
  readonly hash?: readonly string[];
}

/**
 * Posted when the worker takes a page up, before reading it: the node's watchdog counts the page's time from here, not
 * from the post (a new worker first loads its modules, a second or so under tsx).
 */
export interface PageStarted {
  readonly id: number;
  readonly started: true;
}

/** What the worker is started with. */
export interface PageWorkerData {
  readonly settings: DecoderSettings;
}

/** The reading of a page the reader threw on: its sync fails, naming the page. */
function thrown(error: unknown, at: PageAt): PageReading {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { ok: false, failure: failure('decode', `the decoder failed on this document (${clip(text, 300)})`, at.url) };
}

/** A reading as it is posted: its records as their JSON and hashes, as the merge makes them (`planPage`). */
function serialised(id: number, reading: PageReading): PageDone {
  if (!reading.ok) return { id, reading };
  const json = reading.records.map((record) => JSON.stringify(record));
  return { id, reading: { ...reading, records: [] }, json, hash: json.map(jsonHash) };
}

const port = parentPort;
if (port !== null) {
  const decoder = Decoder.fromSettings((workerData as PageWorkerData).settings);
  port.on('message', (job: PageJob) => {
    port.postMessage({ id: job.id, started: true } satisfies PageStarted);
    void (async () => {
      let done: PageDone;
      try {
        done = serialised(job.id, await readPage(decoder, job.page, job.at));
      } catch (error: unknown) {
        done = { id: job.id, reading: thrown(error, job.at) };
      }
      try {
        port.postMessage(done);
      } catch (error: unknown) {
        // A reading that cannot be cloned (none should be): the page fails, the worker goes on.
        port.postMessage({ id: job.id, reading: thrown(error, job.at) } satisfies PageDone);
      }
    })();
  });
}
