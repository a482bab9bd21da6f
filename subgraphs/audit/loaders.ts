/** Per-request loaders: one scan of the log per citizen asked about. */
import DataLoader from 'dataloader';
import type { AuditEntry } from '../../lib/audit/entry';
import type { AuditLogReader } from '../../sources/audit-log/client';

export interface AuditLoaders {
  accessLog: DataLoader<string, AuditEntry[]>;
}

/** Keys are `<first>:<personalId>`, so two page sizes in one request stay distinct. */
export function createLoaders(reader: AuditLogReader): AuditLoaders {
  return {
    accessLog: new DataLoader<string, AuditEntry[]>((keys) =>
      Promise.all(
        keys.map((key) => {
          const [first, personalId] = key.split(':');
          return reader.accessesTo(personalId, Number(first));
        }),
      ),
    ),
  };
}
