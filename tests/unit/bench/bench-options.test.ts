/** The benchmark's command line and question draws: clear refusals, and draws as described. */
import { CommandInputError } from '../../../bench/command-line';
import { parseOptions } from '../../../bench/options';
import { eachOnce, zipfSampler } from '../../../bench/zipf';

describe('npm run bench options', () => {
  it('reads durations, lists and ranges, and runs the ceiling last', () => {
    expect(parseOptions(['--requests', '200', '--gateways', 'ceiling,ours', '--latency', '10-20', '--no-probe', '--no-redis'])).toMatchObject({
      requests: 200,
      gateways: ['ours', 'ceiling'],
      latencyMs: [10, 20],
      probe: false,
      redis: false,
    });
  });

  it('measures the gateway alone against its three peers on the personal workloads, unless told otherwise', () => {
    expect(parseOptions(['--alone', '--no-redis'])).toMatchObject({
      alone: true,
      gateways: ['ours', 'apollo', 'hive', 'hive-router'],
      workloads: ['dossier', 'household', 'cold'],
      stackWarmupS: 0,
      probe: false,
    });
    expect(parseOptions(['--alone', '--gateways', 'apollo,ours', '--workloads', 'dossier', '--no-redis'])).toMatchObject({
      gateways: ['ours', 'apollo'],
      workloads: ['dossier'],
    });
  });

  it('takes one latency as fixed, without jitter, for the critical-path run', () => {
    expect(parseOptions(['--latency', '50', '--critical-path'])).toMatchObject({ latencyMs: [50, 50], criticalPath: true });
  });

  it('runs one process per subgraph, as on Kubernetes, or all in one, as on one server', () => {
    expect(parseOptions(['--no-redis'])).toMatchObject({ oneSubgraphProcess: false });
    expect(parseOptions(['--one-subgraph-process', '--no-redis'])).toMatchObject({ oneSubgraphProcess: true });
  });

  it('measures each gateway once, or in several rounds taking turns', () => {
    expect(parseOptions(['--no-redis'])).toMatchObject({ rounds: 1 });
    expect(parseOptions(['--alone', '--rounds', '3', '--no-redis'])).toMatchObject({ rounds: 3 });
  });

  it.each([
    [['--requests'], /--requests: expected a value/],
    [['--rounds', '0'], /--rounds: expected a number ≥ 1/],
    [['--rounds', '2.5'], /--rounds: expected a number ≥ 1/],
    [['--latency', 'fast'], /--latency: expected min-max/],
    [['--requests', '10'], /--requests: expected a number ≥ 50/],
    [['--latency', '80-20'], /--latency: expected min-max/],
    [['--workloads', 'dossier,everything'], /--workloads: expected some of/],
    [['--gateways', 'ceiling'], /needs "ours"/],
    [['--fast'], /unknown option --fast/],
    [['--alone', '--gateways', 'ours,ceiling'], /--alone: the ceiling/],
  ])('refuses %j clearly', (argv, message) => {
    expect(() => parseOptions(argv as string[])).toThrow(message);
    // A command-line mistake, said in one line without a stack trace (bench/run.ts).
    expect(() => parseOptions(argv as string[])).toThrow(CommandInputError);
  });
});

describe('question draws', () => {
  it('draws Zipf-like: a few items often, the same sequence for the same seed', () => {
    const items = Array.from({ length: 10_000 }, (_, i) => `id-${i}`);
    const draw = zipfSampler(items, 1, 7);
    const counts = new Map<string, number>();
    const sequence = Array.from({ length: 20_000 }, () => draw());
    for (const item of sequence) counts.set(item, (counts.get(item) ?? 0) + 1);
    const sorted = [...counts.values()].sort((a, b) => b - a);
    // Rank 1 holds about 1/H(10000) ≈ 10% of the draws, rank 2 half of that.
    expect(sorted[0] / sequence.length).toBeGreaterThan(0.08);
    expect(sorted[0] / sorted[1]).toBeGreaterThan(1.5);
    const again = zipfSampler(items, 1, 7);
    expect(Array.from({ length: 100 }, () => again())).toEqual(sequence.slice(0, 100));
  });

  it('eachOnce draws every item before repeating any', () => {
    const draw = eachOnce(['a', 'b', 'c', 'd'], 3);
    expect(new Set([draw(), draw(), draw(), draw()]).size).toBe(4);
  });
});
