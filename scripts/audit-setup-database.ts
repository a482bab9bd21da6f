/**
 * `npm run audit:setup-database -- --database <url> --gateway-role <role> [--reader-role <role>] [--owner-role <role>] [--table audit_log]`:
 * run once per installation (and after an upgrade that adds columns), connected as the role that
 * is to own the audit tables, never as the gateway's. It creates the log table, its index, the
 * checkpoint table and the trigger that keeps it append-only (or completes them), makes them
 * belong to the owner, and grants the gateway's role only INSERT and SELECT on both (its chain
 * lock is an advisory lock and the seq is its own: nothing more is needed) and the reader's (the
 * audit subgraph, `audit:verify`) only SELECT. A role that owns a table can disable its trigger and
 * rewrite it; the gateway checks at start that its role cannot, and refuses to start in production
 * if it can. Tables an earlier release made as the gateway's own are moved to the owner: run it
 * then as a superuser (or a member of the gateway's role) with `--owner-role`.
 *
 * `AUDIT_SETUP_DATABASE_URL` stands for `--database` (keeps the owner's password off the command line).
 * Exits 0 with a summary, 2 on bad arguments or a refusal (said why). No entry is read or written.
 */
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { auditSchemaStatements, auditTableNames, DEFAULT_AUDIT_TABLE } from '../lib/audit/postgres-sink';
import { exitWhenDone } from './command';

export interface AuditDatabaseSetup {
  /** `table` or `schema.table`; default `audit_log`. */
  table?: string;
  /** The role the gateway connects as: INSERT and SELECT. */
  gatewayRole: string;
  /** The role the audit subgraph (and audit:verify) connects as: SELECT. */
  readerRole?: string;
  /** The role that owns the tables; default the role connected. */
  ownerRole?: string;
}

const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;
const INSUFFICIENT_PRIVILEGE = '42501';

export class SetupRefused extends Error {}

function quotedRole(role: string, what: string): string {
  if (!ROLE.test(role)) throw new SetupRefused(`${what} "${role.slice(0, 64)}": expected a role name of lower-case letters, digits and _`);
  return `"${role}"`;
}

/** Refuses a writer or reader role that could act as the owner (it would have the owner's power). */
async function checkRoles(client: Client, owner: string, roles: string[]): Promise<void> {
  const found = await client.query<{ rolname: string; rolsuper: boolean; member: boolean }>(
    `SELECT rolname, rolsuper, pg_has_role(rolname, $1, 'MEMBER') AS member FROM pg_roles WHERE rolname = ANY($2)`,
    [owner, roles],
  );
  for (const role of roles) {
    const row = found.rows.find((r) => r.rolname === role);
    if (!row) throw new SetupRefused(`role "${role}" does not exist: create it first (CREATE ROLE ${role} LOGIN PASSWORD …)`);
    if (row.rolsuper || row.member) throw new SetupRefused(`role "${role}" is a superuser, the owner "${owner}" or a member of it: it could rewrite the audit tables; use a role of its own`);
  }
}

/** Creates or completes the audit tables as `ownerRole`'s, and grants the roles what they need. Returns a summary. */
export async function setupAuditDatabase(url: string, options: AuditDatabaseSetup): Promise<string> {
  const table = options.table ?? DEFAULT_AUDIT_TABLE;
  const names = auditTableNames(table);
  const gateway = quotedRole(options.gatewayRole, '--gateway-role');
  const reader = options.readerRole ? quotedRole(options.readerRole, '--reader-role') : null;
  const client = new Client({ connectionString: url, application_name: 'vn-commune-gateway audit setup' });
  await client.connect();
  try {
    await client.query('BEGIN');
    const owner = options.ownerRole ?? (await client.query<{ name: string }>('SELECT current_user AS name')).rows[0].name;
    const ownerSql = quotedRole(owner, '--owner-role');
    await checkRoles(client, owner, [options.gatewayRole, ...(options.readerRole ? [options.readerRole] : [])]);
    for (const statement of auditSchemaStatements(table)) await client.query(statement);
    const tables = `${names.log}, ${names.checkpoints}`;
    await client.query(`ALTER TABLE ${names.log} OWNER TO ${ownerSql}`);
    await client.query(`ALTER TABLE ${names.checkpoints} OWNER TO ${ownerSql}`);
    await client.query(`ALTER FUNCTION ${names.guardFunction}() OWNER TO ${ownerSql}`);
    const schema = (await client.query<{ name: string }>('SELECT n.nspname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)', [names.log])).rows[0].name;
    for (const role of [gateway, ...(reader ? [reader] : [])]) {
      await client.query(`REVOKE ALL ON ${tables} FROM ${role}`);
      await client.query(`GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
    }
    await client.query(`GRANT SELECT, INSERT ON ${tables} TO ${gateway}`);
    if (reader) await client.query(`GRANT SELECT ON ${tables} TO ${reader}`);
    await client.query('COMMIT');
    return `audit tables ${table} and ${table}_checkpoints ready: owned by ${owner}; ${options.gatewayRole} may INSERT and SELECT${options.readerRole ? `; ${options.readerRole} may SELECT` : ''}`;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if ((error as { code?: unknown }).code === INSUFFICIENT_PRIVILEGE) {
      throw new SetupRefused(
        `${(error as Error).message}: connect as the tables' owner; tables an earlier release made as the gateway's own are moved once by a superuser (or a member of that role) with --owner-role <owner>`,
      );
    }
    throw error;
  } finally {
    await client.end();
  }
}

const USAGE = 'usage: npm run audit:setup-database -- --database <url of the owner role> --gateway-role <role> [--reader-role <role>] [--owner-role <role>] [--table audit_log]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      database: { type: 'string' },
      table: { type: 'string' },
      'gateway-role': { type: 'string' },
      'reader-role': { type: 'string' },
      'owner-role': { type: 'string' },
    },
  });
  const database = values.database ?? process.env.AUDIT_SETUP_DATABASE_URL;
  if (!database || !values['gateway-role']) {
    console.error(USAGE);
    return 2;
  }
  console.log(await setupAuditDatabase(database, { table: values.table, gatewayRole: values['gateway-role'], readerRole: values['reader-role'], ownerRole: values['owner-role'] }));
  return 0;
}

if (require.main === module) exitWhenDone('audit:setup-database', main);
