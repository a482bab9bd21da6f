/** Paging cursors that carry a source's position without showing it (lib/sealed-cursor.ts). */
import { createCursorSealer } from '../../../lib/sealed-cursor';

const SECRET = Buffer.from('the jurisdiction signing key every replica holds');
const POSITION = Buffer.from('024190012345').toString('base64url');

describe('sealed cursors', () => {
  it('show nothing of the position, and open on every replica that shares the secret', () => {
    const [one, other] = [createCursorSealer(SECRET, 'population residents'), createCursorSealer(SECRET, 'population residents')];
    const cursor = one.seal(POSITION, 'residents:07210');
    expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toContain(POSITION);
    expect(cursor).not.toContain(POSITION);
    expect(other.open(cursor, 'residents:07210')).toBe(POSITION);
    // Two seals of one position differ, so equal cursors say nothing either.
    expect(one.seal(POSITION, 'residents:07210')).not.toBe(cursor);
  });

  it('open only for the listing they were made for, with the same secret and use, unaltered', () => {
    const sealer = createCursorSealer(SECRET, 'population residents');
    const cursor = sealer.seal(POSITION, 'residents:07210');
    expect(sealer.open(cursor, 'residents:07213')).toBeNull();
    expect(createCursorSealer(Buffer.from('another secret'), 'population residents').open(cursor, 'residents:07210')).toBeNull();
    expect(createCursorSealer(SECRET, 'another use').open(cursor, 'residents:07210')).toBeNull();
    const bytes = Buffer.from(cursor, 'base64url');
    bytes[14] ^= 1;
    expect(sealer.open(bytes.toString('base64url'), 'residents:07210')).toBeNull();
    for (const forged of ['', 'forged', POSITION, '!!!']) expect(sealer.open(forged, 'residents:07210')).toBeNull();
  });

  it('without a shared secret, still show nothing, and open in this process alone', () => {
    const [one, other] = [createCursorSealer(null, 'population residents'), createCursorSealer(null, 'population residents')];
    const cursor = one.seal(POSITION, 'residents:07210');
    expect(one.open(cursor, 'residents:07210')).toBe(POSITION);
    expect(other.open(cursor, 'residents:07210')).toBeNull();
  });
});
