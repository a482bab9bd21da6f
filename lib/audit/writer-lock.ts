/**
 * One writer per audit file: two processes appending to one file would interleave two chains.
 * The writer holds `<log>.lock`, holding its pid, host and start time. A lock whose process is gone
 * (same host, pid not running: a crash or kill -9) is taken over with a warning; a live one, or
 * one from another host (whose liveness cannot be checked from here), stops the start.
 */
import { hostname } from 'node:os';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { log } from '../log';

export class AuditWriterConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditWriterConflictError';
  }
}

interface LockContent {
  pid: number;
  host: string;
  startedAt: string;
}

/** Locks this process holds, by path: a second sink of this process on the same file is a conflict too. */
const heldHere = new Set<string>();

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parse(text: string): LockContent | null {
  try {
    const value = JSON.parse(text) as Partial<LockContent>;
    return typeof value.pid === 'number' && typeof value.host === 'string' ? (value as LockContent) : null;
  } catch {
    return null;
  }
}

export interface WriterLock {
  release(): Promise<void>;
}

export async function takeWriterLock(logPath: string): Promise<WriterLock> {
  const path = `${logPath}.lock`;
  if (heldHere.has(path)) throw new AuditWriterConflictError(`audit log ${logPath} already has a writer in this process`);
  const mine: LockContent = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const text = JSON.stringify(mine) + '\n';
  try {
    await writeFile(path, text, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const found = parse(await readFile(path, 'utf8').catch(() => ''));
    if (found && found.host !== mine.host) {
      throw new AuditWriterConflictError(
        `audit log ${logPath} is held by process ${found.pid} on host ${found.host} (${path}); one process writes a file: give each gateway its own AUDIT_FILE or share AUDIT_DATABASE_URL. If that host is gone for good, delete ${path}`,
      );
    }
    if (found && found.pid !== process.pid && running(found.pid)) {
      throw new AuditWriterConflictError(
        `audit log ${logPath} is being written by process ${found.pid} on this host (since ${found.startedAt}); one process writes a file: give each gateway its own AUDIT_FILE or share AUDIT_DATABASE_URL`,
      );
    }
    // Stale: written by a process that is gone. Replaced whole (rename), then read back, so of two
    // starters taking it over at once only the one whose content stayed goes on.
    const temporary = `${path}.${process.pid}`;
    await writeFile(temporary, text, { mode: 0o600 });
    await rename(temporary, path);
    const now = parse(await readFile(path, 'utf8'));
    if (now?.pid !== mine.pid || now.startedAt !== mine.startedAt) throw new AuditWriterConflictError(`audit log ${logPath}: another process took over its stale lock first`);
    log.warn(`audit log ${logPath}: took over the writer lock of process ${found?.pid ?? '(unreadable lock)'}, which is no longer running`, { auditFile: logPath });
  }
  heldHere.add(path);
  return {
    async release() {
      heldHere.delete(path);
      const now = parse(await readFile(path, 'utf8').catch(() => ''));
      if (now?.pid === mine.pid && now.startedAt === mine.startedAt) await unlink(path).catch(() => undefined);
    },
  };
}
