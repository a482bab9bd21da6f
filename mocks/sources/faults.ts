/**
 * Faults a test or benchmark injects into a mock source through `/__control`: latency with
 * jitter, injected HTTP 500s, a full outage (503) and corrupted bodies.
 */
import { z } from 'zod';
import { corruptBody, BodyFormat } from './corrupt';
import type { Reply } from './contract';

export interface ControlSettings {
  latencyMs: number;
  jitterMs: number;
  /** Share of calls answered with an injected HTTP 500 (spread evenly, see EvenShare). */
  errorRate: number;
  /** Every call answered HTTP 503. */
  outage: boolean;
  /** Share of successful calls whose body is corrupted. */
  malformedRate: number;
}

const controlPatch = z
  .object({
    latencyMs: z.number().min(0).max(60_000),
    jitterMs: z.number().min(0).max(60_000),
    errorRate: z.number().min(0).max(1),
    outage: z.boolean(),
    malformedRate: z.number().min(0).max(1),
  })
  .partial()
  .strict();

/** Validates a control patch; throws RangeError naming what is wrong. */
export function parseControlPatch(patch: unknown): Partial<ControlSettings> {
  const parsed = controlPatch.safeParse(patch);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(`${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Picks exactly `rate` of the calls, spread evenly (call n is picked when n × rate crosses a whole
 * number) rather than drawn at random: a test that asks for a third of calls to fail gets a third,
 * every run, and its outcome does not hang on luck.
 */
class EvenShare {
  private calls = 0;

  pick(rate: number): boolean {
    const n = this.calls++;
    return Math.floor((n + 1) * rate) > Math.floor(n * rate);
  }
}

export class Faults {
  private settings: ControlSettings;
  private readonly errors = new EvenShare();
  private readonly corruptions = new EvenShare();

  constructor(initial: Pick<ControlSettings, 'latencyMs' | 'jitterMs'>) {
    this.settings = { errorRate: 0, outage: false, malformedRate: 0, ...initial };
  }

  get(): ControlSettings {
    return { ...this.settings };
  }

  /** Applies a `/__control` patch; throws RangeError naming what is wrong. */
  set(patch: unknown): ControlSettings {
    this.settings = { ...this.settings, ...parseControlPatch(patch) };
    return this.get();
  }

  get outage(): boolean {
    return this.settings.outage;
  }

  /** This call's latency: the configured latency plus random jitter, in milliseconds. */
  latency(): number {
    return this.settings.latencyMs + Math.random() * this.settings.jitterMs;
  }

  /** Whether this call is answered with an injected HTTP 500. */
  injectError(): boolean {
    return this.errors.pick(this.settings.errorRate);
  }

  /** A successful reply, its body corrupted for the configured share of calls. */
  maybeCorrupt(format: BodyFormat, reply: Reply): Reply {
    return reply.status === 200 && this.corruptions.pick(this.settings.malformedRate) ? { ...reply, body: corruptBody(format, reply.body) } : reply;
  }
}
