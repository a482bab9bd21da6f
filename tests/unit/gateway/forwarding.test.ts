import { base64url } from 'jose';
import { createForwardingSigner, createForwardingVerifier, ForwardingError, ForwardingSigner, ForwardingVerifier } from '../../../lib/forwarding';
import { generateSigningKeyPair, KeyPairJwks } from '../../../lib/keys';
import { ANONYMOUS, Principal } from '../../../lib/principal';

const OFFICER: Principal = {
  subject: 'officer-7',
  clientId: 'tthc-system',
  scopes: new Set(['population:read', 'land:read']),
  jurisdiction: { national: false, provinces: new Set(['24']), communes: new Set(['07210']) },
  purpose: '1.001234 HS-2026-000123',
  locationIndependent: true,
};

let gatewayKey: KeyPairJwks;
let signer: ForwardingSigner;
let verifier: ForwardingVerifier;

beforeAll(async () => {
  gatewayKey = await generateSigningKeyPair('EdDSA');
  signer = await createForwardingSigner(gatewayKey.privateJwk);
  verifier = await createForwardingVerifier(gatewayKey.publicJwk);
});

afterEach(() => jest.restoreAllMocks());

async function expectRefused(header: string | undefined, message: RegExp): Promise<void> {
  const error = await verifier.verify(header).then(
    () => new Error('expected the forwarded identity to be refused'),
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(ForwardingError);
  expect(error.message).toMatch(message);
}

describe('gateway → subgraph forwarded identity', () => {
  it('round-trips a principal through the signed header', async () => {
    await expect(verifier.verify(await signer.sign(OFFICER))).resolves.toEqual(OFFICER);
  });

  it('round-trips the anonymous principal and a national one', async () => {
    await expect(verifier.verify(await signer.sign(ANONYMOUS))).resolves.toEqual(ANONYMOUS);
    const national: Principal = { ...OFFICER, jurisdiction: { national: true, provinces: new Set(), communes: new Set() }, purpose: null, locationIndependent: false };
    await expect(verifier.verify(await signer.sign(national))).resolves.toEqual(national);
  });

  it('refuses a request without the header', async () => {
    await expectRefused(undefined, /^Subgraphs accept requests only from the gateway$/);
    await expectRefused('', /^Subgraphs accept requests only from the gateway$/);
  });

  it('refuses a header signed by another key', async () => {
    const impostor = await createForwardingSigner((await generateSigningKeyPair('EdDSA')).privateJwk);
    await expectRefused(await impostor.sign(OFFICER), /^The gateway forwarding signature does not verify$/);
  });

  it('refuses a tampered header', async () => {
    const [header, payload, signature] = (await signer.sign(OFFICER)).split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
    const widened = base64url.encode(JSON.stringify({ ...claims, jurisdiction: '*' }));
    await expectRefused(`${header}.${widened}.${signature}`, /^The gateway forwarding signature does not verify$/);
    await expectRefused('not-a-jws', /^The gateway forwarding signature does not verify$/);
  });

  it('refuses an expired header', async () => {
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now - 10 * 60_000);
    const old = await signer.sign({ ...OFFICER, subject: 'officer-expired' });
    jest.spyOn(Date, 'now').mockReturnValue(now);
    await expectRefused(old, /^The forwarded identity has expired$/);
  });

  it('stops accepting a header it has already verified once it expires', async () => {
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now);
    const header = await signer.sign({ ...OFFICER, subject: 'officer-cached' });
    await expect(verifier.verify(header)).resolves.toMatchObject({ subject: 'officer-cached' });
    jest.spyOn(Date, 'now').mockReturnValue(now + 121_000);
    await expectRefused(header, /^The forwarded identity has expired$/);
  });
});
