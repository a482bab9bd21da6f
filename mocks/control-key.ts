/**
 * The development key of the mocks' test endpoints (`/__truth`, `/__control`, `/__stats`): made
 * once, random, in `.dev/mocks-control-key` (readable by its owner only), so that `npm start`,
 * `npm run start:mocks` and a developer's curl agree on it without configuration. `MOCKS_CONTROL_KEY`
 * overrides it.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function devControlKeyFile(devDir: string): string {
  return join(devDir, 'mocks-control-key');
}

/** The key in `devDir`, created when missing. */
export function devControlKey(devDir: string): string {
  const file = devControlKeyFile(devDir);
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (key.length >= 16) return key;
  }
  mkdirSync(devDir, { recursive: true });
  const key = randomBytes(24).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}
