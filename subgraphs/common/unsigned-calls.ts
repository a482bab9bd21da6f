/**
 * Benchmark mode (`SUBGRAPH_TRUST_UNSIGNED=true`, refused in production): calls that carry no
 * gateway signature are served as a fixed national principal holding every scope, so other
 * gateways (which cannot sign) can be measured against the same subgraphs. Signed calls are still
 * verified as usual.
 */
import { checkForwardedCall, ForwardingVerifier, NOTHING_PENDING } from '../../lib/forwarding';
import { log } from '../../lib/log';
import { AUDIT_REPORT_SCOPE, AUDIT_SCOPE, Principal, SOURCE_SCOPES } from '../../lib/principal';

export const BENCHMARK_PRINCIPAL: Principal = {
  subject: 'benchmark',
  clientId: 'benchmark',
  scopes: new Set([...SOURCE_SCOPES, AUDIT_SCOPE, AUDIT_REPORT_SCOPE]),
  jurisdiction: { national: true, provinces: new Set(), communes: new Set() },
  purpose: 'BENCHMARK',
  purposeBasis: 'free-text',
  locationIndependent: false,
};

export function trustUnsignedCalls(verifier: ForwardingVerifier, subgraph: string): ForwardingVerifier {
  const warning =
    `subgraph ${subgraph}: SUBGRAPH_TRUST_UNSIGNED=true: calls without the gateway's signature are served as a national ` +
    'principal with every scope. For benchmarks only; never expose this subgraph.';
  // Loud on purpose: on stderr as well as in the log, whatever the log level.
  log.warn(warning);
  process.stderr.write(`WARNING: ${warning}\n`);
  return {
    verify: (header, body) => (header ? verifier.verify(header, body) : Promise.resolve(BENCHMARK_PRINCIPAL)),
    check: (header, body) => (header ? checkForwardedCall(verifier, header, body) : Promise.resolve({ principal: BENCHMARK_PRINCIPAL, firstUse: NOTHING_PENDING })),
  };
}
