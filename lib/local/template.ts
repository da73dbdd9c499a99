/**
 * The synthesized stacks as the local components need them: each pipeline's template, the notifications its buckets
 * carry and the environment of its functions, so that `logtong local` and the integration tests wire the emulators
 * and run the handlers the way the deployed stack wires AWS, read from the template rather than restated.
 */
import { PutBucketNotificationConfigurationCommand, type Event, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { queueArn } from './sqs-lambda';
import { resolve, stackResources, type LocalNotification } from './stack-resources';

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, any>;
}

export interface StackTemplate {
  Resources: Record<string, TemplateResource>;
}

/** `key` names `logicalId`: equal, or `key` + the 8-hex-digit hash CDK appends to a construct path. */
export function matchesLogicalId(logicalId: string, key: string): boolean {
  return logicalId === key || (logicalId.length === key.length + 8 && logicalId.startsWith(key) && /^[0-9A-F]{8}$/.test(logicalId.slice(key.length)));
}

/** What `app.synth()` returns (aws-cdk-lib's CloudAssembly), as far as reading templates goes. */
export interface SynthesizedAssembly {
  getStackByName(stackName: string): { template: unknown };
}

/**
 * The template of each named pipeline's stack (`Logtong-<name>`): from an assembly synthesized in memory, or from a
 * `cdk synth` output folder (cdk.out) holding `Logtong-<name>.template.json`.
 */
export function pipelineTemplates(from: SynthesizedAssembly | string, pipelines: string[]): Record<string, StackTemplate> {
  const read = (stack: string): StackTemplate =>
    typeof from === 'string' ? (JSON.parse(fs.readFileSync(path.join(from, `${stack}.template.json`), 'utf8')) as StackTemplate) : (from.getStackByName(stack).template as StackTemplate);
  return Object.fromEntries(pipelines.map((name) => [name, read(`Logtong-${name}`)]));
}

export interface QueueNotification {
  /** The queue's logical id without its hash (e.g. `CopyQueue`). */
  queue: string;
  events: string[];
  rules: Array<{ Name: 'prefix' | 'suffix'; Value: string }>;
}

/** The notifications a stack puts on one of its buckets (logical id without its hash, e.g. `BufferBucket`). */
export function bucketNotifications(template: StackTemplate, bucket: string): QueueNotification[] {
  const found = stackResources(template, '').notifications.filter((n) => 'id' in n.bucket && matchesLogicalId(n.bucket.id, bucket));
  if (found.length === 0) throw new Error(`the template puts no notification on ${bucket}`);
  return found.map(queueNotification);
}

/** A notification of stackResources() as applyNotifications takes it. */
export function queueNotification(n: LocalNotification): QueueNotification {
  return { queue: n.queueId.replace(/[0-9A-F]{8}$/, ''), events: [...n.events], rules: n.filterRules.map((r) => ({ Name: r.Name as 'prefix' | 'suffix', Value: r.Value })) };
}

/** Puts those notifications on an emulator bucket; `queues` maps the queue's logical id (without hash) to its URL. */
export async function applyNotifications(s3: S3Client, sqs: SQSClient, bucket: string, notifications: QueueNotification[], queues: Record<string, string>): Promise<void> {
  const QueueConfigurations = [];
  for (const n of notifications) {
    if (!queues[n.queue]) throw new Error(`no emulator queue for ${n.queue}`);
    QueueConfigurations.push({ QueueArn: await queueArn(sqs, queues[n.queue]), Events: n.events as Event[], ...(n.rules.length ? { Filter: { Key: { FilterRules: n.rules } } } : {}) });
  }
  await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { QueueConfigurations } }));
}

/**
 * A function's environment as synthesized (logical id without its hash), references resolved through `refs`: a key is
 * a logical id without its hash (`StagingBucket`) or a pseudo parameter (`AWS::Region`). An unknown reference throws.
 */
export function functionEnvironment(template: StackTemplate, fn: string, refs: Record<string, string>): Record<string, string> {
  const found = Object.entries(template.Resources).filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && matchesLogicalId(id, fn));
  if (found.length !== 1) throw new Error(`the template has ${found.length} functions ${fn}`);
  const stand = (id: string) => refs[Object.keys(refs).find((r) => matchesLogicalId(id, r)) ?? ''];
  const vars = resolve(found[0][1].Properties?.Environment?.Variables ?? {}, { ref: stand, attribute: () => undefined, pseudo: (p) => refs[p] }, `${fn}.Environment`);
  return Object.fromEntries(Object.entries(vars as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/**
 * A handler run with its function's environment: set before each call, and before the module is loaded (handlers read
 * their configuration when loaded, as a Lambda cold start does).
 */
export function withEnvironment<H extends (...args: any[]) => any>(env: Record<string, string>, load: () => H): H {
  let handler: H | undefined;
  return ((...args: unknown[]) => {
    Object.assign(process.env, env);
    handler ??= load();
    return handler(...args);
  }) as H;
}
