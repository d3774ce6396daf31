/**
 * The SQLite implementation of {@link SolidLedger}.
 *
 * @packageDocumentation
 */
import type { PublishedResource, SolidLedger } from '../solid.js';
import type { SqliteDatabase } from './database.js';

interface PublicationSql { resource_url: string; container: string; eid: string; hash: string; etag: string | null; published_at: string }

/** {@link SolidLedger} on SQLite (table `solid_publications`). */
export class SqliteSolidLedger implements SolidLedger {
  public constructor(private readonly db: SqliteDatabase) {}

  public async published(container: string): Promise<PublishedResource[]> {
    const rows = await this.db.reader.all<PublicationSql>('SELECT * FROM solid_publications WHERE container = ? ORDER BY resource_url', [container]);
    return rows.map((r) => ({ url: r.resource_url, container: r.container, eid: r.eid, hash: r.hash, etag: r.etag, publishedAt: r.published_at }));
  }

  public async record(resource: PublishedResource): Promise<void> {
    await this.db.transaction((tx) => tx.run(
      `INSERT INTO solid_publications (resource_url, container, eid, hash, etag, published_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (resource_url) DO UPDATE SET container = excluded.container, eid = excluded.eid, hash = excluded.hash,
         etag = excluded.etag, published_at = excluded.published_at`,
      [resource.url, resource.container, resource.eid, resource.hash, resource.etag, resource.publishedAt],
    ));
  }

  public async forget(url: string): Promise<void> {
    await this.db.transaction((tx) => tx.run('DELETE FROM solid_publications WHERE resource_url = ?', [url]));
  }
}
