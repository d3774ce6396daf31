/**
 * What every benchmark module shares: the result type `bench/run.ts` prints, timing, and child processes.
 *
 * A benchmark module exports `async function run(): Promise<BenchResult[]>`; `bench/run.ts` lists the
 * modules, runs them in turn and prints every result in one table, then every target check.
 *
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { STARTER_PRODUCT_TYPES } from '../ontology/product-types.js';

/** One target a result is checked against (printed PASS/FAIL; a failure does not fail the run). */
export interface TargetCheck {
  /** What is promised, e.g. `decode+validate 5,000 offers ≤ 500 ms`. */
  readonly label: string;
  readonly pass: boolean;
  /** What was measured, e.g. `412 ms`. */
  readonly actual: string;
}

/** One row of the table. */
export interface BenchResult {
  /** The benchmark module the row comes from (`codec`). */
  readonly group: string;
  /** The operation measured. */
  readonly name: string;
  /** Median wall time in milliseconds; absent for rows that are not timings (peak memory). */
  readonly ms?: number;
  /** Timed repetitions behind the median (after the warm-up). */
  readonly runs?: number;
  /** Every timed repetition, for the min–max column. */
  readonly times?: readonly number[];
  /** Offers processed per repetition, for the offers/s column. */
  readonly offers?: number;
  /** How this row compares with its counterparts, e.g. `4.1× faster than jsonld.expand`. */
  readonly ratio?: string;
  /** Anything else worth a column: peak memory, output size, which decoder path was taken. */
  readonly note?: string;
  /** Targets checked on this row. */
  readonly targets?: readonly TargetCheck[];
}

/** A benchmark module, as `bench/run.ts` loads it. */
export interface BenchModule {
  run(): Promise<BenchResult[]>;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Untimed runs first, to let the JIT settle (default 1). */
  readonly warmup?: number;
  /** Timed runs; the median is reported (default 5). */
  readonly runs?: number;
  /**
   * Force a full garbage collection before each timed run (default false). Off by default: a forced
   * collection shrinks the young generation, and the next run then pays for growing it again (measured:
   * +30 % on a 5,000-offer decode, +100 % on a 500-offer one), which a warm server never does.
   */
  readonly gc?: boolean;
}

/** The outcome of {@link measure}. */
export interface Measurement<T> {
  readonly median: number;
  readonly times: readonly number[];
  readonly runs: number;
  /** The value the last run returned, for sanity checks. */
  readonly last: T;
}

/** `global.gc`, exposed without needing `--expose-gc` on the command line (undefined if refused). */
const collect: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
})();

/** Collects garbage now if the runtime lets us, so one run's garbage is not charged to the next. */
export function collectGarbage(): void {
  collect?.();
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Times `fn`: a garbage collection, warm-up runs, then timed runs (optionally each after a collection).
 *
 * @param fn - the operation; awaited when it returns a promise
 * @param options - warm-up and timed run counts
 */
export async function measure<T>(fn: () => T | Promise<T>, options: MeasureOptions = {}): Promise<Measurement<T>> {
  const warmup = options.warmup ?? 1;
  const runs = options.runs ?? 5;
  if (runs < 1) throw new RangeError('measure needs at least one timed run');
  let last: T | undefined;
  // One collection before the warm-up, so the previous operation's garbage is not charged to this one.
  collectGarbage();
  for (let i = 0; i < warmup; i++) last = await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (options.gc === true) collectGarbage();
    const start = performance.now();
    last = await fn();
    times.push(performance.now() - start);
  }
  return { median: median(times), times, runs, last: last as T };
}

/** `a / b` as `4.1×`. */
export function times(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(1)}×`;
}

/** A duration for a table: `4.21 ms`, `42.1 ms`, `421 ms` (a lost measurement: `∞ (lost)`). */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return '∞ (lost)';
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ms`;
}

/** A rate with thousands separators. */
export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** The p-th percentile (nearest rank) of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no values');
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/**
 * The local names of a starter product type and of every type under it (what a federated query by that type
 * must return, as the peers of a benchmark compute it).
 */
export function narrowerClosure(type: string): Set<string> {
  const result = new Set([type]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [name, broader] of STARTER_PRODUCT_TYPES) {
      if (broader !== null && result.has(broader) && !result.has(name)) {
        result.add(name);
        grew = true;
      }
    }
  }
  return result;
}

/** A progress logger for one benchmark group. */
export function groupLog(group: string): (message: string) => void {
  return (message) => console.log(`  [${group}] ${message}`);
}

/** Bytes as `6.4 MB` (10⁶ bytes). */
export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Options of {@link runChild}. */
export interface ChildOptions {
  /** Arguments after the script path. */
  readonly args?: readonly string[];
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill the child after this long (default 5 minutes). */
  readonly timeoutMs?: number;
}

/**
 * Runs a TypeScript script of `bench/` in its own `node --import tsx` process and returns the JSON object
 * it prints as the last line of its standard output. Its standard error is passed through.
 *
 * @param script - file name relative to `bench/` (`codec-memory.ts`)
 * @param options - arguments, environment, timeout
 * @throws Error when the child fails, times out or prints no JSON
 */
export async function runChild(script: string, options: ChildOptions = {}): Promise<unknown> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path, ...(options.args ?? [])], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new Error(`${script} timed out after ${Math.round(timeoutMs / 1000)} s`));
        return;
      }
      if (code !== 0) {
        reject(new Error(`${script} exited with ${signal ?? `code ${String(code)}`}`));
        return;
      }
      const line = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`${script} printed no JSON result: ${JSON.stringify(line.slice(0, 200))}`));
      }
    });
  });
}

/** A child process that prints JSON lines on its standard output and ends when its standard input closes. */
export interface JsonChild {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** The next JSON line it prints (lines not starting with `{` are skipped). */
  next<T>(timeoutMs: number): Promise<T>;
}

export function startJsonChild(name: string, script: string, args: readonly string[], flags: readonly string[] = []): JsonChild {
  const path = fileURLToPath(new URL(script, import.meta.url)); // relative to bench/
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', path, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines: string[] = [];
  let waiting: ((line: string) => void) | undefined;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    if (waiting !== undefined) {
      const wake = waiting;
      waiting = undefined;
      wake(line);
    } else lines.push(line);
  });
  const next = <T>(timeoutMs: number): Promise<T> => new Promise<T>((resolve, reject) => {
    const take = (line: string): void => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as T);
      } catch (error: unknown) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const timer = setTimeout(() => {
      waiting = undefined;
      reject(new Error(`${name}: no result within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    const queued = lines.shift();
    if (queued !== undefined) {
      take(queued);
      return;
    }
    waiting = take;
    void exited.then((code) => {
      if (waiting !== take) return;
      waiting = undefined;
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${String(code)} before printing its result`));
    });
  });
  return { name, child, exited, next };
}

/** Closes the child's standard input (it exits); kills it if it lingers. */
export async function stopJsonChild(child: JsonChild, log: (message: string) => void): Promise<void> {
  if (child.child.exitCode !== null || child.child.signalCode !== null) return;
  child.child.stdin?.end();
  const timer = setTimeout(() => child.child.kill('SIGKILL'), 30_000);
  const code = await child.exited;
  clearTimeout(timer);
  if (code !== 0) log(`${child.name} exited with code ${String(code)}`);
}
