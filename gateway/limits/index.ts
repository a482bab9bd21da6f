/**
 * The request limits, all refused before execution with their own code (errors.ts):
 *  - body size and batch size: at the HTTP edge (lib/graphql-http.ts reads `maxBodyBytes` and
 *    `maxBatchOperations`);
 *  - document bytes and tokens: at the HTTP edge too, before parsing (document-size.ts);
 *  - depth, aliases, directives: validation rules (shape-rules.ts);
 *  - cost with list sizes: once the operation and its variables are known (cost.ts).
 * Introspection is Apollo's own switch; without it, schema hints are cut (introspection.ts).
 * A document whose operation cannot be told is refused with them (operation-resolution.ts).
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { ValidationRule } from 'graphql';
import type { RequestLimits } from '../../lib/config';
import { costLimitPlugin } from './cost';
import type { LimitRejectionListener } from './errors';
import { hideSchemaHintsPlugin } from './introspection';
import { operationResolutionPlugin } from './operation-resolution';
import { shapeRules } from './shape-rules';

export { screenDocuments } from './document-size';
export { isLimitCode, LIMIT_CODES } from './errors';
export type { LimitCode, LimitRejectionListener } from './errors';

export interface LimitsSetup {
  /** Apollo Server plugins; put them before the access plugin, which rewrites the operation. */
  plugins: ApolloServerPlugin<BaseContext>[];
  validationRules: ValidationRule[];
}

export function requestLimits(limits: RequestLimits, options: { introspection: boolean; onReject?: LimitRejectionListener }): LimitsSetup {
  return {
    plugins: [
      operationResolutionPlugin(),
      costLimitPlugin(limits.maxCost, options.onReject),
      ...(options.introspection ? [] : [hideSchemaHintsPlugin()]),
    ],
    validationRules: shapeRules(limits, options.onReject),
  };
}
