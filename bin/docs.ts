/**
 * `npm run docs`: rewrites the README config reference and pipelines.schema.json from the schema, and the README list
 * of the agent's differences from the processor from lib/agent/differences.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_DIFFERENCES_BEGIN, AGENT_DIFFERENCES_END, agentDifferencesMarkdown } from '../lib/agent/differences';
import { betweenMarkers, configJsonSchema, withConfigReference } from '../lib/config/docs';

const root = join(__dirname, '..');
const readme = join(root, 'README.md');
const withReference = withConfigReference(readFileSync(readme, 'utf8'));
writeFileSync(readme, betweenMarkers(withReference, AGENT_DIFFERENCES_BEGIN, AGENT_DIFFERENCES_END, agentDifferencesMarkdown()));
writeFileSync(join(root, 'pipelines.schema.json'), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log('README.md config reference and agent differences, pipelines.schema.json regenerated');
