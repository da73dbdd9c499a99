/**
 * A synthesized pipeline stack "deployed" on the local components: its buckets and queues (with their redrive
 * policies) created on the S3/SQS emulator, its bucket notifications put, each Node.js function run from its bundle in
 * a process of its own with its environment (references resolved to the local names), its custom resources created
 * by invoking their handlers with CloudFormation's Create event, its Kinesis streams created on the Kinesis emulator,
 * and its SQS and Kinesis event source mappings polled as Lambda polls them. What the stack does is read from the
 * template (stack-resources.ts), not restated here.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { KinesisStreamBatchResponse, SQSBatchResponse } from 'aws-lambda';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { AwsEmulator } from './aws-emulator';
import { eachLine, startFunction, type FunctionHost } from './function-host';
import type { KinesisEmulator } from './kinesis';
import { kinesisMapping, type KinesisMappingPoller } from './kinesis-lambda';
import { packageDir } from './paths';
import { runStateMachine, stateMachineDefinition, type AslState, type SnsPublishRequest, type TaskBindings } from './local-sfn';
import { pollOnce, type PollResult } from './sqs-lambda';
import { resolve, stackResources, type LocalNames, type StackResources } from './stack-resources';
import { applyNotifications, queueNotification, type StackTemplate } from './template';

export interface LocalStackOptions {
  readonly template: StackTemplate;
  /** The cloud assembly folder the template was synthesized into (its function bundles are there). */
  readonly assembly: string;
  /** Prefixes every local bucket and queue name (the pipeline's name). */
  readonly prefix: string;
  readonly aws: AwsEmulator;
  /** Where the stack's Kinesis streams are made; required when it has any. @default none */
  readonly kinesis?: KinesisEmulator;
  /** Each function's log lines, with its logical id. @default dropped */
  readonly onLog?: (functionId: string, line: string) => void;
  /** Variables every function gets on top of its own (e.g. a shorter POWERTOOLS_LOG_LEVEL). @default none */
  readonly extraEnvironment?: Record<string, string>;
}

export interface LocalStack {
  readonly resources: StackResources;
  /** The local names references of the template resolve to. */
  readonly names: LocalNames;
  /** The local name of a bucket of the stack, by logical id (or its id without CDK's hash). */
  bucketName(id: string): string;
  queueUrl(id: string): string;
  /** The local name and ARN of a Kinesis stream of the stack, by logical id (or its id without CDK's hash). */
  streamName(id: string): string;
  streamArn(id: string): string;
  function(id: string): FunctionHost;
  /**
   * Polls every event source mapping until, for `idlePolls` rounds in a row, its queues are empty and its streams
   * hold nothing past the mapping's checkpoints. Returns per mapping: SQS, the messages received and those reported
   * failed (they come back after their queue's visibility timeout, as in AWS); Kinesis, the records read (each once,
   * however often retried) and those given up to the on-failure destination (kinesis-lambda.ts).
   */
  drain(opts?: { idlePolls?: number; pauseMs?: number }): Promise<Record<string, { received: number; failed: number }>>;
  /**
   * Runs a state machine of the stack as synthesized (local-sfn), its Lambda tasks invoking the stack's functions.
   * Step Functions' own control-plane call (listing running executions) answers that this run is the only one, as
   * the local runner runs one at a time; what the machine publishes to SNS (a failure notice) is returned.
   */
  runStateMachine(id: string, input: unknown): Promise<{ output: unknown; published: SnsPublishRequest[] }>;
  /**
   * Runs an ECS task of the stack (the one-time scanner) as its container would: `entry` (the bundle its image holds)
   * in a Node.js process with the task definition's environment, to its end. Its output lines go to onLog.
   */
  runTask(id: string, entry: string): Promise<void>;
  stop(): Promise<void>;
}

/** S3 bucket names: lowercase letters, digits and hyphens, 3 to 63 characters. */
function bucketNameOf(prefix: string, id: string): string {
  return `${prefix}-${id.replace(/[0-9A-F]{8}$/, '').toLowerCase()}`.replace(/[^a-z0-9-]/g, '-').slice(0, 63).replace(/-+$/, '');
}

const shortId = (id: string) => id.replace(/[0-9A-F]{8}$/, '');

export async function deployLocalStack(o: LocalStackOptions): Promise<LocalStack> {
  const r = stackResources(o.template, o.assembly);
  const { s3, sqs } = o.aws;
  const kinesis = o.kinesis;
  if (r.streams.length > 0 && !kinesis) throw new Error(`the stack has Kinesis streams (${r.streams.map((x) => shortId(x.id)).join(', ')}): deploying it locally needs a Kinesis emulator (LocalStackOptions.kinesis)`);
  const find = <T extends { id: string } | string>(list: readonly T[], id: string, what: string): string => {
    const ids = list.map((x) => (typeof x === 'string' ? x : x.id));
    const hit = ids.find((x) => x === id) ?? ids.find((x) => shortId(x) === id);
    if (!hit) throw new Error(`the stack has no ${what} ${id}`);
    return hit;
  };

  const buckets = new Map(r.buckets.map((id) => [id, bucketNameOf(o.prefix, id)]));
  for (const name of buckets.values()) await s3.send(new CreateBucketCommand({ Bucket: name }));
  // Buckets outside the stack that it reads (the source bucket) are created under their own names, as they exist.
  for (const n of r.notifications) if ('name' in n.bucket) await s3.send(new CreateBucketCommand({ Bucket: n.bucket.name }));

  const queues = new Map<string, { url: string; arn: string }>();
  // Dead-letter queues first: a queue's redrive policy names its dead-letter queue's ARN.
  const ordered = [...r.queues].sort((a, b) => Number(!!a.redrive) - Number(!!b.redrive));
  for (const q of ordered) {
    const name = `${o.prefix}-${shortId(q.id)}`;
    const attributes: Record<string, string> = { VisibilityTimeout: String(q.visibilityTimeoutSeconds) };
    if (q.redrive) attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: queues.get(q.redrive.deadLetterQueue)!.arn, maxReceiveCount: q.redrive.maxReceiveCount });
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    queues.set(q.id, { url, arn });
  }

  // Lambda's on-failure destinations may be SNS topics or S3 buckets too; the stacks use a queue, the one kind polled here.
  for (const m of r.mappings) {
    if (m.onFailureQueue !== undefined && !queues.has(m.onFailureQueue)) throw new Error(`${m.id}: its on-failure destination ${m.onFailureQueue} is not a queue of the stack`);
  }
  const streams = new Map<string, { name: string; arn: string }>();
  for (const x of r.streams) {
    const name = `${o.prefix}-${shortId(x.id)}`;
    streams.set(x.id, { name, arn: await kinesis!.createStream(name, x.shards) });
  }

  const functionName = (id: string) => `${o.prefix}-${shortId(id)}`;
  // A Glue database has no local counterpart; its name is what a reference to it reads (for the table's DDL).
  const databaseName = (id: string) => (o.template.Resources[id]?.Type === 'AWS::Glue::Database' ? o.template.Resources[id].Properties?.DatabaseInput?.Name : undefined);
  const names: LocalNames = {
    ref: (id) => buckets.get(id) ?? queues.get(id)?.url ?? streams.get(id)?.name ?? (r.functions.some((f) => f.id === id) ? functionName(id) : undefined) ?? databaseName(id),
    attribute: (id, attr) => {
      if (attr === 'Arn') return queues.get(id)?.arn ?? streams.get(id)?.arn ?? (buckets.has(id) ? `arn:aws:s3:::${buckets.get(id)}` : undefined);
      if (attr === 'QueueName' && queues.has(id)) return queues.get(id)!.url.split('/').pop();
      return undefined;
    },
    pseudo: (p) => ({ 'AWS::Region': o.aws.region, 'AWS::AccountId': '000000000000', 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': `Logtong-${o.prefix}` })[p],
  };

  const bucketOf = (n: StackResources['notifications'][number]) => ('name' in n.bucket ? n.bucket.name : buckets.get(n.bucket.id)!);
  const queueUrls = Object.fromEntries([...queues].map(([id, q]) => [shortId(id), q.url]));
  for (const bucket of new Set(r.notifications.map(bucketOf))) {
    const onBucket = r.notifications.filter((n) => bucketOf(n) === bucket);
    await applyNotifications(s3, sqs, bucket, onBucket.map(queueNotification), queueUrls);
  }

  // Only the functions something invokes: a mapping, a custom resource (CDK's provider framework is bypassed) or a
  // state machine's task (its ARN names the function's logical id).
  const definitions = new Map(r.stateMachines.map((id) => [id, stateMachineDefinition(o.template, id)]));
  const taskTargets = [...definitions.values()].flatMap((d) => [...JSON.stringify(d).matchAll(/:function:([A-Za-z0-9]+)/g)].map((m) => m[1]));
  const used = new Set([...r.mappings.map((m) => m.functionId), ...r.customResources.map((c) => c.functionId), ...taskTargets.filter((t) => r.functions.some((f) => f.id === t))]);
  const hosts = new Map<string, FunctionHost>();
  // The AWS SDK the bundles leave to the Lambda runtime: this installation's (a dependency of Logtong).
  const sdk = path.dirname(path.dirname(packageDir('@aws-sdk/client-s3')));
  // The SDK v3 clients of the bundles (adapters/kinesis.ts sets no endpoint) take the emulator from this variable.
  const endpoints = { ...o.aws.env, ...(kinesis ? { AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint } : {}) };
  for (const f of r.functions.filter((x) => used.has(x.id))) {
    const environment = stringValues(resolve(f.environment, names, `${f.id}.Environment`));
    hosts.set(
      f.id,
      startFunction({ name: functionName(f.id), entry: f.entry, modulePaths: [sdk], handlerName: f.handlerName, timeoutSeconds: f.timeoutSeconds, environment: { ...endpoints, ...environment, ...o.extraEnvironment }, ...(o.onLog ? { onLog: (l: string) => o.onLog!(f.id, l) } : {}) }),
    );
  }

  const stop = async () => {
    await Promise.all([...hosts.values()].map((h) => h.stop()));
  };
  try {
    for (const c of r.customResources) {
      const properties = resolve(c.properties, names, c.id) as Record<string, unknown>;
      await hosts.get(c.functionId)!.invoke({
        RequestType: 'Create',
        ServiceToken: `arn:aws:lambda:${o.aws.region}:000000000000:function:${functionName(c.functionId)}`,
        ResponseURL: 'http://127.0.0.1/unused',
        StackId: `arn:aws:cloudformation:${o.aws.region}:000000000000:stack/Logtong-${o.prefix}/local`,
        RequestId: `local-${c.id}`,
        LogicalResourceId: c.id,
        ResourceType: c.type,
        ResourceProperties: { ServiceToken: 'local', ...properties },
      });
    }
  } catch (e) {
    await stop();
    throw e;
  }

  const sqsMappings = r.mappings.filter((m) => m.source.type === 'sqs');
  const kinesisPollers = new Map<string, KinesisMappingPoller>();
  for (const m of r.mappings.filter((x) => x.source.type === 'kinesis')) {
    const host = hosts.get(m.functionId)!;
    const destination = m.onFailureQueue === undefined ? undefined : queues.get(m.onFailureQueue)!.url;
    kinesisPollers.set(
      m.id,
      kinesisMapping({
        ...m,
        kinesis: kinesis!.client,
        streamArn: streams.get(m.source.id)!.arn,
        handler: (event) => host.invoke(event) as Promise<KinesisStreamBatchResponse>,
        functionName: host.name,
        ...(destination ? { onFailure: async (record) => void (await sqs.send(new SendMessageCommand({ QueueUrl: destination, MessageBody: JSON.stringify(record) }))) } : {}),
      }),
    );
  }
  return {
    resources: r,
    names,
    bucketName: (id) => buckets.get(find(r.buckets, id, 'bucket'))!,
    queueUrl: (id) => queues.get(find(r.queues, id, 'queue'))!.url,
    streamName: (id) => streams.get(find(r.streams, id, 'stream'))!.name,
    streamArn: (id) => streams.get(find(r.streams, id, 'stream'))!.arn,
    function: (id) => hosts.get(find([...hosts.keys()], id, 'invoked function'))!,
    async drain(opts = {}) {
      const totals: Record<string, { received: number; failed: number }> = Object.fromEntries(r.mappings.map((m) => [m.id, { received: 0, failed: 0 }]));
      const add = (id: string, res: PollResult) => {
        totals[id].received += res.received;
        totals[id].failed += res.failed;
        return res.received;
      };
      let idle = 0;
      while (idle < (opts.idlePolls ?? 2)) {
        let received = 0;
        // Streams first: what they give up is on its on-failure queue for the same round.
        for (const [id, poller] of kinesisPollers) received += add(id, await poller.pollOnce());
        for (const m of sqsMappings) {
          const host = hosts.get(m.functionId)!;
          received += add(m.id, await pollOnce(sqs, queues.get(m.source.id)!.url, (event) => host.invoke(event) as Promise<SQSBatchResponse>, host.name, m.batchSize));
        }
        idle = received === 0 ? idle + 1 : 0;
        if (received === 0 && idle < (opts.idlePolls ?? 2)) await new Promise((res) => setTimeout(res, opts.pauseMs ?? 200));
      }
      return totals;
    },
    async runTask(id, entry) {
      const task = r.tasks.find((t) => t.id === find(r.tasks, id, 'task definition'))!;
      const environment = stringValues(resolve(task.environment, names, `${task.id}.Environment`));
      await new Promise<void>((done, fail) => {
        const child = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...o.aws.env, ...environment, ...o.extraEnvironment }, stdio: ['ignore', 'pipe', 'pipe'] });
        let tail = '';
        const keep = (l: string) => {
          tail = `${tail}\n${l}`.slice(-2000);
          o.onLog?.(task.id, l);
        };
        eachLine(child.stdout!, keep);
        eachLine(child.stderr!, keep);
        child.on('error', fail);
        child.on('exit', (code, signal) => (code === 0 ? done() : fail(new Error(`task ${shortId(task.id)} exited ${signal ?? code}:${tail}`))));
      });
    },
    async runStateMachine(id, input) {
      const definition = definitions.get(find(r.stateMachines, id, 'state machine'))!;
      const published: SnsPublishRequest[] = [];
      const bindings: TaskBindings = {};
      for (const [fnId, host] of hosts) bindings[fnId] = (event: unknown) => host.invoke(event);
      for (const [state, s] of Object.entries(allStates(definition))) {
        if (s.Type !== 'Task') continue;
        const resource = String(s.Resource);
        if (resource.endsWith(':sfn:listExecutions')) bindings[state] = { raw: () => ({ Executions: [{ executionArn: 'arn:aws:states:::execution:local', status: 'RUNNING' }] }) };
        else if (resource.endsWith(':sns:publish')) bindings[state] = (req: SnsPublishRequest) => void published.push(req);
      }
      const run = await runStateMachine(definition, input, bindings);
      return { output: run.output, published };
    },
    stop,
  };
}

const stringValues = (env: unknown) => Object.fromEntries(Object.entries(env as Record<string, unknown>).map(([k, v]) => [k, String(v)]));

/** Every state of a definition, those of Map and Parallel states included, by name. */
function allStates(d: { States: Record<string, AslState> }): Record<string, AslState> {
  const out: Record<string, AslState> = {};
  const walk = (states: Record<string, AslState>) => {
    for (const [name, s] of Object.entries(states)) {
      out[name] = s;
      const x = s as AslState & { ItemProcessor?: { States: Record<string, AslState> }; Iterator?: { States: Record<string, AslState> }; Branches?: Array<{ States: Record<string, AslState> }> };
      if (x.ItemProcessor) walk(x.ItemProcessor.States);
      if (x.Iterator) walk(x.Iterator.States);
      for (const b of x.Branches ?? []) walk(b.States);
    }
  };
  walk(d.States);
  return out;
}
