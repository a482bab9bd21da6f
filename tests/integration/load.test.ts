/**
 * The soak's workload and load generator, briefly, against the in-process stack: every kind of
 * request `npm run soak` sends is answered in full at a steady rate. (The soak itself, with
 * separate processes and memory measured, runs as `npm run soak` / `npm run soak:ci`.)
 */
import { runLoad } from '../../bench/soak/load-runner';
import { createWorkload, fetchSample, MIX } from '../../bench/soak/workload';
import { seededRandom } from '../../bench/zipf';
import { Stack, startStack } from '../../stack/stack';

/** The mix drawn from a seed: the same requests in the same order every run. */
const MIX_SEED = 2026;
/** Fewer requests than this answered is a failure of its own (below). */
const LEAST_ANSWERED = 70;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ mocks: { worldSize: 3000, worldSeed: 'load' }, env: { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' } });
});
afterAll(() => stack?.close());

it('answers a few seconds of the mixed workload with no error, nothing shed', async () => {
  const world = stack.mocks.world;
  const sample = await fetchSample(stack.mocks.urls.population, stack.mocks.controlKey, 300);
  const provinceOf = (commune: string) => world.catalogue.communeByCode.get(commune)?.ProvinceCode;
  // Every common kind of request (5% or more of the mix) is among the first requests this seed draws,
  // so whether one is exercised never depends on how many the machine sent in the time.
  const common = MIX.filter((entry) => entry.share >= 5).map((entry) => entry.kind);
  const preview = createWorkload(sample, provinceOf, seededRandom(MIX_SEED));
  const firstKinds = new Set(Array.from({ length: LEAST_ANSWERED }, () => preview().kind));
  expect(common.filter((kind) => !firstKinds.has(kind))).toEqual([]);
  const next = createWorkload(sample, provinceOf, seededRandom(MIX_SEED));
  const token = await stack.token({ scope: 'population:read civil-status:read land:read social-insurance:read budget:read audit:read' });

  const summary = await runLoad({ url: stack.gatewayUrl, rate: 20, durationMs: 4000, next, headers: () => ({ authorization: `Bearer ${token}` }) });

  expect(summary.errors).toEqual({});
  expect(summary.shed).toBe(0);
  expect(summary.answered).toBe(summary.sent);
  expect(summary.answered).toBeGreaterThanOrEqual(LEAST_ANSWERED);
  // Every common kind of request was exercised and answered.
  expect(common.filter((kind) => !summary.byKind[kind])).toEqual([]);
});
