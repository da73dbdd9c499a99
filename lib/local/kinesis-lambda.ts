/**
 * What a Lambda Kinesis event source mapping does, for `logtong local` and the tests, against the Kinesis emulator
 * (kinesis.ts): per shard, from TRIM_HORIZON, one batch at a time after the shard's checkpoint, handed to the
 * function as a real KinesisStreamEvent. A batch that fails is retried until it succeeds or runs out of retries, as
 * in AWS (services-kinesis-batchfailurereporting, kinesis-on-failure-destination):
 *
 *  - ReportBatchItemFailures: the lowest sequence number the function reports becomes the checkpoint; the records
 *    from it to the end of the batch are retried (one retry). An empty or unknown itemIdentifier fails the batch whole.
 *  - BisectBatchOnFunctionError: an invocation that throws or times out splits the batch in two, each half retried on
 *    its own; splitting uses no retry, so a poison record ends alone in its batch.
 *  - MaximumRetryAttempts: a batch retried that often is given up: its on-failure record (where the batch was, never
 *    its data) goes to the mapping's destination and the checkpoint moves past it.
 *
 * Not modelled: MaximumRecordAgeInSeconds and the batching window (a local run takes minutes, not hours), the backoff
 * between retries (retries follow at once), and parallel shards: shards take turns, because every invocation of a
 * function goes to its one local process, where concurrent invocations would share module state that Lambda keeps
 * apart in separate sandboxes.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { KinesisBatchInfo } from '../../lambda/core/kinesis';
import { readStream } from './kinesis';
import { lambdaContext, type PollResult } from './sqs-lambda';
import type { LocalMapping } from './stack-resources';

export type KinesisHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse | void>;

/**
 * What Lambda sends to a Kinesis mapping's on-failure destination (SQS, SNS) for a batch it gave up: AWS's format
 * ("Example invocation record" in kinesis-on-failure-destination), which lambda/handlers/kinesis-failure.ts parses.
 */
export interface KinesisOnFailureRecord {
  readonly requestContext: { readonly requestId: string; readonly functionArn: string; readonly condition: 'RetryAttemptsExhausted'; readonly approximateInvokeCount: number };
  /** functionError: `Unhandled` when the last invocation threw or timed out; absent when it reported failed items. */
  readonly responseContext: { readonly statusCode: number; readonly executedVersion: string; readonly functionError?: string };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly KinesisBatchInfo: Required<KinesisBatchInfo>;
}

/**
 * What MaximumRetryAttempts -1 (infinite, AWS's default) means locally. In AWS a batch that always fails is retried
 * until its records leave the stream (24 hours at least) or pass MaximumRecordAgeInSeconds, holding its shard all the
 * while; locally no such time passes, so it would hold the shard, and drain(), for ever. Ten immediate retries tell a
 * function that fails for good from one that failed once, and then the batch goes where AWS would eventually send it.
 */
export const LOCAL_INFINITE_RETRIES = 10;

export interface KinesisMappingOptions extends Pick<LocalMapping, 'batchSize' | 'reportBatchItemFailures' | 'bisectBatchOnFunctionError' | 'maximumRetryAttempts'> {
  readonly kinesis: KinesisClient;
  readonly streamArn: string;
  readonly handler: KinesisHandler;
  /** The function's name: its invocation context, and the functionArn of on-failure records. */
  readonly functionName: string;
  /** Sends the on-failure record of a batch given up to the mapping's destination. @default dropped (no destination) */
  readonly onFailure?: (record: KinesisOnFailureRecord) => Promise<void>;
}

export interface KinesisMappingPoller {
  /**
   * One batch of each shard, from its checkpoint: invoked, retried, bisected or given up until the checkpoint is past
   * it. `received`: the records read from the stream (each once, however often it was retried); `failed`: those given
   * up (sent to the on-failure destination).
   */
  pollOnce(): Promise<PollResult>;
  /** Per shard, the last sequence number done with: handled, or given up. */
  readonly checkpoints: ReadonlyMap<string, string>;
}

/** How one invocation went: done; failed from `retryFrom` (an index in the batch) on; or thrown (a function error). */
type Outcome = { readonly kind: 'done' } | { readonly kind: 'partial'; readonly retryFrom: number } | { readonly kind: 'error' };

export function kinesisMapping(o: KinesisMappingOptions): KinesisMappingPoller {
  const checkpoints = new Map<string, string>();
  const maxRetries = o.maximumRetryAttempts < 0 ? LOCAL_INFINITE_RETRIES : o.maximumRetryAttempts;
  const [, , , region, account] = o.streamArn.split(':');

  const invoke = async (batch: readonly KinesisStreamRecord[]): Promise<Outcome> => {
    let out: KinesisStreamBatchResponse | void;
    try {
      out = await o.handler({ Records: [...batch] }, lambdaContext(o.functionName));
    } catch {
      return { kind: 'error' };
    }
    const failures = o.reportBatchItemFailures ? (out?.batchItemFailures ?? []) : [];
    if (failures.length === 0) return { kind: 'done' };
    const at = failures.map((f) => batch.findIndex((r) => r.kinesis.sequenceNumber === f?.itemIdentifier));
    // An identifier that names no record of the batch (empty, null, another key) fails the batch whole, as in AWS.
    return { kind: 'partial', retryFrom: at.some((i) => i < 0) ? 0 : Math.min(...at) };
  };

  const giveUp = async (shardId: string, batch: readonly KinesisStreamRecord[], invocations: number, last: Outcome): Promise<void> => {
    const arrival = (r: KinesisStreamRecord) => new Date(r.kinesis.approximateArrivalTimestamp * 1000).toISOString();
    await o.onFailure?.({
      requestContext: { requestId: randomUUID(), functionArn: `arn:aws:lambda:${region}:${account}:function:${o.functionName}`, condition: 'RetryAttemptsExhausted', approximateInvokeCount: invocations },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(last.kind === 'error' ? { functionError: 'Unhandled' } : {}) },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId,
        startSequenceNumber: batch[0].kinesis.sequenceNumber,
        endSequenceNumber: batch[batch.length - 1].kinesis.sequenceNumber,
        approximateArrivalOfFirstRecord: arrival(batch[0]),
        approximateArrivalOfLastRecord: arrival(batch[batch.length - 1]),
        batchSize: batch.length,
        streamArn: o.streamArn,
      },
    });
  };

  /** Delivers a batch until it is done or given up; returns how many of its records were given up. */
  const deliver = async (shardId: string, batch: readonly KinesisStreamRecord[], retries: number): Promise<number> => {
    const outcome = await invoke(batch);
    if (outcome.kind === 'done') return 0;
    if (outcome.kind === 'error' && o.bisectBatchOnFunctionError && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      return (await deliver(shardId, batch.slice(0, half), retries)) + (await deliver(shardId, batch.slice(half), retries));
    }
    const rest = outcome.kind === 'partial' ? batch.slice(outcome.retryFrom) : batch;
    if (retries >= maxRetries) {
      await giveUp(shardId, rest, retries + 1, outcome);
      return rest.length;
    }
    return deliver(shardId, rest, retries + 1);
  };

  return {
    checkpoints,
    async pollOnce() {
      const byShard = await readStream(o.kinesis, o.streamArn, checkpoints, { maxPerShard: o.batchSize });
      const total: PollResult = { received: 0, failed: 0 };
      for (const [shardId, batch] of byShard) {
        if (batch.length === 0) continue;
        total.failed += await deliver(shardId, batch, 0);
        total.received += batch.length;
        checkpoints.set(shardId, batch[batch.length - 1].kinesis.sequenceNumber);
      }
      return total;
    },
  };
}
