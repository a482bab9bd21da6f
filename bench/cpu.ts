/**
 * CPU time used by processes (Linux /proc), to report CPU milliseconds per request: unlike
 * requests per second it hardly moves when other work shares the machine.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** User + system CPU time of a process so far, in ms; 0 when it cannot be read. */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

export function cpuOf(pids: readonly (number | undefined)[]): number {
  return pids.reduce<number>((sum, pid) => sum + cpuMs(pid), 0);
}

/** A process and all its descendants (a gateway CLI may fork workers). */
export function withDescendants(pid: number | undefined): number[] {
  if (!pid) return [];
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found = [pid];
  for (let i = 0; i < found.length; i++) found.push(...(parents.get(found[i]) ?? []));
  return found;
}
