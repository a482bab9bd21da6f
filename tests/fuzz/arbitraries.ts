/**
 * What the fuzz suite throws at the gateway (fast-check arbitraries): raw request bodies, GraphQL
 * documents built from the real schema and then broken, variables of every JSON shape, personal
 * IDs near and far from the rules, and access tokens forged, cut and garbled.
 */
import fc from 'fast-check';
import { getNamedType, GraphQLField, GraphQLObjectType, GraphQLSchema, isObjectType } from 'graphql';

/** A request as sent: body bytes, content type, and the Authorization header (null: none). */
export interface RawRequest {
  method: 'POST' | 'GET';
  contentType: string | null;
  body: string | Uint8Array;
  /** For GET: the query string after `?`. */
  search?: string;
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/graphql-response+json',
  'application/graphql',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  '',
];

/** Scalars and structures a caller might put anywhere a value goes. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { maxDepth: 3 },
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, 1e308, -0, 0.5, '', ' ', '\u0000', '__proto__', 'constructor', 'toString'),
  fc.array(fc.string({ maxLength: 14 }), { maxLength: 150 }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'query', 'id', 'ids', 'first'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
);

/** Bodies of every kind: JSON shaped like a GraphQL request (or almost), other JSON, and bytes. */
export function requestBodies(validQueries: fc.Arbitrary<string>): fc.Arbitrary<RawRequest> {
  const operation = fc.record(
    { query: fc.oneof(validQueries, anyJson), variables: anyJson, operationName: anyJson, extensions: anyJson },
    { requiredKeys: [] },
  );
  const json = fc.oneof(operation, fc.array(operation, { maxLength: 12 }), anyJson).map((value) => JSON.stringify(value) ?? 'null');
  const brokenJson = fc.tuple(json, fc.nat(), fc.string({ unit: 'binary-ascii', maxLength: 3 })).map(([text, at, junk]) => {
    const i = text.length === 0 ? 0 : at % text.length;
    return text.slice(0, i) + junk + text.slice(i + 1);
  });
  return fc.oneof(
    fc.record({ method: fc.constant('POST' as const), contentType: fc.constantFrom(...CONTENT_TYPES, null), body: fc.oneof(json, brokenJson) }),
    fc.record({ method: fc.constant('POST' as const), contentType: fc.constantFrom(...CONTENT_TYPES), body: fc.uint8Array({ maxLength: 512 }) }),
    fc.record({
      method: fc.constant('GET' as const),
      contentType: fc.constant(null),
      body: fc.constant(''),
      search: fc.oneof(
        validQueries.map((q) => `query=${encodeURIComponent(q)}`),
        fc.string({ unit: 'binary', maxLength: 80 }).map((s) => `query=${encodeURIComponent(s)}&variables=${encodeURIComponent(s)}`),
        fc.string({ unit: 'binary-ascii', maxLength: 80 }).map((s) => s.replace(/[#\s]/g, '')),
      ),
    }),
  );
}

function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '0';
  if (value !== null && typeof value === 'object') return `{ ${Object.entries(value).map(([k, v]) => `${/^[_A-Za-z]\w*$/.test(k) ? k : 'k'}: ${literal(v)}`).join(', ')} }`;
  return JSON.stringify(value) ?? 'null';
}

const argumentValue = fc.oneof(
  fc.stringMatching(/^\d{12}$/),
  fc.stringMatching(/^\d{2,5}$/),
  fc.integer({ min: -5, max: 300 }),
  fc.constantFrom(2025, 2026, 1, 0, -1, 100, 101, 2 ** 31),
  fc.string({ maxLength: 12 }),
  fc.array(fc.stringMatching(/^\d{12}$/), { maxLength: 5 }),
  fc.boolean(),
  fc.constant(null),
);

/** A selection set on `type`, from its real fields, `depth` levels down at most. */
function selection(schema: GraphQLSchema, type: GraphQLObjectType, depth: number): fc.Arbitrary<string> {
  const fields = Object.values(type.getFields()) as GraphQLField<unknown, unknown>[];
  const field = fc.constantFrom(...fields).chain((chosen) => {
    const named = getNamedType(chosen.type);
    const args = fc.subarray(chosen.args.map((a) => a.name)).chain((names) => fc.tuple(...names.map((name) => argumentValue.map((v) => `${name}: ${literal(v)}`))));
    const sub = isObjectType(named) ? (depth > 0 ? selection(schema, named, depth - 1) : fc.constant('{ __typename }')) : fc.constant('');
    const alias = fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null });
    return fc.tuple(alias, args, sub).map(([as, given, below]) => `${as ? `${as}: ` : ''}${chosen.name}${given.length > 0 ? `(${given.join(', ')})` : ''} ${below}`);
  });
  return fc.array(field, { minLength: 1, maxLength: 4 }).map((parts) => `{ ${parts.join(' ')} }`);
}

/** Queries that follow the schema (arguments of any value), and the same queries broken. */
export function schemaQueries(schema: GraphQLSchema): fc.Arbitrary<string> {
  const valid = selection(schema, schema.getQueryType()!, 3);
  const broken = fc.tuple(valid, fc.nat(), fc.nat(), fc.string({ unit: 'binary-ascii', maxLength: 4 })).map(([text, at, cut, junk]) => {
    const i = at % (text.length + 1);
    return text.slice(0, i) + junk + text.slice(i + (cut % 4));
  });
  const hostile = fc.oneof(
    fc.integer({ min: 1, max: 3000 }).map((n) => `${'{ a '.repeat(n)}${'}'.repeat(n)}`),
    fc.integer({ min: 1, max: 400 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: provinces { code }`).join(' ')} }`),
    fc.integer({ min: 1, max: 200 }).map((n) => `{ provinces ${'@include(if: true) '.repeat(n)}{ code } }`),
    fc.constant('query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }'),
    fc.constant('query A { provinces { code } } query B { provinces { name } }'),
    fc.constant('mutation { provinces { code } }'),
    fc.constant('subscription { provinces { code } }'),
    fc.integer({ min: 1, max: 50 }).map((n) => `{ provinces { communes { residents(first: ${n}) { nodes { household { members { citizen { landRights { parcel { owners { citizen { fullName } } } } } } } } } } } }`),
    fc.string({ unit: 'binary', maxLength: 200 }),
  );
  return fc.oneof({ weight: 4, arbitrary: valid }, { weight: 3, arbitrary: broken }, { weight: 2, arbitrary: hostile });
}

/** Operations with variables, and variables of any shape for them. */
export const OPERATIONS_WITH_VARIABLES = [
  'query D($id: ID!) { citizen(personalId: $id) { personalId fullName household { householdId } civilStatus { maritalStatus } landRights { certificateNumber } socialInsurance { status } } }',
  'query C($ids: [ID!]!) { citizens(personalIds: $ids) { personalId fullName } }',
  'query R($code: ID!, $n: Int, $after: String) { commune(code: $code) { name residents(first: $n, after: $after) { totalCount nodes { personalId } pageInfo { endCursor } } } }',
  'query B($code: ID!, $year: Int!) { province(code: $code) { name budget(fiscalYear: $year) { balance } } }',
  'query L($id: ID!, $first: Int) { accessLog(personalId: $id, first: $first) { at purpose fields } }',
  'query P($parcel: ID!) { landParcel(parcelId: $parcel) { parcelId area owners { share } } }',
  'query H($id: ID!) { household(householdId: $id) { householdId members { relationToHead } } }',
];

export const variables: fc.Arbitrary<{ query: string; variables: unknown }> = fc.record({
  query: fc.constantFrom(...OPERATIONS_WITH_VARIABLES),
  variables: fc.oneof(
    anyJson,
    fc.record({ id: anyJson, ids: anyJson, code: anyJson, n: anyJson, after: anyJson, year: anyJson, first: anyJson, parcel: anyJson }, { requiredKeys: [] }),
  ),
});

/** Personal IDs: well-formed (real or not), nearly so, and nothing like one. */
export const personalIds: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('001', '024', '079', '999', '000'), fc.integer({ min: 0, max: 9 }), fc.stringMatching(/^\d{8}$/)).map(([p, g, rest]) => `${p}${g}${rest}`),
  fc.stringMatching(/^\d{1,20}$/),
  fc.stringMatching(/^\d{12}$/).map((id) => ` ${id}\t`),
  fc.stringMatching(/^\d{12}$/).map((id) => id.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d)))), // Arabic-Indic digits
  fc.stringMatching(/^\d{12}$/).map((id) => `${id}\u0000`),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', 'null', 'undefined', '0'.repeat(12), '9'.repeat(12), "' OR 1=1 --", '../../etc/passwd', '%00', '${7*7}', '1e11'),
  fc.integer({ min: 1, max: 20_000 }).map((n) => '1'.repeat(n)),
);

/** Authorization headers: a valid token cut, garbled or re-signed with `none`, and junk. */
export function authorizations(validToken: string): fc.Arbitrary<string | null> {
  const [header, payload, signature] = validToken.split('.');
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const flip = fc.tuple(fc.nat(), fc.constantFrom(...'ABCxyz019-_.=')).map(([at, c]) => {
    const i = at % validToken.length;
    return validToken.slice(0, i) + c + validToken.slice(i + 1);
  });
  const tokens = fc.oneof(
    flip,
    fc.nat({ max: validToken.length }).map((n) => validToken.slice(0, n)),
    fc.constant(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`),
    fc.constant(`${b64({ alg: 'HS256', typ: 'JWT' })}.${payload}.${signature}`),
    fc.constant(`${header}.${b64({ sub: 'x', scope: 'population:read gateway:internal', jurisdiction: '*', client_id: 'x', exp: 9_999_999_999 })}.${signature}`),
    fc.constant(`${payload}.${header}.${signature}`),
    fc.jsonValue({ maxDepth: 2 }).map((claims) => `${header}.${b64(claims)}.${signature}`),
    fc.string({ unit: 'grapheme-ascii', maxLength: 200 }),
    fc.integer({ min: 1, max: 12_000 }).map((n) => `${header}.${'A'.repeat(n)}.${signature}`),
  );
  return fc.oneof(
    tokens.map((token) => `Bearer ${token}`),
    tokens.map((token) => `bearer  ${token}`),
    tokens,
    fc.constantFrom('Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', '', `Bearer ${validToken} extra`),
    fc.constant(null),
  );
}
