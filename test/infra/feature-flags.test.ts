/**
 * cdk.json sets every feature flag aws-cdk-lib recommends, so `cdk synth` has none unconfigured and a new one (an
 * aws-cdk-lib upgrade) fails here until someone decides it. The few kept at their old value are the ones that would
 * change what is already deployed; README (Set-up) says why for each.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { build, CDK_CONTEXT, configOf, exampleConfig } from './synth';

const recommended: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(path.dirname(require.resolve('aws-cdk-lib/package.json')), 'recommended-feature-flags.json'), 'utf8'),
);

/** Flags deliberately not at the recommended value, with the value cdk.json keeps. */
const KEPT: Record<string, unknown> = {
  // Exports: a pipeline stack cannot be destroyed while LogtongSyslog still uses its configuration.
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
  // A log group of the same name as the one Lambda created on the start-once function's first run: deploy fails.
  '@aws-cdk/aws-lambda:useCdkManagedLogGroup': false,
  // Keeps the logtong:pipeline / logtong:shared tags on the stacks themselves.
  '@aws-cdk/core:explicitStackTags': false,
  // No more usage data than version reporting already sends.
  '@aws-cdk/core:enableAdditionalMetadataCollection': false,
};

describe('feature flags', () => {
  it('configures every recommended flag: new ones need a decision', () => {
    const missing = Object.keys(recommended).filter((flag) => !(flag in CDK_CONTEXT));
    expect(missing).toEqual([]);
  });

  it('departs from the recommended value only where decided', () => {
    const departures = Object.fromEntries(
      Object.keys(recommended)
        .filter((flag) => JSON.stringify(CDK_CONTEXT[flag]) !== JSON.stringify(recommended[flag]))
        .map((flag) => [flag, CDK_CONTEXT[flag]]),
    );
    expect(departures).toEqual(KEPT);
  });

  it('keeps stack-level tags (explicitStackTags off): deployed stacks keep theirs', () => {
    const example = exampleConfig();
    const assembly = build(configOf({ ...example, pipelines: example.pipelines.filter((p) => p.name === 'web-access') } as never)).app.synth();
    expect(assembly.getStackByName('Logtong-web-access').tags).toEqual({ 'logtong:pipeline': 'web-access' });
    expect(assembly.getStackByName('LogtongSyslog').tags).toEqual({ 'logtong:shared': 'syslog' });
  });
});
