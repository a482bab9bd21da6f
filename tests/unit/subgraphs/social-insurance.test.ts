import nock from 'nock';
import { SocialInsuranceClient } from '../../../sources/social-insurance/client';
import { createLoaders } from '../../../subgraphs/social-insurance/loaders';
import { uncached } from '../../support/uncached';
import { clientPerTest } from '../sources/fixtures/client-per-test';
import { BASE, ID, participant, socialInsuranceClient } from '../sources/fixtures/social-insurance';

describe('social-insurance loaders', () => {
  let client: SocialInsuranceClient;
  // Waiting for a slot counts against the source's deadline: a long one keeps a loaded machine
  // from turning these tests about batching into timeouts.
  clientPerTest(() => socialInsuranceClient(), (opened) => (client = opened));

  it('looks up many people with at most `concurrency` calls in flight', async () => {
    const ids = Array.from({ length: 24 }, (_, i) => `0241900${String(i).padStart(5, '0')}`);
    let inFlight = 0;
    let maxInFlight = 0;
    nock(BASE)
      .get(/\/bhxh\/api\/v1\/nguoi-tham-gia\/\d+/)
      .times(ids.length)
      .reply(async (uri) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 15));
        inFlight--;
        return [200, participant(uri.split('/').pop())];
      });
    const loaders = createLoaders({ clients: { socialInsurance: client }, caches: { socialInsurance: uncached('social-insurance') }, concurrency: 4 });
    const results = await Promise.all(ids.map((id) => loaders.participant.load(id)));
    expect(results.map((r) => r?.personalId)).toEqual(ids);
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it('turns a failed lookup into a GraphQL error for that person only', async () => {
    nock(BASE).get(`/bhxh/api/v1/nguoi-tham-gia/${ID}`).reply(503, {});
    nock(BASE).get('/bhxh/api/v1/nguoi-tham-gia/024190099999').reply(200, participant('024190099999'));
    const loaders = createLoaders({ clients: { socialInsurance: client }, caches: { socialInsurance: uncached('social-insurance') }, concurrency: 2 });
    const [failed, ok] = await Promise.allSettled([loaders.participant.load(ID), loaders.participant.load('024190099999')]);
    expect(failed).toMatchObject({ status: 'rejected', reason: { extensions: { code: 'SOURCE_UNAVAILABLE', source: 'social-insurance' } } });
    expect(ok).toMatchObject({ status: 'fulfilled', value: { insuranceCode: '2412345678' } });
  });
});
