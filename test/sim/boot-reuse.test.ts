/**
 * sim/boot.ts + sim/memory.ts: a boot of the same machine in the same process reuses the RAM
 * buffer and does not clear what the last boot poisoned whole while freeing RAM (ram_init()'s
 * `skip`); boot overwrites it again, and whatever it no longer overwrites is cleared after
 * memblock_free_all() (ram_settle()). Either way the machine after boot must be byte for byte
 * the one a fresh buffer gives, whatever the last run left in memory, and a run's digest the
 * one a fresh process prints; RAM a finished run released (ram_release(), for the next instance
 * of the program in a reused process) powers on the next machine cleared. Property test: RAM dirtied with random bytes between boots,
 * machines of other sizes and placements in between, page poisoning switched off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { boot, type BootConfig } from '../../corpus/sim/boot.ts';
import { mapped_bytes, phys_bytes, ram_release, ram_size, read64 } from '../../corpus/sim/memory.ts';
import { KernelPageFault } from '../../corpus/sim/errors.ts';
import { PAGE_OFFSET } from '../../corpus/arch/x86/include/asm/page_64_types.ts';
import { arena_bytes } from '../../corpus/sim/arena.ts';
import { page_alloc_debug } from '../../corpus/mm/page_alloc.ts';
import { run_simulation } from '../../corpus/sim/run.ts';
import { Rng } from '../../corpus/sim/random.ts';

const seed = Number(process.env.MEMDESC_TEST_SEED ?? Date.now() % 1_000_000);
console.log(`test/sim/boot-reuse.test.ts seed=${seed} (MEMDESC_TEST_SEED=${seed} repeats it)`);

const MB = 1024 * 1024;

/** The whole buffer of the machine booted now (RAM and the arena's room), copied. */
function memory(config: BootConfig): Uint8Array {
  const ram = ram_size();
  return phys_bytes(0, ram + arena_bytes(config.placement ?? 'real', ram)).slice();
}

/** The machine `config` boots into on a fresh buffer: another size first forces a new one. */
function freshBoot(config: BootConfig): Uint8Array {
  boot({ ram: config.ram === 16 * MB ? 20 * MB : 16 * MB });
  boot(config);
  return memory(config);
}

/**
 * What a run leaves: random bytes in random stretches of what it can reach (RAM, reserved pages
 * included, and the arena when it opened it).
 */
function dirty(rng: Rng): void {
  const all = phys_bytes(0, mapped_bytes());
  for (let k = 0; k < 40; k++) {
    const len = rng.below(2 * MB);
    const at = rng.below(all.length - len);
    all.fill(1 + rng.below(255), at, at + len);
  }
  // And the first page and a stretch past the memmap for sure.
  all.fill(0x5a, 0, 8192);
  all.fill(0xa5, 3 * MB, 5 * MB);
}

function sameBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return -2;
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(b)) return -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const poisoning = page_alloc_debug.page_poisoning;
afterEach(() => {
  page_alloc_debug.page_poisoning = poisoning;
});

describe('a boot that reuses RAM', () => {
  const configs: BootConfig[] = [
    { ram: 16 * MB },
    { ram: 16 * MB, placement: 'preserve' },
    { ram: 24 * MB },
  ];

  it('leaves memory as a fresh buffer does, after any run and any other machine', () => {
    const rng = new Rng(seed);
    const fresh = configs.map((c) => freshBoot(c));
    for (let round = 0; round < 12; round++) {
      const i = rng.below(configs.length);
      const c = configs[i]!;
      // Boot once (so that the next boot of it reuses), leave a mess, boot again and compare.
      boot(c);
      dirty(rng);
      boot(c);
      const off = sameBytes(memory(c), fresh[i]!);
      expect(off, `round ${round}: ${JSON.stringify(c)} differs at byte ${off}`).toBe(-1);
    }
  });

  it('clears what the last boot overwrote when this boot no longer does', () => {
    const rng = new Rng(seed + 1);
    const c: BootConfig = { ram: 16 * MB };
    page_alloc_debug.page_poisoning = false;
    const want = freshBoot(c);
    page_alloc_debug.page_poisoning = poisoning;
    // The last boot poisoned nearly all RAM; this one, without poisoning, writes none of it.
    boot(c);
    dirty(rng);
    page_alloc_debug.page_poisoning = false;
    boot(c);
    const off = sameBytes(memory(c), want);
    expect(off, `differs at byte ${off}`).toBe(-1);
  });

  it('powers on the next machine with the RAM a finished run released, cleared', () => {
    const rng = new Rng(seed + 2);
    const c: BootConfig = { ram: 16 * MB };
    const want = freshBoot(c);
    boot(c);
    dirty(rng);
    const buffer = phys_bytes(0, 1).buffer;
    ram_release();
    // The released machine has no RAM left: an access faults, as before boot.
    expect(() => read64(PAGE_OFFSET)).toThrow(KernelPageFault);
    boot(c);
    expect(phys_bytes(0, 1).buffer).toBe(buffer);
    const off = sameBytes(memory(c), want);
    expect(off, `differs at byte ${off}`).toBe(-1);
  });

  it('gives a run the digest it has on a fresh buffer', () => {
    const opts = { workload: 'mixed', seed: 1 + (seed % 50), ram: 16 * MB, ops: 200 } as const;
    boot({ ram: 20 * MB });
    const first = run_simulation(opts);
    const again = run_simulation(opts);
    run_simulation({ ...opts, workload: 'buddy', seed: opts.seed + 1 });
    const after = run_simulation(opts);
    expect(again.digest).toBe(first.digest);
    expect(after.digest).toBe(first.digest);
    expect(after.layoutDigest).toBe(first.layoutDigest);
  });
});
