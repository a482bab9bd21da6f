import { Kind, parse } from 'graphql';
import { withSharedDefinitions } from '../../../lib/subgraph-sdl';

function defined(sdl: string): string[] {
  return parse(sdl).definitions.map((d) => (d.kind === Kind.DIRECTIVE_DEFINITION ? `@${d.name.value}` : 'name' in d && d.name ? d.name.value : d.kind));
}

describe('a subgraph SDL with the shared definitions', () => {
  it('gains Provenance, and the SourceSystem enum it uses, when a field returns Provenance', () => {
    const sdl = withSharedDefinitions('"R" type Record { "p" provenance: Provenance! }');
    expect(defined(sdl)).toEqual(['Record', 'Provenance', 'SourceSystem']);
  });

  it('gains only SourceSystem when that is all it uses', () => {
    expect(defined(withSharedDefinitions('"F" type Finding { "s" source: SourceSystem! }'))).toEqual(['Finding', 'SourceSystem']);
  });

  it('gains the @personal definition where @personal is used', () => {
    const sdl = withSharedDefinitions('"C" type Citizen @personal(subject: "personalId") { "i" personalId: ID! }');
    expect(defined(sdl)).toEqual(['Citizen', '@personal']);
  });

  it('is left as written when it uses none, or defines them itself', () => {
    const plain = '"Q" type Query { "a" a: Int }';
    expect(withSharedDefinitions(plain)).toBe(plain);
    const own = '"F" type Finding { "s" source: SourceSystem! } "S" enum SourceSystem { "x" X }';
    expect(withSharedDefinitions(own)).toBe(own);
  });
});
