/** Kinesis behind the core's ShardReader (lambda/core/kinesis.ts), for reading a failed batch back from its stream. */
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ShardReader } from '../core/kinesis';

let kinesis: KinesisClient | undefined;

/** HTTP/1.1: GetRecords needs no HTTP/2, and emulators do not all speak it. */
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
