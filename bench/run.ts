/**
 * Runs the benchmarks and prints their results as one table, then every target as PASS/FAIL.
 *
 * `npm run bench` runs them all; `npm run bench -- codec` runs the named ones. To add a benchmark, write a
 * module exporting `async function run(): Promise<BenchResult[]>` (see {@link ./harness.ts}) and list it in
 * {@link BENCHMARKS}.
 *
 * A missed target is reported, not fatal: the exit code stays 0. A benchmark that throws (its sanity checks
 * failed, so its numbers would mean nothing) sets exit code 1, and the others still run.
 *
 * @packageDocumentation
 */
import type { BenchModule, BenchResult } from './harness.js';

/** Every benchmark, in the order they run. */
const BENCHMARKS: readonly { readonly name: string; readonly load: () => Promise<BenchModule> }[] = [
  { name: 'codec', load: () => import('./codec.js') },
  { name: 'http', load: () => import('./http.js') },
  { name: 'federation', load: () => import('./federation.js') },
  { name: 'bigpeer', load: () => import('./bigpeer.js') },
  { name: 'national', load: () => import('./national.js') },
  { name: 'compression', load: () => import('./compression.js') },
  { name: 'render', load: () => import('./render.js') },
  { name: 'search', load: () => import('./search.js') },
  { name: 'feed', load: () => import('./feed.js') },
  { name: 'orders', load: () => import('./orders.js') },
  { name: 'listings', load: () => import('./listings.js') },
  { name: 'dashboard', load: () => import('./dashboard.js') },
  { name: 'solid', load: () => import('./solid.js') },
];

const HEADERS = ['operation', 'ms (median)', 'min–max', 'runs', 'offers/s', 'vs counterpart', 'note'] as const;
/** Columns aligned right (numbers). */
const RIGHT = new Set([1, 2, 3, 4]);

function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

function formatRate(result: BenchResult): string {
  if (result.ms === undefined || result.offers === undefined || result.ms <= 0) return '';
  return Math.round((result.offers * 1000) / result.ms).toLocaleString('en-US');
}

function row(result: BenchResult): string[] {
  return [
    result.name,
    formatMs(result.ms),
    result.times === undefined || result.times.length < 2
      ? ''
      : `${formatMs(Math.min(...result.times))}–${formatMs(Math.max(...result.times))}`,
    result.runs === undefined ? '' : String(result.runs),
    formatRate(result),
    result.ratio ?? '',
    result.note ?? '',
  ];
}

function printTable(results: readonly BenchResult[]): void {
  const groups = [...new Set(results.map((r) => r.group))];
  const rows: (string[] | null)[] = [];
  for (const group of groups) {
    if (groups.length > 1) {
      // A rule between groups (the header already has one above the first).
      if (rows.length > 0) rows.push(null);
      rows.push([`[${group}]`, ...HEADERS.slice(1).map(() => '')]);
    }
    for (const result of results.filter((r) => r.group === group)) rows.push(row(result));
  }
  const cells = [[...HEADERS], ...rows.filter((r): r is string[] => r !== null)];
  const widths = HEADERS.map((_, i) => Math.max(...cells.map((c) => (c[i] ?? '').length)));
  const line = (cols: readonly string[]): string =>
    cols
      .map((c, i) => (RIGHT.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join(' │ ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  console.log(line(HEADERS));
  console.log(rule);
  for (const r of rows) console.log(r === null ? rule : line(r));
  console.log('vs counterpart: its median time divided by ours (above 1× we are faster).');
}

/** Prints every target; returns how many failed. */
function printTargets(results: readonly BenchResult[]): number {
  const targets = results.flatMap((r) => r.targets ?? []);
  if (targets.length === 0) return 0;
  console.log('\nTargets');
  for (const t of targets) console.log(`  ${t.pass ? 'PASS' : 'FAIL'}  ${t.label}: ${t.actual}`);
  const failed = targets.filter((t) => !t.pass);
  if (failed.length === 0) console.log(`\nAll ${targets.length} targets met.`);
  else {
    console.log(`\n*** ${failed.length} of ${targets.length} targets FAILED: ***`);
    for (const t of failed) console.log(`***   ${t.label} (measured ${t.actual})`);
  }
  return failed.length;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !BENCHMARKS.some((b) => b.name === w));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const selected = wanted.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => wanted.includes(b.name));
  console.log(`Node ${process.version}, ${process.platform}/${process.arch}\n`);

  const results: BenchResult[] = [];
  const broken: string[] = [];
  for (const benchmark of selected) {
    console.log(`Running ${benchmark.name}…`);
    try {
      const module = await benchmark.load();
      results.push(...(await module.run()));
    } catch (error: unknown) {
      broken.push(benchmark.name);
      console.error(`\nBenchmark ${benchmark.name} FAILED to run:`, error);
    }
  }

  console.log('');
  if (results.length > 0) printTable(results);
  printTargets(results);
  if (broken.length > 0) {
    console.error(`\nBroken benchmark(s), no numbers: ${broken.join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
