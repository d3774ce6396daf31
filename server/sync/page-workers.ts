/**
 * A node's snapshot pages read in a worker thread: the bytes-to-records work of a page (its `JSON.parse`, the JSON-LD
 * read, validation, extraction: tens of milliseconds for a thousand offers) held the event loop, and with it every
 * SQLite statement's completion of the other syncs, while the single writer sat idle inside its transactions. One
 * worker serves every sync of the node, one page at a time (the machine's other core runs the database), from a
 * queue; what comes back is the page's records (a structured clone), never its text or tree.
 *
 * A worker that throws, runs out of memory or dies fails the page it was reading (a `decode` failure: that sync fails
 * and applies nothing), and a new one reads the next page. A page's reading given up (the node stops) answers at
 * once; {@link PageWorkers.close} ends the worker.
 *
 * @packageDocumentation
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { DfcRecord } from '../../ontology/records.js';
import type { Decoder } from '../codec/decode.js';
import { failure } from '../errors/failure.js';
import { DEFAULT_FETCH_POLICY } from '../net/safe-fetch.js';
import { NodeTimers, type CancelTimer, type Timers } from '../timers/timers.js';
import { readPage, type PageAt, type PageReader, type PageReading } from './page-reader.js';
import type { FetchedPage } from './peer-fetch.js';
import type { PageDone, PageJob, PageStarted, PageWorkerData } from './page-worker.js';

/** Whether this runs as TypeScript under tsx (the tests, the benchmarks), not compiled (`dist/`). */
const UNDER_TSX = import.meta.url.endsWith('.ts');

/** The worker's entry, beside this file: `page-worker.js` compiled, `page-worker.ts` under tsx. */
const ENTRY = new URL(UNDER_TSX ? './page-worker.ts' : './page-worker.js', import.meta.url);

/**
 * What a worker runs: the entry compiled; under tsx, a script that registers tsx in the worker first (Node 20 does not
 * apply the `--import tsx` a worker inherits to its own entry, which it then refuses as an unknown `.ts` file).
 */
function workerScript(): { readonly script: URL | string; readonly eval: boolean } {
  if (!UNDER_TSX) return { script: ENTRY, eval: false };
  // Its ES module (tsx's CommonJS one loads its ES parts by a path a worker's import cannot find); from this module,
  // or from the working directory where `import.meta.resolve` is not there (a test loads this as CommonJS).
  const tsx = typeof import.meta.resolve === 'function' ? import.meta.resolve('tsx/esm/api') : 'tsx/esm/api';
  return { script: `import(${JSON.stringify(tsx)}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(ENTRY.href)}));`, eval: true };
}

/** Options of {@link PageWorkers}. */
export interface PageWorkersOptions {
  /** The node's decoder: the worker's is made from its settings, and a small page is read with it in the event loop. */
  readonly decoder: Decoder;
  /**
   * Pages of fewer characters than this are read in the event loop (default {@link IN_PROCESS_BELOW}): a worker
   * gives them nothing but the round trip.
   */
  readonly inProcessBelow?: number;
  /**
   * Pages are read in the worker while at least this many snapshots run (default {@link WORKER_FROM_SYNCS}); 0: always.
   */
  readonly fromSyncs?: number;
  /**
   * The largest page a peer may send, in bytes (the fetch policy's `maxBytes`): the worker's heap is limited in
   * proportion (see {@link workerHeapLimits}). Without it, the fetch policy's default ({@link DEFAULT_FETCH_POLICY}).
   */
  readonly maxPageBytes?: number;
  /** The worker's heap limits, instead of those of {@link workerHeapLimits} (tests make one run out of memory). */
  readonly resourceLimits?: ResourceLimits;
  /**
   * How long the worker may read one page before it is taken as stuck, in milliseconds (default: three times the
   * decoder's time budget), or a function of the page's bytes: it is then ended, the page fails, and a new worker reads
   * the next page.
   */
  readonly stuckAfterMs?: number | ((bytes: number) => number);
  /** Where the watchdog of a page being read is set (default: the event loop's). */
  readonly timers?: Timers;
}

/** Heap per byte of the largest page: decoding a page peaks at up to about five times its text (the codec bench). */
const HEAP_PER_PAGE_BYTE = 10;

/**
 * The worker's heap limits for pages of at most `maxPageBytes`: ten times the page, at least 256 MiB, at most 4 GiB.
 * Without a limit of its own a worker has the process's (a quarter of the machine's memory or so), so that a page that
 * blows up in decoding would take the node's memory with it before the worker died; with one, only the worker dies
 * (its page fails as out of memory), well before the node's own limit.
 */
export function workerHeapLimits(maxPageBytes: number): ResourceLimits {
  const mib = Math.ceil((maxPageBytes * HEAP_PER_PAGE_BYTE) / (1024 * 1024));
  return { maxOldGenerationSizeMb: Math.min(4096, Math.max(256, mib)) };
}

/**
 * The default of {@link PageWorkersOptions.fromSyncs}: two. A snapshot alone in the node reads its pages in the event
 * loop, which has nothing else to do meanwhile (its next page is fetched while one is merged and staged): handing its
 * records over from the worker cost more than it gave (a 200,000-offer peer synced in 54 s through the worker, 39 s
 * without, on two busy cores). Several at once read theirs in the worker, so that no page's decoding holds the others'
 * merges and statements (200 peers: 90 s against 206 s).
 */
export const WORKER_FROM_SYNCS = 2;

/**
 * The default of {@link PageWorkersOptions.inProcessBelow}: 16 KiB of text (a dozen offers), read in well under a
 * millisecond in the event loop.
 */
export const IN_PROCESS_BELOW = 16 * 1024;

/** A page waiting for the worker, or being read by it. */
interface Job {
  readonly id: number;
  readonly at: PageAt;
  /** What is posted; dropped once it is, so that the page's text is the worker's only. */
  page: FetchedPage | undefined;
  readonly resolve: (reading: PageReading) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
  settled: boolean;
  /** How long the worker may read it (see {@link PageWorkersOptions.stuckAfterMs}). */
  readonly stuckAfterMs: number;
  /** The watchdog of the job being read, set once the worker has taken it up ({@link PageStarted}). */
  watchdog?: CancelTimer;
}

/** Reads a node's snapshot pages in a worker thread, one at a time, in the order asked. */
export class PageWorkers implements PageReader {
  private readonly decoder: Decoder;
  private readonly inProcessBelow: number;
  private readonly resourceLimits: ResourceLimits;
  private readonly fromSyncs: number;
  private readonly stuckAfterMs: (bytes: number) => number;
  private readonly timers: Timers;
  /** The snapshots running ({@link PageWorkers.begin}). */
  private syncs = 0;
  private worker: Worker | undefined;
  private readonly queue: Job[] = [];
  /** The job the worker is reading (settled already if given up: its answer is then dropped). */
  private current: Job | undefined;
  private nextId = 1;
  private closed = false;
  /** Workers started (the first, and each that replaced one that died): for tests. */
  public started = 0;

  public constructor(options: PageWorkersOptions) {
    this.decoder = options.decoder;
    this.inProcessBelow = options.inProcessBelow ?? IN_PROCESS_BELOW;
    this.resourceLimits = options.resourceLimits ?? workerHeapLimits(options.maxPageBytes ?? DEFAULT_FETCH_POLICY.maxBytes);
    this.fromSyncs = options.fromSyncs ?? WORKER_FROM_SYNCS;
    // The decoder stops itself at its budget, checking it as it walks: past three budgets, the worker is in code that
    // does not check it (a parse, an engine's own loop), and only ending it frees the pages queued behind.
    const stuckAfterMs = options.stuckAfterMs ?? 3 * options.decoder.settings().timeBudgetMs;
    this.stuckAfterMs = typeof stuckAfterMs === 'number' ? () => stuckAfterMs : stuckAfterMs;
    this.timers = options.timers ?? new NodeTimers();
  }

  public begin(): () => void {
    this.syncs++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.syncs--;
    };
  }

  /** How many pages wait for the worker or are being read. */
  public get reading(): number {
    return this.queue.length + (this.current !== undefined && !this.current.settled ? 1 : 0);
  }

  public async read(page: FetchedPage, at: PageAt, signal?: AbortSignal): Promise<PageReading> {
    if (this.closed || signal?.aborted === true) return stopped(at);
    if ((page.body?.length ?? 0) < this.inProcessBelow || this.syncs < this.fromSyncs) return readPage(this.decoder, page, at);
    // What the worker needs of the page: not its validators, nor the tree of a page parsed already (read as its text).
    const posted: FetchedPage = { url: page.url, status: page.status, bytes: page.bytes };
    if (page.body !== undefined) posted.body = page.body;
    if (page.contentType !== undefined) posted.contentType = page.contentType;
    if (page.next !== undefined) posted.next = page.next;
    posted.unparsed = page.unparsed ?? { status: 200 };
    delete page.body;
    delete page.json;
    return new Promise<PageReading>((resolve) => {
      const job: Job = {
        id: this.nextId++, at, page: posted, resolve, signal, settled: false, stuckAfterMs: this.stuckAfterMs(posted.bytes),
        onAbort: () => {
          const queued = this.queue.indexOf(job);
          if (queued !== -1) this.queue.splice(queued, 1);
          this.settle(job, stopped(at));
        },
      };
      signal?.addEventListener('abort', job.onAbort, { once: true });
      this.queue.push(job);
      this.pump();
    });
  }

  /** Ends the worker; every page waiting or being read is given up (`stopped`), and none is read after. */
  public async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.settle(job, stopped(job.at));
    if (this.current !== undefined) {
      this.current.watchdog?.();
      this.settle(this.current, stopped(this.current.at));
    }
    this.current = undefined;
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  /** Hands the worker the next page, if it is free. */
  private pump(): void {
    if (this.current !== undefined || this.closed) return;
    const job = this.queue.shift();
    if (job === undefined) {
      // Idle: the worker does not hold the process open (a CLI that ends, a test).
      this.worker?.unref();
      return;
    }
    const worker = (this.worker ??= this.start());
    // A page is being read: the process waits for it.
    worker.ref();
    this.current = job;
    worker.postMessage({ id: job.id, page: job.page as FetchedPage, at: job.at } satisfies PageJob);
    job.page = undefined;
  }

  /** The worker still reads `job` past {@link PageWorkersOptions.stuckAfterMs}: it is ended, and the page fails. */
  private stuck(worker: Worker, job: Job): void {
    if (worker !== this.worker || this.current !== job) return;
    this.died(worker, new Error('stuck'), 'timeout');
    void worker.terminate();
  }

  private start(): Worker {
    this.started++;
    const { script, eval: evaluated } = workerScript();
    const worker = new Worker(script, {
      eval: evaluated,
      workerData: { settings: this.decoder.settings() } satisfies PageWorkerData,
      resourceLimits: this.resourceLimits,
    });
    worker.on('message', (done: PageDone | PageStarted) => {
      const job = this.current;
      if (job === undefined || job.id !== done.id) return;
      if ('started' in done) {
        job.watchdog = this.timers.after('a snapshot page read in the worker', job.stuckAfterMs, () => this.stuck(worker, job));
        return;
      }
      this.current = undefined;
      job.watchdog?.();
      // Its next page goes to the worker before this one's records are made again here.
      this.pump();
      if (!job.settled) this.settle(job, received(done));
    });
    // Both come for a worker that fails ('error', then 'exit'): the first one counts.
    worker.on('error', (error: Error) => this.died(worker, error));
    worker.on('exit', (code: number) => this.died(worker, new Error(`the worker exited with code ${code}`)));
    return worker;
  }

  /** A worker that died (or was ended as stuck): the page it read fails, and the next page starts a new one. */
  private died(worker: Worker, error: Error, kind: 'decode' | 'timeout' = 'decode'): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    const job = this.current;
    this.current = undefined;
    if (job !== undefined) {
      job.watchdog?.();
      const memory = (error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.settle(job, {
        ok: false,
        failure: failure(kind, memory
          ? 'decoding this document ran out of memory: nothing of it was read'
          : kind === 'timeout'
            ? `decoding this document took more than ${job.stuckAfterMs} ms: it was stopped, and nothing of it was read`
            : `the decoder failed on this document (its worker stopped: ${error.message.slice(0, 200)})`, job.at.url),
      });
    }
    this.pump();
  }

  private settle(job: Job, reading: PageReading): void {
    if (job.settled) return;
    job.settled = true;
    job.signal?.removeEventListener('abort', job.onAbort);
    job.resolve(reading);
  }
}

/**
 * A reading as the worker posted it, with its records made again from their JSON (one `JSON.parse` of them all), and
 * that JSON and their hashes kept for the merge. A record is JSON data (the store keeps it as its JSON, and gives
 * back what it parses): the same record.
 */
function received(done: PageDone): PageReading {
  const { reading, json, hash } = done;
  if (!reading.ok || json === undefined || hash === undefined) return reading;
  return { ...reading, records: JSON.parse(`[${json.join(',')}]`) as DfcRecord[], serialised: { json, hash } };
}

/** The reading of a page given up: the node is stopping. */
function stopped(at: PageAt): PageReading {
  return { ok: false, failure: failure('stopped', 'given up: the node is stopping', at.url) };
}
