/**
 * Versioned schema migrations. A migration is applied once, in its own transaction, and recorded in
 * `schema_migrations`; never edit one that has shipped, add the next.
 *
 * @packageDocumentation
 */
import type { SqliteDatabase } from './database.js';

/** One migration. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'enterprises, resources and tokens',
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE enterprises (
        eid        TEXT PRIMARY KEY,
        iri        TEXT NOT NULL UNIQUE,
        name       TEXT NOT NULL,
        private    INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1)),
        -- Bumped by every write to the enterprise or its catalogue: cheap ETag validation and caching.
        version    INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE resources (
        iri          TEXT PRIMARY KEY,
        eid          TEXT NOT NULL REFERENCES enterprises (eid) ON DELETE CASCADE,
        kind         TEXT NOT NULL,
        record       TEXT NOT NULL CHECK (json_valid(record)),
        -- Copies of record fields, for filters and sorting without parsing JSON.
        name         TEXT,
        product_type TEXT,
        stock        REAL,
        price        REAL,
        currency     TEXT,
        latitude     REAL,
        longitude    REAL,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
      );
      CREATE INDEX resources_by_enterprise ON resources (eid, kind, iri);
      CREATE TABLE tokens (
        id           TEXT PRIMARY KEY,
        hash         TEXT NOT NULL UNIQUE,
        eid          TEXT REFERENCES enterprises (eid) ON DELETE CASCADE,
        scopes       TEXT NOT NULL,
        label        TEXT,
        created_at   TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at   TEXT
      );
    `,
  },
];

/**
 * Applies the migrations a database does not have yet.
 *
 * @returns the versions applied now
 */
export async function migrate(db: SqliteDatabase): Promise<number[]> {
  await db.transaction((tx) =>
    tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)'),
  );
  const applied = new Set(
    (await db.transaction((tx) => tx.all<{ version: number }>('SELECT version FROM schema_migrations'))).map((r) => r.version),
  );
  const done: number[] = [];
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    await db.transaction(async (tx) => {
      await tx.exec(migration.sql);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version, migration.name, new Date().toISOString(),
      ]);
    });
    done.push(migration.version);
  }
  return done;
}
