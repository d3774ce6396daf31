/**
 * The SQLite implementation of {@link FederationStore}: the provenance store and the federated index over
 * one database, as the one object `NodeStore.federation` gives.
 *
 * @packageDocumentation
 */
import type { DfcRecord } from '../../../ontology/records.js';
import type {
  FederatedMatch, FederatedQuery, FederatedRow, FederationStore, HeldResource, NewPeer, PeerRow, QuarantinedRecord, SnapshotWrite,
  SourceValidators, SyncSummary,
} from '../federation.js';
import type { SqliteDatabase } from './database.js';
import { SqliteFederatedIndex } from './federated-index.js';
import { SqliteProvenanceStore } from './provenance-store.js';

/** {@link FederationStore} on SQLite: each call goes to the side it belongs to. */
export class SqliteFederationStore implements FederationStore {
  /** Peers, what they said, and their snapshots (which also rebuild their rows of the index). */
  public readonly provenance: SqliteProvenanceStore;
  /** The federated index and the records behind it. */
  public readonly index: SqliteFederatedIndex;

  public constructor(db: SqliteDatabase) {
    this.provenance = new SqliteProvenanceStore(db);
    this.index = new SqliteFederatedIndex(db);
  }

  public addPeer(peer: NewPeer, origin: string): Promise<PeerRow> {
    return this.provenance.addPeer(peer, origin);
  }

  public listPeers(): Promise<PeerRow[]> {
    return this.provenance.listPeers();
  }

  public getPeer(idOrName: string | number): Promise<PeerRow | undefined> {
    return this.provenance.getPeer(idOrName);
  }

  public removePeer(id: number): Promise<boolean> {
    return this.provenance.removePeer(id);
  }

  public recordAttempt(id: number, state: {
    status: 'ok' | 'failed'; at: string; nextAttemptAt: string; failures: number; error: string | null; summary: SyncSummary | null;
  }): Promise<void> {
    return this.provenance.recordAttempt(id, state);
  }

  public sources(peerId: number): Promise<Map<string, SourceValidators>> {
    return this.provenance.sources(peerId);
  }

  public held(peerId: number): Promise<Map<string, HeldResource>> {
    return this.provenance.held(peerId);
  }

  public heldOf(peerId: number, iris: readonly string[]): Promise<Map<string, HeldResource>> {
    return this.provenance.heldOf(peerId, iris);
  }

  public applySnapshot(peerId: number, write: SnapshotWrite): Promise<void> {
    return this.provenance.applySnapshot(peerId, write);
  }

  public quarantine(peerId: number): Promise<QuarantinedRecord[]> {
    return this.provenance.quarantine(peerId);
  }

  public peerCounts(peerId: number): Promise<{ active: number; missing: number; withdrawn: number }> {
    return this.provenance.peerCounts(peerId);
  }

  public refreshLocal(versions: ReadonlyMap<string, number>, recordsOf: (eid: string) => Promise<DfcRecord[]>): Promise<void> {
    return this.index.refreshLocal(versions, recordsOf);
  }

  public queryEntries(query: FederatedQuery): Promise<FederatedRow[]> {
    return this.index.queryEntries(query);
  }

  public queryMatches(query: FederatedQuery): Promise<FederatedMatch[]> {
    return this.index.queryMatches(query);
  }

  public entriesByIds(ids: readonly number[]): Promise<FederatedRow[]> {
    return this.index.entriesByIds(ids);
  }

  public rowsOfKeys(productKeys: readonly string[]): Promise<FederatedRow[]> {
    return this.index.rowsOfKeys(productKeys);
  }

  public recordsIn(source: string, iris: readonly string[]): Promise<DfcRecord[]> {
    return this.index.recordsIn(source, iris);
  }

  public recordsOf(iris: readonly string[]): Promise<Map<string, { record: DfcRecord; source: string }>> {
    return this.index.recordsOf(iris);
  }
}
