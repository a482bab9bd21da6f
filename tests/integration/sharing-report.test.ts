/**
 * The data-sharing report end to end: reads under procedures, free text and a citizen's own token
 * go through the gateway, and refusals (a field outside the procedure, a procedure not in the
 * catalogue); `sharingReport` then answers totals equal to what the audit log it was computed from
 * holds (counted here straight from the log file, refusals apart), and the CSV command's totals
 * equal the GraphQL ones. It needs audit:report and no purpose, checks its period, and is never
 * served from the response cache.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Citizen } from '../../mocks';
import { richCitizens } from '../../stack/dossier';
import { REPO_ROOT, Stack, startStack } from '../../stack/stack';

let stack: Stack;
let people: Citizen[];

const from = new Date(Date.now() - 3_600_000).toISOString();
const to = new Date(Date.now() + 3_600_000).toISOString();

const REPORT = `query Report($from: DateTime!, $to: DateTime!) {
  sharingReport(from: $from, to: $to) {
    from to refusalsRecorded unreadableEntries
    rows { clientId source purposeKind procedure { code name } reads requests persons fieldReads fields refusals }
    totals { clients reads requests persons fieldReads fields refusals }
  }
}`;

interface Totals {
  clients: number;
  reads: number;
  requests: number;
  persons: number;
  fieldReads: number;
  fields: string[];
  refusals: number | null;
}
interface Row extends Omit<Totals, 'clients'> {
  clientId: string;
  source: string | null;
  purposeKind: string | null;
  procedure: { code: string; name: string } | null;
}
interface Report {
  sharingReport: { from: string; to: string; refusalsRecorded: boolean; unreadableEntries: number; rows: Row[]; totals: Totals };
}

const procedure = (token: string, code: string, dossier: string) => ({ authorization: `Bearer ${token}`, 'x-procedure': code, 'x-dossier': dossier });

beforeAll(async () => {
  stack = await startStack({ mocks: { worldSize: 2000, worldSeed: 'sharing-report' } });
  people = richCitizens(stack.mocks.world, 3);
  const desk = await stack.token({ purpose: '', sub: 'can-bo-1', client: 'tthc-bac-ninh' });
  const otherDesk = await stack.token({ purpose: '', sub: 'can-bo-2', client: 'tthc-ha-noi', jurisdiction: '*' });
  const inspector = await stack.token({ purpose: 'Thanh tra 2026', sub: 'thanh-tra', client: 'thanh-tra-tinh' });
  const self = await stack.token({ scope: 'self', sub: people[0].personalId, jurisdiction: undefined, purpose: undefined });
  const reads: Array<[string, Record<string, unknown>, Record<string, string>]> = [
    ['query($id: ID!) { citizen(personalId: $id) { fullName civilStatus { maritalStatus } } }', { id: people[0].personalId }, procedure(desk, 'local:marital-status-confirmation', 'HS-1')],
    ['query($id: ID!) { citizen(personalId: $id) { fullName civilStatus { maritalStatus } } }', { id: people[1].personalId }, procedure(desk, 'local:marital-status-confirmation', 'HS-2')],
    ['query($ids: [ID!]!) { citizens(personalIds: $ids) { fullName household { householdId } } }', { ids: people.map((p) => p.personalId) }, procedure(desk, 'local:birth-registration', 'HS-3')],
    ['query($id: ID!) { citizen(personalId: $id) { fullName landRights { certificateNumber } } }', { id: people[2].personalId }, procedure(otherDesk, 'local:land-use-right-transfer', 'HS-4')],
    ['query($id: ID!) { citizen(personalId: $id) { fullName socialInsurance { status } } }', { id: people[1].personalId }, { authorization: `Bearer ${inspector}` }],
    ['query($id: ID!) { citizen(personalId: $id) { fullName } }', { id: people[0].personalId }, { authorization: `Bearer ${self}` }],
  ];
  for (const [query, variables, headers] of reads) {
    const { status, body } = await stack.query(query, variables, headers);
    expect([status, body.errors ?? []]).toEqual([200, []]);
  }
  const outsideProcedure = await stack.query('query($id: ID!) { citizen(personalId: $id) { fullName landRights { certificateNumber } } }', { id: people[0].personalId }, procedure(desk, 'local:marital-status-confirmation', 'HS-5'));
  expect(outsideProcedure.body.errors?.[0].extensions).toMatchObject({ reason: 'OUTSIDE_PROCEDURE' });
  const unknown = await stack.query('query($id: ID!) { citizen(personalId: $id) { fullName } }', { id: people[0].personalId }, procedure(desk, 'local:no-such', 'HS-6'));
  expect(unknown.status).toBe(400);
}, 90_000);
afterAll(() => stack?.close());

type LoggedEntry = { at: string; requestId: string; personalId: string; clientId: string; fields: string[]; kind?: string };

/** The log's entries of the period: every one, the reads, the refusals. */
function logEntries(): { all: LoggedEntry[]; reads: LoggedEntry[]; refusals: LoggedEntry[] } {
  const all = readFileSync(stack.gatewayConfig.auditFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LoggedEntry)
    .filter((e) => e.at >= from && e.at < to);
  return { all, reads: all.filter((e) => e.kind === undefined), refusals: all.filter((e) => e.kind === 'refusal') };
}

async function report(): Promise<Report['sharingReport']> {
  const auditor = await stack.token({ scope: 'audit:report', purpose: '', sub: 'can-bo-cntt', client: 'so-khcn' });
  const { status, body } = await stack.query<Report>(REPORT, { from, to }, { authorization: `Bearer ${auditor}` });
  expect([status, body.errors ?? []]).toEqual([200, []]);
  return body.data!.sharingReport;
}

it('totals add up to the audit log the report was computed from', async () => {
  const answer = await report();
  const { all, reads: entries, refusals } = logEntries();
  expect(entries.length).toBeGreaterThanOrEqual(8);
  expect(refusals.length).toBeGreaterThanOrEqual(2);
  expect(answer.totals).toEqual({
    clients: new Set(all.map((e) => e.clientId)).size,
    reads: entries.length,
    requests: new Set(entries.map((e) => e.requestId)).size,
    persons: new Set(entries.map((e) => e.personalId)).size,
    fieldReads: entries.reduce((sum, e) => sum + e.fields.length, 0),
    fields: [...new Set(entries.flatMap((e) => e.fields))].sort(),
    refusals: refusals.length,
  });
  expect(answer).toMatchObject({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), refusalsRecorded: true, unreadableEntries: 0 });
});

it('one row per calling system × source × procedure, with the procedure named', async () => {
  const { rows } = await report();
  const marital = rows.find((r) => r.clientId === 'tthc-bac-ninh' && r.source === 'civil-status' && r.procedure?.code === 'local:marital-status-confirmation');
  expect(marital).toMatchObject({ purposeKind: 'PROCEDURE', reads: 2, requests: 2, persons: 2, refusals: 0, procedure: { name: expect.any(String) } });
  // The refused field's source, under the procedure that may not read it; the unknown procedure, with no source.
  const land = rows.find((r) => r.clientId === 'tthc-bac-ninh' && r.source === 'land' && r.procedure?.code === 'local:marital-status-confirmation');
  expect(land).toMatchObject({ reads: 0, refusals: 1 });
  expect(rows.find((r) => r.clientId === 'tthc-bac-ninh' && r.procedure?.code === 'local:no-such')).toMatchObject({ source: null, reads: 0, persons: 0, refusals: 1 });
  expect(marital!.fields).toContain('Citizen.civilStatus');
  const birth = rows.find((r) => r.clientId === 'tthc-bac-ninh' && r.source === 'population' && r.procedure?.code === 'local:birth-registration');
  expect(birth).toMatchObject({ reads: 3, requests: 1, persons: 3 });
  expect(rows.find((r) => r.clientId === 'tthc-ha-noi' && r.source === 'land')).toMatchObject({ purposeKind: 'PROCEDURE', procedure: { code: 'local:land-use-right-transfer' } });
  expect(rows.find((r) => r.clientId === 'thanh-tra-tinh' && r.source === 'social-insurance')).toMatchObject({ purposeKind: 'FREE_TEXT', procedure: null, persons: 1 });
  expect(rows.some((r) => r.purposeKind === 'SELF' && r.source === 'population')).toBe(true);
});

it('the CSV command gives the same totals as the query', async () => {
  const answer = await report();
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/audit-sharing-report.ts'), '--from', from, '--to', to, '--file', stack.gatewayConfig.auditFile], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const lines = run.stdout.replace(/^\uFEFF/, '').trimEnd().split('\r\n');
  expect(lines[0].split(',')).toEqual(expect.arrayContaining(['client_id', 'source', 'procedure_code', 'requests', 'persons', 'field_reads', 'refusals']));
  expect(lines).toHaveLength(answer.rows.length + 2);
  const total = lines[lines.length - 1].split(',');
  const t = answer.totals;
  expect(total[0]).toBe(`TOTAL (systems: ${t.clients})`);
  expect(total.slice(5, 11)).toEqual([t.reads, t.requests, t.persons, t.fieldReads, t.fields.length, t.fields.join(' ')].map(String));
  expect(total[11]).toBe(String(t.refusals));
}, 30_000);

it('needs audit:report but no purpose; neither a desk reading citizens\' histories (audit:read) nor a citizen token can read it', async () => {
  for (const scope of ['population:read civil-status:read', 'audit:read']) {
    const noScope = await stack.token({ scope, purpose: '' });
    const refused = await stack.query<Report>(REPORT, { from, to }, { authorization: `Bearer ${noScope}` });
    expect(refused.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'MISSING_SCOPE', scope: 'audit:report' });
  }
  const self = await stack.token({ scope: 'self', sub: people[0].personalId, jurisdiction: undefined, purpose: undefined });
  const selfAnswer = await stack.query<Report>(REPORT, { from, to }, { authorization: `Bearer ${self}` });
  expect(selfAnswer.body.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'MISSING_SCOPE' });
});

it('refuses a bad period with BAD_USER_INPUT naming the rule', async () => {
  const auditor = await stack.token({ scope: 'audit:report', purpose: '' });
  const ask = (f: string, t: string) => stack.query<Report>(REPORT, { from: f, to: t }, { authorization: `Bearer ${auditor}` });
  const backwards = await ask('2026-02-01', '2026-01-01');
  expect(backwards.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('"from" must be earlier than "to"') });
  const tooLong = await ask('2025-01-01', '2026-06-01');
  expect(tooLong.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('366 days') });
  const malformed = await ask('01/01/2026', '2026-02-01');
  expect(malformed.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'from' } });
});

it('is never answered from the response cache: a new read shows at once', async () => {
  const before = await report();
  const desk = await stack.token({ purpose: '', client: 'tthc-bac-ninh' });
  await stack.query('query($id: ID!) { citizen(personalId: $id) { fullName } }', { id: people[2].personalId }, procedure(desk, 'local:birth-registration', 'HS-9'));
  const after = await report();
  expect(after.totals.reads).toBe(before.totals.reads + 1);
});
