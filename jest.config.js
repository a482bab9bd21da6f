/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  // Only packages that ship ESM alone need transforming to CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(jose|p-limit|yocto-queue)/)'],
  testMatch: ['<rootDir>/tests/**/*.test.ts', '<rootDir>/{gateway,subgraphs,sources,mocks,lib}/**/*.test.ts'],
  testTimeout: 30000,
  // Suites start real servers and child processes; if one ever leaves a handle open, the run
  // must still end (and report) rather than hang CI.
  forceExit: true,
};
