/**
 * A process's shadow of its memory (page address -> stamp of the pattern last written there): a
 * Map that can also answer "the i-th page written", in the Map's own order (insertion order),
 * without copying every key for each question. The zswap workload picks a random written page
 * on about half of its operations; spreading ~6000 keys each time was a large share of its
 * time and garbage. The list of keys is built once and kept while only new keys are added (a
 * new key goes to the end of a Map's order, as it goes to the end of the list); any removal
 * drops the list, and the next question builds it again from the Map.
 */
export class Shadow extends Map<number, number> {
  /** The keys in the Map's order, or null when they must be listed again. */
  private order: number[] | null = null;

  override set(key: number, value: number): this {
    // Called by Map's constructor for its entries, before `order` is initialised: nothing kept yet.
    if (this.order && !this.has(key)) this.order.push(key);
    return super.set(key, value);
  }

  override delete(key: number): boolean {
    const gone = super.delete(key);
    if (gone) this.order = null;
    return gone;
  }

  override clear(): void {
    this.order = null;
    super.clear();
  }

  /** The i-th key in the Map's order (what `[...this.keys()][i]` gives). */
  keyAt(i: number): number | undefined {
    if (!this.order) this.order = [...this.keys()];
    return this.order[i];
  }
}
