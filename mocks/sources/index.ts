/** The six mock sources over one world. */
import type { SourceName } from '../../lib/sources';
import type { World } from '../world/types';
import { budgetSource } from './budget';
import { catalogueSource } from './catalogue';
import { civilStatusSource } from './civil-status';
import { landSource } from './land';
import { populationSource } from './population';
import type { SourceDefinition } from './service';
import { socialInsuranceSource } from './social-insurance';

export function sourceDefinitions(world: World): Record<SourceName, SourceDefinition> {
  return {
    population: populationSource(world),
    'civil-status': civilStatusSource(world),
    land: landSource(world),
    'social-insurance': socialInsuranceSource(world),
    budget: budgetSource(world),
    catalogue: catalogueSource(world),
  };
}

export { checkControlKey, ListenError, MockService, MOCKS_CONTROL_HEADER } from './service';
export type { ControlSettings, SourceStats } from './service';
