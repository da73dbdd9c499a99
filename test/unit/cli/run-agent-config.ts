/** `logtong agent-config` run in-process, its standard output as text (the CLI tests' way of calling it). */
import { PassThrough } from 'node:stream';
import { runAgentConfig } from '../../../lib/cli/agent-config-command';

export function runAgentConfigText(argv: string[]): string {
  const stdout = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (c) => out.push(c));
  runAgentConfig(argv, { stdout });
  return Buffer.concat(out).toString('utf8');
}
