/** The catalogue source over HTTP, in the official catalogue's field names. */
import type { RunningMocks } from '../../../mocks';
import { callJson, startTestMocks, TEST_KEYS } from './helpers';

let mocks: RunningMocks;
let base: string;
const KEY = { 'x-api-key': TEST_KEYS.catalogue };

beforeAll(async () => {
  mocks = await startTestMocks();
  base = `${mocks.urls.catalogue}/api/units`;
});
afterAll(() => mocks.close());

describe('catalogue', () => {
  it('lists provinces without their communes', async () => {
    const { status, body } = await callJson(`${base}/provinces`, { headers: KEY });
    expect(status).toBe(200);
    expect(body).toHaveLength(3);
    expect(body.find((p: { Code: string }) => p.Code === '24')).toEqual({
      Code: '24',
      Name: 'Bắc Ninh',
      NameEn: 'Bac Ninh',
      FullName: 'Tỉnh Bắc Ninh',
      FullNameEn: 'Bac Ninh Province',
      AdministrativeUnitShortName: 'Tỉnh',
    });
  });

  it('answers a province with its wards, and one commune', async () => {
    const province = await callJson(`${base}/provinces/24`, { headers: KEY });
    expect(province.body.Wards.length).toBeGreaterThan(0);
    expect(Object.keys(province.body.Wards[0]).sort()).toEqual(['AdministrativeUnitShortName', 'Code', 'FullName', 'FullNameEn', 'Name', 'NameEn', 'ProvinceCode']);
    const commune = await callJson(`${base}/communes/07210`, { headers: KEY });
    expect(commune.body).toMatchObject({ Code: '07210', Name: 'Bắc Giang', ProvinceCode: '24', AdministrativeUnitShortName: 'Phường' });
  });

  it('answers several communes at once, skipping unknown codes, up to 200', async () => {
    const { body } = await callJson(`${base}/communes?codes=07210,00004,99999`, { headers: KEY });
    expect(body.map((c: { Code: string }) => c.Code).sort()).toEqual(['00004', '07210']);
    const codes = Array.from({ length: 201 }, (_, i) => String(10000 + i)).join(',');
    expect((await callJson(`${base}/communes?codes=${codes}`, { headers: KEY })).status).toBe(400);
    expect((await callJson(`${base}/communes?codes=${codes.slice(6)}`, { headers: KEY })).status).toBe(200);
  });

  it('answers unknown codes with 404 {message} and a wrong key with 401', async () => {
    expect(await callJson(`${base}/provinces/77`, { headers: KEY })).toEqual({ status: 404, body: { message: expect.any(String) } });
    expect(await callJson(`${base}/communes/99999`, { headers: KEY })).toEqual({ status: 404, body: { message: expect.any(String) } });
    expect((await callJson(`${base}/provinces`, { headers: { 'x-api-key': 'nope-nope-nope' } })).status).toBe(401);
  });
});
