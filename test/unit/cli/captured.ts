/** A stream a CLI test hands to a command in place of stdout or stderr, and what was written to it. */
import { PassThrough } from 'node:stream';

export function captured(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
