/**
 * The published tables, as `npm start` uses them (../shared/data: today's catalogue, the catalogue
 * before 2025 and the NSO conversion table), on the running stack: every old code of the
 * conversion table answers `commune(code:)`, and the world `npm start` serves holds records with
 * pre-reform codes, each served with the unit it lies in today. A smaller world than npm start's
 * (same catalogue and tables, fewer citizens) keeps the file quick.
 */
import { readFileSync } from 'node:fs';
import type { World } from '../../mocks';
import { parseConversionTable } from '../../mocks/world/conversion';
import { Stack, startStack } from '../../stack/stack';
import { CONVERSION_TABLE, npmStartWorld } from '../support/npm-start-world';

const UNIT = 'recordedCode status current { code } candidates { code }';
const PER_QUERY = 200;

let stack: Stack;
let world: World;
let auth: Record<string, string>;

beforeAll(async () => {
  stack = await startStack({
    mocks: npmStartWorld({ worldSize: 20_000 }),
    // Hundreds of look-ups per query: the test asks for every old code, not a client. Generous
    // deadlines: the first query fetches the whole table cold, on a machine others share.
    env: {
      MAX_QUERY_ALIASES: '1000',
      MAX_QUERY_BYTES: '400000',
      MAX_QUERY_TOKENS: '100000',
      MAX_QUERY_COST: '10000000',
      SUBGRAPH_TIMEOUT_MS: '120000',
      SOURCE_TIMEOUT_MS: '60000',
    },
  });
  world = stack.mocks.world;
  auth = { authorization: `Bearer ${await stack.token({ scope: 'population:read civil-status:read land:read social-insurance:read', jurisdiction: '*' })}` };
}, 180_000);
afterAll(() => stack?.close());

it('answers commune(code:) for every old code of the conversion table, with what it became', async () => {
  const { rows } = parseConversionTable(readFileSync(CONVERSION_TABLE, 'utf8'));
  const oldCodes = [...new Set(rows.map((row) => row.MaXaCu))];
  expect(oldCodes.length).toBe(10_033);
  const unanswered: string[] = [];
  const wrong: string[] = [];
  for (let i = 0; i < oldCodes.length; i += PER_QUERY) {
    const batch = oldCodes.slice(i, i + PER_QUERY);
    const query = `{ ${batch.map((code) => `c${code}: commune(code: "${code}") { code inForce formerUnit { code successors { communeCode commune { code } } } }`).join(' ')} }`;
    const { body } = await stack.query<Record<string, any>>(query, {}, auth);
    for (const code of batch) {
      const answer = body.data?.[`c${code}`];
      if (!answer) unanswered.push(`${code}: ${body.errors?.find((e) => e.path?.[0] === `c${code}`)?.message ?? body.errors?.[0]?.message ?? 'null'}`);
      // A retired code names its old unit and where it went; a code still in force may name another area (the same number).
      else if (answer.code !== code || answer.formerUnit?.code !== code || answer.formerUnit.successors.length === 0) wrong.push(code);
    }
  }
  expect(unanswered).toEqual([]);
  expect(wrong).toEqual([]);
  // The table's one new code today's catalogue no longer lists (06970, Xã Ba Chẽ, since Resolution 30/2026): named, not resolved.
  const { body } = await stack.query<any>(`{ commune(code: "06973") { formerUnit { successors { communeCode commune { code } } } } }`, {}, auth);
  expect(body.data.commune.formerUnit.successors).toEqual([{ communeCode: '06970', commune: null }]);
}, 300_000);

describe('the world npm start serves', () => {
  it('holds registrations, residences, parcels and insurance addresses under pre-reform codes, the truth keeping today’s unit', () => {
    const citizens = [...world.citizens.values()];
    const oldBirths = citizens.filter((c) => c.birth.registeredAtCurrent).length;
    const oldResidences = citizens.filter((c) => c.recordedCommuneCode).length;
    const oldParcels = [...world.parcels.values()].filter((p) => p.recordedCommuneCode).length;
    const oldAddresses = [...world.insurance.values()].filter((r) => r.recordedCommuneCode).length;
    // Most people were born before July 2025; shares as legacy-codes.ts seeds them.
    expect(oldBirths / citizens.length).toBeGreaterThan(0.9);
    expect(oldResidences / citizens.length).toBeGreaterThan(0.01);
    expect(oldParcels).toBeGreaterThan(0);
    expect(oldAddresses).toBeGreaterThan(0);
  });

  it('serves each such record with its current unit: a residence, a birth, a parcel', async () => {
    const citizen = [...world.citizens.values()].find((c) => !c.death && c.recordedCommuneCode && c.birth.registeredAtCurrent)!;
    const parcel = [...world.parcels.values()].find((p) => p.recordedCommuneCode)!;
    const { body } = await stack.query<any>(
      `query($id: ID!, $parcel: ID!) {
        citizen(personalId: $id) { permanentResidence { unit { ${UNIT} } } civilStatus { birth { registeredAtUnit { ${UNIT} } } } }
        landParcel(parcelId: $parcel) { unit { ${UNIT} } } }`,
      { id: citizen.personalId, parcel: parcel.parcelId },
      auth,
    );
    expect(body.errors).toBeUndefined();
    const placedIn = (unit: any, today: string) => {
      expect(unit.status).toMatch(/^RETIRED_(RESOLVED|AMBIGUOUS)$/);
      // Resolved: today's unit; split: every part, today's among them; never rewritten.
      expect(unit.candidates.map((c: { code: string }) => c.code)).toContain(today);
      if (unit.status === 'RETIRED_RESOLVED') expect(unit.current.code).toBe(today);
    };
    expect(body.data.citizen.permanentResidence.unit.recordedCode).toBe(citizen.recordedCommuneCode);
    placedIn(body.data.citizen.permanentResidence.unit, citizen.communeCode);
    expect(body.data.citizen.civilStatus.birth.registeredAtUnit.recordedCode).toBe(citizen.birth.registeredAt);
    placedIn(body.data.citizen.civilStatus.birth.registeredAtUnit, citizen.birth.registeredAtCurrent!);
    expect(body.data.landParcel.unit.recordedCode).toBe(parcel.recordedCommuneCode);
    placedIn(body.data.landParcel.unit, parcel.communeCode);
  });
});
