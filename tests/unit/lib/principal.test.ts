import { Principal, principalFromClaims, principalToClaims, SELF_PURPOSE } from '../../../lib/principal';

/** A lone high surrogate: the first half of an emoji. */
const HIGH_HALF = '\u{1F600}'.slice(0, 1);
const LONE_SURROGATE = /\p{Cs}/u;

const officer = { sub: 'officer-1', client_id: 'tthc', scope: 'population:read purpose:free-text', jurisdiction: '24' };

function principal(payload: Record<string, unknown>, options: { forwarded?: boolean } = {}): Principal {
  const result = principalFromClaims(payload, options);
  if (typeof result === 'string') throw new Error(result);
  return result;
}

describe('principalFromClaims: the procedures claim', () => {
  it('bounds what the client may read for: a token holding it cannot also read with a free-text purpose', () => {
    expect(principalFromClaims({ ...officer, purpose: 'Thanh tra', procedures: 'local:birth-registration' })).toBe(
      'a token with a procedures claim reads only for those procedures: it cannot also hold the scope purpose:free-text',
    );
    const bounded = principal({ ...officer, scope: 'population:read', procedures: 'local:birth-registration' });
    expect([...(bounded.allowedProcedures ?? [])]).toEqual(['local:birth-registration']);
    expect(bounded.purpose).toBeNull();
  });
});

describe('principalFromClaims: what reaches the audit log', () => {
  it("a self token always records the fixed self-access purpose, whatever its purpose claim says", () => {
    const self = principal({ sub: '024190000001', client_id: 'vneid', scope: 'self', purpose: 'Thanh tra QĐ 12/QĐ-TTr' });
    expect(self).toMatchObject({ purpose: SELF_PURPOSE, purposeBasis: 'self', self: '024190000001' });
    expect(principal({ sub: '024190000001', client_id: 'vneid', scope: 'self' }).purpose).toBe(SELF_PURPOSE);
    // Forwarded to a subgraph and read back: still the fixed words.
    expect(principal({ ...principalToClaims(self), purpose: 'something else' }, { forwarded: true }).purpose).toBe(SELF_PURPOSE);
  });

  it.each([
    ['sub', { sub: `officer${HIGH_HALF}` }],
    ['client_id', { client_id: `tthc\uDC00` }],
    ['purpose', { purpose: `Thanh tra ${HIGH_HALF} QĐ 12` }],
  ])('refuses a token whose %s holds a lone surrogate, naming the claim and not its value', (claim, bad) => {
    const refusal = principalFromClaims({ ...officer, ...bad });
    expect(refusal).toBe(`the ${claim} claim is not well-formed text (a lone UTF-16 surrogate)`);
    expect(principalFromClaims({ ...officer, ...bad }, { forwarded: true })).toBe(refusal);
  });

  it('accepts well-formed text outside the BMP', () => {
    expect(principal({ ...officer, sub: 'officer-\u{1F600}', purpose: 'Thanh tra \u{20000}' })).toMatchObject({ subject: 'officer-\u{1F600}', purpose: 'Thanh tra \u{20000}' });
  });

  it('cuts a long purpose at 200 code points, never inside a surrogate pair', () => {
    const long = `a${'\u{1F600}'.repeat(300)}`;
    const { purpose } = principal({ ...officer, purpose: long });
    expect([...(purpose ?? '')]).toHaveLength(200);
    expect(purpose).toBe(`a${'\u{1F600}'.repeat(199)}`);
    expect(LONE_SURROGATE.test(purpose ?? '')).toBe(false);
    expect(principal({ ...officer, purpose: `  ${'đ'.repeat(250)}  ` }).purpose).toBe('đ'.repeat(200));
  });
});
