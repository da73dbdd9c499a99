/**
 * On-failure destination of the Kinesis event source mapping (SQS). The mapping sends only where a batch that
 * exhausted its retries or its age was (shard, first and last sequence number); this reads those records back from
 * the stream and writes them raw to the backup bucket with the reason, so the batch is not lost when the mapping
 * moves on. A message that fails here stays on the queue (and its DLQ drains into the backup bucket).
 */
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { gzipSync } from 'node:zlib';
import { requireEnv, s3Client } from '../adapters/aws';
import { compareSequence, parseFailureNotice, readBatch, streamNameOf, type ShardReader } from '../core/kinesis';

const logger = new Logger();
const processor = new BatchProcessor(EventType.SQS);

let kinesis: KinesisClient | undefined;

/** The SDK behind the reader interface. HTTP/1.1: GetRecords needs no HTTP/2, and emulators do not all speak it. */
export function sdkShardReader(client: KinesisClient = (kinesis ??= new KinesisClient({ requestHandler: new NodeHttpHandler() }))): ShardReader {
  return {
    async iteratorAt(streamArn, shardId, sequenceNumber) {
      const res = await client.send(new GetShardIteratorCommand({ StreamARN: streamArn, ShardId: shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: sequenceNumber }));
      return res.ShardIterator;
    },
    async records(iterator, limit) {
      const res = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
      return {
        records: (res.Records ?? []).map((r) => ({ sequenceNumber: r.SequenceNumber!, partitionKey: r.PartitionKey ?? '', data: r.Data ?? new Uint8Array(), approximateArrivalTimestamp: r.ApproximateArrivalTimestamp })),
        next: res.NextShardIterator,
        millisBehindLatest: res.MillisBehindLatest,
      };
    },
  };
}

export function failedBatchKey(pipeline: string, streamArn: string, shardId: string, start: string, end: string): string {
  return `${pipeline}/failed-batches/kinesis/${streamNameOf(streamArn)}/${shardId}/${start}-${end}.ndjson.gz`;
}

/** Reads the batch a notice describes and writes it to the backup bucket; returns the key. */
export async function backupFailedBatch(body: string, reader: ShardReader, bucket: string, pipeline: string): Promise<{ key: string; records: number; complete: boolean }> {
  const notice = parseFailureNotice(body);
  const b = notice.batch;
  const read = await readBatch(reader, b);
  const first = read.records[0]?.sequenceNumber;
  const notes: string[] = [];
  // Records older than the stream's retention are gone; say so rather than pretend the dump is whole.
  if (first === undefined || compareSequence(first, b.startSequenceNumber) > 0) notes.push('records from the start of the batch were no longer in the stream');
  if (!read.complete) notes.push('the end of the batch was not reached');
  const reason = `Kinesis batch discarded by the event source mapping (${notice.condition ?? 'unknown condition'}${notice.functionError ? `, function error ${notice.functionError}` : ''})${notes.length ? `; ${notes.join('; ')}` : ''}`;
  const failedAt = new Date().toISOString();
  const lines = read.records.map((r) =>
    JSON.stringify({
      pipeline,
      failedAt,
      streamArn: b.streamArn,
      shardId: b.shardId,
      sequenceNumber: r.sequenceNumber,
      partitionKey: r.partitionKey,
      approximateArrivalTimestamp: r.approximateArrivalTimestamp?.toISOString(),
      reason,
      data: Buffer.from(r.data).toString('base64'),
    }),
  );
  // The notice itself too: with the records gone, it is the only trace of the batch.
  const header = JSON.stringify({ pipeline, failedAt, reason, notice: JSON.parse(body), recordsRead: read.records.length });
  const key = failedBatchKey(pipeline, b.streamArn, b.shardId, b.startSequenceNumber, b.endSequenceNumber);
  await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync([header, ...lines].join('\n') + '\n'), ContentType: 'application/gzip' }));
  return { key, records: read.records.length, complete: read.complete && notes.length === 0 };
}

async function onRecord(record: SQSRecord): Promise<void> {
  const r = await backupFailedBatch(record.body, sdkShardReader(), requireEnv('BACKUP_BUCKET'), requireEnv('PIPELINE_NAME'));
  logger[r.complete ? 'warn' : 'error']('failed Kinesis batch backed up', { ...r, messageId: record.messageId });
}

export const handler = async (event: SQSEvent, context: Context) => {
  logger.addContext(context);
  return processPartialResponse(event, onRecord, processor, { context });
};
