/**
 * The production audit sink: one PostgreSQL table shared by every gateway replica, holding one
 * hash chain. Appends are group-committed as in the file sink: the records of concurrent requests
 * go into one transaction, which takes a transaction-scoped advisory lock (so replicas append one
 * at a time), reads the last entry, chains the batch after it and inserts it. Callers are answered
 * only after COMMIT returns, with synchronous_commit on: an acknowledged entry survives a crash of
 * the database server. A transaction that fails acknowledges nothing.
 *
 * The gateway's database role needs CREATE on the schema the first time (the table is created if
 * missing), then INSERT and SELECT; the audit subgraph's role only SELECT. Neither needs UPDATE or
 * DELETE, and should not have them.
 *
 * Signed checkpoints of the head (lib/audit/checkpoint.ts) go to a table of their own,
 * `<table>_checkpoints`, in the same transaction as the batch that crosses a multiple of `every`
 * (and from a timer, and at close); a trigger refuses UPDATE, DELETE and TRUNCATE on it.
 *
 * The chain is checked before appending: once, at the first append, from the newest checkpoint to
 * the head (the whole table when there is none yet), and in every batch, the head entry the batch
 * chains onto. A row that does not fit makes this sink refuse every append (AUDIT_UNAVAILABLE)
 * and log its seq and the problem; nothing is changed. Rows older than the newest checkpoint are
 * checked by `npm run audit:verify`, not at start.
 */
import { createHash } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import { log } from '../log';
import { Checkpoint, checkCheckpoints, checkpointDue, CheckpointSettings, checkpointVerifierOf, startTimer } from './checkpoint';
import { AuditEntry, AuditRecord, ChainWalker, GENESIS_HASH, hashEntry } from './entry';
import { chainRecords, GroupCommit } from './group-commit';
import { AuditChainBrokenError, AuditSink, AuditUnavailableError } from './sink';

export const DEFAULT_AUDIT_TABLE = 'audit_log';

export interface PostgresAuditSinkOptions {
  /** `table` or `schema.table` (lower-case letters, digits, `_`); default `audit_log`. */
  table?: string;
  /** Connections in this process's pool; default 4. */
  maxConnections?: number;
  /** How long to wait for a connection, in ms; default 5000. */
  connectTimeoutMs?: number;
  /** How long one statement may take (waiting for other replicas' lock included), in ms; default 15000. */
  queryTimeoutMs?: number;
  /** Signed checkpoints (the gateway); absent for readers. */
  checkpoints?: CheckpointSettings;
}

/** Rows per INSERT statement, well under PostgreSQL's 65,535 parameters per statement. */
const INSERT_CHUNK = 1000;
/** Rows per page when reading the whole log. */
const READ_PAGE = 1000;
const UNDEFINED_TABLE = '42P01';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,39}$/;

const COLUMNS =
  'seq, at, request_id, subject, client_id, purpose, personal_id, fields, sources, location_independent, prev_hash, hash, caller_request_id, purpose_basis, procedure_code, procedure_name, procedure_catalogue_version, dossier, kind, refusal_code, refusal_reason, refusal_count';
const COLUMN_COUNT = 22;
const CHECKPOINT_COLUMNS = 'v, seq, hash, at, kid, sig';

interface Row {
  seq: string;
  at: Date;
  request_id: string;
  subject: string;
  client_id: string;
  purpose: string | null;
  personal_id: string;
  fields: string[];
  sources: string[];
  location_independent: boolean;
  prev_hash: string;
  hash: string;
  caller_request_id: string | null;
  purpose_basis: string | null;
  procedure_code: string | null;
  procedure_name: string | null;
  procedure_catalogue_version: string | null;
  dossier: string | null;
  kind: string | null;
  refusal_code: string | null;
  refusal_reason: string | null;
  refusal_count: number | null;
}

function toEntry(row: Row): AuditEntry {
  return {
    seq: Number(row.seq),
    at: row.at.toISOString(),
    requestId: row.request_id,
    subject: row.subject,
    clientId: row.client_id,
    purpose: row.purpose,
    personalId: row.personal_id,
    fields: row.fields,
    sources: row.sources,
    locationIndependent: row.location_independent,
    prevHash: row.prev_hash,
    hash: row.hash,
    ...(row.caller_request_id == null ? {} : { callerRequestId: row.caller_request_id }),
    ...(row.purpose_basis == null
      ? {}
      : {
          purposeBasis: row.purpose_basis as AuditEntry['purposeBasis'],
          procedure:
            row.procedure_code == null
              ? null
              : { code: row.procedure_code, name: row.procedure_name ?? '', catalogueVersion: row.procedure_catalogue_version ?? '' },
          dossier: row.dossier,
        }),
    ...(row.kind == null
      ? {}
      : { kind: row.kind as AuditEntry['kind'], refusal: { code: row.refusal_code ?? '', reason: row.refusal_reason, count: row.refusal_count ?? 0 } }),
  };
}

function toCheckpoint(row: { v: number; seq: string; hash: string; at: string; kid: string; sig: string }): Checkpoint {
  return { v: row.v, seq: Number(row.seq), hash: row.hash, at: row.at, kid: row.kid, sig: row.sig };
}

function isUndefinedTable(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === UNDEFINED_TABLE;
}

/**
 * The record as the table stores it: `at` in the one ISO form a timestamptz reads back as, so the
 * hash covers exactly what is stored. Refuses what PostgreSQL text cannot hold (NUL).
 */
function storable(record: AuditRecord): AuditRecord {
  const at = new Date(record.at);
  if (Number.isNaN(at.getTime())) throw new Error('audit record has an invalid time');
  const texts = [
    record.requestId,
    record.callerRequestId ?? '',
    record.subject,
    record.clientId,
    record.purpose ?? '',
    record.personalId,
    ...record.fields,
    ...record.sources,
    record.procedure?.code ?? '',
    record.procedure?.name ?? '',
    record.procedure?.catalogueVersion ?? '',
    record.dossier ?? '',
    record.refusal?.code ?? '',
    record.refusal?.reason ?? '',
  ];
  if (texts.some((text) => text.includes('\u0000'))) throw new Error('audit record contains a NUL character, which cannot be stored');
  return { ...record, at: at.toISOString() };
}

/** `schema.table` checked and double-quoted, so it can be put into SQL text. */
function qualifiedName(table: string): { sql: string; schema: string | null; name: string } {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new Error(`audit table name "${table}": expected table or schema.table, lower-case letters, digits and _ (at most 40 each)`);
  }
  const [schema, name] = parts.length === 2 ? parts : [null, parts[0]];
  return { sql: parts.map((part) => `"${part}"`).join('.'), schema, name };
}

/** A constant lock key per table: replicas writing the same table take the same lock. */
function lockKeyOf(table: string): string {
  return createHash('sha256').update(`vn-commune-gateway audit chain ${table}`).digest().readBigInt64BE(0).toString();
}

export class PostgresAuditSink implements AuditSink {
  /** Where the log is, for messages: no user name or password. */
  readonly where: string;
  private readonly pool: Pool;
  private readonly table: string;
  /** The checkpoint table, SQL-quoted. */
  private readonly checkpointTable: string;
  private readonly schema: string | null;
  private readonly name: string;
  private readonly lockKey: string;
  private readonly batches = new GroupCommit((records) => this.commit(records));
  private tableReady: Promise<void> | null = null;
  private checked: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private broken: string | null = null;
  private stopTimer: (() => void) | null = null;
  private readonly checkpoints: CheckpointSettings | undefined;

  constructor(url: string, options: PostgresAuditSinkOptions = {}) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('the audit database URL must start with postgres:// or postgresql://');
    const table = options.table ?? DEFAULT_AUDIT_TABLE;
    const qualified = qualifiedName(table);
    this.table = qualified.sql;
    this.schema = qualified.schema;
    this.name = qualified.name;
    this.checkpointTable = qualifiedName(`${table}_checkpoints`).sql;
    this.checkpoints = options.checkpoints;
    this.lockKey = lockKeyOf(table);
    const parsed = new URL(url);
    this.where = `postgresql://${parsed.host}${parsed.pathname} (table ${table})`;
    this.pool = new Pool({
      connectionString: url,
      max: options.maxConnections ?? 4,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      query_timeout: options.queryTimeoutMs ?? 15_000,
      keepAlive: true,
      application_name: 'vn-commune-gateway audit',
    });
    // A pooled connection the server closes while idle: the next use reconnects or reports it.
    this.pool.on('error', () => undefined);
  }

  append(records: AuditRecord[]): Promise<void> {
    let rows: AuditRecord[];
    try {
      rows = records.map(storable);
    } catch (error) {
      // Only this caller's records are refused; the batch it would have joined goes on.
      return Promise.reject(new AuditUnavailableError(error));
    }
    return this.batches.append(rows);
  }

  /** Runs `work` in one READ COMMITTED transaction holding the chain's lock, then commits. */
  private async locked<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    // The server may drop the connection between two statements: without a listener that error
    // would be thrown out of the process. The next statement fails, and the batch with it.
    const lost = (error: Error) => (failure ??= error);
    client.on('error', lost);
    try {
      // One round trip. READ COMMITTED: each statement after the lock sees what the replica
      // before us committed. synchronous_commit on: COMMIT returns once the WAL is flushed.
      await client.query(`BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit TO on; SELECT pg_advisory_xact_lock(${this.lockKey})`);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failure = error as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.off('error', lost);
      // A connection that failed is dropped rather than reused in an unknown state.
      client.release(failure);
    }
  }

  /** Creates the tables, index and checkpoint guard if missing (the first append does it too). */
  ensureTable(): Promise<void> {
    this.tableReady ??= this.locked(async (client) => {
      if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
          seq bigint PRIMARY KEY,
          at timestamptz NOT NULL,
          request_id text NOT NULL,
          subject text NOT NULL,
          client_id text NOT NULL,
          purpose text,
          personal_id text NOT NULL,
          fields text[] NOT NULL,
          sources text[] NOT NULL,
          location_independent boolean NOT NULL,
          prev_hash text NOT NULL,
          hash text NOT NULL
        )`,
      );
      // Added after the first release: tables made before it gain the column (null in old rows).
      await client.query(`ALTER TABLE ${this.table} ADD COLUMN IF NOT EXISTS caller_request_id text`);
      // Added with procedures: null in older rows.
      for (const column of ['purpose_basis', 'procedure_code', 'procedure_name', 'procedure_catalogue_version', 'dossier']) {
        await client.query(`ALTER TABLE ${this.table} ADD COLUMN IF NOT EXISTS ${column} text`);
      }
      // Added with refusals: null in reads and in older rows.
      for (const column of ['kind text', 'refusal_code text', 'refusal_reason text', 'refusal_count integer']) {
        await client.query(`ALTER TABLE ${this.table} ADD COLUMN IF NOT EXISTS ${column}`);
      }
      await client.query(`CREATE INDEX IF NOT EXISTS "${this.name}_personal_id_seq_idx" ON ${this.table} (personal_id, seq DESC)`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.checkpointTable} (
          seq bigint PRIMARY KEY,
          v integer NOT NULL,
          hash text NOT NULL,
          at text NOT NULL,
          kid text NOT NULL,
          sig text NOT NULL
        )`,
      );
      const guard = `"${this.name}_checkpoints_append_only"`;
      const functionName = this.schema ? `"${this.schema}".${guard}` : guard;
      await client.query(
        `CREATE OR REPLACE FUNCTION ${functionName}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'audit checkpoints are append-only'; END $$`,
      );
      await client.query(
        `CREATE OR REPLACE TRIGGER ${guard} BEFORE UPDATE OR DELETE OR TRUNCATE ON ${this.checkpointTable}
         FOR EACH STATEMENT EXECUTE FUNCTION ${functionName}()`,
      );
    }).catch((error: unknown) => {
      this.tableReady = null;
      throw error;
    });
    return this.tableReady;
  }

  /** Why appends are refused, or null. */
  get refusal(): string | null {
    return this.broken;
  }

  private refuse(message: string): never {
    if (!this.broken) {
      this.broken = message;
      log.error(`${message}; refusing every audit append (personal reads answer AUDIT_UNAVAILABLE) until an operator has dealt with it. Nothing was changed; run npm run audit:verify`, {
        auditTable: this.where,
      });
    }
    throw new AuditChainBrokenError(this.broken);
  }

  /** The signed checkpoints, in seq order. */
  async readCheckpoints(): Promise<Checkpoint[]> {
    try {
      const result = await this.pool.query<{ v: number; seq: string; hash: string; at: string; kid: string; sig: string }>(
        `SELECT ${CHECKPOINT_COLUMNS} FROM ${this.checkpointTable} ORDER BY seq`,
      );
      return result.rows.map(toCheckpoint);
    } catch (error) {
      if (isUndefinedTable(error)) return [];
      throw error;
    }
  }

  /** Once, before the first append: the chain from the newest checkpoint (or the start) to the head. */
  private checkChain(): Promise<void> {
    this.checked ??= (async () => {
      let heads = new Map<number, string>();
      let lastSigned = 0;
      if (this.checkpoints) {
        const stored = await this.readCheckpoints();
        const checked = checkCheckpoints(
          stored.map((value) => ({ value, position: value.seq })),
          checkpointVerifierOf(this.checkpoints.signer.publicJwk),
        );
        if (!checked.ok) this.refuse(`audit checkpoint of entry ${checked.position} in ${this.where}: ${checked.problem}`);
        heads = checked.heads;
        lastSigned = checked.last;
      }
      const from = Math.max(1, lastSigned);
      const walker = new ChainWalker({ afterSeq: from - 1, signedHeads: heads });
      let first = true;
      let after = String(from - 1);
      for (;;) {
        const rows = (await this.pool.query<Row>(`SELECT ${COLUMNS} FROM ${this.table} WHERE seq > $1 ORDER BY seq LIMIT ${READ_PAGE}`, [after])).rows;
        for (const row of rows) {
          const entry = toEntry(row);
          // The walk starts at a signed entry: its own link is trusted as far as its signed hash.
          if (first && from > 1) walker.prevHash = entry.prevHash;
          first = false;
          const problem = walker.step(entry);
          if (problem) this.refuse(`audit log ${this.where} entry ${walker.expectedSeq}: ${problem}`);
        }
        if (rows.length < READ_PAGE) break;
        after = rows[rows.length - 1].seq;
      }
      if (lastSigned > walker.seq) {
        this.refuse(`audit log ${this.where} ends at entry ${walker.seq}, but a signed checkpoint covers entry ${lastSigned}: entries were removed from its end`);
      }
      if (this.checkpoints && !this.stopTimer) this.stopTimer = startTimer(this.checkpoints, () => void this.checkpoint().catch(() => undefined));
    })().catch((error: unknown) => {
      if (!(error instanceof AuditChainBrokenError)) this.checked = null; // unreachable: try again
      throw error;
    });
    return this.checked;
  }

  /** Signs the head in the checkpoint table if it is not signed yet (the timer, and close). */
  async checkpoint(): Promise<void> {
    const settings = this.checkpoints;
    if (!settings || this.broken || !this.tableReady) return;
    try {
      await this.locked(async (client) => {
        const head = (await client.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${this.table} ORDER BY seq DESC LIMIT 1`)).rows[0];
        if (!head) return;
        const signed = (await client.query<{ seq: string | null }>(`SELECT max(seq) AS seq FROM ${this.checkpointTable}`)).rows[0];
        if (signed.seq !== null && Number(signed.seq) >= Number(head.seq)) return;
        await this.insertCheckpoint(client, settings.signer.sign(Number(head.seq), head.hash));
      });
    } catch {
      log.error(`audit checkpoint could not be written to ${this.where}`);
    }
  }

  private async insertCheckpoint(client: PoolClient, c: Checkpoint): Promise<void> {
    await client.query(`INSERT INTO ${this.checkpointTable} (${CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (seq) DO NOTHING`, [
      c.v,
      c.seq,
      c.hash,
      c.at,
      c.kid,
      c.sig,
    ]);
  }

  private async commit(records: AuditRecord[]): Promise<void> {
    if (this.broken) throw new AuditChainBrokenError(this.broken);
    await this.ensureTable();
    await this.checkChain();
    await this.locked(async (client) => {
      // The entry this batch chains onto, and the one before it: both must fit.
      const last = await client.query<Row>(`SELECT ${COLUMNS} FROM ${this.table} ORDER BY seq DESC LIMIT 2`);
      const [head, before] = last.rows.map(toEntry);
      if (head) {
        const linked = before ? head.seq === before.seq + 1 && head.prevHash === before.hash : head.seq === 1 && head.prevHash === GENESIS_HASH;
        if (!linked) this.refuse(`audit log ${this.where} entry ${head.seq}: it does not follow entry ${before ? before.seq : 0} (an entry was removed, inserted or changed)`);
        if (hashEntry(head.seq, head.prevHash, head) !== head.hash) this.refuse(`audit log ${this.where} entry ${head.seq}: its content does not match its hash (the entry was changed)`);
      }
      const entries = chainRecords(head ? head.seq : 0, head?.hash ?? GENESIS_HASH, records);
      for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
        const chunk = entries.slice(start, start + INSERT_CHUNK);
        const values: unknown[] = [];
        const tuples = chunk.map((entry) => {
          const at = values.length;
          values.push(
            entry.seq,
            entry.at,
            entry.requestId,
            entry.subject,
            entry.clientId,
            entry.purpose,
            entry.personalId,
            entry.fields,
            entry.sources,
            entry.locationIndependent,
            entry.prevHash,
            entry.hash,
            entry.callerRequestId ?? null,
            entry.purposeBasis ?? null,
            entry.procedure?.code ?? null,
            entry.procedure?.name ?? null,
            entry.procedure?.catalogueVersion ?? null,
            entry.dossier ?? null,
            entry.kind ?? null,
            entry.refusal?.code ?? null,
            entry.refusal?.reason ?? null,
            entry.refusal?.count ?? null,
          );
          return `(${Array.from({ length: COLUMN_COUNT }, (_, i) => `$${at + i + 1}`).join(', ')})`;
        });
        await client.query(`INSERT INTO ${this.table} (${COLUMNS}) VALUES ${tuples.join(', ')}`, values);
      }
      const newest = entries[entries.length - 1];
      const every = this.checkpoints?.every;
      if (this.checkpoints && every && checkpointDue(head ? head.seq : 0, newest.seq, every)) {
        await this.insertCheckpoint(client, this.checkpoints.signer.sign(newest.seq, newest.hash));
      }
    });
  }

  /** Whether the table exists (the gateway creates it with its first append). */
  async exists(): Promise<boolean> {
    const found = await this.pool.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [this.table]);
    return found.rows[0].found;
  }

  async readByPersonalId(personalId: string, first: number): Promise<AuditEntry[]> {
    const limit = Math.max(0, Math.floor(first));
    try {
      const result = await this.pool.query<Row>(
        `SELECT ${COLUMNS} FROM ${this.table} WHERE personal_id = $1 AND kind IS NULL ORDER BY seq DESC LIMIT $2`,
        [personalId, limit],
      );
      return result.rows.map(toEntry);
    } catch (error) {
      if (isUndefinedTable(error)) return []; // nothing was ever recorded
      throw error;
    }
  }

  /** Every entry in seq order, read a page at a time. */
  async *readAll(): AsyncIterable<unknown> {
    yield* this.readPages('', []);
  }

  /**
   * The entries of a period in seq order, a page at a time. Pages follow the primary key; the time
   * condition filters each page's rows (there is no index on the time: a report is rare).
   */
  async *readPeriod(from: Date, to: Date): AsyncIterable<AuditEntry> {
    yield* this.readPages('AND at >= $2 AND at < $3', [from.toISOString(), to.toISOString()]);
  }

  /** Entries in seq order, READ_PAGE rows a query, matching `condition` (its parameters from $2). */
  private async *readPages(condition: string, parameters: string[]): AsyncIterable<AuditEntry> {
    let after = '0';
    for (;;) {
      let rows: Row[];
      try {
        rows = (await this.pool.query<Row>(`SELECT ${COLUMNS} FROM ${this.table} WHERE seq > $1 ${condition} ORDER BY seq LIMIT ${READ_PAGE}`, [after, ...parameters])).rows;
      } catch (error) {
        if (isUndefinedTable(error)) return;
        throw error;
      }
      for (const row of rows) yield toEntry(row);
      if (rows.length < READ_PAGE) return;
      after = rows[rows.length - 1].seq;
    }
  }


  close(): Promise<void> {
    this.closing ??= this.batches
      .drain()
      .then(() => this.checkpoint())
      .then(() => {
        this.stopTimer?.();
        this.stopTimer = null;
        return this.pool.end();
      });
    return this.closing;
  }
}
