/**
 * `npm run audit:checkpoints -- --export <out.jsonl> [--file <log> | --database <url>] [--checkpoints <file>] [--public-key <jwk>]`:
 * writes the audit log's signed checkpoints, for safekeeping away from the gateway (an
 * inspector, another site, write-once storage). The first line is the public key that verifies
 * them (`{"type":"audit-checkpoint-key","alg":"EdDSA","publicKey":{…}}`), then one checkpoint per
 * line (`{"v":1,"seq":…,"hash":…,"at":…,"kid":…,"sig":…}`). Checkpoints hold no personal data.
 * Each is checked against the key before it is written; one that fails stops the export.
 *
 * `npm run audit:verify -- --file <log> --checkpoints <out.jsonl> --public-key <trusted key>`
 * checks a log against an export.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkCheckpoints, EXPORT_KEY_TYPE, withoutKeyLines } from '../lib/audit/checkpoint';
import { defaultCheckpointFile, readCheckpointFile } from '../lib/audit/file-sink';
import { PostgresAuditSink } from '../lib/audit/postgres-sink';
import { auditLogTarget, verifierFor } from './audit-verify';
import { exitWhenDone } from './command';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      export: { type: 'string' },
      file: { type: 'string' },
      database: { type: 'string' },
      table: { type: 'string' },
      checkpoints: { type: 'string' },
      'public-key': { type: 'string' },
    },
  });
  if (!values.export) {
    console.error('usage: npm run audit:checkpoints -- --export <out.jsonl> [--file <log> | --database <url>] [--public-key <jwk>]');
    return 2;
  }
  const target = auditLogTarget(values);
  if (!target) return 2;
  const { path, database, checkpointFile, configuredKey } = target;
  const verifier = verifierFor(values['public-key'], configuredKey);
  if (!verifier) {
    console.error('no checkpoint key: give --public-key <jwk> or set AUDIT_CHECKPOINT_KEY_FILE');
    return 2;
  }
  let items: Array<{ value: unknown; position: number }>;
  let where: string;
  if (database) {
    const sink = new PostgresAuditSink(database, { table: values.table, maxConnections: 1 });
    try {
      items = (await sink.readCheckpoints()).map((value) => ({ value, position: value.seq }));
      where = sink.where;
    } finally {
      await sink.close();
    }
  } else {
    where = resolve(checkpointFile ?? defaultCheckpointFile(resolve(path ?? '')));
    items = withoutKeyLines(await readCheckpointFile(where));
  }
  const checked = checkCheckpoints(items, verifier);
  if (!checked.ok) {
    console.error(`audit checkpoints BROKEN at ${database ? 'the checkpoint of entry' : 'line'} ${checked.position}: ${checked.problem} (${where}); nothing exported`);
    return 1;
  }
  const lines = [JSON.stringify({ type: EXPORT_KEY_TYPE, alg: 'EdDSA', publicKey: verifier.publicJwk }), ...items.map((item) => JSON.stringify(item.value))];
  writeFileSync(values.export, lines.join('\n') + '\n', { mode: 0o644 });
  console.log(`exported ${items.length} checkpoints (newest at entry ${checked.last}) from ${where} to ${resolve(values.export)}`);
  return 0;
}

if (require.main === module) exitWhenDone('audit:checkpoints', main);
