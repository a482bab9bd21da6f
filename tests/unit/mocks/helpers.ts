/** Shared by the mock-source tests: small worlds on free ports with known keys, and HTTP helpers. */
import { XMLParser } from 'fast-xml-parser';
import { SOURCES, SourceName } from '../../../lib/sources';
import { MOCKS_CONTROL_HEADER, RunningMocks, startMocks, StartMocksOptions } from '../../../mocks';

export const TEST_KEYS = Object.fromEntries(SOURCES.map((s) => [s, `test-${s}-key`])) as Record<SourceName, string>;
/** The key of the test endpoints (`/__truth`, `/__control`, `/__stats`) in these tests. */
export const TEST_CONTROL_KEY = 'test-mocks-control-key';
/** Request options carrying that key; `init` adds to them. */
export function withControlKey(init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...(init.headers as Record<string, string> | undefined), [MOCKS_CONTROL_HEADER]: TEST_CONTROL_KEY } };
}
export const FREE_PORTS = Object.fromEntries(SOURCES.map((s) => [s, 0])) as Record<SourceName, number>;

/** 2,000 citizens over the synthetic catalogue, no latency, test keys, free ports. */
export function startTestMocks(options: StartMocksOptions = {}): Promise<RunningMocks> {
  return startMocks({
    worldSize: 2000,
    worldSeed: 'mocks-unit-tests',
    adminUnitsFile: undefined,
    inconsistencyRate: 0.02,
    latencyMs: 0,
    jitterMs: 0,
    ports: FREE_PORTS,
    apiKeys: TEST_KEYS,
    controlKey: TEST_CONTROL_KEY,
    ...options,
  });
}

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

export async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

export async function callJson<T = any>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const answer = await call(url, init);
  return { status: answer.status, body: JSON.parse(answer.text) as T };
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return callJson(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

export function soapRequest(ids: string[], key: string | null = TEST_KEYS['civil-status']): string {
  const header = key === null ? '' : `<soap:Header><ht:XacThuc><ht:KhoaTruyCap>${key}</ht:KhoaTruyCap></ht:XacThuc></soap:Header>`;
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ht="urn:hotich:v1">' +
    `${header}<soap:Body><ht:LayHoSoHoTich><ht:DanhSachSoDinhDanh>` +
    ids.map((id) => `<ht:SoDinhDanh>${id}</ht:SoDinhDanh>`).join('') +
    '</ht:DanhSachSoDinhDanh></ht:LayHoSoHoTich></soap:Body></soap:Envelope>'
  );
}

export function postSoap(baseUrl: string, body: string): Promise<Answer> {
  return call(`${baseUrl}/HoTichService`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:hotich:v1/LayHoSoHoTich"' },
    body,
  });
}

const xml = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name, jPath) => ['HoSo', 'KetHon'].includes(name) || String(jPath).endsWith('KhongTimThay.SoDinhDanh'),
});

/** The `LayHoSoHoTichResponse` or `Fault` inside a SOAP answer. */
export function soapBody(text: string): any {
  return xml.parse(text).Envelope.Body;
}

/** RFC 4180: quoted fields may hold commas, doubled quotes and line breaks. Throws on a bad quote. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (text[i + 1] === '"') field += text[++i];
      else quoted = false;
    } else if (ch === '"') {
      if (field !== '') throw new Error(`stray quote in row ${rows.length + 1}`);
      quoted = true;
    } else if (ch === ',') {
      endField();
    } else if (ch === '\n') {
      field = field.replace(/\r$/, '');
      endField();
      rows.push(row);
      row = [];
    } else {
      field += ch;
    }
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length) {
    endField();
    rows.push(row);
  }
  return rows;
}
