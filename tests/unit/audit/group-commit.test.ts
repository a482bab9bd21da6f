import type { AuditRecord } from '../../../lib/audit/entry';
import { GroupCommit } from '../../../lib/audit/group-commit';
import { AuditUnavailableError } from '../../../lib/audit/sink';
import { auditRecord as record } from '../../support/audit-fixtures';

/** The request number an audit record was made for (tests/support/audit-fixtures). */
const numberOf = (record: AuditRecord) => Number(record.requestId.slice(-12));

/** A commit that records each batch's request ids and finishes when the test says so. */
function recordingCommit() {
  const batches: number[][] = [];
  const finish: Array<() => void> = [];
  const commit = (records: AuditRecord[]) =>
    new Promise<void>((resolve) => {
      batches.push(records.map(numberOf));
      finish.push(resolve);
    });
  return { batches, commit, finishAll: () => finish.splice(0).forEach((done) => done()) };
}

/** Lets every promise callback queued so far run (fake timers leave microtasks alone). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('GroupCommit', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('starts a batch as soon as the one before ends when no interval is set', async () => {
    const { batches, commit, finishAll } = recordingCommit();
    const group = new GroupCommit(commit);
    const first = group.append([record(1)]);
    const second = group.append([record(2)]);
    await settle();
    expect(batches).toEqual([[1]]);
    finishAll();
    await first;
    await settle();
    expect(batches).toEqual([[1], [2]]);
    finishAll();
    await second;
  });

  it('holds a batch that follows another closely until the interval has passed, and commits what arrived meanwhile together', async () => {
    const { batches, commit, finishAll } = recordingCommit();
    const group = new GroupCommit(commit, { commitIntervalMs: 50 });
    const acknowledged: number[] = [];
    const append = (n: number) => group.append([record(n)]).then(() => acknowledged.push(n));

    const first = append(1);
    await settle();
    expect(batches).toEqual([[1]]); // nothing before it: no wait
    finishAll();
    await first;

    const later = [append(2), append(3)];
    await settle();
    jest.advanceTimersByTime(30);
    later.push(append(4));
    await settle();
    expect(batches).toEqual([[1]]); // within 50 ms of the first batch's start: held
    expect(acknowledged).toEqual([1]); // and none of them acknowledged before it is written

    jest.advanceTimersByTime(20);
    await settle();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    expect(acknowledged).toEqual([1]);
    finishAll();
    await Promise.all(later);
    expect(acknowledged).toEqual([1, 2, 3, 4]);
  });

  it('does not delay a batch after a quiet spell', async () => {
    const { batches, commit, finishAll } = recordingCommit();
    const group = new GroupCommit(commit, { commitIntervalMs: 50 });
    const first = group.append([record(1)]);
    await settle();
    finishAll();
    await first;
    jest.advanceTimersByTime(1000);
    const second = group.append([record(2)]);
    await settle();
    expect(batches).toEqual([[1], [2]]);
    finishAll();
    await second;
  });

  it('drains only once a held batch is written, and a held batch that fails acknowledges none of its records', async () => {
    const batches: number[] = [];
    let fail = false;
    const group = new GroupCommit(
      async (records) => {
        batches.push(records.length);
        if (fail) throw new Error('disk full');
      },
      { commitIntervalMs: 50 },
    );
    await group.append([record(1)]);
    fail = true;
    const held = [group.append([record(2)]), group.append([record(3)])].map((p) => p.then(() => 'written', (error: unknown) => error));
    let drained = false;
    const draining = group.drain().then(() => (drained = true));
    await settle();
    expect(drained).toBe(false);
    jest.advanceTimersByTime(50);
    await draining;
    expect(batches).toEqual([1, 2]);
    for (const outcome of await Promise.all(held)) expect(outcome).toBeInstanceOf(AuditUnavailableError);
  });
});
