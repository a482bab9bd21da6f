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
 */
import { createHash } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import { AuditEntry, AuditRecord, GENESIS_HASH } from './entry';
import { chainRecords, GroupCommit } from './group-commit';
import { AuditSink, AuditUnavailableError } from './sink';

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
}

/** Rows per INSERT statement, well under PostgreSQL's 65,535 parameters per statement. */
const INSERT_CHUNK = 1000;
/** Rows per page when reading the whole log. */
const READ_PAGE = 1000;
const UNDEFINED_TABLE = '42P01';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,39}$/;

const COLUMNS = 'seq, at, request_id, subject, client_id, purpose, personal_id, fields, sources, location_independent, prev_hash, hash';

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
  };
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
  const texts = [record.requestId, record.subject, record.clientId, record.purpose ?? '', record.personalId, ...record.fields, ...record.sources];
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
  private readonly schema: string | null;
  private readonly name: string;
  private readonly lockKey: string;
  private readonly batches = new GroupCommit((records) => this.commit(records));
  private tableReady: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  constructor(url: string, options: PostgresAuditSinkOptions = {}) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('the audit database URL must start with postgres:// or postgresql://');
    const table = options.table ?? DEFAULT_AUDIT_TABLE;
    const qualified = qualifiedName(table);
    this.table = qualified.sql;
    this.schema = qualified.schema;
    this.name = qualified.name;
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

  private ensureTable(): Promise<void> {
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
      await client.query(`CREATE INDEX IF NOT EXISTS "${this.name}_personal_id_seq_idx" ON ${this.table} (personal_id, seq DESC)`);
    }).catch((error: unknown) => {
      this.tableReady = null;
      throw error;
    });
    return this.tableReady;
  }

  private async commit(records: AuditRecord[]): Promise<void> {
    await this.ensureTable();
    await this.locked(async (client) => {
      const last = await client.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${this.table} ORDER BY seq DESC LIMIT 1`);
      const tail = last.rows[0];
      const entries = chainRecords(tail ? Number(tail.seq) : 0, tail?.hash ?? GENESIS_HASH, records);
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
          );
          return `(${Array.from({ length: 12 }, (_, i) => `$${at + i + 1}`).join(', ')})`;
        });
        await client.query(`INSERT INTO ${this.table} (${COLUMNS}) VALUES ${tuples.join(', ')}`, values);
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
        `SELECT ${COLUMNS} FROM ${this.table} WHERE personal_id = $1 ORDER BY seq DESC LIMIT $2`,
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
    let after = '0';
    for (;;) {
      let rows: Row[];
      try {
        rows = (await this.pool.query<Row>(`SELECT ${COLUMNS} FROM ${this.table} WHERE seq > $1 ORDER BY seq LIMIT ${READ_PAGE}`, [after])).rows;
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
    this.closing ??= this.batches.drain().then(() => this.pool.end());
    return this.closing;
  }
}
