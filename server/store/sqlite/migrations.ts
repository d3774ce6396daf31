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
  {
    version: 2,
    name: 'peers, their resources, quarantine and the federated index',
    sql: `
      CREATE TABLE peers (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        url             TEXT NOT NULL UNIQUE,
        origin          TEXT NOT NULL,
        token           TEXT,
        token_header    TEXT NOT NULL DEFAULT 'authorization' CHECK (token_header IN ('authorization', 'x-api-token')),
        profile         TEXT NOT NULL DEFAULT 'dfc-v1' CHECK (profile IN ('dfc-v1', 'dfc-v2')),
        interval_s      INTEGER NOT NULL DEFAULT 300 CHECK (interval_s > 0),
        created_at      TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'new',
        last_attempt_at TEXT,
        last_success_at TEXT,
        next_attempt_at TEXT,
        failures        INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        last_summary    TEXT
      );
      -- Each URL fetched for a peer, with the validators of its last answer (for conditional requests).
      CREATE TABLE peer_sources (
        peer_id       INTEGER NOT NULL REFERENCES peers (id) ON DELETE CASCADE,
        url           TEXT NOT NULL,
        etag          TEXT,
        last_modified TEXT,
        fetched_at    TEXT NOT NULL,
        PRIMARY KEY (peer_id, url)
      );
      -- What each peer said, kept apart per peer: the peer's provenance graph.
      CREATE TABLE peer_resources (
        peer_id       INTEGER NOT NULL REFERENCES peers (id) ON DELETE CASCADE,
        iri           TEXT NOT NULL,
        kind          TEXT NOT NULL,
        record        TEXT NOT NULL CHECK (json_valid(record)),
        hash          TEXT NOT NULL,
        -- 1 when the IRI is under the peer's own origin; 0 when the peer relays another origin's resource.
        authoritative INTEGER NOT NULL CHECK (authoritative IN (0, 1)),
        source_url    TEXT NOT NULL,
        first_seen_at TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        missing_since TEXT,
        withdrawn_at  TEXT,
        PRIMARY KEY (peer_id, iri)
      );
      CREATE INDEX peer_resources_by_iri ON peer_resources (iri);
      CREATE TABLE quarantine (
        peer_id  INTEGER NOT NULL REFERENCES peers (id) ON DELETE CASCADE,
        iri      TEXT NOT NULL,
        type     TEXT,
        problems TEXT NOT NULL CHECK (json_valid(problems)),
        seen_at  TEXT NOT NULL,
        PRIMARY KEY (peer_id, iri)
      );
      -- One row per catalog item and source, denormalised for federated queries.
      CREATE TABLE federated_entries (
        source         TEXT NOT NULL,
        item_iri       TEXT NOT NULL,
        product_iri    TEXT NOT NULL,
        product_key    TEXT NOT NULL,
        offer_iri      TEXT,
        enterprise_iri TEXT,
        peer_id        INTEGER REFERENCES peers (id) ON DELETE CASCADE,
        rank           INTEGER NOT NULL,
        winner         INTEGER NOT NULL DEFAULT 0,
        name           TEXT,
        search         TEXT,
        product_type   TEXT,
        stock          REAL,
        in_stock       INTEGER NOT NULL,
        price          REAL,
        currency       TEXT,
        latitude       REAL,
        longitude      REAL,
        postcode       TEXT,
        PRIMARY KEY (source, item_iri)
      );
      CREATE INDEX federated_by_key ON federated_entries (product_key);
      CREATE INDEX federated_by_type ON federated_entries (winner, product_type);
      CREATE INDEX federated_by_place ON federated_entries (winner, latitude, longitude);
      CREATE TABLE federated_sources (
        source  TEXT PRIMARY KEY,
        version INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'the change feed: every change to a published resource, appended by triggers',
    sql: `
      CREATE TABLE feed_events (
        seq    INTEGER PRIMARY KEY AUTOINCREMENT,
        eid    TEXT NOT NULL,
        iri    TEXT NOT NULL,
        kind   TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
        record TEXT CHECK (record IS NULL OR json_valid(record)),
        at     TEXT NOT NULL
      );
      CREATE INDEX feed_by_enterprise ON feed_events (eid, seq);
      CREATE INDEX feed_by_iri ON feed_events (iri, seq);
      -- Triggers, not application code, append the versions: no write path can forget one, and the version
      -- is committed or rolled back with the change itself.
      CREATE TRIGGER feed_on_insert AFTER INSERT ON resources BEGIN
        INSERT INTO feed_events (eid, iri, kind, action, record, at) VALUES (new.eid, new.iri, new.kind, 'create', new.record, new.updated_at);
      END;
      CREATE TRIGGER feed_on_update AFTER UPDATE OF record ON resources WHEN old.record IS NOT new.record BEGIN
        INSERT INTO feed_events (eid, iri, kind, action, record, at) VALUES (new.eid, new.iri, new.kind, 'update', new.record, new.updated_at);
      END;
      CREATE TRIGGER feed_on_delete AFTER DELETE ON resources BEGIN
        INSERT INTO feed_events (eid, iri, kind, action, record, at)
        VALUES (old.eid, old.iri, old.kind, 'delete', NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
      END;
    `,
  },
  {
    version: 4,
    name: 'webhook subscriptions, and the feed state of each peer',
    sql: `
      CREATE TABLE subscriptions (
        id              TEXT PRIMARY KEY,
        token_id        TEXT REFERENCES tokens (id) ON DELETE CASCADE,
        eid             TEXT REFERENCES enterprises (eid) ON DELETE CASCADE,
        callback        TEXT NOT NULL,
        secret          TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'failing', 'dead')),
        failures        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_delivery_at TEXT,
        last_error      TEXT,
        -- The feed sequence delivered so far: deliveries resume from here after a restart.
        delivered_seq   INTEGER NOT NULL
      );
      CREATE TABLE peer_feeds (
        peer_id          INTEGER PRIMARY KEY REFERENCES peers (id) ON DELETE CASCADE,
        feed_url         TEXT,
        cursor           INTEGER,
        secret           TEXT,
        subscription_url TEXT
      );
    `,
  },
  {
    version: 5,
    name: 'withdrawn entries stay in the federated index, so the origin keeps its word over relays',
    sql: `
      ALTER TABLE federated_entries ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX federated_by_product ON federated_entries (product_iri);
      -- The owl:sameAs targets of each entry's product: when one of them appears in the index, the copy
      -- joins its identity (whatever order the sources were synced in).
      CREATE TABLE entry_same_as (
        source   TEXT NOT NULL,
        item_iri TEXT NOT NULL,
        target   TEXT NOT NULL,
        PRIMARY KEY (source, item_iri, target)
      );
      CREATE INDEX entry_same_as_by_target ON entry_same_as (target);
    `,
  },
  {
    version: 6,
    name: 'the identity of each change feed, so that a follower notices a feed that started over',
    sql: `
      INSERT INTO meta (key, value) VALUES ('stream_id', lower(hex(randomblob(16))));
      ALTER TABLE peer_feeds ADD COLUMN stream TEXT;
    `,
  },
  {
    version: 7,
    name: 'an enterprise version moves with every change to its resources, in the statement that makes it',
    sql: `
      -- The version keys response caches and conditional requests. Bumped by triggers, it costs a stock write no
      -- extra round trip under the write lock.
      CREATE TRIGGER version_on_insert AFTER INSERT ON resources BEGIN
        UPDATE enterprises SET version = version + 1, updated_at = new.updated_at WHERE eid = new.eid;
      END;
      CREATE TRIGGER version_on_update AFTER UPDATE ON resources BEGIN
        UPDATE enterprises SET version = version + 1, updated_at = new.updated_at WHERE eid = new.eid;
      END;
      CREATE TRIGGER version_on_delete AFTER DELETE ON resources BEGIN
        UPDATE enterprises SET version = version + 1, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE eid = old.eid;
      END;
    `,
  },
  {
    version: 8,
    name: 'a version per resource, and a profile version per enterprise, for conditional writes without rendering',
    sql: `
      -- A hash of the record, written with it (null until the next write for rows written before: the store
      -- computes it from the record then). Strong ETags of one resource are made from it.
      ALTER TABLE resources ADD COLUMN version TEXT;
      -- The profile (GET /enterprises/{eid}) shows the Enterprise, its Address and Person, and lists the
      -- enterprise's products (not product groups) and catalog items. Its version moves when one of those does,
      -- so a stock write leaves the profile's ETag as it was.
      ALTER TABLE enterprises ADD COLUMN profile_version INTEGER NOT NULL DEFAULT 1;
      CREATE TRIGGER profile_on_insert AFTER INSERT ON resources
        WHEN new.kind IN ('Enterprise', 'Address', 'Person', 'SuppliedProduct', 'CatalogItem') BEGIN
        UPDATE enterprises SET profile_version = profile_version + 1 WHERE eid = new.eid;
      END;
      CREATE TRIGGER profile_on_delete AFTER DELETE ON resources
        WHEN old.kind IN ('Enterprise', 'Address', 'Person', 'SuppliedProduct', 'CatalogItem') BEGIN
        UPDATE enterprises SET profile_version = profile_version + 1 WHERE eid = old.eid;
      END;
      CREATE TRIGGER profile_on_update AFTER UPDATE OF record ON resources
        WHEN old.record IS NOT new.record AND (new.kind IN ('Enterprise', 'Address', 'Person') OR old.kind IS NOT new.kind
          OR (new.kind = 'SuppliedProduct'
            AND (COALESCE(json_array_length(old.record, '$.variants'), 0) > 0) IS NOT (COALESCE(json_array_length(new.record, '$.variants'), 0) > 0))) BEGIN
        UPDATE enterprises SET profile_version = profile_version + 1 WHERE eid = new.eid;
      END;
    `,
  },
  {
    version: 9,
    name: 'an owl:sameAs merges two products only when verified: named both ways, or confirmed by the operator',
    sql: `
      -- Identities this node's operator vouches for (maillon import records the owl:sameAs of what it imports).
      -- An owl:sameAs a product body sent through the API carries is only a claim, and is not here.
      CREATE TABLE confirmed_identities (
        subject      TEXT NOT NULL,
        target       TEXT NOT NULL,
        confirmed_at TEXT NOT NULL,
        PRIMARY KEY (subject, target)
      );
      CREATE INDEX confirmed_identities_by_target ON confirmed_identities (target);
      -- Keys were given under the old rule (any owl:sameAs merged): every product is its own again, our own rows
      -- are rebuilt on the next query, and a peer's merges come back as it is re-indexed.
      UPDATE federated_entries SET product_key = product_iri;
      DELETE FROM federated_sources;
      UPDATE federated_entries SET winner = (source = (
        SELECT f2.source FROM federated_entries f2 WHERE f2.product_key = federated_entries.product_key
        ORDER BY f2.rank, f2.source LIMIT 1));
    `,
  },
  {
    version: 10,
    name: 'stock as typed counters, held orders and their lines, listings of other nodes\' items, idempotent order requests',
    sql: `
      -- The owner's ledger of each catalog item: the authority on its stock. Units move between the counters only
      -- (available → reserved → sold, or back to available), by conditional single statements, so two orders can
      -- never take the same unit; a restock (a write of the item's stockLimitation) is the only other change.
      -- NUMERIC keeps whole quantities integers, so the copy written into the published record reads "5", not "5.0".
      CREATE TABLE stock (
        item_iri  TEXT PRIMARY KEY,
        eid       TEXT NOT NULL REFERENCES enterprises (eid) ON DELETE CASCADE,
        on_demand INTEGER NOT NULL DEFAULT 0 CHECK (on_demand IN (0, 1)),
        initial   NUMERIC NOT NULL,
        restocked NUMERIC NOT NULL DEFAULT 0,
        available NUMERIC NOT NULL CHECK (available >= 0),
        reserved  NUMERIC NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        sold      NUMERIC NOT NULL DEFAULT 0 CHECK (sold >= 0),
        -- The invariant, kept by the database itself: nothing is created or lost by an order.
        CHECK (abs(initial + restocked - available - reserved - sold) < 1e-6)
      );
      CREATE INDEX stock_by_enterprise ON stock (eid);
      INSERT INTO stock (item_iri, eid, on_demand, initial, available)
        SELECT iri, eid, json_extract(record, '$.stock') IS NULL, max(COALESCE(json_extract(record, '$.stock'), 0), 0),
          max(COALESCE(json_extract(record, '$.stock'), 0), 0)
        FROM resources WHERE kind = 'CatalogItem';
      -- A catalog item written (created, imported, its stockLimitation set) restocks its ledger to the value written.
      CREATE TRIGGER stock_on_item_insert AFTER INSERT ON resources WHEN new.kind = 'CatalogItem' BEGIN
        INSERT INTO stock (item_iri, eid, on_demand, initial, available)
        VALUES (new.iri, new.eid, json_extract(new.record, '$.stock') IS NULL, max(COALESCE(json_extract(new.record, '$.stock'), 0), 0),
          max(COALESCE(json_extract(new.record, '$.stock'), 0), 0))
        ON CONFLICT (item_iri) DO UPDATE SET eid = excluded.eid, on_demand = excluded.on_demand,
          restocked = restocked + excluded.available - available, available = excluded.available;
      END;
      CREATE TRIGGER stock_on_item_update AFTER UPDATE OF record ON resources WHEN new.kind = 'CatalogItem' BEGIN
        INSERT INTO stock (item_iri, eid, on_demand, initial, available)
        VALUES (new.iri, new.eid, json_extract(new.record, '$.stock') IS NULL, max(COALESCE(json_extract(new.record, '$.stock'), 0), 0),
          max(COALESCE(json_extract(new.record, '$.stock'), 0), 0))
        ON CONFLICT (item_iri) DO UPDATE SET on_demand = excluded.on_demand,
          restocked = CASE WHEN excluded.on_demand = 1 THEN restocked ELSE restocked + excluded.available - available END,
          available = CASE WHEN excluded.on_demand = 1 THEN available ELSE excluded.available END
        WHERE on_demand IS NOT excluded.on_demand OR (excluded.on_demand = 0 AND available IS NOT excluded.available);
      END;
      CREATE TRIGGER stock_on_item_delete AFTER DELETE ON resources WHEN old.kind = 'CatalogItem' BEGIN
        DELETE FROM stock WHERE item_iri = old.iri AND reserved = 0;
      END;
      -- The published copy follows the ledger (the item's stockLimitation, and its offers that mirrored it) by the
      -- order store's own statements, not by a trigger here: a trigger on stock would be compiled into every write of
      -- a resource (through the triggers above), and stock writes would pay for it (measured: 0.65 → 1.5 ms each).
      -- Orders placed with an enterprise that sells (never published: not resources, not in the feed).
      CREATE TABLE orders (
        iri          TEXT PRIMARY KEY,
        eid          TEXT NOT NULL REFERENCES enterprises (eid) ON DELETE CASCADE,
        number       INTEGER NOT NULL,
        -- Pending: waiting for a supplier's answer (not accepted yet); then Held, Complete or Cancelled.
        status       TEXT NOT NULL CHECK (status IN ('Pending', 'Held', 'Complete', 'Cancelled')),
        ordered_by   TEXT,
        placed_by    TEXT,
        -- The rest of the order as the buyer sent it (sale session, its own line ids…), and upstream orders.
        details      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        expires_at   TEXT,
        closed_reason TEXT,
        UNIQUE (eid, number)
      );
      CREATE INDEX orders_by_enterprise ON orders (eid, number);
      CREATE INDEX orders_held_by_expiry ON orders (expires_at) WHERE status IN ('Pending', 'Held');
      CREATE TABLE order_lines (
        order_iri  TEXT NOT NULL REFERENCES orders (iri) ON DELETE CASCADE ON UPDATE CASCADE,
        position   INTEGER NOT NULL,
        offer_iri  TEXT NOT NULL,
        item_iri   TEXT NOT NULL,
        product_iri TEXT,
        quantity   NUMERIC NOT NULL CHECK (quantity >= 0),
        price      REAL,
        currency   TEXT,
        -- How much of the item's ledger this line holds: 0 for a line sold from another node (a listing).
        reserved   NUMERIC NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        listing_id INTEGER,
        details    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
        PRIMARY KEY (order_iri, position)
      );
      -- One answer per Idempotency-Key and caller: a retried POST gets the same order, and reserves nothing again.
      CREATE TABLE order_requests (
        eid          TEXT NOT NULL REFERENCES enterprises (eid) ON DELETE CASCADE,
        caller       TEXT NOT NULL,
        key          TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        order_iri    TEXT NOT NULL REFERENCES orders (iri) ON DELETE CASCADE ON UPDATE CASCADE,
        created_at   TEXT NOT NULL,
        PRIMARY KEY (eid, caller, key)
      );
      -- A shop's listing of another node's catalog item, published as the shop's own item and offer.
      CREATE TABLE listings (
        id            INTEGER PRIMARY KEY,
        eid           TEXT NOT NULL REFERENCES enterprises (eid) ON DELETE CASCADE,
        item_iri      TEXT NOT NULL UNIQUE,
        offer_iri     TEXT NOT NULL,
        product_iri   TEXT NOT NULL,
        origin_item   TEXT NOT NULL,
        origin_offer  TEXT,
        -- What is ordered from the owner: the origin's product, or its wholesale case.
        origin_product TEXT NOT NULL,
        origin_orders TEXT NOT NULL,
        factor        NUMERIC NOT NULL DEFAULT 1 CHECK (factor > 0),
        price         REAL,
        markup        REAL,
        details       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details)),
        created_at    TEXT NOT NULL,
        UNIQUE (eid, origin_item)
      );
      CREATE INDEX listings_by_origin ON listings (origin_item);
    `,
  },
  {
    version: 11,
    name: 'OpenID Connect issuers, grants to their identities, and peers\' OpenID Connect credentials',
    sql: `
      -- The issuers whose tokens are verified (against their JWKS), and the audience required of them.
      CREATE TABLE oidc_issuers (
        issuer     TEXT PRIMARY KEY,
        audience   TEXT,
        created_at TEXT NOT NULL
      );
      -- What an identity of an issuer may do on an enterprise. issuer '' is any configured issuer.
      CREATE TABLE oidc_grants (
        id         INTEGER PRIMARY KEY,
        issuer     TEXT NOT NULL DEFAULT '',
        kind       TEXT NOT NULL CHECK (kind IN ('email', 'sub', 'client_id')),
        subject    TEXT NOT NULL,
        eid        TEXT NOT NULL REFERENCES enterprises (eid) ON DELETE CASCADE,
        scopes     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (issuer, kind, subject, eid)
      );
      CREATE INDEX oidc_grants_by_subject ON oidc_grants (kind, subject);
      -- How this node gets access tokens for a peer: client credentials, or a user's refresh token. Secrets stay
      -- here: never in logs, never in 'peer status'.
      CREATE TABLE peer_oidc (
        peer_id       INTEGER PRIMARY KEY REFERENCES peers (id) ON DELETE CASCADE,
        issuer        TEXT NOT NULL,
        client_id     TEXT NOT NULL,
        client_secret TEXT,
        refresh_token TEXT,
        scope         TEXT,
        access_token  TEXT,
        expires_at    TEXT
      );
      -- A subscription is now owned by an API token or by an OpenID identity ('oidc:<issuer>#<who>'), which is
      -- no row of tokens: the table is rebuilt without that foreign key, and a trigger keeps its cascade.
      CREATE TABLE subscriptions_v11 (
        id              TEXT PRIMARY KEY,
        token_id        TEXT,
        eid             TEXT REFERENCES enterprises (eid) ON DELETE CASCADE,
        callback        TEXT NOT NULL,
        secret          TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'failing', 'dead')),
        failures        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_delivery_at TEXT,
        last_error      TEXT,
        delivered_seq   INTEGER NOT NULL
      );
      INSERT INTO subscriptions_v11 SELECT id, token_id, eid, callback, secret, created_at, status, failures, next_attempt_at,
        last_delivery_at, last_error, delivered_seq FROM subscriptions;
      DROP TABLE subscriptions;
      ALTER TABLE subscriptions_v11 RENAME TO subscriptions;
      CREATE TRIGGER subscriptions_of_deleted_token AFTER DELETE ON tokens BEGIN
        DELETE FROM subscriptions WHERE token_id = old.id;
      END;
    `,
  },
  {
    version: 12,
    name: 'federated catalogue: folded full-text search (FTS5), and the names people read beside the IRIs',
    sql: `
      -- What a CSV shows people beside the IRIs: the enterprise's name, its town, the pack size sold.
      ALTER TABLE federated_entries ADD COLUMN enterprise_name TEXT;
      ALTER TABLE federated_entries ADD COLUMN city TEXT;
      ALTER TABLE federated_entries ADD COLUMN quantity REAL;
      ALTER TABLE federated_entries ADD COLUMN quantity_unit TEXT;
      CREATE INDEX federated_by_enterprise ON federated_entries (enterprise_iri, enterprise_name);
      -- The search text is now folded in JavaScript (accents, case, ligatures: 'oeufs' finds 'Œufs') and holds
      -- type labels and enterprise names, which SQL cannot compute: it is emptied here, and the index rebuilds
      -- every source whose rows have none on its first use (our own enterprises from scratch, as here).
      UPDATE federated_entries SET search = NULL;
      DELETE FROM federated_sources;
      -- External content: the words live in federated_entries.search; the triggers keep the FTS index in step.
      CREATE VIRTUAL TABLE federated_search USING fts5 (search, content = 'federated_entries', tokenize = 'unicode61 remove_diacritics 2');
      CREATE TRIGGER federated_search_insert AFTER INSERT ON federated_entries BEGIN
        INSERT INTO federated_search (rowid, search) VALUES (new.rowid, new.search);
      END;
      CREATE TRIGGER federated_search_delete AFTER DELETE ON federated_entries BEGIN
        INSERT INTO federated_search (federated_search, rowid, search) VALUES ('delete', old.rowid, old.search);
      END;
      CREATE TRIGGER federated_search_update AFTER UPDATE OF search ON federated_entries BEGIN
        INSERT INTO federated_search (federated_search, rowid, search) VALUES ('delete', old.rowid, old.search);
        INSERT INTO federated_search (rowid, search) VALUES (new.rowid, new.search);
      END;
    `,
  },
  {
    version: 13,
    name: 'a subscription to an enterprise outlives its removal until the removal is delivered',
    sql: `
      -- A subscription watching one enterprise gets the deletes its removal writes: no cascade from enterprises,
      -- and closing_after is the last feed sequence it is still owed, after which the notifier deletes it.
      DROP TRIGGER subscriptions_of_deleted_token;
      CREATE TABLE subscriptions_v13 (
        id              TEXT PRIMARY KEY,
        token_id        TEXT,
        eid             TEXT,
        callback        TEXT NOT NULL,
        secret          TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'failing', 'dead')),
        failures        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        last_delivery_at TEXT,
        last_error      TEXT,
        delivered_seq   INTEGER NOT NULL,
        closing_after   INTEGER
      );
      INSERT INTO subscriptions_v13 SELECT id, token_id, eid, callback, secret, created_at, status, failures, next_attempt_at,
        last_delivery_at, last_error, delivered_seq, NULL FROM subscriptions;
      DROP TABLE subscriptions;
      ALTER TABLE subscriptions_v13 RENAME TO subscriptions;
      CREATE TRIGGER subscriptions_of_deleted_token AFTER DELETE ON tokens BEGIN
        DELETE FROM subscriptions WHERE token_id = old.id AND closing_after IS NULL;
      END;
      -- What the cascade did for every other removal of an enterprise row (none today, but a row deleted by hand).
      CREATE TRIGGER subscriptions_of_deleted_enterprise AFTER DELETE ON enterprises BEGIN
        DELETE FROM subscriptions WHERE eid = old.eid AND closing_after IS NULL;
      END;
    `,
  },
  {
    version: 14,
    name: 'federated catalogue: folded sort keys, so that a page is sorted in the database as people read names',
    sql: `
      -- Folded in JavaScript (accents, case, ligatures: 'Échalotes' sorts under e); rows from before get them on
      -- the index's first use.
      ALTER TABLE federated_entries ADD COLUMN name_key TEXT;
      ALTER TABLE federated_entries ADD COLUMN enterprise_key TEXT;
      ALTER TABLE federated_entries ADD COLUMN city_key TEXT;
      -- Rows from before have none yet: the index fills them on first use, and forgets this mark when done.
      INSERT INTO meta (key, value) SELECT 'sort_keys_pending', '1' WHERE EXISTS (SELECT 1 FROM federated_entries);
      -- The listed rows (winners not withdrawn) as the dashboard reads them: the regional summary groups them by
      -- type, enterprise, source and postcode from this index alone (never the wide rows), and the table's
      -- default order walks names without sorting a territory.
      CREATE INDEX federated_supply ON federated_entries (product_type, enterprise_iri, peer_id, postcode, in_stock, product_key,
        offer_iri, latitude, longitude) WHERE winner = 1 AND withdrawn = 0;
      CREATE INDEX federated_listed_by_name ON federated_entries (name_key, item_iri) WHERE winner = 1 AND withdrawn = 0;
      -- Each listed enterprise once, from its best-ranked row, with where it is: for a map, from the index alone.
      CREATE INDEX federated_listed_enterprises ON federated_entries (enterprise_iri, rank, enterprise_name, city, postcode, latitude,
        longitude) WHERE winner = 1 AND withdrawn = 0;
      -- What the answers kept for people were computed at: bumped by every change of the index.
      INSERT INTO meta (key, value) VALUES ('index_generation', '0') ON CONFLICT (key) DO NOTHING;
    `,
  },
  {
    version: 15,
    name: 'our push subscription at each peer, as the network view follows it',
    sql: `
      -- When we subscribed, what the peer has sent since, and why subscribing last failed: an operator sees
      -- whether a peer's changes reach us by push, or only when the interval comes round.
      ALTER TABLE peer_feeds ADD COLUMN subscribed_at TEXT;
      ALTER TABLE peer_feeds ADD COLUMN notified_at TEXT;
      ALTER TABLE peer_feeds ADD COLUMN notifications INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE peer_feeds ADD COLUMN subscribe_failures INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE peer_feeds ADD COLUMN subscribe_error TEXT;
    `,
  },
  {
    version: 16,
    name: 'Solid pods: what was published into which pod resource, and peers of kind solid',
    sql: `
      -- One row per pod resource this node wrote: its content hash decides whether it must be written again, and
      -- its ETag is the If-Match of that write (a resource changed behind our back is reported, not overwritten).
      CREATE TABLE solid_publications (
        resource_url TEXT PRIMARY KEY,
        container    TEXT NOT NULL,
        eid          TEXT NOT NULL,
        hash         TEXT NOT NULL,
        etag         TEXT,
        published_at TEXT NOT NULL
      );
      CREATE INDEX solid_publications_container ON solid_publications (container);
      -- How a peer is read: a DFC node (discovery, pages, change feed) or a Solid pod (containers and resources).
      ALTER TABLE peers ADD COLUMN kind TEXT NOT NULL DEFAULT 'dfc' CHECK (kind IN ('dfc', 'solid'));
    `,
  },
  {
    version: 17,
    name: 'a national index: a grid of places for circles, and the regional supply kept per source',
    sql: `
      -- The cell of a 0.2° grid a row's enterprise is in (about 22 × 15 km here): a circle is a short list of cells,
      -- each a seek in the index below, where a band of latitude would read a third of a country's rows. Computed
      -- by SQLite from the row (no writer can forget it); NULL without coordinates. See GRID_CELLS_PER_DEGREE.
      ALTER TABLE federated_entries ADD COLUMN cell INTEGER GENERATED ALWAYS AS (
        CASE WHEN latitude IS NULL OR longitude IS NULL THEN NULL
        ELSE CAST((latitude + 90) * 5 AS INTEGER) * 2000 + CAST((longitude + 180) * 5 AS INTEGER) END) VIRTUAL;
      -- Covering for what a circle holds by type and stock, counted or in name order: no row is read but a page's.
      CREATE INDEX federated_listed_by_cell ON federated_entries (cell, product_type, in_stock, latitude, longitude, name_key, item_iri)
        WHERE winner = 1 AND withdrawn = 0;
      -- The rows still without a search text (from before folded search): none but in an old database, found at
      -- start without reading a million rows.
      CREATE INDEX federated_unsearched ON federated_entries (peer_id) WHERE search IS NULL;
      -- The regional supply (the summary's groups: type, enterprise, source, postcode) of each source, kept: a
      -- summary of a million offers reads these groups, not the million rows. A source whose rows change is marked
      -- (by the triggers below, whatever wrote the rows) and its groups are computed again from its rows before the
      -- next summary. peer_key is the peer's id, -1 for this node's own enterprises.
      CREATE TABLE federated_supply_groups (
        peer_key       INTEGER NOT NULL,
        product_type   TEXT,
        enterprise_iri TEXT,
        postcode       TEXT,
        -- The postcode's first two characters, blanks left out (a French département): what a summary groups by.
        area           TEXT,
        products       INTEGER NOT NULL,
        offers         INTEGER NOT NULL,
        in_stock       INTEGER NOT NULL,
        lat            REAL,
        lon            REAL
      );
      CREATE INDEX federated_supply_groups_by_peer ON federated_supply_groups (peer_key);
      CREATE TABLE federated_supply_dirty (peer_key INTEGER PRIMARY KEY) WITHOUT ROWID;
      CREATE TRIGGER federated_supply_inserted AFTER INSERT ON federated_entries BEGIN
        INSERT OR IGNORE INTO federated_supply_dirty (peer_key) VALUES (coalesce(NEW.peer_id, -1));
      END;
      CREATE TRIGGER federated_supply_deleted AFTER DELETE ON federated_entries BEGIN
        INSERT OR IGNORE INTO federated_supply_dirty (peer_key) VALUES (coalesce(OLD.peer_id, -1));
      END;
      CREATE TRIGGER federated_supply_updated AFTER UPDATE OF winner, withdrawn, product_type, enterprise_iri, peer_id, postcode,
        in_stock, product_key, offer_iri, latitude, longitude ON federated_entries BEGIN
        INSERT OR IGNORE INTO federated_supply_dirty (peer_key) VALUES (coalesce(OLD.peer_id, -1));
        INSERT OR IGNORE INTO federated_supply_dirty (peer_key) VALUES (coalesce(NEW.peer_id, -1));
      END;
      -- Every source is computed on first use.
      INSERT INTO federated_supply_dirty (peer_key) SELECT id FROM peers UNION SELECT -1;
    `,
  },
  {
    version: 18,
    name: 'snapshot runs staged page by page, applied at the end in one transaction',
    sql: `
      -- One row per snapshot sync in progress: its pages are merged as they arrive and what they list is staged
      -- here, in short transactions, so that a sync's memory does not grow with the peer's size and no write
      -- transaction is held across network fetches. The run's end moves the staged rows into peer_resources and
      -- the federated index in one transaction; a failed run drops them; a dead run's are cleared at the next
      -- sync of its peer or at start-up.
      CREATE TABLE sync_runs (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        peer_id    INTEGER NOT NULL REFERENCES peers (id) ON DELETE CASCADE,
        started_at TEXT NOT NULL
      );
      CREATE INDEX sync_runs_by_peer ON sync_runs (peer_id);
      -- Every resource a run's pages listed, first listing first (seq): with its record when it is to be written,
      -- without (record NULL) when it is held unchanged and only its listing counts. A rowid table: its rows carry
      -- whole records, too big for a WITHOUT ROWID b-tree.
      CREATE TABLE sync_staging (
        seq           INTEGER PRIMARY KEY,
        run_id        INTEGER NOT NULL REFERENCES sync_runs (id) ON DELETE CASCADE,
        iri           TEXT NOT NULL,
        kind          TEXT NOT NULL,
        record        TEXT,
        hash          TEXT NOT NULL,
        authoritative INTEGER NOT NULL CHECK (authoritative IN (0, 1)),
        source_url    TEXT NOT NULL,
        UNIQUE (run_id, iri)
      );
    `,
  },
  {
    version: 19,
    name: 'the listed rows in name order with what a circle reads, and by type in index order',
    sql: `
      -- A circle's first page in name order walks this index and stops at the page (a few thousand entries at a
      -- national scale), instead of sorting every row of the circle: it holds the columns the walk filters on, so
      -- that no row is read but the page's.
      DROP INDEX federated_listed_by_name;
      CREATE INDEX federated_listed_by_name ON federated_entries (name_key, item_iri, product_type, in_stock, latitude, longitude)
        WHERE winner = 1 AND withdrawn = 0;
      -- The listed rows of a type in rowid order, read from the index alone: the first rows of each type a text's
      -- type label finds. Every query by type is of listed rows: the losing and withdrawn ones need no entry.
      DROP INDEX federated_by_type;
      CREATE INDEX federated_listed_by_type ON federated_entries (product_type) WHERE winner = 1 AND withdrawn = 0;
    `,
  },
  {
    version: 20,
    name: 'the index rows of a first snapshot staged with its records',
    sql: `
      -- A peer's first snapshot computes the index row of each catalog item while its page is in memory, and stages
      -- it beside the item (a JSON array of the row's values; its product's owl:sameAs targets apart, when it has
      -- any): the end fills the federated index from the staging in one statement, instead of reading every record
      -- back and parsing it again.
      ALTER TABLE sync_staging ADD COLUMN entries TEXT;
      ALTER TABLE sync_staging ADD COLUMN same_as TEXT;
    `,
  },
  {
    version: 21,
    name: 'the staged rows that carry owl:sameAs targets, found without reading the run',
    sql: `
      -- A first snapshot's end copies its products' owl:sameAs targets into the index: a few rows of the run, or
      -- none. Without this index they were found by reading every staged row of every run (a 200,000-offer peer's
      -- 600,000 records: seconds of its end's transaction).
      CREATE INDEX sync_staging_same_as ON sync_staging (run_id) WHERE same_as IS NOT NULL;
    `,
  },
  {
    version: 22,
    name: 'the product types of the cell index as short keys',
    sql: `
      -- A type as the cell index holds it (typeKey in federated-index.ts computes the same): a type of the DFC
      -- taxonomy's canonical namespace as its fragment ('#vegetable'), any other after a space (no fragment starts
      -- with one: two types never share a key), NULL as NULL. A national circle's query reads tens of thousands of
      -- entries of this index; the namespace's 91 characters in each made it 2.5 times bigger and twice as slow.
      ALTER TABLE federated_entries ADD COLUMN type_key TEXT GENERATED ALWAYS AS (
        CASE WHEN substr(product_type, 1, 91) = 'https://github.com/datafoodconsortium/taxonomies/releases/latest/download/productTypes.rdf#'
        THEN substr(product_type, 91) ELSE ' ' || product_type END) VIRTUAL;
      DROP INDEX federated_listed_by_cell;
      CREATE INDEX federated_listed_by_cell ON federated_entries (cell, type_key, in_stock, latitude, longitude, name_key, item_iri)
        WHERE winner = 1 AND withdrawn = 0;
    `,
  },
  {
    version: 23,
    name: 'a buyer\'s orders found without reading the seller\'s',
    sql: `
      -- A buyer reads its own orders (its list, and its open orders beside the products Open Food Network reloads
      -- on every backorder): with orders_by_enterprise alone, each read walked every order of the seller.
      CREATE INDEX orders_by_buyer ON orders (eid, placed_by, number);
    `,
  },
  {
    version: 24,
    name: 'the ids of removed listings, never given again',
    sql: `
      -- The @ids a listing published (its product, catalog item and offer) outlive it: old orders, caches and peers
      -- (another shop listing this one) still name them. A listing removed leaves them here, and no new listing takes
      -- one of them: an old @id must never come back naming another product. A trigger, so that every way a listing
      -- goes (removed, its enterprise removed) leaves them.
      CREATE TABLE retired_listing_iris (
        iri        TEXT PRIMARY KEY,
        retired_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TRIGGER listings_retire_iris AFTER DELETE ON listings BEGIN
        INSERT OR IGNORE INTO retired_listing_iris (iri, retired_at)
          VALUES (old.item_iri, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), (old.offer_iri, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            (old.product_iri, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
      END;
      -- The listings removed before: their records' withdrawals in the change feed, as far as it still holds them.
      INSERT OR IGNORE INTO retired_listing_iris (iri, retired_at)
        SELECT DISTINCT iri, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM feed_events
        WHERE action = 'delete' AND (iri LIKE '%/supplied!_products/listing-%' ESCAPE '!' OR iri LIKE '%/catalog!_items/listing-%' ESCAPE '!'
          OR iri LIKE '%/offers/listing-%')
          AND iri NOT IN (SELECT iri FROM resources);
    `,
  },
  {
    version: 25,
    name: 'an enterprise named and placed by its origin\'s word',
    sql: `
      -- How much a row's source is to be believed about its enterprise (its name, address and place): 0 this node,
      -- 1 a peer speaking of an enterprise under its own origin, 2 a relay's copy of another origin's, 3 no copy at
      -- all. A row's rank says who wins a product, not who names its seller: an item of a relay's own may name
      -- another origin's enterprise. Rows from before take their rank (rebuilt with the next re-index of a source).
      ALTER TABLE federated_entries ADD COLUMN enterprise_rank INTEGER NOT NULL DEFAULT 2;
      UPDATE federated_entries SET enterprise_rank = rank;
      -- Each listed enterprise once, from its most believable row, then the lowest peer id: never the first row
      -- SQLite happens to meet among equals (two relays' copies, or a relay's beside the origin's).
      DROP INDEX federated_listed_enterprises;
      CREATE INDEX federated_listed_enterprises ON federated_entries (enterprise_iri, enterprise_rank, peer_id, enterprise_name, city,
        postcode, latitude, longitude) WHERE winner = 1 AND withdrawn = 0;
    `,
  },
  {
    version: 26,
    name: 'a listing found by every IRI it publishes or follows',
    sql: `
      -- A shop's stock write asks whether a listing publishes the records it writes (as its item, offer or product),
      -- an order line which listing sells its offer, and a change of an owner's records which listings follow it (its
      -- item, offer, product, the stock item and retail product it names). Without these, each question read every
      -- listing: with 10,000 listings, stock writes went from 5,500/s to 160/s (measured, 10 writers at once).
      -- The two expressions are written exactly as the queries of listingsTouching write them, or no plan uses them.
      CREATE INDEX listings_by_offer ON listings (offer_iri);
      CREATE INDEX listings_by_product ON listings (product_iri);
      CREATE INDEX listings_by_origin_offer ON listings (origin_offer);
      CREATE INDEX listings_by_origin_product ON listings (origin_product);
      CREATE INDEX listings_by_stock_item ON listings (details ->> '$.stockItem');
      CREATE INDEX listings_by_retail_product ON listings (details ->> '$.retailProduct');
    `,
  },
  {
    version: 27,
    name: 'every row found by what owns it',
    sql: `
      -- Removing an owner looks up what it owns, through the foreign key's cascade and through the store's own
      -- questions, and without an index each look-up reads the whole table. Removing one peer of a national
      -- aggregator read the node's million federated rows four times (measured on 1,000,000 synthetic rows: its rows deleted
      -- in 407 ms, then the peer in 818 ms; 21 ms and 1 ms with the index); an owner's change of a listing read every
      -- order line to find the listing's open orders.
      -- Every other foreign key gets the index SQLite advises, so no cascade (a delete, or an IRI rewritten) scans.
      CREATE INDEX federated_by_peer ON federated_entries (peer_id);
      CREATE INDEX order_requests_by_order ON order_requests (order_iri);
      CREATE INDEX order_lines_by_listing ON order_lines (listing_id) WHERE listing_id IS NOT NULL;
      CREATE INDEX tokens_by_enterprise ON tokens (eid);
      CREATE INDEX oidc_grants_by_enterprise ON oidc_grants (eid);
    `,
  },
  {
    version: 28,
    name: 'the stock ledger restocked exactly, its invariant checked to the precision of its counters',
    sql: `
      -- Orders move the counters exact in millionths (order-store.ts, plus()); a restock moved restocked in floating
      -- point, and the invariant was checked to 1e-6 whatever the counters' size: set to 10^9 and sold five times over,
      -- an item's restocked was 5999999987.994999 and its CHECK failed (a 500, the order left held). Restocks are exact
      -- in millionths too, and the invariant holds to 1e-6 or to 1e-12 of the counters, whichever is more: floating
      -- point's error of five sums is a thousand times less, and a thousandth is still caught up to 10^9 units.
      -- The triggers that name the table go first: renaming a table re-reads every trigger, and one naming a table
      -- dropped meanwhile is an error.
      DROP TRIGGER stock_on_item_insert;
      DROP TRIGGER stock_on_item_update;
      DROP TRIGGER stock_on_item_delete;
      CREATE TABLE stock_v28 (
        item_iri  TEXT PRIMARY KEY,
        eid       TEXT NOT NULL REFERENCES enterprises (eid) ON DELETE CASCADE,
        on_demand INTEGER NOT NULL DEFAULT 0 CHECK (on_demand IN (0, 1)),
        initial   NUMERIC NOT NULL,
        restocked NUMERIC NOT NULL DEFAULT 0,
        available NUMERIC NOT NULL CHECK (available >= 0),
        reserved  NUMERIC NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        sold      NUMERIC NOT NULL DEFAULT 0 CHECK (sold >= 0),
        CHECK (abs(initial + restocked - available - reserved - sold)
          < max(1e-6, 1e-12 * (abs(initial) + abs(restocked) + available + reserved + sold)))
      );
      INSERT INTO stock_v28 (item_iri, eid, on_demand, initial, restocked, available, reserved, sold)
        SELECT item_iri, eid, on_demand, initial, restocked, available, reserved, sold FROM stock;
      DROP TABLE stock;
      ALTER TABLE stock_v28 RENAME TO stock;
      CREATE INDEX stock_by_enterprise ON stock (eid);
      CREATE TRIGGER stock_on_item_insert AFTER INSERT ON resources WHEN new.kind = 'CatalogItem' BEGIN
        INSERT INTO stock (item_iri, eid, on_demand, initial, available)
        VALUES (new.iri, new.eid, json_extract(new.record, '$.stock') IS NULL, max(COALESCE(json_extract(new.record, '$.stock'), 0), 0),
          max(COALESCE(json_extract(new.record, '$.stock'), 0), 0))
        ON CONFLICT (item_iri) DO UPDATE SET eid = excluded.eid, on_demand = excluded.on_demand,
          restocked = (round(restocked * 1e6) + round(excluded.available * 1e6) - round(available * 1e6)) / 1e6, available = excluded.available;
      END;
      CREATE TRIGGER stock_on_item_update AFTER UPDATE OF record ON resources WHEN new.kind = 'CatalogItem' BEGIN
        INSERT INTO stock (item_iri, eid, on_demand, initial, available)
        VALUES (new.iri, new.eid, json_extract(new.record, '$.stock') IS NULL, max(COALESCE(json_extract(new.record, '$.stock'), 0), 0),
          max(COALESCE(json_extract(new.record, '$.stock'), 0), 0))
        ON CONFLICT (item_iri) DO UPDATE SET on_demand = excluded.on_demand,
          restocked = CASE WHEN excluded.on_demand = 1 THEN restocked
            ELSE (round(restocked * 1e6) + round(excluded.available * 1e6) - round(available * 1e6)) / 1e6 END,
          available = CASE WHEN excluded.on_demand = 1 THEN available ELSE excluded.available END
        WHERE on_demand IS NOT excluded.on_demand OR (excluded.on_demand = 0 AND available IS NOT excluded.available);
      END;
      CREATE TRIGGER stock_on_item_delete AFTER DELETE ON resources WHEN old.kind = 'CatalogItem' BEGIN
        DELETE FROM stock WHERE item_iri = old.iri AND reserved = 0;
      END;
    `,
  },
  {
    version: 29,
    name: 'a catalog item without an offer is not in stock',
    sql: `
      -- In stock means an offer one can order: an item whose offer is missing (or was quarantined) has none, and
      -- counted in stock it made the summary's inStock more than its offers (federated-entries.ts computes the
      -- same for rows written from now on). The supply triggers mark the sources whose rows change.
      UPDATE federated_entries SET in_stock = 0 WHERE in_stock = 1 AND offer_iri IS NULL;
    `,
  },
  {
    version: 30,
    name: 'units reserved on demand never come back as stock',
    sql: `
      -- What an item's open orders reserved while it was on demand: released, it goes back to no stock, even once
      -- the item counts its stock again (order-store.ts). What an on-demand item holds now was reserved on demand,
      -- as far as anyone can tell: counted so (an item that counts its stock cannot tell, and counts none).
      ALTER TABLE stock ADD COLUMN held_on_demand NUMERIC NOT NULL DEFAULT 0 CHECK (held_on_demand >= 0);
      UPDATE stock SET held_on_demand = reserved WHERE on_demand = 1;
    `,
  },
  {
    version: 31,
    name: 'each feed version keeps the privacy its enterprise had when it was written',
    sql: `
      -- The public feed left out the versions of the enterprises private *now*: an enterprise removed and made again
      -- private under the same id hid its past public versions (its deletes too) from pages served immutable, and
      -- followers never withdrew what it had published. A version's visibility is now its enterprise's when it was
      -- written. Versions written before are given their enterprise's present privacy, as the feed showed them.
      ALTER TABLE feed_events ADD COLUMN private INTEGER NOT NULL DEFAULT 0 CHECK (private IN (0, 1));
      UPDATE feed_events SET private = 1 WHERE eid IN (SELECT eid FROM enterprises WHERE private = 1);
      DROP TRIGGER feed_on_insert;
      DROP TRIGGER feed_on_update;
      DROP TRIGGER feed_on_delete;
      -- A resource whose enterprise row is gone (none is, as the store deletes resources first) counts as private:
      -- a version of unknown visibility is not published.
      CREATE TRIGGER feed_on_insert AFTER INSERT ON resources BEGIN
        INSERT INTO feed_events (eid, iri, kind, action, record, at, private)
        VALUES (new.eid, new.iri, new.kind, 'create', new.record, new.updated_at, coalesce((SELECT private FROM enterprises WHERE eid = new.eid), 1));
      END;
      CREATE TRIGGER feed_on_update AFTER UPDATE OF record ON resources WHEN old.record IS NOT new.record BEGIN
        INSERT INTO feed_events (eid, iri, kind, action, record, at, private)
        VALUES (new.eid, new.iri, new.kind, 'update', new.record, new.updated_at, coalesce((SELECT private FROM enterprises WHERE eid = new.eid), 1));
      END;
      CREATE TRIGGER feed_on_delete AFTER DELETE ON resources BEGIN
        INSERT INTO feed_events (eid, iri, kind, action, record, at, private)
        VALUES (old.eid, old.iri, old.kind, 'delete', NULL, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
          coalesce((SELECT private FROM enterprises WHERE eid = old.eid), 1));
      END;
    `,
  },
  {
    version: 32,
    name: 'federated catalogue: the full-text index of a database older than migration 12 rebuilt',
    sql: `
      -- Migration 12 made the full-text index over the rows already there without indexing them: the triggers then
      -- told FTS5 to delete rows it never held, which it reports as a corrupt database (every federated read and
      -- every sync that changed a row failed, while PRAGMA integrity_check said ok). Every row has an entry of its
      -- own in the index's sizes (one with no text too), so a database whose counts differ is rebuilt from the
      -- rows; any other keeps its index (a rebuild of a national catalogue takes a while).
      INSERT INTO federated_search (federated_search) SELECT 'rebuild'
        WHERE (SELECT count(*) FROM federated_search_docsize) <> (SELECT count(*) FROM federated_entries);
    `,
  },
  {
    version: 33,
    name: 'listing numbers never given twice',
    sql: `
      -- A listing's number was its row id: removing the last listing made its number the next one's, and a client
      -- still holding the removed listing's Location changed or removed the new one. The highest number removed is
      -- kept, and a new listing is numbered past it (the store's INSERT).
      INSERT INTO meta (key, value) SELECT 'listing_number', n FROM (SELECT CAST(max(id) AS TEXT) AS n FROM listings) WHERE n IS NOT NULL
        ON CONFLICT (key) DO NOTHING;
      CREATE TRIGGER listings_keep_number AFTER DELETE ON listings BEGIN
        INSERT INTO meta (key, value) VALUES ('listing_number', CAST(old.id AS TEXT))
          ON CONFLICT (key) DO UPDATE SET value = CAST(max(CAST(value AS INTEGER), old.id) AS TEXT);
      END;
    `,
  },
  {
    version: 34,
    name: 'a sync run staging cleared at once when it is the last',
    sql: `
      -- A foreign key to sync_runs made every delete of staged rows go row by row (SQLite's truncate optimisation is
      -- off for a table with a foreign key): the end of a 200,000-offer peer's sync spent ~10 s deleting its 600,000
      -- staged rows and their index entries. Without it, the last run's end clears the table at once; a run deleted
      -- otherwise (a later run of its peer, the peer removed, a stale run at start-up) takes its rows with it through
      -- the trigger, as the cascade did. What is staged is a run in progress, which an upgrade (a restart) ends:
      -- nothing of it is kept.
      DELETE FROM sync_runs;
      DROP TABLE sync_staging;
      CREATE TABLE sync_staging (
        seq           INTEGER PRIMARY KEY,
        run_id        INTEGER NOT NULL,
        iri           TEXT NOT NULL,
        kind          TEXT NOT NULL,
        record        TEXT,
        hash          TEXT NOT NULL,
        authoritative INTEGER NOT NULL CHECK (authoritative IN (0, 1)),
        source_url    TEXT NOT NULL,
        entries       TEXT,
        same_as       TEXT,
        UNIQUE (run_id, iri)
      );
      CREATE INDEX sync_staging_same_as ON sync_staging (run_id) WHERE same_as IS NOT NULL;
      CREATE TRIGGER sync_runs_staging_gone AFTER DELETE ON sync_runs BEGIN
        DELETE FROM sync_staging WHERE run_id = old.id;
      END;
    `,
  },
  {
    version: 35,
    name: 'the cancellations a shop still owes its suppliers, kept until they are done',
    sql: `
      -- A shop that told its customer an order was not placed, or was cancelled, must not leave the supplier holding
      -- the order it placed for it: the supplier that timed out (and took the order), or was down when the order was
      -- cancelled, held the stock until its own hold ran out (up to 90 days for a sale session). Each cancellation
      -- still owed is kept here and retried in the background until the supplier confirms it, or until its hold
      -- there has surely run out. \`target\` is the supplier's order, or (\`placement\` set) its orders collection,
      -- when the supplier never answered the POST: the same POST sent again with its Idempotency-Key finds the order
      -- it made, or makes it, and that order is then cancelled.
      CREATE TABLE upstream_cancellations (
        id          INTEGER PRIMARY KEY,
        eid         TEXT NOT NULL,
        order_iri   TEXT,
        target      TEXT NOT NULL,
        key         TEXT NOT NULL DEFAULT '',
        placement   TEXT CHECK (placement IS NULL OR json_valid(placement)),
        reason      TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        next_at     TEXT NOT NULL,
        give_up_at  TEXT NOT NULL,
        last_error  TEXT,
        created_at  TEXT NOT NULL,
        UNIQUE (target, key)
      );
      CREATE INDEX upstream_cancellations_due ON upstream_cancellations (next_at);
    `,
  },
  {
    version: 36,
    name: 'the placements a shop is sending its suppliers, recorded before they are sent',
    sql: `
      -- A shop that stopped (a crash, kill -9) while it placed an order at a supplier left the supplier holding an
      -- order nobody here knew of: what the shop sent was recorded nowhere. Each placement is now recorded before it
      -- is sent (\`sending\` = 1: the supplier's orders collection, or the order amended, with the Idempotency-Key and
      -- the lines sent), and forgotten in the transaction that stores what the supplier answered. One still here
      -- when the node starts was cut off: it becomes a cancellation owed (\`sending\` = 0), found by the same POST.
      ALTER TABLE upstream_cancellations ADD COLUMN sending INTEGER NOT NULL DEFAULT 0 CHECK (sending IN (0, 1));
    `,
  },
  {
    version: 37,
    name: 'peer ids never given twice',
    sql: `
      -- A peer's id was its row id: removing the highest-numbered peer made its id the next peer's, and what named the
      -- removed one (its N-Quads graph \`/api/sync/peers/6\`, \`source: peer:6\` in rows and CSV exports, a \`peer=6\`
      -- bookmark) named another peer. The highest id removed is kept, and a new peer is numbered past it (the store's
      -- INSERT), as listings are (migration 33).
      INSERT INTO meta (key, value) SELECT 'peer_id', n FROM (SELECT CAST(max(id) AS TEXT) AS n FROM peers) WHERE n IS NOT NULL
        ON CONFLICT (key) DO NOTHING;
      CREATE TRIGGER peers_keep_id AFTER DELETE ON peers BEGIN
        INSERT INTO meta (key, value) VALUES ('peer_id', CAST(old.id AS TEXT))
          ON CONFLICT (key) DO UPDATE SET value = CAST(max(CAST(value AS INTEGER), old.id) AS TEXT);
      END;
    `,
  },
  {
    version: 38,
    name: 'an offer with a stock of its own limits the orders through it, and its published stock follows them',
    sql: `
      -- An offer given a stock of its own (a write of the offer alone, as Open Food Network's OffersController sends,
      -- with another number than its item's) published that number, but orders reserved from the item's ledger only:
      -- an offer published with 3 took an order of 10, and still said 3 after an order of 2. Such an offer now has a
      -- ledger of its own, moved as the item's is (conditional statements in the order's transaction, the invariant
      -- checked here), and an order line through it needs both. An offer whose stock is its item's (or none) mirrors
      -- the item and has no ledger of its own. Its own stock stops being its own by a write of the offer only (alone,
      -- or with its item), never because a write of the item or the orders made the numbers equal; one that stops
      -- having its own stock while orders hold some of it keeps the row (\`own\` 0, limiting nothing) until they
      -- are released, so that a release never lands in a new ledger.
      CREATE TABLE offer_stock (
        offer_iri TEXT PRIMARY KEY,
        item_iri  TEXT NOT NULL,
        eid       TEXT NOT NULL REFERENCES enterprises (eid) ON DELETE CASCADE,
        own       INTEGER NOT NULL DEFAULT 1 CHECK (own IN (0, 1)),
        initial   NUMERIC NOT NULL,
        restocked NUMERIC NOT NULL DEFAULT 0,
        available NUMERIC NOT NULL CHECK (available >= 0),
        reserved  NUMERIC NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        sold      NUMERIC NOT NULL DEFAULT 0 CHECK (sold >= 0),
        CHECK (abs(initial + restocked - available - reserved - sold)
          < max(1e-6, 1e-12 * (abs(initial) + abs(restocked) + available + reserved + sold)))
      );
      CREATE INDEX offer_stock_by_item ON offer_stock (item_iri);
      CREATE INDEX offer_stock_by_enterprise ON offer_stock (eid);
      -- How much of its offer's own ledger a line holds (0: the offer had none when the line was reserved, or a listing's line).
      ALTER TABLE order_lines ADD COLUMN offer_reserved NUMERIC NOT NULL DEFAULT 0 CHECK (offer_reserved >= 0);
      INSERT INTO offer_stock (offer_iri, item_iri, eid, own, initial, available)
        SELECT o.iri, json_extract(o.record, '$.item'), o.eid, 1, max(json_extract(o.record, '$.stock'), 0), max(json_extract(o.record, '$.stock'), 0)
        FROM resources o
        WHERE o.kind = 'Offer' AND json_extract(o.record, '$.item') IS NOT NULL
          AND o.stock IS NOT NULL AND o.stock IS NOT (SELECT i.stock FROM resources i WHERE i.iri = json_extract(o.record, '$.item'))
          AND o.stock IS NOT (SELECT s.available FROM stock s WHERE s.item_iri = json_extract(o.record, '$.item') AND s.on_demand = 0);
      -- An offer's stock written: its own when it is a number other than its item's (published or in its ledger: the
      -- orders publish the offers that mirror the item before the item). The orders' own publication of an offer's
      -- ledger (the stock its ledger has) is no write of its stock.
      CREATE TRIGGER offer_stock_on_offer_write AFTER UPDATE OF record ON resources
        WHEN new.kind = 'Offer' AND old.stock IS NOT new.stock
          AND NOT EXISTS (SELECT 1 FROM offer_stock WHERE offer_iri = new.iri AND own = 1 AND available IS new.stock) BEGIN
        DELETE FROM offer_stock WHERE offer_iri = new.iri AND reserved = 0 AND NOT (new.stock IS NOT NULL AND new.stock IS NOT (SELECT i.stock FROM resources i WHERE i.iri = json_extract(new.record, '$.item'))
          AND new.stock IS NOT (SELECT s.available FROM stock s WHERE s.item_iri = json_extract(new.record, '$.item') AND s.on_demand = 0));
        UPDATE offer_stock SET own = 0 WHERE offer_iri = new.iri AND own = 1 AND NOT (new.stock IS NOT NULL AND new.stock IS NOT (SELECT i.stock FROM resources i WHERE i.iri = json_extract(new.record, '$.item'))
          AND new.stock IS NOT (SELECT s.available FROM stock s WHERE s.item_iri = json_extract(new.record, '$.item') AND s.on_demand = 0));
        INSERT INTO offer_stock (offer_iri, item_iri, eid, own, initial, available)
          SELECT new.iri, json_extract(new.record, '$.item'), new.eid, 1, max(json_extract(new.record, '$.stock'), 0), max(json_extract(new.record, '$.stock'), 0)
          WHERE json_extract(new.record, '$.item') IS NOT NULL AND new.stock IS NOT NULL AND new.stock IS NOT (SELECT i.stock FROM resources i WHERE i.iri = json_extract(new.record, '$.item'))
          AND new.stock IS NOT (SELECT s.available FROM stock s WHERE s.item_iri = json_extract(new.record, '$.item') AND s.on_demand = 0)
          ON CONFLICT (offer_iri) DO UPDATE SET own = 1, item_iri = excluded.item_iri, restocked = (round(restocked * 1e6) + round(excluded.available * 1e6) - round(available * 1e6)) / 1e6, available = excluded.available
          WHERE own = 0 OR available IS NOT excluded.available;
      END;
      CREATE TRIGGER offer_stock_on_offer_insert AFTER INSERT ON resources WHEN new.kind = 'Offer' BEGIN
        INSERT INTO offer_stock (offer_iri, item_iri, eid, own, initial, available)
          SELECT new.iri, json_extract(new.record, '$.item'), new.eid, 1, max(json_extract(new.record, '$.stock'), 0), max(json_extract(new.record, '$.stock'), 0)
          WHERE json_extract(new.record, '$.item') IS NOT NULL AND new.stock IS NOT NULL AND new.stock IS NOT (SELECT i.stock FROM resources i WHERE i.iri = json_extract(new.record, '$.item'))
          AND new.stock IS NOT (SELECT s.available FROM stock s WHERE s.item_iri = json_extract(new.record, '$.item') AND s.on_demand = 0)
          ON CONFLICT (offer_iri) DO UPDATE SET own = 1, item_iri = excluded.item_iri, restocked = (round(restocked * 1e6) + round(excluded.available * 1e6) - round(available * 1e6)) / 1e6, available = excluded.available;
      END;
      CREATE TRIGGER offer_stock_on_offer_delete AFTER DELETE ON resources WHEN old.kind = 'Offer' BEGIN
        DELETE FROM offer_stock WHERE offer_iri = old.iri AND reserved = 0;
        UPDATE offer_stock SET own = 0 WHERE offer_iri = old.iri;
      END;
      -- The item's triggers decide its offers' again before they restock its ledger (one trigger: the order of two
      -- is not SQLite's promise), as migration 28 wrote them otherwise.
      DROP TRIGGER stock_on_item_insert;
      DROP TRIGGER stock_on_item_update;
      CREATE TRIGGER stock_on_item_insert AFTER INSERT ON resources WHEN new.kind = 'CatalogItem' BEGIN
        -- Its offers' stock, when the item's is written (not when the orders publish what its ledger has left): an
        -- offer saying another number than the item's new stock has its own. One with a stock of its own keeps it,
        -- whatever the item's new number: it stops being its own by a write of the offer only, never because the
        -- numbers came to be equal (the item's writers do not write it as a mirror). The offers written with the
        -- item (in the same write: its time, and a version, which the orders' publication leaves out) were compared
        -- with its stock before it when the statement wrote them first: one saying the item's new stock mirrors it,
        -- as the seller wrote them together. A ledger of an offer that says the item's stock, no longer its own,
        -- goes when it holds nothing.
        DELETE FROM offer_stock WHERE 1 AND item_iri = new.iri AND reserved = 0
          AND offer_iri IN (SELECT r.iri FROM resources r WHERE r.iri IN (SELECT value FROM json_each(new.record, '$.offers'))
            AND (r.stock IS NULL OR r.stock IS new.stock))
          AND (own = 0 OR offer_iri IN (SELECT r.iri FROM resources r WHERE r.iri = offer_stock.offer_iri AND r.updated_at IS new.updated_at AND r.version IS NOT NULL));
        UPDATE offer_stock SET own = 0 WHERE 1 AND item_iri = new.iri AND own = 1
          AND offer_iri IN (SELECT r.iri FROM resources r WHERE r.iri IN (SELECT value FROM json_each(new.record, '$.offers'))
            AND (r.stock IS NULL OR r.stock IS new.stock) AND r.updated_at IS new.updated_at AND r.version IS NOT NULL);
        INSERT INTO offer_stock (offer_iri, item_iri, eid, own, initial, available)
          SELECT r.iri, new.iri, r.eid, 1, max(json_extract(r.record, '$.stock'), 0), max(json_extract(r.record, '$.stock'), 0) FROM resources r
          WHERE 1 AND r.iri IN (SELECT value FROM json_each(new.record, '$.offers')) AND r.kind = 'Offer' AND r.eid = new.eid
            AND r.stock IS NOT NULL AND r.stock IS NOT new.stock
          ON CONFLICT (offer_iri) DO UPDATE SET own = 1, item_iri = excluded.item_iri, restocked = (round(restocked * 1e6) + round(excluded.available * 1e6) - round(available * 1e6)) / 1e6, available = excluded.available WHERE own = 0;
        INSERT INTO stock (item_iri, eid, on_demand, initial, available)
        VALUES (new.iri, new.eid, json_extract(new.record, '$.stock') IS NULL, max(COALESCE(json_extract(new.record, '$.stock'), 0), 0),
          max(COALESCE(json_extract(new.record, '$.stock'), 0), 0))
        ON CONFLICT (item_iri) DO UPDATE SET eid = excluded.eid, on_demand = excluded.on_demand,
          restocked = (round(restocked * 1e6) + round(excluded.available * 1e6) - round(available * 1e6)) / 1e6, available = excluded.available;
      END;
      CREATE TRIGGER stock_on_item_update AFTER UPDATE OF record ON resources WHEN new.kind = 'CatalogItem' BEGIN
        -- Its offers' stock, as when it is inserted.
        DELETE FROM offer_stock WHERE (old.stock IS NOT new.stock AND new.stock IS NOT (SELECT available FROM stock WHERE item_iri = new.iri AND on_demand = 0)) AND item_iri = new.iri AND reserved = 0
          AND offer_iri IN (SELECT r.iri FROM resources r WHERE r.iri IN (SELECT value FROM json_each(new.record, '$.offers'))
            AND (r.stock IS NULL OR r.stock IS new.stock))
          AND (own = 0 OR offer_iri IN (SELECT r.iri FROM resources r WHERE r.iri = offer_stock.offer_iri AND r.updated_at IS new.updated_at AND r.version IS NOT NULL));
        UPDATE offer_stock SET own = 0 WHERE (old.stock IS NOT new.stock AND new.stock IS NOT (SELECT available FROM stock WHERE item_iri = new.iri AND on_demand = 0)) AND item_iri = new.iri AND own = 1
          AND offer_iri IN (SELECT r.iri FROM resources r WHERE r.iri IN (SELECT value FROM json_each(new.record, '$.offers'))
            AND (r.stock IS NULL OR r.stock IS new.stock) AND r.updated_at IS new.updated_at AND r.version IS NOT NULL);
        INSERT INTO offer_stock (offer_iri, item_iri, eid, own, initial, available)
          SELECT r.iri, new.iri, r.eid, 1, max(json_extract(r.record, '$.stock'), 0), max(json_extract(r.record, '$.stock'), 0) FROM resources r
          WHERE (old.stock IS NOT new.stock AND new.stock IS NOT (SELECT available FROM stock WHERE item_iri = new.iri AND on_demand = 0)) AND r.iri IN (SELECT value FROM json_each(new.record, '$.offers')) AND r.kind = 'Offer' AND r.eid = new.eid
            AND r.stock IS NOT NULL AND r.stock IS NOT new.stock
          ON CONFLICT (offer_iri) DO UPDATE SET own = 1, item_iri = excluded.item_iri, restocked = (round(restocked * 1e6) + round(excluded.available * 1e6) - round(available * 1e6)) / 1e6, available = excluded.available WHERE own = 0;
        INSERT INTO stock (item_iri, eid, on_demand, initial, available)
        VALUES (new.iri, new.eid, json_extract(new.record, '$.stock') IS NULL, max(COALESCE(json_extract(new.record, '$.stock'), 0), 0),
          max(COALESCE(json_extract(new.record, '$.stock'), 0), 0))
        ON CONFLICT (item_iri) DO UPDATE SET on_demand = excluded.on_demand,
          restocked = CASE WHEN excluded.on_demand = 1 THEN restocked
            ELSE (round(restocked * 1e6) + round(excluded.available * 1e6) - round(available * 1e6)) / 1e6 END,
          available = CASE WHEN excluded.on_demand = 1 THEN available ELSE excluded.available END
        WHERE on_demand IS NOT excluded.on_demand OR (excluded.on_demand = 0 AND available IS NOT excluded.available);
      END;
    `,
  },
  {
    version: 39,
    name: 'the relays of a peer\'s enterprises found without reading its rows',
    sql: `
      -- After a peer's snapshot, the rows of other peers relaying its enterprises are looked for (federated-index.ts,
      -- peerDependents): its enterprises were found by reading every resource of the peer (a 200,000-offer peer's
      -- 600,000 records, about a second), and each of the peer's own catalog items naming them was read from the table
      -- to learn its source and rank. The first comes from this partial index (one entry per enterprise), the second
      -- from federated_by_enterprise alone, which now holds them (its order, by enterprise and name, is unchanged).
      -- Measured on the apply of a 200,000-offer first snapshot: 1.3 s of that statement down to 0.1 s.
      CREATE INDEX peer_resources_enterprises ON peer_resources (peer_id) WHERE kind = 'Enterprise' AND authoritative = 1;
      DROP INDEX federated_by_enterprise;
      CREATE INDEX federated_by_enterprise ON federated_entries (enterprise_iri, enterprise_name, enterprise_rank, peer_id);
    `,
  },
  {
    version: 40,
    name: 'a peer being synced reads as syncing, not failed',
    sql: `
      -- A sync was recorded as a failure before it began (so that a process dying during it leaves the peer in backoff):
      -- every healthy peer read as failed, a failure counted, while it synced, and a failing peer's real error was hidden.
      -- The sync now marks the peer as syncing (when, and which process) and sets its backoff, its last outcome and error
      -- kept; the marker becomes a failure only once the process that wrote it is gone (the next start, or the next sync).
      ALTER TABLE peers ADD COLUMN sync_started_at TEXT;
      ALTER TABLE peers ADD COLUMN sync_owner TEXT;
    `,
  },
  {
    version: 41,
    name: 'sync runs staged outside the database',
    sql: `
      -- A big peer's run staged 820 MB in sync_staging: written to the write-ahead log, copied into the file by the
      -- checkpoints, then deleted through the log again. It is staged in a database of its own now, beside this one
      -- (<db>-staging, attached as "staging": provenance-store.ts), without a log or fsyncs; its trigger, which can
      -- only name a table of the same database, is a temporary one of the writer's connection. What is staged is a run
      -- in progress, which an upgrade (a restart) ends: nothing of it is kept.
      DROP TRIGGER sync_runs_staging_gone;
      DELETE FROM sync_runs;
      DROP TABLE main.sync_staging;
    `,
  },
  {
    version: 42,
    name: 'an offer with a stock of its own publishes what can be ordered through it',
    sql: `
      -- An offer with a stock of its own (migration 38) published its own ledger's stock, whatever its item had left:
      -- an offer said 3 while its item had 1, a shop showed 3, and an order of 3 got a 409. It now publishes what can be
      -- ordered through it, the smaller of the two (an item on demand, or with no ledger, limits nothing), in the same
      -- transactions as before (the orders' publication, order-store.ts) and after every write of an offer or an item.
      -- The ledgers are unchanged. The offer's trigger knows that publication for what it is, as it knew its ledger's
      -- own: a write of the stock (a version: the writers' records have one, the publications none) saying the item's
      -- smaller stock is not the offer's new stock, which would have taken its ledger away.
      DROP TRIGGER offer_stock_on_offer_write;
      CREATE TRIGGER offer_stock_on_offer_write AFTER UPDATE OF record ON resources
        WHEN new.kind = 'Offer' AND old.stock IS NOT new.stock
          AND NOT EXISTS (SELECT 1 FROM offer_stock o LEFT JOIN stock s ON s.item_iri = o.item_iri WHERE o.offer_iri = new.iri AND o.own = 1
            AND (o.available IS new.stock OR (new.version IS NULL AND new.stock IS (CASE WHEN s.on_demand = 0 AND s.available < o.available THEN s.available ELSE o.available END)))) BEGIN
        DELETE FROM offer_stock WHERE offer_iri = new.iri AND reserved = 0 AND NOT (new.stock IS NOT NULL AND new.stock IS NOT (SELECT i.stock FROM resources i WHERE i.iri = json_extract(new.record, '$.item'))
          AND new.stock IS NOT (SELECT s.available FROM stock s WHERE s.item_iri = json_extract(new.record, '$.item') AND s.on_demand = 0));
        UPDATE offer_stock SET own = 0 WHERE offer_iri = new.iri AND own = 1 AND NOT (new.stock IS NOT NULL AND new.stock IS NOT (SELECT i.stock FROM resources i WHERE i.iri = json_extract(new.record, '$.item'))
          AND new.stock IS NOT (SELECT s.available FROM stock s WHERE s.item_iri = json_extract(new.record, '$.item') AND s.on_demand = 0));
        INSERT INTO offer_stock (offer_iri, item_iri, eid, own, initial, available)
          SELECT new.iri, json_extract(new.record, '$.item'), new.eid, 1, max(json_extract(new.record, '$.stock'), 0), max(json_extract(new.record, '$.stock'), 0)
          WHERE json_extract(new.record, '$.item') IS NOT NULL AND new.stock IS NOT NULL AND new.stock IS NOT (SELECT i.stock FROM resources i WHERE i.iri = json_extract(new.record, '$.item'))
          AND new.stock IS NOT (SELECT s.available FROM stock s WHERE s.item_iri = json_extract(new.record, '$.item') AND s.on_demand = 0)
          ON CONFLICT (offer_iri) DO UPDATE SET own = 1, item_iri = excluded.item_iri, restocked = (round(restocked * 1e6) + round(excluded.available * 1e6) - round(available * 1e6)) / 1e6, available = excluded.available
          WHERE own = 0 OR available IS NOT excluded.available;
      END;
      -- What the offers with a stock of their own publish from now on.
      UPDATE resources SET record = json_set(record, '$.stock', json(CASE WHEN p.stock <> 0 AND abs(p.stock) < 1e-4 THEN rtrim(rtrim(printf('%.6f', p.stock), '0'), '.') ELSE printf('%.15g', p.stock) END)), stock = p.stock, version = NULL,
          updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
        FROM (SELECT o.offer_iri AS iri, o.eid AS eid, CASE WHEN s.on_demand = 0 AND s.available < o.available THEN s.available ELSE o.available END AS stock FROM offer_stock o LEFT JOIN stock s ON s.item_iri = o.item_iri WHERE o.own = 1) AS p
        WHERE resources.iri = p.iri AND resources.eid = p.eid AND resources.kind = 'Offer' AND json_extract(resources.record, '$.stock') IS NOT p.stock;
    `,
  },
  {
    version: 43,
    name: 'fewer indexes for every row of the federated index to enter: the supply kept by stock, circles of any size by cell',
    sql: `
      -- Every row a sync writes enters each index of federated_entries: a 200,000-offer peer's first snapshot spent about
      -- 10 s of CPU in its insert, half of it in the secondary indexes. Two of them are dropped, and two made one:
      -- measured in instructions of SQLite inserting 40,000 rows (cachegrind), 10 % of the insert (federated_supply, the
      -- widest: about 400 bytes an entry), 4.5 % (federated_by_place), 3 % (the two by enterprise made one, below).
      --  - federated_supply covered the summaries grouped from the rows. The kept groups (migration 17) answer every
      --    summary but those of a circle, a box or a text (read through the cell index or the full-text hits): the
      --    groups now keep, beside their counts, the products and offers in stock and the products out of stock (and
      --    where the rows of each are), so that a summary of what is in stock (or not) is read from them too.
      --  - federated_by_place (winner, latitude, longitude) served circles and boxes too big for a list of cells: they
      --    are read as a range of cells of federated_listed_by_cell now (federated-index.ts, whereOf).
      DROP INDEX federated_supply;
      DROP INDEX federated_by_place;
      -- (The listed rows' indexes by type and by name keep the types' IRIs: with the short keys of the cell index, 3.5 %
      -- less to insert, SQLite no longer read them as covering, a virtual column's value being computed from the row.)
      -- One index of the rows by enterprise where there were two (the listed rows' word about each, migration 25, and every
      -- row's source and rank, migration 39): it holds every row, with whether it is listed, and what a map shows of its
      -- enterprise. The directory reads the listed rows' entries from it alone; the relays of a peer's enterprises are
      -- found in it, and compared with the peer's word, without reading their rows.
      DROP INDEX federated_listed_enterprises;
      DROP INDEX federated_by_enterprise;
      CREATE INDEX federated_by_enterprise ON federated_entries (enterprise_iri, enterprise_rank, peer_id, enterprise_name, city, postcode,
        latitude, longitude, winner, withdrawn);
      ALTER TABLE federated_supply_groups ADD COLUMN stocked_products INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE federated_supply_groups ADD COLUMN unstocked_products INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE federated_supply_groups ADD COLUMN stocked_offers INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE federated_supply_groups ADD COLUMN stocked_lat REAL;
      ALTER TABLE federated_supply_groups ADD COLUMN stocked_lon REAL;
      ALTER TABLE federated_supply_groups ADD COLUMN unstocked_lat REAL;
      ALTER TABLE federated_supply_groups ADD COLUMN unstocked_lon REAL;
      -- Every source's groups are computed again (with their new counts) before the next summary reads them.
      INSERT OR IGNORE INTO federated_supply_dirty (peer_key) SELECT id FROM peers UNION SELECT -1;
    `,
  },
  {
    version: 44,
    name: 'a sync run begun takes the place of its peer\'s earlier one in the statement that begins it',
    sql: `
      -- A peer is synced once at a time: a run of it still here when another begins died with its process, and goes
      -- (with its staging, through the writer's trigger on deleted runs). Done by the insert itself, a run begins in
      -- one statement, and the runs of several peers begun at once in one: each statement the writer sends waits for a
      -- turn of the main thread, which a national sync keeps busy decoding pages (issue 16).
      CREATE TRIGGER sync_runs_one_per_peer AFTER INSERT ON sync_runs BEGIN
        DELETE FROM sync_runs WHERE peer_id = new.peer_id AND id <> new.id;
      END;
    `,
  },
];

/** The schema version this code writes: the highest migration it knows. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/**
 * A database whose schema is newer than this code knows: it was written by a newer Maillon. Opening it would
 * run old code on tables it does not understand, so it is refused before any write.
 */
export class SchemaTooNewError extends Error {
  public constructor(
    public readonly found: number,
    public readonly known: number,
    path?: string,
  ) {
    super(`${path !== undefined ? `${path}: ` : ''}this database was written by a newer Maillon (schema ${found}, this version knows up to ${known}); `
      + 'upgrade Maillon or restore a backup');
    this.name = 'SchemaTooNewError';
  }
}

/** What one read of the `schema_migrations` table says about a database. */
interface SchemaReader {
  get<T>(sql: string, params?: readonly []): Promise<T | undefined>;
}

/**
 * The highest migration recorded in a database: 0 for an empty one (no `schema_migrations` table yet).
 *
 * @param reader - any connection to it, read-only is enough
 */
export async function recordedSchemaVersion(reader: SchemaReader): Promise<number> {
  const table = await reader.get<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (table === undefined) return 0;
  return (await reader.get<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations'))?.version ?? 0;
}

/**
 * Applies the migrations a database does not have yet, each in a transaction of its own: a migration that fails
 * is rolled back whole and stops the run, leaving the database at the version before it (and the error thrown).
 * A database recorded at a version above the last migration is refused ({@link SchemaTooNewError}) without a write.
 *
 * @param migrations - the migrations to apply (default {@link MIGRATIONS}; tests give others)
 * @returns the versions applied now
 */
export async function migrate(db: SqliteDatabase, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const found = await recordedSchemaVersion(db.reader);
  if (found > known) throw new SchemaTooNewError(found, known, db.path);
  await db.transaction((tx) =>
    tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)'),
  );
  const applied = new Set(
    (await db.transaction((tx) => tx.all<{ version: number }>('SELECT version FROM schema_migrations'))).map((r) => r.version),
  );
  const done: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    await db.transaction(async (tx) => {
      await tx.exec(migration.sql);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version, migration.name, new Date().toISOString(),
      ]);
    }, { alone: true });
    done.push(migration.version);
  }
  return done;
}
