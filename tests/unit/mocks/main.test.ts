/** `npm run start:mocks` as a process: startup lines, clean stop on SIGTERM, config errors. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { SOURCES, envPrefix } from '../../../lib/sources';

const ROOT = resolve(__dirname, '../../..');

function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'mocks/main.ts'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

it('logs each source and the world, then stops cleanly on SIGTERM', async () => {
  const ports = Object.fromEntries(SOURCES.map((s) => [`${envPrefix(s)}_MOCK_PORT`, '0']));
  const run = runMain({ ...ports, WORLD_SIZE: '300', WORLD_SEED: 'main-test' });
  const deadline = Date.now() + 15_000;
  while (!run.output().stdout.includes('world') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const lines = run.output().stdout.trim().split('\n');
  expect(lines).toHaveLength(7);
  for (const source of SOURCES) expect(lines.some((l) => l.includes(source) && /http:\/\/127\.0\.0\.1:\d+$/.test(l))).toBe(true);
  expect(lines[6]).toMatch(/300 citizens.*synthetic catalogue.*generated in \d+ ms/);

  const url = lines[0].split(' ').pop()!;
  expect(await (await fetch(`${url}/__health`)).json()).toEqual({ status: 'ok' });
  run.child.kill('SIGTERM');
  expect(await run.exited).toBe(0);
}, 20_000);

it('prints a configuration error without a stack trace and exits 1', async () => {
  const run = runMain({ WORLD_SIZE: 'lots' });
  expect(await run.exited).toBe(1);
  const { stderr } = run.output();
  expect(stderr).toContain('WORLD_SIZE="lots"');
  expect(stderr).not.toMatch(/\n\s+at /);
}, 20_000);
