/** Reading what callers send: query parameters, JSON bodies, ID batches. Bad input → SourceFailure. */
import { Call, SourceFailure } from './contract';

/** A comma-separated query parameter: trimmed, empty items and repeats dropped; null when absent. */
export function listParam(call: Call, name: string): string[] | null {
  const value = call.query.get(name);
  if (value === null) return null;
  return [...new Set(value.split(',').map((item) => item.trim()).filter(Boolean))];
}

/** A whole-number query parameter within [min, max]; `fallback` when absent. */
export function intParam(call: Call, name: string, min: number, max: number, fallback: number): number {
  const value = call.query.get(name);
  if (value === null) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new SourceFailure('BAD_REQUEST', `${name} must be a whole number from ${min} to ${max}`);
  }
  return number;
}

export function jsonBody(call: Call): unknown {
  try {
    return JSON.parse(call.body);
  } catch {
    throw new SourceFailure('BAD_REQUEST', 'The request body is not valid JSON');
  }
}

/** A batch must hold 1 to `max` items. */
export function checkBatch(items: readonly unknown[], max: number, what: string): void {
  if (items.length === 0) throw new SourceFailure('BAD_REQUEST', `At least one ${what} is required`);
  if (items.length > max) throw new SourceFailure('BATCH_TOO_LARGE', `At most ${max} ${what}s per call; got ${items.length}`);
}
