/**
 * What a Lambda SQS event source mapping does, for `logtong local` and the integration tests, against the emulated
 * queue (aws-emulator.ts): receive, hand the messages to the handler as a real SQSEvent, delete the ones it did not
 * report as failed. Failed messages come back after their visibility timeout and go to the DLQ after
 * maxReceiveCount, exactly as in AWS.
 */
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

export const lambdaContext = (name: string): Context =>
  ({
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: `req-${Date.now()}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 300_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

export async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  return res.Attributes?.QueueArn ?? `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').pop()}`;
}

export interface PollResult {
  received: number;
  failed: number;
}

/** One poll: up to `batchSize` messages → one handler invocation. */
export async function pollOnce(sqs: SQSClient, queueUrl: string, handler: SqsHandler, name: string, batchSize = 10): Promise<PollResult> {
  const res = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: batchSize, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
  );
  const messages = res.Messages ?? [];
  if (messages.length === 0) return { received: 0, failed: 0 };
  const arn = await queueArn(sqs, queueUrl);
  const event: SQSEvent = {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? 'AIDATEST',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: 'us-east-1',
    })),
  };
  let failedIds: Set<string>;
  try {
    const out = await handler(event, lambdaContext(name));
    failedIds = new Set((out?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  } catch {
    // A failed invocation returns the whole batch to the queue.
    failedIds = new Set(messages.map((m) => m.MessageId!));
  }
  const done = messages.filter((m) => !failedIds.has(m.MessageId!));
  if (done.length > 0) {
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
  return { received: messages.length, failed: failedIds.size };
}

/** Polls until the queue yields nothing `idlePolls` times in a row. */
export async function drain(sqs: SQSClient, queueUrl: string, handler: SqsHandler, name: string, opts: { batchSize?: number; idlePolls?: number; pauseMs?: number } = {}): Promise<PollResult> {
  const total: PollResult = { received: 0, failed: 0 };
  let idle = 0;
  while (idle < (opts.idlePolls ?? 1)) {
    const r = await pollOnce(sqs, queueUrl, handler, name, opts.batchSize);
    total.received += r.received;
    total.failed += r.failed;
    if (r.received === 0) {
      idle++;
      if (idle < (opts.idlePolls ?? 1)) await new Promise((res) => setTimeout(res, opts.pauseMs ?? 200));
    } else idle = 0;
  }
  return total;
}
