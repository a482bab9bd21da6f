import type { Fetcher, FetcherRequestInit } from '@apollo/utils.fetcher';
import { CALLER_HEADER, callerIdentity, signingFetcher } from '../../../../gateway/subgraph-calls/signing';
import { deduplicateSubgraphCalls } from '../../../../gateway/subgraph-calls/deduplication';
import { BufferedResponse } from '../../../../gateway/subgraph-calls/fetcher';
import { createForwardingSigner, createForwardingVerifier, FORWARDING_HEADER } from '../../../../lib/forwarding';
import { generateSigningKeyPair } from '../../../../lib/keys';
import type { Principal } from '../../../../lib/principal';

const OFFICER: Principal = {
  subject: 'officer-7',
  clientId: 'tthc-system',
  scopes: new Set(['civil-status:read']),
  jurisdiction: { national: false, provinces: new Set(['24']), communes: new Set() },
  purpose: '1.001234 HS-2026-000123',
  purposeBasis: 'free-text',
  locationIndependent: false,
};

describe('signing each subgraph call as it is sent', () => {
  it('replaces the internal caller header with a signature for this subgraph and this body', async () => {
    const keys = await generateSigningKeyPair('EdDSA');
    const sent: FetcherRequestInit[] = [];
    const base = (async (_url: string, init: FetcherRequestInit) => {
      sent.push(init);
      return new BufferedResponse('http://civil-status/graphql', 200, { get: () => null } as never, '{"data":{}}');
    }) as Fetcher;
    const fetcher = signingFetcher(base, await createForwardingSigner(keys.privateJwk), 'civil-status');
    const body = '{"query":"{ _service { sdl } }"}';
    await fetcher('http://civil-status/graphql', { method: 'POST', headers: { [CALLER_HEADER]: callerIdentity(OFFICER), 'x-request-id': 'r1' }, body });
    expect(sent[0].headers?.[CALLER_HEADER]).toBeUndefined();
    expect(sent[0].headers?.['x-request-id']).toBe('r1');
    const verifier = await createForwardingVerifier(keys.publicJwk, { audience: 'civil-status' });
    await expect(verifier.verify(sent[0].headers?.[FORWARDING_HEADER], Buffer.from(body))).resolves.toEqual(OFFICER);
  });

  it('shares an identical call in flight between requests of the same caller only, each signed once', async () => {
    const keys = await generateSigningKeyPair('EdDSA');
    const sent: FetcherRequestInit[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const base = (async (_url: string, init: FetcherRequestInit) => {
      sent.push(init);
      await gate;
      return new BufferedResponse('http://land/graphql', 200, { get: () => null } as never, '{"data":{}}');
    }) as Fetcher;
    const fetcher = deduplicateSubgraphCalls(signingFetcher(base, await createForwardingSigner(keys.privateJwk), 'land'), { keyHeaders: [CALLER_HEADER] });
    const body = '{"query":"{ x }"}';
    // Two requests' principals with the same claims are the same caller; another purpose is not.
    const call = (principal: Principal) => fetcher('http://land/graphql', { method: 'POST', headers: { [CALLER_HEADER]: callerIdentity(principal) }, body });
    const calls = [call(OFFICER), call({ ...OFFICER }), call({ ...OFFICER, purpose: 'other dossier' })];
    release();
    await Promise.all(calls);
    expect(sent).toHaveLength(2);
    expect(new Set(sent.map((init) => init.headers?.[FORWARDING_HEADER])).size).toBe(2);
  });
});
