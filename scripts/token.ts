/**
 * `npm run token -- --scope "…" --jurisdiction 24 [--procedures "…"] [--purpose "…"] [--ttl 1h]
 *                   [--sub …] [--client …] [--location-independent]`
 * Prints a development JWT signed by the local issuer in `.dev/`, which `npm start`'s gateway
 * trusts. Production gateways trust only their real issuer and never accept these. The minting
 * itself is lib/dev-tokens.ts; this file is its command line.
 */
import { parseArgs } from 'node:util';
import { loadMaxTokenAge } from '../lib/config';
import { mintDevToken, parseTtl } from '../lib/dev-tokens';
import { parseJurisdiction } from '../lib/principal';
import { isPersonalId, personalIdProblem } from '../lib/personal-id';

const USAGE = `Usage: npm run token -- --scope "population:read civil-status:read" --jurisdiction 24
       (a TTHC system then sends x-procedure: local:marital-status-confirmation and x-dossier: HS-2026-000123)
   or: npm run token -- --scope "population:read purpose:free-text" --jurisdiction 24 --purpose "Thanh tra QĐ 12/QĐ-TTr"
Options:
  --scope                 space-separated scopes (population:read civil-status:read land:read
                          social-insurance:read budget:read audit:read audit:report)
  --jurisdiction          province (2-digit) and/or commune (5-digit) codes, or "*"
  --purpose               a free-text purpose (an inspection): counts only with the scope
                          purpose:free-text. A TTHC system names the procedure per request
                          instead (headers x-procedure, x-dossier; see the README)
  --procedures            space-separated procedure codes this client may name in x-procedure
                          (the token's procedures claim; default: any in the catalogue)
  --ttl                   lifetime: 30m, 1h, 8h (default 1h; at most the gateway's
                          JWT_MAX_TOKEN_AGE_S, 8h unless set)
  --sub                   officer or system (default dev-officer)
  --client                calling system (default dev-tthc-system)
  --location-independent  may read outside the jurisdiction, for a stated purpose (thủ tục phi địa giới)
  --self PERSONAL_ID      instead: a citizen's own token (scope "self", sub = their personal ID), as
                          the national identity provider issues it: their records and access history`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scope: { type: 'string' },
      jurisdiction: { type: 'string' },
      purpose: { type: 'string' },
      procedures: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      sub: { type: 'string' },
      client: { type: 'string' },
      'location-independent': { type: 'boolean', default: false },
      self: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const problems: string[] = [];
  if (values.self !== undefined) {
    if (!isPersonalId(values.self)) problems.push(`--self: ${personalIdProblem(values.self)}`);
    const ttl = parseTtl(values.ttl ?? '1h', loadMaxTokenAge(process.env));
    if (ttl === null) problems.push('--ttl: expected a duration such as 30m or 1h, within JWT_MAX_TOKEN_AGE_S');
    if (problems.length > 0) {
      console.error(`${problems.join('\n')}\n\n${USAGE}`);
      process.exit(2);
    }
    console.log(await mintDevToken({ scope: 'self', sub: values.self, client: values.client ?? 'cong-dich-vu-cong-quoc-gia', ttlSeconds: ttl as number }));
    return;
  }
  if (!values.scope) problems.push('--scope is required');
  const jurisdiction = parseJurisdiction(values.jurisdiction ?? '');
  if (typeof jurisdiction === 'string') problems.push(`--jurisdiction: ${values.jurisdiction ? jurisdiction : 'required'}`);
  const maxSeconds = loadMaxTokenAge(process.env);
  const ttlSeconds = parseTtl(values.ttl ?? '1h', maxSeconds);
  if (ttlSeconds === null) {
    problems.push(`--ttl: expected a duration such as 30m, 1h or 8h, at most ${maxSeconds} s (the gateway's JWT_MAX_TOKEN_AGE_S refuses longer-lived tokens)`);
  }
  if (problems.length > 0) {
    console.error(`${problems.join('\n')}\n\n${USAGE}`);
    process.exit(2);
  }
  console.log(
    await mintDevToken({
      scope: values.scope as string,
      jurisdiction: values.jurisdiction as string,
      purpose: values.purpose,
      procedures: values.procedures,
      ttlSeconds: ttlSeconds as number,
      sub: values.sub,
      client: values.client,
      locationIndependent: values['location-independent'],
    }),
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(`token: ${(error as Error).message}`);
    process.exit(1);
  });
}
