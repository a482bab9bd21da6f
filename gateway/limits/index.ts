/**
 * The request limits, all refused before execution with their own code (errors.ts):
 *  - body size and batch size: while the body is read (lib/graphql-http.ts, from the server's
 *    `maxBodyBytes` and `maxBatchOperations`);
 *  - document bytes and tokens: once the body is read, before parsing (document-size.ts);
 *  - depth, aliases, directives: validation rules (shape-rules.ts);
 *  - cost with list sizes: once the operation and its variables are known (cost.ts).
 * Introspection is Apollo's own switch; without it, schema hints are cut (introspection.ts).
 * A document whose operation cannot be told is refused with them (operation-resolution.ts).
 */
import type { RequestLimits } from '../../lib/config';
import type { GatewayEvents } from '../events';
import type { GatewayFeature } from '../feature';
import { costLimitPlugin } from './cost';
import { screenDocuments } from './document-size';
import { hideSchemaHintsPlugin } from './introspection';
import { operationResolutionPlugin } from './operation-resolution';
import { shapeRules } from './shape-rules';

export { screenDocuments } from './document-size';
export { isLimitCode, LIMIT_CODES } from './errors';
export type { LimitCode, LimitRejectionListener } from './errors';

export interface RequestLimitsOptions {
  limits: RequestLimits;
  introspection: boolean;
  events: GatewayEvents;
}

/** Register before any feature that rewrites the operation: the limits price it as the caller sent it. */
export function requestLimits({ limits, introspection, events }: RequestLimitsOptions): GatewayFeature {
  const onReject = (code: string) => events.emit('limit.rejected', { code });
  return {
    name: 'request-limits',
    onOperations(request) {
      const refusal = screenDocuments(request.operations, limits);
      if (refusal) throw refusal;
    },
    plugins: [operationResolutionPlugin(), costLimitPlugin(limits.maxCost, onReject), ...(introspection ? [] : [hideSchemaHintsPlugin()])],
    validationRules: shapeRules(limits, onReject),
  };
}
