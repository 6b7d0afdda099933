/**
 * CPU seconds of this process's finished children, from /proc/self/stat (cutime + cstime, in
 * USER_HZ = 100 ticks): a spawnSync'ed CLI and every process it reaped (verify's workers).
 * undefined where there is no /proc.
 */
import { readFileSync } from 'node:fs';

export function childCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return undefined;
  }
}
