/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.[cm]?[tj]sx?$': ['@swc/jest'] },
  // hyparquet and hyparquet-writer (the Parquet reader/writer) and fauxqs (the S3/SQS emulator of lib/local) ship ES
  // modules only; jest on Node 20 runs CommonJS, so they are compiled like our own sources. Everything else in
  // node_modules is left as it is.
  transformIgnorePatterns: ['/node_modules/(?!(hyparquet|hyparquet-writer|fauxqs)/)'],
  // lib/cli/main.ts imports its commands as `./x-command.js` (what TypeScript asks of an ES import; esbuild maps it
  // to the .ts file too): map it to the source here.
  moduleNameMapper: { '^(\\./[a-z-]+-command)\\.js$': '$1' },
  // Integration suites start a real OpenSearch node; give them room without slowing unit feedback.
  testTimeout: 60_000,
  // 2-core machine: one worker per core keeps the OpenSearch JVM from starving.
  maxWorkers: 2,
};
