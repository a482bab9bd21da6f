/**
 * W3C trace context from the caller through the gateway and the subgraphs to the sources, with
 * OpenTelemetry. Propagation is always on: a request's `traceparent` is continued (or a trace is
 * started) and every outgoing call carries one, so logs and the sources' own records can be
 * joined by trace id. Spans are recorded and exported only when an OTLP endpoint is configured
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`).
 *
 * Without one, no tracer provider is registered at all, only the context manager and the W3C
 * propagator: each request gets a span id of its own (so the next service sees this hop, not the
 * caller's), and every span made inside it, @apollo/gateway's dozen per request included, is the
 * API's no-op span carrying that context on. The SDK with a sampler that drops everything made
 * and measured each of those spans anyway (ids, sampler, span metrics): 1–2% of the gateway's
 * CPU per dossier.
 */
import { randomFillSync } from 'node:crypto';
import { dirname } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import {
  context,
  ContextManager,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TextMapPropagator,
  TraceFlags,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, AlwaysOnSampler, TracerConfig } from '@opentelemetry/sdk-trace-node';

export interface TracingOptions {
  /** `service.name` of the exported spans: `gateway`, `subgraph-population`, … */
  serviceName: string;
  /** OTLP/HTTP base URL (spans go to `<url>/v1/traces`); unset: nothing is exported. */
  otlpEndpoint?: string | undefined;
}

type Resource = NonNullable<TracerConfig['resource']>;

/**
 * A package the trace SDK itself depends on, in the version it uses: the copy hoisted to the top
 * of node_modules may be an older major another dependency needs, which the SDK rejects.
 */
function sdkDependency<T>(name: string): T {
  const sdkDir = dirname(require.resolve('@opentelemetry/sdk-trace-node'));
  return require(require.resolve(name, { paths: [sdkDir] })) as T;
}

function serviceResource(serviceName: string): Resource {
  const resources = sdkDependency<{ resourceFromAttributes(attributes: Record<string, string>): Resource }>('@opentelemetry/resources');
  return resources.resourceFromAttributes({ 'service.name': serviceName });
}

let provider: NodeTracerProvider | null = null;
/** Whether spans are recorded (a provider registered); null until startTracing. */
let recording: boolean | null = null;

/** Registers the process's tracing; later calls keep the first (a process has one). */
export function startTracing(options: TracingOptions): void {
  if (recording !== null) return;
  recording = !!options.otlpEndpoint;
  if (!recording) {
    const { AsyncLocalStorageContextManager } = sdkDependency<{ AsyncLocalStorageContextManager: new () => ContextManager }>('@opentelemetry/context-async-hooks');
    const { W3CTraceContextPropagator } = sdkDependency<{ W3CTraceContextPropagator: new () => TextMapPropagator }>('@opentelemetry/core');
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    return;
  }
  provider = new NodeTracerProvider({
    resource: serviceResource(options.serviceName),
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.otlpEndpoint!.replace(/\/$/, '')}/v1/traces` }))],
  });
  // Registers the W3C trace-context propagator and the AsyncLocalStorage context manager.
  provider.register();
}

/** Sends the spans still buffered and stops; for a clean process exit. */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = null;
  await stopping?.shutdown();
}

const INVALID_TRACE_ID = '00000000000000000000000000000000';

/**
 * Random trace and span ids, cut from a pool refilled 4 KiB at a time: `randomBytes` per id is a
 * system call each, about 10 µs here, for every request.
 */
const idPool = Buffer.alloc(4096);
let idPoolUsed = idPool.length;
function randomId(bytes: 8 | 16): string {
  for (;;) {
    if (idPoolUsed + bytes > idPool.length) {
      randomFillSync(idPool);
      idPoolUsed = 0;
    }
    const id = idPool.toString('hex', idPoolUsed, (idPoolUsed += bytes));
    if (/[^0]/.test(id)) return id; // all zeros is the invalid id
  }
}

const tracer = () => trace.getTracer('vn-commune-gateway');

/**
 * Runs `fn` as a server span continuing the caller's `traceparent` (a new trace when there is
 * none or it is malformed); calls made inside carry the trace on.
 */
export async function continueTrace<T>(headers: IncomingHttpHeaders, spanName: string, fn: () => Promise<T>): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  if (!recording) {
    // This hop's own span id under the caller's trace (or a new trace), recording nothing.
    const caller = trace.getSpanContext(parent);
    const continued = caller && caller.traceId !== INVALID_TRACE_ID;
    const own = continued
      ? { traceId: caller.traceId, spanId: randomId(8), traceFlags: TraceFlags.NONE, traceState: caller.traceState }
      : { traceId: randomId(16), spanId: randomId(8), traceFlags: TraceFlags.NONE };
    return context.with(trace.setSpanContext(parent, own), fn);
  }
  return tracer().startActiveSpan(spanName, { kind: SpanKind.SERVER }, parent, async (span) => {
    try {
      return await fn();
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** `traceparent` (and `tracestate`) for an outgoing call made in the current context. */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** The current trace id, for log lines; undefined outside a trace. */
export function currentTraceId(): string | undefined {
  const spanContext = trace.getSpanContext(context.active());
  return spanContext && spanContext.traceId !== INVALID_TRACE_ID ? spanContext.traceId : undefined;
}
