/**
 * What an operator sees, on the whole stack: Prometheus metrics at the gateway's and a subgraph's
 * /metrics, moving when queries are served or refused; the W3C trace context carried from the
 * caller through the subgraphs to the sources; JSON log lines with the request id and without
 * personal data.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { configureLogging } from '../../lib/log';
import type { Citizen } from '../../mocks';
import { DOSSIER_QUERY, richCitizens } from '../../stack/dossier';
import { Stack, startStack } from '../../stack/stack';

let stack: Stack;
let token: string;
let citizens: Citizen[];
// @apollo/gateway's own usage reporting to Apollo's servers, watched from before the gateway starts.
const apolloTelemetry = jest.spyOn(require('@apollo/gateway/dist/utilities/opentelemetry'), 'createDataCollectionExporter');

beforeAll(async () => {
  stack = await startStack({
    env: {
      RATE_LIMIT_PER_SECOND: '0.1',
      RATE_LIMIT_BURST: '200',
      MAX_QUERY_COST: '1000',
      // Repeated requests must reach the subgraphs, whose metrics are under test.
      SUBGRAPH_ANSWER_CACHE_TTL_S: '0',
      // A breaker quick to open on the insurance source, to see its state change.
      SOCIAL_INSURANCE_SOURCE_RETRIES: '0',
      SOCIAL_INSURANCE_SOURCE_BREAKER_MIN_CALLS: '2',
    },
  });
  token = await stack.token();
  citizens = richCitizens(stack.mocks.world, 12); // one each where a test needs the sources called
});
afterAll(() => stack?.close());

const dossier = (id: string, headers: Record<string, string> = {}) =>
  stack.query(DOSSIER_QUERY, { id }, { authorization: `Bearer ${token}`, ...headers });

/** The samples of a Prometheus text exposition, by `name{labels}` as written. */
async function scrape(url: string): Promise<Map<string, number>> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

const gatewayMetrics = () => scrape(stack.gatewayUrl.replace(/\/graphql$/, '/metrics'));
const subgraphMetrics = (name: 'population' | 'social-insurance') => scrape(stack.subgraphs[name].url.replace(/\/graphql$/, '/metrics'));
const value = (samples: Map<string, number>, key: string) => samples.get(key) ?? 0;

describe('reporting to third parties', () => {
  it('sends no usage figures to Apollo: the gateway library\'s own telemetry stays off', () => {
    expect(apolloTelemetry).not.toHaveBeenCalled();
  });
});

describe('gateway /metrics', () => {
  it('counts and times the operation, each subgraph call and the audit write', async () => {
    const before = await gatewayMetrics();
    const answer = await dossier(citizens[0].personalId);
    expect(answer.body.errors).toBeUndefined();
    const after = await gatewayMetrics();

    const delta = (key: string) => value(after, key) - value(before, key);
    expect(delta('gateway_operations_total{operation="Dossier",outcome="ok"}')).toBe(1);
    expect(delta('gateway_operation_duration_seconds_count{operation="Dossier",outcome="ok"}')).toBe(1);
    expect(delta('gateway_http_responses_total{status="200"}')).toBe(1);
    for (const subgraph of ['population', 'civil-status', 'land', 'social-insurance', 'budget']) {
      expect(delta(`gateway_subgraph_request_duration_seconds_count{subgraph="${subgraph}",outcome="2xx"}`)).toBeGreaterThanOrEqual(1);
    }
    expect(delta('gateway_audit_write_duration_seconds_count{outcome="ok"}')).toBe(1);
    expect(value(after, 'gateway_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('counts refusals by code, and 429s by client', async () => {
    const before = await gatewayMetrics();
    const costly = await stack.query('{ provinces { communes { code } } }', {}, { authorization: `Bearer ${token}` });
    expect(costly.status).toBe(400);
    const limited = await stack.token({ client: 'metrics-limited' });
    let status = 200;
    for (let i = 0; i < 201 && status === 200; i++) status = (await stack.query('{ __typename }', {}, { authorization: `Bearer ${limited}` })).status;
    expect(status).toBe(429);
    const after = await gatewayMetrics();

    const delta = (key: string) => value(after, key) - value(before, key);
    expect(delta('gateway_rejections_total{code="QUERY_TOO_COSTLY"}')).toBe(1);
    expect(delta('gateway_operations_total{operation="(anonymous)",outcome="QUERY_TOO_COSTLY"}')).toBe(1);
    expect(delta('gateway_rejections_total{code="RATE_LIMITED"}')).toBe(1);
    expect(delta('gateway_rate_limit_rejections_total{client_id="metrics-limited",store="memory"}')).toBe(1);
    expect(delta('gateway_http_responses_total{status="429"}')).toBe(1);
  });

  it('counts personal reads by calling system, source and procedure, as the data-sharing report does', async () => {
    const system = await stack.token({ client: 'tthc-metrics', purpose: '', freeText: false });
    const inspector = await stack.token({ client: 'inspection-metrics' });
    const before = await gatewayMetrics();
    const procedureRead = await stack.query(
      'query Confirm($id: ID!) { citizen(personalId: $id) { fullName civilStatus { maritalStatus } } }',
      { id: citizens[10].personalId },
      { authorization: `Bearer ${system}`, 'x-procedure': 'local:marital-status-confirmation', 'x-dossier': 'HS-2026-000777' },
    );
    expect(procedureRead.body.errors).toBeUndefined();
    const freeTextRead = await stack.query('query Land($id: ID!) { citizen(personalId: $id) { landRights { certificateNumber } } }', { id: citizens[11].personalId }, {
      authorization: `Bearer ${inspector}`,
    });
    expect(freeTextRead.body.errors).toBeUndefined();
    // A refused field is written to the audit log as a refusal, but counted as no read.
    const populationOnly = await stack.token({ client: 'refused-metrics', scope: 'population:read' });
    const partlyRefused = await stack.query('query Partly($id: ID!) { citizen(personalId: $id) { fullName civilStatus { maritalStatus } } }', { id: citizens[10].personalId }, {
      authorization: `Bearer ${populationOnly}`,
    });
    expect(partlyRefused.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const after = await gatewayMetrics();

    const reads = (client: string, source: string, procedure: string) =>
      value(after, `gateway_personal_reads_total{client_id="${client}",source="${source}",procedure="${procedure}"}`) -
      value(before, `gateway_personal_reads_total{client_id="${client}",source="${source}",procedure="${procedure}"}`);
    // One citizen read under the procedure: one row per source it touched, none for the others.
    expect(reads('tthc-metrics', 'population', 'local:marital-status-confirmation')).toBe(1);
    expect(reads('tthc-metrics', 'civil-status', 'local:marital-status-confirmation')).toBe(1);
    expect(reads('tthc-metrics', 'land', 'local:marital-status-confirmation')).toBe(0);
    expect(reads('inspection-metrics', 'land', 'free-text')).toBe(1);
    expect(reads('refused-metrics', 'population', 'free-text')).toBe(1);
    expect(reads('refused-metrics', 'civil-status', 'free-text')).toBe(0);
    // Nothing personal in the labels: no personal ID, no dossier number.
    const keys = [...after.keys()].filter((key) => key.startsWith('gateway_personal_reads_total'));
    expect(keys.some((key) => key.includes(citizens[10].personalId) || key.includes('HS-2026-000777'))).toBe(false);
  });

  it('keeps caller-chosen operation names from growing the metrics without bound, or carrying an ID', async () => {
    await stack.query('query Look_024190012345 { __typename }', {}, { authorization: `Bearer ${token}` });
    const after = await gatewayMetrics();
    expect([...after.keys()].some((key) => key.includes('024190012345'))).toBe(false);
    expect(value(after, 'gateway_operations_total{operation="(other)",outcome="ok"}')).toBeGreaterThanOrEqual(1);
  });
});

describe('subgraph /metrics', () => {
  it('times each source call and shows the cache hit ratio', async () => {
    const before = await subgraphMetrics('population');
    await dossier(citizens[1].personalId); // a miss: the population source is called
    await dossier(citizens[1].personalId); // answered from the cache
    const after = await subgraphMetrics('population');

    const calls = 'subgraph_source_request_duration_seconds_count{source="population",outcome="ok"}';
    expect(value(after, calls) - value(before, calls)).toBeGreaterThanOrEqual(1);
    const hits = 'subgraph_source_cache_lookups_total{source="population",result="hit"}';
    expect(value(after, hits) - value(before, hits)).toBeGreaterThanOrEqual(1);
    const ratio = value(after, 'subgraph_source_cache_hit_ratio{source="population"}');
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThanOrEqual(1);
  });
});

describe('trace context', () => {
  const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
  const CALLER_SPAN = 'b7ad6b7169203331';
  let seen: { port: number; traceparent: string | undefined; tracestate: unknown; baggage: unknown }[] = [];
  const onRequest = (message: unknown) => {
    const request = (message as { request: IncomingMessage }).request;
    const { traceparent, tracestate, baggage } = request.headers;
    seen.push({ port: request.socket.localPort ?? 0, traceparent: typeof traceparent === 'string' ? traceparent : undefined, tracestate, baggage });
  };
  beforeAll(() => subscribe('http.server.request.start', onRequest));
  afterAll(() => unsubscribe('http.server.request.start', onRequest));

  const portOf = (url: string) => Number(new URL(url).port);

  it("carries the caller's traceparent through the subgraphs to the sources", async () => {
    seen = [];
    const answer = await dossier(citizens[5].personalId, { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, tracestate: 'tthc=dossier', baggage: 'officer=someone' });
    expect(answer.status).toBe(200);

    const at = (port: number) => seen.filter((s) => s.port === port).map((s) => s.traceparent);
    const hops = [
      ...at(portOf(stack.subgraphs.population.url)),
      ...at(portOf(stack.subgraphs['civil-status'].url)),
      ...at(portOf(stack.mocks.urls['civil-status'])),
      ...at(portOf(stack.mocks.urls['social-insurance'])),
    ];
    expect(at(portOf(stack.subgraphs.population.url)).length).toBeGreaterThan(0);
    expect(at(portOf(stack.mocks.urls['civil-status'])).length).toBeGreaterThan(0);
    for (const traceparent of hops) {
      expect(traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-0[01]$`));
      expect(traceparent).not.toContain(CALLER_SPAN); // each hop is a span of its own
    }
    // The gateway's hop differs from the subgraphs' beyond it: one span id per service.
    expect(new Set(hops).size).toBeGreaterThan(1);
    // The caller's tracestate goes along; its baggage (anything it likes) reaches no subgraph or source.
    const beyondGateway = seen.filter((s) => s.port !== portOf(stack.gatewayUrl) && s.traceparent?.includes(TRACE_ID));
    expect(beyondGateway.length).toBeGreaterThanOrEqual(hops.length);
    expect(beyondGateway.every((s) => s.tracestate === 'tthc=dossier')).toBe(true);
    expect(beyondGateway.some((s) => s.baggage !== undefined)).toBe(false);
  });

  it('starts a trace when the caller sends none, one trace id for the whole request', async () => {
    seen = [];
    await dossier(citizens[6].personalId);
    const traceIds = new Set(seen.filter((s) => s.traceparent).map((s) => s.traceparent!.split('-')[1]));
    expect(seen.filter((s) => s.traceparent).length).toBeGreaterThan(2);
    expect(traceIds.size).toBe(1);
  });
});

describe('logs', () => {
  const lines: string[] = [];
  const capture = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  afterAll(() => configureLogging({ service: 'test', level: 'silent' }));

  it('writes JSON lines that carry the request id and no personal data', async () => {
    const [citizen, other] = [citizens[7], citizens[8]];
    configureLogging({ service: 'test', level: 'debug', destination: capture });
    await dossier(citizen.personalId, { 'x-request-id': 'obs-log-1' });
    // A failing source makes the subgraph log its error codes too.
    stack.mocks.setControl('land', { outage: true });
    try {
      await dossier(other.personalId, { 'x-request-id': 'obs-log-2' });
    } finally {
      stack.mocks.setControl('land', { outage: false });
    }
    configureLogging({ service: 'test', level: 'silent' });

    expect(lines.length).toBeGreaterThan(2);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    // The gateway's lines carry its own id and the caller's; the subgraphs' lines the gateway's id.
    const gatewayIds = new Set(entries.filter((entry) => entry.callerRequestId).map((entry) => entry.requestId));
    expect(gatewayIds.size).toBe(2);
    for (const entry of entries) {
      if (entry.callerRequestId !== undefined) expect(['obs-log-1', 'obs-log-2']).toContain(entry.callerRequestId);
      expect(gatewayIds.has(entry.requestId)).toBe(true);
      expect(typeof entry.time).toBe('string');
      expect(typeof entry.level).toBe('string');
    }
    expect(entries).toContainEqual(expect.objectContaining({ callerRequestId: 'obs-log-1', msg: 'operation', operation: 'Dossier', outcome: 'ok' }));
    const second = entries.find((entry) => entry.callerRequestId === 'obs-log-2')?.requestId;
    expect(entries).toContainEqual(expect.objectContaining({ requestId: second, level: 'warn', errorCodes: expect.arrayContaining(['SOURCE_UNAVAILABLE']) }));

    const text = lines.join('\n');
    for (const person of [citizen, other]) {
      for (const personal of [person.personalId, person.fullName, person.dateOfBirth, person.address]) expect(text).not.toContain(personal);
    }
  });
});

// Last: the insurance source's breaker stays open for its cool-down once this has run.
describe('circuit breaker state', () => {
  it("shows a source's failures and its circuit breaker opening", async () => {
    const state = (samples: Map<string, number>, s: string) => value(samples, `subgraph_source_circuit_state{source="social-insurance",state="${s}"}`);
    expect(state(await subgraphMetrics('social-insurance'), 'closed')).toBe(1);
    // Citizens not asked about before, so each dossier calls the source; earlier successes in the
    // breaker's window mean it takes some failures to reach its failure rate.
    const fresh = [...stack.mocks.world.citizens.keys()].slice(-60);
    let after = await subgraphMetrics('social-insurance');
    stack.mocks.setControl('social-insurance', { outage: true });
    try {
      for (let i = 0; i < fresh.length && state(after, 'open') === 0; i += 3) {
        for (const id of fresh.slice(i, i + 3)) await dossier(id);
        after = await subgraphMetrics('social-insurance');
      }
    } finally {
      stack.mocks.setControl('social-insurance', { outage: false });
    }
    expect(value(after, 'subgraph_source_request_duration_seconds_count{source="social-insurance",outcome="SOURCE_UNAVAILABLE"}')).toBeGreaterThanOrEqual(2);
    expect(state(after, 'open')).toBe(1);
    expect(state(after, 'closed')).toBe(0);
  });
});
