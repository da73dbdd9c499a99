/**
 * A Kinesis emulator for `logtong local` and the integration tests: kinesis-local (the Node build of kinesis-mock;
 * pure JS, in memory) in a child process on free 127.0.0.1 ports: plain HTTP for the SDK, TLS (its own self-signed
 * certificate) for clients that speak TLS only, such as Fluent Bit's kinesis_streams output. `readStream` reads what
 * is in a stream the way an event source mapping hands it to the processor.
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisStreamRecord } from 'aws-lambda';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePorts } from './net';
import { packageDir } from './paths';

export interface KinesisEmulator {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** TLS port on 127.0.0.1 (self-signed certificate). */
  tlsPort: number;
  /** The TLS port's certificate (PEM file), for clients that always verify (Fluent Bit's kinesis_streams). */
  certificateFile: string;
  client: KinesisClient;
  /** Creates a provisioned stream and waits until it is ACTIVE; returns its ARN. */
  createStream(name: string, shards: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startKinesis(): Promise<KinesisEmulator> {
  const dir = packageDir('kinesis-local');
  const [plain, tls] = await freePorts(2);
  const child: ChildProcess = spawn(process.execPath, [path.join(dir, 'main.js')], {
    env: { ...process.env, KINESIS_MOCK_PLAIN_PORT: String(plain), KINESIS_MOCK_TLS_PORT: String(tls), KINESIS_MOCK_CERT_PATH: path.join(dir, 'server.json'), LOG_LEVEL: 'WARN', CREATE_STREAM_DURATION: '0ms', SHOULD_PERSIST_DATA: 'false' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const endpoint = `http://127.0.0.1:${plain}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`kinesis-local exited: ${stderr}`);
    const up = await fetch(endpoint, { method: 'POST' }).then(() => true, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`kinesis-local did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const certificateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logtong-kinesis-')), 'server.pem');
  fs.writeFileSync(certificateFile, (JSON.parse(fs.readFileSync(path.join(dir, 'server.json'), 'utf8')) as { server: { cert: string } }).server.cert);
  const client = new KinesisClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, requestHandler: new NodeHttpHandler() });
  return {
    endpoint,
    tlsPort: tls,
    certificateFile,
    client,
    async createStream(name, shards) {
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      for (;;) {
        const d = (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!;
        if (d.StreamStatus === 'ACTIVE') return d.StreamARN!;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        client.destroy();
        if (child.exitCode !== null) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export interface ReadStreamOptions {
  /** At most this many records of each shard: an event source mapping reads one batch at a time. @default all */
  readonly maxPerShard?: number;
}

/** Every record of every shard of a stream after `after` (exclusive, per shard), as the event source mapping reads them. */
export async function readStream(kinesis: KinesisClient, streamArn: string, after: ReadonlyMap<string, string> = new Map(), opts: ReadStreamOptions = {}): Promise<Map<string, KinesisStreamRecord[]>> {
  const out = new Map<string, KinesisStreamRecord[]>();
  const max = opts.maxPerShard ?? Infinity;
  // The records name the stream's region, as Lambda's do (arn:aws:kinesis:<region>:…).
  const region = streamArn.split(':')[3] || 'us-east-1';
  const shards = (await kinesis.send(new ListShardsCommand({ StreamARN: streamArn }))).Shards!;
  for (const s of shards) {
    const shardId = s.ShardId!;
    const from = after.get(shardId);
    let it = (
      await kinesis.send(
        new GetShardIteratorCommand({ StreamARN: streamArn, ShardId: shardId, ...(from ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: from } : { ShardIteratorType: 'TRIM_HORIZON' }) }),
      )
    ).ShardIterator;
    const recs: KinesisStreamRecord[] = [];
    while (it && recs.length < max) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: it, Limit: Math.min(10_000, max - recs.length) }));
      for (const r of page.Records ?? []) {
        recs.push({
          awsRegion: region,
          eventID: `${shardId}:${r.SequenceNumber}`,
          eventName: 'aws:kinesis:record',
          eventSource: 'aws:kinesis',
          eventSourceARN: streamArn,
          eventVersion: '1.0',
          invokeIdentityArn: 'arn:aws:iam::000000000000:role/processor',
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: r.PartitionKey!,
            sequenceNumber: r.SequenceNumber!,
            data: Buffer.from(r.Data!).toString('base64'),
            approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
          },
        });
      }
      if ((page.Records ?? []).length === 0 && page.MillisBehindLatest === 0) break;
      it = page.NextShardIterator;
    }
    out.set(shardId, recs);
  }
  return out;
}
