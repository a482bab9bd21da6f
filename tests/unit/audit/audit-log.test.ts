import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AuditEntry, AuditRecord, chainEntry, GENESIS_HASH, verifyChain } from '../../../lib/audit/entry';
import { FileAuditSink } from '../../../lib/audit/file-sink';
import { AuditUnavailableError } from '../../../lib/audit/sink';
import { verifyAuditFile } from '../../../scripts/audit-verify';
import { checkpointKeys, refusalRecord } from '../../support/audit-fixtures';

const ROOT = resolve(__dirname, '../../..');

function record(n: number, personalId = `0241900${String(n).padStart(5, '0')}`): AuditRecord {
  return {
    at: new Date(Date.UTC(2026, 0, 1, 8, 0, n)).toISOString(),
    requestId: `r${n}`,
    subject: 'officer-1',
    clientId: 'tthc',
    purpose: '1.001234 HS-2026-000123',
    personalId,
    fields: ['Citizen.fullName', 'Citizen.dateOfBirth'],
    sources: ['population'],
    locationIndependent: n % 2 === 0,
  };
}

function chain(count: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let n = 1; n <= count; n++) {
    const entry = chainEntry(n, prevHash, record(n));
    entries.push(entry);
    prevHash = entry.hash;
  }
  return entries;
}

/** The complete lines of an audit file, parsed; `torn` is an unparsable last line without newline. */
function readEntries(path: string): { entries: AuditEntry[]; torn: string | null } {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const last = lines.pop() as string; // '' when the file ends with a newline
  return { entries: lines.map((line) => JSON.parse(line) as AuditEntry), torn: last === '' ? null : last };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'audit-test-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

/** The module itself (an import would be a copy), so the sink's calls can be watched. */
const fsPromises = jest.requireActual<typeof import('node:fs/promises')>('node:fs/promises');

/** FileHandle's prototype, whose write a test can cut short (as a full disk or `ulimit -f` does). */
async function fileHandlePrototype(): Promise<FileHandle> {
  const handle = await fsPromises.open(__filename, 'r');
  await handle.close();
  return Object.getPrototypeOf(handle) as FileHandle;
}

type Write = (this: FileHandle, data: Buffer | string, offset?: number, length?: number) => Promise<{ bytesWritten: number }>;

/** A write that writes only the first third of what it was given (inside its first line), and says so. */
function shortWrite(write: Write): Write {
  return function (this: FileHandle, data, offset = 0, length?: number) {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const size = length ?? bytes.length - offset;
    return write.call(this, bytes, offset, Math.floor(size / 3));
  };
}

describe('verifyChain', () => {
  it('accepts an intact chain, and an empty one', async () => {
    await expect(verifyChain(chain(20))).resolves.toEqual({ ok: true, entries: 20 });
    await expect(verifyChain([])).resolves.toEqual({ ok: true, entries: 0 });
  });

  it('names the changed entry when one field of it changes', async () => {
    for (const change of [
      (e: AuditEntry) => (e.personalId = '001099000001'),
      (e: AuditEntry) => (e.purpose = null),
      (e: AuditEntry) => (e.fields = ['Citizen.fullName']),
      (e: AuditEntry) => (e.locationIndependent = !e.locationIndependent),
    ]) {
      const entries = chain(10);
      change(entries[6]);
      const verdict = await verifyChain(entries);
      expect(verdict).toMatchObject({ ok: false, brokenAt: 7, problem: expect.stringContaining('changed') });
    }
  });

  it('refuses a procedure or dossier added to an entry whose hash cannot cover them (no purposeBasis)', async () => {
    const entries = chain(10);
    Object.assign(entries[6], { procedure: { code: 'local:birth-registration', name: 'Đăng ký khai sinh', catalogueVersion: '2026.1' }, dossier: 'HS-FORGED' });
    await expect(verifyChain(entries)).resolves.toMatchObject({ ok: false, brokenAt: 7, problem: expect.stringContaining('not a well-formed') });
  });

  it('names the entry after a changed entry whose hash was recomputed', async () => {
    const entries = chain(10);
    entries[3] = chainEntry(4, entries[2].hash, { ...record(4), subject: 'someone-else' });
    await expect(verifyChain(entries)).resolves.toMatchObject({ ok: false, brokenAt: 5 });
  });

  it('names the position of a deleted entry', async () => {
    const entries = chain(10);
    entries.splice(4, 1); // entry 5
    await expect(verifyChain(entries)).resolves.toMatchObject({ ok: false, brokenAt: 5, problem: expect.stringContaining('removed') });
    await expect(verifyChain(chain(10).slice(1))).resolves.toMatchObject({ ok: false, brokenAt: 1 });
  });

  it('names the first of two swapped entries', async () => {
    const entries = chain(10);
    [entries[2], entries[3]] = [entries[3], entries[2]]; // entries 3 and 4
    await expect(verifyChain(entries)).resolves.toMatchObject({ ok: false, brokenAt: 3, problem: expect.stringContaining('reordered') });
  });

  it('names a line that is not an entry at all', async () => {
    const entries: unknown[] = chain(5);
    entries[2] = null;
    await expect(verifyChain(entries)).resolves.toMatchObject({ ok: false, brokenAt: 3, problem: expect.stringContaining('well-formed') });
  });
});

describe('FileAuditSink', () => {
  it('chains concurrent appends from many callers with consecutive seq', async () => {
    const path = join(dir, 'nested', 'audit.log');
    const sink = new FileAuditSink(path);
    await Promise.all(Array.from({ length: 200 }, (_, i) => sink.append([record(i + 1), record(1000 + i)])));
    await sink.close();
    const { entries, torn } = readEntries(path);
    expect(torn).toBeNull();
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    // Each caller's records stay together, in the order given.
    for (let i = 0; i < 400; i += 2) {
      const caller = Number(entries[i].requestId.slice(1));
      expect(entries[i + 1].requestId).toBe(`r${caller + 999}`);
    }
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: 400 });
  });

  it('with a commit interval, keeps every acknowledged entry, chained in order, and writes the ones that arrive together as one', async () => {
    const path = join(dir, 'interval', 'audit.log');
    const sink = new FileAuditSink(path, { commitIntervalMs: 1000 });
    await sink.append([record(1)]);
    const lengthsWritten: number[] = [];
    // Every write the sink makes from here on, by the number of lines it carries.
    const handle = (sink as unknown as { handle: FileHandle }).handle;
    const write = handle.write.bind(handle) as (...args: unknown[]) => Promise<{ bytesWritten: number }>;
    (handle as unknown as { write: typeof write }).write = (...args: unknown[]) => {
      const [data, offset, length] = args as [Buffer, number, number];
      lengthsWritten.push(data.subarray(offset, offset + length).toString('utf8').split('\n').length - 1);
      return write(...args);
    };
    // Within a second of the first write's start: held, then written together.
    await Promise.all(Array.from({ length: 30 }, (_, i) => sink.append([record(i + 2)])));
    await sink.close();
    const { entries } = readEntries(path);
    expect(entries.map((e) => e.requestId)).toEqual(Array.from({ length: 31 }, (_, i) => `r${i + 1}`));
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: 31 });
    expect(lengthsWritten).toEqual([30]);
  });

  // Linux shows an open file's flags in /proc; O_DSYNC is 0o10000 there.
  (process.platform === 'linux' ? it : it.skip)('holds the log open for durable appends: each write is on disk when it returns (O_DSYNC)', async () => {
    const path = join(dir, 'durable', 'audit.log');
    const sink = new FileAuditSink(path);
    await sink.append([record(1)]);
    const fds = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false; // closed while listing
      }
    });
    expect(fds).toHaveLength(1);
    const flags = Number.parseInt(/^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fds[0]}`, 'utf8'))![1], 8);
    expect(flags & 0o10000).toBe(0o10000); // O_DSYNC
    expect(flags & 0o2000).toBe(0o2000); // O_APPEND
    await sink.close();
  });

  it('continues the chain (seq and prevHash) when the file is opened again', async () => {
    const path = join(dir, 'audit.log');
    const first = new FileAuditSink(path);
    await first.append([record(1), record(2), record(3)]);
    await first.close();
    const second = new FileAuditSink(path);
    await second.append([record(4)]);
    await second.close();
    const { entries } = readEntries(path);
    expect(entries[3]).toMatchObject({ seq: 4, prevHash: entries[2].hash, requestId: 'r4' });
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: 4 });
  });

  it('drops a torn last line on reopen and continues a valid chain', async () => {
    const path = join(dir, 'audit.log');
    const first = new FileAuditSink(path);
    await first.append([record(1), record(2)]);
    await first.close();
    appendFileSync(path, JSON.stringify(chainEntry(3, 'x', record(3))).slice(0, 57));
    expect(readEntries(path).torn).not.toBeNull();

    const second = new FileAuditSink(path);
    await second.append([record(4)]);
    await second.close();
    const { entries, torn } = readEntries(path);
    expect(torn).toBeNull();
    expect(entries.map((e) => [e.seq, e.requestId])).toEqual([
      [1, 'r1'],
      [2, 'r2'],
      [3, 'r4'],
    ]);
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: 3 });
  });

  it('keeps a complete last entry whose newline was not written, without gluing the next entry to it', async () => {
    const path = join(dir, 'audit.log');
    const entries = chain(3);
    writeFileSync(path, entries.map((e) => JSON.stringify(e)).join('\n')); // no final newline
    const sink = new FileAuditSink(path);
    await sink.append([record(4)]);
    await sink.close();
    const read = readEntries(path);
    expect(read.torn).toBeNull();
    expect(read.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    await expect(verifyChain(read.entries)).resolves.toEqual({ ok: true, entries: 4 });
  });

  /** A sink holding entry 1 whose next write the system will cut short; the spy takes more. */
  async function sinkBeforeAShortWrite(): Promise<{ path: string; sink: FileAuditSink; writes: jest.SpyInstance }> {
    const path = join(dir, 'audit.log');
    const sink = new FileAuditSink(path);
    await sink.append([record(1)]);
    const prototype = await fileHandlePrototype();
    const write = prototype.write as Write;
    const writes = jest.spyOn(prototype, 'write').mockImplementationOnce(shortWrite(write) as never);
    return { path, sink, writes };
  }

  it('continues a write the system cuts short, so an acknowledged batch is on disk whole', async () => {
    const { path, sink, writes } = await sinkBeforeAShortWrite();
    await sink.append([record(2), record(3)]);
    expect(writes).toHaveBeenCalledTimes(2); // cut short, then the rest
    await sink.close();
    const { entries, torn } = readEntries(path);
    expect(torn).toBeNull();
    expect(entries.map((e) => e.requestId)).toEqual(['r1', 'r2', 'r3']);
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: 3 });
  });

  it('fails the whole batch when the rest of a short write cannot be written (disk full), acknowledging nothing', async () => {
    const { path, sink, writes } = await sinkBeforeAShortWrite();
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    writes.mockImplementationOnce(() => Promise.reject(full));
    await expect(sink.append([record(2), record(3)])).rejects.toBeInstanceOf(AuditUnavailableError);
    jest.restoreAllMocks();
    // The next batch re-reads the tail: the torn line is quarantined, never taken for an entry.
    await sink.append([record(4)]);
    await sink.close();
    const { entries, torn } = readEntries(path);
    expect(torn).toBeNull();
    expect(entries.at(-1)).toMatchObject({ requestId: 'r4', seq: entries.length });
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: entries.length });
    expect(readdirSync(dir).filter((f) => f.startsWith('audit.log.torn-'))).toHaveLength(1);
  });

  it.each([
    ['removed', (path: string) => rmSync(path)],
    ['renamed', (path: string) => renameSync(path, `${path}.moved`)],
  ])('refuses to append once the log was %s under it, acknowledging nothing and creating no new log', async (_how, change) => {
    const path = join(dir, 'audit.log');
    const sink = new FileAuditSink(path);
    await sink.append([record(1)]);
    change(path);
    await expect(sink.append([record(2)])).rejects.toBeInstanceOf(AuditUnavailableError);
    await expect(sink.append([record(3)])).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(sink.refusal).toMatch(/audit\.log was removed or replaced under the gateway after entry 1: the file it writes is no longer at that path$/);
    await sink.close();
    expect(existsSync(path)).toBe(false);
    if (existsSync(`${path}.moved`)) expect(readEntries(`${path}.moved`).entries.map((e) => e.requestId)).toEqual(['r1']);
  });

  it('fsyncs the directory of the log and of the checkpoint file once it has created them', async () => {
    const logDir = join(dir, 'log');
    const checkpointDir = join(dir, 'checkpoints');
    mkdirSync(checkpointDir);
    const keys = await checkpointKeys(dir);
    const opened = jest.spyOn(fsPromises, 'open');
    const sink = new FileAuditSink(join(logDir, 'audit.log'), { checkpoints: keys.settings(1000), checkpointFile: join(checkpointDir, 'audit.checkpoints') });
    await sink.append([record(1)]);
    await sink.close();
    const directoriesOpened = opened.mock.calls.filter(([path, flags]) => flags === 'r' && (path === logDir || path === checkpointDir)).map(([path]) => path);
    expect(directoriesOpened).toEqual(expect.arrayContaining([logDir, checkpointDir]));
  });

  it('reads one citizen’s entries newest first, at most `first`', async () => {
    const path = join(dir, 'audit.log');
    const sink = new FileAuditSink(path);
    const citizen = '024190099999';
    for (let n = 1; n <= 12; n++) await sink.append([record(n, n % 3 === 0 ? citizen : undefined)]);
    const found = await sink.readByPersonalId(citizen, 3);
    expect(found.map((e) => e.requestId)).toEqual(['r12', 'r9', 'r6']);
    expect(found.every((e) => e.personalId === citizen)).toBe(true);
    await expect(sink.readByPersonalId(citizen, 10)).resolves.toHaveLength(4);
    await expect(sink.readByPersonalId('000000000000', 10)).resolves.toEqual([]);
    // The next page: older than the last entry shown, so no read is ever out of a citizen's reach.
    const next = await sink.readByPersonalId(citizen, 3, found[2].seq);
    expect(next.map((e) => e.requestId)).toEqual(['r3']);
    await expect(sink.readByPersonalId(citizen, 3, next[0].seq)).resolves.toEqual([]);
    await sink.close();
  });

  it('keeps refusals in the same chain, never in a citizen’s history; a changed refusal breaks the chain', async () => {
    const path = join(dir, 'audit.log');
    const sink = new FileAuditSink(path);
    const citizen = '024190099999';
    await sink.append([record(1, citizen), refusalRecord(2), record(3, citizen), refusalRecord(4, null)]);
    await expect(sink.readByPersonalId(citizen, 10)).resolves.toHaveLength(2);
    await expect(sink.readByPersonalId('', 10)).resolves.toEqual([]);
    await sink.close();
    await expect(verifyAuditFile(path)).resolves.toMatchObject({ status: 0 });
    const { entries } = readEntries(path);
    expect(entries.map((e) => e.kind ?? 'read')).toEqual(['read', 'refusal', 'read', 'refusal']);
    expect(entries[1]).toMatchObject({ personalId: '', refusal: { code: 'FORBIDDEN', reason: 'OUTSIDE_PROCEDURE' } });
    for (const change of [(e: AuditEntry) => (e.refusal!.reason = 'MISSING_SCOPE'), (e: AuditEntry) => (e.refusal!.count = 99), (e: AuditEntry) => delete e.kind]) {
      const copy = readEntries(path).entries;
      change(copy[1]);
      await expect(verifyChain(copy)).resolves.toMatchObject({ ok: false, brokenAt: 2 });
    }
  });

  it('rejects appends with AuditUnavailableError when the file cannot be written, acknowledging nothing', async () => {
    const blocker = join(dir, 'not-a-directory');
    writeFileSync(blocker, '');
    const path = join(blocker, 'audit.log');
    const sink = new FileAuditSink(path);
    const results = await Promise.allSettled([sink.append([record(1)]), sink.append([record(2)]), sink.append([record(3)])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const result of results) {
      const reason = (result as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(AuditUnavailableError);
      expect(reason.message).toBe('The audit log cannot be written');
    }
    // It stays refused (and keeps trying) rather than pretending.
    await expect(sink.append([record(4)])).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(existsSync(path)).toBe(false);
    await sink.close();
  });

  it('keeps every acknowledged entry, with a valid chain, across kill -9', async () => {
    const path = join(dir, 'audit.log');
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'append-until-killed.ts'), path], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Set<number>();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() as string;
      for (const line of lines) {
        const match = /^acked (\d+)$/.exec(line);
        if (match) acked.add(Number(match[1]));
      }
      if (acked.size >= 100 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    const signal = await exited;
    expect({ signal, stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
    expect(acked.size).toBeGreaterThanOrEqual(100);

    const { entries, torn } = readEntries(path);
    const stored = new Set(entries.map((e) => Number(e.requestId.slice(1))));
    for (const n of acked) expect(stored.has(n)).toBe(true);
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: entries.length });
    if (torn !== null) expect(torn.startsWith('{')).toBe(true); // only beyond the last acknowledged entry

    // The log reopens cleanly after the crash and the chain carries on.
    const sink = new FileAuditSink(path);
    await sink.append([record(99_999)]);
    await sink.close();
    const after = readEntries(path);
    expect(after.torn).toBeNull();
    expect(after.entries.at(-1)).toMatchObject({ seq: entries.length + 1, requestId: 'r99999' });
    await expect(verifyChain(after.entries)).resolves.toMatchObject({ ok: true });
  });
});

describe('audit:verify (verifyAuditFile)', () => {
  async function writeLog(count: number): Promise<string> {
    const path = join(dir, 'audit.log');
    const sink = new FileAuditSink(path);
    for (let n = 1; n <= count; n++) await sink.append([record(n)]);
    await sink.close();
    return path;
  }

  it('reports an intact log with exit status 0', async () => {
    const path = await writeLog(5);
    await expect(verifyAuditFile(path)).resolves.toEqual({ status: 0, message: `audit log OK: 5 entries, chain intact (${path})` });
  });

  it('reports the first broken entry with exit status 1, without personal data', async () => {
    const path = await writeLog(5);
    const lines = readFileSync(path, 'utf8').split('\n');
    const tampered = JSON.parse(lines[2]) as AuditEntry;
    tampered.purpose = 'something else';
    lines[2] = JSON.stringify(tampered);
    writeFileSync(path, lines.join('\n'));
    const verdict = await verifyAuditFile(path);
    expect(verdict.status).toBe(1);
    expect(verdict.message).toMatch(/^audit log BROKEN at entry 3 \(line 3\): its content does not match its hash/);
    expect(verdict.message).not.toMatch(/0241900/);
  });

  it('reports a deleted entry and an unparsable line', async () => {
    const path = await writeLog(5);
    const lines = readFileSync(path, 'utf8').split('\n');
    writeFileSync(path, [...lines.slice(0, 1), ...lines.slice(2)].join('\n'));
    await expect(verifyAuditFile(path)).resolves.toMatchObject({ status: 1, message: expect.stringMatching(/^audit log BROKEN at entry 2 \(line 2\):/) });
    writeFileSync(path, [lines[0], 'not json', ...lines.slice(1)].join('\n'));
    await expect(verifyAuditFile(path)).resolves.toMatchObject({ status: 1, message: expect.stringMatching(/^audit log BROKEN at entry 2 \(line 2\):/) });
  });

  it('tolerates a torn last line, which was never acknowledged', async () => {
    const path = await writeLog(4);
    appendFileSync(path, '{"seq":5,"at":"2026');
    const verdict = await verifyAuditFile(path);
    expect(verdict.status).toBe(0);
    expect(verdict.message).toMatch(/^audit log OK: 4 entries, chain intact; an incomplete last line/);
  });

  it('says so with exit status 2 when the file is missing', async () => {
    const verdict = await verifyAuditFile(join(dir, 'missing.log'));
    expect(verdict.status).toBe(2);
    expect(verdict.message).toMatch(/^audit log not found: .*missing\.log/);
  });
});
