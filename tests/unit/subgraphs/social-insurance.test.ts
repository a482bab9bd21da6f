import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { graphql } from 'graphql';
import nock from '../../support/nock';
import { CatalogueClient } from '../../../sources/catalogue/client';
import { SocialInsuranceClient } from '../../../sources/social-insurance/client';
import { typeDefs } from '../../../subgraphs/social-insurance';
import { createLoaders } from '../../../subgraphs/social-insurance/loaders';
import { resolvers } from '../../../subgraphs/social-insurance/resolvers';
import { uncached } from '../../support/uncached';
import { clientPerTest } from '../sources/fixtures/client-per-test';
import { CAT, catalogueClient, catalogueWard } from '../sources/fixtures/population';
import { BASE, ID, participant, socialInsuranceClient } from '../sources/fixtures/social-insurance';

let catalogue: CatalogueClient;
clientPerTest(catalogueClient, (opened) => (catalogue = opened));

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
    const loaders = createLoaders({ clients: { socialInsurance: client, catalogue }, caches: { socialInsurance: uncached('social-insurance'), catalogue: uncached('catalogue') }, concurrency: 4 });
    const results = await Promise.all(ids.map((id) => loaders.participant.load(id)));
    expect(results.map((r) => r?.personalId)).toEqual(ids);
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it('turns a failed lookup into a GraphQL error for that person only', async () => {
    nock(BASE).get(`/bhxh/api/v1/nguoi-tham-gia/${ID}`).reply(503, {});
    nock(BASE).get('/bhxh/api/v1/nguoi-tham-gia/024190099999').reply(200, participant('024190099999'));
    const loaders = createLoaders({ clients: { socialInsurance: client, catalogue }, caches: { socialInsurance: uncached('social-insurance'), catalogue: uncached('catalogue') }, concurrency: 2 });
    const [failed, ok] = await Promise.allSettled([loaders.participant.load(ID), loaders.participant.load('024190099999')]);
    expect(failed).toMatchObject({ status: 'rejected', reason: { extensions: { code: 'SOURCE_UNAVAILABLE', source: 'social-insurance' } } });
    expect(ok).toMatchObject({ status: 'fulfilled', value: { insuranceCode: '2412345678' } });
  });
});

describe('social-insurance address', () => {
  let client: SocialInsuranceClient;
  clientPerTest(() => socialInsuranceClient(30_000), (opened) => (client = opened));
  const schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
  const QUERY = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { socialInsurance { address { address unit { recordedCode recordedName status current { code } candidates { code } } } } } } }`;

  it('serves the code BHXH stores beside the commune it lies in today, without rewriting it', async () => {
    nock(BASE).get(`/bhxh/api/v1/nguoi-tham-gia/${ID}`).reply(200, participant());
    // 07201 is no current code: undated, it is read in today's catalogue first, then in the old one.
    nock(CAT).get('/api/units/communes').query({ codes: '07201' }).reply(200, []);
    // Today's commune it lies in, as the catalogue names it.
    nock(CAT).get('/api/units/communes').query({ codes: '07210' }).reply(200, [catalogueWard('07210')]);
    nock(CAT)
      .get('/api/units/pre-2025/communes')
      .reply(200, [{ MaPX: '07201', PhuongXa: 'Phường Thọ Xương', Cap: 'Phường', MaQH: '213', QuanHuyen: 'Thành phố Bắc Giang', MaTP: '24', TinhThanhPho: 'Tỉnh Bắc Giang' }])
      .get('/api/units/conversion')
      .reply(200, [{ MaXaMoi: '07210', MaXaCu: '07201', GhiChu: 'Nhập toàn bộ' }]);
    const result = await graphql({
      schema,
      source: QUERY,
      variableValues: { r: [{ __typename: 'Citizen', personalId: ID }] },
      contextValue: { loaders: createLoaders({ clients: { socialInsurance: client, catalogue }, caches: { socialInsurance: uncached('social-insurance'), catalogue: uncached('catalogue') }, concurrency: 2 }) },
    });
    expect(result.errors).toBeUndefined();
    expect((result.data as any)._entities[0].socialInsurance.address).toEqual({
      address: 'Số 12 đường Hùng Vương',
      unit: { recordedCode: '07201', recordedName: 'Phường Thọ Xương', status: 'RETIRED_RESOLVED', current: { code: '07210' }, candidates: [{ code: '07210' }] },
    });
  });
});
