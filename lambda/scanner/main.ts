/**
 * ECS Fargate entry of the one-time S3 load (lambda/core/scan.ts has the rules): wires the scan to S3 and SQS, logs
 * progress as JSON lines, and turns SIGTERM (ECS StopTask, a deployment) into a graceful stop with a checkpoint.
 *
 * Environment: SOURCE_BUCKET, SOURCE_PREFIX, SOURCE_SUFFIX (both may be empty), COPY_QUEUE_URL, CHECKPOINT_BUCKET,
 * CHECKPOINT_KEY, PROGRESS_INTERVAL_SECONDS (default 5), SEND_CONCURRENCY (batches in flight, default 8);
 * SOURCE_ROLE_ARN and SOURCE_EXTERNAL_ID for a bucket of another account: the listing uses that role's credentials,
 * the checkpoint and the queue the task's own.
 *
 * Logging uses the Powertools Logger like the Lambdas, so scanner lines have the same shape (level, message,
 * service, timestamp) and the same Logs Insights queries work across the pipeline; POWERTOOLS_LOG_LEVEL applies.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { requireEnv, s3Client, sourceS3Client } from '../adapters/aws';
import { getObjectIfExists, listPage } from '../adapters/s3-objects';
import { METRIC, METRICS_NAMESPACE, PIPELINE_DIMENSION, SCANNER_SERVICE } from '../core/metric-catalog';
import { progressLine, runScan, type Progress, type ScanDeps, type ScanTarget } from '../core/scan';

const service = process.env.POWERTOOLS_SERVICE_NAME ?? SCANNER_SERVICE;
const logger = new Logger({ serviceName: service });
// EMF lines on stdout: the awslogs driver sends each line as an event, and CloudWatch extracts the metrics from it.
const metrics = new Metrics({
  namespace: METRICS_NAMESPACE,
  serviceName: service,
  ...(process.env.PIPELINE_NAME ? { defaultDimensions: { [PIPELINE_DIMENSION]: process.env.PIPELINE_NAME } } : {}),
});

/** Progress as metrics: what was sent since the last report, so a Sum over any period is what that period sent. */
function reportSent(progress: Progress | undefined, last: { objects: number; bytes: number }): void {
  if (!progress) return;
  metrics.addMetric(METRIC.ObjectsSent, MetricUnit.Count, progress.objectsSent - last.objects);
  metrics.addMetric(METRIC.BytesSent, MetricUnit.Bytes, progress.bytesSent - last.bytes);
  metrics.publishStoredMetrics();
  last.objects = progress.objectsSent;
  last.bytes = progress.bytesSent;
}

/** The scanner-failed alarm's metric: 1 for a scan that ended in an error, 0 otherwise (so the alarm sees both). */
function reportOutcome(failed: boolean): void {
  metrics.addMetric(METRIC.ScanFailed, MetricUnit.Count, failed ? 1 : 0);
  metrics.publishStoredMetrics();
}

interface Settings {
  target: ScanTarget;
  queueUrl: string;
  checkpointBucket: string;
  checkpointKey: string;
  progressIntervalMs: number;
  concurrency: number;
}

function positiveNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!(n > 0)) throw new Error(`environment variable ${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

function settings(): Settings {
  return {
    // Prefix and suffix may be empty (the whole bucket, every key): requireEnv would refuse ''.
    target: { bucket: requireEnv('SOURCE_BUCKET'), prefix: process.env.SOURCE_PREFIX ?? '', suffix: process.env.SOURCE_SUFFIX ?? '' },
    queueUrl: requireEnv('COPY_QUEUE_URL'),
    checkpointBucket: requireEnv('CHECKPOINT_BUCKET'),
    checkpointKey: requireEnv('CHECKPOINT_KEY'),
    progressIntervalMs: positiveNumber('PROGRESS_INTERVAL_SECONDS', 5) * 1000,
    concurrency: Math.floor(positiveNumber('SEND_CONCURRENCY', 8)),
  };
}

function deps(s3: S3Client, source: S3Client, sqs: SQSClient, s: Settings): ScanDeps {
  const checkpointUrl = `s3://${s.checkpointBucket}/${s.checkpointKey}`;
  return {
    listPage: (cursor) => listPage(source, { bucket: s.target.bucket, prefix: s.target.prefix, ...cursor }),
    async sendBatch(entries) {
      const res = await sqs.send(new SendMessageBatchCommand({ QueueUrl: s.queueUrl, Entries: entries.map((e) => ({ Id: e.id, MessageBody: e.body })) }));
      return {
        successful: (res.Successful ?? []).map((r) => r.Id!),
        failed: (res.Failed ?? []).map((f) => ({ id: f.Id!, code: f.Code, message: f.Message, senderFault: f.SenderFault })),
      };
    },
    async loadCheckpoint() {
      try {
        const res = await getObjectIfExists(s3, { bucket: s.checkpointBucket, key: s.checkpointKey });
        return await res?.Body!.transformToString('utf8');
      } catch (err) {
        if ((err as { name?: string }).name === 'AccessDenied') {
          throw new Error(
            `cannot read the checkpoint ${checkpointUrl}: AccessDenied. S3 also answers 403 for a missing object unless the task role ` +
              'may s3:ListBucket the checkpoint bucket; a scan never starts over on an unreadable checkpoint',
            { cause: err },
          );
        }
        throw err;
      }
    },
    async saveCheckpoint(body) {
      // Untagged on purpose: the staging bucket expires only objects tagged logtong:state=done, so the checkpoint
      // outlives any pause of an unfinished scan, and a finished scan's keeps a rerun from sending everything again.
      await s3.send(new PutObjectCommand({ Bucket: s.checkpointBucket, Key: s.checkpointKey, Body: body, ContentType: 'application/json' }));
    },
    clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
  };
}

async function main(): Promise<number> {
  const s = settings();
  const checkpointUrl = `s3://${s.checkpointBucket}/${s.checkpointKey}`;
  const source = `s3://${s.target.bucket}/${s.target.prefix}`;
  const s3 = s3Client();
  const sourceS3 = sourceS3Client();
  const sqs = new SQSClient({});
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) return logger.info('already stopping', { signal });
    logger.info('stopping: finishing the sends in flight, then writing the checkpoint', { signal });
    stop.abort();
  };
  // As PID 1 in a container node would otherwise ignore SIGTERM, and ECS would SIGKILL it after stopTimeout.
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let progress: Progress | undefined;
  const sent = { objects: 0, bytes: 0 };
  const timer = setInterval(() => {
    if (!progress) return;
    logger.info('progress', progressLine(progress, Date.now()));
    reportSent(progress, sent);
  }, s.progressIntervalMs);
  logger.info('scan starting', { source, suffix: s.target.suffix, queue: s.queueUrl, checkpoint: checkpointUrl });
  try {
    const result = await runScan(s.target, deps(s3, sourceS3, sqs, s), {
      signal: stop.signal,
      concurrency: s.concurrency,
      onEvent: (e) => {
        if (e.type === 'start') {
          progress = e.progress;
          logger.info(e.resumeAfter === null ? 'listing from the start' : 'resuming from the checkpoint', { startAfter: e.resumeAfter });
        } else if (e.type === 'retry') logger.warn('retrying messages SQS did not accept', { ...e });
        else logger.debug('checkpoint written', { startAfter: e.checkpoint.startAfter, objectsSent: e.checkpoint.objectsSent });
      },
    });
    const cp = result.checkpoint;
    const totals = { objectsSentAllRuns: cp.objectsSent, bytesSentAllRuns: cp.bytesSent, startAfter: cp.startAfter };
    if (result.outcome === 'already-done') {
      logger.info(`nothing to send: the checkpoint ${checkpointUrl} says this scan finished (${cp.updatedAt}); delete it to scan again`, totals);
    } else {
      const line = progressLine(result.progress, Date.now());
      if (result.outcome === 'completed') logger.info('scan complete; a rerun sends nothing unless the checkpoint is deleted', { ...line, ...totals });
      else {
        const at = cp.startAfter === null ? 'before the first key' : `at ${JSON.stringify(cp.startAfter)}`;
        logger.info(`stopped; checkpoint written ${at}: a rerun resumes after it and sends no object twice`, { ...line, ...totals });
      }
    }
    reportSent(progress, sent);
    reportOutcome(false);
    return 0;
  } finally {
    clearInterval(timer);
    s3.destroy();
    if (sourceS3 !== s3) sourceS3.destroy();
    sqs.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A ScanError carries the checkpoint written on the way out; otherwise the previous one (if any) stands.
    const checkpoint = (err as { checkpoint?: unknown }).checkpoint;
    logger.error('scan failed; a rerun resumes from the last checkpoint written', { error: err as Error, ...(checkpoint ? { checkpoint } : {}) });
    reportOutcome(true);
    process.exit(1);
  },
);
