/**
 * `npm run docs`: rewrites the README config reference and pipelines.schema.json from the schema, the README list
 * of the agent's differences from the processor from lib/agent/differences.ts, and the picture of the example
 * dashboard (docs/dashboard-web-access.svg) from its synthesized body.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { ALARMS_BEGIN, ALARMS_END, alarmsMarkdown } from '../lib/config/alarms';
import { loadConfig } from '../lib/config/load';
import { DASHBOARD_PICTURE, dashboardSvg, templateDashboardWidgets } from '../lib/docs/dashboard-svg';
import { AGENT_DIFFERENCES_BEGIN, AGENT_DIFFERENCES_END, agentDifferencesMarkdown } from '../lib/agent/differences';
import { betweenMarkers, configJsonSchema, withConfigReference } from '../lib/config/docs';

const root = join(__dirname, '..');
const readme = join(root, 'README.md');
const withReference = withConfigReference(readFileSync(readme, 'utf8'));
const withDifferences = betweenMarkers(withReference, AGENT_DIFFERENCES_BEGIN, AGENT_DIFFERENCES_END, agentDifferencesMarkdown());
writeFileSync(readme, betweenMarkers(withDifferences, ALARMS_BEGIN, ALARMS_END, alarmsMarkdown()));
writeFileSync(join(root, 'pipelines.schema.json'), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);

// Synthesized as `cdk synth` would (cdk.json's context), into a scratch directory.
const outdir = mkdtempSync(join(tmpdir(), 'logtong-docs-'));
const app = new App({ context: JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')).context, outdir });
const stack = buildApp(app, loadConfig(join(root, 'pipelines.yaml'))).find((s) => s.pipeline.name === DASHBOARD_PICTURE.pipeline)!;
const template = app.synth().getStackByName(stack.stackName).template;
mkdirSync(join(root, 'docs'), { recursive: true });
writeFileSync(join(root, DASHBOARD_PICTURE.file), dashboardSvg(templateDashboardWidgets(template), DASHBOARD_PICTURE.title));
rmSync(outdir, { recursive: true, force: true });
console.log(`README.md config reference and agent differences, pipelines.schema.json, ${DASHBOARD_PICTURE.file} regenerated`);
