/**
 * The port of what this node published into Solid pods: one row per pod resource it wrote, so that a
 * publication writes again only what changed, and conditionally on the ETag the pod gave.
 *
 * @packageDocumentation
 */

/** One pod resource this node wrote. */
export interface PublishedResource {
  /** The resource's absolute URL in the pod. */
  readonly url: string;
  /** The publication's container (absolute URL, with a final slash). */
  readonly container: string;
  /** The enterprise published. */
  readonly eid: string;
  /** Hash of the Turtle written: the same hash, nothing to write. */
  readonly hash: string;
  /** The ETag the pod gave for what we wrote (the `If-Match` of the next write); null when it gave none. */
  readonly etag: string | null;
  readonly publishedAt: string;
}

/** What was published, per container. */
export interface SolidLedger {
  /** Every resource written under a container. */
  published(container: string): Promise<PublishedResource[]>;
  /** Records (or replaces) one resource written. */
  record(resource: PublishedResource): Promise<void>;
  /** Forgets a resource (deleted from the pod, or found gone). */
  forget(url: string): Promise<void>;
}
