/**
 * One writer per audit file: a second live writer stops at start (this process or another one
 * on this host), a lock left by a process that is gone is taken over with a warning, and a clean
 * close lets the next writer in.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileAuditSink } from '../../../lib/audit/file-sink';
import { AuditWriterConflictError } from '../../../lib/audit/writer-lock';
import { log } from '../../../lib/log';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'audit-lock-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const RECORD = {
  at: '2026-01-01T08:00:00.000Z',
  requestId: 'r1',
  subject: 'officer-1',
  clientId: 'tthc',
  purpose: 'TEST',
  personalId: '024190000001',
  fields: ['Citizen.fullName'],
  sources: ['population'],
  locationIndependent: false,
};

describe('audit file writer lock', () => {
  it('refuses a second writer while the first is open, and lets one in after the first closes', async () => {
    const path = join(dir, 'audit.log');
    const first = new FileAuditSink(path);
    await first.open();
    await first.append([RECORD]);
    const second = new FileAuditSink(path);
    await expect(second.open()).rejects.toThrow(AuditWriterConflictError);
    await first.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
    await second.open();
    await second.append([{ ...RECORD, requestId: 'r2' }]);
    await second.close();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('refuses a log that a live process of this host holds, naming it', async () => {
    const path = join(dir, 'audit.log');
    // The process that runs this test's runner is alive for as long as the test.
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.ppid, host: hostname(), startedAt: '2026-12-05T08:00:00.000Z' }));
    const sink = new FileAuditSink(path);
    await expect(sink.open()).rejects.toThrow(`being written by process ${process.ppid} on this host`);
    await expect(sink.append([RECORD])).rejects.toThrow();
    expect(existsSync(path) ? readFileSync(path, 'utf8') : '').toBe('');
  });

  it('refuses a lock from another host, whose liveness it cannot check', async () => {
    const path = join(dir, 'audit.log');
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 1, host: 'gateway-elsewhere', startedAt: '2026-12-05T08:00:00.000Z' }));
    await expect(new FileAuditSink(path).open()).rejects.toThrow(/held by process 1 on host gateway-elsewhere/);
  });

  it('takes over the lock of a process that is gone (kill -9), with a warning', async () => {
    const path = join(dir, 'audit.log');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout);
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: deadPid, host: hostname(), startedAt: '2026-12-05T08:00:00.000Z' }));
    const warn = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
    const sink = new FileAuditSink(path);
    await sink.open();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(`took over the writer lock of process ${deadPid}`), expect.anything());
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    await sink.append([RECORD]);
    await sink.close();
  });
});
