/**
 * The HTTP shell every mock source shares, so that the six differ only in what they define
 * (contract.ts). It wires the pieces with one job each: the per-key in-flight limit (quota.ts),
 * injected latency, errors, outages and malformed bodies (faults.ts), request counting (stats.ts)
 * and the test endpoints `/__control`, `/__stats` and `/__health` (test-endpoints.ts).
 *
 * Order of a call: count it → read the body → read the key → in-flight limit (429) → outage (503)
 * → key check (401) → route (404/405) → injected error (500) → handler → maybe corrupt the 200
 * body → the answer leaves once the latency has passed since the call arrived. The latency is the
 * source's whole time to answer, its own work included, as a database's is: a source set to 50 ms
 * answers 50 ms after the call arrives, however long the handler took, so a benchmark's fixed
 * latency is the sources' share of a request and nothing more. Test endpoints and open routes skip
 * all of it, but every one of them except `/__health` needs the control key (`x-mocks-control-key`).
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SourceName } from '../../lib/sources';
import { Call, Reply, SourceDefinition, SourceFailure } from './contract';
import { ControlSettings, Faults } from './faults';
import { matchRoute, readBody, safeDecode, send } from './http';
import { InFlightLimit } from './quota';
import { CallCounter, preciseNow, SourceStats } from './stats';
import { testEndpoint, TestEndpointTargets } from './test-endpoints';

/** A source could not take its port; the message says which and why. */
export class ListenError extends Error {}

/**
 * Resolves at `epochMs` (`preciseNow()`'s clock), never before; at once when that has passed.
 * Node's timers count whole milliseconds of the event loop's clock, which lags while the loop
 * works, so one can fire up to two milliseconds early: the wait is checked, and continued.
 */
function waitUntil(epochMs: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      const left = epochMs - preciseNow();
      if (left > 0) setTimeout(check, left);
      else resolve();
    };
    check();
  });
}

export class MockService {
  readonly server: Server;
  private readonly faults: Faults;
  private readonly stats = new CallCounter();
  private readonly quota: InFlightLimit;
  private readonly testTargets: TestEndpointTargets;

  constructor(
    private readonly definition: SourceDefinition,
    private readonly apiKey: string,
    initial: Pick<ControlSettings, 'latencyMs' | 'jitterMs'>,
    /** The key every test endpoint but `/__health` requires. */
    controlKey: string,
  ) {
    if (!controlKey) throw new Error(`The ${definition.name} mock needs a control key for its test endpoints`);
    this.faults = new Faults(initial);
    this.quota = new InFlightLimit(definition.maxInFlightPerKey);
    this.testTargets = { controlKey, stats: this.stats, faults: this.faults, openRoutes: definition.openRoutes ?? [] };
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    this.server.keepAliveTimeout = 65_000;
  }

  get name(): SourceName {
    return this.definition.name;
  }

  getControl(): ControlSettings {
    return this.faults.get();
  }

  setControl(patch: unknown): ControlSettings {
    return this.faults.set(patch);
  }

  getStats(): SourceStats {
    return this.stats.get();
  }

  resetStats(): void {
    this.stats.reset();
  }

  /** Listens on `port` (0: any free port); resolves with the port taken. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) =>
        reject(new ListenError(`The ${this.name} mock cannot listen on ${host}:${port} (${error.code ?? error.message})`));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const [rawPath, rawQuery] = q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
    const path = safeDecode(rawPath);
    const method = req.method ?? 'GET';
    if (path.startsWith('/__')) {
      const answer = await testEndpoint(this.testTargets, req, method, path, rawQuery);
      if (answer) return send(res, answer);
    }

    const match = matchRoute(this.definition.routes, method, path);
    const operation = match.route?.operation ?? 'unknown';
    const startedAt = preciseNow();
    const answerAt = startedAt + this.faults.latency();
    this.stats.count(operation);
    // Set once the call is admitted; a call refused before that (its body could not be read; 429)
    // is answered at once.
    let release: (() => void) | undefined;
    let reply: Reply;
    try {
      const call: Call = { method, path, params: match.params, query: new URLSearchParams(rawQuery), headers: req.headers, body: await readBody(req) };
      // A request too broken to hold a key is reported as such, but only after latency and outage.
      let key: string | undefined;
      let unreadable: unknown;
      try {
        key = this.definition.presentedKey(call);
      } catch (error) {
        unreadable = error;
      }
      release = this.quota.admit(key ?? '');
      if (this.faults.outage) throw new SourceFailure('UNAVAILABLE', `The ${this.name} service is temporarily unavailable`);
      if (unreadable) throw unreadable;
      if (key !== this.apiKey) throw new SourceFailure('UNAUTHORIZED', 'Missing or invalid access key');
      if (!match.route) {
        throw match.pathKnown
          ? new SourceFailure('METHOD_NOT_ALLOWED', `Method ${method} is not allowed on ${path}`)
          : new SourceFailure('NOT_FOUND', `No resource at ${path}`);
      }
      if (this.faults.injectError()) throw new SourceFailure('INTERNAL', 'Internal error (injected)');
      reply = this.faults.maybeCorrupt(this.definition.format, match.route.handle(call));
    } catch (error) {
      const failure = error instanceof SourceFailure ? error : new SourceFailure('INTERNAL', 'Internal error');
      reply = this.definition.renderError(failure.kind, failure.message);
    }
    if (release) {
      await waitUntil(answerAt);
      // The call holds its place in the in-flight limit until it is answered.
      release();
    }
    send(res, reply);
    this.stats.record({ operation, startedAt, endedAt: preciseNow() });
  }
}
