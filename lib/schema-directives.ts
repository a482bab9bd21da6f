/**
 * The product's access contract as the subgraph schemas declare it, read the same way by the
 * gateway (from the composed supergraph), by every subgraph (from its own SDL) and by the schema
 * build: Federation's @authenticated and @requiresScopes, and the product's own @personal.
 */
import { ConstDirectiveNode, DocumentNode, Kind } from 'graphql';

/**
 * Held by the gateway alone. Alone in a requirement it marks an internal field (a jurisdiction
 * key, a record's subjects) that no token may read; beside other scopes it marks a field that
 * @requires internal data, which the gateway's query plan supplies itself.
 */
export const GATEWAY_INTERNAL_SCOPE = 'gateway:internal';

export const AUTHENTICATED_SPEC = 'https://specs.apollo.dev/authenticated/';
export const REQUIRES_SCOPES_SPEC = 'https://specs.apollo.dev/requiresScopes/';
/** The product's declaration of what is personal (subgraphs import it with @link and @composeDirective). */
export const PERSONAL_SPEC = 'https://specs.cong-du-lieu-xa.gov.vn/personal/';

/**
 * `@personal` as declared. On a type: every record is about the people its `subject` field names
 * and lies where its `jurisdiction` field says. On a field: `subject` names the argument that
 * names the person (located through the root field `locatedBy`), or `listing` marks a list of the
 * people of the parent record's `jurisdiction` (served strictly inside the caller's jurisdiction).
 */
export interface PersonalDeclaration {
  subject?: string;
  jurisdiction?: string;
  locatedBy?: string;
  listing: boolean;
}

export interface DirectiveNames {
  authenticated: string;
  requiresScopes: string;
  personal: string;
}

function linkUrl(directive: ConstDirectiveNode): string | null {
  const url = directive.arguments?.find((a) => a.name.value === 'url')?.value;
  return url?.kind === Kind.STRING ? url.value : null;
}

/** The names the directives carry in this document: `@link(…, as:)` or `import: [{ name, as }]` may rename them. */
export function directiveNames(document: DocumentNode): DirectiveNames {
  const names: DirectiveNames = { authenticated: 'authenticated', requiresScopes: 'requiresScopes', personal: 'personal' };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const url = linkUrl(directive) ?? '';
      const as = directive.arguments?.find((a) => a.name.value === 'as')?.value;
      const alias = as?.kind === Kind.STRING ? as.value : null;
      if (url.startsWith(AUTHENTICATED_SPEC) && alias) names.authenticated = alias;
      if (url.startsWith(REQUIRES_SCOPES_SPEC) && alias) names.requiresScopes = alias;
      if (url.startsWith(PERSONAL_SPEC) && alias) names.personal = alias;
    }
  }
  return names;
}

export function isSecurityLink(directive: ConstDirectiveNode): boolean {
  const url = linkUrl(directive) ?? '';
  return url.startsWith(AUTHENTICATED_SPEC) || url.startsWith(REQUIRES_SCOPES_SPEC);
}

/** `@requiresScopes(scopes: [[…], […]])`: alternatives (OR) of scope sets (AND). */
export function scopesArgument(directive: ConstDirectiveNode): string[][] {
  const value = directive.arguments?.find((a) => a.name.value === 'scopes')?.value;
  if (value?.kind !== Kind.LIST) return [];
  return value.values.map((alternative) =>
    alternative.kind === Kind.LIST ? alternative.values.flatMap((scope) => (scope.kind === Kind.STRING ? [scope.value] : [])) : [],
  );
}

/**
 * The scope sets a definition declares: `[]` for @authenticated alone (any signed-in caller),
 * null when it declares neither directive.
 */
export function declaredScopes(directives: readonly ConstDirectiveNode[] | undefined, names: DirectiveNames): string[][] | null {
  let scopes: string[][] | null = null;
  for (const directive of directives ?? []) {
    if (directive.name.value === names.authenticated) scopes ??= [];
    if (directive.name.value === names.requiresScopes) scopes = scopesArgument(directive);
  }
  return scopes;
}

export function personalDeclaration(directives: readonly ConstDirectiveNode[] | undefined, names: DirectiveNames): PersonalDeclaration | undefined {
  const directive = directives?.find((d) => d.name.value === names.personal);
  if (!directive) return undefined;
  const text = (name: string): string | undefined => {
    const value = directive.arguments?.find((a) => a.name.value === name)?.value;
    return value?.kind === Kind.STRING ? value.value : undefined;
  };
  const listing = directive.arguments?.find((a) => a.name.value === 'listing')?.value;
  return {
    subject: text('subject'),
    jurisdiction: text('jurisdiction'),
    locatedBy: text('locatedBy'),
    listing: listing?.kind === Kind.BOOLEAN && listing.value,
  };
}
