/**
 * Runs the Amazon States Language of a state machine *exactly as `cdk synth` produced it*, in-process, with
 * `aws-local-stepfunctions`, every Task bound to a local JS function: the Light Engine's batch for `logtong local`,
 * and the state machines of the integration tests.
 *
 *  1. `stateMachineDefinition(template, logicalId?)` (asl-definition.ts) pulls the AWS::StepFunctions::StateMachine's
 *     DefinitionString out of a synthesized template and resolves its CloudFormation intrinsics into stable fake
 *     values that still name the resource: `arn:aws:lambda:us-east-1:123456789012:function:<LogicalId>`, …
 *  2. `runStateMachine(definition, input, bindings)` executes it. Each Task state is bound by state name, or by the
 *     logical id (exact, or the CDK construct path without its 8-hex hash suffix) of the resource it targets, and the
 *     binding is called with the event the real service would deliver:
 *
 *     | Task Resource                                  | binding receives                 | task result                                   |
 *     |------------------------------------------------|----------------------------------|-----------------------------------------------|
 *     | `arn:aws:states:::lambda:invoke`               | `Parameters.Payload` (the event) | `{ ExecutedVersion, Payload: <return>, SdkHttpMetadata, SdkResponseMetadata, StatusCode: 200 }` |
 *     | a Lambda function ARN (payloadResponseOnly)    | the effective input (the event)  | `<return>`                                    |
 *     | `arn:aws:states:::sns:publish`                 | the Publish request, `Message` as the string SNS gets | `{ MessageId, SdkHttpMetadata, SdkResponseMetadata }` |
 *     | anything else (aws-sdk:*, sqs:sendMessage, `.waitForTaskToken`, …) | the effective input | `<return>`                    |
 *
 *     (the effective input = state input after InputPath and Parameters; ResultSelector/ResultPath/OutputPath are then
 *     applied to the task result by the interpreter, as in AWS). Lambda bindings get an aws-lambda `Context` as 2nd
 *     argument, so a real handler can be bound as is. Values cross the boundary JSON-serialised, as they would.
 *
 *     A Lambda binding that throws surfaces like a function error in AWS: Error = the JS error's `name` (the runtime's
 *     errorType, e.g. `Error`, `TypeError`), Cause = `{"errorType","errorMessage","trace"}` as a JSON string, so
 *     `Retry`/`Catch` on `Error`, `States.TaskFailed` or `States.ALL` behave as deployed. Throwing an error whose name
 *     starts with `Lambda.` / `States.` simulates a service-side error (Cause = the plain message), e.g.
 *     `Lambda.ServiceException`, which CDK's LambdaInvoke default retrier matches.
 *
 *     Retry intervals and Wait states are overridden to 0 ms (no real waiting) unless `realWaits` is set.
 *
 * aws-local-stepfunctions 3.0.0 limits (checked up front, clear error): no JSONata (`QueryLanguage`, `Arguments`,
 * `Output`), no `Assign` variables, no Distributed Map (`ProcessorConfig.Mode: DISTRIBUTED`, `ItemReader`,
 * `ResultWriter`, `ItemBatcher`, `ToleratedFailure*`). Inline Map (incl. MaxConcurrency, ItemSelector) and Parallel run.
 * Its Context Object has only what is passed in (here: Execution.{Id,Name,Input,StartTime,RoleArn}, StateMachine,
 * Task.Token); `$$.State.*` is not available. Nested Map/Parallel events are forwarded asynchronously, so a few
 * iteration events may be missing from `events` when the execution ends on a failure.
 */
import type { Context } from 'aws-lambda';
import type * as LocalSfn from 'aws-local-stepfunctions';
import { randomUUID } from 'node:crypto';
import { fullEnv, type AslDefinition, type AslState, type Env, type FakeAwsEnv } from './asl-definition';
import { matchesLogicalId } from './template';

export { resolveIntrinsics, stateMachineDefinition, type AslDefinition, type AslState, type FakeAwsEnv } from './asl-definition';

// ---- Promise.withResolvers polyfill (ES2024; Node 20 lacks it, aws-local-stepfunctions uses it in every Task) ----
{
  const P = Promise as unknown as { withResolvers?: unknown };
  if (typeof P.withResolvers !== 'function') {
    Object.defineProperty(Promise, 'withResolvers', {
      configurable: true,
      writable: true,
      value: function withResolvers<T>(this: PromiseConstructor) {
        let resolve!: (v: T | PromiseLike<T>) => void;
        let reject!: (e?: unknown) => void;
        const promise = new this<T>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        return { promise, resolve, reject };
      },
    });
  }
}

/** Loaded lazily, i.e. only after the polyfill above is in place. */
function localSfn(): Promise<typeof LocalSfn> {
  return import('aws-local-stepfunctions');
}

// =====================================================================================================================
// Execution
// =====================================================================================================================

export type TaskKind = 'lambda:invoke' | 'lambda' | 'sns:publish' | 'other';

/** 2nd argument of every binding: a full aws-lambda `Context` (for Lambda handlers) plus what the Task was. */
export interface TaskCallContext extends Context {
  stateName: string;
  kind: TaskKind;
  /** The Task's Resource. */
  resource: string;
  /** What the task targets: the function ARN (lambda kinds), TopicArn (sns), else the Resource. */
  target: string;
  /** Logical id parsed from `target` (the name the fake ARNs carry). */
  logicalId: string | undefined;
}

/** Gets the service-side event (see the module doc); returns the function result / anything for sns (or `{ MessageId }`). */
export type TaskHandler = (event: any, context: TaskCallContext) => unknown;
/** Escape hatch: gets the effective input, returns the task result verbatim; thrown errors surface with name/message as is. */
export interface RawTaskBinding {
  raw: (effectiveInput: any, context: TaskCallContext) => unknown;
}
export type TaskBinding = TaskHandler | RawTaskBinding;
/** Keyed by Task state name, or by the logical id (exact, or without CDK's 8-hex hash) / ARN of the target resource. */
export type TaskBindings = Record<string, TaskBinding>;

/** What an `arn:aws:states:::sns:publish` binding receives. */
export interface SnsPublishRequest {
  TopicArn?: string;
  TargetArn?: string;
  PhoneNumber?: string;
  /** As SNS gets it: a JSON value in the Parameters is serialised, as Step Functions does. */
  Message: string;
  Subject?: string;
  MessageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  MessageStructure?: string;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
}

/** One call of a bound Task, in call order. */
export interface TaskInvocation {
  state: string;
  kind: TaskKind;
  target: string;
  logicalId: string | undefined;
  /** What the binding received (the Lambda event, the SNS request, or the effective input). */
  event: unknown;
  /** What the binding returned (after a JSON round trip). */
  returned?: unknown;
  /** The task result the state machine got (before ResultSelector/ResultPath/OutputPath). */
  result?: unknown;
  /** Error / Cause as the state machine saw them. */
  error?: { Error: string; Cause: string };
}

export interface RunStateMachineOptions {
  /** Honour Retry intervals and Wait durations for real. Default false: both are 0 ms. */
  realWaits?: boolean;
  /** Extra/other aws-local-stepfunctions overrides (ms), merged over the 0 ms defaults. */
  retryIntervalOverrides?: Record<string, number | number[]>;
  waitTimeOverrides?: Record<string, number>;
  /** Abort the execution after this many ms (default 30 000). */
  timeoutMs?: number;
  /** Validate the ASL with asl-validator first (default true; once per distinct definition, it takes ~1 s). */
  validate?: boolean;
  /** Execution name in the Context Object (default `local-<uuid>`). */
  executionName?: string;
  /** State machine name in the Context Object ARNs (default `LocalStateMachine`). */
  stateMachineName?: string;
  /** Fake env used for the Context Object ARNs and Lambda contexts (defaults as in stateMachineDefinition). */
  env?: FakeAwsEnv;
  /** Context Object fields merged into the default one. */
  context?: Record<string, unknown>;
}

export type ExecutionEvent = Record<string, any> & { type: string; timestamp: number };

export interface StateMachineRun {
  output: unknown;
  /** Task binding calls, in call order. */
  invocations: TaskInvocation[];
  /** aws-local-stepfunctions event log (StateEntered/Exited/Failed/Retried/Caught, MapIteration*, Execution*). */
  events: ExecutionEvent[];
}

/** The execution failed (a Fail state, or an uncaught error). */
export class StateMachineExecutionError extends Error {
  /** The `Error` of the execution (Fail state's Error, or the uncaught error's name). */
  readonly error: string;
  /** The `Cause` (undefined for a Fail state without Cause/CausePath). */
  override readonly cause: string | undefined;
  /** Top-level state the execution failed in (the Fail state, or e.g. the Map whose iteration failed). */
  readonly state: string | undefined;
  /** Every state that had a StateFailed event (nested Map/Parallel states included; retried/caught failures too), deduplicated, in event order. */
  readonly failedStates: string[];
  readonly invocations: TaskInvocation[];
  readonly events: ExecutionEvent[];
  constructor(f: { error: string; cause: string | undefined; state: string | undefined; failedStates: string[]; invocations: TaskInvocation[]; events: ExecutionEvent[] }) {
    super(`State machine failed in state '${f.state ?? '?'}': ${f.error}${f.cause === undefined ? '' : `: ${f.cause}`}`);
    this.name = 'StateMachineExecutionError';
    this.error = f.error;
    this.cause = f.cause;
    this.state = f.state;
    this.failedStates = f.failedStates;
    this.invocations = f.invocations;
    this.events = f.events;
  }
}

/** Logical id of a CDK construct's CloudFormation resource (its default child), to key bindings exactly. */
export function logicalIdOf(construct: { node: { defaultChild?: unknown } }): string {
  const cfn = construct.node.defaultChild as { stack?: { resolve(x: unknown): unknown }; logicalId?: unknown } | undefined;
  if (!cfn?.stack || cfn.logicalId === undefined) throw new Error('logicalIdOf: construct has no CloudFormation default child');
  return cfn.stack.resolve(cfn.logicalId) as string;
}

interface WalkedState {
  name: string;
  state: AslState;
}

/** Every state, Map ItemProcessor/Iterator and Parallel branches included. */
function walkStates(def: { States?: Record<string, AslState> }, out: WalkedState[] = []): WalkedState[] {
  for (const [name, state] of Object.entries(def.States ?? {})) {
    out.push({ name, state });
    if (state.Type === 'Map') walkStates(state.ItemProcessor ?? state.Iterator ?? {}, out);
    if (state.Type === 'Parallel') for (const b of state.Branches ?? []) walkStates(b, out);
  }
  return out;
}

function unsupported(def: AslDefinition, states: WalkedState[]): string[] {
  const problems: string[] = [];
  if (def.QueryLanguage === 'JSONata') problems.push('top-level QueryLanguage JSONata');
  for (const { name, state } of states) {
    if (state.QueryLanguage === 'JSONata') problems.push(`${name}: QueryLanguage JSONata`);
    for (const f of ['Assign', 'Arguments', 'Output', 'ItemReader', 'ResultWriter', 'ItemBatcher', 'ToleratedFailurePercentage', 'ToleratedFailureCount', 'ToleratedFailurePercentagePath', 'ToleratedFailureCountPath']) {
      if (f in state) problems.push(`${name}: ${f}`);
    }
    if (state.Type === 'Map' && state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED') problems.push(`${name}: Distributed Map`);
  }
  return problems;
}

export function taskKind(resource: string): TaskKind {
  if (/^arn:[^:]+:states:::lambda:invoke$/.test(resource)) return 'lambda:invoke';
  if (/^arn:[^:]+:lambda:[^:]*:[^:]*:function:/.test(resource)) return 'lambda';
  if (/^arn:[^:]+:states:::sns:publish$/.test(resource)) return 'sns:publish';
  return 'other';
}

/** The logical id a fake ARN / queue URL / name carries. */
function logicalIdFrom(target: string): string | undefined {
  if (!target) return undefined;
  const fn = /:function:([^:]+)/.exec(target);
  if (fn) return fn[1];
  const url = /^https:\/\/sqs\.[^/]+\/[^/]+\/([^/]+)$/.exec(target);
  if (url) return url[1];
  if (target.startsWith('arn:')) {
    const resource = target.split(':').slice(5).join(':');
    const parts = resource.split(/[:/]/).filter((s) => s && s !== '*');
    return parts[parts.length - 1];
  }
  return target;
}

/** Static target of a Task (undefined when it is only known at run time, e.g. `FunctionName.$`). */
function staticTarget(state: AslState, kind: TaskKind): string | undefined {
  const p = (state.Parameters ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  switch (kind) {
    case 'lambda:invoke':
      return str(p.FunctionName);
    case 'lambda':
      return state.Resource;
    case 'sns:publish':
      return str(p.TopicArn) ?? str(p.TargetArn) ?? str(p.PhoneNumber);
    default:
      return str(p.FunctionName) ?? str(p.TopicArn) ?? str(p.QueueUrl) ?? str(p.StateMachineArn) ?? state.Resource;
  }
}

function findBinding(bindings: TaskBindings, stateName: string, target: string | undefined): TaskBinding | undefined {
  if (bindings[stateName]) return bindings[stateName];
  if (target === undefined) return undefined;
  if (bindings[target]) return bindings[target];
  const id = logicalIdFrom(target);
  if (id === undefined) return undefined;
  if (bindings[id]) return bindings[id];
  const hits = Object.keys(bindings).filter((k) => matchesLogicalId(id, k));
  if (hits.length > 1) throw fatal(`runStateMachine: bindings ${hits.join(', ')} all match ${id} (Task '${stateName}')`);
  return hits.length === 1 ? bindings[hits[0]] : undefined;
}

/** A binding error of ours the state machine must not Retry/Catch (aws-local-stepfunctions honours these flags). */
function fatal(message: string): Error {
  return Object.assign(new Error(message), { name: 'States.Runtime', isRetryable: false, isCatchable: false });
}

const json = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));

/** What the Lambda runtime reports for a thrown value. */
function lambdaError(e: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (e instanceof Error || (e && typeof e === 'object' && 'name' in e && 'message' in e)) {
    const err = e as Error;
    return { errorType: err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') };
  }
  return { errorType: typeof e, errorMessage: String(e), trace: [] };
}

/** An Error that aws-local-stepfunctions turns into Error=`name`, Cause=`message`. */
function stateError(name: string, cause: string): Error {
  const err = new Error(cause);
  err.name = name;
  return err;
}

const sdkMetadata = (requestId: string) => ({
  SdkHttpMetadata: {
    AllHttpHeaders: { 'x-amzn-RequestId': [requestId], 'Content-Type': ['application/json'] },
    HttpHeaders: { 'x-amzn-RequestId': requestId, 'Content-Type': 'application/json' },
    HttpStatusCode: 200,
  },
  SdkResponseMetadata: { RequestId: requestId },
});

function lambdaContext(stateName: string, kind: TaskKind, resource: string, target: string, env: Env): TaskCallContext {
  const logicalId = logicalIdFrom(target);
  const name = /:function:([^:]+)/.exec(target)?.[1] ?? logicalId ?? stateName;
  const started = Date.now();
  return {
    stateName,
    kind,
    resource,
    target,
    logicalId,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: target.startsWith('arn:') ? target : `arn:${env.partition}:lambda:${env.region}:${env.account}:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local-sfn',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, 900_000 - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The local handler aws-local-stepfunctions calls for Task `stateName` with the effective input. */
function adapter(stateName: string, state: AslState, bindings: TaskBindings, invocations: TaskInvocation[], env: Env) {
  const resource = String(state.Resource);
  const kind = taskKind(resource);
  return async (input: any): Promise<any> => {
    const target = (kind === 'lambda:invoke' ? input?.FunctionName : kind === 'lambda' ? resource : kind === 'sns:publish' ? (input?.TopicArn ?? input?.TargetArn ?? input?.PhoneNumber) : staticTarget(state, kind)) ?? resource;
    const binding = findBinding(bindings, stateName, target);
    if (!binding) throw fatal(`runStateMachine: no binding for Task '${stateName}' (${kind}, target ${target})`);
    const ctx = lambdaContext(stateName, kind, resource, String(target), env);
    const inv: TaskInvocation = { state: stateName, kind, target: String(target), logicalId: ctx.logicalId, event: undefined };
    invocations.push(inv);
    try {
      if (typeof binding !== 'function') {
        inv.event = json(input);
        inv.returned = json(await binding.raw(inv.event, ctx));
        inv.result = inv.returned;
        return inv.result;
      }
      switch (kind) {
        case 'lambda:invoke':
        case 'lambda': {
          inv.event = kind === 'lambda' ? json(input) : json(input?.Payload ?? {});
          let returned: unknown;
          try {
            returned = await binding(inv.event, ctx);
          } catch (e) {
            const le = lambdaError(e);
            // Service-side errors (Lambda.ServiceException, Lambda.TooManyRequestsException, States.*) carry a plain Cause.
            if (/^(Lambda|States)\./.test(le.errorType)) throw stateError(le.errorType, le.errorMessage);
            throw stateError(le.errorType, JSON.stringify(le));
          }
          inv.returned = json(returned);
          if (kind === 'lambda') {
            inv.result = inv.returned;
          } else if (input?.InvocationType === 'Event') {
            inv.result = { Payload: '', ...sdkMetadata(ctx.awsRequestId), StatusCode: 202 };
          } else {
            inv.result = { ExecutedVersion: '$LATEST', Payload: inv.returned, ...sdkMetadata(ctx.awsRequestId), StatusCode: 200 };
          }
          return inv.result;
        }
        case 'sns:publish': {
          const req = json(input) as Record<string, unknown>;
          if (typeof req.Message !== 'string') req.Message = JSON.stringify(req.Message);
          inv.event = req;
          const returned = json(await binding(req, ctx)) as { MessageId?: string; SequenceNumber?: string } | null;
          inv.returned = returned;
          inv.result = { MessageId: returned?.MessageId ?? randomUUID(), ...(returned?.SequenceNumber ? { SequenceNumber: returned.SequenceNumber } : {}), ...sdkMetadata(ctx.awsRequestId) };
          return inv.result;
        }
        default: {
          inv.event = json(input);
          inv.returned = json(await binding(inv.event, ctx));
          inv.result = inv.returned;
          return inv.result;
        }
      }
    } catch (e) {
      const err = e as Error & { isCatchable?: boolean };
      if (err.isCatchable === false) throw err;
      const le = lambdaError(e);
      inv.error = { Error: le.errorType, Cause: le.errorMessage };
      throw e instanceof Error ? e : stateError(le.errorType, le.errorMessage);
    }
  };
}

/**
 * Runs `definition` (e.g. from `stateMachineDefinition`) on `input`, every Task bound to a local function (see the
 * module doc for what each kind of binding receives and returns). Resolves with the output and a trace; rejects with
 * a `StateMachineExecutionError` (error, cause, failing state, trace) when the execution fails. Throws before running
 * when a Task with a static target has no binding or the definition uses a feature the interpreter lacks.
 */
export async function runStateMachine(definition: object, input: unknown, bindings: TaskBindings, opts: RunStateMachineOptions = {}): Promise<StateMachineRun> {
  const def = definition as AslDefinition;
  const env = fullEnv(opts.env ?? {});
  const states = walkStates(def);
  const problems = unsupported(def, states);
  if (problems.length > 0) throw new Error(`runStateMachine: aws-local-stepfunctions cannot run ${problems.join('; ')}`);

  const invocations: TaskInvocation[] = [];
  const handlers: Record<string, (input: any) => Promise<any>> = {};
  const retryIntervalOverrides: Record<string, number | number[]> = {};
  const waitTimeOverrides: Record<string, number> = {};
  const missing: string[] = [];
  for (const { name, state } of states) {
    if (state.Type === 'Task') {
      const kind = taskKind(String(state.Resource));
      const target = staticTarget(state, kind);
      // Dynamic targets (FunctionName.$ …) are looked up at call time.
      const dynamic = kind === 'lambda:invoke' ? typeof state.Parameters?.FunctionName !== 'string' : kind === 'sns:publish' && target === undefined;
      if (!dynamic && !findBinding(bindings, name, target)) missing.push(`'${name}' (${kind}${target ? `, target ${target}` : ''})`);
      handlers[name] = adapter(name, state, bindings, invocations, env);
    }
    if (!opts.realWaits && Array.isArray(state.Retry)) retryIntervalOverrides[name] = 0;
    if (!opts.realWaits && state.Type === 'Wait') waitTimeOverrides[name] = 0;
  }
  if (missing.length > 0) throw new Error(`runStateMachine: no binding for Task ${missing.join(', ')}; bind by state name or target logical id`);
  // A key that is a Task's state name binds that Task; refuse it if it also names another Task's target resource.
  const tasks = states.filter((s) => s.state.Type === 'Task');
  for (const key of Object.keys(bindings)) {
    if (!tasks.some((s) => s.name === key)) continue;
    const other = tasks.find(({ name, state }) => {
      const target = name === key ? undefined : staticTarget(state, taskKind(String(state.Resource)));
      const id = target === undefined ? undefined : logicalIdFrom(target);
      return target === key || (id !== undefined && matchesLogicalId(id, key));
    });
    if (other) throw new Error(`runStateMachine: binding '${key}' is both a Task state name and the target of Task '${other.name}': rename one or key by the full logical id`);
  }

  const { StateMachine, ExecutionError } = await localSfn();
  // asl-validator compiles its schemas on every call (~1 s): validate each distinct definition once per process.
  const key = JSON.stringify(def);
  const validate = opts.validate !== false && !validated.has(key);
  const machine = new StateMachine(def as unknown as LocalSfn.StateMachineDefinition, {
    validationOptions: validate ? { checkPaths: true, checkArn: true } : { noValidate: true },
  });
  if (validate) validated.add(key);
  const smName = opts.stateMachineName ?? 'LocalStateMachine';
  const execName = opts.executionName ?? `local-${randomUUID()}`;
  const smArn = `arn:${env.partition}:states:${env.region}:${env.account}:stateMachine:${smName}`;
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      retryIntervalOverrides: { ...retryIntervalOverrides, ...opts.retryIntervalOverrides },
      waitTimeOverrides: { ...waitTimeOverrides, ...opts.waitTimeOverrides },
    },
    context: {
      Execution: { Id: `arn:${env.partition}:states:${env.region}:${env.account}:execution:${smName}:${execName}`, Name: execName, RoleArn: `arn:${env.partition}:iam::${env.account}:role/${smName}Role` },
      StateMachine: { Id: smArn, Name: smName },
      Task: { Token: `local-task-token-${execName}` },
      ...opts.context,
    },
  });
  const events: ExecutionEvent[] = [];
  const collecting = (async () => {
    for await (const ev of execution.eventLogs) events.push(ev as unknown as ExecutionEvent);
  })();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      execution.abort();
      reject(new Error(`runStateMachine: execution did not finish within ${timeoutMs} ms (aborted)`));
    }, timeoutMs);
  });
  try {
    const output = await Promise.race([execution.result, timedOut]);
    await collecting;
    return { output, invocations, events };
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
    await collecting;
    const inner = (e as Error).cause as Error | undefined;
    const topFailed = events.filter((ev) => ev.type === 'StateFailed' && ev.index === undefined);
    const lastTop = topFailed[topFailed.length - 1]?.state?.name as string | undefined;
    const failState = lastTop !== undefined ? findState(states, lastTop) : undefined;
    const noCause = failState?.Type === 'Fail' && failState.Cause === undefined && failState.CausePath === undefined;
    const failedStates = events.filter((ev) => ev.type === 'StateFailed').map((ev) => ev.state?.name as string);
    throw new StateMachineExecutionError({
      error: inner?.name ?? 'Error',
      cause: noCause ? undefined : inner?.message,
      state: lastTop,
      failedStates: [...new Set(failedStates)],
      invocations,
      events,
    });
  } finally {
    clearTimeout(timer);
  }
}

const validated = new Set<string>();

function findState(states: WalkedState[], name: string): AslState | undefined {
  return states.find((s) => s.name === name)?.state;
}
