import { buildEnvelope, CivilStatusClient } from '../../../sources/civil-status/client';
import { escapeXml } from '../../../sources/civil-status/soap';
import { SourceError } from '../../../sources/kit/errors';
import { clientPerTest, PATIENT_DEADLINE_MS, SHORT_DEADLINE_MS, withClient } from './fixtures/client-per-test';
import { BASE, BIRTH, civilStatusClient, DEATH, envelope, fault, FIRST_MARRIAGE, hoSo, ID, idsFrom, KEY, MAPPED_BIRTH, MAPPED_MARRIAGES, OTHER, requestedIds, response, SECOND_MARRIAGE, soap, SOAP_NS, SPOUSE, UNKNOWN, xml } from './fixtures/civil-status';

let client: CivilStatusClient;
clientPerTest(civilStatusClient, (opened) => (client = opened));

describe('civil-status envelope', () => {
  it('escapes the five XML special characters', () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
  });

  it('builds the LayHoSoHoTich envelope with the key in the SOAP header and the IDs in the body', () => {
    expect(buildEnvelope('k&<y>', [ID, OTHER])).toBe(
      `<soap:Envelope xmlns:soap="${SOAP_NS}" xmlns:ht="urn:hotich:v1">` +
        '<soap:Header><ht:XacThuc><ht:KhoaTruyCap>k&amp;&lt;y&gt;</ht:KhoaTruyCap></ht:XacThuc></soap:Header>' +
        '<soap:Body><ht:LayHoSoHoTich><ht:DanhSachSoDinhDanh>' +
        `<ht:SoDinhDanh>${ID}</ht:SoDinhDanh><ht:SoDinhDanh>${OTHER}</ht:SoDinhDanh>` +
        '</ht:DanhSachSoDinhDanh></ht:LayHoSoHoTich></soap:Body></soap:Envelope>',
    );
  });
});

describe('civil-status source client', () => {

  it('posts the exact SOAP envelope, with the escaped key in the header and the IDs in the body', async () => {
    const trickyKey = `key&<"'>-0001`;
    const tricky = new CivilStatusClient({ url: BASE, apiKey: trickyKey, timeoutMs: PATIENT_DEADLINE_MS });
    let sent = '';
    soap()
      .reply(200, (_uri, body) => {
        sent = body as string;
        return response([hoSo()], [OTHER]);
      });
    await tricky.getRecords([ID, OTHER]);
    await tricky.close();
    expect(sent).toBe(buildEnvelope(trickyKey, [ID, OTHER]));
    expect(sent).toContain('<ht:KhoaTruyCap>key&amp;&lt;&quot;&apos;&gt;-0001</ht:KhoaTruyCap>');
    const parsed = xml.parse(sent);
    expect(parsed.Envelope.Header.XacThuc.KhoaTruyCap).toBe(trickyKey);
    expect(requestedIds(sent)).toEqual([ID, OTHER]);
  });

  it('sends no key in HTTP headers', async () => {
    let headers: Record<string, unknown> = {};
    soap().reply(function () {
      headers = this.req.headers;
      return [200, response([], [ID])];
    });
    await client.getRecords([ID]);
    expect(JSON.stringify(headers)).not.toContain(KEY);
  });

  it('maps a realistic record: birth, marriages oldest first, spouse reference, internal identity fields', async () => {
    soap().reply(200, response([hoSo()]));
    const records = await client.getRecords([ID]);
    expect(records.get(ID)).toEqual({
      personalId: ID,
      fullName: 'Nguyễn Văn An',
      dateOfBirth: '1990-03-05',
      gender: 'MALE',
      maritalStatus: 'MARRIED',
      birth: MAPPED_BIRTH,
      marriages: MAPPED_MARRIAGES,
      death: null,
      updatedAt: '2026-05-01T08:00:00Z',
      provenance: { source: 'civil-status', producedAt: '2026-05-01T08:00:00Z', fetchedAt: expect.any(String), cached: false, stale: false },
    });
  });

  it('reads a single KetHon as a one-element list and none as an empty list', async () => {
    soap().reply(
      200,
      response([hoSo({ id: ID, marriages: [SECOND_MARRIAGE] }), hoSo({ id: OTHER, status: 'CHUA_KET_HON', marriages: [] })]),
    );
    const records = await client.getRecords([ID, OTHER]);
    expect(records.get(ID)?.marriages).toHaveLength(1);
    expect(records.get(ID)?.marriages[0]).toMatchObject({ status: 'ACTIVE', spouse: { personalId: SPOUSE } });
    expect(records.get(OTHER)).toMatchObject({ maritalStatus: 'SINGLE', marriages: [] });
  });

  it('maps every marital status, marriage status and gender', async () => {
    const marriage = (status: string, end = '') =>
      `<ht:KetHon><ht:SoDangKy>KH-1</ht:SoDangKy><ht:NgayDangKy>2000-01-01</ht:NgayDangKy><ht:HoTenVoChong>X</ht:HoTenVoChong>` +
      `<ht:TrangThai>${status}</ht:TrangThai>${end}</ht:KetHon>`;
    const ids = idsFrom(4);
    soap().reply(
      200,
      response([
        hoSo({ id: ids[0], status: 'CHUA_KET_HON', gender: 'Nu', marriages: [] }),
        hoSo({ id: ids[1], status: 'DANG_CO_VO_CHONG', marriages: [marriage('HIEU_LUC')] }),
        hoSo({ id: ids[2], status: 'LY_HON', marriages: [marriage('DA_LY_HON', '<ht:NgayChamDut>2010-01-01</ht:NgayChamDut>')] }),
        hoSo({ id: ids[3], status: 'GOA', gender: 'Nu', marriages: [marriage('CHAM_DUT_DO_CHET', '<ht:NgayChamDut>2011-01-01</ht:NgayChamDut>')] }),
      ]),
    );
    const records = await client.getRecords(ids);
    expect(ids.map((id) => records.get(id)?.maritalStatus)).toEqual(['SINGLE', 'MARRIED', 'DIVORCED', 'WIDOWED']);
    expect(ids.map((id) => records.get(id)?.gender)).toEqual(['FEMALE', 'MALE', 'MALE', 'FEMALE']);
    expect(ids.slice(1).map((id) => records.get(id)?.marriages[0].status)).toEqual(['ACTIVE', 'DIVORCED', 'ENDED_BY_DEATH']);
    expect(records.get(ids[3])?.marriages[0].endedOn).toBe('2011-01-01');
  });

  it('treats missing optional elements as null: parents, spouse ID, end date, death, birth', async () => {
    const bareBirth =
      '<ht:KhaiSinh><ht:SoDangKy>KS-1</ht:SoDangKy><ht:NgayDangKy>1990-03-20</ht:NgayDangKy><ht:NoiDangKy>07210</ht:NoiDangKy><ht:HoTenMe/></ht:KhaiSinh>';
    soap().reply(
      200,
      response([
        hoSo({ id: ID, birth: bareBirth, marriages: [FIRST_MARRIAGE] }),
        hoSo({ id: OTHER, birth: null, marriages: [] }),
      ]),
    );
    const records = await client.getRecords([ID, OTHER]);
    expect(records.get(ID)?.birth).toEqual({
      registrationNumber: 'KS-1',
      registeredOn: '1990-03-20',
      registeredAt: { code: '07210' },
      fatherName: null,
      motherName: null,
    });
    expect(records.get(ID)?.marriages[0].spouse).toBeNull();
    expect(records.get(ID)?.death).toBeNull();
    expect(records.get(OTHER)?.birth).toBeNull();
  });

  it('maps a death registration with its commune reference', async () => {
    soap().reply(200, response([hoSo({ status: 'DANG_CO_VO_CHONG', death: DEATH })]));
    const records = await client.getRecords([ID]);
    expect(records.get(ID)?.death).toEqual({
      registrationNumber: 'KT-07213-2025-000009',
      dateOfDeath: '2025-11-02',
      registeredOn: '2025-11-05',
      registeredAt: { code: '07213' },
    });
  });

  it('keeps numeric-looking text as text and decodes escaped and numeric-reference characters', async () => {
    const lead = '001301000777';
    soap().reply(
      200,
      response([
        hoSo({
          id: lead,
          name: 'Đỗ &amp; Con &lt;Út&gt; &#7840;nh',
          birth:
            '<ht:KhaiSinh><ht:SoDangKy>000123</ht:SoDangKy><ht:NgayDangKy>1990-03-20</ht:NgayDangKy><ht:NoiDangKy>00004</ht:NoiDangKy></ht:KhaiSinh>',
          marriages: [],
        }),
      ]),
    );
    const record = (await client.getRecords([lead])).get(lead);
    expect(record?.personalId).toBe(lead);
    expect(record?.fullName).toBe('Đỗ & Con <Út> Ạnh');
    expect(record?.birth?.registrationNumber).toBe('000123');
    expect(record?.birth?.registeredAt).toEqual({ code: '00004' });
  });

  it('reads elements by local name whatever namespace prefixes the source picks', async () => {
    const body = response([hoSo()])
      .replace(/ht:/g, 'h:')
      .replace('xmlns:ht=', 'xmlns:h=')
      .replace(/soap:/g, 'S:')
      .replace('xmlns:soap=', 'xmlns:S=');
    soap().reply(200, body);
    expect((await client.getRecords([ID])).get(ID)?.maritalStatus).toBe('MARRIED');
  });

  it('leaves IDs listed in KhongTimThay out of the result', async () => {
    soap().reply(200, response([hoSo()], [UNKNOWN, OTHER]));
    const records = await client.getRecords([ID, UNKNOWN, OTHER]);
    expect([...records.keys()]).toEqual([ID]);
  });

  it('reads a single KhongTimThay ID; an empty KhongTimThay leaves the ID unanswered', async () => {
    soap().reply(200, response([], [UNKNOWN]));
    expect((await client.getRecords([UNKNOWN])).size).toBe(0);
    soap().reply(200, envelope(`<ht:LayHoSoHoTichResponse><ht:KhongTimThay/></ht:LayHoSoHoTichResponse>`));
    await expect(client.getRecords([UNKNOWN])).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE' });
  });

  it('makes no call for an empty list and refuses more than 50 IDs in one call', async () => {
    await expect(client.getRecords([])).resolves.toEqual(new Map());
    await expect(client.getRecords(idsFrom(51))).rejects.toThrow(RangeError);
  });

  it.each([
    ['soap:Client', 500, 'SOURCE_BAD_RESPONSE', /rejected the request/],
    ['soap:Server', 500, 'SOURCE_UNAVAILABLE', /SOAP Fault Server/],
    ['soap:Server', 200, 'SOURCE_UNAVAILABLE', /SOAP Fault Server/],
    ['env:Server.Database', 500, 'SOURCE_UNAVAILABLE', /SOAP Fault Server/],
    ['soap:MustUnderstand', 500, 'SOURCE_UNAVAILABLE', /SOAP Fault/],
  ])('maps a SOAP Fault %s on HTTP %i to %s naming the source', async (code, status, errorCode, message) => {
    soap().reply(status, fault(code, `Số định danh ${ID} lỗi`), { 'content-type': 'text/xml; charset=utf-8' });
    const error = await client.getRecords([ID]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: errorCode, source: 'civil-status' });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(ID);
  });

  it.each([
    [401, fault('soap:Client', 'Khóa truy cập không hợp lệ'), /credentials/],
    [503, 'Service Unavailable', /HTTP 503/],
    [500, '<html><body>Bad gateway</body></html>', /HTTP 500/],
    [500, '', /HTTP 500/],
    [404, 'Not Found', /HTTP 404/],
    [502, fault('soap:Server'), /HTTP 502/],
  ])('maps HTTP %i to SOURCE_UNAVAILABLE naming the source', async (status, body, message) => {
    soap().reply(status, body);
    const error = await client.getRecords([ID]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'civil-status', status });
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    ['truncated XML', response([hoSo()]).slice(0, 200)],
    ['mismatched tags', envelope('<ht:LayHoSoHoTichResponse><ht:HoSo></ht:KetHon></ht:LayHoSoHoTichResponse>')],
    ['an empty body', ''],
    ['JSON', JSON.stringify({ ketQua: [] })],
  ])('reports %s as SOURCE_BAD_RESPONSE', async (_what, body) => {
    soap().reply(200, body);
    await expect(client.getRecords([ID])).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'civil-status' });
  });

  it.each([
    ['not a SOAP envelope', `<HoSo><SoDinhDanh>${ID}</SoDinhDanh></HoSo>`],
    ['an envelope without a body', `<soap:Envelope xmlns:soap="${SOAP_NS}"><soap:Header/></soap:Envelope>`],
    ['a body of another operation', envelope('<ht:LayKhaiSinhResponse/>')],
    ['text where the response element belongs', envelope('<ht:LayHoSoHoTichResponse>ok</ht:LayHoSoHoTichResponse>')],
    ['a HoSo that is only text', response([`<ht:HoSo>${ID}</ht:HoSo>`])],
    ['an ID missing from the answer', response([])],
    ['an ID answered twice', response([hoSo(), hoSo()])],
    ['an ID both found and not found', response([hoSo()], [ID])],
    ['a record that was not asked for', response([hoSo(), hoSo({ id: OTHER })])],
    ['KhongTimThay with stray text', response([], []).replace('</ht:LayHoSoHoTichResponse>', `<ht:KhongTimThay>${ID}</ht:KhongTimThay></ht:LayHoSoHoTichResponse>`)],
    ['an unknown marital status', response([hoSo({ status: 'DA_KET_HON' })])],
    ['a prototype member as marital status', response([hoSo({ status: 'constructor' })])],
    ['an unknown gender', response([hoSo({ gender: 'M' })])],
    ['an empty name', response([hoSo({ name: '' })])],
    ['two names', response([hoSo({ extra: '<ht:HoTen>Khác</ht:HoTen>' })])],
    ['a name with child elements', response([hoSo({ name: 'An<ht:b>x</ht:b>' })])],
    ['a malformed personal ID', response([hoSo({ id: '24190012345' })])],
    ['a dd/MM/yyyy birth date', response([hoSo()]).replace('1990-03-05', '05/03/1990')],
    ['a bad update timestamp', response([hoSo()]).replace('2026-05-01T08:00:00Z', 'hôm qua')],
    ['a birth registration without a number', response([hoSo({ birth: BIRTH.replace(/<ht:SoDangKy>.*?<\/ht:SoDangKy>/, '') })])],
    ['a registering commune that is not 5 digits', response([hoSo({ birth: BIRTH.replace('<ht:NoiDangKy>07210', '<ht:NoiDangKy>7210') })])],
    ['an empty KhaiSinh element', response([hoSo({ birth: '<ht:KhaiSinh/>' })])],
    ['an empty KetHon element', response([hoSo({ marriages: ['<ht:KetHon/>'] })])],
    ['an unknown marriage status', response([hoSo({ marriages: [SECOND_MARRIAGE.replace('HIEU_LUC', 'ACTIVE')] })])],
    ['a malformed spouse ID', response([hoSo({ marriages: [SECOND_MARRIAGE.replace(SPOUSE, '12345')] })])],
    ['a KetHon without the spouse name', response([hoSo({ marriages: [SECOND_MARRIAGE.replace(/<ht:HoTenVoChong>.*?<\/ht:HoTenVoChong>/, '')] })])],
    ['a bad end date', response([hoSo({ marriages: [FIRST_MARRIAGE.replace('2014-01-15', '15/01/2014')] })])],
    ['a KhaiTu without the date of death', response([hoSo({ death: DEATH.replace(/<ht:NgayChet>.*?<\/ht:NgayChet>/, '') })])],
    ['a KhaiTu that is text', response([hoSo({ death: '<ht:KhaiTu>có</ht:KhaiTu>' })])],
  ])('reports XML of the wrong shape (%s) as SOURCE_BAD_RESPONSE', async (_what, body) => {
    soap().reply(200, body);
    const error = await client.getRecords([ID]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'civil-status' });
    expect((error as Error).message).not.toContain(ID);
  });

  it('gives up after the timeout with SOURCE_TIMEOUT', async () => {
    soap().delay(1000).reply(200, response([hoSo()]));
    const error = await withClient(civilStatusClient(SHORT_DEADLINE_MS), (quick) => quick.getRecords([ID])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'civil-status' });
  });
});
