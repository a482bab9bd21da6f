/**
 * Structured logs: one JSON object per line (pino), for the gateway, the subgraphs, the mocks and
 * `npm start`. Every line written while a request is being handled carries its request id: the
 * servers run each request inside `withRequestId`, and AsyncLocalStorage keeps the id across
 * awaits, so no call site has to pass it along.
 *
 * Lines written inside a trace also carry its trace id (lib/tracing.ts).
 *
 * No personal data: callers log codes, counts, durations and the names of fields, never values,
 * query text, variables or bodies. The redaction list below is the safety net for an object that
 * slips through with a personal field in it.
 *
 * Libraries only write through `log`; a process's main decides level and destination with
 * `configureLogging`. Until then nothing is written, which keeps test output quiet. On a terminal
 * the lines are printed readably (pino-pretty), after redaction; anywhere else they stay JSON.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import pino, { DestinationStream, Level, LevelWithSilent, Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import { currentTraceId } from './tracing';

export type LogLevel = LevelWithSilent;

/** Field names that hold personal data or secrets anywhere in the product. */
export const REDACTED_FIELDS = [
  'personalId',
  'personalIds',
  'fullName',
  'dateOfBirth',
  'address',
  'spouseName',
  'fatherName',
  'motherName',
  'variables',
  'query',
  'body',
  'authorization',
  'token',
  'cookie',
];

/** Top-level and one level down (`err.personalId`, `fields.address`): pino's path syntax. */
const REDACT_PATHS = REDACTED_FIELDS.flatMap((field) => [field, `*.${field}`]);

export type LogFields = Record<string, unknown>;

const requestIds = new AsyncLocalStorage<{ requestId: string; callerRequestId?: string | null }>();

/**
 * Runs `fn` with `requestId` (and the caller's own id, when it sent one) on every log line it
 * (and everything it awaits) writes.
 */
export function withRequestId<T>(requestId: string, fn: () => T, callerRequestId?: string | null): T {
  return requestIds.run({ requestId, callerRequestId }, fn);
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The caller's `x-request-id` when it is a plain token (at most 64 of A-Z a-z 0-9 . _ -), else null. */
export function callerRequestIdFrom(headers: IncomingHttpHeaders): string | null {
  const offered = headers['x-request-id'];
  return typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : null;
}

/**
 * The `x-request-id` of the calling service when it is a plain token, or a new one. For the
 * subgraphs and mocks, whose caller is the gateway; the gateway makes its own (gateway/context.ts).
 */
export function requestIdFrom(headers: IncomingHttpHeaders): string {
  return callerRequestIdFrom(headers) ?? randomUUID();
}

export function currentRequestId(): string | undefined {
  return requestIds.getStore()?.requestId;
}

export interface LoggingOptions {
  /** Which process writes: `gateway`, `subgraph`, `mocks`, `start`. */
  service: string;
  level: LogLevel;
  /** Where lines go; standard output when absent (see `logDestination`). */
  destination?: DestinationStream;
}

/**
 * Standard output as a log destination: readable lines when a person watches it (`isTTY`), JSON
 * lines otherwise, for files, pipes and log collectors. Both get the same, already redacted, fields.
 * `output` replaces standard output for the readable form (tests).
 */
export function logDestination(isTTY: boolean, output?: NodeJS.WritableStream): DestinationStream {
  if (!isTTY) return pino.destination({ dest: 1, sync: true });
  return pinoPretty({
    destination: output ?? 1,
    sync: true,
    colorize: output === undefined,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    messageKey: 'msg',
  });
}

function createRoot(options: LoggingOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const ids = requestIds.getStore();
        if (!ids) return {};
        const traceId = currentTraceId();
        return { requestId: ids.requestId, ...(ids.callerRequestId ? { callerRequestId: ids.callerRequestId } : {}), ...(traceId ? { traceId } : {}) };
      },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    options.destination ?? logDestination(Boolean(process.stdout.isTTY)),
  );
}

let root: Logger = createRoot({ service: 'unconfigured', level: 'silent' });

export function configureLogging(options: LoggingOptions): void {
  root = createRoot(options);
}

function write(level: Level, msg: string, fields?: LogFields): void {
  if (fields) root[level](fields, msg);
  else root[level](msg);
}

export const log = {
  debug: (msg: string, fields?: LogFields) => write('debug', msg, fields),
  info: (msg: string, fields?: LogFields) => write('info', msg, fields),
  warn: (msg: string, fields?: LogFields) => write('warn', msg, fields),
  error: (msg: string, fields?: LogFields) => write('error', msg, fields),
  fatal: (msg: string, fields?: LogFields) => write('fatal', msg, fields),
  /** Writes what is buffered (before the process exits). */
  flush: () => root.flush(),
};

/**
 * A caller-chosen name (an operation name) fit for logs and metrics: GraphQL name syntax, at most
 * 64 characters, and no run of six or more digits (a personal ID spelled into a name). Else null.
 */
export function telemetryName(name: string | null | undefined): string | null {
  return name && /^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(name) && !/\d{6}/.test(name) ? name : null;
}

/**
 * What may be logged about an error: its type, code and where it was thrown. The message is left
 * out because messages sometimes quote the input that caused them.
 */
export function describeError(error: unknown): LogFields {
  if (!(error instanceof Error)) return { errorType: typeof error };
  const code = (error as { code?: unknown; extensions?: { code?: unknown } }).extensions?.code ?? (error as { code?: unknown }).code;
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line)).slice(0, 8).map((line) => line.trim());
  return { errorType: error.name, ...(typeof code === 'string' ? { code } : {}), ...(frames.length ? { stack: frames } : {}) };
}
