import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildASTSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, parse } from 'graphql';
import { composeFromConfig, readSupergraphConfig } from '../../../schema/compose';

const root = resolve(__dirname, '../../..');

describe('supergraph', () => {
  it('is what `npm run compose` writes from rover.yaml (run it after changing a subgraph schema)', () => {
    const outcome = composeFromConfig(resolve(root, 'rover.yaml'));
    if (!outcome.ok) throw new Error(`composition failed:\n${outcome.errors.join('\n')}`);
    expect(readFileSync(resolve(root, 'schema/supergraph.graphql'), 'utf8')).toBe(outcome.supergraphSdl);
  });

  it('lists the five source subgraphs and the audit subgraph', () => {
    expect(readSupergraphConfig(resolve(root, 'rover.yaml')).map((s) => s.name)).toEqual([
      'population',
      'civil-status',
      'land',
      'social-insurance',
      'budget',
      'audit',
    ]);
  });

  it('reports composition errors readably instead of writing a broken supergraph', () => {
    const outcome = composeFromConfig(resolve(__dirname, 'fixtures/broken-rover.yaml'));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.errors.join('\n')).toMatch(/Citizen\.fullName/);
  });
});

describe.each(readSupergraphConfig(resolve(root, 'rover.yaml')).map((s) => [s.name, s.schemaFile]))(
  'subgraph %s schema',
  (_name, file) => {
    // Federation directives are declared by the @link; here only the descriptions matter.
    const document = parse(readFileSync(file, 'utf8'));
    const schema = buildASTSchema(document, { assumeValid: true, assumeValidSDL: true });
    const own = new Set(document.definitions.flatMap((d) => ('name' in d && d.name ? [d.name.value] : [])));

    it('describes every type, field, argument and enum value', () => {
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
      expect(missing).toEqual([]);
    });
  },
);
