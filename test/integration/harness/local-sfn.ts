/**
 * Integration-test harness: runs the Amazon States Language of a state machine *exactly as `cdk synth` produced it*,
 * in-process, with `aws-local-stepfunctions`, every Task bound to a local JS function.
 *
 *  1. `stateMachineDefinition(template, logicalId?)` pulls the AWS::StepFunctions::StateMachine's DefinitionString out
 *     of a synthesized template and resolves its CloudFormation intrinsics (Fn::Join, Ref, Fn::GetAtt, Fn::Sub,
 *     Fn::Select/Split, Fn::FindInMap, pseudo parameters, DefinitionSubstitutions) into stable fake values that still
 *     name the resource: `arn:aws:lambda:us-east-1:123456789012:function:<LogicalId>`, `arn:aws:sns:…:<LogicalId>`, …
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
import { randomUUID } from 'node:crypto';
import type * as LocalSfn from 'aws-local-stepfunctions';

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
function localSfn(): typeof LocalSfn {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('aws-local-stepfunctions') as typeof LocalSfn;
}

// =====================================================================================================================
// ASL extraction
// =====================================================================================================================

/** Loose ASL types: enough to navigate a definition in a test (`def.States.List.Parameters`). */
export interface AslState {
  Type: string;
  [field: string]: any;
}
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [field: string]: any;
}

/** The fake environment intrinsics resolve to. */
export interface FakeAwsEnv {
  /** Default `aws`. */
  partition?: string;
  /** Default `us-east-1`. */
  region?: string;
  /** Default `123456789012`. */
  account?: string;
  /** Default `LocalStack`. */
  stackName?: string;
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Parameters?: Record<string, { Default?: unknown }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * The ASL of the AWS::StepFunctions::StateMachine `logicalId` (exact, or the construct path without CDK's 8-hex hash
 * suffix; omit it if the template has only one state machine) in a synthesized template — the JSON object of
 * `Template.fromStack(stack).toJSON()` (a `Template` itself is accepted too) or a parsed cdk.out `*.template.json` —
 * with every CloudFormation intrinsic resolved to a stable fake value that still names its resource.
 */
export function stateMachineDefinition(template: object, logicalId?: string, env: FakeAwsEnv = {}): AslDefinition {
  const t = (typeof (template as { toJSON?: unknown }).toJSON === 'function' ? (template as { toJSON(): object }).toJSON() : template) as CfnTemplate;
  const resources = t.Resources ?? {};
  const machines = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::StepFunctions::StateMachine');
  let id: string;
  if (logicalId === undefined) {
    if (machines.length !== 1) throw new Error(`stateMachineDefinition: expected exactly one AWS::StepFunctions::StateMachine, found ${machines.length} (${machines.join(', ')}): pass its logical id`);
    id = machines[0];
  } else {
    const hits = machines.filter((m) => matchesLogicalId(m, logicalId));
    if (hits.length !== 1) throw new Error(`stateMachineDefinition: ${hits.length === 0 ? 'no' : 'ambiguous'} state machine '${logicalId}' (template has: ${machines.join(', ') || 'none'})`);
    id = hits[0];
  }
  const props = resources[id].Properties ?? {};
  const e = fullEnv(env);
  let def: unknown;
  if (props.DefinitionString !== undefined) {
    const resolved = resolveIntrinsics(props.DefinitionString, t, e);
    if (typeof resolved !== 'string') throw new Error(`stateMachineDefinition: DefinitionString of ${id} did not resolve to a string`);
    let text: string = resolved;
    const subs = props.DefinitionSubstitutions as Record<string, unknown> | undefined;
    if (subs) {
      for (const [k, v] of Object.entries(subs)) {
        const value = resolveIntrinsics(v, t, e);
        text = text.split('${' + k + '}').join(typeof value === 'string' ? value : JSON.stringify(value));
      }
    }
    def = JSON.parse(text);
  } else if (props.Definition !== undefined) {
    def = resolveIntrinsics(props.Definition, t, e);
  } else {
    throw new Error(`stateMachineDefinition: ${id} has neither DefinitionString nor Definition (DefinitionS3Location is not supported)`);
  }
  return def as AslDefinition;
}

type Env = Required<FakeAwsEnv>;
const fullEnv = (e: FakeAwsEnv): Env => ({ partition: e.partition ?? 'aws', region: e.region ?? 'us-east-1', account: e.account ?? '123456789012', stackName: e.stackName ?? 'LocalStack' });

/** `key` names `logicalId`: equal, or `key` + CDK's 8-hex-digit hash suffix. */
function matchesLogicalId(logicalId: string, key: string): boolean {
  return logicalId === key || (logicalId.length === key.length + 8 && logicalId.startsWith(key) && /^[0-9A-F]{8}$/.test(logicalId.slice(key.length)));
}

interface FakeResource {
  ref: string;
  arn: string;
  attrs?: Record<string, string>;
}

/** Fake physical values per resource type. Names are the logical id, so ARNs say which resource they are. */
function fakeResource(type: string, id: string, e: Env): FakeResource {
  const { partition: p, region: r, account: a } = e;
  const arn = (svc: string, resource: string, regional = true) => `arn:${p}:${svc}:${regional ? r : ''}:${regional || svc !== 's3' ? a : ''}:${resource}`;
  switch (type) {
    case 'AWS::Lambda::Function':
      return { ref: id, arn: arn('lambda', `function:${id}`) };
    case 'AWS::Lambda::Alias':
      return { ref: arn('lambda', `function:${id}:live`), arn: arn('lambda', `function:${id}:live`) };
    case 'AWS::Lambda::Version':
      return { ref: arn('lambda', `function:${id}:1`), arn: arn('lambda', `function:${id}:1`), attrs: { Version: '1' } };
    case 'AWS::SNS::Topic': {
      const t = arn('sns', id);
      return { ref: t, arn: t, attrs: { TopicArn: t, TopicName: id } };
    }
    case 'AWS::SQS::Queue': {
      const url = `https://sqs.${r}.amazonaws.com/${a}/${id}`;
      return { ref: url, arn: arn('sqs', id), attrs: { QueueUrl: url, QueueName: id } };
    }
    case 'AWS::S3::Bucket': {
      const name = id.toLowerCase();
      return { ref: name, arn: `arn:${p}:s3:::${name}`, attrs: { DomainName: `${name}.s3.amazonaws.com`, RegionalDomainName: `${name}.s3.${r}.amazonaws.com`, WebsiteURL: `http://${name}.s3-website-${r}.amazonaws.com` } };
    }
    case 'AWS::DynamoDB::Table':
      return { ref: id, arn: arn('dynamodb', `table/${id}`), attrs: { StreamArn: arn('dynamodb', `table/${id}/stream/1970-01-01T00:00:00.000`) } };
    case 'AWS::StepFunctions::StateMachine': {
      const sm = arn('states', `stateMachine:${id}`);
      return { ref: sm, arn: sm, attrs: { Name: id, StateMachineRevisionId: sm } };
    }
    case 'AWS::StepFunctions::Activity': {
      const act = arn('states', `activity:${id}`);
      return { ref: act, arn: act, attrs: { Name: id } };
    }
    case 'AWS::IAM::Role':
      return { ref: id, arn: `arn:${p}:iam::${a}:role/${id}`, attrs: { RoleId: `AROA${id.toUpperCase().slice(0, 17)}` } };
    case 'AWS::Events::EventBus':
      return { ref: id, arn: arn('events', `event-bus/${id}`), attrs: { Name: id } };
    case 'AWS::Events::Rule':
      return { ref: id, arn: arn('events', `rule/${id}`) };
    case 'AWS::Logs::LogGroup':
      return { ref: id, arn: arn('logs', `log-group:${id}:*`) };
    case 'AWS::Kinesis::Stream':
      return { ref: id, arn: arn('kinesis', `stream/${id}`) };
    case 'AWS::KinesisFirehose::DeliveryStream':
      return { ref: id, arn: arn('firehose', `deliverystream/${id}`) };
    case 'AWS::SecretsManager::Secret': {
      const s = arn('secretsmanager', `secret:${id}`);
      return { ref: s, arn: s };
    }
    case 'AWS::ECS::Cluster':
      return { ref: id, arn: arn('ecs', `cluster/${id}`) };
    case 'AWS::ECS::TaskDefinition': {
      const td = arn('ecs', `task-definition/${id}:1`);
      return { ref: td, arn: td, attrs: { TaskDefinitionArn: td } };
    }
    case 'AWS::CodeBuild::Project':
      return { ref: id, arn: arn('codebuild', `project/${id}`) };
    case 'AWS::Athena::WorkGroup':
    case 'AWS::Glue::Database':
    case 'AWS::Glue::Table':
    case 'AWS::Glue::Job':
    case 'AWS::Glue::Crawler':
      return { ref: id, arn: arn(type.split('::')[1].toLowerCase(), `${type.split('::')[2].toLowerCase()}/${id}`) };
    default: {
      const [, svc = 'unknown', kind = 'resource'] = type.split('::');
      return { ref: id, arn: arn(svc.toLowerCase(), `${kind.toLowerCase()}/${id}`) };
    }
  }
}

function getAtt(t: CfnTemplate, id: string, attr: string, e: Env): string {
  const res = t.Resources?.[id];
  if (!res) throw new Error(`Fn::GetAtt: no resource '${id}' in the template`);
  const f = fakeResource(res.Type, id, e);
  if (f.attrs?.[attr] !== undefined) return f.attrs[attr];
  if (attr === 'Arn') return f.arn;
  if (/Arn$/.test(attr)) return `${f.arn}/${attr}`;
  if (/Name$/.test(attr)) return id;
  return `${id}.${attr}`;
}

function pseudo(name: string, e: Env): string | typeof NO_VALUE | undefined {
  switch (name) {
    case 'AWS::Partition':
      return e.partition;
    case 'AWS::Region':
      return e.region;
    case 'AWS::AccountId':
      return e.account;
    case 'AWS::StackName':
      return e.stackName;
    case 'AWS::StackId':
      return `arn:${e.partition}:cloudformation:${e.region}:${e.account}:stack/${e.stackName}/00000000-0000-0000-0000-000000000000`;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::NotificationARNs':
      return '';
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      return undefined;
  }
}

function ref(t: CfnTemplate, name: string, e: Env): unknown {
  const ps = pseudo(name, e);
  if (ps !== undefined) return ps;
  const res = t.Resources?.[name];
  if (res) return fakeResource(res.Type, name, e).ref;
  const param = t.Parameters?.[name];
  if (param) return param.Default ?? `param-${name}`;
  throw new Error(`Ref: no resource, parameter or pseudo parameter '${name}' in the template`);
}

function sub(t: CfnTemplate, text: string, vars: Record<string, unknown>, e: Env): string {
  return text.replace(/\$\{(!?)([^}]*)\}/g, (_, bang: string, name: string) => {
    if (bang) return '${' + name + '}';
    if (name in vars) return String(vars[name]);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::')) return getAtt(t, name.slice(0, dot), name.slice(dot + 1), e);
    return String(ref(t, name, e));
  });
}

/** Resolves CloudFormation intrinsics in `v` to fake values (see `stateMachineDefinition`). */
export function resolveIntrinsics(v: unknown, template: object, env: FakeAwsEnv = {}): unknown {
  const t = template as CfnTemplate;
  const e = fullEnv(env);
  const go = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(go).filter((y) => y !== NO_VALUE);
    if (x === null || typeof x !== 'object') return x;
    const entries = Object.entries(x as Record<string, unknown>);
    if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
      const [fn, arg] = entries[0];
      const a = arg as any;
      switch (fn) {
        case 'Ref':
          return ref(t, a as string, e);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(a) ? a : String(a).split(/\.(.*)/s);
          return getAtt(t, id, String(go(attr)), e);
        }
        case 'Fn::Join':
          return (go(a[1]) as unknown[]).map(String).join(a[0]);
        case 'Fn::Sub':
          return Array.isArray(a) ? sub(t, a[0], go(a[1]) as Record<string, unknown>, e) : sub(t, a, {}, e);
        case 'Fn::Select':
          return (go(a[1]) as unknown[])[Number(go(a[0]))];
        case 'Fn::Split':
          return String(go(a[1])).split(a[0]);
        case 'Fn::FindInMap': {
          const [m, k1, k2] = (a as unknown[]).map(go) as string[];
          const val = t.Mappings?.[m]?.[k1]?.[k2];
          if (val === undefined) throw new Error(`Fn::FindInMap: ${m}.${k1}.${k2} not in the template's Mappings`);
          return val;
        }
        case 'Fn::ImportValue':
          return `imported-${String(go(a))}`;
        case 'Fn::Base64':
          return Buffer.from(String(go(a))).toString('base64');
        case 'Fn::GetAZs':
          return ['a', 'b', 'c'].map((z) => `${e.region}${z}`);
        default:
          throw new Error(`resolveIntrinsics: ${fn} is not supported`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, val] of entries) {
      const r = go(val);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  };
  return go(v);
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

/** A harness error the state machine must not Retry/Catch (aws-local-stepfunctions honours these flags). */
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

  const { StateMachine, ExecutionError } = localSfn();
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
