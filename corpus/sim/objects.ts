/**
 * Kernel objects that struct page words point to (kmem_cache, mm_struct, anon_vma, zspage,
 * vm_struct, ...) have real addresses in simulated memory; the fields a subsystem keeps on
 * the JS side live in an object registered under that address.
 */
import { KernelBug, formatKernelAddress } from './errors.ts';

export class ObjectRegistry<T> {
  private readonly byAddr = new Map<number, T>();
  constructor(readonly what: string) {}

  register(addr: number, obj: T): void {
    if (this.byAddr.has(addr)) throw new KernelBug(`${this.what} registered twice at ${formatKernelAddress(addr)}`);
    this.byAddr.set(addr, obj);
  }

  unregister(addr: number): void {
    if (!this.byAddr.delete(addr)) throw new KernelBug(`${this.what} at ${formatKernelAddress(addr)} was not registered`);
  }

  /** The object at `addr`; a pointer to anything else is a bug. */
  get(addr: number): T {
    const obj = this.byAddr.get(addr);
    if (obj === undefined) throw new KernelBug(`bad ${this.what} pointer ${formatKernelAddress(addr)}`);
    return obj;
  }

  find(addr: number): T | undefined {
    return this.byAddr.get(addr);
  }

  values(): IterableIterator<T> {
    return this.byAddr.values();
  }

  get size(): number {
    return this.byAddr.size;
  }

  clear(): void {
    this.byAddr.clear();
  }
}
