/**
 * Where the JSON-LD contexts an operator stores (`maillon context add`) are kept: one JSON file per context in
 * `<dataDir>/contexts/`, named by a hash of its URL (a URL is no safe file name), holding the URL, when it
 * was added, its size and the context itself. Read once at start-up, as the taxonomies are.
 *
 * The store keeps what it is given: checking a context (JSON-LD that jsonld.js can process, no DFC URL
 * overridden) is the codec's work, before {@link FileContextStore.save}.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A stored context as listed: its URL, size and when it was added. */
export interface StoredContextInfo {
  readonly url: string;
  /** Size of the context document as it was given, in bytes. */
  readonly bytes: number;
  /** ISO 8601 date and time it was added (or last replaced). */
  readonly addedAt: string;
}

/** A stored context: its description and its `@context` value (an object, or an array of contexts). */
export interface StoredContext extends StoredContextInfo {
  readonly context: Readonly<Record<string, unknown>> | readonly unknown[];
}

/** A file of the contexts folder that could not be read (hand-edited, truncated by a full disk). */
export interface UnreadableContextFile {
  readonly file: string;
  readonly reason: string;
}

/** Contexts kept as files in `<dataDir>/contexts/`. */
export class FileContextStore {
  /** The folder the files are in. */
  public readonly dir: string;

  public constructor(dataDir: string) {
    this.dir = join(dataDir, 'contexts');
  }

  /**
   * Stores (or replaces) a context. The file is written beside and renamed into place, so a crash never leaves
   * half a context behind.
   *
   * @param context - the URL (already normalised by the caller), the size, the date and the `@context` value
   */
  public save(context: StoredContext): void {
    mkdirSync(this.dir, { recursive: true });
    const target = this.fileOf(context.url);
    const temporary = `${target}.${process.pid}.tmp`;
    const { url, bytes, addedAt } = context;
    writeFileSync(temporary, JSON.stringify({ url, bytes, addedAt, document: { '@context': context.context } }));
    renameSync(temporary, target);
  }

  /**
   * Removes a stored context.
   *
   * @param url - its URL, as stored
   * @returns whether it was stored
   */
  public remove(url: string): boolean {
    const target = this.fileOf(url);
    try {
      rmSync(target);
      return true;
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  /**
   * The file a context is (or would be) kept in.
   *
   * @param url - its URL, as stored
   */
  public fileOf(url: string): string {
    return join(this.dir, fileName(url));
  }

  /** The stored contexts, by URL, and the files that could not be read. */
  public load(): { contexts: StoredContext[]; unreadable: UnreadableContextFile[] } {
    const contexts: StoredContext[] = [];
    const unreadable: UnreadableContextFile[] = [];
    for (const file of this.files()) {
      const read = this.read(file);
      if (typeof read === 'string') unreadable.push({ file: join(this.dir, file), reason: read });
      else contexts.push(read);
    }
    return { contexts: contexts.sort((a, b) => a.url.localeCompare(b.url)), unreadable };
  }

  private files(): string[] {
    try {
      return readdirSync(this.dir).filter((f) => f.endsWith('.json')).sort();
    } catch {
      return [];
    }
  }

  /** A stored context, or why the file is not one. */
  private read(file: string): StoredContext | string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(join(this.dir, file), 'utf8'));
    } catch (error: unknown) {
      return `not JSON (${error instanceof Error ? error.message : String(error)})`;
    }
    const { url, bytes, addedAt, document } = (parsed ?? {}) as { url?: unknown; bytes?: unknown; addedAt?: unknown; document?: { '@context'?: unknown } };
    const context = document?.['@context'];
    if (typeof url !== 'string' || typeof context !== 'object' || context === null) return 'not a stored context (no "url" or no "document" with an "@context")';
    // A file renamed or copied by hand would answer for another URL than its name says: it is not trusted.
    if (fileName(url) !== file) return `its name is not that of its URL ${url}`;
    return {
      url, context: context as StoredContext['context'],
      bytes: typeof bytes === 'number' ? bytes : 0, addedAt: typeof addedAt === 'string' ? addedAt : '',
    };
  }
}

/** The file a context URL is kept in: a hash, so that any URL makes a safe and distinct name. */
function fileName(url: string): string {
  return `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.json`;
}
