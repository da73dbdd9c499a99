/**
 * The local Step Functions harness against ASL synthesized by CDK: List (LambdaInvoke, full response) → Map
 * (MaxConcurrency 2) of Convert (LambdaInvoke payloadResponseOnly, retried with backoff) → on any error Notify (SNS) →
 * Fail. Runs in-process, no AWS, no real retry waits.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Context } from 'aws-lambda';
import {
  logicalIdOf,
  runStateMachine,
  StateMachineExecutionError,
  stateMachineDefinition,
  type AslDefinition,
  type SnsPublishRequest,
  type TaskBindings,
} from '../../lib/local/local-sfn';

interface Built {
  template: Record<string, any>;
  definition: AslDefinition;
  ids: { list: string; convert: string; topic: string; machine: string };
}

function buildStack(): Built {
  const app = new App();
  const stack = new Stack(app, 'LocalSfnTest');
  const fn = (id: string) =>
    new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({});') });
  const listFn = fn('ListFn');
  const convertFn = fn('ConvertFn');
  const topic = new sns.Topic(stack, 'Alerts');

  const list = new tasks.LambdaInvoke(stack, 'List', { lambdaFunction: listFn, outputPath: '$.Payload' });
  const convert = new tasks.LambdaInvoke(stack, 'Convert', { lambdaFunction: convertFn, payloadResponseOnly: true }).addRetry({
    errors: ['States.ALL'],
    interval: Duration.seconds(5),
    backoffRate: 2,
    maxAttempts: 3,
  });
  const map = new sfn.Map(stack, 'ConvertAll', { itemsPath: '$.batches', maxConcurrency: 2, resultPath: '$.converted' });
  map.itemProcessor(convert);
  const notify = new tasks.SnsPublish(stack, 'Notify', {
    topic,
    subject: 'logtong conversion failed',
    message: sfn.TaskInput.fromJsonPathAt('$.error'),
    resultPath: sfn.JsonPath.DISCARD,
  });
  const failed = new sfn.Fail(stack, 'Failed', { error: 'ConvertFailed', causePath: '$.error.Cause' });
  map.addCatch(notify.next(failed), { errors: ['States.ALL'], resultPath: '$.error' });
  const machine = new sfn.StateMachine(stack, 'Pipeline', { definitionBody: sfn.DefinitionBody.fromChainable(list.next(map)) });

  const template = Template.fromStack(stack).toJSON();
  const ids = { list: logicalIdOf(listFn), convert: logicalIdOf(convertFn), topic: logicalIdOf(topic), machine: logicalIdOf(machine) };
  return { template, definition: stateMachineDefinition(template, ids.machine), ids };
}

const BATCHES = ['a', 'b', 'c', 'd', 'e'].map((k) => ({ key: `logs/${k}.json.gz` }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Local stand-ins for the real handlers, with the AWS signature. */
function handlers(convertImpl: (event: { key: string }) => Promise<unknown>) {
  const listEvents: unknown[] = [];
  const listContexts: Context[] = [];
  const published: SnsPublishRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const convertCalls: string[] = [];
  const bindings: TaskBindings = {
    // by construct path (the logical id minus CDK's hash)
    ListFn: async (event: unknown, context: Context) => {
      listEvents.push(event);
      listContexts.push(context);
      return { batches: BATCHES };
    },
    // by state name
    Convert: async (event: { key: string }) => {
      convertCalls.push(event.key);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await sleep(15);
        return await convertImpl(event);
      } finally {
        inFlight--;
      }
    },
    Alerts: (req: SnsPublishRequest) => {
      published.push(req);
      return { MessageId: `msg-${published.length}` };
    },
  };
  return { bindings, listEvents, listContexts, published, convertCalls, maxInFlight: () => maxInFlight };
}

const converted = (event: { key: string }) => Promise.resolve({ key: event.key, parquet: event.key.replace('.json.gz', '.parquet') });

describe('local Step Functions harness (CDK-synthesized ASL)', () => {
  let built: Built;
  beforeAll(() => {
    built = buildStack();
  });

  test('extracts the ASL with every intrinsic resolved to a fake ARN naming its resource', () => {
    const { definition: def, ids, template } = built;
    expect(JSON.stringify(def)).not.toMatch(/Fn::|"Ref"/);
    expect(stateMachineDefinition(template)).toEqual(def); // the only state machine
    expect(stateMachineDefinition(template, 'Pipeline')).toEqual(def); // construct path without hash
    expect(def.StartAt).toBe('List');
    expect(def.States.List).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: `arn:aws:lambda:us-east-1:123456789012:function:${ids.list}`, 'Payload.$': '$' },
    });
    expect(def.States.ConvertAll).toMatchObject({ Type: 'Map', MaxConcurrency: 2, ItemsPath: '$.batches' });
    const convert = def.States.ConvertAll.ItemProcessor.States.Convert;
    expect(convert.Resource).toBe(`arn:aws:lambda:us-east-1:123456789012:function:${ids.convert}`);
    // CDK's default service-exception retrier first, then ours
    expect(convert.Retry.map((r: { ErrorEquals: string[] }) => r.ErrorEquals)).toEqual([
      ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'],
      ['States.ALL'],
    ]);
    expect(def.States.Notify.Parameters.TopicArn).toBe(`arn:aws:sns:us-east-1:123456789012:${ids.topic}`);
    expect(() => stateMachineDefinition(template, 'Nope')).toThrow(/no state machine 'Nope'/);
  });

  test('runs List → Map over every batch (MaxConcurrency 2) with the event shapes AWS delivers', async () => {
    const h = handlers(converted);
    const input = { source: 's3://logs-bucket/2024/', runId: 'r1' };
    const run = await runStateMachine(built.definition, input, h.bindings);

    expect(run.output).toEqual({
      batches: BATCHES,
      converted: BATCHES.map((b) => ({ key: b.key, parquet: b.key.replace('.json.gz', '.parquet') })),
    });
    // lambda:invoke with Payload.$ '$': the function gets the state input itself, with a Lambda context
    expect(h.listEvents).toEqual([input]);
    expect(h.listContexts[0].functionName).toBe(built.ids.list);
    expect(h.listContexts[0].invokedFunctionArn).toBe(`arn:aws:lambda:us-east-1:123456789012:function:${built.ids.list}`);
    // ...and the task result is the Invoke response (OutputPath $.Payload then unwraps it)
    const listInv = run.invocations.find((i) => i.state === 'List')!;
    expect(listInv).toMatchObject({ kind: 'lambda:invoke', logicalId: built.ids.list, result: { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: { batches: BATCHES } } });
    // direct function ARN: event = the Map item, result = the return value
    const convertInv = run.invocations.filter((i) => i.state === 'Convert');
    expect(convertInv.map((i) => i.kind)).toEqual(Array(5).fill('lambda'));
    expect([...h.convertCalls].sort()).toEqual(BATCHES.map((b) => b.key));
    expect(h.maxInFlight()).toBe(2);
    expect(h.published).toEqual([]);
    expect(run.events.filter((e) => e.type === 'MapIterationSucceeded')).toHaveLength(5);
  });

  test('a Convert that throws twice then succeeds is retried without waiting the real backoff', async () => {
    let failures = 0;
    const bCalls: number[] = [];
    const h = handlers(async (event) => {
      if (event.key === 'logs/b.json.gz') bCalls.push(Date.now());
      if (event.key === 'logs/b.json.gz' && failures < 2) {
        failures++;
        throw new Error(`transient failure ${failures}`);
      }
      return converted(event);
    });
    const started = Date.now();
    const run = await runStateMachine(built.definition, { source: 's3://x/' }, h.bindings);
    const elapsed = Date.now() - started;

    // In AWS the retries come 5 s and 10 s (IntervalSeconds 5, BackoffRate 2) after the failures.
    expect(bCalls).toHaveLength(3);
    expect(bCalls[1] - bCalls[0]).toBeLessThan(500);
    expect(bCalls[2] - bCalls[1]).toBeLessThan(500);
    expect(elapsed).toBeLessThan(5_000);
    expect((run.output as { converted: unknown[] }).converted).toHaveLength(5);
    const failed = run.invocations.filter((i) => i.error);
    expect(failed.map((i) => i.error!.Error)).toEqual(['Error', 'Error']);
    expect(JSON.parse(failed[0].error!.Cause)).toMatchObject({ errorType: 'Error', errorMessage: 'transient failure 1' });
    expect(run.events.filter((e) => e.type === 'StateRetried' && e.state.name === 'Convert')).toHaveLength(2);
    expect(h.published).toEqual([]);
  });

  test('a Convert that always throws is caught: Notify publishes the error, the execution fails', async () => {
    const h = handlers(async (event) => {
      if (event.key === 'logs/c.json.gz') throw new TypeError('corrupt gzip in c');
      return converted(event);
    });
    const err = await runStateMachine(built.definition, { source: 's3://x/' }, h.bindings).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(StateMachineExecutionError);
    const failure = err as StateMachineExecutionError;
    expect(failure.state).toBe('Failed');
    expect(failure.error).toBe('ConvertFailed');
    expect(JSON.parse(failure.cause!)).toMatchObject({ errorType: 'TypeError', errorMessage: 'corrupt gzip in c' });
    expect(failure.failedStates).toEqual(expect.arrayContaining(['Convert', 'ConvertAll', 'Failed']));
    // 1 attempt + MaxAttempts 3 of the States.ALL retrier (TypeError does not match CDK's Lambda.* retrier)
    expect(h.convertCalls.filter((k) => k === 'logs/c.json.gz')).toHaveLength(4);

    expect(h.published).toHaveLength(1);
    expect(h.published[0]).toMatchObject({ TopicArn: `arn:aws:sns:us-east-1:123456789012:${built.ids.topic}`, Subject: 'logtong conversion failed' });
    const message = JSON.parse(h.published[0].Message) as { Error: string; Cause: string };
    expect(message.Error).toBe('TypeError');
    expect(JSON.parse(message.Cause)).toMatchObject({ errorType: 'TypeError', errorMessage: 'corrupt gzip in c' });
    expect(failure.invocations.find((i) => i.state === 'Notify')?.result).toMatchObject({ MessageId: 'msg-1' });
  });

  test('a Lambda service error hits the LambdaInvoke default retrier (MaxAttempts 6) before the catch', async () => {
    const h = handlers(async (event) => {
      if (event.key === 'logs/a.json.gz') throw Object.assign(new Error('Rate exceeded'), { name: 'Lambda.ServiceException' });
      return converted(event);
    });
    const err = (await runStateMachine(built.definition, {}, h.bindings).catch((e: unknown) => e)) as StateMachineExecutionError;
    expect(err).toBeInstanceOf(StateMachineExecutionError);
    expect(h.convertCalls.filter((k) => k === 'logs/a.json.gz')).toHaveLength(7);
    expect(JSON.parse(h.published[0].Message)).toEqual({ Error: 'Lambda.ServiceException', Cause: 'Rate exceeded' });
    expect(err.cause).toBe('Rate exceeded');
  });

  test('refuses to run with an unbound Task or a feature the interpreter lacks', async () => {
    const { ListFn, Alerts } = handlers(converted).bindings;
    await expect(runStateMachine(built.definition, {}, { ListFn, Alerts })).rejects.toThrow(/no binding for Task 'Convert'/);
    const jsonata = { ...built.definition, QueryLanguage: 'JSONata' };
    await expect(runStateMachine(jsonata, {}, handlers(converted).bindings)).rejects.toThrow(/JSONata/);
  });

  test('Wait states do not really wait', async () => {
    const def = {
      StartAt: 'Pause',
      States: {
        Pause: { Type: 'Wait', Seconds: 3600, Next: 'Echo' },
        Echo: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Echo', ResultPath: '$.echo', End: true },
      },
    };
    const run = await runStateMachine(def, { n: 1 }, { Echo: (event: { n: number }) => ({ doubled: event.n * 2 }) });
    expect(run.output).toEqual({ n: 1, echo: { doubled: 2 } });
  });
});
