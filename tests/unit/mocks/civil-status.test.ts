/** The civil-status source over SOAP 1.1: records, batching, faults, keys, escaping. */
import { XMLValidator } from 'fast-xml-parser';
import type { RunningMocks } from '../../../mocks';
import { escapeXml } from '../../../mocks/sources/civil-status';
import { postSoap, soapBody, soapRequest, startTestMocks } from './helpers';

let mocks: RunningMocks;
let base: string;

beforeAll(async () => {
  mocks = await startTestMocks();
  base = mocks.urls['civil-status'];
});
afterAll(() => mocks.close());

const citizens = () => [...mocks.world.citizens.values()];

describe('LayHoSoHoTich', () => {
  it('answers each record with birth, marriages and death, and lists the missing', async () => {
    const married = citizens().find((c) => c.marriages.length >= 2 && c.marriages.some((m) => m.spouseId))!;
    const dead = citizens().find((c) => c.death)!;
    const answer = await postSoap(base, soapRequest([married.personalId, dead.personalId, '001099999999']));
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('text/xml; charset=utf-8');
    expect(XMLValidator.validate(answer.text)).toBe(true);
    const response = soapBody(answer.text).LayHoSoHoTichResponse;
    expect(response.KhongTimThay.SoDinhDanh).toEqual(['001099999999']);
    const [first, second] = response.HoSo;

    expect(first).toMatchObject({
      SoDinhDanh: married.personalId,
      HoTen: married.fullName,
      NgaySinh: married.dateOfBirth,
      GioiTinh: married.gender === 'MALE' ? 'Nam' : 'Nu',
      KhaiSinh: { SoDangKy: married.birth.registrationNumber, NgayDangKy: married.birth.registeredOn, NoiDangKy: married.birth.registeredAt },
      NgayCapNhat: married.updatedAt.civilStatus,
    });
    expect(first.KetHon).toHaveLength(married.marriages.length);
    first.KetHon.forEach((k: Record<string, string>, i: number) => {
      const m = married.marriages[i];
      expect(k.SoDangKy).toBe(m.registrationNumber);
      expect(k.NgayDangKy).toBe(m.registeredOn);
      expect(k.SoDinhDanhVoChong).toBe(m.spouseId ?? undefined);
      expect(k.HoTenVoChong).toBe(m.spouseName);
      expect(k.TrangThai).toBe({ ACTIVE: 'HIEU_LUC', DIVORCED: 'DA_LY_HON', ENDED_BY_DEATH: 'CHAM_DUT_DO_CHET' }[m.status]);
      expect(k.NgayChamDut).toBe(m.endedOn ?? undefined);
    });
    expect(first.KhaiTu).toBeUndefined();
    expect(second.KhaiTu).toEqual({
      SoDangKy: dead.death!.registrationNumber,
      NgayChet: dead.death!.dateOfDeath,
      NgayDangKy: dead.death!.registeredOn,
      NoiDangKy: dead.death!.registeredAt,
    });
  });

  it('accepts any namespace prefixes', async () => {
    const [id] = mocks.world.citizens.keys();
    const body = soapRequest([id]).replace(/soap:/g, 'soapenv:').replace(/xmlns:soap=/, 'xmlns:soapenv=').replace(/ht:/g, 'h:').replace(/xmlns:ht=/, 'xmlns:h=');
    const answer = await postSoap(base, body);
    expect(answer.status).toBe(200);
    expect(soapBody(answer.text).LayHoSoHoTichResponse.HoSo[0].SoDinhDanh).toBe(id);
  });

  it('takes 50 IDs and answers 51 with a soap:Client fault', async () => {
    const ids = [...mocks.world.citizens.keys()].slice(0, 51);
    const ok = await postSoap(base, soapRequest(ids.slice(0, 50)));
    expect(ok.status).toBe(200);
    expect(soapBody(ok.text).LayHoSoHoTichResponse.HoSo).toHaveLength(50);
    const tooMany = await postSoap(base, soapRequest(ids));
    expect(tooMany.status).toBe(500);
    expect(soapBody(tooMany.text).Fault).toMatchObject({ faultcode: 'soap:Client', faultstring: expect.stringContaining('50') });
  });

  it.each([
    ['broken XML', '<soap:Envelope><soap:Body>'],
    ['not an envelope', '<hello>world</hello>'],
    ['no operation', soapRequest(['001099999999']).replace(/LayHoSoHoTich/g, 'Other')],
    ['no IDs', soapRequest([])],
    ['a DOCTYPE', `<!DOCTYPE x [<!ENTITY a "aaaa">]>${soapRequest(['001099999999']).replace(/^<\?xml[^>]*>/, '')}`],
  ])('answers %s with HTTP 500 and a soap:Client fault', async (_what, body) => {
    const answer = await postSoap(base, body);
    expect(answer.status).toBe(500);
    expect(XMLValidator.validate(answer.text)).toBe(true);
    expect(soapBody(answer.text).Fault.faultcode).toBe('soap:Client');
  });

  it('answers a wrong or missing key with 401 and a soap:Client fault', async () => {
    for (const key of ['wrong-key-123', null]) {
      const answer = await postSoap(base, soapRequest(['001099999999'], key));
      expect(answer.status).toBe(401);
      expect(soapBody(answer.text).Fault.faultcode).toBe('soap:Client');
    }
  });

  it('answers an unknown path with 404 in SOAP', async () => {
    const answer = await fetch(`${base}/OtherService`, { method: 'POST', body: soapRequest(['001099999999']) });
    expect(answer.status).toBe(404);
    expect(soapBody(await answer.text()).Fault.faultcode).toBe('soap:Client');
  });
});

describe('escapeXml', () => {
  it('escapes markup and drops characters XML cannot carry', () => {
    expect(escapeXml(`Tom & "Jerry" <b>'s\u0001`)).toBe('Tom &amp; &quot;Jerry&quot; &lt;b&gt;&apos;s');
  });

  it('keeps requested IDs that hold markup well-formed in the answer', async () => {
    const answer = await postSoap(base, soapRequest(['a&amp;b&lt;c']));
    expect(answer.status).toBe(200);
    expect(XMLValidator.validate(answer.text)).toBe(true);
    expect(soapBody(answer.text).LayHoSoHoTichResponse.KhongTimThay.SoDinhDanh).toEqual(['a&b<c']);
  });
});
