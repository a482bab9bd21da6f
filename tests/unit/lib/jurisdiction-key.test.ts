import { ed25519 } from '../../../lib/ed25519';
import { createJurisdictionKeySigner, createJurisdictionKeyVerifier } from '../../../lib/jurisdiction-key';
import { generateSigningKeyPair, KeyPairJwks } from '../../../lib/keys';
import { parseJurisdictionKey } from '../../../lib/principal';

let population: KeyPairJwks;

beforeAll(async () => {
  population = await generateSigningKeyPair('EdDSA');
});

afterEach(() => jest.restoreAllMocks());

describe('signed jurisdiction keys', () => {
  it('verifies a key population signed for the same record, and reads its residence', () => {
    const key = createJurisdictionKeySigner(population.privateJwk).sign('Citizen', '001085012345', '24/07210');
    expect(key).toMatch(/^24\/07210\.\d+\.[A-Za-z0-9_-]+$/);
    expect(createJurisdictionKeyVerifier(population.publicJwk).verify('Citizen', '001085012345', key)).toEqual({ provinceCode: '24', communeCode: '07210' });
    // The gateway reads the same residence from the signed form.
    expect(parseJurisdictionKey(key)).toEqual({ provinceCode: '24', communeCode: '07210' });
  });

  it('refuses a key bound to another record or type', () => {
    const key = createJurisdictionKeySigner(population.privateJwk).sign('Citizen', '001085012345', '24/07210');
    const verifier = createJurisdictionKeyVerifier(population.publicJwk);
    expect(verifier.verify('Citizen', '001085099999', key)).toBeNull();
    expect(verifier.verify('Household', '001085012345', key)).toBeNull();
    expect(verifier.verify('Citizen', undefined, key)).toBeNull();
  });

  it('refuses a plain key, a changed residence and a key signed by another key pair', async () => {
    const verifier = createJurisdictionKeyVerifier(population.publicJwk);
    const key = createJurisdictionKeySigner(population.privateJwk).sign('Citizen', '001085012345', '24/07210');
    expect(verifier.verify('Citizen', '001085012345', '24/07210')).toBeNull();
    expect(verifier.verify('Citizen', '001085012345', key.replace('24/07210', '01/00004'))).toBeNull();
    const forger = createJurisdictionKeySigner((await generateSigningKeyPair('EdDSA')).privateJwk);
    expect(verifier.verify('Citizen', '001085012345', forger.sign('Citizen', '001085012345', '24/07210'))).toBeNull();
    expect(verifier.verify('Citizen', '001085012345', undefined)).toBeNull();
  });

  it('refuses an expired key, even one it verified before', () => {
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
    const key = createJurisdictionKeySigner(population.privateJwk).sign('Household', 'HK0000123', '24/07210');
    const verifier = createJurisdictionKeyVerifier(population.publicJwk);
    expect(verifier.verify('Household', 'HK0000123', key)).not.toBeNull();
    clock.mockReturnValue(now + 16 * 60_000);
    expect(verifier.verify('Household', 'HK0000123', key)).toBeNull();
  });
});

describe('verification shared within a process', () => {
  it('verifies a key once for every subgraph in the process that checks it with the same public key', () => {
    const key = createJurisdictionKeySigner(population.privateJwk).sign('Citizen', '001085077777', '24/07210');
    // Every verifier made from here on counts its signature checks.
    const verifications = jest.fn();
    const makeVerifier = ed25519.verifier.bind(ed25519);
    jest.spyOn(ed25519, 'verifier').mockImplementation((publicKey) => {
      const inner = makeVerifier(publicKey);
      return { verify: (data, signature) => (verifications(), inner.verify(data, signature)) };
    });
    const civilStatus = createJurisdictionKeyVerifier(population.publicJwk);
    const land = createJurisdictionKeyVerifier(population.publicJwk);
    expect(civilStatus.verify('Citizen', '001085077777', key)).toEqual({ provinceCode: '24', communeCode: '07210' });
    expect(land.verify('Citizen', '001085077777', key)).toEqual({ provinceCode: '24', communeCode: '07210' });
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('never lets a key verified under one public key pass a verifier of another', async () => {
    const other = await generateSigningKeyPair('EdDSA');
    const key = createJurisdictionKeySigner(population.privateJwk).sign('Citizen', '001085088888', '24/07210');
    expect(createJurisdictionKeyVerifier(population.publicJwk).verify('Citizen', '001085088888', key)).not.toBeNull();
    expect(createJurisdictionKeyVerifier(other.publicJwk).verify('Citizen', '001085088888', key)).toBeNull();
  });
});
