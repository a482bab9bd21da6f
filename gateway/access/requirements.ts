/**
 * The supergraph keeps the access directives (read by lib/access-requirements.ts);
 * `acceptSecurityFeatures` only lifts @apollo/gateway's refusal to load a supergraph whose `@link`
 * marks them `for: SECURITY`, because the gateway's access control is what enforces them.
 */
import { ConstDirectiveNode, parse, print, visit } from 'graphql';
import { isSecurityLink } from '../../lib/schema-directives';

/**
 * The supergraph as the gateway should load it: identical, except that the `@link`s of the two
 * security features gateway/access enforces no longer say `for: SECURITY`. Any other SECURITY
 * feature (one nothing here enforces) is left as is, so the gateway still refuses it.
 */
export function acceptSecurityFeatures(supergraphSdl: string): string {
  const document = parse(supergraphSdl);
  let changed = false;
  const accepted = visit(document, {
    Directive(node) {
      if (node.name.value !== 'link') return undefined;
      if (!isSecurityLink(node as ConstDirectiveNode)) return undefined;
      changed = true;
      return { ...node, arguments: node.arguments?.filter((a) => a.name.value !== 'for') };
    },
  });
  return changed ? print(accepted) : supergraphSdl;
}
