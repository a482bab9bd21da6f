/**
 * `generateWorld`: one deterministic synthetic world from a seed. The same options always give
 * the same world; each step draws from its own seeded stream.
 */
import { draftBudgets } from './budget';
import { WorldBuilder } from './builder';
import { loadCatalogue } from './catalogue';
import { dayOf } from './dates';
import { populateCommunes } from './households';
import { seedInconsistencies } from './inconsistencies';
import { buildIndex } from './indexes';
import { enrolInsurance } from './insurance';
import { writeLegacyCodes } from './legacy-codes';
import { allotLand } from './land';
import { settleMaritalHistories } from './marital-history';
import type { World, WorldOptions } from './types';
import { stampUpdates } from './updates';

/** The world's "today" unless told otherwise: a fixed date, so worlds do not change by the day. */
export const DEFAULT_AS_OF = '2026-07-01';
/** Share of the world's people who have died (and whose deaths civil status registered). */
export const DECEASED_SHARE = 0.007;

export function generateWorld(options: WorldOptions): World {
  const catalogue = loadCatalogue(options.adminUnitsFile, { pre2025UnitsFile: options.pre2025UnitsFile, conversionFile: options.conversionFile });
  const asOf = options.asOf ?? DEFAULT_AS_OF;
  const b = new WorldBuilder(options.seed, catalogue, dayOf(asOf));

  // Deaths: most are known to both sources; a quarter at most are the seeded deaths that
  // population has not heard of, who die among the living after the households are made.
  const inconsistencies = Math.round(options.size * options.inconsistencyRate);
  const deaths = Math.round(options.size * DECEASED_SHARE);
  const unnoticedDeaths = Math.min(Math.round(inconsistencies / 4), Math.floor(deaths / 4));
  const regularDeaths = deaths - unnoticedDeaths;

  populateCommunes(b, options.size - regularDeaths);
  settleMaritalHistories(b, regularDeaths);
  const parcels = allotLand(b);
  const insurance = enrolInsurance(b);
  const seeded = seedInconsistencies(b, { total: inconsistencies, deaths: unnoticedDeaths });
  stampUpdates(b);
  writeLegacyCodes(b, parcels, insurance);

  return {
    seed: options.seed,
    size: b.citizens.size,
    asOf,
    inconsistencyRate: options.inconsistencyRate,
    catalogue,
    citizens: b.citizens,
    households: b.households,
    parcels,
    insurance,
    budgets: draftBudgets(options.seed, catalogue, b.asOfDay),
    inconsistencies: seeded,
    index: buildIndex(b.citizens, b.households, parcels, seeded),
  };
}
