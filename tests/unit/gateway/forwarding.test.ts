import { createForwardingSigner, createForwardingVerifier, ForwardingError, ForwardingSigner, ForwardingVerifier } from '../../../lib/forwarding';
import { generateSigningKeyPair, KeyPairJwks } from '../../../lib/keys';
import { ANONYMOUS, Principal } from '../../../lib/principal';

const OFFICER: Principal = {
  subject: 'officer-7',
  clientId: 'tthc-system',
  scopes: new Set(['population:read', 'land:read']),
  jurisdiction: { national: false, provinces: new Set(['24']), communes: new Set(['07210']) },
  purpose: '1.001234 HS-2026-000123',
  purposeBasis: 'free-text',
  locationIndependent: true,
};

const BODY = '{"query":"{ _service { sdl } }"}';
const bytes = (text: string) => Buffer.from(text, 'utf8');

let gatewayKey: KeyPairJwks;
let signer: ForwardingSigner;
/** The land subgraph's verifier. */
let verifier: ForwardingVerifier;

beforeAll(async () => {
  gatewayKey = await generateSigningKeyPair('EdDSA');
  signer = await createForwardingSigner(gatewayKey.privateJwk);
  verifier = await createForwardingVerifier(gatewayKey.publicJwk, { audience: 'land' });
});

afterEach(() => jest.restoreAllMocks());

const signForLand = (principal: Principal, body = BODY) => signer.sign(principal, { audience: 'land', body });

async function expectRefused(header: string | undefined, message: RegExp, body = BODY, by = verifier): Promise<void> {
  const error = await by.verify(header, bytes(body)).then(
    () => new Error('expected the forwarded call to be refused'),
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(ForwardingError);
  expect(error.message).toMatch(message);
}

describe('gateway → subgraph forwarded call', () => {
  it('round-trips a principal through the signed header', async () => {
    await expect(verifier.verify(await signForLand(OFFICER), bytes(BODY))).resolves.toEqual(OFFICER);
  });

  it('round-trips the anonymous principal and a national one', async () => {
    await expect(verifier.verify(await signForLand(ANONYMOUS), bytes(BODY))).resolves.toEqual(ANONYMOUS);
    const national: Principal = { ...OFFICER, jurisdiction: { national: true, provinces: new Set(), communes: new Set() }, purpose: null, purposeBasis: undefined, locationIndependent: false };
    await expect(verifier.verify(await signForLand(national), bytes(BODY))).resolves.toEqual(national);
  });

  it('signs every call anew: two calls of one caller never share a header', async () => {
    expect(await signForLand(OFFICER)).not.toBe(await signForLand(OFFICER));
  });

  it('refuses a request without the header', async () => {
    await expectRefused(undefined, /^Subgraphs accept requests only from the gateway$/);
    await expectRefused('', /^Subgraphs accept requests only from the gateway$/);
  });

  it('refuses a header signed by another key', async () => {
    const impostor = await createForwardingSigner((await generateSigningKeyPair('EdDSA')).privateJwk);
    await expectRefused(await impostor.sign(OFFICER, { audience: 'land', body: BODY }), /^The gateway forwarding signature does not verify$/);
  });

  it('refuses a tampered header', async () => {
    const [header, payload, signature] = (await signForLand(OFFICER)).split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const widened = Buffer.from(JSON.stringify({ ...claims, jurisdiction: '*' })).toString('base64url');
    await expectRefused(`${header}.${widened}.${signature}`, /^The gateway forwarding signature does not verify$/);
    await expectRefused('not-a-jws', /^The gateway forwarding signature does not verify$/);
  });

  it('refuses a call signed for another subgraph (audience)', async () => {
    const forCivilStatus = await signer.sign(OFFICER, { audience: 'civil-status', body: BODY });
    await expectRefused(forCivilStatus, /^The forwarded call is not meant for the land subgraph$/);
    // …which the subgraph it was meant for accepts.
    const civilStatus = await createForwardingVerifier(gatewayKey.publicJwk, { audience: 'civil-status' });
    await expect(civilStatus.verify(forCivilStatus, bytes(BODY))).resolves.toEqual(OFFICER);
  });

  it('refuses a body other than the one signed (digest)', async () => {
    const header = await signForLand(OFFICER);
    await expectRefused(header, /^The request body is not the one the gateway signed$/, '{"query":"{ landParcel(parcelId: \\"X\\") { certificateNumber } }"}');
    // One byte more is another body too.
    await expectRefused(header, /^The request body is not the one the gateway signed$/, `${BODY} `);
  });

  it('refuses a call it has already served (jti replay), and accepts the next one', async () => {
    const header = await signForLand(OFFICER);
    await expect(verifier.verify(header, bytes(BODY))).resolves.toEqual(OFFICER);
    await expectRefused(header, /^The forwarded call was already used$/);
    await expect(verifier.verify(await signForLand(OFFICER), bytes(BODY))).resolves.toEqual(OFFICER);
  });

  it('does not spend the id on a refused attempt: the real call still goes through', async () => {
    const header = await signForLand(OFFICER);
    await expectRefused(header, /^The request body is not the one the gateway signed$/, '{"query":"{ other }"}');
    await expect(verifier.verify(header, bytes(BODY))).resolves.toEqual(OFFICER);
  });

  it('refuses an expired call', async () => {
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now - 60_000);
    const old = await signForLand(OFFICER);
    jest.spyOn(Date, 'now').mockReturnValue(now);
    await expectRefused(old, /^The forwarded call has expired$/);
  });

  it('lives seconds: refused 31 s after it was signed, even if never used', async () => {
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now);
    const header = await signForLand(OFFICER);
    jest.spyOn(Date, 'now').mockReturnValue(now + 31_000);
    await expectRefused(header, /^The forwarded call has expired$/);
  });

  it('remembers an id for as long as its call is valid, across its own rotation', async () => {
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    const fresh = await createForwardingVerifier(gatewayKey.publicJwk, { audience: 'land' });
    const headers: string[] = [];
    // Calls signed and used over two minutes; each replayed just before it expires.
    for (let t = 0; t <= 120; t += 10) {
      clock.mockReturnValue(now + t * 1000);
      const header = await signForLand(OFFICER);
      await fresh.verify(header, bytes(BODY));
      headers.push(header);
      clock.mockReturnValue(now + (t + 29) * 1000);
      await expectRefused(header, /^The forwarded call was already used$/, BODY, fresh);
    }
  });
});
