import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildSchema, GraphQLObjectType } from 'graphql';
import YAML from 'yaml';
import { composeFromConfig, readSupergraphConfig } from '../../../schema/compose';
import { missingDescriptions } from '../../../schema/descriptions';
import { readSubgraphSdl } from '../../../lib/subgraph-sdl';

const root = resolve(__dirname, '../../..');

describe('supergraph', () => {
  const outcome = composeFromConfig(resolve(root, 'rover.yaml'));

  it('is what `npm run compose` writes from rover.yaml (run it after changing a subgraph schema)', () => {
    if (!outcome.ok) throw new Error(`composition failed:\n${outcome.errors.join('\n')}`);
    expect(readFileSync(resolve(root, 'schema/supergraph.graphql'), 'utf8')).toBe(outcome.supergraphSdl);
  });

  it('has its public API schema, schema/api.graphql, written beside it by `npm run compose`', () => {
    if (!outcome.ok) throw new Error(`composition failed:\n${outcome.errors.join('\n')}`);
    expect(readFileSync(resolve(root, 'schema/api.graphql'), 'utf8')).toBe(outcome.apiSchemaSdl);
  });

  it('lists the source subgraphs and the internal ones (audit, reconciliation, indicators, household)', () => {
    expect(readSupergraphConfig(resolve(root, 'rover.yaml')).map((s) => s.name)).toEqual([
      'population',
      'civil-status',
      'land',
      'social-insurance',
      'budget',
      'audit',
      'reconciliation',
      'indicators',
      'household',
    ]);
  });

  it('reports composition errors readably instead of writing a broken supergraph', () => {
    const outcome = composeFromConfig(resolve(__dirname, 'fixtures/broken-rover.yaml'));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.errors.join('\n')).toMatch(/Citizen\.fullName/);
  });
});

describe('public API schema (schema/api.graphql)', () => {
  const sdl = readFileSync(resolve(root, 'schema/api.graphql'), 'utf8');
  const schema = buildSchema(sdl);

  it('is a plain schema a code generator can read: no federation machinery, no directives', () => {
    expect(sdl).not.toMatch(/join__|link__|@inaccessible|@requiresScopes|@authenticated|@key|@link/);
    expect(Object.keys(schema.getTypeMap()).filter((name) => !name.startsWith('__') && /^(join|link)__/.test(name))).toEqual([]);
  });

  it('offers the contract\'s queries, with their descriptions', () => {
    const query = schema.getQueryType()!;
    expect(Object.keys(query.getFields()).sort()).toEqual(
      ['accessLog', 'citizen', 'citizens', 'commune', 'formerCommune', 'household', 'landParcel', 'province', 'provinces', 'sharingReport'].sort(),
    );
    expect(query.getFields().citizen.description).toMatch(/số định danh cá nhân/i);
    expect(query.getFields().citizen.args[0].description).toMatch(/12/);
  });

  it('leaves out the internal fields no token may read (jurisdiction keys), keeping the rest of their types', () => {
    const citizen = schema.getType('Citizen') as GraphQLObjectType;
    expect(Object.keys(citizen.getFields())).toEqual(expect.arrayContaining(['personalId', 'fullName', 'civilStatus', 'landRights']));
    expect(sdl).not.toMatch(/jurisdictionKey|headPersonalId/);
  });
});

describe('rover.yaml', () => {
  // Rover's supergraph config: federation_version, then subgraphs.<name>.routing_url and schema.file.
  const config = YAML.parse(readFileSync(resolve(root, 'rover.yaml'), 'utf8')) as Record<string, unknown>;

  it('is in Rover\'s format, pinned to the composition version `npm run compose` uses, so both give the same supergraph', () => {
    expect(Object.keys(config).sort()).toEqual(['federation_version', 'subgraphs']);
    const composition = (JSON.parse(readFileSync(resolve(root, 'node_modules/@apollo/composition/package.json'), 'utf8')) as { version: string }).version;
    expect(config.federation_version).toBe(`=${composition}`);
    for (const entry of Object.values(config.subgraphs as Record<string, Record<string, unknown>>)) {
      expect(Object.keys(entry).sort()).toEqual(['routing_url', 'schema']);
      expect(entry.routing_url).toMatch(/^https?:\/\/[^/]+\/graphql$/);
      expect(Object.keys(entry.schema as object)).toEqual(['file']);
    }
  });
});

describe.each(readSupergraphConfig(resolve(root, 'rover.yaml')).map((s) => [s.name, s.schemaFile]))(
  'subgraph %s schema',
  (_name, file) => {
    it('describes every type, field, argument and enum value', () => {
      expect(missingDescriptions(readSubgraphSdl(file))).toEqual([]);
    });
  },
);

describe('the description rule', () => {
  it('names every undescribed type, field, argument and enum value, and nothing described', () => {
    const sdl = `
      "Described" type Query { "described" a(x: Int): T  b: Int }
      type T { "d" c: Int }
      "E" enum E { "v" V  W }`;
    expect(missingDescriptions(sdl)).toEqual(['Query.a(x)', 'Query.b', 'T', 'E.W']);
  });
});
