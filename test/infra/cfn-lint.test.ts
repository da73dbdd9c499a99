/**
 * cfn-lint (PyPI) over every synthesized template: no errors; warnings only where listed below with the reason.
 * A missing cfn-lint fails the suite: skipping would pass CI without the check.
 */
import { spawnSync } from 'node:child_process';
import { build, exampleConfig, variantConfig } from './synth';

interface Match {
  Filename: string;
  Level: 'Error' | 'Warning' | 'Informational';
  Message: string;
  Rule: { Id: string };
  Location: { Path: Array<string | number> };
}

/** Warnings that come from CDK's own template output, not from a choice Logtong makes. */
const JUSTIFIED_WARNINGS: Record<string, string> = {
  W3005:
    'CDK adds an explicit DependsOn next to a Ref/GetAtt (function → role, notification → queue) so the policy ' +
    'resources are ordered too; redundant for CloudFormation, harmless.',
};

let matches: Match[];

beforeAll(() => {
  const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    throw new Error(
      'cfn-lint is not installed, and this suite must not be skipped. Install it with\n' +
        "    python3 -m pip install 'cfn-lint>=1.20,<2'\n" +
        'or run `bash .ci/setup.sh`.',
    );
  }
  const templates: string[] = [];
  for (const config of [exampleConfig(), variantConfig()]) {
    const { app } = build(config);
    templates.push(...app.synth().stacks.map((s) => s.templateFullPath));
  }
  const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...templates], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  // Exit status is a bit mask: 2 errors, 4 warnings, 8 informational; anything else means cfn-lint itself failed.
  if (run.status === null || (run.status & ~(2 | 4 | 8)) !== 0) {
    throw new Error(`cfn-lint failed (status ${run.status}):\n${run.stderr}${run.stdout}`);
  }
  matches = JSON.parse(run.stdout || '[]');
}, 180_000);

const describeMatch = (m: Match) => `${m.Rule.Id} ${m.Filename.split('/').pop()} ${m.Location.Path.join('/')}: ${m.Message}`;

it('finds no errors in any template', () => {
  expect(matches.filter((m) => m.Level === 'Error').map(describeMatch)).toEqual([]);
});

it('finds no warnings except the justified ones', () => {
  expect(matches.filter((m) => m.Level === 'Warning' && !JUSTIFIED_WARNINGS[m.Rule.Id]).map(describeMatch)).toEqual([]);
});
