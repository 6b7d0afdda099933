/**
 * Every subsystem of the machine, imported for its initcalls and reports.
 * One line per kernel file that registers something; order does not matter.
 */
import '../mm/vmstat.ts';
import '../fs/proc/page.ts';
import '../mm/slub.ts';
import '../arch/x86/mm/init_64.ts';
import '../arch/x86/mm/pgtable.ts';
import '../mm/memory.ts';
import '../mm/rmap.ts';
import '../kernel/pid.ts';
import '../kernel/fork.ts';
import '../mm/zsmalloc.ts';
import '../mm/vmalloc.ts';
import '../mm/memory-failure.ts';
import '../mm/zswap.ts';
import '../mm/swap_state.ts';
import '../mm/swapfile.ts';
import '../mm/vmscan.ts';
