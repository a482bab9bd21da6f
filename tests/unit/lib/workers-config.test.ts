/** WORKERS: one role on several cores only when the workers share what one process keeps to itself. */
import { availableParallelism } from 'node:os';
import { loadWorkersConfig } from '../../../lib/config';

describe('WORKERS', () => {
  it('is one process unless told otherwise, and auto means every core', () => {
    expect(loadWorkersConfig({}, 'gateway')).toEqual({ workers: 1 });
    const shared = { REDIS_URL: 'redis://cache:6379', AUDIT_DATABASE_URL: 'postgresql://db/audit' };
    expect(loadWorkersConfig({ WORKERS: 'auto', ...shared }, 'gateway')).toEqual({ workers: availableParallelism() });
    expect(loadWorkersConfig({ WORKERS: '4', REDIS_CLUSTER_NODES: 'r1:6379' }, 'subgraphs')).toEqual({ workers: 4 });
  });

  it('refuses several gateway workers without Redis or with the audit file, naming what to set', () => {
    expect(() => loadWorkersConfig({ WORKERS: '2', AUDIT_DATABASE_URL: 'postgresql://db/audit' }, 'gateway')).toThrow(/WORKERS=2: set REDIS_URL/);
    expect(() => loadWorkersConfig({ WORKERS: '2', REDIS_URL: 'redis://cache:6379' }, 'gateway')).toThrow(/WORKERS=2: set AUDIT_DATABASE_URL: an audit file has one writer/);
    expect(() => loadWorkersConfig({ WORKERS: '2' }, 'subgraphs')).toThrow(/REDIS_URL/);
    expect(() => loadWorkersConfig({ WORKERS: 'many' }, 'gateway')).toThrow(/WORKERS/);
  });
});
