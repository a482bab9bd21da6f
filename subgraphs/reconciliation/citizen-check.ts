/**
 * The per-citizen check (`Citizen.discrepancies`): the person's population record against their
 * civil-status record, and the household book as seen from their household: whether the
 * household lists them, and whether anyone it lists is registered in, and listed by, another
 * household too. (A second listing of this person by some other household is found from that
 * household's side, or by the commune-wide run: the population API cannot be asked which
 * households list a person.)
 */
import type { CitizenRecord, HouseholdRecord } from '../../sources/population/client';
import type { ReportedFinding } from './commune-report';
import { compareRecords, householdFindings, residenceFindings, sortFindings } from './compare';
import type { ReconciliationLoaders } from './loaders';

/** The loaded values, or the first failure among them (a partial check would mislead). */
function whole<T>(results: (T | Error)[]): T[] {
  const failure = results.find((result): result is Error => result instanceof Error);
  if (failure) throw failure;
  return results as T[];
}

export async function citizenDiscrepancies(
  personalId: string,
  jurisdictionKey: string,
  loaders: ReconciliationLoaders,
): Promise<ReportedFinding[] | null> {
  const [citizen, civil] = await Promise.all([loaders.citizen.load(personalId), loaders.civilStatus.load(personalId)]);
  if (!citizen) return null;
  const findings = compareRecords(citizen, civil);

  const records = new Map<string, CitizenRecord>([[personalId, citizen]]);
  if (citizen.householdId) {
    // Sent along with the citizen: no call for it.
    if (citizen.household) loaders.household.prime(citizen.householdId, citizen.household);
    const household = await loaders.household.load(citizen.householdId);
    if (household) {
      const members = whole(await loaders.citizen.loadMany(household.members.map((m) => m.personalId)));
      for (const member of members) if (member) records.set(member.personalId, member);
      const elsewhere = [...new Set(members.map((m) => m?.householdId).filter((id): id is string => !!id && id !== household.householdId))];
      const others = whole(await loaders.household.loadMany(elsewhere)).filter((h): h is HouseholdRecord => h !== null);
      const seenFromHere = householdFindings([household, ...others], [citizen], (id) => records.get(id)).filter(
        (finding) =>
          finding.personalId === personalId ||
          finding.sides.some((side) => side.record === 'HOUSEHOLD_MEMBERS' && side.recordId === household.householdId),
      );
      findings.push(...seenFromHere);
    }
  }
  // The residence read in today's units on both sides (the household record is primed or loaded above).
  const household = citizen.householdId ? await loaders.household.load(citizen.householdId) : null;
  const placements = await loaders.place([citizen.permanentResidence.communeCode, ...(household ? [household.communeCode] : [])]);
  findings.push(...residenceFindings(citizen, household, (code) => placements.units.get(code)));

  const reported: ReportedFinding[] = [];
  for (const finding of findings) {
    reported.push({ ...finding, jurisdictionKey: finding.personalId === personalId ? jurisdictionKey : await keyOf(records.get(finding.personalId), loaders) });
  }
  return sortFindings(reported);
}

/** Where another person named in a finding lives, for the access checks ('' when unknown: withheld). */
async function keyOf(record: CitizenRecord | undefined, loaders: ReconciliationLoaders): Promise<string> {
  if (!record) return '';
  const code = record.permanentResidence.communeCode;
  return (await loaders.place([code])).keys.get(code) ?? '';
}
