/**
 * Attacks on the audit log by someone who can rewrite its storage (but does not hold the
 * checkpoint key): `npm run audit:verify` must name where the log fails, for the file and for
 * PostgreSQL, and the gateway's sink must refuse to append rather than "repair" anything.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Checkpoint } from '../../lib/audit/checkpoint';
import { AuditEntry, chainEntry, GENESIS_HASH } from '../../lib/audit/entry';
import { FileAuditIndex } from '../../lib/audit/file-index';
import { FileAuditSink } from '../../lib/audit/file-sink';
import { PostgresAuditSink } from '../../lib/audit/postgres-sink';
import { AuditUnavailableError } from '../../lib/audit/sink';
import { verifyAuditDatabase, verifyAuditFile } from '../../scripts/audit-verify';
import { auditRecord, checkpointKeys, TestKeys } from '../support/audit-fixtures';
import { describeWithPostgres } from '../support/needs-package';
import { startPostgres, ThrowawayPostgres } from '../../stack/postgres';

/** Re-chains entries from `from` (0-based) on, renumbered: what an attacker without the key can do. */
function rechain(entries: AuditEntry[], from = 0): AuditEntry[] {
  const out = entries.slice(0, from);
  let prev = from ? out[from - 1].hash : GENESIS_HASH;
  for (const entry of entries.slice(from)) {
    const { seq: _seq, prevHash: _prev, hash: _hash, ...record } = entry;
    const next = chainEntry(out.length + 1, prev, record);
    out.push(next);
    prev = next.hash;
  }
  return out;
}

let dir: string;
let keys: TestKeys;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'audit-tamper-'));
  keys = await checkpointKeys(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('file audit log under attack', () => {
  let path: string;
  const read = () => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEntry);
  const write = (entries: AuditEntry[]) => writeFileSync(path, entries.map((e) => JSON.stringify(e) + '\n').join(''));
  const verify = () => verifyAuditFile(path, { verifier: keys.verifier });
  const cpFile = () => `${path}.checkpoints`;
  const checkpointLines = () => readFileSync(cpFile(), 'utf8').split('\n').filter(Boolean);
  /** Keeps the checkpoint lines `keep` says to (an attacker without the key can delete lines). */
  const keepCheckpoints = (keep: (c: Checkpoint, index: number) => boolean) =>
    writeFileSync(cpFile(), checkpointLines().filter((line, index) => keep(JSON.parse(line) as Checkpoint, index)).map((line) => line + '\n').join(''));
  const reopenAndAppend = async (): Promise<{ refusal: string | null }> => {
    const sink = new FileAuditSink(path, { checkpoints: keys.settings(10) });
    const appended = await sink.append([auditRecord(99)]).then(
      () => null,
      (error: unknown) => error,
    );
    const refusal = sink.refusal;
    await sink.close();
    if (appended && !(appended instanceof AuditUnavailableError)) throw appended;
    return { refusal };
  };

  beforeEach(async () => {
    path = join(dir, 'audit.log');
    const sink = new FileAuditSink(path, { checkpoints: keys.settings(10) });
    for (let n = 1; n <= 35; n += 5) await sink.append([1, 2, 3, 4, 5].map((i) => auditRecord(n + i - 1)));
    await sink.close();
    await expect(verify()).resolves.toMatchObject({ status: 0 });
  });

  it('catches truncation before the newest checkpoint', async () => {
    write(read().slice(0, 27));
    const verdict = await verify();
    expect(verdict).toMatchObject({ status: 1, message: expect.stringMatching(/^audit log BROKEN at entry 28: the log ends at entry 27, but a signed checkpoint covers entry 35/) });
  });

  it('catches deletion of an entry, renumbered and re-chained', async () => {
    const entries = read();
    write(rechain([...entries.slice(0, 14), ...entries.slice(15)], 14));
    const verdict = await verify();
    expect(verdict.status).toBe(1);
    expect(verdict.message).toMatch(/^audit log BROKEN at entry 20 \(line 20\): its hash differs from the signed checkpoint/);
  });

  it('catches a changed entry with every later hash recomputed', async () => {
    const entries = read();
    entries[4] = { ...entries[4], subject: 'someone-else' };
    write(rechain(entries, 4));
    const verdict = await verify();
    expect(verdict.message).toMatch(/^audit log BROKEN at entry 10 \(line 10\): its hash differs from the signed checkpoint/);
    expect(verdict.message).not.toMatch(/0241900|someone-else/);
  });

  it('catches a forged checkpoint', async () => {
    const cpFile = `${path}.checkpoints`;
    const lines = readFileSync(cpFile, 'utf8').split('\n').filter(Boolean);
    lines[1] = JSON.stringify({ ...JSON.parse(lines[1]), hash: 'f'.repeat(64) });
    writeFileSync(cpFile, lines.join('\n') + '\n');
    await expect(verify()).resolves.toMatchObject({ status: 1, message: expect.stringMatching(/^audit checkpoints BROKEN at checkpoint line 2: its signature does not verify/) });
  });

  it('catches the checkpoints emptied and an entry deleted with every later hash recomputed; the gateway refuses, and signs nothing', async () => {
    writeFileSync(cpFile(), '');
    const entries = read();
    write(rechain([...entries.slice(0, 4), ...entries.slice(5)], 4));
    const before = readFileSync(path);
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10 })).resolves.toMatchObject({
      status: 1,
      message: expect.stringMatching(/^audit log BROKEN: the log holds 34 entries but it has no signed checkpoint: 34 entries unsigned, more than the 10/),
    });
    const { refusal } = await reopenAndAppend();
    expect(refusal).toMatch(/audit\.log\.checkpoints: the log holds 34 entries but it has no signed checkpoint/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readFileSync(cpFile(), 'utf8')).toBe('');
  });

  it('catches the newest checkpoints removed when more than one interval of entries follows what is left', async () => {
    keepCheckpoints((c) => c.seq <= 10);
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10 })).resolves.toMatchObject({
      status: 1,
      message: expect.stringContaining('its newest signed checkpoint covers entry 10: 25 entries unsigned, more than the 10'),
    });
    expect((await reopenAndAppend()).refusal).toMatch(/newest signed checkpoint covers entry 10: 25 entries unsigned/);
  });

  it('accepts what a crash between writing and signing leaves (one interval unsigned), and signs it before writing on', async () => {
    keepCheckpoints((c) => c.seq <= 20);
    write(read().slice(0, 30)); // entries 21..30 written, the checkpoint of 30 never
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10 })).resolves.toMatchObject({ status: 0 });
    expect((await reopenAndAppend()).refusal).toBeNull();
    expect(checkpointLines().map((line) => (JSON.parse(line) as Checkpoint).seq)).toEqual([10, 20, 30, 31]);
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10 })).resolves.toMatchObject({ status: 0 });
  });

  it('catches a checkpoint removed from the middle: each is linked to the one before it', async () => {
    keepCheckpoints((_c, index) => index !== 1);
    await expect(verify()).resolves.toMatchObject({
      status: 1,
      message: expect.stringMatching(/^audit checkpoints BROKEN at checkpoint line 2: it does not link to the checkpoint before it/),
    });
    expect((await reopenAndAppend()).refusal).toMatch(/checkpoints line 2: it does not link/);
  });

  it('a roll-back to an earlier signed state passes on its own, and is caught against an outside record (--expect-at-least, --expect-hash)', async () => {
    const kept = JSON.parse(checkpointLines().at(-1) as string) as Checkpoint; // shipped elsewhere: entry 35
    keepCheckpoints((c) => c.seq <= 20);
    write(read().slice(0, 20));
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10 })).resolves.toMatchObject({ status: 0 });
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10, expectAtLeast: kept.seq })).resolves.toMatchObject({
      status: 1,
      message: expect.stringMatching(/^audit log BROKEN at entry 21: the log ends at entry 20, but entry 35 was recorded elsewhere \(--expect-at-least\)/),
    });
    // Written on past entry 35 again, only the hash tells.
    const sink = new FileAuditSink(path, { checkpoints: keys.settings(10) });
    await sink.append(Array.from({ length: 20 }, (_, i) => auditRecord(100 + i)));
    await sink.close();
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10, expectAtLeast: kept.seq })).resolves.toMatchObject({ status: 0 });
    await expect(verifyAuditFile(path, { verifier: keys.verifier, every: 10, expectAtLeast: kept.seq, expectHash: kept.hash })).resolves.toMatchObject({
      status: 1,
      message: expect.stringMatching(/^audit log BROKEN at entry 35 \(line 35\): its hash differs from the one given with --expect-hash/),
    });
  });

  it('the sink refuses to append to a re-chained log, and leaves it as it found it', async () => {
    const entries = read();
    entries[4] = { ...entries[4], subject: 'someone-else' };
    write(rechain(entries, 4));
    const before = readFileSync(path);
    const sink = new FileAuditSink(path, { checkpoints: keys.settings(10) });
    await expect(sink.append([auditRecord(99)])).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(sink.refusal).toMatch(/line 10: its hash differs from the signed checkpoint/);
    await sink.close();
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  describe('its accessLog index, which citizens\' access histories are read through', () => {
    const indexDir = () => `${path}.index`;
    const meta = () => JSON.parse(readFileSync(join(indexDir(), 'meta.json'), 'utf8')) as { runs: Array<{ file: string; count: number }> };
    /** The index as the audit subgraph leaves it once a run is written. */
    const buildIndex = async () => {
      const index = new FileAuditIndex(path);
      await index.catchUp();
      await index.flush();
      await index.close();
    };
    /** What the audit subgraph answers for one citizen, reading through the index on disk. */
    const history = async (personalId: string) => {
      const index = new FileAuditIndex(path);
      try {
        return (await index.lookup(personalId, 10)).map((entry) => entry.seq);
      } finally {
        await index.close();
      }
    };
    /** Rewrites the one run with `edit` applied to its 16-byte records, the meta's count to match. */
    const editRun = (edit: (records: Buffer[]) => Buffer[]) => {
      const [run] = meta().runs;
      const bytes = readFileSync(join(indexDir(), run.file));
      const records = Array.from({ length: bytes.length / 16 }, (_, i) => bytes.subarray(i * 16, i * 16 + 16));
      const edited = edit(records);
      writeFileSync(join(indexDir(), run.file), Buffer.concat(edited));
      writeFileSync(join(indexDir(), 'meta.json'), JSON.stringify({ ...meta(), runs: [{ file: run.file, count: edited.length }] }));
    };
    const offsetOfEntry = (seq: number) => readFileSync(path, 'utf8').split('\n').slice(0, seq - 1).reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);

    it('verifies an index that holds what the log calls for', async () => {
      await buildIndex();
      await expect(verify()).resolves.toMatchObject({ status: 0, message: expect.stringContaining('its accessLog index matches the log (35 records') });
    });

    it('catches a read hidden from a citizen\'s history by dropping its record from the index', async () => {
      await buildIndex();
      const victim = read()[6];
      expect(await history(victim.personalId!)).toEqual([victim.seq]);
      const hidden = offsetOfEntry(victim.seq);
      editRun((records) => records.filter((record) => record.readDoubleBE(8) !== hidden));
      // The attack works on the index alone: the subgraph no longer finds that read...
      expect(await history(victim.personalId!)).toEqual([]);
      // ...and verification names it, while the log itself is intact.
      const verdict = await verify();
      expect(verdict.status).toBe(1);
      expect(verdict.message).toMatch(/chain intact.*accessLog index is BROKEN: it holds 34 records for the log's first \d+ bytes, where the log has 35 entries about citizens there/);
      expect(verdict.message).not.toContain(victim.personalId!);
      // Set aside, the index is rebuilt from the log and the read is back.
      renameSync(indexDir(), `${indexDir()}.evidence`);
      expect(await history(victim.personalId!)).toEqual([victim.seq]);
    });

    it('catches a record pointed at another entry, the count kept', async () => {
      await buildIndex();
      const moved = offsetOfEntry(7);
      const elsewhere = Buffer.alloc(8);
      elsewhere.writeDoubleBE(offsetOfEntry(2));
      editRun((records) => records.map((record) => (record.readDoubleBE(8) === moved ? Buffer.concat([record.subarray(0, 8), elsewhere]) : record)).sort(Buffer.compare));
      await expect(verify()).resolves.toMatchObject({ status: 1, message: expect.stringContaining("it holds as many records as the log's first") });
    });

    it('catches a run cut short or written out of order', async () => {
      await buildIndex();
      const [run] = meta().runs;
      const bytes = readFileSync(join(indexDir(), run.file));
      writeFileSync(join(indexDir(), run.file), bytes.subarray(0, bytes.length - 16));
      await expect(verify()).resolves.toMatchObject({ status: 1, message: expect.stringMatching(/run run-\d+\.idx holds \d+ bytes where its 35 records take 560/) });
      editRun((records) => [...records.slice(1), records[0]]);
      await expect(verify()).resolves.toMatchObject({ status: 1, message: expect.stringContaining('is out of order at record') });
    });
  });
});

describeWithPostgres('PostgreSQL audit log under attack', () => {
  let server: ThrowawayPostgres;
  let tables = 0;
  let table: string;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => server?.stop());

  async function sql(text: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> {
    const client = new Client({ connectionString: server.url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  }
  const verify = () => verifyAuditDatabase(server.url, { table, verifier: keys.verifier });

  async function readAll(): Promise<AuditEntry[]> {
    const sink = new PostgresAuditSink(server.url, { table });
    const out: AuditEntry[] = [];
    for await (const entry of sink.readAll()) out.push(entry as AuditEntry);
    await sink.close();
    return out;
  }

  /** Replaces the table's rows with `entries` (an attacker with write access to the table). */
  async function replace(entries: AuditEntry[]): Promise<void> {
    await sql(`DELETE FROM ${table}`);
    for (const e of entries) {
      await sql(
        `INSERT INTO ${table} (seq, at, request_id, subject, client_id, purpose, personal_id, fields, sources, location_independent, prev_hash, hash, caller_request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [e.seq, e.at, e.requestId, e.subject, e.clientId, e.purpose, e.personalId, e.fields, e.sources, e.locationIndependent, e.prevHash, e.hash, e.callerRequestId ?? null],
      );
    }
  }

  beforeEach(async () => {
    table = `audit_attack_${++tables}`;
    const sink = new PostgresAuditSink(server.url, { table, checkpoints: keys.settings(10) });
    for (let n = 1; n <= 35; n += 5) await sink.append([1, 2, 3, 4, 5].map((i) => auditRecord(n + i - 1)));
    await sink.close();
    await expect(verify()).resolves.toMatchObject({ status: 0 });
  });

  it('catches truncation before the newest checkpoint', async () => {
    await sql(`DELETE FROM ${table} WHERE seq > 27`);
    await expect(verify()).resolves.toMatchObject({ status: 1, message: expect.stringContaining('the log ends at entry 27, but a signed checkpoint covers entry 35') });
  });

  it('catches deletion of a row, renumbered and re-chained', async () => {
    const entries = await readAll();
    await replace(rechain([...entries.slice(0, 14), ...entries.slice(15)], 14));
    await expect(verify()).resolves.toMatchObject({ status: 1, message: expect.stringMatching(/^audit log BROKEN at entry 20: its hash differs from the signed checkpoint/) });
  });

  it('catches a changed row with every later hash recomputed, and the sink refuses to append', async () => {
    const entries = await readAll();
    entries[4] = { ...entries[4], subject: 'someone-else' };
    await replace(rechain(entries, 4));
    const verdict = await verify();
    expect(verdict.message).toMatch(/^audit log BROKEN at entry 10: its hash differs from the signed checkpoint/);
    expect(verdict.message).not.toMatch(/0241900|someone-else/);
    const sink = new PostgresAuditSink(server.url, { table, checkpoints: keys.settings(10) });
    // The sink checks from the newest checkpoint (35) on; rows 10..35 re-chained end at a different head.
    await expect(sink.append([auditRecord(99)])).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(sink.refusal).toMatch(/entry 35: its hash differs from the signed checkpoint/);
    await sink.close();
    expect(await sql(`SELECT count(*)::int AS n FROM ${table}`)).toEqual([{ n: 35 }]);
  });

  it('cannot rewrite the checkpoints table through SQL', async () => {
    await expect(sql(`UPDATE ${table}_checkpoints SET hash = 'x'`)).rejects.toThrow(/append-only/);
    await expect(sql(`TRUNCATE ${table}_checkpoints`)).rejects.toThrow(/append-only/);
  });
});
