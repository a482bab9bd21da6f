/**
 * Per-request loaders. Population takes up to 100 citizen or household IDs per call, the
 * catalogue up to 200 commune codes per call and lists every province in one call; a commune's
 * residents and a province's communes are one call each, run with bounded concurrency.
 * Records that arrive as a by-product (residents, a province's communes) are primed into the
 * loaders, so asking for them again costs nothing.
 */
import type DataLoader from 'dataloader';
import { CATALOGUE_MAX_BATCH, communeLookup, CommuneRecord, ProvinceRecord } from '../../sources/catalogue/client';
import type { SourceClients } from '../../sources/clients';
import { SourceError } from '../../sources/kit/errors';
import type { SourceCache } from '../../sources/kit/source-cache';
import { CitizenRecord, HouseholdRecord, POPULATION_MAX_BATCH, ResidentsPage } from '../../sources/population/client';
import { badUserInput, toGraphQLError } from '../common/errors';
import { createUnitPlacer, UnitPlacer } from '../common/units';
import { batchLoader, LoaderSources, singleLoader } from '../common/loaders';

export interface ResidentsQuery {
  communeCode: string;
  first: number;
  after: string | null;
}

export interface PopulationLoaders {
  citizen: DataLoader<string, CitizenRecord | null>;
  household: DataLoader<string, HouseholdRecord | null>;
  commune: DataLoader<string, CommuneRecord | null>;
  province: DataLoader<string, ProvinceRecord | null>;
  /** A province's communes, or null when the catalogue does not know the province. */
  provinceCommunes: DataLoader<string, CommuneRecord[] | null>;
  /** Every province, from one catalogue call per request. */
  allProvinces(): Promise<ProvinceRecord[]>;
  /** One page of a commune's residents, or null when the population source does not know the commune. */
  residents(query: ResidentsQuery): Promise<ResidentsPage | null>;
  /** Places recorded unit codes (old or current) in today's catalogue. */
  units: UnitPlacer;
}

export const POPULATION_CLIENTS = ['population', 'catalogue'] as const;
export type PopulationClients = SourceClients<(typeof POPULATION_CLIENTS)[number]>;

export interface PopulationCaches {
  population: SourceCache;
  catalogue: SourceCache;
}

export function createLoaders({ clients, caches, concurrency }: LoaderSources<PopulationClients, PopulationCaches>): PopulationLoaders {
  const { population, catalogue } = clients;
  const citizen = batchLoader(POPULATION_MAX_BATCH, caches.population.batch('citizen', (ids) => population.getCitizens(ids)));
  const household = batchLoader(POPULATION_MAX_BATCH, caches.population.batch('household', (ids) => population.getHouseholds(ids)));
  const commune = batchLoader(CATALOGUE_MAX_BATCH, communeLookup(catalogue, caches.catalogue));

  let provinceList: Promise<ProvinceRecord[]> | undefined;
  const listProvinces = caches.catalogue.one('provinces', () => catalogue.listProvinces());
  const allProvinces = () =>
    (provinceList ??= listProvinces('all').then(
      (list) => list ?? [],
      (error: unknown) => {
        throw toGraphQLError(error);
      },
    ));
  // Any number of province codes costs the one list call.
  const province = batchLoader(Number.POSITIVE_INFINITY, async () => new Map((await allProvinces()).map((p) => [p.code, p])));

  const getProvince = caches.catalogue.one('province', (code) => catalogue.getProvince(code));
  const provinceCommunes = singleLoader(concurrency, async (code) => {
    const found = await getProvince(code);
    if (!found) return null;
    for (const unit of found.communes) commune.prime(unit.code, unit);
    return found.communes;
  });

  const residentPages = singleLoader(concurrency, async (key) => {
    const query = JSON.parse(key) as ResidentsQuery;
    try {
      const page = await population.getResidents(query.communeCode, query.first, query.after);
      for (const resident of page?.citizens ?? []) citizen.prime(resident.personalId, resident);
      return page;
    } catch (error) {
      // The cursor is the caller's, passed through opaquely: a request the source refuses because
      // of it is the caller's mistake, not the source's.
      if (error instanceof SourceError && error.status === 400 && query.after !== null) {
        throw badUserInput('Invalid after: not a cursor from a previous page of these residents', 'after');
      }
      throw error;
    }
  });

  return {
    citizen,
    household,
    commune,
    province,
    provinceCommunes,
    allProvinces,
    units: createUnitPlacer(catalogue, commune),
    // One key per distinct page, built in a fixed field order so equal queries share a call.
    residents: ({ communeCode, first, after }) => residentPages.load(JSON.stringify({ communeCode, first, after })),
  };
}
