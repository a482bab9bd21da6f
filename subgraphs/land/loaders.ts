/**
 * Per-request loaders. The land source searches by up to 100 owners or 100 parcels per query, so
 * both loaders batch to that limit; every parcel met while loading rights is primed into the
 * parcel loader, so a parcel reached through a citizen costs no second call.
 */
import type DataLoader from 'dataloader';
import { CATALOGUE_MAX_BATCH, communeLookup, CommuneRecord } from '../../sources/catalogue/client';
import type { SourceClients } from '../../sources/clients';
import type { SourceCache } from '../../sources/kit/source-cache';
import { LAND_MAX_IDS, ParcelRecord } from '../../sources/land/client';
import { batchLoader, LoaderSources } from '../common/loaders';
import { createUnitPlacer, UnitPlacer } from '../common/units';

/** One parcel a citizen holds, in the shape of the schema's LandRight. */
export interface LandRightRecord {
  parcel: ParcelRecord;
  certificateNumber: string;
  issuedOn: string;
  share: number;
}

export interface LandLoaders {
  parcel: DataLoader<string, ParcelRecord | null>;
  /** A citizen's rights, by personalId; a citizen without land gets an empty list. */
  rightsByOwner: DataLoader<string, LandRightRecord[] | null>;
  /** Communes from the catalogue, for the jurisdiction of a parcel's owners. */
  commune: DataLoader<string, CommuneRecord | null>;
  /** Places a parcel's recorded commune (often an old code) in today's catalogue. */
  units: UnitPlacer;
}

export const LAND_CLIENTS = ['land', 'catalogue'] as const;
export type LandClients = SourceClients<(typeof LAND_CLIENTS)[number]>;

export interface LandCaches {
  land: SourceCache;
  catalogue: SourceCache;
}

export function createLoaders({ clients, caches }: LoaderSources<LandClients, LandCaches>): LandLoaders {
  const { land: client, catalogue } = clients;
  const parcel = batchLoader(LAND_MAX_IDS, caches.land.batch('parcel', (parcelIds) => client.findByIds(parcelIds)));
  const rightsByOwner = batchLoader(LAND_MAX_IDS, caches.land.batch('rights', async (personalIds) => {
    const rights = new Map<string, LandRightRecord[]>(personalIds.map((id) => [id, []]));
    for (const found of await client.findByOwners(personalIds)) {
      parcel.prime(found.parcelId, found);
      for (const owner of found.owners) {
        rights.get(owner.citizen.personalId)?.push({
          parcel: found,
          certificateNumber: owner.certificateNumber,
          issuedOn: owner.issuedOn,
          share: owner.share,
        });
      }
    }
    return rights;
  }));
  const commune = batchLoader(CATALOGUE_MAX_BATCH, communeLookup(catalogue, caches.catalogue));
  return { parcel, rightsByOwner, commune, units: createUnitPlacer(catalogue, commune) };
}
