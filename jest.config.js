/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  // Integration suites start a real OpenSearch node; give them room without slowing unit feedback.
  testTimeout: 60_000,
  // 2-core machine: one worker per core keeps the OpenSearch JVM from starving.
  maxWorkers: 2,
};
