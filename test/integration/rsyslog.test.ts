/**
 * Real syslog: util-linux `logger` sends RFC 5424 and RFC 3164 messages over TCP (octet-counted and LF) and UDP to a
 * real rsyslogd (test/integration/harness/rsyslog.ts), which forwards each message in RFC 5424
 * (RSYSLOG_SyslogProtocol23Format) and RFC 3164 (RSYSLOG_TraditionalForwardFormat) over TCP octet-counted, TCP LF and
 * UDP to listeners in this process. The captured bytes go through splitSyslogFrames and compileSyslog and are checked
 * field by field against what logger sent (logger -s echoes the exact message on stderr).
 *
 * Both logger and rsyslogd run with TZ=America/New_York: the RFC 3164 frames carry New York wall time, read back
 * with `timeZone: America/New_York`.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { fluentBitConfigDocument } from '../../lib/agent/fluent-bit-config';
import { parseConfig } from '../../lib/config/load';
import { LogFormatSchema, type Pipeline } from '../../lib/config/schema';
import { recordBatches } from '../../lambda/core/formats';
import { decodeBody, splitLines } from '../../lambda/core/lines';
import { compileSyslog, splitSyslogFrames } from '../../lambda/core/formats/syslog';
import { CRAFTED_MESSAGES, expectedSyslogFields, findLogger, findRsyslogd, loggerSend, RSYSLOG_SETUP_HINT, startRsyslog, type Capture, type LoggerMessage, type RsyslogInstance } from './harness/rsyslog';

const ZONE = 'America/New_York';

/** A syslog pipeline as the receivers' config generator sees it. */
function syslogPipeline(protocol: 'tcp' | 'udp', framing: 'newline' | 'octet-counting'): Pipeline {
  return parseConfig({
    syslog: { vpcId: 'vpc-0a1b2c3d', subnetIds: ['subnet-0a1b2c3d'] },
    pipelines: [{ name: 'net', source: { type: 'syslog', protocol, port: 5140, clientCidrs: ['10.0.0.0/8'], framing }, logFormat: { type: 'syslog', timeZone: ZONE }, engine: { type: 'light' } }],
  }).pipelines[0];
}
const parser = compileSyslog(LogFormatSchema.parse({ type: 'syslog', timeZone: ZONE }));
const RUN = `r${process.pid}x${Date.now().toString(36)}`;

type Sent = LoggerMessage;

let rs: RsyslogInstance;


/** Frames of a capture: TCP streams split by splitSyslogFrames (per connection), UDP: one datagram one frame. */
function framesOf(c: Capture): string[] {
  if (c.spec.protocol === 'udp') return c.reads.map((b) => b.toString('utf8'));
  return c.streams().flatMap((s) => {
    const { frames, rest } = splitSyslogFrames(s);
    expect(rest).toBe(''); // every forwarded frame is complete once the token arrived
    return frames;
  });
}

function parsed(frame: string): Record<string, unknown> {
  const r = parser.parse(frame);
  if (!r.ok) throw new Error(`forwarded frame ${JSON.stringify(frame)} does not parse: ${r.reason}`);
  return r.doc;
}

const MESSAGES: Sent[] = CRAFTED_MESSAGES.map((m) => ({ ...m, token: '' }));
MESSAGES.forEach((m, i) => {
  m.token = `${RUN}-m${i}`;
  m.text = `${m.text} ${m.token}`;
});

beforeAll(async () => {
  if (!findRsyslogd() || !findLogger()) throw new Error(`rsyslogd and logger are required for this test: ${RSYSLOG_SETUP_HINT}`);
  rs = await startRsyslog({ timeZone: ZONE });
  for (const m of MESSAGES) loggerSend(rs, m, { timeZone: ZONE });
  for (const c of Object.values(rs.captures)) {
    await c.waitFor((cap) => MESSAGES.every((m) => cap.reads.some((r) => r.includes(m.token))), 15_000);
  }
}, 60_000);

afterAll(async () => {
  await rs?.stop();
});

describe('real rsyslog → splitSyslogFrames → compileSyslog', () => {
  it('runs rsyslogd as the unprivileged user, bound to 127.0.0.1', () => {
    expect(rs.pid).toBeDefined();
    const ps = spawnSync('ps', ['-o', 'user=', '-p', String(rs.pid)], { encoding: 'utf8' });
    if (process.getuid?.() === 0) expect(ps.stdout.trim()).toBe('logtong');
    const ss = spawnSync('ss', ['-Htlnup'], { encoding: 'utf8' });
    if (ss.status === 0) {
      const mine = ss.stdout.split('\n').filter((l) => l.includes(`pid=${rs.pid},`));
      expect(mine.length).toBeGreaterThan(0);
      // the inputs and omfwd's sending sockets: all on loopback
      for (const l of mine) expect(l).toMatch(/ 127\.0\.0\.1:\d+ /);
      expect(mine.some((l) => l.startsWith('tcp') && l.includes(`127.0.0.1:${rs.tcpPort} `))).toBe(true);
      expect(mine.some((l) => l.startsWith('udp') && l.includes(`127.0.0.1:${rs.udpPort} `))).toBe(true);
    }
  });

  it('logger itself sent what we think (its -s copy parses)', () => {
    for (const m of MESSAGES) {
      const { frames } = splitSyslogFrames(m.wire!, true);
      expect(frames).toHaveLength(1);
      const d = parsed(frames[0]);
      expect(d.app_name).toBe(m.tag);
      expect(d.message).toBe(m.text);
      expect(d.version).toBe(m.proto === '5424' ? 1 : null);
    }
  });

  const CAPTURES = ['tcp5424octet', 'tcp5424lf', 'udp5424', 'tcp3164lf', 'udp3164'] as const;
  for (const name of CAPTURES) {
    it(`${name}: every message arrives once and parses field by field`, () => {
      const out5424 = name.includes('5424');
      const frames = framesOf(rs.captures[name]);
      for (const m of MESSAGES) {
        const mine = frames.filter((f) => f.includes(m.token));
        expect(mine).toHaveLength(1);
        const d = parsed(mine[0]);
        const orig = parsed(splitSyslogFrames(m.wire!, true).frames[0]);
        const ctx = `${name} ← ${m.proto}/${m.transport}: ${mine[0]}`;
        const expected = expectedSyslogFields(m, out5424, orig.hostname);
        expect({ ctx, ...pick(d, Object.keys(expected)) }).toEqual({ ctx, ...expected });
        expect(orig.hostname).toBe(m.proto === '5424' ? os.hostname() : os.hostname().split('.')[0]);

        // structured data passes through rsyslog untouched (escapes included); 3164 has none
        if (out5424 && m.proto === '5424' && !m.notq) {
          expect(d.structured_data).toEqual(orig.structured_data);
          expect(d.structured_data).toMatchObject({ timeQuality: { tzKnown: '1', isSynced: '0' } });
        } else {
          expect(d.structured_data).toBeNull();
        }
        if (m.sd && out5424) {
          expect(d.structured_data).toMatchObject({ 'zoo@32473': { tiger: 'hun"gry', path: 'C:\\dir]x' } });
        }

        // time: exact (µs → ms) when RFC 5424 in and out; whole seconds when either side is RFC 3164
        const origMs = Date.parse(orig['@timestamp'] as string);
        const gotMs = Date.parse(d['@timestamp'] as string);
        expect(d.timestamp).toBe(d['@timestamp']);
        expect(Math.abs(Date.now() - origMs)).toBeLessThan(120_000);
        if (out5424 && m.proto === '5424') expect(gotMs).toBe(origMs);
        else expect(gotMs).toBe(Math.floor(origMs / 1000) * 1000);
      }
    });
  }

  // The syslog receiver (lib/agent/fluent-bit-config.ts) takes each frame whole with its raw-frame parser and the S3
  // buffer holds one `log` per line; the processor then parses those lines. Fluent Bit itself cannot run here: its
  // in_syslog framing (TCP: LF-delimited, the LF dropped; UDP: one datagram one message) is modelled, the parser regex
  // and the buffer object layout are the generated ones.
  // Octet counting (input `format: octet_counting`, Fluent Bit 4.2+) is modelled by splitSyslogFrames.
  for (const name of ['tcp5424lf', 'tcp3164lf', 'tcp5424octet', 'udp5424', 'udp3164'] as const) {
    it(`${name}: through the receiver's generated parser and the S3 buffer, the processor parses what rsyslog sent`, async () => {
      const octet = name === 'tcp5424octet';
      const doc = fluentBitConfigDocument(syslogPipeline(name.startsWith('udp') ? 'udp' : 'tcp', octet ? 'octet-counting' : 'newline'), {
        region: 'us-east-1',
        bucketName: 'buffer',
      });
      const input = doc.pipeline.inputs[0];
      expect(input.format).toBe(octet ? 'octet_counting' : undefined);
      const rawParser = doc.parsers!.find((p) => p.name === input.parser)!;
      const re = new RegExp(rawParser.regex!);
      const c = rs.captures[name];
      const messages = name.startsWith('udp')
        ? c.reads.map((b) => b.toString('utf8').replace(/\n$/, ''))
        : octet
          ? framesOf(c)
          : c.streams().flatMap((st) => st.split('\n').filter((l) => l.length > 0));
      // the s3 output with log_key log: each record's `log`, one per line, gzipped
      const body = gzipSync(Buffer.from(messages.map((m) => `${re.exec(m)!.groups!.log}\n`).join('')));
      const viaBuffer: Record<string, unknown>[] = [];
      for await (const batch of recordBatches(parser, splitLines(decodeBody(Readable.from([body])), { maxLineBytes: 1 << 20 }))) {
        for (const l of batch) {
          if ('reason' in l) throw new Error(`line ${l.lineNo}: ${l.reason}`);
          const r = parser.parse(l.text);
          if (!r.ok) throw new Error(`buffered line ${JSON.stringify(l.text)} does not parse: ${r.reason}`);
          viaBuffer.push(r.doc);
        }
      }
      expect(viaBuffer).toEqual(framesOf(c).map(parsed));
      expect(viaBuffer.filter((d) => MESSAGES.some((m) => String(d.message).includes(m.token)))).toHaveLength(MESSAGES.length);
    });
  }

  it('tcp5424octet: the raw stream written to a file (count prefixes and all) parses line by line as its frames do', async () => {
    const c = rs.captures.tcp5424octet;
    const body = Buffer.from(c.streams().join(''));
    expect(body.toString('utf8')).toMatch(/^[1-9]\d* </);
    const docs: Record<string, unknown>[] = [];
    for await (const batch of splitLines(decodeBody(Readable.from([body])), { maxLineBytes: 1 << 20 })) {
      for (const l of batch) {
        if ('reason' in l) throw new Error(`line ${l.lineNo}: ${l.reason}`);
        docs.push(parsed(l.text));
      }
    }
    expect(docs).toEqual(framesOf(c).map(parsed));
    expect(docs.filter((d) => MESSAGES.some((m) => String(d.message).includes(m.token)))).toHaveLength(MESSAGES.length);
  });

  it('rsyslog does not add timeQuality: logger does (--rfc5424=notq sends none, rsyslog forwards none)', () => {
    const notq = MESSAGES.find((m) => m.notq)!;
    expect(notq.wire).not.toContain('timeQuality');
    const withTq = MESSAGES.find((m) => m.proto === '5424' && !m.notq)!;
    expect(withTq.wire).toContain('[timeQuality tzKnown="1" isSynced="0"]');
  });

  it('framing facts: octet counts are UTF-8 bytes including the trailing LF; 3164 over UDP has no LF', () => {
    const raw = Buffer.concat(rs.captures.tcp5424octet.reads);
    let i = 0;
    let n = 0;
    while (i < raw.length) {
      const sp = raw.indexOf(0x20, i);
      const len = Number(raw.subarray(i, sp).toString('latin1'));
      expect(raw.subarray(i, sp).toString('latin1')).toMatch(/^[1-9]\d*$/);
      const msg = raw.subarray(sp + 1, sp + 1 + len);
      expect(msg[0]).toBe(0x3c); // '<'
      expect(msg[msg.length - 1]).toBe(0x0a); // the count includes rsyslog's trailing LF
      i = sp + 1 + len;
      n++;
    }
    expect(i).toBe(raw.length);
    expect(n).toBe(MESSAGES.length);
    const multiByte = framesOf(rs.captures.tcp5424octet).find((f) => f.includes('ünïcödé'))!;
    expect(Buffer.byteLength(multiByte)).toBeGreaterThan(multiByte.length);

    for (const d of rs.captures.udp3164.reads) expect(d[d.length - 1]).not.toBe(0x0a);
    for (const d of rs.captures.udp5424.reads) expect(d[d.length - 1]).toBe(0x0a);
    for (const s of rs.captures.tcp3164lf.streams()) expect(s.endsWith('\n')).toBe(true);
    expect(rs.captures.tcp3164lf.streams().join('')).not.toMatch(/^\d+ </m);
  });

  it('splitting the real streams at any byte gives the same frames (a read may hold several frames or a part of one)', () => {
    for (const name of ['tcp5424octet', 'tcp5424lf', 'tcp3164lf']) {
      const c = rs.captures[name];
      const whole = framesOf(c);
      expect(whole.length).toBe(MESSAGES.length);
      for (const stream of c.streams()) {
        const buf = Buffer.from(stream);
        for (let cut = 0; cut <= buf.length; cut++) {
          const dec = new TextDecoder('utf-8');
          const a = splitSyslogFrames(dec.decode(buf.subarray(0, cut), { stream: true }));
          const b = splitSyslogFrames(a.rest + dec.decode(buf.subarray(cut)));
          expect(b.rest).toBe('');
          expect([...a.frames, ...b.frames]).toEqual(splitSyslogFrames(stream).frames);
        }
      }
    }
    // several frames in one read: logger sends one message per connection, rsyslog batches what it forwards
    const reads = rs.captures.tcp5424octet.reads.map((r) => splitSyslogFrames(r.toString('utf8'), true).frames.length);
    expect(reads.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(MESSAGES.length);
  });
});

function pick(d: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, d[k]]));
}
