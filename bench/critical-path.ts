/**
 * The critical path of a cold dossier: one request at a time, every citizen asked once, sources
 * answering after a fixed latency. For each request the mock sources' call log (`/__calls`) says
 * when each source call arrived and was answered; the longest chain of calls each of which began
 * only after the one before it had been answered is the number of source round trips the request
 * waited on in a row. With a fixed 50 ms per call, a request cannot be faster than that many × 50 ms.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Agent, Dispatcher, request } from 'undici';
import type { SourceName } from '../lib/sources';
import { backToBack, IDLE_BEFORE_PROBE_MS, startRoundTripProbe } from './idle-round-trip';

export interface TimedCall {
  source: SourceName;
  operation: string;
  startedAt: number;
  endedAt: number;
}

/**
 * The longest chain of calls in which each starts after the previous one ended. Of chains as long,
 * the one the request waited on: ending with the call answered last, each call after the one
 * answered last before it began (so the time between two calls of the chain is time the request
 * spent outside the sources, not a call that finished early beside it).
 */
export function longestChain(calls: readonly TimedCall[]): TimedCall[] {
  const sorted = [...calls].sort((a, b) => a.startedAt - b.startedAt);
  const best: { length: number; previous: number }[] = [];
  let end = -1;
  sorted.forEach((call, i) => {
    let length = 1;
    let previous = -1;
    for (let j = 0; j < i; j++) {
      if (sorted[j].endedAt > call.startedAt) continue;
      const longer = best[j].length + 1 > length;
      // Equal lengths are at least 2, so `previous` is set.
      const asLongEndingLater = best[j].length + 1 === length && sorted[j].endedAt > sorted[previous].endedAt;
      if (longer || asLongEndingLater) {
        length = best[j].length + 1;
        previous = j;
      }
    }
    best.push({ length, previous });
    if (end < 0 || length > best[end].length || (length === best[end].length && call.endedAt > sorted[end].endedAt)) end = i;
  });
  const chain: TimedCall[] = [];
  for (let i = end; i >= 0; i = best[i].previous) chain.unshift(sorted[i]);
  return chain;
}

/** Where a request's time outside the sources went, along its longest chain of source calls. */
export interface TimeOutsideSources {
  /** From the request to the first call of the chain. */
  beforeFirstMs: number;
  /** Between each call of the chain and the next, summed. */
  betweenMs: number;
  /** From the last call's answer to the response. */
  afterLastMs: number;
}

/** `startedAt`/`endedAt` of the request, on the calls' clock (epoch milliseconds). */
export function timeOutsideSources(chain: readonly TimedCall[], startedAt: number, endedAt: number): TimeOutsideSources {
  if (chain.length === 0) return { beforeFirstMs: 0, betweenMs: 0, afterLastMs: endedAt - startedAt };
  let betweenMs = 0;
  for (let i = 1; i < chain.length; i++) betweenMs += chain[i].startedAt - chain[i - 1].endedAt;
  return { beforeFirstMs: chain[0].startedAt - startedAt, betweenMs, afterLastMs: endedAt - chain[chain.length - 1].endedAt };
}

/**
 * The calls a request made, and those of an earlier request that were still running when it began
 * (a call the earlier request did not wait for: the mocks log a call when it is answered, so it
 * lands in the next request's log). Both on the calls' clock; `startedAt` is when the request left.
 */
export function callsOfRequest(calls: readonly TimedCall[], startedAt: number): { own: TimedCall[]; earlier: TimedCall[] } {
  return { own: calls.filter((call) => call.startedAt >= startedAt), earlier: calls.filter((call) => call.startedAt < startedAt) };
}

export interface CriticalPathSample {
  ms: number;
  /** Source round trips in a row, and the calls that make them. */
  roundTrips: number;
  chain: string[];
  /** Calls of an earlier request still running when this one began (left out of its chain). */
  callsFromEarlier: number;
  outside: TimeOutsideSources;
  sourceCalls: number;
  failed: boolean;
}

export interface CriticalPathOptions {
  url: string;
  headers: Record<string, string>;
  bodies: readonly string[];
  mocks: Record<SourceName, string>;
  mocksControl: Record<string, string>;
}

async function callLog(options: CriticalPathOptions): Promise<TimedCall[]> {
  const logs = await Promise.all(
    Object.entries(options.mocks).map(async ([source, url]) => {
      const { calls } = (await (await fetch(`${url}/__calls`, { headers: options.mocksControl })).json()) as { calls: Omit<TimedCall, 'source'>[] };
      return calls.map((call) => ({ ...call, source: source as SourceName }));
    }),
  );
  return logs.flat();
}

/**
 * One dossier asked as a provincial system would: on a kept-alive connection, the answer
 * compressed. Through undici's `request` rather than `fetch`, whose own work (its streams and
 * header objects, about 1.3 ms a call one at a time on the benchmark's machine) is the client's,
 * not the gateway's; autocannon, which drives the loaded runs, is as lean.
 */
async function ask(client: Dispatcher, url: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  const response = await request(url, {
    dispatcher: client,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-encoding': 'br, gzip', ...headers },
    body,
  });
  const bytes = Buffer.from(await response.body.arrayBuffer());
  const encoding = response.headers['content-encoding'];
  const plain = encoding === 'br' ? brotliDecompressSync(bytes) : encoding === 'gzip' ? gunzipSync(bytes) : bytes;
  return { status: response.statusCode, text: plain.toString('utf8') };
}

/** Loopback round trips (µs) measured during the run (idle-round-trip.ts). */
export interface MachineRoundTrips {
  /** To a process idle since the one before, one after each dossier. */
  idleUs: number[];
  /** One straight after another, at the end. */
  backToBackUs: number[];
}

/**
 * Asks each body in turn, alone, and reads which source calls it waited on; after each, one
 * loopback round trip to an idle process, and a few back to back at the end.
 */
export async function measureCriticalPath(options: CriticalPathOptions): Promise<{ samples: CriticalPathSample[]; roundTrips: MachineRoundTrips }> {
  const samples: CriticalPathSample[] = [];
  const roundTrips: MachineRoundTrips = { idleUs: [], backToBackUs: [] };
  const client = new Agent({ connections: 1 });
  const probe = await startRoundTripProbe();
  try {
    for (const body of options.bodies) {
      samples.push(await measureOne(options, client, body));
      await new Promise((resolve) => setTimeout(resolve, IDLE_BEFORE_PROBE_MS));
      roundTrips.idleUs.push(await probe.once());
    }
    await backToBack(probe, 10);
    roundTrips.backToBackUs = await backToBack(probe, 50);
  } finally {
    probe.close();
    await client.close();
  }
  return { samples, roundTrips };
}

async function measureOne(options: CriticalPathOptions, client: Dispatcher, body: string): Promise<CriticalPathSample> {
  await Promise.all(Object.values(options.mocks).map((url) => fetch(`${url}/__calls`, { method: 'DELETE', headers: options.mocksControl })));
  // The mocks log their calls in epoch milliseconds (`performance.timeOrigin + performance.now()`).
  const started = performance.timeOrigin + performance.now();
  const response = await ask(client, options.url, options.headers, body);
  const ended = performance.timeOrigin + performance.now();
  const { own: calls, earlier } = callsOfRequest(await callLog(options), started);
  const chain = longestChain(calls);
  return {
    ms: ended - started,
    roundTrips: chain.length,
    chain: chain.map((call) => `${call.source} ${call.operation}`),
    callsFromEarlier: earlier.length,
    outside: timeOutsideSources(chain, started, ended),
    sourceCalls: calls.length,
    failed: response.status !== 200 || response.text.includes('"errors"'),
  };
}
