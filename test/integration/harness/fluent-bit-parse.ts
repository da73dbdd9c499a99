/**
 * Runs many regex cases through ONE real Fluent Bit process (the build lib/local/fluent-bit.ts runs):
 * records go in through the `http` input (each record carries its case's tag, `tag_key`), each case has its own
 * filter on its tag (a `parser` filter with reserve_data, a `grep` filter as generated, or a `multiline` filter with
 * the generated multiline parser), and every record that leaves comes back through the `http` output to a server in
 * this process, with Fluent Bit's record time.
 *
 * Compilation is checked first and per case: in the YAML format a parser (or multiline rule) whose regex Onigmo
 * refuses aborts the whole configuration ("[parser:NAME] Invalid regex pattern …", flb_parser.c), so `fluent-bit
 * --dry-run` is repeated with each refused parser taken out, and the case keeps Fluent Bit's message. The dry run does
 * not start filters, so a grep pattern is also declared as a parser there (both go through flb_regex_create).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { FluentBitConfigDocument } from '../../../lib/agent/fluent-bit-config';
import type { FluentBitMultilineParser, FluentBitParser } from '../../../lib/agent/parser-regex';
import { fluentBitBinary, startFluentBit, waitUntil, type FluentBitProcess } from '../../../lib/local/fluent-bit';
import { freePort } from '../../../lib/local/net';

type Plugin = Record<string, unknown>;

export type FbCase =
  /** The parser applied to `key` (default `log`) of one record per value. */
  | { kind: 'parser'; parser: FluentBitParser; key?: string; values: string[] }
  /** A generated grep filter (its `regex` or `exclude` rule names the key) on one record per value. */
  | { kind: 'grep'; grep: Plugin; values: string[] }
  /** The lines, in order, through a multiline filter with the generated multiline parser: the joined events. */
  | { kind: 'multiline'; multiline: FluentBitMultilineParser; values: string[] };

export interface FbRecord {
  /** Position of the value the record was made from (a multiline event: of its first line). */
  index: number;
  /** Fluent Bit's record time, epoch milliseconds (as the opensearch output writes @timestamp). */
  time: number;
  /** The record without the harness's keys. */
  fields: Record<string, unknown>;
}

export interface FbCaseResult {
  /** What Fluent Bit printed when it refused a regex of this case; the case did not run. */
  compileError?: string;
  /** Records that left Fluent Bit, by index (grep: the kept ones; multiline: the events). */
  records: FbRecord[];
}

const TAG_KEY = 'logtong_case';
const INDEX_KEY = 'logtong_i';
const TIME_KEY = 'logtong_time';
/** Buffered multiline filters hold a last event this long before flushing it. */
const MULTILINE_FLUSH_MS = 1000;
const POST_BYTES = 2 << 20;

const tagOf = (i: number) => `c${i}`;

/** The regex a grep rule holds: what follows the first space (filter_grep splits `KEY REGEX` once). */
export function grepPattern(grep: Plugin): string {
  const rule = String(grep.regex ?? grep.exclude);
  return rule.slice(rule.indexOf(' ') + 1);
}

/** The record a grep case sends for a value: the value at the rule's record accessor (`$a` or `$a['b']…`). */
export function grepRecord(grep: Plugin, value: string): Record<string, unknown> {
  const rule = String(grep.regex ?? grep.exclude);
  const m = /^\$([^[ ]+)((?:\['[^']*'\])*) /.exec(rule);
  if (!m) throw new Error(`grep rule ${rule}: not a record accessor this harness builds records for`);
  const keys = [m[1], ...[...m[2].matchAll(/'([^']*)'/g)].map((k) => k[1])];
  return keys.reduceRight<Record<string, unknown>>((inner, k, i) => ({ [k]: i === keys.length - 1 ? value : inner }), {});
}

/** The parsers and multiline parsers of the cases still in the run, named after their tags. */
function definitions(cases: FbCase[], skip: Set<number>, forDryRun: boolean): Pick<FluentBitConfigDocument, 'parsers' | 'multiline_parsers'> {
  const parsers: FluentBitParser[] = [];
  const multiline: FluentBitMultilineParser[] = [];
  cases.forEach((c, i) => {
    if (skip.has(i)) return;
    if (c.kind === 'parser') parsers.push({ ...c.parser, name: tagOf(i) });
    else if (c.kind === 'multiline') multiline.push({ ...c.multiline, name: tagOf(i) });
    else if (forDryRun) parsers.push({ name: tagOf(i), format: 'regex', regex: grepPattern(c.grep) });
  });
  return { ...(parsers.length ? { parsers } : {}), ...(multiline.length ? { multiline_parsers: multiline } : {}) };
}

/** Dry runs until the configuration loads; returns Fluent Bit's message per refused case. */
function compileCheck(cases: FbCase[], dir: string): Map<number, string> {
  const refused = new Map<number, string>();
  const file = path.join(dir, 'dry-run.yaml');
  for (;;) {
    const doc = { service: { log_level: 'info' }, ...definitions(cases, new Set(refused.keys()), true), pipeline: { inputs: [{ name: 'dummy' }], outputs: [{ name: 'null', match: '*' }] } };
    fs.writeFileSync(file, stringify(doc, { lineWidth: 0 }));
    const r = spawnSync(fluentBitBinary(), ['--dry-run', '-c', file], { encoding: 'utf8', timeout: 30_000 });
    const out = `${r.stdout}${r.stderr}`;
    if (out.includes('configuration test is successful')) return refused;
    const m = /\[(?:parser:|multiline parser: )c(\d+)\][^\n]*/.exec(out);
    if (!m || refused.has(Number(m[1]))) throw new Error(`fluent-bit --dry-run failed for another reason than a regex:\n${out}`);
    // Onigmo's own message is not printed (flb_regex.c drops its error info): the pattern is in the parser's line
    refused.set(Number(m[1]), m[0]);
  }
}

/** One output line: Fluent Bit writes NaN and infinities as bare nan / inf (flb_pack.c %.16g), which JSON lacks. */
export function parseOutputLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line);
  } catch {
    let out = '';
    let inString = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (inString) {
        out += c;
        if (c === '\\') out += line[++i];
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      const bare = /^-?(?:nan|inf)/.exec(line.slice(i));
      if (!inString && bare) {
        out += `"\u0000${bare[0]}"`;
        i += bare[0].length - 1;
      } else out += c;
    }
    return JSON.parse(out, (_k, v) => (typeof v === 'string' && v.startsWith('\u0000') ? (v.includes('nan') ? NaN : v.startsWith('\u0000-') ? -Infinity : Infinity) : v));
  }
}

interface Receiver {
  port: number;
  lines: string[];
  close(): Promise<void>;
}

async function receiver(): Promise<Receiver> {
  const lines: string[] = [];
  const srv = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      for (const l of Buffer.concat(parts).toString('utf8').split('\n')) if (l) lines.push(l);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { port: (srv.address() as { port: number }).port, lines, close: () => new Promise((r) => srv.close(() => r())) };
}

async function post(port: number, body: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (res.status !== 201) throw new Error(`Fluent Bit's http input answered ${res.status}: ${await res.text()}`);
}

/**
 * Runs every case; returns one result per case (same order). Throws only when Fluent Bit does not run at all (a
 * configuration error that is not a regex, a crash), with its log.
 */
export async function runCases(cases: FbCase[], dir: string): Promise<FbCaseResult[]> {
  fs.mkdirSync(dir, { recursive: true });
  const refused = compileCheck(cases, dir);
  const sink = await receiver();
  const inPort = await freePort();
  const filters: Plugin[] = [];
  cases.forEach((c, i) => {
    if (refused.has(i)) return;
    const match = tagOf(i);
    if (c.kind === 'parser') filters.push({ name: 'parser', match, key_name: c.key ?? 'log', parser: match, reserve_data: true, preserve_key: false });
    else if (c.kind === 'grep') filters.push({ ...c.grep, match, alias: match });
    else filters.push({ name: 'multiline', match, alias: match, 'multiline.key_content': 'log', 'multiline.parser': match, buffer: true, flush_ms: MULTILINE_FLUSH_MS, emitter_name: `${match}_emitter` });
  });
  const doc = {
    service: { flush: 0.5, log_level: 'info', http_server: 'on', http_listen: '127.0.0.1', http_port: await freePort(), health_check: 'on' },
    ...definitions(cases, new Set(refused.keys()), false),
    pipeline: {
      inputs: [{ name: 'http', listen: '127.0.0.1', port: inPort, tag_key: TAG_KEY, buffer_max_size: '8M', buffer_chunk_size: '1M' }],
      ...(filters.length ? { filters } : {}),
      outputs: [{ name: 'http', match: '*', host: '127.0.0.1', port: sink.port, uri: '/out', format: 'json_lines', json_date_key: TIME_KEY, json_date_format: 'epoch_ms', retry_limit: 'no_retries' }],
    },
  } as unknown as FluentBitConfigDocument;

  let fb: FluentBitProcess | undefined;
  try {
    fb = await startFluentBit({ doc, dir });
    let sent = 0;
    let body: string[] = [];
    let size = 0;
    const flush = async () => {
      if (body.length) await post(inPort, `[${body.join(',')}]`);
      body = [];
      size = 0;
    };
    for (const [i, c] of cases.entries()) {
      if (refused.has(i)) continue;
      for (const [k, v] of c.values.entries()) {
        const fields = c.kind === 'grep' ? grepRecord(c.grep, v) : { [c.kind === 'parser' ? (c.key ?? 'log') : 'log']: v };
        const rec = JSON.stringify({ [TAG_KEY]: tagOf(i), [INDEX_KEY]: k, ...fields });
        body.push(rec);
        size += rec.length;
        sent++;
        if (size > POST_BYTES) await flush();
      }
    }
    await flush();
    const lastPost = Date.now();
    const multiline = cases.some((c, i) => c.kind === 'multiline' && !refused.has(i));
    let previous = -1;
    // Done when the output has processed every record that was not dropped by a filter nor is held by a multiline
    // filter. The counters behind /api/v1/metrics are refreshed about once a second. Received can stay below
    // processed: the output's decoder skips a record whose time is negative as a 32-bit number (before 1970, after
    // 2038-01-19) without a word above debug level; the cases find those missing.
    await waitUntil(
      async () => {
        // the endpoint answers an empty body until the first collection
        const m = await fb!.metrics().catch(() => undefined);
        if (!m) return false;
        const inputs = Object.entries(m.input);
        const fromHttp = inputs.filter(([k]) => k.startsWith('http')).reduce((a, [, v]) => a + v.records, 0);
        const total = inputs.reduce((a, [, v]) => a + v.records, 0);
        const dropped = Object.values(m.filter).reduce((a, f) => a + (f.drop_records ?? 0), 0);
        const processed = Object.values(m.output).reduce((a, o) => a + o.proc_records + o.dropped_records, 0);
        const settled = fromHttp === sent && processed === total - dropped && sink.lines.length === previous;
        previous = sink.lines.length;
        return settled && (!multiline || Date.now() - lastPost > 3 * MULTILINE_FLUSH_MS);
      },
      120_000,
      async () => `records sent ${sent}, received ${sink.lines.length}; metrics ${JSON.stringify(await fb!.metrics().catch((e) => String(e)))}\n${fb!.log().slice(-4000)}`,
      300,
    );
  } finally {
    await fb?.stop();
    await sink.close();
  }

  const results: FbCaseResult[] = cases.map((_, i) => ({ ...(refused.has(i) ? { compileError: refused.get(i) } : {}), records: [] }));
  for (const line of sink.lines) {
    const { [TAG_KEY]: tag, [INDEX_KEY]: index, [TIME_KEY]: time, ...fields } = parseOutputLine(line);
    const r = results[Number(String(tag).slice(1))];
    if (!r) throw new Error(`an output record of no case: ${line}`);
    r.records.push({ index: index as number, time: time as number, fields });
  }
  for (const r of results) r.records.sort((a, b) => a.index - b.index);
  return results;
}
