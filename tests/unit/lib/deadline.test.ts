/** A call's deadline: aborts with a TimeoutError when it passes, and never once the call has cleared it. */
import { startDeadline } from '../../../lib/deadline';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('aborts its signal with a TimeoutError when the time has passed, not before', () => {
  const { signal } = startDeadline(300);
  jest.advanceTimersByTime(299);
  expect(signal.aborted).toBe(false);
  jest.advanceTimersByTime(1);
  expect(signal.aborted).toBe(true);
  expect(signal.reason).toMatchObject({ name: 'TimeoutError' });
});

it('once cleared, leaves no timer behind and never aborts', () => {
  const deadline = startDeadline(300);
  const aborted = jest.fn();
  deadline.signal.addEventListener('abort', aborted);
  deadline.clear();
  expect(jest.getTimerCount()).toBe(0);
  jest.advanceTimersByTime(10_000);
  expect(deadline.signal.aborted).toBe(false);
  expect(aborted).not.toHaveBeenCalled();
});
