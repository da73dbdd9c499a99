/**
 * The Kinesis event source mapping of `logtong local` (lib/local/kinesis-lambda.ts) against the Kinesis emulator, with
 * a scripted handler: batches and checkpoints, partial batch responses, bisection, giving up after the retries, and
 * the on-failure record the failure function reads the batch back with.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { sdkShardReader } from '../../../lambda/adapters/kinesis';
import { failedBatchBackup, parseFailureNotice, shardIdOf } from '../../../lambda/core/kinesis';
import type { AwsEmulator } from '../../../lib/local/aws-emulator';
import { startKinesis, type KinesisEmulator } from '../../../lib/local/kinesis';
import { kinesisMapping, LOCAL_INFINITE_RETRIES, type KinesisMappingOptions, type KinesisOnFailureRecord } from '../../../lib/local/kinesis-lambda';
import { deployLocalStack } from '../../../lib/local/local-stack';
import { stackResources } from '../../../lib/local/stack-resources';
import type { StackTemplate } from '../../../lib/local/template';

let kin: KinesisEmulator;
let streams = 0;

beforeAll(async () => {
  kin = await startKinesis();
});
afterAll(() => kin?.stop());

interface Stream {
  readonly arn: string;
  /** Sequence number of each record put, by its text. */
  readonly seq: Record<string, string>;
}

/** A new stream holding `texts`, one record each, in that order (one partition key: one shard, unless `keyed`). */
async function streamOf(texts: string[], shards = 1, keyed = false): Promise<Stream> {
  const arn = await kin.createStream(`unit-${++streams}`, shards);
  return { arn, seq: await put(arn, texts, keyed) };
}

async function put(arn: string, texts: string[], keyed = false): Promise<Record<string, string>> {
  const res = await kin.client.send(new PutRecordsCommand({ StreamARN: arn, Records: texts.map((t) => ({ PartitionKey: keyed ? t : 'one', Data: Buffer.from(t) })) }));
  expect(res.FailedRecordCount ?? 0).toBe(0);
  return Object.fromEntries(texts.map((t, i) => [t, res.Records![i].SequenceNumber!]));
}

const textsOf = (e: KinesisStreamEvent) => e.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString('utf8'));
const records = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);

/** A mapping whose function answers with `script` (its batch's texts, how often it was called before) and records each call. */
function mapping(s: Stream, script: (texts: string[], call: number) => KinesisStreamBatchResponse | void, o: Partial<KinesisMappingOptions> = {}) {
  const calls: string[][] = [];
  const events: KinesisStreamEvent[] = [];
  const notices: KinesisOnFailureRecord[] = [];
  const poller = kinesisMapping({
    kinesis: kin.client,
    streamArn: s.arn,
    functionName: 'fn',
    batchSize: 100,
    reportBatchItemFailures: true,
    bisectBatchOnFunctionError: false,
    maximumRetryAttempts: 2,
    handler: async (event) => {
      events.push(event);
      calls.push(textsOf(event));
      return script(textsOf(event), calls.length - 1);
    },
    onFailure: async (r) => void notices.push(r),
    ...o,
  });
  const drain = async () => {
    const total = { received: 0, failed: 0 };
    for (let r = await poller.pollOnce(); r.received > 0; r = await poller.pollOnce()) {
      total.received += r.received;
      total.failed += r.failed;
    }
    return total;
  };
  return { poller, calls, events, notices, drain };
}

const poisoned = (texts: string[]) => {
  if (texts.includes('poison')) throw new Error('poison in the batch');
};

describe('a Kinesis event source mapping, locally', () => {
  it('hands each record to the function once, in order, a batch at a time, as a KinesisStreamEvent; later records are read after the checkpoint', async () => {
    const s = await streamOf(records(10));
    const m = mapping(s, () => undefined, { batchSize: 4 });
    expect(await m.poller.pollOnce()).toEqual({ received: 4, failed: 0 });
    expect(await m.drain()).toEqual({ received: 6, failed: 0 });
    expect(m.calls).toEqual([records(4), records(8).slice(4), ['r8', 'r9']]);
    const first = m.events[0].Records[0];
    expect(first).toMatchObject({ eventSource: 'aws:kinesis', eventName: 'aws:kinesis:record', eventVersion: '1.0', eventSourceARN: s.arn, awsRegion: 'us-east-1', kinesis: { partitionKey: 'one', sequenceNumber: s.seq.r0 } });
    expect(first.eventID).toBe(`shardId-000000000000:${s.seq.r0}`);
    expect([...m.poller.checkpoints]).toEqual([['shardId-000000000000', s.seq.r9]]);

    await put(s.arn, ['r10', 'r11']);
    expect(await m.drain()).toEqual({ received: 2, failed: 0 });
    expect(m.calls.at(-1)).toEqual(['r10', 'r11']);
  });

  it('a batch holds the records of one shard; every shard is read', async () => {
    const texts = records(40);
    const s = await streamOf(texts, 2, true);
    const m = mapping(s, () => undefined, { batchSize: 7 });
    expect(await m.drain()).toEqual({ received: 40, failed: 0 });
    expect(m.calls.flat().sort()).toEqual([...texts].sort());
    for (const e of m.events) expect(new Set(e.Records.map((r) => shardIdOf(r.eventID))).size).toBe(1);
    expect(new Set(m.events.map((e) => shardIdOf(e.Records[0].eventID))).size).toBe(2);
  });

  it('ReportBatchItemFailures: the batch is retried from the lowest sequence number reported, the records before it are done', async () => {
    const s = await streamOf(records(6));
    const m = mapping(s, (_t, call) => (call === 0 ? { batchItemFailures: [{ itemIdentifier: s.seq.r4 }, { itemIdentifier: s.seq.r2 }] } : undefined));
    expect(await m.drain()).toEqual({ received: 6, failed: 0 });
    expect(m.calls).toEqual([records(6), ['r2', 'r3', 'r4', 'r5']]);
  });

  it('an itemIdentifier that names no record of the batch fails it whole; without ReportBatchItemFailures the response is not read', async () => {
    const s = await streamOf(records(3));
    const m = mapping(s, (_t, call) => (call === 0 ? { batchItemFailures: [{ itemIdentifier: '' }] } : undefined));
    await m.drain();
    expect(m.calls).toEqual([records(3), records(3)]);

    const ignored = mapping(s, () => ({ batchItemFailures: [{ itemIdentifier: s.seq.r1 }] }), { reportBatchItemFailures: false });
    expect(await ignored.drain()).toEqual({ received: 3, failed: 0 });
    expect(ignored.calls).toEqual([records(3)]);
  });

  it("a function error bisects the batch without using a retry; the poison record is given up alone, with AWS's on-failure record", async () => {
    const texts = ['r0', 'r1', 'r2', 'r3', 'r4', 'poison', 'r6', 'r7'];
    const s = await streamOf(texts);
    const m = mapping(s, poisoned, { bisectBatchOnFunctionError: true, maximumRetryAttempts: 2 });
    expect(await m.drain()).toEqual({ received: 8, failed: 1 });
    expect(m.calls).toEqual([texts, texts.slice(0, 4), texts.slice(4), ['r4', 'poison'], ['r4'], ['poison'], ['poison'], ['poison'], ['r6', 'r7']]);
    expect(m.notices).toEqual([
      {
        requestContext: { requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        version: '1.0',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        KinesisBatchInfo: {
          shardId: 'shardId-000000000000',
          startSequenceNumber: s.seq.poison,
          endSequenceNumber: s.seq.poison,
          approximateArrivalOfFirstRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
          approximateArrivalOfLastRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
          batchSize: 1,
          streamArn: s.arn,
        },
      },
    ]);
    // what the failure function makes of it
    const notice = parseFailureNotice(JSON.stringify(m.notices[0]));
    expect(notice).toMatchObject({ condition: 'RetryAttemptsExhausted', functionError: 'Unhandled', batch: { shardId: 'shardId-000000000000', startSequenceNumber: s.seq.poison, batchSize: 1, streamArn: s.arn } });
    expect(m.poller.checkpoints.get('shardId-000000000000')).toBe(s.seq.r7);
  });

  it('without bisection a failing batch is retried whole and given up whole; the failure function reads exactly it back from the stream', async () => {
    const s = await streamOf(['r0', 'poison', 'r2', 'r3', 'r4']);
    const m = mapping(s, poisoned, { batchSize: 3, maximumRetryAttempts: 1 });
    expect(await m.drain()).toEqual({ received: 5, failed: 3 });
    expect(m.calls).toEqual([['r0', 'poison', 'r2'], ['r0', 'poison', 'r2'], ['r3', 'r4']]);
    expect(m.notices).toHaveLength(1);
    expect(m.notices[0].requestContext.approximateInvokeCount).toBe(2);
    expect(m.notices[0].KinesisBatchInfo).toMatchObject({ startSequenceNumber: s.seq.r0, endSequenceNumber: s.seq.r2, batchSize: 3 });

    const backup = await failedBatchBackup(JSON.stringify(m.notices[0]), sdkShardReader(kin.client), 'unit');
    expect({ records: backup.records, complete: backup.complete }).toEqual({ records: 3, complete: true });
    expect(backup.lines.slice(1).map((l) => Buffer.from(JSON.parse(l).data, 'base64').toString('utf8'))).toEqual(['r0', 'poison', 'r2']);
    expect(JSON.parse(backup.lines[0]).reason).toMatch(/RetryAttemptsExhausted, function error Unhandled/);
  });

  it('failures reported until the retries run out: the batch from the first failed record on is given up, without a function error', async () => {
    const s = await streamOf(records(5));
    const m = mapping(s, () => ({ batchItemFailures: [{ itemIdentifier: s.seq.r3 }] }), { maximumRetryAttempts: 1, bisectBatchOnFunctionError: true });
    expect(await m.drain()).toEqual({ received: 5, failed: 2 });
    expect(m.calls).toEqual([records(5), ['r3', 'r4']]);
    expect(m.notices.map((n) => ({ ...n.KinesisBatchInfo, invokes: n.requestContext.approximateInvokeCount, response: n.responseContext }))).toEqual([
      expect.objectContaining({ startSequenceNumber: s.seq.r3, endSequenceNumber: s.seq.r4, batchSize: 2, invokes: 2, response: { statusCode: 200, executedVersion: '$LATEST' } }),
    ]);
  });

  it(`MaximumRetryAttempts -1 (infinite, AWS's default) is ${LOCAL_INFINITE_RETRIES} retries locally; without a destination the batch is dropped and the shard moves on`, async () => {
    const s = await streamOf(['poison', 'r1']);
    const m = mapping(s, poisoned, { maximumRetryAttempts: -1, batchSize: 1, onFailure: undefined });
    expect(await m.drain()).toEqual({ received: 2, failed: 1 });
    expect(m.calls).toEqual([...Array.from({ length: LOCAL_INFINITE_RETRIES + 1 }, () => ['poison']), ['r1']]);
    expect(m.notices).toEqual([]);
  });
});

describe('a Kinesis mapping in a template', () => {
  const fn = { Type: 'AWS::Lambda::Function', Properties: { Code: { S3Key: 'abc.zip' }, Handler: 'index.handler', Runtime: 'nodejs20.x' } };
  const from = { FunctionName: { Ref: 'Fn' }, EventSourceArn: { 'Fn::GetAtt': ['Stream', 'Arn'] } };
  const template: StackTemplate = {
    Resources: {
      Fn: fn,
      Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 2 } },
      Failures: { Type: 'AWS::SQS::Queue' },
      Tuned: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { ...from, BatchSize: 50, MaximumRetryAttempts: 3, BisectBatchOnFunctionError: true, FunctionResponseTypes: ['ReportBatchItemFailures'], DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['Failures', 'Arn'] } } } },
      },
      Plain: { Type: 'AWS::Lambda::EventSourceMapping', Properties: from },
    },
  };

  it('its retries, bisection and destination are read, with AWS defaults where the template says nothing', () => {
    const byId = new Map(stackResources(template, '/assembly').mappings.map((m) => [m.id, m]));
    expect(byId.get('Tuned')).toMatchObject({ source: { type: 'kinesis', id: 'Stream' }, batchSize: 50, maximumRetryAttempts: 3, bisectBatchOnFunctionError: true, reportBatchItemFailures: true, onFailureQueue: 'Failures' });
    expect(byId.get('Plain')).toMatchObject({ batchSize: 100, maximumRetryAttempts: -1, bisectBatchOnFunctionError: false, reportBatchItemFailures: false });
    expect(byId.get('Plain')!.onFailureQueue).toBeUndefined();
  });

  it('a stack with streams is not deployed without a Kinesis emulator', async () => {
    // Refused before anything is made on the emulator, so none is started.
    await expect(deployLocalStack({ template, assembly: '/assembly', prefix: 'p', aws: {} as AwsEmulator })).rejects.toThrow(/has Kinesis streams \(Stream\).*needs a Kinesis emulator/);
  });
});
