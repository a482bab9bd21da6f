import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Checkpoint } from '../../../lib/audit/checkpoint';
import { AuditEntry, hashEntry } from '../../../lib/audit/entry';
import { FileAuditSink } from '../../../lib/audit/file-sink';
import { PostgresAuditSink } from '../../../lib/audit/postgres-sink';
import { AuditUnavailableError } from '../../../lib/audit/sink';
import { auditRecordsFor } from '../../../gateway/audit/recorder';
import { callerRequestIdOf, requestIdOf } from '../../../gateway/context';
import { verifyAuditDatabase, verifyAuditFile } from '../../../scripts/audit-verify';
import { auditRecord, checkpointKeys, TestKeys } from '../../support/audit-fixtures';
import { describeWithPostgres } from '../../support/needs-package';
import { startPostgres, ThrowawayPostgres } from '../../../stack/postgres';

let dir: string;
let keys: TestKeys;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'audit-cp-'));
  keys = await checkpointKeys(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

async function writeLog(path: string, count: number, every = 1000): Promise<void> {
  const sink = new FileAuditSink(path, { checkpoints: keys.settings(every) });
  for (let n = 1; n <= count; n += 5) await sink.append(Array.from({ length: Math.min(5, count - n + 1) }, (_, i) => auditRecord(n + i)));
  await sink.close();
}

describe('FileAuditSink: a damaged or foreign line never deletes anything', () => {
  it('refuses to append after a damaged middle line, leaving the file byte-identical', async () => {
    const path = join(dir, 'audit.log');
    await writeLog(path, 40);
    const text = readFileSync(path, 'utf8').split('\n');
    text[19] = text[19].slice(0, 30) + 'XX' + text[19].slice(32); // line 20 damaged
    writeFileSync(path, text.join('\n'));
    const before = readFileSync(path);

    const sink = new FileAuditSink(path, { checkpoints: keys.settings(1000) });
    await expect(sink.append([auditRecord(41)])).rejects.toBeInstanceOf(AuditUnavailableError);
    await expect(sink.append([auditRecord(42)])).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(sink.refusal).toMatch(/line 20: /);
    expect(sink.refusal).not.toMatch(/0241900/);
    await sink.close();
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('torn'))).toEqual([]);
  });

  it('refuses a foreign (well-formed but unchained) line, and a log that changed under it', async () => {
    const path = join(dir, 'audit.log');
    await writeLog(path, 10);
    const foreign = JSON.parse(lines(path)[3]) as AuditEntry;
    appendFileSync(path, JSON.stringify({ ...foreign, seq: 11 }) + '\n');
    const before = readFileSync(path);
    const sink = new FileAuditSink(path);
    await expect(sink.append([auditRecord(12)])).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(sink.refusal).toMatch(/line 11: /);
    await sink.close();
    expect(readFileSync(path).equals(before)).toBe(true);

    const other = join(dir, 'other.log');
    const live = new FileAuditSink(other);
    await live.append([auditRecord(1)]);
    appendFileSync(other, '{"seq":2}\n'); // another writer
    await expect(live.append([auditRecord(2)])).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(live.refusal).toMatch(/changed under the gateway after entry 1/);
    await live.close();
    expect(lines(other)).toHaveLength(2);
  });

  it('moves a torn last line, byte for byte, to a quarantine file beside the log and carries on', async () => {
    const path = join(dir, 'audit.log');
    await writeLog(path, 3);
    const complete = readFileSync(path);
    const torn = Buffer.from('{"seq":4,"at":"2026-01-01T08:00');
    appendFileSync(path, torn);
    const sink = new FileAuditSink(path);
    await sink.append([auditRecord(4)]);
    await sink.close();
    const quarantine = join(dir, `audit.log.torn-${complete.length}`);
    expect(readFileSync(quarantine).equals(torn)).toBe(true);
    expect(readFileSync(path).subarray(0, complete.length).equals(complete)).toBe(true);
    expect(lines(path).map((l) => (JSON.parse(l) as AuditEntry).seq)).toEqual([1, 2, 3, 4]);
    await expect(verifyAuditFile(path, { verifier: keys.verifier })).resolves.toMatchObject({ status: 0 });
  });
});

describe('signed checkpoints (file sink)', () => {
  it('signs the head every N entries and at close, in a file apart from the log', async () => {
    const path = join(dir, 'audit.log');
    await writeLog(path, 23, 10);
    const checkpoints = lines(`${path}.checkpoints`).map((l) => JSON.parse(l) as Checkpoint);
    expect(checkpoints.map((c) => c.seq)).toEqual([10, 20, 23]);
    const entries = lines(path).map((l) => JSON.parse(l) as AuditEntry);
    for (const c of checkpoints) {
      expect(c.hash).toBe(entries[c.seq - 1].hash);
      expect(keys.verifier.check(c)).toBeNull();
    }
    await expect(verifyAuditFile(path, { verifier: keys.verifier })).resolves.toMatchObject({
      status: 0,
      message: expect.stringContaining('3 signed checkpoints verified, the newest at entry 23'),
    });
  });

  it('signs the head on the timer only when it moved', async () => {
    const path = join(dir, 'audit.log');
    const settings = keys.settings(1000);
    const sink = new FileAuditSink(path, { checkpoints: settings });
    await sink.append([auditRecord(1), auditRecord(2)]);
    settings.tick();
    await sink.checkpoint();
    settings.tick();
    await sink.checkpoint();
    await sink.append([auditRecord(3)]);
    settings.tick();
    await sink.checkpoint();
    expect(lines(`${path}.checkpoints`).map((l) => (JSON.parse(l) as Checkpoint).seq)).toEqual([2, 3]);
    await sink.close();
    expect(lines(`${path}.checkpoints`)).toHaveLength(2);
  });

  it('refuses to append when the log ends before its newest checkpoint', async () => {
    const path = join(dir, 'audit.log');
    await writeLog(path, 12, 5);
    writeFileSync(path, lines(path).slice(0, 8).join('\n') + '\n');
    const before = readFileSync(path);
    const sink = new FileAuditSink(path, { checkpoints: keys.settings(5) });
    await expect(sink.append([auditRecord(13)])).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(sink.refusal).toMatch(/ends at entry 8 .* covers entry 12/);
    await sink.close();
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});

describe('request ids in audit entries', () => {
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as import('node:http').IncomingMessage;

  it('makes the gateway its own id and keeps a plain caller id beside it', () => {
    const caller = req({ 'x-request-id': 'desk-42-req-7' });
    const id = requestIdOf(caller);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(id).not.toBe('desk-42-req-7');
    expect(requestIdOf(caller)).not.toBe(id);
    expect(callerRequestIdOf(caller)).toBe('desk-42-req-7');
    expect(callerRequestIdOf(req({ 'x-request-id': 'x'.repeat(65) }))).toBeNull();
    expect(callerRequestIdOf(req({ 'x-request-id': 'a b\n' }))).toBeNull();
    expect(callerRequestIdOf(req({}))).toBeNull();
  });

  it('records both in the entry, and the hash covers the caller id', () => {
    const policy = { ownersOf: () => ['population'] } as unknown as Parameters<typeof auditRecordsFor>[2];
    const context = { requestId: 'gw-id', callerRequestId: 'desk-1', principal: { subject: 's', clientId: 'c', purpose: 'p' } } as unknown as Parameters<typeof auditRecordsFor>[1];
    const [record] = auditRecordsFor([{ personalId: '024190000001', fields: new Set(['Citizen.fullName']), locationIndependent: false }] as never, context, policy);
    expect(record).toMatchObject({ requestId: 'gw-id', callerRequestId: 'desk-1' });
    expect(hashEntry(1, 'x', record)).not.toBe(hashEntry(1, 'x', { ...record, callerRequestId: 'desk-2' }));
    // Entries written before the field existed hash as they did.
    const { callerRequestId: _omitted, ...old } = record;
    expect(hashEntry(1, 'x', { ...old, callerRequestId: null })).toBe(hashEntry(1, 'x', old));
  });
});

describeWithPostgres('PostgresAuditSink: checkpoints and refusing a broken chain', () => {
  let server: ThrowawayPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => server?.stop());

  async function sql(text: string): Promise<Array<Record<string, unknown>>> {
    const client = new Client({ connectionString: server.url });
    await client.connect();
    try {
      return (await client.query(text)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  }

  it('signs every N entries, on the timer and at close, into a guarded table of its own', async () => {
    const settings = keys.settings(10);
    const sink = new PostgresAuditSink(server.url, { table: 'audit_cp', checkpoints: settings });
    await sink.append(Array.from({ length: 12 }, (_, i) => auditRecord(i + 1)));
    await sink.append([auditRecord(13)]);
    settings.tick();
    await sink.checkpoint();
    await sink.append([auditRecord(14)]);
    await sink.close();
    expect((await sql('SELECT seq FROM audit_cp_checkpoints ORDER BY seq')).map((r) => Number(r.seq))).toEqual([12, 13, 14]);
    await expect(sql('DELETE FROM audit_cp_checkpoints')).rejects.toThrow(/append-only/);
    await expect(verifyAuditDatabase(server.url, { table: 'audit_cp', verifier: keys.verifier })).resolves.toMatchObject({
      status: 0,
      message: expect.stringContaining('3 signed checkpoints verified'),
    });
  });

  it('refuses to append, naming the seq, when the head row does not chain; changes nothing', async () => {
    const sink = new PostgresAuditSink(server.url, { table: 'audit_refuse', checkpoints: keys.settings(1000) });
    await sink.append(Array.from({ length: 5 }, (_, i) => auditRecord(i + 1)));
    await sink.close();
    await sql(`UPDATE audit_refuse SET subject = 'forged' WHERE seq = 5`);
    const again = new PostgresAuditSink(server.url, { table: 'audit_refuse', checkpoints: keys.settings(1000) });
    await expect(again.append([auditRecord(6)])).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(again.refusal).toMatch(/entry 5: its content does not match its hash/);
    await again.close();
    expect(await sql('SELECT count(*)::int AS n FROM audit_refuse')).toEqual([{ n: 5 }]);
  });
});
