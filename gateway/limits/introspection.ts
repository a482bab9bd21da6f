/**
 * With introspection off (production), the schema is not for strangers to read; GraphQL's
 * "Did you mean …?" hints would give it away one field at a time, so they are cut from messages.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

export function hideSchemaHintsPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            if (/ Did you mean /.test(error.message)) error.message = error.message.replace(/ Did you mean .*$/s, '');
          }
        },
      };
    },
  };
}
