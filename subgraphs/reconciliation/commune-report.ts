/**
 * The commune-wide run: every resident population lists for the commune, checked against civil
 * status and the household book, in batch-sized source calls. Residents come page by page (100
 * per call, one after another: the cursor is the source's); each page's civil-status records (50
 * per SOAP call) and households (100 per call) are asked for while the next page is on its way,
 * at most `concurrency` calls in flight. These bulk reads bypass the source cache. A report is
 * kept for a short time per commune and built once however many requests ask for it meanwhile,
 * so reading it page by page costs one run.
 */
import pLimit from 'p-limit';
import { CIVIL_STATUS_MAX_BATCH, type CivilStatusRecord } from '../../sources/civil-status/client';
import { SourceError } from '../../sources/kit/errors';
import { POPULATION_MAX_BATCH, type CitizenRecord, type HouseholdRecord } from '../../sources/population/client';
import { everyAnswer } from '../common/errors';
import { Kept } from '../common/kept';
import { chunks } from '../common/loaders';
import { compareRecords, Finding, householdFindings, residenceFindings, sortFindings } from './compare';
import type { CachedFetches, ReconciliationClients } from './loaders';
import { placeCodes } from './placements';

/** A finding with the jurisdiction of the person it is about, for the access checks. */
export interface ReportedFinding extends Finding {
  jurisdictionKey: string;
}

export interface CommuneReport {
  communeCode: string;
  residentsChecked: number;
  /** Sorted by person, then kind. */
  findings: ReportedFinding[];
  /** When the run finished (ISO 8601). */
  checkedAt: string;
}

export interface CommuneReportOptions {
  /** How long a report is reused; 0 builds one per request. */
  ttlMs: number;
  /** Calls in flight at once, per source, for one run. */
  concurrency: number;
  /** Runs at once in this process; more wait their turn (a run that outlives its request is still kept). */
  maxRuns?: number;
}

const RESIDENTS_PAGE = 100;

/** Reports kept per commune; a commune population does not know is kept as `NONE`. */
const NONE = 'none' as const;

export class CommuneReports {
  private readonly kept: Kept<CommuneReport | typeof NONE>;
  private readonly runs: ReturnType<typeof pLimit>;

  constructor(
    private readonly clients: ReconciliationClients,
    private readonly fetches: CachedFetches,
    private readonly options: CommuneReportOptions,
  ) {
    this.kept = new Kept(options.ttlMs, 200);
    this.runs = pLimit(options.maxRuns ?? 2);
  }

  /** The commune's report: a kept one, the one being built, or a new run. Null for a commune population does not know. */
  async get(communeCode: string): Promise<CommuneReport | null> {
    const report = await this.kept.get(communeCode, () =>
      this.runs(async () => (await scanCommune(this.clients, this.fetches, communeCode, this.options.concurrency)) ?? NONE),
    );
    return report === NONE ? null : report;
  }
}

export async function scanCommune(
  clients: ReconciliationClients,
  fetches: CachedFetches,
  communeCode: string,
  concurrency: number,
): Promise<CommuneReport | null> {
  // Straight to the sources: thousands of one-off records would only churn the per-person source
  // cache; the report itself is what is kept.
  const civilStatus = (ids: readonly string[]) => clients.civilStatus.getRecords(ids);
  const households = (ids: readonly string[]) => clients.population.getHouseholds(ids);
  const limit = pLimit(concurrency);
  const residents = new Map<string, CitizenRecord>();
  const civil = new Map<string, CivilStatusRecord>();
  const householdsById = new Map<string, HouseholdRecord>();
  const pending: Promise<void>[] = [];
  const askedHouseholds = new Set<string>();
  const waitingHouseholds: string[] = [];

  const start = (task: () => Promise<void>) => {
    const running = limit(task);
    // Seen by Promise.all below; if the paging fails first, the run's error is that one.
    running.catch(() => undefined);
    pending.push(running);
  };
  const fetchCivil = (ids: string[]) =>
    start(async () => {
      for (const [id, record] of await civilStatus(ids)) civil.set(id, record);
    });
  const fetchHouseholds = (ids: string[]) =>
    start(async () => {
      for (const [id, record] of await households(ids)) householdsById.set(id, record);
    });

  let cursor: string | null = null;
  let first = true;
  do {
    const page = await clients.population.getResidents(communeCode, RESIDENTS_PAGE, cursor);
    if (!page) {
      if (first) return null;
      throw new SourceError('population', 'SOURCE_BAD_RESPONSE', 'The population source lost a commune while its residents were being read');
    }
    first = false;
    for (const citizen of page.citizens) {
      residents.set(citizen.personalId, citizen);
      // Households sent along with a citizen need no call of their own.
      if (citizen.household) householdsById.set(citizen.household.householdId, citizen.household);
      if (citizen.householdId && !askedHouseholds.has(citizen.householdId)) {
        askedHouseholds.add(citizen.householdId);
        if (!citizen.household) waitingHouseholds.push(citizen.householdId);
      }
    }
    for (const batch of chunks(page.citizens.map((c) => c.personalId), CIVIL_STATUS_MAX_BATCH)) fetchCivil(batch);
    while (waitingHouseholds.length >= POPULATION_MAX_BATCH) fetchHouseholds(waitingHouseholds.splice(0, POPULATION_MAX_BATCH));
    cursor = page.hasNextPage ? page.endCursor : null;
  } while (cursor);
  if (waitingHouseholds.length > 0) fetchHouseholds(waitingHouseholds.splice(0));
  await Promise.all(pending);

  // People the household book lists who are not residents here (moved, or registered elsewhere),
  // and the households their records name: needed to judge every listing.
  const records = new Map(residents);
  const strangers = [...new Set([...householdsById.values()].flatMap((h) => h.members.map((m) => m.personalId)))].filter((id) => !records.has(id));
  for (const batch of chunks(strangers, POPULATION_MAX_BATCH)) {
    for (const [id, record] of await everyAnswer(fetches.citizens(batch))) records.set(id, record);
  }
  const named = [...new Set(strangers.map((id) => records.get(id)?.householdId).filter((id): id is string => !!id && !householdsById.has(id)))];
  for (const batch of chunks(named, POPULATION_MAX_BATCH)) {
    for (const [id, record] of await households(batch)) householdsById.set(id, record);
  }

  // Every unit code read in today's units first: residences not yet updated name old communes.
  const residenceOf = (id: string) => records.get(id)?.permanentResidence.communeCode ?? communeCode;
  const placements = await placeCodes(fetches.communes, clients.catalogue, [
    communeCode,
    ...[...records.values()].map((record) => record.permanentResidence.communeCode),
    ...[...householdsById.values()].map((household) => household.communeCode),
  ]);
  const findings: Finding[] = [];
  for (const citizen of residents.values()) {
    findings.push(...compareRecords(citizen, civil.get(citizen.personalId) ?? null));
    const household = citizen.householdId ? (householdsById.get(citizen.householdId) ?? null) : null;
    findings.push(...residenceFindings(citizen, household, (code) => placements.units.get(code)));
  }
  findings.push(...householdFindings([...householdsById.values()], [...residents.values()], (id) => records.get(id)));

  const reported = sortFindings(findings.map((finding) => ({ ...finding, jurisdictionKey: placements.keys.get(residenceOf(finding.personalId)) ?? '' })));
  return { communeCode, residentsChecked: residents.size, findings: reported, checkedAt: new Date().toISOString() };
}

