import nock from '../../support/nock';
import { SourceError } from '../../../sources/kit/errors';
import { SocialInsuranceClient } from '../../../sources/social-insurance/client';
import { clientPerTest, SHORT_DEADLINE_MS, withClient } from './fixtures/client-per-test';
import { BASE, ID, participant, socialInsuranceClient } from './fixtures/social-insurance';

describe('social-insurance source client', () => {
  let client: SocialInsuranceClient;
  clientPerTest(socialInsuranceClient, (opened) => (client = opened));

  it('sends the key and maps the snake_case record to the schema shape', async () => {
    nock(BASE, { reqheaders: { 'x-bhxh-key': 'test-bhxh-key' } })
      .get(`/bhxh/api/v1/nguoi-tham-gia/${ID}`)
      .reply(200, participant());
    await expect(client.getParticipant(ID)).resolves.toEqual({
      personalId: ID,
      insuranceCode: '2412345678',
      status: 'ACTIVE',
      participationType: 'COMPULSORY',
      since: '2015-06-01',
      healthInsuranceCard: { cardNumber: 'DN4242412345678', validFrom: '2026-01-01', validTo: '2026-12-31', registeredFacility: 'Trạm y tế' },
      address: { communeCode: '07201', address: 'Số 12 đường Hùng Vương' },
      updatedAt: '2026-05-01T08:00:00Z',
      provenance: { source: 'social-insurance', producedAt: '2026-05-01T08:00:00Z', fetchedAt: expect.any(String), cached: false, stale: false },
    });
  });

  it('keeps the address code as BHXH stores it, and reads a record without an address as having none', async () => {
    nock(BASE).get(`/bhxh/api/v1/nguoi-tham-gia/${ID}`).reply(200, { ...participant(), dia_chi: null });
    await expect(client.getParticipant(ID)).resolves.toMatchObject({ address: null });
  });

  it('reports an address whose commune code is not 5 digits as SOURCE_BAD_RESPONSE', async () => {
    nock(BASE).get(`/bhxh/api/v1/nguoi-tham-gia/${ID}`).reply(200, { ...participant(), dia_chi: { ma_xa: '7201', chi_tiet: 'x' } });
    await expect(client.getParticipant(ID)).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE' });
  });

  it('returns null when BHXH has no record', async () => {
    nock(BASE).get(`/bhxh/api/v1/nguoi-tham-gia/${ID}`).reply(404, { ma_loi: 'KHONG_TIM_THAY', thong_diep: 'x' });
    await expect(client.getParticipant(ID)).resolves.toBeNull();
  });

  it.each([
    [500, 'SOURCE_UNAVAILABLE'],
    [503, 'SOURCE_UNAVAILABLE'],
    [401, 'SOURCE_UNAVAILABLE'],
    [429, 'SOURCE_UNAVAILABLE'],
  ])('maps HTTP %i to %s naming the source', async (status, code) => {
    nock(BASE).get(`/bhxh/api/v1/nguoi-tham-gia/${ID}`).reply(status, { ma_loi: 'X' });
    await expect(client.getParticipant(ID)).rejects.toMatchObject({ code, source: 'social-insurance' });
  });

  it('reports a body that is not JSON as SOURCE_BAD_RESPONSE', async () => {
    nock(BASE).get(`/bhxh/api/v1/nguoi-tham-gia/${ID}`).reply(200, '{"ma_so_bhxh": "24', { 'content-type': 'application/json' });
    await expect(client.getParticipant(ID)).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE' });
  });

  it('reports wrong types as SOURCE_BAD_RESPONSE', async () => {
    nock(BASE).get(`/bhxh/api/v1/nguoi-tham-gia/${ID}`).reply(200, { ...participant(), ngay_bat_dau: 20150601 });
    await expect(client.getParticipant(ID)).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE' });
  });

  it('gives up after the timeout with SOURCE_TIMEOUT', async () => {
    nock(BASE).get(`/bhxh/api/v1/nguoi-tham-gia/${ID}`).delay(1000).reply(200, participant());
    const error = await withClient(socialInsuranceClient(SHORT_DEADLINE_MS), (quick) => quick.getParticipant(ID)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'social-insurance' });
  });
});
