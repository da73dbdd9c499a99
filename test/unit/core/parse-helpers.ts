import type { LineParser } from '../../../lambda/core/formats';

/** The document of a line that must parse; the failure reason otherwise makes the test message. */
export function ok(p: LineParser, line: string): Record<string, unknown> {
  const r = p.parse(line);
  if (!r.ok) throw new Error(`expected ${line.slice(0, 120)} to parse: ${r.reason}`);
  return r.doc;
}

/** The reason of a line that must not parse. */
export function reason(p: LineParser, line: string): string {
  const r = p.parse(line);
  if (r.ok) throw new Error(`expected ${line.slice(0, 120)} to fail`);
  return r.reason;
}
