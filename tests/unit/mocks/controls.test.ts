/** Faults, latency and counters, which every source shares: /__control, /__stats, /__health. */
import { XMLValidator } from 'fast-xml-parser';
import { Agent, request } from 'node:http';
import { SOURCES } from '../../../lib/sources';
import { MOCKS_CONTROL_HEADER, RunningMocks } from '../../../mocks';
import { call, callJson, parseCsv, postSoap, soapBody, soapRequest, startTestMocks, TEST_CONTROL_KEY, TEST_KEYS, withControlKey } from './helpers';

let mocks: RunningMocks;

beforeAll(async () => {
  mocks = await startTestMocks();
});
afterAll(() => mocks.close());
afterEach(() => {
  for (const source of SOURCES) mocks.setControl(source, { latencyMs: 0, jitterMs: 0, errorRate: 0, outage: false, malformedRate: 0 });
});

/** One ordinary, successful call to each source. */
function sampleCall(source: (typeof SOURCES)[number]) {
  const id = [...mocks.world.insurance.keys()][0];
  const base = mocks.urls[source];
  switch (source) {
    case 'population':
      return call(`${base}/api/v1/citizens:batchGet`, { method: 'POST', headers: { 'x-api-key': TEST_KEYS.population }, body: JSON.stringify({ soDinhDanh: [id] }) });
    case 'civil-status':
      return postSoap(base, soapRequest([id]));
    case 'land':
      return call(`${base}/land/v2/parcels?ownerIds=${id}`, { headers: { authorization: `Bearer ${TEST_KEYS.land}` } });
    case 'social-insurance':
      return call(`${base}/bhxh/api/v1/nguoi-tham-gia/${id}`, { headers: { 'x-bhxh-key': TEST_KEYS['social-insurance'] } });
    case 'budget':
      return call(`${base}/tabmis/exports/budget.csv?fiscalYear=2026&units=00004`, { headers: { 'x-treasury-token': TEST_KEYS.budget } });
    case 'catalogue':
      return call(`${base}/api/units/provinces`, { headers: { 'x-api-key': TEST_KEYS.catalogue } });
  }
}

/** The error as each source words it: its code field, SOAP faultcode, or plain text. */
function errorOf(source: (typeof SOURCES)[number], text: string): string {
  if (source === 'civil-status') return soapBody(text).Fault.faultcode;
  if (source === 'budget') return 'text';
  const body = JSON.parse(text);
  return body.maLoi ?? body.ma_loi ?? body.error?.code ?? (typeof body.message === 'string' ? 'message' : 'unknown');
}

describe.each(SOURCES)('%s', (source) => {
  it('answers normally by default and reports health', async () => {
    expect((await sampleCall(source)).status).toBe(200);
    expect(await callJson(`${mocks.urls[source]}/__health`)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('answers every call with 503 in its own style during an outage', async () => {
    const put = await callJson(`${mocks.urls[source]}/__control`, withControlKey({ method: 'PUT', body: JSON.stringify({ outage: true }) }));
    expect(put.body.outage).toBe(true);
    const answer = await sampleCall(source);
    expect(answer.status).toBe(503);
    expect(errorOf(source, answer.text)).toBe({ population: 'UNAVAILABLE', 'civil-status': 'soap:Server', land: 'UNAVAILABLE', 'social-insurance': 'TAM_NGUNG_DICH_VU', budget: 'text', catalogue: 'message' }[source]);
  });

  it('answers with 500 in its own style at errorRate 1', async () => {
    mocks.setControl(source, { errorRate: 1 });
    const answer = await sampleCall(source);
    expect(answer.status).toBe(500);
    expect(errorOf(source, answer.text)).toBe({ population: 'INTERNAL', 'civil-status': 'soap:Server', land: 'INTERNAL', 'social-insurance': 'LOI_HE_THONG', budget: 'text', catalogue: 'message' }[source]);
  });

  it('answers 200 with a body a careful client rejects at malformedRate 1', async () => {
    mocks.setControl(source, { malformedRate: 1 });
    for (let i = 0; i < 4; i++) {
      const answer = await sampleCall(source);
      expect(answer.status).toBe(200);
      if (source === 'civil-status') expect(XMLValidator.validate(answer.text)).not.toBe(true);
      else if (source === 'budget') expect(() => parseCsv(answer.text)).toThrow();
      else expect(malformedJson(answer.text)).toBe(true);
    }
  });

  it('adds the configured latency', async () => {
    mocks.setControl(source, { latencyMs: 150, jitterMs: 50 });
    const started = performance.now();
    await sampleCall(source);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(1000);
  });

  it('answers each call its latency after the call arrived, by its own call log', async () => {
    mocks.setControl(source, { latencyMs: 120 });
    await callJson(`${mocks.urls[source]}/__calls`, withControlKey({ method: 'DELETE' }));
    expect((await Promise.all([sampleCall(source), sampleCall(source)])).map((answer) => answer.status)).toEqual([200, 200]);
    const { body } = await callJson(`${mocks.urls[source]}/__calls`, withControlKey());
    expect(body.calls).toHaveLength(2);
    for (const { startedAt, endedAt } of body.calls) expect(endedAt - startedAt).toBeGreaterThanOrEqual(120);
  });
});

/** Truncated JSON, or JSON whose text fields arrive as numbers. */
function malformedJson(text: string): boolean {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return true;
  }
  const strings: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    else strings.push(v);
  };
  walk(body);
  return strings.every((v) => typeof v !== 'string' || /^\d+$/.test(v)) && strings.some((v) => typeof v === 'number');
}

describe('/__control', () => {
  it('shows the settings and refuses bad ones with 400', async () => {
    const base = mocks.urls.land;
    expect(await callJson(`${base}/__control`, withControlKey())).toEqual({ status: 200, body: { latencyMs: 0, jitterMs: 0, errorRate: 0, outage: false, malformedRate: 0 } });
    for (const body of ['{"errorRate": 2}', '{"outage": "yes"}', '{"latency": 5}', 'not json', '[]']) {
      const answer = await callJson(`${base}/__control`, withControlKey({ method: 'PUT', body }));
      expect(answer.status).toBe(400);
      expect(answer.body.error).toEqual(expect.any(String));
    }
    expect((await callJson(`${base}/__control`, withControlKey())).body.errorRate).toBe(0);
    expect(() => mocks.setControl('land', { errorRate: -1 })).toThrow(RangeError);
  });

  it('needs no source API key, but the control key', async () => {
    expect((await call(`${mocks.urls.budget}/__control`, withControlKey())).status).toBe(200);
  });
});

describe('the control key of the test endpoints', () => {
  const endpoints = (base: string): [string, RequestInit][] => [
    [`${base}/__control`, {}],
    [`${base}/__control`, { method: 'PUT', body: JSON.stringify({ outage: true }) }],
    [`${base}/__stats`, {}],
    [`${base}/__stats`, { method: 'DELETE' }],
    [`${base}/__truth/sample`, {}],
    [`${base}/__truth/citizens/001099999999`, {}],
    [`${base}/__truth/inconsistencies`, {}],
    [`${base}/__anything-else`, {}],
  ];

  it.each(SOURCES)('%s: refuses every test endpoint without the key (401) and with a wrong one (403), changing nothing', async (source) => {
    const before = mocks.stats(source).requests;
    for (const [url, init] of endpoints(mocks.urls[source])) {
      const missing = await callJson(url, init);
      expect(missing).toEqual({ status: 401, body: { error: expect.stringMatching(/need the x-mocks-control-key header/) } });
      const wrong = await callJson(url, { ...init, headers: { [MOCKS_CONTROL_HEADER]: 'not-the-key-at-all' } });
      expect(wrong).toEqual({ status: 403, body: { error: expect.stringMatching(/does not hold the mocks' control key/) } });
    }
    expect(mocks.stats(source).requests).toBe(before); // not even counted as calls
    expect((await sampleCall(source)).status).toBe(200); // no outage was set
  });

  it('leaves /__health open, for probes', async () => {
    expect(await callJson(`${mocks.urls.land}/__health`)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('is made at random when none is given, and told to the caller', async () => {
    const other = await startTestMocks({ controlKey: undefined, world: mocks.world });
    try {
      expect(other.controlKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(other.controlKey).not.toBe(TEST_CONTROL_KEY);
      expect((await call(`${other.urls.budget}/__control`, withControlKey())).status).toBe(403);
      expect((await call(`${other.urls.budget}/__control`, { headers: { [MOCKS_CONTROL_HEADER]: other.controlKey } })).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('/__stats', () => {
  it('counts calls by operation, including refused ones, and resets', async () => {
    const base = mocks.urls.population;
    await callJson(`${base}/__stats`, withControlKey({ method: 'DELETE' }));
    await sampleCall('population');
    await sampleCall('population');
    await call(`${base}/api/v1/communes/00004/residents`, { headers: { 'x-api-key': 'wrong-key-123' } });
    await call(`${base}/api/v1/unknown`);
    await call(`${base}/__truth/sample`, withControlKey()); // test endpoints are not counted
    expect((await callJson(`${base}/__stats`, withControlKey())).body).toEqual({
      requests: 4,
      byOperation: { 'citizens:batchGet': 2, 'communes:residents': 1, unknown: 1 },
    });
    expect(mocks.stats('population').requests).toBe(4);
    mocks.resetStats();
    expect(mocks.stats('population')).toEqual({ requests: 0, byOperation: {} });
    await sampleCall('civil-status');
    expect((await callJson(`${mocks.urls['civil-status']}/__stats`, withControlKey())).body).toEqual({ requests: 1, byOperation: { LayHoSoHoTich: 1 } });
    expect((await callJson(`${mocks.urls['civil-status']}/__stats`, withControlKey({ method: 'DELETE' }))).body.requests).toBe(0);
  });
});

describe('oversized bodies', () => {
  /** One call on a shared keep-alive connection; resolves with the status, or the failure. */
  function post(agent: Agent, url: string, body: string): Promise<number | string> {
    return new Promise((resolve) => {
      const req = request(url, { method: 'POST', agent, headers: { 'x-api-key': TEST_KEYS.population }, timeout: 3000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) => resolve(error.message));
      req.end(body);
    });
  }

  it('are refused with 413 and the connection closed, so the next call is served', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const url = `${mocks.urls.population}/api/v1/citizens:batchGet`;
    expect(await post(agent, url, 'x'.repeat(2 * 1024 * 1024))).toBe(413);
    expect(await post(agent, url, JSON.stringify({ soDinhDanh: [[...mocks.world.citizens.keys()][0]] }))).toBe(200);
    agent.destroy();
  });
});
