/**
 * A call's deadline: a signal that aborts with a TimeoutError `ms` from now, unless the call ends
 * first and clears it.
 *
 * Not `AbortSignal.timeout`: its timer cannot be cleared, so it fires for every call long after
 * the call has ended and builds a DOMException, stack and all, for a signal nobody listens to any
 * more: about 20 µs of CPU a call, spent when that timer fires (docs/benchmarks.md, "Deadlines
 * cleared"). A plain timer, so on jest's fake timers this deadline runs on the fake clock.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** The call has ended: the timer goes, and the signal never aborts. */
  clear(): void;
}

export function startDeadline(ms: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  // A pending deadline does not keep a stopping process alive.
  timer.unref?.();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
