/**
 * `WORKERS`: how many processes serve one role on this server (Node's cluster module; the
 * workers share the listening port). Above 1 the workers must share what one process keeps to
 * itself, or they would behave unlike one process: Redis (rate limits, persisted queries,
 * caches, invalidation messages reaching every worker) and, for the gateway, the PostgreSQL
 * audit log (a file has one writer; N files would be N chains that audit:verify and accessLog
 * do not join).
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ConfigError, Env, read } from './env';

export interface WorkersConfig {
  workers: number;
}

const workerCount = z.union([z.literal('auto'), z.coerce.number().int().min(1).max(256)]);

export function loadWorkersConfig(env: Env, role: 'gateway' | 'subgraphs'): WorkersConfig {
  const v = read({ WORKERS: workerCount.default(1) }, env);
  const workers = v.WORKERS === 'auto' ? availableParallelism() : v.WORKERS;
  if (workers > 1) {
    const problems: string[] = [];
    if (!env.REDIS_URL && !env.REDIS_CLUSTER_NODES && !env.REDIS_SENTINELS) {
      problems.push(`WORKERS=${v.WORKERS}: set REDIS_URL (or REDIS_CLUSTER_NODES / REDIS_SENTINELS): the workers share rate limits, persisted queries, caches and invalidation through Redis`);
    }
    if (role === 'gateway' && !env.AUDIT_DATABASE_URL) {
      problems.push(`WORKERS=${v.WORKERS}: set AUDIT_DATABASE_URL: an audit file has one writer, so several gateway workers append to one PostgreSQL chain`);
    }
    if (problems.length > 0) throw new ConfigError(problems);
  }
  return { workers };
}
