/**
 * A Bloom filter of IRIs: a few bits per IRI say for sure that an IRI was never added (and only perhaps that it
 * was). A snapshot of a big peer asks of every page which of its resources an earlier page listed already; nearly
 * always none did, and the filter answers that without a query (the store is asked only of the IRIs it may hold).
 *
 * @packageDocumentation
 */

/** Bits of a filter: 8 Mbit (1 MiB) keep false positives under 1 % up to about 800,000 IRIs. */
const DEFAULT_BITS = 1 << 23;
/** Bit positions per IRI. */
const HASHES = 4;

/** Two 32-bit FNV-1a hashes of a text (different seeds), combined into the filter's positions. */
function hashes(text: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [a >>> 0, (b | 1) >>> 0];
}

/** A set of IRIs that answers "surely not added" or "perhaps added". */
export class IriFilter {
  private readonly bits: Uint32Array;
  private readonly mask: number;
  /** How many IRIs were added. */
  public size = 0;

  /**
   * A filter of `bits` bits.
   *
   * @param bits - a power of two (rounded up to one), at least 32
   */
  public constructor(bits = DEFAULT_BITS) {
    const size = 2 ** Math.max(5, Math.ceil(Math.log2(bits)));
    this.bits = new Uint32Array(size / 32);
    this.mask = size - 1;
  }

  /** Adds an IRI. */
  public add(iri: string): void {
    const [h1, h2] = hashes(iri);
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) | (1 << (bit & 31));
    }
    this.size++;
  }

  /** False when the IRI was surely never added; true when it may have been. */
  public mayHave(iri: string): boolean {
    const [h1, h2] = hashes(iri);
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + Math.imul(i, h2)) & this.mask;
      if (((this.bits[bit >>> 5] as number) & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
