/** Per-request loaders: one scan of the log per citizen asked about. */
import DataLoader from 'dataloader';
import type { AuditEntry } from '../../lib/audit/entry';
import type { SourceClients } from '../../sources/clients';
import type { LoaderSources } from '../common/loaders';

export interface AuditLoaders {
  accessLog: DataLoader<string, AuditEntry[]>;
}

export const AUDIT_CLIENTS = ['auditLog'] as const;
export type AuditClients = SourceClients<(typeof AUDIT_CLIENTS)[number]>;

/** The audit log is read as it is: no source cache in front of it. */
export type AuditCaches = Record<string, never>;

/** Keys are `<first>:<before sequence, or empty>:<personalId>`, so two pages in one request stay distinct. */
export function createLoaders({ clients }: LoaderSources<AuditClients, AuditCaches>): AuditLoaders {
  return {
    accessLog: new DataLoader<string, AuditEntry[]>((keys) =>
      Promise.all(
        keys.map((key) => {
          const [first, before, personalId] = key.split(':');
          return clients.auditLog.accessesTo(personalId, Number(first), before === '' ? undefined : Number(before));
        }),
      ),
    ),
  };
}
