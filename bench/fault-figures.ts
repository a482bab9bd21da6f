/**
 * `npm run faults:figures`: what a desk sees when one source fails, with the default resilience
 * settings (5 s deadline, 2 retries from 100 ms, breaker as configured) and no cache, so every
 * request reaches the failing source. For each source and fault: the answer's code for that
 * part, whether every other source's part still arrived, the attempts made per source call, and
 * the dossier's answer time (median of `--runs`, default 3). Prints a Markdown table.
 *
 * The whole product runs in this process (stack/stack.ts), on a 2,000-citizen world.
 */
import { parseArgs } from 'node:util';
import type { SourceName } from '../lib/sources';
import { answeredParts, DOSSIER_PARTS, DOSSIER_QUERY, DossierAnswer, expectedParts, richCitizens } from '../stack/dossier';
import { startStack } from '../stack/stack';

const FAULTS = {
  'slow (answers after 7 s)': { latencyMs: 7000 },
  'erroring (HTTP 500 / SOAP fault)': { errorRate: 1 },
  'down (HTTP 503)': { outage: true },
  'malformed (200, corrupt body)': { malformedRate: 1 },
};
const HEALTHY = { latencyMs: 0, errorRate: 0, outage: false, malformedRate: 0 };
const NO_CACHE = Object.fromEntries(
  ['POPULATION', 'CIVIL_STATUS', 'LAND', 'SOCIAL_INSURANCE', 'BUDGET', 'CATALOGUE'].map((prefix) => [`${prefix}_CACHE_TTL_S`, '0']),
);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
  const runs = Math.max(1, Number(values.runs));
  // The breaker is left out of these figures (it would open during the repeated runs); the fault suite tests it.
  const stack = await startStack({ mocks: { worldSize: 2000, worldSeed: 'fault-figures' }, env: { ...NO_CACHE, SOURCE_BREAKER_MIN_CALLS: '100000' } });
  try {
    const auth = { authorization: `Bearer ${await stack.token()}` };
    const citizens = richCitizens(stack.mocks.world, runs + 1);
    const ask = async (personalId: string) => {
      const started = performance.now();
      const { body } = await stack.query<{ citizen: DossierAnswer }>(DOSSIER_QUERY, { id: personalId }, auth);
      return { body, ms: performance.now() - started };
    };
    await ask(citizens[runs].personalId); // warm: query plan, connections

    const rows: string[] = [];
    const healthy: number[] = [];
    for (const citizen of citizens.slice(0, runs)) healthy.push((await ask(citizen.personalId)).ms);
    rows.push(`| (none) | healthy | (all five sources) | yes | 1 | ${median(healthy)} |`);

    for (const source of Object.keys(DOSSIER_PARTS) as SourceName[]) {
      for (const [fault, control] of Object.entries(FAULTS)) {
        const times: number[] = [];
        let code = '';
        let othersIntact = true;
        let attempts = 0;
        for (const citizen of citizens.slice(0, runs)) {
          stack.mocks.resetStats();
          await ask(citizen.personalId);
          const healthyCalls = stack.mocks.stats(source).requests;
          stack.mocks.resetStats();
          stack.mocks.setControl(source, control);
          const { body, ms } = await ask(citizen.personalId);
          stack.mocks.setControl(source, HEALTHY);
          times.push(ms);
          attempts = stack.mocks.stats(source).requests / Math.max(1, healthyCalls);
          code = String(body.errors?.[0]?.extensions?.code ?? 'none');
          const expected = expectedParts(stack.mocks.world, citizen);
          const parts = answeredParts(body.data!.citizen);
          for (const [part, value] of Object.entries(parts)) {
            if (part !== source && JSON.stringify(value) !== JSON.stringify(expected[part as keyof typeof expected])) othersIntact = false;
          }
        }
        rows.push(`| ${source} | ${fault} | \`${code}\` | ${othersIntact ? 'yes' : 'NO'} | ${attempts} | ${median(times)} |`);
      }
    }
    console.log('| source | fault | code of its part | every other part intact | attempts per call | answer time (ms, median) |');
    console.log('|---|---|---|---|---:|---:|');
    for (const row of rows) console.log(row);
  } finally {
    await stack.close();
  }
}

function median(values: number[]): number {
  return Math.round([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]);
}

main().catch((error: unknown) => {
  console.error(`faults:figures: ${(error as Error).message}`);
  process.exit(1);
});
