/**
 * The log format's guarantees that do not need a server: JSON lines, the request id carried
 * through awaits, personal fields redacted should one be logged, error messages left out, and
 * caller-chosen names kept out when they could spell a personal ID.
 */
import { Writable } from 'node:stream';
import { configureLogging, describeError, log, logDestination, telemetryName, withRequestId } from '../../../lib/log';

const lines: Record<string, unknown>[] = [];
const capture = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});

beforeEach(() => {
  lines.length = 0;
  configureLogging({ service: 'unit', level: 'info', destination: capture });
});
afterAll(() => configureLogging({ service: 'unit', level: 'silent' }));

it('writes one JSON object per line, with the request id of the request being handled, across awaits', async () => {
  log.info('outside');
  await withRequestId('req-42', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    log.warn('inside', { count: 3 });
  });
  expect(lines).toEqual([
    expect.objectContaining({ level: 'info', service: 'unit', msg: 'outside', time: expect.any(String) }),
    expect.objectContaining({ level: 'warn', service: 'unit', msg: 'inside', count: 3, requestId: 'req-42' }),
  ]);
  expect(lines[0].requestId).toBeUndefined();
});

it('redacts personal fields and secrets at the top level and one level down', () => {
  log.info('slipped', { personalId: '024190012345', citizen: { fullName: 'Nguyễn Văn An', address: 'Số 12' }, variables: { id: 'x' }, authorization: 'Bearer t' });
  const text = JSON.stringify(lines);
  for (const secret of ['024190012345', 'Nguyễn Văn An', 'Số 12', 'Bearer t', '"id":"x"']) expect(text).not.toContain(secret);
  expect(lines[0]).toMatchObject({ personalId: '[redacted]', citizen: { fullName: '[redacted]', address: '[redacted]' } });
});

it('describes an error by type, code and frames, never its message', () => {
  const error = Object.assign(new TypeError('cannot read 024190012345'), { code: 'E_BAD' });
  const described = describeError(error);
  expect(described).toMatchObject({ errorType: 'TypeError', code: 'E_BAD' });
  expect(JSON.stringify(described)).not.toContain('024190012345');
});

it('keeps caller-chosen names only when they are plain and spell no ID', () => {
  expect(telemetryName('Dossier')).toBe('Dossier');
  expect(telemetryName('Dossier2026')).toBe('Dossier2026');
  expect(telemetryName('Look_024190012345')).toBeNull();
  expect(telemetryName('a b')).toBeNull();
  expect(telemetryName('x'.repeat(65))).toBeNull();
  expect(telemetryName(null)).toBeNull();
});

describe('the destination chosen for standard output', () => {
  it('is readable lines on a terminal, redacted like the JSON', async () => {
    let printed = '';
    const terminal = new Writable({
      write(chunk, _encoding, done) {
        printed += String(chunk);
        done();
      },
    });
    configureLogging({ service: 'unit', level: 'info', destination: logDestination(true, terminal) });
    log.info('ready', { port: 4000, personalId: '024190012345' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(printed).toMatch(/INFO.*ready/);
    expect(printed).toContain('[redacted]');
    expect(printed).not.toContain('024190012345');
    expect(printed.trimStart().startsWith('{')).toBe(false);
  });

  it('is JSON lines on standard output otherwise', () => {
    const destination = logDestination(false) as unknown as { fd: number };
    expect(destination.fd).toBe(1);
  });
});
