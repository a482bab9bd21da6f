/**
 * The import rules between the project's layers, checked by `npm run lint:imports` (a step of
 * `npm test`). Layers, lowest first: lib (shared code) → sources (clients of the source systems)
 * → subgraphs, gateway, mocks, schema (the product's processes and schema) → stack, scripts, bench,
 * tests (tooling around the product). A layer imports only layers below it.
 */
const TOOLING = '^(tests|scripts|bench|stack)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order fragile and the pieces impossible to understand alone: move the shared piece down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-is-the-bottom',
      severity: 'error',
      comment: 'lib is shared by every process: it imports nothing above it.',
      from: { path: '^lib/' },
      to: { path: '^(sources|subgraphs|gateway|mocks|schema|tests|scripts|bench|stack)/' },
    },
    {
      name: 'sources-import-only-lib',
      severity: 'error',
      comment: 'Source clients are used by subgraphs and tooling alike: they build on lib only.',
      from: { path: '^sources/' },
      to: { path: '^(subgraphs|gateway|mocks|schema|tests|scripts|bench|stack)/' },
    },
    {
      name: 'schema-imports-only-lib',
      severity: 'error',
      comment: 'Schema checks and composition read the directives through lib, not through the gateway.',
      from: { path: '^schema/' },
      to: { path: '^(sources|subgraphs|gateway|mocks|tests|scripts|bench|stack)/' },
    },
    {
      name: 'gateway-stands-alone',
      severity: 'error',
      comment: 'The gateway, the subgraphs and the mocks are separate processes: they share code through lib only.',
      from: { path: '^gateway/' },
      to: { path: '^(subgraphs|mocks)/' },
    },
    {
      name: 'subgraphs-stand-alone',
      severity: 'error',
      comment: 'The gateway, the subgraphs and the mocks are separate processes: they share code through lib only.',
      from: { path: '^subgraphs/' },
      to: { path: '^(gateway|mocks)/' },
    },
    {
      name: 'mocks-stand-alone',
      severity: 'error',
      comment: 'The gateway, the subgraphs and the mocks are separate processes: they share code through lib only.',
      from: { path: '^mocks/' },
      to: { path: '^(gateway|subgraphs)/' },
    },
    {
      name: 'no-sibling-subgraph',
      severity: 'error',
      comment: 'A subgraph may use subgraphs/common, never another subgraph: what two need belongs in common, sources or lib.',
      from: { path: '^subgraphs/([^/]+)/' },
      to: { path: '^subgraphs/[^/]+/', pathNot: ['^subgraphs/$1/', '^subgraphs/common/'] },
    },
    {
      name: 'product-without-tooling',
      severity: 'error',
      comment: 'What ships (lib, sources, subgraphs, gateway, mocks, schema) never depends on tests, scripts, benchmarks or the stack helpers.',
      from: { path: '^(lib|sources|subgraphs|gateway|mocks|schema)/' },
      to: { path: TOOLING },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|\\.dev)/' },
    // Type-only imports count: a type import is a dependency as much as a value import.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
