/**
 * Ground-truth endpoints for tests, served by the population service without a key, faults or
 * counting: a citizen's canonical record, the seeded inconsistencies, and sample citizens.
 */
import { SAMPLE_FEATURES, SampleFeature, sampleCitizens, truthOf } from '../world/truth';
import { INCONSISTENCY_KINDS, InconsistencyKind, World } from '../world/types';
import { intParam, listParam } from './params';
import { jsonReply, Route, SourceFailure } from './contract';

export function truthRoutes(world: World): Route[] {
  return [
    {
      method: 'GET',
      path: /^\/__truth\/citizens\/(?<id>[^/]+)$/,
      operation: 'truth:citizen',
      handle: (call) => {
        const truth = truthOf(world, call.params.id);
        if (!truth) throw new SourceFailure('NOT_FOUND', `No citizen ${call.params.id} in this world`);
        return jsonReply(200, truth);
      },
    },
    {
      method: 'GET',
      path: /^\/__truth\/inconsistencies$/,
      operation: 'truth:inconsistencies',
      handle: (call) => {
        const kind = call.query.get('kind');
        if (kind !== null && !INCONSISTENCY_KINDS.includes(kind as InconsistencyKind)) {
          throw new SourceFailure('BAD_REQUEST', `kind must be one of ${INCONSISTENCY_KINDS.join(', ')}`);
        }
        const limit = intParam(call, 'limit', 1, 1_000_000, 100);
        const matching = kind ? world.inconsistencies.filter((i) => i.kind === kind) : world.inconsistencies;
        return jsonReply(200, { total: matching.length, items: matching.slice(0, limit) });
      },
    },
    {
      method: 'GET',
      path: /^\/__truth\/sample$/,
      operation: 'truth:sample',
      handle: (call) => {
        const communeCode = call.query.get('communeCode') ?? undefined;
        if (communeCode && !world.catalogue.communeByCode.has(communeCode)) throw new SourceFailure('NOT_FOUND', `No commune with code ${communeCode}`);
        const has = listParam(call, 'has') ?? [];
        const unknown = has.filter((f) => !SAMPLE_FEATURES.includes(f as SampleFeature));
        if (unknown.length) throw new SourceFailure('BAD_REQUEST', `has takes ${SAMPLE_FEATURES.join(', ')}; not ${unknown.join(', ')}`);
        const limit = intParam(call, 'limit', 1, 1000, 10);
        return jsonReply(200, { items: sampleCitizens(world, { communeCode, limit, has: has as SampleFeature[] }) });
      },
    },
  ];
}
