/** The six mock sources over one world. */
import type { SourceName } from '../../lib/sources';
import type { World } from '../world/types';
import { budgetSource } from './budget';
import { catalogueSource } from './catalogue';
import { civilStatusSource } from './civil-status';
import { landSource } from './land';
import { populationSource } from './population';
import type { SourceDefinition } from './contract';
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

export { ListenError, MockService } from './service';
export { checkControlKey, MOCKS_CONTROL_HEADER } from './test-endpoints';
export type { ControlSettings } from './faults';
export type { SourceStats } from './stats';
