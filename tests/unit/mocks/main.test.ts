/** `npm run start:mocks` as a process: startup log lines (JSON), clean stop on SIGTERM, config errors. */
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
  const run = runMain({ ...ports, WORLD_SIZE: '300', WORLD_SEED: 'main-test', MOCKS_CONTROL_KEY: 'main-test-control-key' });
  const deadline = Date.now() + 15_000;
  while (!run.output().stdout.includes('test endpoints') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const lines = run.output().stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines).toHaveLength(8);
  for (const source of SOURCES) {
    expect(lines).toContainEqual(expect.objectContaining({ service: 'mocks', msg: 'serving', source, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) }));
  }
  expect(lines[6]).toMatchObject({ msg: 'world generated', citizens: 300, catalogue: 'synthetic', durationMs: expect.any(Number) });

  const url = lines[0].url as string;
  expect(await (await fetch(`${url}/__health`)).json()).toEqual({ status: 'ok' });
  // The test endpoints take the key MOCKS_CONTROL_KEY gives, and refuse callers without it.
  expect(lines[7]).toMatchObject({ msg: 'test endpoints', header: 'x-mocks-control-key', key: 'MOCKS_CONTROL_KEY' });
  expect((await fetch(`${url}/__control`)).status).toBe(401);
  expect((await fetch(`${url}/__control`, { headers: { 'x-mocks-control-key': 'main-test-control-key' } })).status).toBe(200);
  run.child.kill('SIGTERM');
  expect(await run.exited).toBe(0);
}, 20_000);

it('logs a configuration error without a stack trace and exits 1', async () => {
  const run = runMain({ WORLD_SIZE: 'lots' });
  expect(await run.exited).toBe(1);
  const { stdout } = run.output();
  expect(JSON.parse(stdout.trim())).toMatchObject({ level: 'fatal', msg: 'invalid configuration', problems: [expect.stringContaining('WORLD_SIZE="lots"')] });
  expect(stdout).not.toMatch(/\bat \S+ \(/);
}, 20_000);
