/** Audit records, checkpoint keys and log files for the audit tests (no real personal data). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckpointSettings } from '../../lib/audit/checkpoint';
import { loadCheckpointSigner, loadCheckpointVerifier, CheckpointVerifier } from '../../lib/audit/checkpoint';
import type { AuditRecord } from '../../lib/audit/entry';
import { generateSigningKeyPair } from '../../lib/keys';

export function auditRecord(n: number, personalId = `0241900${String(n % 100_000).padStart(5, '0')}`): AuditRecord {
  return {
    at: new Date(Date.UTC(2026, 0, 1, 8, 0, 0, n)).toISOString(),
    requestId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    callerRequestId: n % 2 ? `desk-${n}` : null,
    subject: 'officer-1',
    clientId: 'tthc',
    purpose: '1.001234 HS-2026-000123',
    personalId,
    fields: ['Citizen.fullName'],
    sources: ['population'],
    locationIndependent: false,
  };
}

/** A refusal as the gateway writes one: no personal ID, the fields refused and why. */
export function refusalRecord(n: number, reason: string | null = 'OUTSIDE_PROCEDURE'): AuditRecord {
  return {
    ...auditRecord(n, ''),
    fields: ['Citizen.landRights'],
    sources: ['land'],
    purposeBasis: 'procedure',
    procedure: { code: 'local:marital-status-confirmation', name: 'Cấp Giấy xác nhận tình trạng hôn nhân', catalogueVersion: '2026.1' },
    dossier: `HS-${n}`,
    kind: 'refusal',
    refusal: { code: reason ? 'FORBIDDEN' : 'PROCEDURE_NOT_ALLOWED', reason, count: 1 + (n % 3) },
  };
}

export interface TestKeys {
  privateFile: string;
  publicFile: string;
  verifier: CheckpointVerifier;
  /** Settings whose timer only runs when the test calls `tick()`. */
  settings(every: number): CheckpointSettings & { tick(): void };
}

export async function checkpointKeys(dir: string): Promise<TestKeys> {
  const pair = await generateSigningKeyPair('EdDSA');
  const privateFile = join(dir, 'checkpoint.private.jwk.json');
  const publicFile = join(dir, 'checkpoint.public.jwk.json');
  writeFileSync(privateFile, JSON.stringify(pair.privateJwk));
  writeFileSync(publicFile, JSON.stringify(pair.publicJwk));
  return {
    privateFile,
    publicFile,
    verifier: loadCheckpointVerifier(publicFile),
    settings(every) {
      const ticks: Array<() => void> = [];
      return {
        signer: loadCheckpointSigner(privateFile),
        every,
        intervalMs: 60_000,
        schedule: (tick) => {
          ticks.push(tick);
          return () => ticks.splice(ticks.indexOf(tick), 1);
        },
        tick: () => ticks.forEach((tick) => tick()),
      };
    },
  };
}
