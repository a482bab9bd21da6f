import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { Checkpoint, checkpointDigest, loadCheckpointSigner, NO_EARLIER_CHECKPOINT } from '../../../lib/audit/checkpoint';
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

  it('signs the head on every tick of the timer, moved or not (a heartbeat: --max-age relies on it), and at close only when unsigned', async () => {
    const path = join(dir, 'audit.log');
    const settings = keys.settings(1000);
    const sink = new FileAuditSink(path, { checkpoints: settings });
    await sink.append([auditRecord(1), auditRecord(2)]);
    settings.tick();
    await sink.checkpoint();
    settings.tick(); // idle: the same head, signed again
    await sink.checkpoint();
    await sink.append([auditRecord(3)]);
    settings.tick();
    await sink.checkpoint();
    expect(lines(`${path}.checkpoints`).map((l) => (JSON.parse(l) as Checkpoint).seq)).toEqual([2, 2, 3]);
    await sink.close();
    expect(lines(`${path}.checkpoints`)).toHaveLength(3);
    await expect(verifyAuditFile(path, { verifier: keys.verifier })).resolves.toMatchObject({ status: 0 });
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

describe('linked checkpoints, and how many entries may go unsigned', () => {
  const seqs = (path: string) => lines(`${path}.checkpoints`).map((l) => (JSON.parse(l) as Checkpoint).seq);

  it('links each checkpoint to the one before it (v2, prev: the digest of what that one signs)', async () => {
    const path = join(dir, 'audit.log');
    await writeLog(path, 23, 10);
    const checkpoints = lines(`${path}.checkpoints`).map((l) => JSON.parse(l) as Checkpoint);
    expect(checkpoints.map((c) => [c.v, c.seq])).toEqual([
      [2, 10],
      [2, 20],
      [2, 23],
    ]);
    expect(checkpoints.map((c) => c.prev)).toEqual([NO_EARLIER_CHECKPOINT, checkpointDigest(checkpoints[0]), checkpointDigest(checkpoints[1])]);
    // prev is signed: changing it breaks the signature.
    expect(keys.verifier.check({ ...checkpoints[1], prev: NO_EARLIER_CHECKPOINT })).toMatch(/signature does not verify/);
  });

  it('still verifies checkpoints written before they were linked, and links the next one to them', async () => {
    const path = join(dir, 'audit.log');
    const unsigned = new FileAuditSink(path);
    await unsigned.append(Array.from({ length: 12 }, (_, i) => auditRecord(i + 1)));
    await unsigned.close();
    const entries = lines(path).map((l) => JSON.parse(l) as AuditEntry);
    const signer = loadCheckpointSigner(keys.privateFile);
    const old = [signer.sign(5, entries[4].hash), signer.sign(10, entries[9].hash)]; // v1, as written before
    writeFileSync(`${path}.checkpoints`, old.map((c) => JSON.stringify(c) + '\n').join(''));
    expect(old.map((c) => [c.v, c.prev])).toEqual([
      [1, undefined],
      [1, undefined],
    ]);
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10 })).resolves.toMatchObject({ status: 0 });

    const sink = new FileAuditSink(path, { checkpoints: keys.settings(10) });
    await sink.append([auditRecord(13)]);
    await sink.close();
    const newest = JSON.parse(lines(`${path}.checkpoints`)[2]) as Checkpoint;
    expect(newest).toMatchObject({ v: 2, seq: 13, prev: checkpointDigest(old[1]) });
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10 })).resolves.toMatchObject({ status: 0 });

    // An unlinked checkpoint cannot follow linked ones (one signed before, moved to the end).
    appendFileSync(`${path}.checkpoints`, JSON.stringify(old[1]) + '\n');
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10 })).resolves.toMatchObject({
      status: 1,
      message: expect.stringContaining('checkpoint line 4: an unlinked checkpoint follows linked ones'),
    });
  });

  it('signs at each multiple of `every` that one batch passes, not only at its end', async () => {
    const path = join(dir, 'audit.log');
    const sink = new FileAuditSink(path, { checkpoints: keys.settings(10) });
    await sink.append(Array.from({ length: 25 }, (_, i) => auditRecord(i + 1)));
    expect(seqs(path)).toEqual([10, 20]);
    await sink.close();
    expect(seqs(path)).toEqual([10, 20, 25]);
  });

  it('writes no entry past a checkpoint that could not be written, and carries on once it can', async () => {
    const path = join(dir, 'audit.log');
    const sink = new FileAuditSink(path, { checkpoints: keys.settings(10) });
    await sink.append(Array.from({ length: 5 }, (_, i) => auditRecord(i + 1)));
    mkdirSync(`${path}.checkpoints`); // the checkpoint file cannot be written
    await expect(sink.append(Array.from({ length: 7 }, (_, i) => auditRecord(i + 6)))).rejects.toBeInstanceOf(AuditUnavailableError);
    await expect(sink.append([auditRecord(13)])).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(lines(path)).toHaveLength(10); // up to the checkpoint that is due, never acknowledged
    expect(sink.refusal).toBeNull(); // not broken: it tries again
    rmSync(`${path}.checkpoints`, { recursive: true });
    await sink.append([auditRecord(14)]);
    await sink.close();
    expect(seqs(path)).toEqual([10, 11]);
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10 })).resolves.toMatchObject({ status: 0 });
  });

  it('refuses to open a log with more than `every` entries and no checkpoint at all, naming the file and the way out', async () => {
    const path = join(dir, 'audit.log');
    const unsigned = new FileAuditSink(path);
    await unsigned.append(Array.from({ length: 11 }, (_, i) => auditRecord(i + 1)));
    await unsigned.close();
    const before = readFileSync(path);
    const sink = new FileAuditSink(path, { checkpoints: keys.settings(10) });
    await expect(sink.append([auditRecord(12)])).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(sink.refusal).toContain(`${path}.checkpoints: the log holds 11 entries but it has no signed checkpoint: 11 entries unsigned, more than the 10 (AUDIT_CHECKPOINT_EVERY)`);
    expect(sink.refusal).toMatch(/restore the checkpoint file .* move both aside and restart/);
    await sink.close();
    expect(readFileSync(path).equals(before)).toBe(true);
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10 })).resolves.toMatchObject({
      status: 1,
      message: expect.stringContaining('the log holds 11 entries but it has no signed checkpoint'),
    });
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 11 })).resolves.toMatchObject({ status: 0 });
  });

  it('says whether the newest checkpoint is fresh enough (--max-age), and that there is none', async () => {
    const path = join(dir, 'audit.log');
    await writeLog(path, 3, 10);
    const newest = JSON.parse(lines(`${path}.checkpoints`).at(-1) as string) as Checkpoint;
    const at = (seconds: number) => new Date(Date.parse(newest.at) + seconds * 1000);
    await expect(verifyAuditFile(path, { verifier: keys.verifier, maxAgeS: 60, now: at(30) })).resolves.toMatchObject({ status: 0 });
    await expect(verifyAuditFile(path, { verifier: keys.verifier, maxAgeS: 60, now: at(61) })).resolves.toMatchObject({
      status: 1,
      message: expect.stringContaining(`NOT current: the newest signed checkpoint (entry 3) was signed at ${newest.at}, more than 60 s ago`),
    });
    writeFileSync(`${path}.checkpoints`, '');
    await expect(verifyAuditFile(path, { verifier: keys.verifier, maxAgeS: 60 })).resolves.toMatchObject({
      status: 1,
      message: expect.stringContaining('NOT current: no signed checkpoint shows it is'),
    });
  });

  it('heartbeat: an idle gateway signs its unchanged head on the timer, opening the log first if no read has', async () => {
    const path = join(dir, 'audit.log');
    await writeLog(path, 3, 10);
    const settings = keys.settings(10);
    const sink = new FileAuditSink(path, { checkpoints: settings });
    await sink.open(); // the gateway's start: no append since
    settings.tick();
    await sink.close(); // waits for the open the tick started, and its checkpoint
    expect(seqs(path)).toEqual([3, 3]);
    await expect(verifyAuditFile(path, { verifier: keys.verifier })).resolves.toMatchObject({ status: 0 });
  });
});

describe('audit:verify without the checkpoint key', () => {
  const root = resolve(__dirname, '../../..');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });

  it('fails (status 2) when checkpoints exist but no public key could be loaded, instead of passing them unchecked', async () => {
    const path = join(dir, 'audit.log');
    await writeLog(path, 12, 10);
    await expect(verifyAuditFile(path)).resolves.toEqual({
      status: 2,
      message: `audit log NOT verified: 2 signed checkpoints cannot be checked, no public key could be loaded (give --public-key <jwk>, or set AUDIT_CHECKPOINT_KEY_FILE to a key file that exists) (${path}.checkpoints)`,
    });
    const cli = run(['--file', path], { AUDIT_CHECKPOINT_KEY_FILE: join(dir, 'missing.jwk.json') });
    expect({ status: cli.status, stderr: cli.stderr.trim() }).toEqual({ status: 2, stderr: expect.stringMatching(/^audit log NOT verified: 2 signed checkpoints cannot be checked/) });
    const withKey = run(['--file', path, '--public-key', keys.publicFile, '--checkpoint-every', '10', '--max-age', '3600']);
    expect({ status: withKey.status, stdout: withKey.stdout }).toEqual({ status: 0, stdout: expect.stringMatching(/^audit log OK: 12 entries/) });
  });

  it('answers a malformed option with one line and status 2', () => {
    const cli = run(['--file', join(dir, 'audit.log'), '--max-age', 'soon']);
    expect({ status: cli.status, stderr: cli.stderr.trim() }).toEqual({ status: 2, stderr: 'audit:verify: --max-age takes a whole number of at least 1, not "soon"' });
    const hash = run(['--file', join(dir, 'audit.log'), '--expect-hash', 'abc']);
    expect(hash.status).toBe(2);
    expect(hash.stderr).toMatch(/^audit:verify: --expect-hash takes the 64 hex digits/);
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
