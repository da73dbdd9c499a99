import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LogFormatSchema, type LogFormat } from '../../../../lambda/core/config/log-format';
import { compileParser, type LineParser } from '../../../../lambda/core/formats';
import { groupNames } from '../../../../lambda/core/formats/regex';
import { CORPORA } from '../../../corpora';


const regex = (f: Partial<LogFormat>): LineParser => compileParser(LogFormatSchema.parse({ type: 'regex', ...f }));

// loghub Hadoop: `2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop...: msg`
const HADOOP = String.raw`^(?<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) (?<level>[A-Z]+) \[(?<thread>[^\]]*)\] (?<logger>[^:]+): (?<message>.*)$`;

describe('regex parser', () => {
  it('named groups become fields, typed from `fields`, @timestamp from timeKey', () => {
    const p = regex({
      regex: String.raw`^(?<ip>\S+) (?<status>\d+|-) (?<took>[\d.]+) (?<ok>\w+)(?: (?<extra>\S+))?$`,
      fields: { ip: 'ip', status: 'integer', took: 'float', ok: 'boolean' },
    });
    expect(p.parse('10.0.0.1 200 0.25 true')).toEqual({ ok: true, doc: { ip: '10.0.0.1', status: 200, took: 0.25, ok: true, extra: null } });
    expect(p.parse('10.0.0.1 - 0.25 false x')).toEqual({ ok: true, doc: { ip: '10.0.0.1', status: null, took: 0.25, ok: false, extra: 'x' } });
    expect(p.parse('nope')).toEqual({ ok: false, reason: 'does not match the regex' });
    expect(p.parse('10.0.0.1 99999999999 0.25 true')).toEqual({ ok: false, reason: 'status "99999999999" is not an integer in 32-bit range' });
    expect(p.parse('host 200 0.25 true')).toEqual({ ok: false, reason: 'ip "host" is not an IP address' });
    expect(p.fields).toEqual({ '@timestamp': 'date', ip: 'ip', status: 'integer', took: 'float', ok: 'boolean', extra: 'keyword' });
  });

  it('parses the loghub Hadoop corpus with a time format and zone', () => {
    const p = regex({ regex: HADOOP, timeKey: 'time', timeFormat: '%Y-%m-%d %H:%M:%S,%L', timeZone: 'Asia/Shanghai' });
    // this corpus has CRLF line ends
    const lines = readFileSync(path.join(CORPORA, 'loghub_Hadoop_2k.log'), 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
    const results = lines.map((l) => p.parse(l));
    const okDocs = results.filter((r) => r.ok).map((r) => (r as { doc: Record<string, unknown> }).doc);
    // every line of this corpus starts with the timestamp-level-thread prefix
    expect(lines).toHaveLength(2000);
    expect(okDocs).toHaveLength(2000);
    expect(okDocs.length).toBe(lines.filter((l) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} [A-Z]+ \[[^\]]*\] [^:]+: /.test(l)).length);
    const [first] = okDocs;
    const m = /^(\S+ \S+) (\S+) \[([^\]]*)\] ([^:]+): (.*)$/.exec(lines[0])!;
    expect(first).toEqual({
      '@timestamp': new Date(`${m[1].replace(' ', 'T').replace(',', '.')}+08:00`).toISOString(),
      time: m[1],
      level: m[2],
      thread: m[3],
      logger: m[4],
      message: m[5],
    });
  });

  it('rejects a timeKey that is not a group, and a regex without named groups', () => {
    expect(() => regex({ regex: '(?<a>x)', timeKey: 'b' })).toThrow(/timeKey "b" is not a named group/);
    expect(() => regex({ regex: '(x)' })).toThrow(/no named groups/);
  });

  it('groupNames skips escaped parentheses and character classes', () => {
    expect(groupNames(String.raw`\(?<no>x\) [(?<no2>] (?<yes>a)(?<also_yes>b)`)).toEqual(['yes', 'also_yes']);
  });
});
