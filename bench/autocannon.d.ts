/**
 * The part of autocannon 8 that `bench/http.ts` uses (`@types/autocannon` is not installed). autocannon is
 * CommonJS; its `module.exports` is the function, so it is the default export under `esModuleInterop`.
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      /** Called before each request; returns the request to send. */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request;
      /** Called with each response of this request and its whole body. */
      onResponse?: (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>) => void;
    }

    interface Options extends Request {
      url: string;
      /** Concurrent connections (default 10). */
      connections?: number;
      /** Seconds (default 10). */
      duration?: number;
      /** Requests in flight per connection (default 1). */
      pipelining?: number;
      /** Seconds before a request times out (default 10). */
      timeout?: number;
      /** Stop after this many requests instead of after `duration`. */
      amount?: number;
      requests?: Request[];
    }

    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
    }

    interface Result {
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      resets: number;
      '2xx': number;
      '3xx': number;
      statusCodeStats: Record<string, { count: number }>;
      latency: Histogram;
      requests: Histogram & { sent: number };
      throughput: Histogram;
    }

    /** The running job: a promise of the result, and an emitter of `response` events. */
    interface Instance extends EventEmitter, PromiseLike<Result> {
      on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export default autocannon;
}
