/**
 * cdk-nag AwsSolutions over every example pipeline (and the variants): no unacknowledged error or warning, every
 * acknowledgement with a reason, and none left behind after the finding it excused went away.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Validations, type Stage } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { build, CDK_CONTEXT, exampleConfig, variantConfig, type Built } from './synth';

interface Violation {
  ruleName: string;
  severity: string;
  violatingConstructs: Array<{ constructPath: string }>;
}

/** Synthesizes with the pack registered; returns what the validation report says about AwsSolutions. */
function nagViolations(app: Stage): string[] {
  const reportFile = path.join(app.outdir, 'validation-report.json');
  try {
    app.synth();
  } catch (e) {
    // Errors fail synthesis after the report is written; it lists them (and the warnings, which do not fail).
    if (!existsSync(reportFile)) throw e;
  }
  if (!existsSync(reportFile)) return [];
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { pluginReports: Array<{ pluginName: string; violations: Violation[] }> };
  return report.pluginReports
    .filter((r) => r.pluginName === 'AwsSolutions')
    .flatMap((r) => r.violations)
    .flatMap((v) => v.violatingConstructs.map((c) => `${v.severity} ${v.ruleName} at ${c.constructPath}`));
}

/** Every finding of the pack with acknowledgements ignored, as `ruleId@constructPath`. */
function rawFindings(app: App): string[] {
  const pack = new AwsSolutionsChecks();
  // The pack consults this private method before reporting; bypassing it shows what the acknowledgements hide.
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack.validateScope(app).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName}@${r.constructPath}`));
}

/** Acknowledgements recorded with Validations.of(...).acknowledge(...): [constructPath, ruleId, reason]. */
function acknowledgements(root: IConstruct): Array<[string, string, string]> {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => [c.node.path, id, reason] as [string, string, string])),
  );
}

/** `Annotation::AwsSolutions-IAM5[…]` / `AwsSolutions::AwsSolutions-IAM5[…]` → `AwsSolutions-IAM5[…]`. */
const ruleIdOf = (qualified: string) => qualified.replace(/^(annotation|AwsSolutions)::/i, '');

describe.each([
  ['example pipelines', exampleConfig],
  ['variant pipelines', variantConfig],
])('cdk-nag AwsSolutions: %s', (_title, config) => {
  let built: Built;
  let violations: string[];
  beforeAll(() => {
    built = build(config(), { nag: true });
    violations = nagViolations(built.app);
  });

  it('reports no unacknowledged error or warning', () => {
    expect(violations).toEqual([]);
  });

  it('gives every acknowledgement a reason', () => {
    const acks = acknowledgements(built.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const [at, id, reason] of acks) {
      expect({ at, id, reason: reason.trim().length >= 30 }).toEqual({ at, id, reason: true });
    }
  });

  it('has no stale acknowledgement: each one hides a finding on that construct or below it', () => {
    const findings = rawFindings(built.app);
    const stale = acknowledgements(built.app)
      .filter(([, id]) => ruleIdOf(id).startsWith('AwsSolutions-'))
      .filter(([at, id]) => !findings.some((f) => f.startsWith(`${ruleIdOf(id)}@${at}/`) || f === `${ruleIdOf(id)}@${at}`))
      .map(([at, id]) => `${id} at ${at}`);
    expect(stale).toEqual([]);
  });
});

it('the harness sees a violation when there is one', () => {
  const app = new App({ context: CDK_CONTEXT, builtinCloudFormationValidation: false });
  new Bucket(new Stack(app, 'Bad'), 'Unlogged', { enforceSSL: true });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(nagViolations(app)).toEqual(['error AwsSolutions-S1 at Bad/Unlogged/Resource']);
});
