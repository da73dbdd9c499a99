#!/usr/bin/env node
// The built CLI (dist/cli, committed and kept current by a test): no TypeScript, no devDependency at run time.
'use strict';
// `logtong parse … | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
import('../dist/cli/logtong.mjs').then(({ main }) =>
  main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then((code) => {
    process.exitCode = code;
  }),
);
