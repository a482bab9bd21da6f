/** Where generated development files live. */
import { resolve } from 'node:path';
import type { Env } from './env';

/** Where development keys, the local audit log and other generated files live (ignored by git). */
export function devDirectory(env: Env = process.env): string {
  return env.DEV_DIR && env.DEV_DIR !== '' ? resolve(env.DEV_DIR) : resolve(__dirname, '..', '..', '.dev');
}

export function defaultAuditFile(env: Env = process.env): string {
  return resolve(devDirectory(env), 'audit', 'audit.log');
}
