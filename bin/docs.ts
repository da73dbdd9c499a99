/** `npm run docs`: rewrites the README config reference and pipelines.schema.json from the schema. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchema, withConfigReference } from '../lib/config/docs';

const root = join(__dirname, '..');
const readme = join(root, 'README.md');
writeFileSync(readme, withConfigReference(readFileSync(readme, 'utf8')));
writeFileSync(join(root, 'pipelines.schema.json'), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log('README.md config reference and pipelines.schema.json regenerated');
