/**
 * W3C trace context from the caller through the gateway and the subgraphs to the sources, with
 * OpenTelemetry. Propagation is always on: a request's `traceparent` is continued (or a trace is
 * started) and every outgoing call carries one, so logs and the sources' own records can be
 * joined by trace id. Spans are recorded and exported only when an OTLP endpoint is configured
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`); otherwise the sampler records nothing and the cost is an id.
 *
 * @apollo/gateway makes its own spans (request, plan, fetch per subgraph) through the same API,
 * so they join the trace once a provider is registered here.
 */
import { dirname } from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TracerConfig,
} from '@opentelemetry/sdk-trace-node';

export interface TracingOptions {
  /** `service.name` of the exported spans: `gateway`, `subgraph-population`, … */
  serviceName: string;
  /** OTLP/HTTP base URL (spans go to `<url>/v1/traces`); unset: nothing is exported. */
  otlpEndpoint?: string | undefined;
}

type Resource = NonNullable<TracerConfig['resource']>;

/**
 * The resources package the trace SDK itself depends on: the copy hoisted to the top of
 * node_modules is an older major another dependency needs, whose Resource the SDK rejects.
 */
function serviceResource(serviceName: string): Resource {
  const sdkDir = dirname(require.resolve('@opentelemetry/sdk-trace-node'));
  const resources = require(require.resolve('@opentelemetry/resources', { paths: [sdkDir] })) as {
    resourceFromAttributes(attributes: Record<string, string>): Resource;
  };
  return resources.resourceFromAttributes({ 'service.name': serviceName });
}

let provider: NodeTracerProvider | null = null;

/** Registers the process's tracer provider; later calls keep the first (a process has one). */
export function startTracing(options: TracingOptions): void {
  if (provider) return;
  const exporting = !!options.otlpEndpoint;
  provider = new NodeTracerProvider({
    resource: serviceResource(options.serviceName),
    sampler: exporting ? new ParentBasedSampler({ root: new AlwaysOnSampler() }) : new AlwaysOffSampler(),
    spanProcessors: exporting
      ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.otlpEndpoint!.replace(/\/$/, '')}/v1/traces` }))]
      : [],
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

const tracer = () => trace.getTracer('vn-commune-gateway');

/**
 * Runs `fn` as a server span continuing the caller's `traceparent` (a new trace when there is
 * none or it is malformed); calls made inside carry the trace on.
 */
export async function continueTrace<T>(headers: IncomingHttpHeaders, spanName: string, fn: () => Promise<T>): Promise<T> {
  const parent = propagation.extract(ROOT_CONTEXT, headers);
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
  return spanContext && spanContext.traceId !== '00000000000000000000000000000000' ? spanContext.traceId : undefined;
}
