/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  // Only packages that ship ESM alone need transforming to CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(jose|p-limit|yocto-queue)/)'],
  testMatch: ['<rootDir>/tests/**/*.test.ts', '<rootDir>/{gateway,subgraphs,sources,mocks,lib}/**/*.test.ts'],
  testTimeout: 30000,
  // Test files run one after another in a worker that is replaced once its heap passes 1 GB.
  // Node's own long-lived handles (prom-client's event-loop-delay histogram and GC observer,
  // which a process creates once but the suites create with every service they start) keep the
  // async context of the jest hook that created them, and through it that file's whole module
  // registry: one process running all files in band grew by 60-100 MB per integration suite and
  // ran out of heap (4 GB) two thirds of the way through.
  workerIdleMemoryLimit: '1GB',
  // Suites start real servers and child processes; if one ever leaves a handle open, the run
  // must still end (and report) rather than hang CI.
  forceExit: true,
};
