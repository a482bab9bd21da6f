/** The synthetic world: generation, its types, and the per-source views of a citizen. */
export { generateWorld, DEFAULT_AS_OF, DECEASED_SHARE } from './generate';
export { FISCAL_YEARS } from './budget';
export { loadCatalogue } from './catalogue';
export type { AdminProvince, AdminWard } from './admin-units';
export type { Catalogue } from './catalogue';
export { lifeStatusOf, populationView } from './views';
export type { PopulationView } from './views';
export { truthOf, sampleCitizens, SAMPLE_FEATURES } from './truth';
export type { CitizenTruth, SampleCitizen, SampleFeature, SampleOptions } from './truth';
export * from './types';
