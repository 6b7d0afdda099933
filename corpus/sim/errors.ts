/**
 * Typed errors raised by the simulated machine. A debug check that fails throws a
 * KernelBug carrying the dump_page() text, so callers (and the verifier) can show it.
 */
export class KernelBug extends Error {
  constructor(message: string, readonly dump: string = '') {
    super(dump ? `${message}\n${dump}` : message);
    this.name = 'KernelBug';
  }
}

/** An access to an address that no mapping backs (the kernel's oops on a bad pointer). */
export class KernelPageFault extends KernelBug {
  constructor(readonly address: number, what: string) {
    super(`BUG: unable to handle page fault for address: ${formatKernelAddress(address)} (${what})`);
    this.name = 'KernelPageFault';
  }
}

/** Configuration errors (bad RAM size, unknown workload): exit code 2 in the CLI. */
export class SimConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimConfigError';
  }
}

/**
 * `n.toString(16)`, the same digits: a non-negative integer below 2^48 (kernel and user addresses)
 * is converted as two small integers, which V8 formats several times faster than a double.
 */
export function hex(n: number): string {
  if (n >= 0 && n < 0x1000000000000 && Number.isInteger(n)) {
    if (n < 0x1000000) return n.toString(16);
    const hi = Math.floor(n / 0x1000000);
    // The low 24 bits with their leading zeros: 0x1000000 + lo has 7 digits, the first a 1.
    return hi.toString(16) + (n - hi * 0x1000000 + 0x1000000).toString(16).slice(1);
  }
  return n.toString(16);
}

/**
 * The last kernel addresses formatted, by a slot of their low bits (direct-mapped): trace events
 * and debug checks that build their messages before they know whether they fire format the same
 * few addresses again and again.
 */
const KADDR_SLOTS = 1 << 14;
const kaddrKeys = new Float64Array(KADDR_SLOTS).fill(-1);
const kaddrTexts: string[] = new Array<string>(KADDR_SLOTS).fill('');

/** Print a kernel virtual address sign-extended, as the kernel does (%px). */
export function formatKernelAddress(addr: number): string {
  if (addr >= 0x800000000000 && addr < 0x1000000000000) {
    // The slot from the address's bits above its 8-byte alignment, mixed (descriptors are 16-byte
    // aligned, struct pages 24 or 64 bytes apart: their low bits alone would share few slots).
    const slot = Math.imul(addr >>> 3, 0x9e3779b1) >>> 18;
    if (kaddrKeys[slot] === addr) return kaddrTexts[slot]!;
    const text = 'ffff' + hex(addr).padStart(12, '0');
    kaddrKeys[slot] = addr;
    kaddrTexts[slot] = text;
    return text;
  }
  if (!Number.isFinite(addr)) return String(addr);
  if (addr < 0) return (BigInt.asUintN(64, BigInt(addr))).toString(16).padStart(16, '0');
  return BigInt(Math.trunc(addr)).toString(16).padStart(16, '0');
}
