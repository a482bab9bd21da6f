import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { graphql } from 'graphql';
import { Client, Pool } from 'pg';
import { AuditEntry, AuditRecord, chainEntry, GENESIS_HASH, unchainableRecordProblem, verifyChain } from '../../../lib/audit/entry';
import { createAuditSink } from '../../../lib/audit';
import { FileAuditSink } from '../../../lib/audit/file-sink';
import { PostgresAuditSink, PostgresAuditSinkOptions } from '../../../lib/audit/postgres-sink';
import { AuditChainBrokenError, AuditSetupError, AuditUnavailableError } from '../../../lib/audit/sink';
import { loadSubgraphConfig } from '../../../lib/config';
import { log } from '../../../lib/log';
import { setupAuditDatabase, SetupRefused } from '../../../scripts/audit-setup-database';
import { verifyAuditDatabase } from '../../../scripts/audit-verify';
import { createAuditSubgraph } from '../../../subgraphs/audit';
import { describeWithPostgres } from '../../support/needs-package';
import { auditRecord, checkpointKeys, refusalRecord, TestKeys } from '../../support/audit-fixtures';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, ThrowawayPostgres } from '../../../stack/postgres';

const PURPOSE = '1.001234 HS-2026-000123';

function record(requestId: string, personalId = '024190000001', second = 0): AuditRecord {
  return {
    at: new Date(Date.UTC(2026, 0, 1, 8, 0, second)).toISOString(),
    requestId,
    subject: 'officer-1',
    clientId: 'tthc',
    purpose: PURPOSE,
    personalId,
    fields: ['Citizen.dateOfBirth', 'Citizen.fullName'],
    sources: ['population'],
    locationIndependent: requestId.endsWith('0'),
  };
}

async function entriesOf(sink: PostgresAuditSink): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for await (const entry of sink.readAll()) entries.push(entry as AuditEntry);
  return entries;
}

function seqs(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1);
}

describeWithPostgres('PostgresAuditSink (against a throwaway PostgreSQL)', () => {
  let server: ThrowawayPostgres;
  let tables = 0;
  const opened: PostgresAuditSink[] = [];

  /** A sink on a table of its own, unless `table` names one to share. */
  function sinkOn(table = `audit_t${++tables}`, options: PostgresAuditSinkOptions = {}): PostgresAuditSink {
    const sink = new PostgresAuditSink(server.url, { table, ...options });
    opened.push(sink);
    return sink;
  }

  async function sql(text: string, url = server.url): Promise<unknown[]> {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((sink) => sink.close().catch(() => undefined)));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('creates its table and chains concurrent appends, batched, with consecutive seq', async () => {
    const sink = sinkOn('audit_concurrent');
    const transactions = jest.spyOn(Pool.prototype, 'connect'); // one connection per transaction
    try {
      await Promise.all(Array.from({ length: 200 }, (_, i) => sink.append([record(`r${i}`), record(`r${i}-b`)])));
      // Creating the table, then a few batches: not one transaction per caller.
      expect(transactions.mock.calls.length).toBeGreaterThanOrEqual(2);
      expect(transactions.mock.calls.length).toBeLessThanOrEqual(5);
    } finally {
      transactions.mockRestore();
    }
    const entries = await entriesOf(sink);
    expect(entries.map((e) => e.seq)).toEqual(seqs(400));
    // Each caller's records stay together, in the order given.
    for (let i = 0; i < 400; i += 2) expect(entries[i + 1].requestId).toBe(`${entries[i].requestId}-b`);
    expect(entries[0]).toEqual({ ...record(entries[0].requestId), seq: 1, prevHash: '0'.repeat(64), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: 400 });

    const columns = (await sql(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'audit_concurrent' ORDER BY ordinal_position",
    )) as { column_name: string; data_type: string }[];
    expect(Object.fromEntries(columns.map((c) => [c.column_name, c.data_type]))).toEqual({
      seq: 'bigint',
      at: 'timestamp with time zone',
      request_id: 'text',
      subject: 'text',
      client_id: 'text',
      purpose: 'text',
      personal_id: 'text',
      fields: 'ARRAY',
      sources: 'ARRAY',
      location_independent: 'boolean',
      prev_hash: 'text',
      hash: 'text',
      caller_request_id: 'text',
      purpose_basis: 'text',
      procedure_code: 'text',
      procedure_name: 'text',
      procedure_catalogue_version: 'text',
      dossier: 'text',
      kind: 'text',
      refusal_code: 'text',
      refusal_reason: 'text',
      refusal_count: 'integer',
    });
    const indexes = (await sql("SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_concurrent'")) as { indexdef: string }[];
    expect(indexes.map((i) => i.indexdef)).toContainEqual(expect.stringContaining('(personal_id, seq DESC)'));
  });

  it('keeps one chain when two replicas append to the same table at once', async () => {
    const [a, b] = [sinkOn('audit_shared'), sinkOn('audit_shared')];
    for (let wave = 0; wave < 5; wave++) {
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).append([record(`${i % 2 === 0 ? 'a' : 'b'}-${wave}-${i}`)])),
      );
    }
    const entries = await entriesOf(a);
    expect(entries.map((e) => e.seq)).toEqual(seqs(200));
    expect(entries.filter((e) => e.requestId.startsWith('a-'))).toHaveLength(100);
    expect(entries.filter((e) => e.requestId.startsWith('b-'))).toHaveLength(100);
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: 200 });
    await expect(verifyChain(b.readAll())).resolves.toEqual({ ok: true, entries: 200 });
  });

  it('keeps one chain with signed checkpoints when four gateways append at once, and audit:verify accepts it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-4w-'));
    try {
      const keys = await checkpointKeys(dir);
      // Four gateways sharing one checkpoint key (the one Secret every replica mounts).
      const writers = [0, 1, 2, 3].map(() => sinkOn('audit_four', { checkpoints: keys.settings(25), maxConnections: 2 }));
      await Promise.all(
        Array.from({ length: 400 }, (_, i) => writers[i % 4].append([record(`w${i % 4}-${i}`, `0241900${String(i).padStart(5, '0')}`)])),
      );
      const entries = await entriesOf(writers[0]);
      expect(entries.map((e) => e.seq)).toEqual(seqs(400));
      for (const w of [0, 1, 2, 3]) expect(entries.filter((e) => e.requestId.startsWith(`w${w}-`))).toHaveLength(100);
      const checkpoints = await writers[0].readCheckpoints();
      expect(checkpoints.length).toBeGreaterThanOrEqual(400 / 25 / 4);
      await expect(verifyAuditDatabase(server.url, { table: 'audit_four', verifier: keys.verifier })).resolves.toMatchObject({ status: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads one citizen's entries newest first, at most `first`", async () => {
    const sink = sinkOn();
    await expect(sink.readByPersonalId('024190000001', 5)).resolves.toEqual([]); // no table yet
    for (let n = 1; n <= 6; n++) await sink.append([record(`mine-${n}`, '024190000001', n), record(`other-${n}`, '001200000002', n)]);
    const mine = await sink.readByPersonalId('024190000001', 4);
    expect(mine.map((e) => e.requestId)).toEqual(['mine-6', 'mine-5', 'mine-4', 'mine-3']);
    expect(mine.map((e) => e.seq)).toEqual([11, 9, 7, 5]);
    expect(mine[0]).toMatchObject({ at: '2026-01-01T08:00:06.000Z', purpose: PURPOSE, fields: ['Citizen.dateOfBirth', 'Citizen.fullName'] });
    await expect(sink.readByPersonalId('024190000001', 100)).resolves.toHaveLength(6);
    await expect(sink.readByPersonalId('079300000003', 10)).resolves.toEqual([]);
    // The next page: older than the last entry shown.
    await expect(sink.readByPersonalId('024190000001', 4, 5).then((page) => page.map((e) => e.requestId))).resolves.toEqual(['mine-2', 'mine-1']);
  });

  it('stores refusals in the same chain, verified, never in a citizen\'s history; a changed reason breaks the chain', async () => {
    const table = 'audit_refusals';
    const sink = sinkOn(table);
    await sink.append([record('read-1', '024190000001', 1), refusalRecord(2), refusalRecord(3, null), record('read-4', '024190000001', 4)]);
    const stored = [];
    for await (const entry of sink.readAll()) stored.push(entry as AuditEntry);
    expect(stored.map((e) => e.kind ?? 'read')).toEqual(['read', 'refusal', 'refusal', 'read']);
    expect(stored[1]).toMatchObject({ personalId: '', refusal: { code: 'FORBIDDEN', reason: 'OUTSIDE_PROCEDURE', count: 3 }, procedure: { code: 'local:marital-status-confirmation' }, dossier: 'HS-2' });
    expect(stored[2].refusal).toEqual({ code: 'PROCEDURE_NOT_ALLOWED', reason: null, count: 1 });
    await expect(verifyAuditDatabase(server.url, { table })).resolves.toMatchObject({ status: 0, message: expect.stringContaining('4 entries') });
    await expect(sink.readByPersonalId('024190000001', 10)).resolves.toHaveLength(2);
    await expect(sink.readByPersonalId('', 10)).resolves.toEqual([]);

    await sql(`UPDATE ${table} SET refusal_reason = 'MISSING_SCOPE' WHERE seq = 2`);
    await expect(verifyChain(sink.readAll())).resolves.toMatchObject({ ok: false, brokenAt: 2, problem: expect.stringContaining('changed') });
  });

  it('adds the refusal columns to a table made before them, and chains a refusal after its rows', async () => {
    const table = 'audit_before_refusals';
    // The table as the first release made it, holding one read of that time.
    await sql(`CREATE TABLE ${table} (seq bigint PRIMARY KEY, at timestamptz NOT NULL, request_id text NOT NULL, subject text NOT NULL,
      client_id text NOT NULL, purpose text, personal_id text NOT NULL, fields text[] NOT NULL, sources text[] NOT NULL,
      location_independent boolean NOT NULL, prev_hash text NOT NULL, hash text NOT NULL)`);
    const old = chainEntry(1, GENESIS_HASH, { ...record('old-1'), at: '2025-12-01T00:00:00.000Z' });
    await sql(
      `INSERT INTO ${table} VALUES (1, '${old.at}', '${old.requestId}', '${old.subject}', '${old.clientId}', '${PURPOSE}', '${old.personalId}',
        '{${old.fields.join(',')}}', '{${old.sources.join(',')}}', ${old.locationIndependent}, '${old.prevHash}', '${old.hash}')`,
    );
    const sink = sinkOn(table);
    await sink.append([refusalRecord(2)]);
    const entries = await entriesOf(sink);
    expect(entries.map((e) => e.kind ?? 'read')).toEqual(['read', 'refusal']);
    expect(entries[0]).not.toHaveProperty('refusal');
    await expect(verifyAuditDatabase(server.url, { table })).resolves.toMatchObject({ status: 0 });
    await expect(sink.readByPersonalId(old.personalId, 10)).resolves.toHaveLength(1);
  });

  it('streams the whole log past one page, and names a tampered row by its seq', async () => {
    const table = 'audit_tamper';
    const sink = sinkOn(table);
    await sink.append(Array.from({ length: 2345 }, (_, i) => record(`r${i + 1}`, '024190000001', i % 60)));
    await expect(verifyChain(sink.readAll())).resolves.toEqual({ ok: true, entries: 2345 });
    await expect(verifyAuditDatabase(server.url, { table })).resolves.toMatchObject({ status: 0, message: expect.stringContaining('2345 entries') });

    await sql(`UPDATE ${table} SET purpose = '1.000000 HS-FORGED' WHERE seq = 1234`);
    await expect(verifyChain(sink.readAll())).resolves.toMatchObject({ ok: false, brokenAt: 1234, problem: expect.stringContaining('changed') });
    const verdict = await verifyAuditDatabase(server.url, { table });
    expect(verdict).toMatchObject({ status: 1, message: expect.stringContaining('BROKEN at entry 1234') });
    expect(verdict.message).not.toContain('024190000001');
    expect(verdict.message).not.toContain('HS-');

    await sql(`DELETE FROM ${table} WHERE seq = 2000`);
    await sql(`UPDATE ${table} SET purpose = '${PURPOSE}' WHERE seq = 1234`);
    await expect(verifyChain(sink.readAll())).resolves.toMatchObject({ ok: false, brokenAt: 2000, problem: expect.stringContaining('removed') });
    await expect(verifyAuditDatabase(server.url, { table: 'audit_never_written' })).resolves.toMatchObject({ status: 2 });
  });

  it("refuses one caller's unstorable record without failing the others in its batch", async () => {
    const sink = sinkOn();
    const results = await Promise.allSettled([
      sink.append([record('ok-1')]),
      sink.append([{ ...record('bad'), purpose: 'HS\u0000' }]),
      sink.append([{ ...record('bad-time'), at: 'yesterday' }]),
      sink.append([record('ok-2')]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(AuditUnavailableError);
    const entries = await entriesOf(sink);
    expect(entries.map((e) => e.requestId)).toEqual(['ok-1', 'ok-2']);
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: 2 });
  });

  describe('a chain cut back or changed under a running sink (restore, failover, deleted rows)', () => {
    let dir: string;
    let keys: TestKeys;
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'audit-back-'));
      keys = await checkpointKeys(dir);
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /** 25 entries in batches of 5, checkpoints every 10. */
    async function fill(sink: PostgresAuditSink): Promise<void> {
      for (let n = 1; n <= 25; n += 5) await sink.append([0, 1, 2, 3, 4].map((i) => auditRecord(n + i)));
    }
    const signedSeqs = async (table: string) => ((await sql(`SELECT seq FROM ${table}_checkpoints ORDER BY seq`)) as { seq: string }[]).map((r) => Number(r.seq));

    it('refuses to chain onto, or sign, a head behind the entry it committed; nothing is reused', async () => {
      const table = 'audit_cut_back';
      const settings = keys.settings(10);
      const sink = sinkOn(table, { checkpoints: settings });
      await fill(sink);
      await sql(`DELETE FROM ${table} WHERE seq > 20`);

      const refused = sink.append([auditRecord(500), auditRecord(501)]);
      await expect(refused).rejects.toBeInstanceOf(AuditUnavailableError);
      await expect(refused.catch((error: AuditUnavailableError) => Promise.reject(error.cause))).rejects.toBeInstanceOf(AuditChainBrokenError);
      expect(sink.refusal).toMatch(/went backwards: it ends at entry 20, but this gateway had already committed or signed entry 25/);
      expect(sink.refusal).not.toMatch(/0241900/);
      settings.tick();
      await sink.checkpoint();
      expect(await sql(`SELECT max(seq)::int AS head FROM ${table}`)).toEqual([{ head: 20 }]);
      expect(await signedSeqs(table)).toEqual([10, 20]);
    });

    it("refuses to sign another replica's head that re-used the seqs it had committed", async () => {
      const table = 'audit_refilled';
      const settings = keys.settings(10);
      const first = sinkOn(table, { checkpoints: settings });
      await fill(first);
      await sql(`DELETE FROM ${table} WHERE seq > 20`);
      // A replica started after the cut cannot know: it chains on from the signed entry 20.
      const second = sinkOn(table, { checkpoints: keys.settings(10) });
      await second.append([auditRecord(600), auditRecord(601)]);

      settings.tick();
      await first.checkpoint();
      expect(await signedSeqs(table)).toEqual([10, 20]);
      expect(first.refusal).toMatch(/went backwards: it ends at entry 22, but this gateway had already committed or signed entry 25/);
      await expect(first.append([auditRecord(602)])).rejects.toBeInstanceOf(AuditUnavailableError);
    });

    it('refuses when the row it committed was replaced, though the head is ahead of it', async () => {
      const table = 'audit_replaced';
      const first = sinkOn(table);
      await first.append([1, 2, 3, 4, 5].map((n) => auditRecord(n)));
      await sql(`DELETE FROM ${table} WHERE seq > 3`);
      const second = sinkOn(table);
      await second.append([6, 7, 8, 9].map((n) => auditRecord(n)));

      await expect(first.append([auditRecord(10)])).rejects.toBeInstanceOf(AuditUnavailableError);
      expect(first.refusal).toMatch(/changed under this gateway: entry 5 no longer has the hash it committed or signed/);
      expect(await sql(`SELECT max(seq)::int AS head FROM ${table}`)).toEqual([{ head: 7 }]);
    });

    it('refuses to start when the head is behind the newest signed checkpoint', async () => {
      const table = 'audit_behind_checkpoint';
      const writer = sinkOn(table, { checkpoints: keys.settings(10) });
      await fill(writer);
      await writer.close(); // signs 25
      await sql(`DELETE FROM ${table} WHERE seq > 22`);

      const restarted = sinkOn(table, { checkpoints: keys.settings(10) });
      await expect(restarted.open()).rejects.toThrow(AuditChainBrokenError);
      expect(restarted.refusal).toMatch(/ends at entry 22, but a signed checkpoint covers entry 25/);
    });

    it('starts when the database cannot be reached, and fails its appends closed', async () => {
      const unreachable = new PostgresAuditSink('postgresql://postgres@127.0.0.1:1/postgres', { table: 'audit_nowhere', connectTimeoutMs: 500 });
      opened.push(unreachable);
      await expect(unreachable.open()).resolves.toBeUndefined();
      await expect(unreachable.append([auditRecord(1)])).rejects.toBeInstanceOf(AuditUnavailableError);
    });
  });

  describe('tables owned by a role of their own (npm run audit:setup-database)', () => {
    const urlAs = (role: string) => server.url.replace('postgres@', `${role}@`);
    beforeAll(async () => {
      await sql('CREATE ROLE audit_owner LOGIN; CREATE ROLE audit_gw LOGIN; CREATE ROLE audit_reader LOGIN; GRANT CREATE ON SCHEMA public TO audit_owner');
    });

    it('lets the gateway role append and sign, and neither it nor the reader rewrite or unguard the tables', async () => {
      const table = 'audit_owned';
      await expect(setupAuditDatabase(urlAs('audit_owner'), { table, gatewayRole: 'audit_gw', readerRole: 'audit_reader' })).resolves.toMatch(/owned by audit_owner; audit_gw may INSERT and SELECT; audit_reader may SELECT/);
      const dir = mkdtempSync(join(tmpdir(), 'audit-owned-'));
      try {
        const keys = await checkpointKeys(dir);
        const sink = new PostgresAuditSink(urlAs('audit_gw'), { table, checkpoints: keys.settings(2), production: true });
        opened.push(sink);
        await sink.open();
        await sink.append([auditRecord(1), auditRecord(2), auditRecord(3)]);
        await sink.close();
        await expect(verifyAuditDatabase(urlAs('audit_reader'), { table, verifier: keys.verifier })).resolves.toMatchObject({ status: 0, message: expect.stringContaining('3 entries') });
        // The audit subgraph's reads, as the reader role in production: a citizen's history, a period; no append.
        const reader = new PostgresAuditSink(urlAs('audit_reader'), { table, production: true });
        opened.push(reader);
        expect((await reader.readByPersonalId(auditRecord(2).personalId, 10)).map((entry) => entry.seq)).toEqual([2]);
        const period: number[] = [];
        for await (const entry of reader.readPeriod(new Date(Date.UTC(2025, 0, 1)), new Date(Date.UTC(2027, 0, 1)))) period.push(entry.seq);
        expect(period).toEqual([1, 2, 3]);
        await expect(reader.append([auditRecord(4)])).rejects.toThrow();
        await reader.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const gateway = urlAs('audit_gw');
      await expect(sql(`DELETE FROM ${table} WHERE seq > 1`, gateway)).rejects.toThrow(/permission denied/);
      await expect(sql(`UPDATE ${table} SET subject = 'x'`, gateway)).rejects.toThrow(/permission denied/);
      await expect(sql(`ALTER TABLE ${table}_checkpoints DISABLE TRIGGER USER`, gateway)).rejects.toThrow(/must be owner/);
      await expect(sql(`DROP TABLE ${table}_checkpoints`, gateway)).rejects.toThrow(/must be owner/);
      await expect(sql(`INSERT INTO ${table}_checkpoints (seq, v, hash, at, kid, sig) VALUES (99, 1, 'x', 'x', 'x', 'x')`, urlAs('audit_reader'))).rejects.toThrow(/permission denied/);
      // Run again (an upgrade): nothing changes, nothing is refused.
      await expect(setupAuditDatabase(urlAs('audit_owner'), { table, gatewayRole: 'audit_gw' })).resolves.toMatch(/ready/);
      expect(await sql(`SELECT count(*)::int AS n FROM ${table}`)).toEqual([{ n: 3 }]);
    });

    it('in production refuses to start when its role could rewrite the tables, naming the fix; in development warns and appends', async () => {
      const table = 'audit_own_power';
      await setupAuditDatabase(urlAs('audit_owner'), { table, gatewayRole: 'audit_gw' });
      // The table's owner, a superuser, or a role granted DELETE: each could rewrite the log unseen.
      await sql(`CREATE ROLE audit_deleter LOGIN; GRANT SELECT, INSERT, DELETE ON ${table}, ${table}_checkpoints TO audit_deleter`);
      for (const role of ['audit_owner', 'postgres', 'audit_deleter']) {
        const sink = new PostgresAuditSink(urlAs(role), { table, production: true });
        opened.push(sink);
        await expect(sink.open()).rejects.toThrow(AuditSetupError);
        await expect(sink.open()).rejects.toThrow(/could rewrite the log and its checkpoints unseen.*npm run audit:setup-database/);
        await expect(sink.append([auditRecord(1)])).rejects.toBeInstanceOf(AuditUnavailableError);
      }
      expect(await sql(`SELECT count(*)::int AS n FROM ${table}`)).toEqual([{ n: 0 }]);

      const warnings = jest.spyOn(log, 'warn').mockImplementation(() => undefined);
      try {
        const development = new PostgresAuditSink(urlAs('audit_owner'), { table, production: false });
        opened.push(development);
        await development.open();
        await development.append([auditRecord(1)]);
        expect(warnings).toHaveBeenCalledWith(expect.stringMatching(/could rewrite the log.*allowed outside production/));
      } finally {
        warnings.mockRestore();
      }
    });

    it('in production creates no table: a missing one is named with the fix', async () => {
      const sink = new PostgresAuditSink(urlAs('audit_gw'), { table: 'audit_never_set_up', production: true });
      opened.push(sink);
      await expect(sink.open()).rejects.toThrow(/lacks the table audit_never_set_up, the table audit_never_set_up_checkpoints: run npm run audit:setup-database/);
      expect(await sql("SELECT to_regclass('audit_never_set_up') IS NULL AS absent")).toEqual([{ absent: true }]);
    });

    it('setup refuses a gateway role that is, or may act as, the owner', async () => {
      await expect(setupAuditDatabase(urlAs('audit_owner'), { table: 'audit_self_owned', gatewayRole: 'audit_owner' })).rejects.toThrow(SetupRefused);
      await expect(setupAuditDatabase(urlAs('audit_owner'), { table: 'audit_self_owned', gatewayRole: 'postgres' })).rejects.toThrow(/superuser/);
      await expect(setupAuditDatabase(urlAs('audit_owner'), { table: 'audit_self_owned', gatewayRole: 'Robert"; DROP' })).rejects.toThrow(/expected a role name/);
      expect(await sql("SELECT to_regclass('audit_self_owned') IS NULL AS absent")).toEqual([{ absent: true }]);
    });
  });

  it("refuses one caller's record holding a lone surrogate (PostgreSQL would store it altered), so the chain stays intact", async () => {
    const sink = sinkOn();
    const highHalf = '\u{1F600}'.slice(0, 1);
    expect(unchainableRecordProblem({ ...record('x'), purpose: `Thanh tra ${highHalf}` })).toMatch(/lone UTF-16 surrogate/);
    expect(unchainableRecordProblem({ ...record('x'), purpose: 'Thanh tra \u{1F600}' })).toBeNull();
    const results = await Promise.allSettled([
      sink.append([record('ok-1')]),
      sink.append([{ ...record('bad-purpose'), purpose: `Thanh tra ${highHalf}` }]),
      sink.append([{ ...record('bad-subject'), subject: `officer\uDC00` }]),
      sink.append([{ ...record('ok-emoji'), purpose: 'Thanh tra \u{1F600}' }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(AuditUnavailableError);
    await sink.append([record('ok-after')]);
    const entries = await entriesOf(sink);
    expect(entries.map((e) => e.requestId)).toEqual(['ok-1', 'ok-emoji', 'ok-after']);
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: 3 });
  });

  it('stores `at` as the ISO form it reads back, so the chain verifies', async () => {
    const sink = sinkOn();
    await sink.append([{ ...record('offset'), at: '2026-03-01T15:30:00+07:00' }]);
    const [entry] = await entriesOf(sink);
    expect(entry.at).toBe('2026-03-01T08:30:00.000Z');
    await expect(verifyChain([entry])).resolves.toEqual({ ok: true, entries: 1 });
  });

  it('accepts schema.table and refuses names that are not plain identifiers', async () => {
    const sink = sinkOn('audit_schema.entries');
    await sink.append([record('in-schema')]);
    await expect(sql("SELECT count(*)::int AS n FROM audit_schema.entries")).resolves.toEqual([{ n: 1 }]);
    for (const table of ['audit_log; DROP TABLE x', 'Audit', 'a.b.c', '"quoted"', '']) {
      expect(() => new PostgresAuditSink(server.url, { table })).toThrow(/audit table name/);
    }
    expect(() => new PostgresAuditSink('mysql://db/audit')).toThrow(/postgres/);
  });

  it('is what createAuditSink makes when a database URL is configured', async () => {
    const sink = createAuditSink({ auditFile: '', auditDatabaseUrl: server.url });
    expect(sink).toBeInstanceOf(PostgresAuditSink);
    await sink.close();
    const file = createAuditSink({ auditFile: '/tmp/never-written/audit.log' });
    expect(file).toBeInstanceOf(FileAuditSink);
    await file.close();
  });

  it('answers the audit subgraph: accessLog newest first through a SubgraphConfig with auditDatabaseUrl', async () => {
    await sql('CREATE DATABASE subgraph_audit');
    const url = server.urlFor('subgraph_audit');
    const config = loadSubgraphConfig('audit', { AUDIT_DATABASE_URL: url });
    expect(config.auditDatabaseUrl).toBe(url);
    const definition = createAuditSubgraph(config);
    const schema = buildSubgraphSchema({ typeDefs: definition.typeDefs, resolvers: definition.resolvers as GraphQLResolverMap<unknown> });
    const ask = (personalId: string) =>
      graphql({
        schema,
        source: 'query ($id: ID!) { accessLog(personalId: $id, first: 3) { sequence at subject clientId purpose fields sources requestId locationIndependent } }',
        variableValues: { id: personalId },
        contextValue: definition.createContext(),
      });
    try {
      // Before the gateway has written anything, the table does not exist: an empty history.
      await expect(ask('024190000001')).resolves.toEqual({ data: { accessLog: [] } });

      const gateway = createAuditSink(config); // the gateway's sink, default table
      opened.push(gateway as PostgresAuditSink);
      for (let n = 1; n <= 5; n++) await gateway.append([record(`req-${n}`, '024190000001', n), record(`else-${n}`, '001200000002', n)]);

      const result = await ask('024190000001');
      expect(result.errors).toBeUndefined();
      const log = result.data?.accessLog as { sequence: string; requestId: string; at: string }[];
      expect(log.map((e) => [e.sequence, e.requestId])).toEqual([
        ['9', 'req-5'],
        ['7', 'req-4'],
        ['5', 'req-3'],
      ]);
      expect(log[0]).toEqual({
        sequence: '9',
        at: '2026-01-01T08:00:05.000Z',
        subject: 'officer-1',
        clientId: 'tthc',
        purpose: PURPOSE,
        fields: ['Citizen.dateOfBirth', 'Citizen.fullName'],
        sources: ['population'],
        requestId: 'req-5',
        locationIndependent: false,
      });
    } finally {
      await definition.close();
    }
  });

  it('rejects appends with AuditUnavailableError while the database is down, and resumes the chain after it is back', async () => {
    const sink = sinkOn('audit_outage', { connectTimeoutMs: 2000 });
    await sink.append([record('before-1'), record('before-2')]);
    const fresh = sinkOn('audit_outage_fresh', { connectTimeoutMs: 2000 }); // its table is not made yet

    await server.halt('fast');
    try {
      const during = await Promise.allSettled([sink.append([record('during-1')]), sink.append([record('during-2')]), fresh.append([record('during-3')])]);
      for (const result of during) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(AuditUnavailableError);
      }
      await expect(verifyAuditDatabase(server.url, { table: 'audit_outage' })).resolves.toMatchObject({ status: 2, message: expect.stringContaining('cannot be read') });
    } finally {
      await server.start();
    }

    await sink.append([record('after-1')]);
    await fresh.append([record('after-2')]);
    const entries = await entriesOf(sink);
    expect(entries.map((e) => [e.seq, e.requestId])).toEqual([
      [1, 'before-1'],
      [2, 'before-2'],
      [3, 'after-1'],
    ]);
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: 3 });
    await expect(verifyChain(fresh.readAll())).resolves.toEqual({ ok: true, entries: 1 });
  });

  it('keeps every acknowledged entry, with a valid chain, when the server is killed (immediate stop) and restarted', async () => {
    const table = 'audit_crash';
    const sink = sinkOn(table, { connectTimeoutMs: 2000 });
    const acknowledged = new Set<string>();
    let written = 0;
    let failures = 0;
    // Eight callers appending in a loop: batches are in flight when the server dies.
    const caller = async (who: number) => {
      for (let n = 0; n < 10_000; n++) {
        const id = `c${who}-${n}`;
        try {
          await sink.append([record(id)]);
          acknowledged.add(id);
          written++;
        } catch (error) {
          expect(error).toBeInstanceOf(AuditUnavailableError);
          failures++;
          return;
        }
      }
    };
    const callers = Array.from({ length: 8 }, (_, who) => caller(who));
    while (written < 150) await new Promise((r) => setTimeout(r, 5));
    await server.halt('immediate');
    await Promise.all(callers);
    expect(failures).toBe(8);
    await server.start();

    const after = sinkOn(table);
    const entries = await entriesOf(after);
    const stored = new Set(entries.map((e) => e.requestId));
    for (const id of acknowledged) expect(stored.has(id)).toBe(true);
    await expect(verifyChain(entries)).resolves.toEqual({ ok: true, entries: entries.length });

    // Appends continue the chain, from either sink.
    await Promise.all([sink.append([record('resumed-1')]), after.append([record('resumed-2')])]);
    const resumed = await entriesOf(after);
    expect(resumed.map((e) => e.seq)).toEqual(seqs(entries.length + 2));
    await expect(verifyChain(resumed)).resolves.toEqual({ ok: true, entries: entries.length + 2 });
  });
});
