/** The benchmark's report: several rounds reduced to medians, and each round's ratios beside them. */
import { criticalPathTable, medianOfRounds, roundsTable, RunResult } from '../../../bench/report';

function run(gateway: RunResult['gateway'], round: number | undefined, requestsPerSecond: number, cpuMs: number, p99Ms = 500): RunResult {
  return {
    gateway,
    ...(round === undefined ? {} : { round }),
    workload: 'dossier',
    requestsPerSecond,
    p50Ms: 1000 / requestsPerSecond,
    p99Ms,
    requests: 300,
    errors: gateway === 'apollo' && round === 2 ? 1 : 0,
    sourceCallsPerRequest: null,
    sourceCallsBySource: null,
    gatewayOwnMs: null,
    cpuMsPerRequest: { gateway: cpuMs, behind: 2 },
    cpuMsPerRequestBehind: { 'stand-ins': 1.5, redis: 0.5 },
  };
}

// A machine slowing down through the run: every gateway's second round slower than its first.
const rounds = [
  run('ours', 1, 150, 6.5, 400),
  run('apollo', 1, 90, 11),
  run('apollo', 2, 60, 16),
  run('ours', 2, 100, 10, 900),
  run('ours', 3, 140, 7, 450),
  run('apollo', 3, 85, 11.5),
];

describe('benchmark rounds', () => {
  it('reduces each gateway and workload to the median of its rounds, adding up requests and errors', () => {
    const [ours, apollo] = medianOfRounds(rounds);
    expect(ours).toMatchObject({ gateway: 'ours', requestsPerSecond: 140, p99Ms: 450, requests: 900, errors: 0, cpuMsPerRequest: { gateway: 7, behind: 2 } });
    expect(ours.round).toBeUndefined();
    expect(apollo).toMatchObject({ gateway: 'apollo', requestsPerSecond: 85, requests: 900, errors: 1, cpuMsPerRequest: { gateway: 11.5 } });
  });

  it('leaves a single measurement as it is', () => {
    const single = [run('ours', undefined, 150, 6.5), run('apollo', undefined, 90, 11)];
    expect(medianOfRounds(single)).toEqual(single);
  });

  it('compares the gateways within each round, then gives the median of those ratios', () => {
    const table = roundsTable(rounds);
    const row = (label: string) => table.split('\n').find((line) => line.startsWith(`| dossier | ${label} |`));
    // Round 2: ours 100 req/s against Apollo's 60, CPU 16 ms against 10.
    expect(row('2')).toBe('| dossier | 2 | 100, 10.00 | 1.67×, 1.60× |');
    // Ratios 1.67, 1.67, 1.65 (requests/s) and 1.69, 1.60, 1.64 (CPU): medians, not the ratio of medians.
    expect(row('median')).toBe('| dossier | median | 140, 7.00 | **1.67×**, 1.64× |');
    expect(table).not.toContain('Hive');
  });

  it('gives this gateway\'s rounds alone when no peer ran', () => {
    const table = roundsTable(rounds.filter((r) => r.gateway === 'ours'));
    expect(table.split('\n')[0]).toBe('| workload | round | ours: requests/s, CPU ms / request |');
    expect(table).toContain('| dossier | median | 140, 7.00 |');
  });
});

describe('the critical-path table', () => {
  const cold = (roundTripsMax: number): RunResult => ({
    ...run('ours', undefined, 7, 28),
    workload: 'cold, critical path',
    criticalPath: {
      roundTripsP50: 2,
      roundTripsMax,
      chain: ['population citizens:batchGet', 'budget budget:export'],
      longestChain: roundTripsMax === 3 ? ['population citizens:batchGet', 'population households:get', 'land parcels:list'] : ['population citizens:batchGet', 'land parcels:list'],
      sourceLatencyMs: [50, 50],
      outsideSourcesMsP50: { beforeFirstMs: 8, betweenMs: 12, afterLastMs: 9 },
    },
  });

  it('names the calls of a request that waited on more round trips than the median one', () => {
    const table = criticalPathTable([cold(3)]);
    expect(table).toContain('| 2 / 3 | population citizens:batchGet → budget budget:export | 8.0 / 12.0 / 9.0 |');
    expect(table).toContain('a request waited on 3 round trips: population citizens:batchGet → population households:get → land parcels:list');
  });

  it('says nothing more when no request waited on more than the median one', () => {
    expect(criticalPathTable([cold(2)])).not.toContain('a request waited on');
    expect(criticalPathTable([cold(2)])).not.toContain('still running');
  });

  it("counts source calls a request left running, which the next request's log holds", () => {
    const run = cold(2);
    run.criticalPath!.callsFromEarlierRequests = 2;
    expect(criticalPathTable([run])).toContain('2 source call(s) still running when the next request began');
  });

  it("says what one hop between processes cost on the machine during the run, when the run measured it", () => {
    expect(criticalPathTable([cold(2)])).not.toContain('loopback');
    const run = cold(2);
    run.criticalPath!.loopbackRoundTripUsP50 = { idle: 262.4, backToBack: 97.2 };
    expect(criticalPathTable([run])).toContain('a loopback round trip of a kilobyte to a process idle for 5 ms took 262 µs (p50), 97 µs back to back');
  });
});
