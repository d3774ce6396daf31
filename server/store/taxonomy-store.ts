/**
 * Where the taxonomies an operator loads are kept: one JSON file of normalised concepts per taxonomy, under
 * the node's data directory. Read once at start-up; the built-in units and starter product types are
 * always there underneath.
 *
 * @packageDocumentation
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Taxonomy, type Concept } from '../../ontology/taxonomy.js';

/** A stored taxonomy's name and size. */
export interface StoredTaxonomy {
  readonly name: string;
  readonly concepts: number;
}

/** Taxonomies kept as files in `<dataDir>/taxonomies/`. */
export class FileTaxonomyStore {
  private readonly dir: string;

  public constructor(dataDir: string) {
    this.dir = join(dataDir, 'taxonomies');
  }

  /**
   * Stores (or replaces) a taxonomy. The file is written beside and renamed into place, so a crash never
   * leaves half a taxonomy behind.
   *
   * @param name - a file-safe name (`productTypes`)
   * @param concepts - the concepts
   */
  public save(name: string, concepts: readonly Concept[]): void {
    if (!/^[A-Za-z0-9_-]{1,64}$/u.test(name)) throw new TypeError(`invalid taxonomy name ${JSON.stringify(name)}`);
    mkdirSync(this.dir, { recursive: true });
    const target = join(this.dir, `${name}.json`);
    const temporary = `${target}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ name, concepts }));
    renameSync(temporary, target);
  }

  /** The stored taxonomies. */
  public list(): StoredTaxonomy[] {
    return this.files().map((file) => {
      const { name, concepts } = this.read(file);
      return { name, concepts: concepts.length };
    });
  }

  /** The built-in taxonomy with every stored one added. */
  public load(): Taxonomy {
    let taxonomy = Taxonomy.builtin();
    for (const file of this.files()) taxonomy = taxonomy.with(this.read(file).concepts);
    return taxonomy;
  }

  private files(): string[] {
    try {
      return readdirSync(this.dir).filter((f) => f.endsWith('.json')).sort();
    } catch {
      return [];
    }
  }

  private read(file: string): { name: string; concepts: Concept[] } {
    return JSON.parse(readFileSync(join(this.dir, file), 'utf8')) as { name: string; concepts: Concept[] };
  }
}
