/**
 * The Amazon States Language of a state machine *exactly as `cdk synth` produced it*, for local-sfn.ts to run:
 * `stateMachineDefinition(template, logicalId?)` pulls the AWS::StepFunctions::StateMachine's DefinitionString out of
 * a synthesized template and resolves its CloudFormation intrinsics (Fn::Join, Ref, Fn::GetAtt, Fn::Sub,
 * Fn::Select/Split, Fn::FindInMap, pseudo parameters, DefinitionSubstitutions) into stable fake values that still name
 * the resource: `arn:aws:lambda:us-east-1:123456789012:function:<LogicalId>`, `arn:aws:sns:…:<LogicalId>`, …
 */
import { evaluateIntrinsics, NO_VALUE } from './intrinsics';
import { matchesLogicalId } from './template';

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

export type Env = Required<FakeAwsEnv>;
export const fullEnv = (e: FakeAwsEnv): Env => ({ partition: e.partition ?? 'aws', region: e.region ?? 'us-east-1', account: e.account ?? '123456789012', stackName: e.stackName ?? 'LocalStack' });

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

/** Resolves CloudFormation intrinsics in `v` to fake values (see `stateMachineDefinition`). */
export function resolveIntrinsics(v: unknown, template: object, env: FakeAwsEnv = {}): unknown {
  const t = template as CfnTemplate;
  const e = fullEnv(env);
  return evaluateIntrinsics(v, {
    ref: (name) => ref(t, name, e),
    getAtt: (id, attr) => getAtt(t, id, attr, e),
    mapping: (m, k1, k2) => {
      const val = t.Mappings?.[m]?.[k1]?.[k2];
      if (val === undefined) throw new Error(`Fn::FindInMap: ${m}.${k1}.${k2} not in the template's Mappings`);
      return val;
    },
  });
}
