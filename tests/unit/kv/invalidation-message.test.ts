/** The invalidation message on the Redis channel: what is sent, and what a subscriber accepts. */
import { decodeInvalidation, encodeInvalidation } from '../../../lib/kv/invalidation-bus';

describe('invalidation messages', () => {
  it('round-trips, with and without the sources named', () => {
    const message = { personalIds: ['024190012345'], sources: ['civil-status' as const] };
    expect(JSON.parse(encodeInvalidation(message))).toEqual({ v: 1, ...message });
    expect(decodeInvalidation(encodeInvalidation(message))).toEqual(message);
    expect(decodeInvalidation('{"v":1,"personalIds":["024190012345"]}')).toEqual({ personalIds: ['024190012345'] });
  });

  it.each([
    'not json',
    'null',
    '{"personalIds":["024190012345"]}',
    '{"v":2,"personalIds":["024190012345"]}',
    '{"v":1,"personalIds":["12345"]}',
    '{"v":1,"personalIds":"024190012345"}',
    '{"v":1,"personalIds":["024190012345"],"sources":["the-moon"]}',
  ])('ignores %s', (text) => {
    expect(decodeInvalidation(text)).toBeNull();
  });
});
