/**
 * `BENCH_SQL_PROFILE=FILE` for a benchmark's node process: every statement SQLite runs while recording (its
 * connection, when it ended and how long it ran, its SQL with its lists of placeholders cut short), written to FILE
 * as JSON lines; `/work/scratch/…/sqlgaps.py`-style analyses then tell each connection's busy time and the writer's
 * idle time inside its transactions. Installed before the node opens its database (it wraps `sqlite3.Database`).
 *
 * @packageDocumentation
 */
import { writeFileSync } from 'node:fs';
import sqlite3 from 'sqlite3';

/** The statements recorded, or nothing at all when no file is asked for. */
export interface SqlProfile {
  /** Whether a file was asked for (`BENCH_SQL_PROFILE` set). */
  readonly enabled: boolean;
  /** Starts recording; event times count from `at` (default: now). */
  start(at?: number): void;
  /** Adds a line of the caller's own (a peer's sync ended…), timed like the statements. */
  mark(fields: Record<string, unknown>): void;
  /** Stops recording and writes the file. */
  finish(): void;
}

/**
 * Installs the profiler when `BENCH_SQL_PROFILE` names a file.
 *
 * @param shorten - how a statement's SQL is shortened (its lists of placeholders, above all)
 */
export function installSqlProfile(shorten: (sql: string) => string): SqlProfile {
  const file = process.env['BENCH_SQL_PROFILE'];
  const events: string[] = [];
  let recording = false;
  let start = 0;
  const enabled = file !== undefined && file !== '';
  if (enabled) {
    const module = sqlite3 as unknown as { Database: new (...args: unknown[]) => sqlite3.Database };
    const Original = module.Database;
    let opened = 0;
    const Profiled = function (this: unknown, ...args: unknown[]): sqlite3.Database {
      const db = new Original(...args);
      const connection = opened++;
      db.on('profile', (sql: string, ms: number) => {
        if (!recording) return;
        events.push(JSON.stringify({ c: connection, end: performance.now() - start, ms, sql: shorten(sql.replace(/\s+/gu, ' ')).slice(0, 220) }));
      });
      return db;
    };
    Profiled.prototype = Original.prototype;
    module.Database = Profiled as unknown as typeof Original;
  }
  return {
    enabled,
    start: (at = performance.now()) => {
      start = at;
      recording = enabled;
    },
    mark: (fields) => {
      if (recording) events.push(JSON.stringify({ ...fields, end: performance.now() - start }));
    },
    finish: () => {
      if (!recording) return;
      recording = false;
      writeFileSync(file as string, `${events.join('\n')}\n`);
    },
  };
}
