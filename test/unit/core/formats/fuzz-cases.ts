/**
 * The fuzz cases of fuzz.test.ts, shared with test/integration/fluent-bit-regex.test.ts (which runs the same
 * lines through the agent's regexes in the real Fluent Bit): per format, seed lines from the corpora and a seeded,
 * deterministic sequence of random byte strings and byte-level mutations of them.
 */
import { corpusLines } from '../../../corpora';
import { rng } from '../prng';

/** Bytes that matter to these formats, plus CR/LF, NUL, a BOM and pieces of multi-byte UTF-8 (some invalid). */
const SPECIAL = Buffer.from('"[]\\ -:{},.0123456789\t\r\n\x00/?=%$');
const UTF8_BITS = [Buffer.from('é'), Buffer.from('✓'), Buffer.from('😀'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xc3]), Buffer.from([0xff]), Buffer.from([0xed, 0xa0, 0x80])];
const DUPLICABLE = new Set([0x22, 0x5b, 0x5d, 0x5c, 0x7b, 0x7d]); // " [ ] \ { }

function randomByte(r: () => number): number {
  return r() < 0.5 ? SPECIAL[Math.floor(r() * SPECIAL.length)] : Math.floor(r() * 256);
}

function randomBytes(r: () => number): Buffer {
  const n = Math.floor(r() * 200);
  const out = Buffer.alloc(n);
  const printable = r() < 0.5;
  for (let i = 0; i < n; i++) out[i] = printable ? 0x20 + Math.floor(r() * 0x5f) : randomByte(r);
  return out;
}

function mutate(line: Buffer, r: () => number): Buffer {
  let b = line;
  const ops = 1 + Math.floor(r() * 4);
  for (let k = 0; k < ops; k++) {
    const at = Math.floor(r() * (b.length + 1));
    const op = r();
    if (op < 0.2) {
      b = Buffer.concat([b.subarray(0, at), Buffer.from([randomByte(r)]), b.subarray(at)]); // insert
    } else if (op < 0.35) {
      b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(r() * 8))]); // delete 1-8 bytes
    } else if (op < 0.5) {
      if (at < b.length) b = Buffer.concat([b.subarray(0, at), Buffer.from([randomByte(r)]), b.subarray(at + 1)]); // replace
    } else if (op < 0.6) {
      b = r() < 0.5 ? b.subarray(0, at) : b.subarray(at); // cut
    } else if (op < 0.85) {
      // duplicate a quote, bracket, brace or backslash (or add a backslash before one)
      const where: number[] = [];
      for (let i = 0; i < b.length; i++) if (DUPLICABLE.has(b[i])) where.push(i);
      if (where.length > 0) {
        const i = where[Math.floor(r() * where.length)];
        const add = r() < 0.7 ? b[i] : 0x5c;
        b = Buffer.concat([b.subarray(0, i), Buffer.from([add]), b.subarray(i)]);
      }
    } else {
      b = Buffer.concat([b.subarray(0, at), UTF8_BITS[Math.floor(r() * UTF8_BITS.length)], b.subarray(at)]); // multi-byte
    }
  }
  return b;
}

export interface FuzzCase {
  name: string;
  format: Record<string, unknown>;
  seeds: () => string[];
}

const APACHE_COMBINED = () => corpusLines('apache_combined_elastic_examples.log', 3000);

export const CASES: FuzzCase[] = [
  { name: 'nginx combined', format: { type: 'nginx' }, seeds: APACHE_COMBINED },
  {
    name: 'nginx custom ($host:$server_port, $request_time)',
    format: {
      type: 'nginx',
      format: '$remote_addr - $remote_user [$time_local] $host:$server_port "$request" $status $body_bytes_sent $request_time "$http_user_agent"',
    },
    seeds: () =>
      APACHE_COMBINED()
        .slice(0, 500)
        .map((l, i) => {
          const m = /^(\S+) \S+ (\S+) \[([^\]]+)\] "([^"]*)" (\d+) (\S+) "[^"]*" "(.*)"$/.exec(l);
          if (!m) return l;
          return `${m[1]} - ${m[2]} [${m[3]}] host${i % 7}.example.com:${8000 + (i % 100)} "${m[4]}" ${m[5]} ${m[6]} ${(i % 1000) / 1000} "${m[7]}"`;
        }),
  },
  { name: 'apache combined', format: { type: 'apache' }, seeds: APACHE_COMBINED },
  { name: 'json', format: { type: 'json' }, seeds: () => corpusLines('nginxplus_status_json_elastic_examples.ndjson', 200) },
  {
    name: 'regex',
    format: {
      type: 'regex',
      regex: '^\\[(?<time>[^\\]]+)\\] \\[(?<level>[a-z]+)\\] (?<message>.*)$',
      timeKey: 'time',
      timeFormat: '%a %b %d %H:%M:%S %Y',
    },
    seeds: () => corpusLines('loghub_Apache_2k.log', 2000),
  },
];

export const CASES_PER_FORMAT = 6000;

/** The case's PRNG, seeded from its name (fuzz.test.ts draws its chunk sizes from it afterwards). */
export function caseRng(name: string): () => number {
  return rng([...name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261));
}

/** CASES_PER_FORMAT inputs: a fifth random byte strings, the rest mutations of the valid seed lines. */
export function fuzzInputs(valid: Buffer[], r: () => number): Buffer[] {
  const inputs: Buffer[] = [];
  for (let i = 0; i < CASES_PER_FORMAT; i++) {
    inputs.push(r() < 0.2 ? randomBytes(r) : mutate(valid[Math.floor(r() * valid.length)], r));
  }
  return inputs;
}
