/**
 * A document with several operations and no (or an unknown) `operationName` has nothing to run.
 * Plain Apollo Server answers that with a 400 from execution; behind @apollo/gateway the executor
 * throws instead, which would be a 500. Refused here, before execution, as the caller's mistake.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError } from 'graphql';

export function operationResolutionPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation) return;
          const message = request.operationName
            ? 'The document has no operation of the name given in operationName'
            : 'The document holds several operations: name the one to run in operationName';
          throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } });
        },
      };
    },
  };
}
