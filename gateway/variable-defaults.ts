/**
 * A variable the request leaves out takes the default its operation declares, before planning.
 * @apollo/gateway hands the subgraphs the request's variables as sent, under variable definitions
 * that keep the type but not the default: `query($ids: [ID!]! = […])` sent without variables
 * reached a subgraph with a required variable missing, and failed as an internal error.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { OperationDefinitionNode, valueFromASTUntyped } from 'graphql';
import type { GatewayContext } from './context';
import type { GatewayFeature } from './feature';

type Variables = Record<string, unknown>;

/** The variables as execution sees them: each one left out holds the operation's default, where it declares one. */
export function withOperationDefaults(operation: OperationDefinitionNode, given: Variables): Variables {
  const defaults = (operation.variableDefinitions ?? []).filter((d) => d.defaultValue && !(d.variable.name.value in given));
  if (defaults.length === 0) return given;
  const variables = { ...given };
  for (const definition of defaults) variables[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue!, given);
  return variables;
}

const plugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (!operation) return;
        const given = request.variables ?? {};
        const variables = withOperationDefaults(operation, given);
        if (variables !== given) request.variables = variables;
      },
    };
  },
};

/** Register before anything that reads the variables (limits, the response cache). */
export function variableDefaults(): GatewayFeature {
  return { name: 'variable-defaults', plugins: [plugin] };
}
