/**
 * deploy/systemd: the audit log's hourly check on a server without Kubernetes. The unit's own
 * command, run as systemd would run it (its working directory, its arguments, the example
 * environment file), passes an intact log and fails a rewritten one; the timer starts that unit;
 * the service can read and nothing more.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { FileAuditSink } from '../../../lib/audit/file-sink';
import { DEPLOY_DIR } from '../../../scripts/lint-deploy';
import { auditRecord, checkpointKeys } from '../../support/audit-fixtures';

const SYSTEMD = join(DEPLOY_DIR, 'systemd');
const ROOT = resolve(DEPLOY_DIR, '..');

/** A unit file as systemd reads it: sections of `key=value` lines, a key possibly repeated. */
function readUnit(file: string): Map<string, Array<[string, string]>> {
  const sections = new Map<string, Array<[string, string]>>();
  let current: Array<[string, string]> | undefined;
  for (const raw of readFileSync(join(SYSTEMD, file), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = [];
      sections.set(section[1], current);
      continue;
    }
    const at = line.indexOf('=');
    if (!current || at < 1) throw new Error(`${file}: not a unit file line: ${line}`);
    current.push([line.slice(0, at), line.slice(at + 1)]);
  }
  return sections;
}

const valueOf = (unit: Map<string, Array<[string, string]>>, section: string, key: string): string | undefined =>
  unit.get(section)?.find(([k]) => k === key)?.[1];

const service = readUnit('vn-audit-verify.service');
const timer = readUnit('vn-audit-verify.timer');

describe('the audit log checked every hour on one server', () => {
  it('is started by its timer, every hour, and after a boot that missed a run', () => {
    expect(valueOf(timer, 'Timer', 'Unit')).toBe('vn-audit-verify.service');
    expect(valueOf(timer, 'Timer', 'OnCalendar')).toMatch(/^\*-\*-\* \*:\d\d:00$/);
    expect(valueOf(timer, 'Timer', 'Persistent')).toBe('yes');
    expect(valueOf(timer, 'Install', 'WantedBy')).toBe('timers.target');
  });

  it('runs unprivileged on a read-only system, with no way to gain privileges', () => {
    expect(valueOf(service, 'Service', 'Type')).toBe('oneshot');
    expect(valueOf(service, 'Service', 'DynamicUser')).toBe('yes');
    expect(valueOf(service, 'Service', 'ProtectSystem')).toBe('strict');
    expect(valueOf(service, 'Service', 'NoNewPrivileges')).toBe('yes');
    expect(valueOf(service, 'Service', 'CapabilityBoundingSet')).toBe('');
    expect(valueOf(service, 'Service', 'ReadWritePaths')).toBeUndefined();
    // V8 writes the machine code it compiles: with this set, node would not start.
    expect(valueOf(service, 'Service', 'MemoryDenyWriteExecute')).toBeUndefined();
  });

  it('names only variables the README documents in its example environment', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = readFileSync(join(SYSTEMD, 'audit-verify.env.example'), 'utf8');
    const named = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(named).toEqual(expect.arrayContaining(['AUDIT_FILE', 'AUDIT_DATABASE_URL']));
    for (const name of named) expect(readme).toContain(`\`${name}\``);
  });

  describe('its command, as systemd runs it', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'systemd-audit-verify-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /** ExecStart with the server's paths swapped for this machine's: node, and the public key. */
    const run = (publicKeyFile: string, env: Record<string, string>) => {
      const [program, ...args] = valueOf(service, 'Service', 'ExecStart')!.split(/\s+/);
      expect(program).toBe('/usr/bin/node');
      const keyAt = args.indexOf('--public-key') + 1;
      expect(args[keyAt]).toBe('/etc/vn-commune-gateway/keys/audit-checkpoint-public.jwk.json');
      args[keyAt] = publicKeyFile;
      expect(valueOf(service, 'Service', 'WorkingDirectory')).toBe('/opt/vn-commune-gateway');
      // Only what systemd gives a unit: its EnvironmentFile, and PATH.
      return spawnSync(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 60_000 });
    };

    it('passes an intact file log and fails one rewritten, naming the entry', async () => {
      const keys = await checkpointKeys(dir);
      const log = join(dir, 'audit.log');
      const sink = new FileAuditSink(log, { checkpoints: keys.settings(5) });
      await sink.append(Array.from({ length: 12 }, (_, i) => auditRecord(i + 1)));
      await sink.close();
      expect(valueOf(service, 'Service', 'EnvironmentFile')).toBe('/etc/vn-commune-gateway/audit-verify.env');
      const env = { ...parseEnv(readFileSync(join(SYSTEMD, 'audit-verify.env.example'), 'utf8')), AUDIT_FILE: log, AUDIT_CHECKPOINT_EVERY: '5' };

      const intact = run(keys.publicFile, env);
      expect(intact.stderr).toBe('');
      expect(intact.status).toBe(0);

      const lines = readFileSync(log, 'utf8').split('\n');
      lines[3] = lines[3].replace(/"fields":\[/, '"fields":["rewritten",');
      writeFileSync(log, lines.join('\n'));
      const rewritten = run(keys.publicFile, env);
      expect(rewritten.status).toBe(1);
      expect(rewritten.stderr).toMatch(/entry 4|line 4/);
    });
  });
});
