/**
 * `npm run bench:profile`: the shares of a process's busy time that docs/benchmarks.md quotes,
 * from a small profile whose answer is known.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { busyTimeline, CpuProfile, packageOf, ProfileInputError, summarizeProfile } from '../../../bench/profile-summary';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

/**
 * Root → serve (gateway/server.ts) → execute (@apollo/gateway) and → write (lib/audit/file-sink.ts)
 * → fstat (native); plus idle and the garbage collector. One sample a millisecond.
 */
function profile(samples: number[]): CpuProfile {
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 4] },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('(garbage collector)') },
      { id: 4, callFrame: frame('serve', 'file:///srv/app/gateway/server.ts'), children: [5, 6] },
      { id: 5, callFrame: frame('executeQueryPlan', 'file:///srv/app/node_modules/@apollo/gateway/dist/executeQueryPlan.js') },
      { id: 6, callFrame: frame('checkStillTheLog', 'file:///srv/app/lib/audit/file-sink.ts'), children: [7] },
      { id: 7, callFrame: frame('fstat') },
    ],
    startTime: 0,
    endTime: samples.length * 1000,
    samples,
    timeDeltas: samples.map(() => 1000),
  };
}

describe('summarizeProfile', () => {
  // 4 idle, 2 GC, 2 in serve itself, 4 in Apollo, 8 in fstat under the audit check: 16 ms busy.
  const samples = [2, 2, 2, 2, 3, 3, 4, 4, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 7, 7];

  it('shares the busy time by package and by function, leaving idle out', () => {
    const summary = summarizeProfile(profile(samples));
    expect(summary.busyMs).toBe(16);
    expect(summary.idleMs).toBe(4);
    expect(summary.byPackage.map((row) => [row.name, row.ms])).toEqual([
      ['fstat', 8],
      ['@apollo/gateway', 4],
      ['(garbage collector)', 2],
      ['gateway/server.ts', 2],
    ]);
    expect(summary.byPackage[1].share).toBeCloseTo(4 / 16);
    expect(summary.byFunction[0]).toMatchObject({ name: 'fstat', ms: 8, share: 0.5 });
  });

  it('counts the time inside a frame with everything it called', () => {
    const summary = summarizeProfile(profile(samples), {}, { frames: ['checkStillTheLog', 'gateway/server.ts', 'nowhere'] });
    expect(summary.frames.map((row) => [row.name, row.ms])).toEqual([
      ['checkStillTheLog', 8],
      ['gateway/server.ts', 14],
      ['nowhere', 0],
    ]);
  });

  it('reads only the window asked for', () => {
    // 12.5–20.5 ms of the 20 ms profile: the last eight samples, all in fstat.
    const summary = summarizeProfile(profile(samples), { from: 0.0125, to: 0.0205 }, { frames: ['checkStillTheLog'] });
    expect(summary.busyMs).toBe(8);
    expect(summary.frames[0].share).toBe(1);
  });

  it('refuses what is not a profile, and a window that ends before it starts', () => {
    expect(() => summarizeProfile({ results: [] } as unknown as CpuProfile)).toThrow(ProfileInputError);
    expect(() => summarizeProfile(profile(samples), { from: 2, to: 1 })).toThrow(/must start at 0 s or later and end after it starts/);
  });

  it('shows second by second where the process was busy', () => {
    const long = profile([...Array(1000).fill(2), ...Array(1000).fill(5)]);
    expect(busyTimeline(long).map((step) => step.busy)).toEqual([0, 1]);
  });
});

describe('packageOf', () => {
  it.each([
    ['/srv/app/node_modules/undici/lib/client.js', 'undici'],
    ['file:///srv/app/node_modules/@opentelemetry/api/build/src/context.js', '@opentelemetry/api'],
    ['/srv/app/gateway/subgraph-calls/signing.ts', 'gateway/subgraph-calls'],
    ['node:internal/crypto/sig', 'node:internal/crypto/sig'],
    ['', 'writev'],
  ])('%s → %s', (url, expected) => {
    expect(packageOf({ functionName: 'writev', url, lineNumber: 0 })).toBe(expected);
  });
});

describe('npm run bench:profile', () => {
  const script = resolve(__dirname, '../../../bench/profile-summary.ts');
  const run = (...args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('prints the tables for a profile file, and one line with exit 2 for a bad option', () => {
    const dir = mkdtempSync(join(tmpdir(), 'profile-summary-'));
    const file = join(dir, 'gateway.cpuprofile');
    writeFileSync(file, JSON.stringify(profile(samples())));
    expect(run(file, '--frame', 'checkStillTheLog')).toMatch(/16 ms busy[\s\S]*\| checkStillTheLog \| 8 \| 50\.0% \|/);
    let failure: { status?: number; stderr?: string } = {};
    try {
      run(file, '--from', 'soon');
    } catch (error) {
      failure = error as { status?: number; stderr?: string };
    }
    expect(failure.status).toBe(2);
    expect(failure.stderr?.trim()).toBe('bench:profile: --from takes seconds after the profile began (a number, 0 or more), not "soon"');
  });

  function samples(): number[] {
    return [2, 2, 2, 2, 3, 3, 4, 4, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 7, 7];
  }
});
