/** How the critical-path run counts the source round trips a request waited on in a row. */
import { longestChain, TimedCall, timeOutsideSources } from '../../../bench/critical-path';

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
    expect(chain[0].operation).toBe('citizens:batchGet');
    expect(chain[2].startedAt).toBeGreaterThanOrEqual(chain[1].endedAt);
  });

  it('does not chain calls that overlap, whatever order they are listed in', () => {
    expect(longestChain([call('land', 'a', 10, 60), call('budget', 'b', 0, 50), call('catalogue', 'c', 40, 90)])).toHaveLength(1);
    expect(longestChain([])).toEqual([]);
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
