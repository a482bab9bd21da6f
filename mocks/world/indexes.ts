/** Lookups the sources need besides the by-ID maps: by commune, by holder, by citizen. */
import type { Citizen, Household, Inconsistency, LandParcel, WorldIndex } from './types';
import { populationView } from './views';

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function buildIndex(
  citizens: Map<string, Citizen>,
  households: Map<string, Household>,
  parcels: Map<string, LandParcel>,
  inconsistencies: Inconsistency[],
): WorldIndex {
  const index: WorldIndex = {
    residentsByCommune: new Map(),
    householdsByCommune: new Map(),
    parcelsByOwner: new Map(),
    inconsistenciesByCitizen: new Map(),
  };
  // Residents as population lists them: the living, and the dead it has not heard of.
  for (const citizen of citizens.values()) {
    if (populationView(citizen).lifeStatus === 'LIVING') push(index.residentsByCommune, citizen.communeCode, citizen.personalId);
  }
  for (const ids of index.residentsByCommune.values()) ids.sort();
  for (const household of households.values()) push(index.householdsByCommune, household.communeCode, household.householdId);
  for (const parcel of parcels.values()) for (const holder of parcel.holders) push(index.parcelsByOwner, holder.personalId, parcel.parcelId);
  for (const ids of index.parcelsByOwner.values()) ids.sort();
  for (const item of inconsistencies) push(index.inconsistenciesByCitizen, item.personalId, item);
  return index;
}
