import { ed25519 } from '../../../lib/ed25519';
import { CallIdRegister, checkForwardedCall, createForwardingSigner, createForwardingVerifier, ForwardingError, ForwardingSigner, ForwardingVerifier, MAX_CALLS_PER_SIGNATURE } from '../../../lib/forwarding';
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

const decoded = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each([
  ['batched (the default)', true],
  ['each call signed alone', false],
])('gateway → subgraph forwarded call, %s', (_form, batch) => {
  let saved: ForwardingSigner;
  beforeAll(async () => {
    saved = signer;
    signer = await createForwardingSigner(gatewayKey.privateJwk, { batch });
  });
  afterAll(() => {
    signer = saved;
  });

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
    const impostor = await createForwardingSigner((await generateSigningKeyPair('EdDSA')).privateJwk, { batch });
    await expectRefused(await impostor.sign(OFFICER, { audience: 'land', body: BODY }), /^The gateway forwarding signature does not verify$/);
  });

  it('refuses a tampered header', async () => {
    const parts = (await signForLand(OFFICER)).split('.');
    // The claims: the call's own part of a batch, or the payload of a call signed alone.
    const claimsAt = parts.length - (batch ? 1 : 2);
    const widened = [...parts];
    widened[claimsAt] = encoded({ ...decoded(parts[claimsAt]), jurisdiction: '*' });
    await expectRefused(widened.join('.'), /^The gateway forwarding signature does not verify$/);
    await expectRefused('not-a-jws', /^The gateway forwarding signature does not verify$/);
    await expectRefused(`${parts.join('.')}.${parts[parts.length - 1]}`, /^The gateway forwarding signature does not verify$/);
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

describe('calls signed together', () => {
  /** Every call gathered into its turn's batch: no call is ever after a quiet spell. */
  let batched: ForwardingSigner;
  beforeAll(async () => {
    batched = await createForwardingSigner(gatewayKey.privateJwk, { quietSpellMs: Number.POSITIVE_INFINITY });
  });
  const signedPart = (header: string) => header.slice(0, header.lastIndexOf('.'));

  it('signs the calls made in one turn with one signature, each call good only at its own subgraph and body', async () => {
    const bodies = { land: BODY, 'civil-status': '{"query":"{ a }"}', population: '{"query":"{ b }"}' };
    const headers = await Promise.all(Object.entries(bodies).map(([audience, body]) => batched.sign(OFFICER, { audience, body })));
    expect(new Set(headers.map(signedPart)).size).toBe(1);
    for (const [index, [audience, body]] of Object.entries(bodies).entries()) {
      const subgraph = await createForwardingVerifier(gatewayKey.publicJwk, { audience });
      // Another call's header of the same batch is refused here…
      const other = headers[(index + 1) % headers.length];
      await expect(subgraph.verify(other, bytes(body))).rejects.toThrow(/not meant for|body is not the one/);
      // …and its own goes through.
      await expect(subgraph.verify(headers[index], bytes(body))).resolves.toEqual(OFFICER);
    }
  });

  it('never lets one call part ride on another batch\'s signature', async () => {
    const first = await batched.sign(OFFICER, { audience: 'land', body: BODY });
    const second = await batched.sign(OFFICER, { audience: 'land', body: BODY });
    expect(signedPart(first)).not.toBe(signedPart(second));
    const moved = `${signedPart(first)}.${second.slice(second.lastIndexOf('.') + 1)}`;
    await expectRefused(moved, /^The gateway forwarding signature does not verify$/);
    // Nor does a batch's signature stand for a call alone, without the call part.
    await expectRefused(signedPart(first), /^The forwarded call is not meant for the land subgraph$|^The gateway forwarding signature does not verify$/);
  });

  it('signs the first call after a quiet spell at once and alone, and gathers the calls made after it', async () => {
    const clock = jest.spyOn(performance, 'now').mockReturnValue(1_000);
    const signer = await createForwardingSigner(gatewayKey.privateJwk, { quietSpellMs: 5 });
    const first = signer.sign(OFFICER, { audience: 'land', body: BODY });
    let firstSigned: string | undefined;
    void first.then((header) => (firstSigned = header));
    await Promise.resolve();
    // Signed before the turn ends: it can leave while the others are still being made.
    expect(firstSigned).toBeDefined();
    clock.mockReturnValue(1_002);
    const others = await Promise.all([0, 1, 2].map(() => signer.sign(OFFICER, { audience: 'land', body: BODY })));
    expect(new Set(others.map(signedPart)).size).toBe(1);
    expect(signedPart(others[0])).not.toBe(signedPart(firstSigned!));
    // 5 ms after the last signature, quiet again.
    clock.mockReturnValue(1_008);
    const later = await Promise.all([0, 1].map(() => signer.sign(OFFICER, { audience: 'land', body: BODY })));
    expect(signedPart(later[0])).not.toBe(signedPart(later[1]));
    for (const header of [firstSigned!, ...others, ...later]) await expect(verifier.verify(header, bytes(BODY))).resolves.toEqual(OFFICER);
  });

  it(`covers at most ${MAX_CALLS_PER_SIGNATURE} calls with one signature`, async () => {
    const headers = await Promise.all(Array.from({ length: MAX_CALLS_PER_SIGNATURE * 2 + 1 }, () => batched.sign(OFFICER, { audience: 'land', body: BODY })));
    const batches = new Map<string, number>();
    for (const header of headers) batches.set(signedPart(header), (batches.get(signedPart(header)) ?? 0) + 1);
    expect([...batches.values()]).toEqual([MAX_CALLS_PER_SIGNATURE, MAX_CALLS_PER_SIGNATURE, 1]);
    const fresh = await createForwardingVerifier(gatewayKey.publicJwk, { audience: 'land' });
    for (const header of headers) await expect(fresh.verify(header, bytes(BODY))).resolves.toEqual(OFFICER);
  });

  it('verifies a batch once in a process, whichever of its subgraphs receive its calls, and each call still once only', async () => {
    const realVerifier = ed25519.verifier.bind(ed25519);
    let verifications = 0;
    jest.spyOn(ed25519, 'verifier').mockImplementation((key) => {
      const real = realVerifier(key);
      return { verify: (data, signature) => (verifications++, real.verify(data, signature)) };
    });
    // Where one process serves several subgraphs, each has its own verifier.
    const audiences = ['land', 'land', 'civil-status'];
    const subgraphs = await Promise.all(audiences.map((audience) => createForwardingVerifier(gatewayKey.publicJwk, { audience })));
    const headers = await Promise.all(audiences.map((audience) => batched.sign(OFFICER, { audience, body: BODY })));
    for (const [index, header] of headers.entries()) await expect(subgraphs[index].verify(header, bytes(BODY))).resolves.toEqual(OFFICER);
    expect(verifications).toBe(1);
    await expectRefused(headers[0], /^The forwarded call was already used$/, BODY, subgraphs[0]);
    await expectRefused(headers[1], /^The forwarded call was already used$/, BODY, subgraphs[1]);
  });

  it('never takes a batch as verified under another key than the one that verified it', async () => {
    const impostorKey = await generateSigningKeyPair('EdDSA');
    const impostor = await createForwardingSigner(impostorKey.privateJwk);
    const header = await impostor.sign(OFFICER, { audience: 'land', body: BODY });
    // Verified (and remembered) under the impostor's key by a verifier that trusts it…
    const fooled = await createForwardingVerifier(impostorKey.publicJwk, { audience: 'land' });
    await expect(fooled.verify(header, bytes(BODY))).resolves.toEqual(OFFICER);
    // …and still refused by every verifier of the gateway's key.
    await expectRefused(header, /^The gateway forwarding signature does not verify$/);
  });
});

describe('a call checked while its id is claimed by every replica (check)', () => {
  /** A shared register (Redis in production) whose answers the test releases. */
  function slowRegister() {
    const claimed = new Set<string>();
    const pending: (() => void)[] = [];
    const register: CallIdRegister = {
      claim: (key) =>
        new Promise((resolve) =>
          pending.push(() => {
            resolve(!claimed.has(key));
            claimed.add(key);
          }),
        ),
    };
    return { register, pending, answer: () => pending.splice(0).forEach((release) => release()) };
  }

  it('gives the principal before the register answers; firstUse settles with it', async () => {
    const shared = slowRegister();
    const replica = await createForwardingVerifier(gatewayKey.publicJwk, { audience: 'land', callIds: shared.register });
    const call = await replica.check!(await signForLand(OFFICER), bytes(BODY));
    expect(call.principal).toEqual(OFFICER);
    let confirmed = false;
    const firstUse = call.firstUse.then(() => (confirmed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect([confirmed, shared.pending.length]).toEqual([false, 1]);
    shared.answer();
    await firstUse;
    expect(confirmed).toBe(true);
  });

  it("rejects firstUse for a call another replica served, while the signature's refusals stay immediate", async () => {
    const shared = slowRegister();
    const [one, two] = await Promise.all([0, 1].map(() => createForwardingVerifier(gatewayKey.publicJwk, { audience: 'land', callIds: shared.register })));
    const header = await signForLand(OFFICER);
    const first = await one.check!(header, bytes(BODY));
    const replay = await two.check!(header, bytes(BODY));
    shared.answer();
    await expect(first.firstUse).resolves.toBeUndefined();
    await expect(replay.firstUse).rejects.toThrow(new ForwardingError('The forwarded call was already used'));
    // The same replica, the same id: refused before anything runs.
    await expect(one.check!(header, bytes(BODY))).rejects.toThrow('The forwarded call was already used');
    await expect(two.check!(header, bytes('{"query":"{ other }"}'))).rejects.toThrow('The request body is not the one the gateway signed');
    // verify() still waits for the register.
    const third = await createForwardingVerifier(gatewayKey.publicJwk, { audience: 'land', callIds: shared.register });
    const verified = third.verify(header, bytes(BODY));
    shared.answer();
    await expect(verified).rejects.toThrow('The forwarded call was already used');
  });

  it('treats a verifier without check as fully checked (checkForwardedCall)', async () => {
    const plain: ForwardingVerifier = { verify: () => Promise.resolve(OFFICER) };
    const call = await checkForwardedCall(plain, 'header', bytes(BODY));
    expect(call.principal).toEqual(OFFICER);
    await expect(call.firstUse).resolves.toBeUndefined();
  });
});
