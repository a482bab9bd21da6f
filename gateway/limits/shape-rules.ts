/**
 * Depth, aliases and directives: validation rules from GraphQL Armor, run with GraphQL's own
 * rules once per distinct document (Apollo keeps validated documents). Each refusal carries its
 * own code; Apollo files validation errors under GRAPHQL_VALIDATION_FAILED, and the gateway's
 * error formatter puts the rule's code back (gateway/errors.ts).
 *
 * Armor's other protections are done here differently: tokens before parsing
 * (document-size.ts), cost with list sizes (cost.ts).
 */
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLError, ValidationContext, ValidationRule } from 'graphql';
import { LimitCode, LimitRejectionListener, limitError } from './errors';

export interface ShapeLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
}

const ADVICE: Partial<Record<LimitCode, string>> = {
  QUERY_TOO_DEEP: 'Ask for less deeply nested fields, or follow the reference in a second query.',
  TOO_MANY_ALIASES: 'Ask for several records with one list field (citizens(personalIds: …)) instead of aliases.',
  TOO_MANY_DIRECTIVES: 'Use fewer directives.',
};

function reportAs(code: LimitCode, onReject?: LimitRejectionListener) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    onReject?.(code);
    // Armor words every refusal as a "Syntax Error"; these are limits, not syntax.
    context?.reportError(limitError(code, `${error.message.replace(/^Syntax Error:\s*/, '')} ${ADVICE[code]}`));
  };
}

export function shapeRules(limits: ShapeLimits, onReject?: LimitRejectionListener): ValidationRule[] {
  const armor = new ApolloArmor({
    maxDepth: {
      n: limits.maxDepth,
      // Depth in fields: a fragment is not a level; the schema's own introspection is not counted.
      flattenFragments: true,
      ignoreIntrospection: true,
      propagateOnRejection: false,
      onReject: [reportAs('QUERY_TOO_DEEP', onReject)],
    },
    maxAliases: { n: limits.maxAliases, propagateOnRejection: false, onReject: [reportAs('TOO_MANY_ALIASES', onReject)] },
    maxDirectives: { n: limits.maxDirectives, propagateOnRejection: false, onReject: [reportAs('TOO_MANY_DIRECTIVES', onReject)] },
    costLimit: { enabled: false },
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  });
  return armor.protect().validationRules as ValidationRule[];
}
