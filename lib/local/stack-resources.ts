/**
 * What `logtong local` creates on the emulators for one synthesized pipeline stack, read from its template: the
 * buckets, queues (with their redrive policies), Kinesis streams, functions (their bundled code in the cloud assembly,
 * handler, environment, timeout), event source mappings and bucket notifications, and the custom resources whose
 * provider is one of the stack's functions. Everything else (IAM, alarms, dashboards, log groups, Glue, SNS) has no
 * local behaviour and is left out. Pure: the template in, a description out; `resolve` turns the template's
 * references into the names the local resources get.
 */
import * as path from 'node:path';
import { evaluateIntrinsics } from './intrinsics';
import type { StackTemplate, TemplateResource } from './template';

export interface LocalQueue {
  readonly id: string;
  readonly visibilityTimeoutSeconds: number;
  /** The dead-letter queue (its logical id) and after how many receives a message goes there. */
  readonly redrive?: { readonly deadLetterQueue: string; readonly maxReceiveCount: number };
}

export interface LocalFunction {
  readonly id: string;
  /** The bundle in the cloud assembly: `<assembly>/asset.<hash>/<file>.js`. */
  readonly entry: string;
  readonly handlerName: string;
  /** As synthesized: strings, or references for `resolve`. */
  readonly environment: Record<string, unknown>;
  readonly timeoutSeconds: number;
}

export interface LocalMapping {
  readonly id: string;
  readonly functionId: string;
  readonly source: { readonly type: 'sqs' | 'kinesis'; readonly id: string };
  readonly batchSize: number;
  readonly reportBatchItemFailures: boolean;
  /** Kinesis: where a batch that keeps failing goes (a queue's logical id). */
  readonly onFailureQueue?: string;
  /** Kinesis: retries of a failed batch before it is given up; -1 (AWS's default) retries until the records expire. */
  readonly maximumRetryAttempts: number;
  /** Kinesis: a function error splits the batch in two, each half retried on its own (AWS's default: false). */
  readonly bisectBatchOnFunctionError: boolean;
}

export interface LocalNotification {
  /** A bucket of the stack (its logical id), or the name of a bucket outside it (the source bucket). */
  readonly bucket: { readonly id: string } | { readonly name: string };
  readonly queueId: string;
  readonly events: readonly string[];
  readonly filterRules: ReadonlyArray<{ readonly Name: string; readonly Value: string }>;
}

export interface LocalCustomResource {
  readonly id: string;
  readonly type: string;
  /** The stack's function that handles its events (behind CDK's provider framework, when there is one). */
  readonly functionId: string;
  /** As synthesized, without ServiceToken. */
  readonly properties: Record<string, unknown>;
}

export interface StackResources {
  /** AWS::StepFunctions::StateMachine logical ids (their ASL is read with stateMachineDefinition). */
  readonly stateMachines: readonly string[];
  /** ECS task definitions: their (first) container's environment, as synthesized (the one-time scanner). */
  readonly tasks: ReadonlyArray<{ readonly id: string; readonly environment: Record<string, unknown> }>;
  /** AWS::Glue::Table resources: their TableInput and the database reference, as synthesized. */
  readonly tables: ReadonlyArray<{ readonly id: string; readonly databaseName: unknown; readonly tableInput: Record<string, any> }>;
  readonly buckets: readonly string[];
  readonly queues: readonly LocalQueue[];
  readonly streams: ReadonlyArray<{ readonly id: string; readonly shards: number }>;
  readonly functions: readonly LocalFunction[];
  readonly mappings: readonly LocalMapping[];
  readonly notifications: readonly LocalNotification[];
  readonly customResources: readonly LocalCustomResource[];
}

/** The logical id a `{Ref}` or `{Fn::GetAtt: [id, …]}` names, else undefined. */
export function referencedId(v: unknown): string | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof o.Ref === 'string') return o.Ref;
  const att = o['Fn::GetAtt'];
  if (Array.isArray(att) && typeof att[0] === 'string') return att[0];
  if (typeof att === 'string') return att.split('.')[0];
  return undefined;
}

function need(id: string, what: string, v: string | undefined): string {
  if (v === undefined) throw new Error(`${id}: ${what} is not a reference to a resource of the stack`);
  return v;
}

/**
 * A function's code in the assembly: the asset whose zip the template names (`<hash>.zip`), whose folder `cdk synth`
 * leaves beside the template. Functions with inline code (CDK's Python notification handler) have none.
 */
function entryOf(assembly: string, r: TemplateResource): { entry: string; handlerName: string } | undefined {
  const key = r.Properties?.Code?.S3Key;
  const handler = r.Properties?.Handler;
  if (typeof key !== 'string' || typeof handler !== 'string' || !String(r.Properties?.Runtime ?? '').startsWith('nodejs')) return undefined;
  const dot = handler.lastIndexOf('.');
  return { entry: path.join(assembly, `asset.${key.replace(/\.zip$/, '')}`, `${handler.slice(0, dot)}.js`), handlerName: handler.slice(dot + 1) };
}

export function stackResources(template: StackTemplate, assembly: string): StackResources {
  const all = Object.entries(template.Resources);
  const of = (type: string) => all.filter(([, r]) => r.Type === type);
  const functions: LocalFunction[] = [];
  for (const [id, r] of of('AWS::Lambda::Function')) {
    const code = entryOf(assembly, r);
    if (!code) continue;
    functions.push({ id, ...code, environment: { ...(r.Properties?.Environment?.Variables ?? {}) }, timeoutSeconds: Number(r.Properties?.Timeout ?? 3) });
  }
  const fnIds = new Set(functions.map((f) => f.id));
  const queueIds = new Set(of('AWS::SQS::Queue').map(([id]) => id));
  const streamIds = new Set(of('AWS::Kinesis::Stream').map(([id]) => id));

  const mappings = of('AWS::Lambda::EventSourceMapping').map(([id, r]): LocalMapping => {
    const p = r.Properties ?? {};
    const functionId = need(id, 'FunctionName', referencedId(p.FunctionName));
    const sourceId = need(id, 'EventSourceArn', referencedId(p.EventSourceArn));
    const type = queueIds.has(sourceId) ? 'sqs' : streamIds.has(sourceId) ? 'kinesis' : undefined;
    if (!type || !fnIds.has(functionId)) throw new Error(`${id}: maps ${sourceId} to ${functionId}, which the stack does not define as a queue or stream and a Node.js function`);
    const onFailure = referencedId(p.DestinationConfig?.OnFailure?.Destination);
    return {
      id,
      functionId,
      source: { type, id: sourceId },
      batchSize: Number(p.BatchSize ?? (type === 'sqs' ? 10 : 100)),
      reportBatchItemFailures: (p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
      maximumRetryAttempts: Number(p.MaximumRetryAttempts ?? -1),
      bisectBatchOnFunctionError: p.BisectBatchOnFunctionError === true || p.BisectBatchOnFunctionError === 'true',
      ...(onFailure ? { onFailureQueue: onFailure } : {}),
    };
  });

  const notifications = of('Custom::S3BucketNotifications').flatMap(([id, r]) => {
    const p = r.Properties ?? {};
    const bucketId = referencedId(p.BucketName);
    const bucket = bucketId ? { id: bucketId } : typeof p.BucketName === 'string' ? { name: p.BucketName } : undefined;
    if (!bucket) throw new Error(`${id}: BucketName ${JSON.stringify(p.BucketName)} is neither a bucket of the stack nor a name`);
    return ((p.NotificationConfiguration?.QueueConfigurations ?? []) as Array<Record<string, any>>).map(
      (q): LocalNotification => ({ bucket, queueId: need(id, 'QueueArn', referencedId(q.QueueArn)), events: q.Events ?? [], filterRules: q.Filter?.Key?.FilterRules ?? [] }),
    );
  });

  // CDK's provider framework is a function of the stack too, whose environment names the user's function.
  const providerOf = (fnId: string): string => {
    const framework = template.Resources[fnId];
    const user = referencedId(framework?.Properties?.Environment?.Variables?.USER_ON_EVENT_FUNCTION_ARN);
    return user ?? fnId;
  };
  const customResources = all
    .filter(([, r]) => r.Type.startsWith('Custom::') && r.Type !== 'Custom::S3BucketNotifications' && r.Type !== 'Custom::AWS')
    .map(([id, r]): LocalCustomResource => {
      const { ServiceToken, ...properties } = r.Properties ?? {};
      const functionId = providerOf(need(id, 'ServiceToken', referencedId(ServiceToken)));
      if (!fnIds.has(functionId)) throw new Error(`${id}: its provider ${functionId} is not a Node.js function of the stack`);
      return { id, type: r.Type, functionId, properties };
    });

  return {
    stateMachines: of('AWS::StepFunctions::StateMachine').map(([id]) => id),
    tasks: of('AWS::ECS::TaskDefinition').map(([id, r]) => ({
      id,
      environment: Object.fromEntries(((r.Properties?.ContainerDefinitions?.[0]?.Environment ?? []) as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, e.Value])),
    })),
    tables: of('AWS::Glue::Table').map(([id, r]) => ({ id, databaseName: r.Properties?.DatabaseName, tableInput: r.Properties?.TableInput ?? {} })),
    buckets: of('AWS::S3::Bucket').map(([id]) => id),
    queues: of('AWS::SQS::Queue').map(([id, r]): LocalQueue => {
      const redrive = r.Properties?.RedrivePolicy;
      const dlq = referencedId(redrive?.deadLetterTargetArn);
      return {
        id,
        visibilityTimeoutSeconds: Number(r.Properties?.VisibilityTimeout ?? 30),
        ...(dlq ? { redrive: { deadLetterQueue: dlq, maxReceiveCount: Number(redrive.maxReceiveCount) } } : {}),
      };
    }),
    streams: of('AWS::Kinesis::Stream').map(([id, r]) => ({ id, shards: Number(r.Properties?.ShardCount ?? 1) })),
    functions,
    mappings,
    notifications,
    customResources,
  };
}

/** What a reference resolves to locally: `Ref` and each `Fn::GetAtt` attribute of a resource, by logical id. */
export interface LocalNames {
  ref(id: string): string | undefined;
  attribute(id: string, attribute: string): string | undefined;
  /** Pseudo parameters (`AWS::Region`, `AWS::AccountId`, `AWS::Partition`, `AWS::URLSuffix`). */
  pseudo(name: string): string | undefined;
}

/**
 * A synthesized value with its references replaced by local names (the intrinsics CloudFormation evaluates there,
 * intrinsics.ts). A reference with no local name throws, naming it: a local run must never carry a placeholder
 * where the deployed stack has a real value.
 */
export function resolve(v: unknown, names: LocalNames, where = 'value'): unknown {
  const fail = (at: string, what: string): never => {
    throw new Error(`${at}: ${what} has no local value`);
  };
  return evaluateIntrinsics(
    v,
    {
      ref: (id, at) => (id.startsWith('AWS::') ? names.pseudo(id) : names.ref(id)) ?? fail(at, `Ref ${id}`),
      getAtt: (id, attr, at) => names.attribute(id, attr) ?? fail(at, `Fn::GetAtt ${id}.${attr}`),
    },
    where,
  );
}
