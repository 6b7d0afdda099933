/**
 * Every subsystem of the machine, imported for its initcalls and reports.
 * One line per kernel file that registers something; order does not matter.
 */
import '../mm/vmstat.ts';
import '../fs/proc/page.ts';
