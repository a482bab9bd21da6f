/**
 * The two by-commune interfaces the indicators read: land parcels by commune, and the civil-status
 * registration statistics (a SOAP endpoint of its own), checked against the world they describe.
 */
import type { RunningMocks } from '../../../mocks';
import { call, callJson, startTestMocks, TEST_KEYS } from './helpers';
import { XMLParser } from 'fast-xml-parser';

let mocks: RunningMocks;

beforeAll(async () => {
  mocks = await startTestMocks();
});
afterAll(() => mocks.close());

describe('land parcels by commune', () => {
  const AUTH = { authorization: `Bearer ${TEST_KEYS.land}` };

  it('lists exactly the commune’s parcels, paged, with the count in totalItems', async () => {
    const commune = mocks.world.catalogue.communes[2].Code;
    const expected = [...mocks.world.parcels.values()].filter((p) => p.communeCode === commune).map((p) => p.parcelId).sort();
    expect(expected.length).toBeGreaterThan(10);
    const count = await callJson(`${mocks.urls.land}/land/v2/parcels?communeCode=${commune}&pageSize=1`, { headers: AUTH });
    expect(count.body).toMatchObject({ totalItems: expected.length, totalPages: expected.length });
    const page = await callJson(`${mocks.urls.land}/land/v2/parcels?communeCode=${commune}&page=2&pageSize=5`, { headers: AUTH });
    expect(page.body.items.map((p: { parcelId: string }) => p.parcelId)).toEqual(expected.slice(5, 10));
  });

  it('refuses a commune search mixed with IDs, or a malformed commune code', async () => {
    for (const query of ['communeCode=00004&ids=TD-1', 'communeCode=0004']) {
      const { status, body } = await callJson(`${mocks.urls.land}/land/v2/parcels?${query}`, { headers: AUTH });
      expect([status, body.error.code]).toEqual([400, 'BAD_REQUEST']);
    }
  });
});

describe('ThongKeDangKyHoTich', () => {
  const xml = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false, isArray: (name) => name === 'Thang' });
  const request = (body: string, key = TEST_KEYS['civil-status']) =>
    call(`${mocks.urls['civil-status']}/ThongKeHoTichService`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:hotich:v1/ThongKeDangKyHoTich"' },
      body:
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ht="urn:hotich:v1">' +
        `<soap:Header><ht:XacThuc><ht:KhoaTruyCap>${key}</ht:KhoaTruyCap></ht:XacThuc></soap:Header>` +
        `<soap:Body><ht:ThongKeDangKyHoTich>${body}</ht:ThongKeDangKyHoTich></soap:Body></soap:Envelope>`,
    });
  const range = (commune: string, from: string, to: string) => `<ht:MaXa>${commune}</ht:MaXa><ht:TuThang>${from}</ht:TuThang><ht:DenThang>${to}</ht:DenThang>`;

  it('counts each month’s births, marriages (once per couple) and deaths registered at the commune', async () => {
    const commune = mocks.world.catalogue.communes[0].Code;
    const expected = new Map<string, [number, number, number]>();
    const marriages = new Set<string>();
    const bump = (day: string, i: 0 | 1 | 2) => {
      const row = expected.get(day.slice(0, 7)) ?? [0, 0, 0];
      row[i]++;
      expected.set(day.slice(0, 7), row);
    };
    for (const c of mocks.world.citizens.values()) {
      if (c.birth.registeredAt === commune) bump(c.birth.registeredOn, 0);
      for (const m of c.marriages) if (m.registeredAt === commune && !marriages.has(m.registrationNumber) && marriages.add(m.registrationNumber)) bump(m.registeredOn, 1);
      if (c.death?.registeredAt === commune) bump(c.death.registeredOn, 2);
    }
    const answer = await request(range(commune, '2024-07', '2026-06'));
    expect(answer.status).toBe(200);
    const response = xml.parse(answer.text).Envelope.Body.ThongKeDangKyHoTichResponse;
    expect(response.MaXa).toBe(commune);
    expect(response.Thang).toHaveLength(24);
    expect(response.Thang[0].Ky).toBe('2024-07');
    for (const month of response.Thang) {
      expect([month.KhaiSinh, month.KetHon, month.KhaiTu].map(Number)).toEqual(expected.get(month.Ky) ?? [0, 0, 0]);
    }
    expect(response.Thang.reduce((sum: number, m: { KhaiSinh: string }) => sum + Number(m.KhaiSinh), 0)).toBeGreaterThan(0);
    expect(mocks.stats('civil-status').byOperation.ThongKeDangKyHoTich).toBeGreaterThan(0);
  });

  it('faults a bad range, an unknown commune and a wrong key in SOAP style', async () => {
    for (const bad of [range('00004', '2026-06', '2025-01'), range('00004', '2020-01', '2026-06'), range('4', '2026-01', '2026-02')]) {
      const answer = await request(bad);
      expect(answer.status).toBe(500);
      expect(answer.text).toContain('soap:Client');
    }
    expect((await request(range('99999', '2026-01', '2026-02'))).status).toBe(404);
    expect((await request(range('00004', '2026-01', '2026-02'), 'wrong-key-wrong')).status).toBe(401);
  });
});
