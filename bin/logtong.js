#!/usr/bin/env node
// `npx logtong …` from a checkout: run the TypeScript entry through tsx (a devDependency), no build step.
require('tsx/cjs');
require('./logtong.ts');
