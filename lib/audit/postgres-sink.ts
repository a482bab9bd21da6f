/**
 * The production audit sink: one PostgreSQL table shared by every gateway replica, holding one
 * hash chain. Appends are group-committed as in the file sink: the records of concurrent requests
 * go into one transaction, which takes a transaction-scoped advisory lock (so replicas append one
 * at a time), reads the last entry, chains the batch after it and inserts it. Callers are answered
 * only after COMMIT returns, with synchronous_commit on: an acknowledged entry survives a crash of
 * the database server. A transaction that fails acknowledges nothing.
 *
 * In production the tables belong to an owner role of their own, which creates them once
 * (`npm run audit:setup-database`, scripts/audit-setup-database.ts) and grants the gateway's role
 * only INSERT and SELECT, the audit subgraph's only SELECT: a role that owns a table (or its
 * schema) can disable its triggers, rewrite it or drop it. At start the sink checks that its role
 * cannot, and refuses to start in production if it can (in development it warns, and creates the
 * tables itself when they are missing). It never runs DDL on tables that are complete.
 *
 * Signed checkpoints of the head (lib/audit/checkpoint.ts) go to a table of their own,
 * `<table>_checkpoints`, in the same transaction as the batch that crosses a multiple of `every`
 * (and from a timer, and at close); a trigger refuses UPDATE, DELETE and TRUNCATE on it.
 *
 * The chain is checked before appending: once, at the first append, from the newest checkpoint to
 * the head (the whole table when there is none yet), and in every batch, the head entry the batch
 * chains onto. The sink also remembers the newest entry it committed or signed (or checked at
 * start): before each batch and each checkpoint, the head must be at or beyond it and the row at
 * its seq must still hold its hash, so a chain cut back (rows deleted, a restore, a failover to a
 * standby that had not received them) is never continued or signed. A row that does not fit
 * makes this sink refuse every append (AUDIT_UNAVAILABLE) and log its seq and the problem; nothing
 * is changed. Rows older than the newest checkpoint are checked by `npm run audit:verify`, not at start.
 */
import { createHash } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import { describeError, log } from '../log';
import { Checkpoint, checkCheckpoints, checkpointDue, CheckpointSettings, checkpointVerifierOf, startTimer } from './checkpoint';
import { AuditEntry, AuditRecord, ChainWalker, GENESIS_HASH, hashEntry, textsOf, unchainableRecordProblem } from './entry';
import { chainRecords, GroupCommit, GroupCommitOptions } from './group-commit';
import { AuditChainBrokenError, AuditSetupError, AuditSink, AuditUnavailableError } from './sink';

export const DEFAULT_AUDIT_TABLE = 'audit_log';

export interface PostgresAuditSinkOptions extends GroupCommitOptions {
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
  /** Refuse to append when this role could rewrite the tables, and never create them (lib/config's `production`). */
  production?: boolean;
}

/** A point of the chain: an entry's seq and hash (seq 0: the genesis, before any entry). */
interface ChainPoint {
  seq: number;
  hash: string;
}

/** Rows per INSERT statement, well under PostgreSQL's 65,535 parameters per statement. */
const INSERT_CHUNK = 1000;
/** Rows per page when reading the whole log. */
const READ_PAGE = 1000;
const UNDEFINED_TABLE = '42P01';
const INSUFFICIENT_PRIVILEGE = '42501';

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
 * hash covers exactly what is stored. Refuses what PostgreSQL text cannot hold as given: NUL, and
 * lone surrogates (stored as U+FFFD, which would break the chain).
 */
function storable(record: AuditRecord): AuditRecord {
  const at = new Date(record.at);
  if (Number.isNaN(at.getTime())) throw new Error('audit record has an invalid time');
  if (textsOf(record).some((text) => text.includes('\u0000'))) throw new Error('audit record contains a NUL character, which cannot be stored');
  const problem = unchainableRecordProblem(record);
  if (problem) throw new Error(problem);
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

/** The append-only trigger of the checkpoint table (unquoted). */
function guardNameOf(table: string): string {
  return `${qualifiedName(table).name}_checkpoints_append_only`;
}

/** The SQL names (checked and quoted) of a log's tables, its schema and its checkpoint guard. */
export function auditTableNames(table = DEFAULT_AUDIT_TABLE): { log: string; checkpoints: string; schema: string | null; name: string; guard: string; guardFunction: string } {
  const { sql: log, schema, name } = qualifiedName(table);
  const guard = `"${guardNameOf(table)}"`;
  return { log, checkpoints: qualifiedName(`${table}_checkpoints`).sql, schema, name, guard, guardFunction: schema ? `"${schema}".${guard}` : guard };
}

/**
 * The statements that create the audit tables, their index and the checkpoint table's guard, or
 * complete tables made by an earlier release: each leaves alone what exists. Run once by the
 * tables' owner (scripts/audit-setup-database.ts); by the sink itself only in development.
 */
export function auditSchemaStatements(table = DEFAULT_AUDIT_TABLE): string[] {
  const { log, checkpoints, schema, name, guard, guardFunction } = auditTableNames(table);
  return [
    ...(schema ? [`CREATE SCHEMA IF NOT EXISTS "${schema}"`] : []),
    `CREATE TABLE IF NOT EXISTS ${log} (
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
    // Added after the first release: tables made before it gain the column (null in old rows).
    `ALTER TABLE ${log} ADD COLUMN IF NOT EXISTS caller_request_id text`,
    // Added with procedures: null in older rows.
    ...['purpose_basis', 'procedure_code', 'procedure_name', 'procedure_catalogue_version', 'dossier'].map((column) => `ALTER TABLE ${log} ADD COLUMN IF NOT EXISTS ${column} text`),
    // Added with refusals: null in reads and in older rows.
    ...['kind text', 'refusal_code text', 'refusal_reason text', 'refusal_count integer'].map((column) => `ALTER TABLE ${log} ADD COLUMN IF NOT EXISTS ${column}`),
    `CREATE INDEX IF NOT EXISTS "${name}_personal_id_seq_idx" ON ${log} (personal_id, seq DESC)`,
    `CREATE TABLE IF NOT EXISTS ${checkpoints} (
      seq bigint PRIMARY KEY,
      v integer NOT NULL,
      hash text NOT NULL,
      at text NOT NULL,
      kid text NOT NULL,
      sig text NOT NULL
    )`,
    `CREATE OR REPLACE FUNCTION ${guardFunction}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'audit checkpoints are append-only'; END $$`,
    `CREATE OR REPLACE TRIGGER ${guard} BEFORE UPDATE OR DELETE OR TRUNCATE ON ${checkpoints}
     FOR EACH STATEMENT EXECUTE FUNCTION ${guardFunction}()`,
    // A guard disabled by an earlier owner is turned back on.
    `ALTER TABLE ${checkpoints} ENABLE TRIGGER ${guard}`,
  ];
}

/**
 * One round trip: the log's columns (null: no table), whether the checkpoint table and its enabled
 * guard exist, and whether the current role could rewrite either table unseen: it is a member of
 * the role owning a table, its schema or the guard's function (or a superuser, a member of every
 * role), or it holds UPDATE, DELETE or TRUNCATE. $1 the log, $2 the checkpoint table, $3 the guard.
 */
const SCHEMA_STATE = `
  SELECT
    (SELECT array_agg(attname::text) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped) AS columns,
    to_regclass($2) IS NOT NULL AS checkpoints,
    EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass($2) AND tgname = $3 AND tgenabled <> 'D') AS guarded,
    (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
      OR EXISTS (
        SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid IN (to_regclass($1), to_regclass($2))
          AND (pg_has_role(current_user, c.relowner, 'MEMBER') OR pg_has_role(current_user, n.nspowner, 'MEMBER')
               OR has_table_privilege(c.oid, 'UPDATE, DELETE, TRUNCATE')))
      OR EXISTS (
        SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
        WHERE t.tgrelid = to_regclass($2) AND t.tgname = $3 AND pg_has_role(current_user, p.proowner, 'MEMBER'))
      AS rewritable`;

/** A constant lock key per table: replicas writing the same table take the same lock. */
function lockKeyOf(table: string): string {
  return createHash('sha256').update(`vn-commune-gateway audit chain ${table}`).digest().readBigInt64BE(0).toString();
}

export class PostgresAuditSink implements AuditSink {
  /** Where the log is, for messages: no user name or password. */
  readonly where: string;
  private readonly pool: Pool;
  private readonly table: string;
  /** The table as configured (`table` or `schema.table`), for messages and the schema statements. */
  private readonly tableName: string;
  private readonly guardName: string;
  private readonly production: boolean;
  private warnedPower = false;
  /**
   * The newest entry this sink committed, signed or checked at start: the chain must still hold it
   * (the head at or beyond it, that row unchanged) before the sink appends or signs again.
   */
  private known: ChainPoint | null = null;
  /** The checkpoint table, SQL-quoted. */
  private readonly checkpointTable: string;
  private readonly lockKey: string;
  private readonly batches: GroupCommit;
  private tableReady: Promise<void> | null = null;
  private checked: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private broken: string | null = null;
  private stopTimer: (() => void) | null = null;
  private readonly checkpoints: CheckpointSettings | undefined;

  constructor(url: string, options: PostgresAuditSinkOptions = {}) {
    if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('the audit database URL must start with postgres:// or postgresql://');
    const table = options.table ?? DEFAULT_AUDIT_TABLE;
    const names = auditTableNames(table);
    this.table = names.log;
    this.checkpointTable = names.checkpoints;
    this.checkpoints = options.checkpoints;
    this.tableName = table;
    this.guardName = guardNameOf(table);
    this.production = options.production ?? false;
    this.lockKey = lockKeyOf(table);
    this.batches = new GroupCommit((records) => this.commit(records), options);
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

  /**
   * Makes the tables ready for appending, once (the first append does it too): complete (created
   * here in development only), and, in production, beyond this role's power to rewrite.
   */
  ensureTable(): Promise<void> {
    this.tableReady ??= (async () => {
      const state = await this.schemaState();
      if (state.missing.length > 0) await this.createSchema(state.missing);
      // A role that could create what was missing owns it.
      this.checkPower(state.missing.length > 0 || state.rewritable);
    })().catch((error: unknown) => {
      this.tableReady = null;
      throw error;
    });
    return this.tableReady;
  }

  /** What the tables lack for this release, and whether this role could alter, empty or drop them. */
  private async schemaState(): Promise<{ missing: string[]; rewritable: boolean }> {
    const found = (
      await this.pool.query<{ columns: string[] | null; checkpoints: boolean; guarded: boolean; rewritable: boolean }>(SCHEMA_STATE, [
        this.table,
        this.checkpointTable,
        this.guardName,
      ])
    ).rows[0];
    const missing: string[] = [];
    if (!found.columns) missing.push(`the table ${this.tableName}`);
    else {
      const absent = COLUMNS.split(', ').filter((column) => !found.columns?.includes(column));
      if (absent.length > 0) missing.push(`the columns ${absent.join(', ')}`);
    }
    if (!found.checkpoints) missing.push(`the table ${this.tableName}_checkpoints`);
    else if (!found.guarded) missing.push(`the append-only trigger of ${this.tableName}_checkpoints`);
    return { missing, rewritable: found.rewritable };
  }

  /** Development only: creates what is missing (production tables are made by their owner). */
  private async createSchema(missing: string[]): Promise<void> {
    const fix = "run npm run audit:setup-database as the tables' owner role";
    if (this.production) throw new AuditSetupError(`audit log ${this.where} lacks ${missing.join(', ')}: ${fix} (in production the gateway creates no tables)`);
    try {
      await this.locked(async (client) => {
        for (const statement of auditSchemaStatements(this.tableName)) await client.query(statement);
      });
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code !== INSUFFICIENT_PRIVILEGE) throw error;
      throw new AuditSetupError(`audit log ${this.where} lacks ${missing.join(', ')}, which this role may not create: ${fix}`);
    }
  }

  /** A role that can rewrite the tables unseen: refused in production, a warning in development. */
  private checkPower(rewritable: boolean): void {
    if (!rewritable) return;
    const problem =
      `the gateway's database role can alter, empty or drop the audit tables of ${this.where} (it owns them, their schema or their guard, ` +
      'is a superuser, or holds UPDATE, DELETE or TRUNCATE), so it could rewrite the log and its checkpoints unseen. Create them with a ' +
      'separate owner role (npm run audit:setup-database -- --gateway-role <role>, run as that owner) and connect the gateway as a role holding only INSERT and SELECT';
    if (this.production) throw new AuditSetupError(problem);
    if (!this.warnedPower) log.warn(`${problem} (allowed outside production)`);
    this.warnedPower = true;
  }

  /**
   * Prepares for appending at start: the tables, this role's rights, and the chain from the newest
   * signed checkpoint to the head. A chain that does not fit, or tables this role could rewrite in
   * production, stop the gateway here; a database that cannot be reached does not (appends answer
   * AUDIT_UNAVAILABLE, and the first one checks again).
   */
  async open(): Promise<void> {
    try {
      await this.ensureTable();
      await this.checkChain();
    } catch (error) {
      if (error instanceof AuditChainBrokenError || error instanceof AuditSetupError) throw error;
      log.warn(`the audit log ${this.where} cannot be reached at start; personal reads answer AUDIT_UNAVAILABLE until it can`, describeError(error));
    }
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
        // The walk starts at the signed entry: the head, below it, is read for the message.
        const end = (await this.pool.query<{ seq: string }>(`SELECT coalesce(max(seq), 0) AS seq FROM ${this.table}`)).rows[0].seq;
        this.refuseCutBehindCheckpoint(Number(end), lastSigned);
      }
      this.remember({ seq: walker.seq, hash: walker.prevHash });
      if (this.checkpoints && !this.stopTimer) this.stopTimer = startTimer(this.checkpoints, () => void this.checkpoint().catch(() => undefined));
    })().catch((error: unknown) => {
      if (!(error instanceof AuditChainBrokenError)) this.checked = null; // unreachable: try again
      throw error;
    });
    return this.checked;
  }

  /**
   * Signs the head in the checkpoint table if it is not signed yet (the timer, and close): only a
   * head checked as a batch's is, and never one behind a checkpoint or what this sink knows.
   */
  async checkpoint(): Promise<void> {
    const settings = this.checkpoints;
    if (!settings || this.broken || !this.known) return;
    try {
      const signed = await this.locked(async (client) => {
        const head = await this.checkedHead(client);
        if (!head) return null;
        const newest = (await client.query<{ seq: string | null }>(`SELECT max(seq) AS seq FROM ${this.checkpointTable}`)).rows[0];
        const signedSeq = newest.seq === null ? 0 : Number(newest.seq);
        if (signedSeq > head.seq) this.refuseCutBehindCheckpoint(head.seq, signedSeq);
        if (signedSeq === head.seq) return null;
        await this.insertCheckpoint(client, settings.signer.sign(head.seq, head.hash));
        return { seq: head.seq, hash: head.hash };
      });
      if (signed) this.remember(signed);
    } catch (error) {
      // A broken chain was logged when it was found.
      if (!(error instanceof AuditChainBrokenError)) log.error(`audit checkpoint could not be written to ${this.where}`);
    }
  }

  private refuseCutBehindCheckpoint(end: number, signed: number): never {
    return this.refuse(`audit log ${this.where} ends at entry ${end}, but a signed checkpoint covers entry ${signed}: entries were removed from its end`);
  }

  /** Moves what this sink knows of the chain forward (transactions may finish out of order). */
  private remember(point: ChainPoint): void {
    if (!this.known || point.seq > this.known.seq) this.known = point;
  }

  /**
   * The head entry, in a transaction holding the chain's lock: it must follow the entry before it,
   * match its hash, and the chain must still hold what this sink knows of it. Else refuses.
   */
  private async checkedHead(client: PoolClient): Promise<AuditEntry | undefined> {
    const last = await client.query<Row>(`SELECT ${COLUMNS} FROM ${this.table} ORDER BY seq DESC LIMIT 2`);
    const [head, before] = last.rows.map(toEntry);
    if (head) {
      const linked = before ? head.seq === before.seq + 1 && head.prevHash === before.hash : head.seq === 1 && head.prevHash === GENESIS_HASH;
      if (!linked) this.refuse(`audit log ${this.where} entry ${head.seq}: it does not follow entry ${before ? before.seq : 0} (an entry was removed, inserted or changed)`);
      if (hashEntry(head.seq, head.prevHash, head) !== head.hash) this.refuse(`audit log ${this.where} entry ${head.seq}: its content does not match its hash (the entry was changed)`);
    }
    await this.checkKnown(client, head);
    return head;
  }

  /**
   * The chain must not have gone back or changed under this sink: the head at or beyond the newest
   * entry it knows, and that entry's row holding the same hash (one lookup by the primary key when
   * other replicas appended since). Catches rows deleted at the end, a restore to an earlier
   * point, and a failover to a standby that had not received them.
   */
  private async checkKnown(client: PoolClient, head: AuditEntry | undefined): Promise<void> {
    const known = this.known;
    if (!known || known.seq === 0) return;
    const headSeq = head ? head.seq : 0;
    if (headSeq < known.seq) {
      this.refuse(
        `audit log ${this.where} went backwards: it ends at entry ${headSeq}, but this gateway had already committed or signed entry ${known.seq} ` +
          '(entries were removed from its end, or the database was restored or failed over to a standby that had not received them)',
      );
    }
    const row = head && head.seq === known.seq ? head : (await client.query<{ hash: string }>(`SELECT hash FROM ${this.table} WHERE seq = $1`, [known.seq])).rows[0];
    if (row?.hash !== known.hash) {
      this.refuse(`audit log ${this.where} changed under this gateway: entry ${known.seq} no longer has the hash it committed or signed (entries were replaced and the chain recomputed)`);
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
    const committed = await this.locked(async (client) => {
      // The entry this batch chains onto: it fits, and the chain still holds what this sink knows.
      const head = await this.checkedHead(client);
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
      return { seq: newest.seq, hash: newest.hash };
    });
    this.remember(committed);
  }

  /** Whether the table exists (the gateway creates it with its first append). */
  async exists(): Promise<boolean> {
    const found = await this.pool.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [this.table]);
    return found.rows[0].found;
  }

  async readByPersonalId(personalId: string, first: number, beforeSeq = Number.MAX_SAFE_INTEGER): Promise<AuditEntry[]> {
    const limit = Math.max(0, Math.floor(first));
    try {
      const result = await this.pool.query<Row>(
        `SELECT ${COLUMNS} FROM ${this.table} WHERE personal_id = $1 AND kind IS NULL AND seq < $3 ORDER BY seq DESC LIMIT $2`,
        [personalId, limit, beforeSeq],
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
