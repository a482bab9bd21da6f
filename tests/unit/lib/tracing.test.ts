/**
 * Trace context without an exporter: what the next service sees of each request in `traceparent`.
 */
import { continueTrace, currentTraceId, startTracing, traceHeaders } from '../../../lib/tracing';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-00$/;

beforeAll(() => startTracing({ serviceName: 'tracing-unit-test' }));

/** The traceparent an outgoing call would carry from inside a request with these headers. */
function outgoingFrom(headers: Record<string, string>): Promise<{ traceparent: string; tracestate?: string; traceId?: string }> {
  return continueTrace(headers, 'POST /graphql', async () => {
    await new Promise((resolve) => setImmediate(resolve)); // across an asynchronous step, as a request's calls are
    const { traceparent, tracestate } = traceHeaders();
    return { traceparent, tracestate, traceId: currentTraceId() };
  });
}

describe('continueTrace without an exporter', () => {
  it("continues the caller's trace under a span id of this service's own, with its tracestate", async () => {
    const caller = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const out = await outgoingFrom({ traceparent: caller, tracestate: 'tthc=dossier' });
    const [, traceId, spanId] = TRACEPARENT.exec(out.traceparent) ?? [];
    expect(traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(spanId).not.toBe('b7ad6b7169203331');
    expect(out.tracestate).toBe('tthc=dossier');
    expect(out.traceId).toBe(traceId);
  });

  it('starts a new trace for a caller that sends none or a malformed one, different each request', async () => {
    const outs = await Promise.all([outgoingFrom({}), outgoingFrom({ traceparent: 'not-a-traceparent' }), ...Array.from({ length: 50 }, () => outgoingFrom({}))]);
    const parsed = outs.map((out) => TRACEPARENT.exec(out.traceparent));
    expect(parsed.every((match) => match !== null)).toBe(true);
    expect(new Set(parsed.map((match) => match![1])).size).toBe(outs.length);
    expect(new Set(parsed.map((match) => match![2])).size).toBe(outs.length);
    expect(parsed.some((match) => /^0+$/.test(match![1]) || /^0+$/.test(match![2]))).toBe(false);
  });

  it('carries nothing outside a request', () => {
    expect(traceHeaders()).toEqual({});
    expect(currentTraceId()).toBeUndefined();
  });
});
