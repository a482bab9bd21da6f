/**
 * The schema documents itself: every type, field, argument and enum value a subgraph defines
 * carries a description (Vietnamese first, then the English term). Used by `npm run schema:check`
 * and by the subgraph schema tests, so both hold the same rule.
 */
import { buildASTSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, parse } from 'graphql';

/** Schema coordinates (`Type`, `Type.field`, `Type.field(arg)`, `Enum.VALUE`) that lack a description. */
export function missingDescriptions(sdl: string): string[] {
  // Federation directives are declared by the @link; here only the descriptions matter.
  const document = parse(sdl);
  const schema = buildASTSchema(document, { assumeValid: true, assumeValidSDL: true });
  const own = new Set(document.definitions.flatMap((d) => ('name' in d && d.name ? [d.name.value] : [])));
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!own.has(type.name) || type.name.startsWith('__')) continue;
    if (!type.description) missing.push(type.name);
    if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${type.name}.${field.name}`);
        for (const arg of 'args' in field ? field.args : []) {
          if (!arg.description) missing.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`);
    }
  }
  return missing;
}
