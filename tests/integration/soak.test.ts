/**
 * The soak in its short form (`npm run soak:ci`): the product started as in production (gateway,
 * subgraphs and mocks in their own processes), 30 seconds of the mixed workload at a steady rate,
 * then its report. Must answer every request in full, shed none, and keep each process's
 * resident memory within the short run's bound. The ten-minute run and its figures:
 * docs/reliability.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
/** The options of `npm run soak:ci`, from package.json, so the test runs exactly that. */
const SOAK_CI_ARGS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['soak:ci']
  .replace(/^tsx bench\/soak\.ts\s*/, '')
  .split(/\s+/);

interface SoakReport {
  rate: number;
  durationS: number;
  whole: { sent: number; answered: number; errors: number; shed: number };
}

it('answers 30 seconds of the mixed workload in full, with memory held', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vn-gateway-soak-test-'));
  const reportFile = join(dir, 'soak.json');
  try {
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'bench/soak.ts', ...SOAK_CI_ARGS, '--json', reportFile], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`npm run soak:ci exited ${code}:\n${output.join('').slice(-3000)}`);
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as SoakReport;
    expect(report.rate).toBe(20);
    expect(report.whole.errors).toBe(0);
    expect(report.whole.shed).toBe(0);
    expect(report.whole.answered).toBe(report.whole.sent);
    expect(report.whole.sent).toBeGreaterThanOrEqual(20 * 30 * 0.95);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 240_000);
