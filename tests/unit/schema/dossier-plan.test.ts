/**
 * The plan the gateway makes for a dossier decides how many source round trips an officer waits
 * on. Population's first answer must not wait for the household's members' own records (a second
 * population round trip): the members are asked for beside civil status, land, BHXH and budget.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { PlanNode, QueryPlanner } from '@apollo/query-planner';
import { parse, print } from 'graphql';
import { acceptSecurityFeatures } from '../../../gateway/access/requirements';

const SUPERGRAPH = readFileSync(resolve(__dirname, '../../../schema/supergraph.graphql'), 'utf8');
const supergraph = Supergraph.build(acceptSecurityFeatures(SUPERGRAPH));
const planner = new QueryPlanner(supergraph);

const DOSSIER = `query Dossier($id: ID!) {
  citizen(personalId: $id) {
    fullName dateOfBirth
    permanentResidence { address commune { name province { name } budget(fiscalYear: 2026) { balance } } }
    household { householdId head { fullName } members { relationToHead citizen { fullName } } }
    civilStatus { maritalStatus }
    landRights { certificateNumber }
    socialInsurance { insuranceCode }
  }
}`;

interface Fetch {
  service: string;
  operation: string;
}

function planOf(query: string): PlanNode {
  const plan = planner.buildQueryPlan(operationFromDocument(supergraph.schema, parse(query)));
  if (!plan.node || plan.node.kind === 'Subscription') throw new Error('expected the plan of a query');
  return plan.node;
}

/**
 * The fetches that ask a source, in order of dependence: each element of the result waits on the
 * one before it. The household subgraph asks none (it reshapes what population sent), so its
 * fetch adds no round trip of its own.
 */
function stages(node: PlanNode): Fetch[][] {
  switch (node.kind) {
    case 'Fetch':
      return node.serviceName === 'household' ? [] : [[{ service: node.serviceName, operation: node.operation }]];
    case 'Flatten':
      return stages(node.node);
    case 'Sequence':
      return node.nodes.flatMap(stages);
    case 'Parallel': {
      // Branches run side by side: a branch's n-th fetch starts with the others' n-th, at the earliest.
      const branches = node.nodes.map(stages);
      const depth = Math.max(...branches.map((b) => b.length));
      return Array.from({ length: depth }, (_, i) => branches.flatMap((b) => b[i] ?? []));
    }
    default:
      throw new Error(`unexpected plan node ${node.kind}`);
  }
}

describe("a dossier's query plan", () => {
  const plan = stages(planOf(DOSSIER));

  it('asks population for the citizen alone first: no household member or head in that fetch', () => {
    expect(plan[0]).toHaveLength(1);
    expect(plan[0][0].service).toBe('population');
    const first = print(parse(plan[0][0].operation));
    expect(first).toMatch(/memberships/);
    expect(first).not.toMatch(/\bmembers\b|\bhead\b/);
  });

  it("asks for the members' records beside civil status, land, BHXH and budget: two source round trips in a row", () => {
    expect(plan).toHaveLength(2);
    expect(new Set(plan[1].map((f) => f.service))).toEqual(new Set(['budget', 'civil-status', 'land', 'population', 'social-insurance']));
    // The head's record and the members' records: population's fetches of the second round.
    const names = plan[1].filter((f) => f.service === 'population');
    expect(names.length).toBeGreaterThan(0);
    for (const fetch of names) expect(fetch.operation).toMatch(/\bfullName\b/);
  });
});
