/**
 * Property / fuzz test for the nginx, apache, json and regex parsers (syslog and the text formats have their own in
 * formats/syslog/ and format-text): random byte strings and random byte-level mutations of valid corpus lines, from a
 * seeded PRNG (deterministic). Properties:
 *   - parse() never throws; it returns ok with a document, or ok=false with a non-empty reason;
 *   - the same bytes streamed through splitLines give parsed + failed = the number of non-empty input lines (nothing
 *     dropped, nothing invented), where failed counts splitLines' own failed entries (invalid UTF-8) and parse failures;
 *   - where the parser has a direct JSON writer, whatever it writes is byte for byte JSON.stringify(parse(line).doc).
 */
import { LogFormatSchema } from '../../../../lambda/core/config/log-format';
import { compileParser, type LineParser } from '../../../../lambda/core/formats';
import { isFailed, splitLines } from '../../../../lambda/core/lines';
import { CASES, CASES_PER_FORMAT, caseRng, fuzzInputs } from './fuzz-cases';

/** Non-empty lines of bytes as splitLines sees them (LF or CRLF ends a line; buf must end with LF). */
function nonEmptyLines(buf: Buffer): number {
  let n = 0;
  let start = 0;
  for (let i = buf.indexOf(10); i !== -1; start = i + 1, i = buf.indexOf(10, start)) {
    const len = i - start - (i > start && buf[i - 1] === 13 ? 1 : 0);
    if (len > 0) n++;
  }
  return n;
}

async function* chunks(buf: Buffer, r: () => number): AsyncGenerator<Buffer> {
  for (let off = 0; off < buf.length; ) {
    const size = 1 + Math.floor(r() * 8192);
    yield buf.subarray(off, off + size);
    off += size;
  }
}

const scratch = Buffer.alloc(1 << 20);

function checkParse(p: LineParser, text: string): boolean {
  let res;
  try {
    res = p.parse(text);
  } catch (e) {
    throw new Error(`parse() threw ${(e as Error).message} on ${JSON.stringify(text)}`);
  }
  if (res.ok) {
    if (typeof res.doc !== 'object' || res.doc === null) throw new Error(`ok without a document for ${JSON.stringify(text)}`);
  } else if (typeof res.reason !== 'string' || res.reason.length === 0) {
    throw new Error(`failure without a reason for ${JSON.stringify(text)}`);
  }
  if (p.json) {
    let end: number;
    try {
      end = p.json.write(text, scratch, 0);
    } catch (e) {
      throw new Error(`json.write threw ${(e as Error).message} on ${JSON.stringify(text)}`);
    }
    if (end !== -1) {
      if (!res.ok) throw new Error(`json.write wrote a line parse() rejects: ${JSON.stringify(text)}`);
      expect({ text, json: scratch.toString('utf8', 0, end) }).toEqual({ text, json: JSON.stringify(res.doc) });
    }
  }
  return res.ok;
}

describe.each(CASES)('fuzz: $name', ({ name, format, seeds }) => {
  const parser = compileParser(LogFormatSchema.parse(format));
  const valid = seeds().map((l) => Buffer.from(l));

  it('the seed lines parse (mutations start from valid lines)', () => {
    const failed = valid.filter((b) => !parser.parse(b.toString('utf8')).ok);
    expect(failed.length).toBeLessThanOrEqual(1); // the apache corpus has one bad line (8899), outside these seeds
  });

  it(`${CASES_PER_FORMAT} random and mutated lines: parse() never throws, always ok or a reason; parsed + failed = lines`, async () => {
    const r = caseRng(name);
    const inputs = fuzzInputs(valid, r);
    let directOk = 0;
    for (const b of inputs) {
      // parse() takes any string: the whole mutated buffer, embedded CR/LF included
      if (checkParse(parser, b.toString('utf8'))) directOk++;
    }

    const body = Buffer.concat([...inputs.flatMap((b) => [b, Buffer.from('\n')]), ...valid.slice(0, 50).flatMap((b) => [b, Buffer.from('\r\n')])]);
    let parsed = 0;
    let failed = 0;
    for await (const batch of splitLines(chunks(body, r), { maxLineBytes: 1_048_576 })) {
      for (const e of batch) {
        if (isFailed(e)) {
          expect(e.reason.length).toBeGreaterThan(0);
          failed++;
        } else if (checkParse(parser, e.text)) parsed++;
        else failed++;
      }
    }
    expect(parsed + failed).toBe(nonEmptyLines(body));
    // the mutations must not all be trivially rejected (or all accepted): both outcomes occur
    expect(directOk).toBeGreaterThan(0);
    expect(directOk).toBeLessThan(CASES_PER_FORMAT);
    expect(parsed).toBeGreaterThanOrEqual(50);
  });
});
