/** How the critical-path run counts the source round trips a request waited on in a row. */
import { callsOfRequest, longestChain, TimedCall, timeOutsideSources } from '../../../bench/critical-path';
import { backToBack, startRoundTripProbe } from '../../../bench/idle-round-trip';

const call = (source: TimedCall['source'], operation: string, startedAt: number, endedAt: number): TimedCall => ({ source, operation, startedAt, endedAt });

describe('longestChain', () => {
  it('counts calls made one after another, and calls made side by side once', () => {
    const calls = [
      call('population', 'citizens:batchGet', 0, 50),
      call('catalogue', 'provinces:list', 1, 51),
      call('population', 'citizens:batchGet', 52, 102),
      call('catalogue', 'communes:list', 52, 102),
      call('civil-status', 'LayHoSoHoTich', 110, 160),
      call('land', 'parcels:search', 111, 161),
    ];
    const chain = longestChain(calls);
    expect(chain).toHaveLength(3);
    // Of the first round, the call answered last (the calls' log says when, not what waited on what).
    expect(chain[0].operation).toBe('provinces:list');
    expect(chain[2].startedAt).toBeGreaterThanOrEqual(chain[1].endedAt);
  });

  it('of chains as long, follows the one the request waited on: the call answered last, after the call answered last before it', () => {
    // A cold dossier: the citizen; then the members read ahead at once, and the other sources
    // later (after the gateway's second round), the last of them answered last.
    const log: [TimedCall['source'], number, number][] = [
      ['population', 10, 61],
      ['catalogue', 11, 40],
      ['population', 66, 117],
      ['social-insurance', 80, 131],
      ['budget', 85, 136],
      ['land', 83, 133],
    ];
    const chain = longestChain(log.map(([source, startedAt, endedAt]) => call(source, 'a call', startedAt, endedAt)));
    expect(chain.map((c) => c.source)).toEqual(['population', 'budget']);
    expect(timeOutsideSources(chain, 0, 149)).toEqual({ beforeFirstMs: 10, betweenMs: 24, afterLastMs: 13 });
    // Each call waits on the call answered last before it began, not on one that ended earlier.
    const waited = longestChain([call('catalogue', 'provinces:list', 0, 20), call('population', 'citizens:batchGet', 1, 51), call('land', 'parcels:list', 60, 110)]);
    expect(waited.map((c) => c.source)).toEqual(['population', 'land']);
  });

  it('does not chain calls that overlap, whatever order they are listed in', () => {
    expect(longestChain([call('land', 'a', 10, 60), call('budget', 'b', 0, 50), call('catalogue', 'c', 40, 90)])).toHaveLength(1);
    expect(longestChain([])).toEqual([]);
  });
});

describe('callsOfRequest', () => {
  it("leaves out a call an earlier request started and did not wait for, which the mocks log once it is answered", () => {
    const leftOver = call('population', 'citizens:batchGet', 960, 1010);
    const { own, earlier } = callsOfRequest([leftOver, call('population', 'citizens:batchGet', 1007, 1057), call('land', 'parcels:list', 1070, 1120)], 1000);
    expect(earlier).toEqual([leftOver]);
    expect(longestChain(own).map((c) => c.source)).toEqual(['population', 'land']);
  });
});

describe('timeOutsideSources', () => {
  it("splits a request's time outside its chain of source calls into before, between and after", () => {
    const chain = [call('population', 'citizens:batchGet', 1008, 1058), call('land', 'parcels:list', 1072, 1122)];
    expect(timeOutsideSources(chain, 1000, 1140)).toEqual({ beforeFirstMs: 8, betweenMs: 14, afterLastMs: 18 });
  });

  it('counts a request that made no source call as time after', () => {
    expect(timeOutsideSources([], 1000, 1012)).toEqual({ beforeFirstMs: 0, betweenMs: 0, afterLastMs: 12 });
  });
});

describe('the loopback round trip measured beside the critical path', () => {
  it('times a kilobyte to an echo process and back, idle or back to back, and refuses once closed', async () => {
    const probe = await startRoundTripProbe();
    try {
      const once = await probe.once();
      const inARow = await backToBack(probe, 5);
      for (const us of [once, ...inARow]) {
        expect(us).toBeGreaterThan(0);
        // A round trip on one machine: far under a second, whatever the load.
        expect(us).toBeLessThan(1_000_000);
      }
      expect(inARow).toHaveLength(5);
    } finally {
      probe.close();
    }
    await expect(probe.once()).rejects.toThrow();
  });
});
