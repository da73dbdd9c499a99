/**
 * Agents in another account (issue 15, point 2), on the real Fluent Bit 4.2.2: the configuration the pipeline stack
 * synthesizes for a fluent-bit source with `account` (the example `legacy-parquet`, buffer s3, its agents in account
 * AGENT_ACCOUNT while the stacks deploy to PIPELINE_ACCOUNT) names the role `Logtong-<pipeline>-agent` in every AWS
 * output (`role_arn` + `external_id`). The YAML run here is the stack's own SSM parameter value, its CloudFormation
 * references resolved as a deployment would (the buffer bucket's name, the partition).
 *
 * What the binary is held to, with the emulators enforcing no IAM (so what counts is which key signed what):
 * - it asks STS AssumeRole for exactly the role ARN and external ID the stack's role and trust policy name, signing
 *   that request with the agent's own credentials (the env key `test`, standing for the instance or IRSA role of the
 *   other account);
 * - every request of its s3 output (the buffer bucket's PutObject; multipart would count alike) is signed with a
 *   temporary key the stand-in issued for that role, with its session token, never with the agent's own key;
 * - the objects in the buffer bucket hold every line written;
 * - the metrics path (cloudwatch_logs into the pipeline's agent-metrics group) assumes the role as well, on its own.
 *
 * How the binary is pointed here (lib/local/fluent-bit.ts `localize`, option `sts`): Fluent Bit's STS client always
 * speaks TLS to port 443 of `sts_endpoint` (src/aws/flb_aws_credentials_sts.c: the port is fixed), verifying with the
 * output's tls.ca_file. So the STS stand-in (harness/cross-account.ts) listens on 127.0.0.1:443 with kinesis-local's
 * self-signed certificate, which each output trusts; this test needs that port (root, and the port free) and fails,
 * not skips, without it. The s3 output writes through a signing recorder to the S3 emulator over HTTP; the
 * cloudwatch_logs output (TLS only) through a TLS signing recorder to the CloudWatch Logs stand-in.
 *
 * Timing, test-only: QUICK_AGENT_TIMING (agent-path.ts), and a metrics scrape every second instead of every 60 s.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { agentMetricsLogGroupName } from '../../lib/agent/agent-metrics';
import type { FluentBitConfigDocument } from '../../lib/agent/fluent-bit-config';
import type { ConfigInput } from '../../lib/config/schema';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { localize, startFluentBit, waitUntil, type FluentBitProcess } from '../../lib/local/fluent-bit';
import { freePort } from '../../lib/local/net';
import { type StackTemplate } from '../../lib/local/template';
import { build, configOf } from '../infra/synth';
import { corpusLines } from '../corpora';
import { appendLines, createBuckets, examplePipeline, exampleRaw, FAKE_AWS_ENV, objectBodies, QUICK_AGENT_TIMING } from './harness/agent-path';
import { startCloudWatchLogs, type CloudWatchLogsShim } from './harness/cloudwatch-logs';
import { startSigningRecorder, startStsStandIn, type SigningRecorder, type StsStandIn } from './harness/cross-account';

jest.setTimeout(180_000);

const PIPELINE_ACCOUNT = '123456789012';
const AGENT_ACCOUNT = '210987654321';
const REGION = 'eu-west-1';
/** The name the emulator's bucket stands for the stack's buffer bucket with. */
const BUFFER = 'legacy-parquet-buffer';
/** The agent's own credentials (its instance or IRSA role in AGENT_ACCOUNT). */
const OWN_KEY = FAKE_AWS_ENV.AWS_ACCESS_KEY_ID;
/** Fluent Bit's STS client: TLS to port 443 only. */
const STS_PORT = 443;

const PIPELINE = examplePipeline('legacy-parquet', (p) => ({ ...p, source: { ...p.source, account: AGENT_ACCOUNT } }));
const LINES = corpusLines('apache_combined_elastic_examples.log', 400);
const METRICS_GROUP = agentMetricsLogGroupName(PIPELINE.name);

/** A synthesized template, with the stack's outputs. */
type Template = StackTemplate & { Outputs?: Record<string, { Value: unknown }> };

let template: Template;
let sts: StsStandIn | undefined;
let aws: AwsEmulator | undefined;
let s3Recorder: SigningRecorder | undefined;
let cw: CloudWatchLogsShim | undefined;
let cwRecorder: SigningRecorder | undefined;
let fb: FluentBitProcess | undefined;
let dir: string | undefined;

type Resource = StackTemplate['Resources'][string];

/**
 * A value of the template as a deployment resolves it: Fn::Join, the pseudo parameters, and Refs to the resources in
 * `refs` (by logical id without its hash); anything else is an error, so nothing unresolved reaches the agent.
 */
function resolve(v: unknown, refs: Record<string, string>): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, any>;
  if (o?.['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map((x) => resolve(x, refs)).join(o['Fn::Join'][0]);
  if (o?.Ref !== undefined) {
    const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': PIPELINE_ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };
    const ref = String(o.Ref);
    const value = pseudo[ref] ?? Object.entries(refs).find(([id]) => ref.startsWith(id) && /^[0-9A-F]{8}$/.test(ref.slice(id.length)))?.[1];
    if (value !== undefined) return value;
  }
  throw new Error(`cannot resolve ${JSON.stringify(v)}`);
}

const resources = (type: string): Array<[string, Resource]> => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

/** The role agents of AGENT_ACCOUNT assume, as the template defines it: its ARN once created, and its trust. */
function agentRole(): { logicalId: string; arn: string; trust: Record<string, any> } {
  const roles = resources('AWS::IAM::Role').filter(([, r]) => r.Properties?.RoleName === `Logtong-${PIPELINE.name}-agent`);
  expect(roles.length).toBe(1);
  const [logicalId, role] = roles[0];
  // what Fn::GetAtt <role>.Arn (the output AgentRoleArn) resolves to: a named role in the stack's account
  return { logicalId, arn: `arn:aws:iam::${PIPELINE_ACCOUNT}:role/${role.Properties!.RoleName}`, trust: role.Properties!.AssumeRolePolicyDocument };
}

/** The Fluent Bit configuration the stack puts into SSM Parameter Store, resolved. */
function stackAgentConfig(): FluentBitConfigDocument {
  const params = resources('AWS::SSM::Parameter').filter(([, r]) => r.Properties?.Name === `/logtong/${PIPELINE.name}/fluent-bit.yaml`);
  expect(params.length).toBe(1);
  return parseYaml(resolve(params[0][1].Properties!.Value, { BufferBucket: BUFFER })) as FluentBitConfigDocument;
}

beforeAll(async () => {
  const raw = exampleRaw(PIPELINE.name);
  const { app, stacks } = build(configOf({ account: PIPELINE_ACCOUNT, region: REGION, pipelines: [{ ...raw, source: { ...raw.source, account: AGENT_ACCOUNT } } as ConfigInput['pipelines'][number]] }));
  template = app.synth().getStackByName(stacks[0].stackName).template as Template;

  // First, as the one thing this machine may refuse: a clear error (and every test failing) when 443 cannot be bound.
  sts = await startStsStandIn({ port: STS_PORT, tls: true }).catch((e: Error) => {
    throw new Error(`this test needs 127.0.0.1:${STS_PORT}, the only port Fluent Bit 4.2.2's STS client connects to: ${e.message}`, { cause: e });
  });
  aws = await startAwsEmulator({ region: REGION });
  await createBuckets(aws.s3, BUFFER);
  s3Recorder = await startSigningRecorder(aws.endpoint);
  cw = await startCloudWatchLogs();
  // as the stack's AgentConfig creates it before any agent runs
  cw.createLogGroup(METRICS_GROUP);
  cwRecorder = await startSigningRecorder(cw.url, { tls: true });
}, 120_000);

afterAll(async () => {
  await fb?.stop();
  await cwRecorder?.stop();
  await cw?.close();
  await s3Recorder?.stop();
  await aws?.stop();
  await sts?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('agents in another account on the real Fluent Bit: every AWS output assumes the pipeline’s agent role', () => {
  it('the stack names the role, trusted by the agents’ account with the external ID, in every AWS output of the configuration', () => {
    const role = agentRole();
    expect(role.trust.Statement.map((s: Record<string, any>) => ({ ...s, Principal: { AWS: resolve(s.Principal?.AWS, {}) } }))).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Condition: { StringEquals: { 'sts:ExternalId': `logtong-${PIPELINE.name}` } },
        Principal: { AWS: `arn:aws:iam::${AGENT_ACCOUNT}:root` },
      },
    ]);
    expect(template.Outputs?.AgentRoleArn?.Value).toEqual({ 'Fn::GetAtt': [role.logicalId, 'Arn'] });
    const outputs = stackAgentConfig().pipeline.outputs;
    expect(outputs.map((o) => [o.name, o.role_arn, o.external_id])).toEqual([
      ['s3', role.arn, `logtong-${PIPELINE.name}`],
      ['cloudwatch_logs', role.arn, `logtong-${PIPELINE.name}`],
    ]);
  });

  it('STS is asked for that role with that external ID; every buffer and metrics write is signed with the temporary key; every line is in the buffer', async () => {
    const role = agentRole();
    const externalId = role.trust.Statement[0].Condition.StringEquals['sts:ExternalId'] as string;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logtong-agent-assume-role-'));
    const file = path.join(dir, 'access_log');
    fs.writeFileSync(file, '');
    const doc = localize(stackAgentConfig(), {
      stateDir: path.join(dir, 'state'),
      httpPort: await freePort(),
      logPaths: [file],
      s3Endpoint: s3Recorder!.endpoint,
      cloudwatchLogs: { port: cwRecorder!.port, certificateFile: cwRecorder!.certificateFile! },
      sts: { host: '127.0.0.1', certificateFile: sts!.certificateFile! },
      // the metrics path as shipped: its selector and labels address the instances by their aliases
      aliases: true,
      timing: { ...QUICK_AGENT_TIMING, fluentbit_metrics: { scrape_interval: 1 } },
    });
    // as run: both outputs with the role, the external ID, and STS here
    expect(doc.pipeline.outputs.map((o) => [o.name, o.role_arn, o.external_id, o.sts_endpoint])).toEqual([
      ['s3', role.arn, externalId, '127.0.0.1'],
      ['cloudwatch_logs', role.arn, externalId, '127.0.0.1'],
    ]);
    fb = await startFluentBit({ doc, dir, env: FAKE_AWS_ENV });
    appendLines(file, LINES);

    const buffered = async () => (await objectBodies(aws!.s3, BUFFER)).flatMap(({ body }) => gunzipSync(body).toString('utf8').split('\n').filter(Boolean));
    const describe = async () =>
      `${(await buffered()).length} of ${LINES.length} lines in the buffer, ${cw!.events(METRICS_GROUP).length} metrics events; STS calls ${JSON.stringify(sts!.calls)}\n` +
      `--- agent log (tail) ---\n${fb!.log().slice(-4000)}`;
    await waitUntil(async () => (await buffered()).length >= LINES.length && cw!.events(METRICS_GROUP).length > 0, 60_000, describe, 1_000);

    // The AssumeRole requests the binary sent (one per output at least: each has its own credential provider).
    console.info(`Fluent Bit's AssumeRole requests: ${JSON.stringify(sts!.calls, null, 1)}`);
    expect(sts!.calls.length).toBeGreaterThanOrEqual(2);
    for (const call of sts!.calls) {
      expect(call).toEqual({
        method: 'GET',
        version: '2011-06-15',
        roleArn: role.arn,
        externalId,
        sessionName: expect.stringMatching(/^[\w+=,.@-]{2,64}$/),
        callerAccessKeyId: OWN_KEY,
        issuedAccessKeyId: expect.any(String),
      });
    }
    const issued = new Set(sts!.calls.map((c) => c.issuedAccessKeyId));

    // The buffer: every request the s3 output made (the recorder sees only the agent's), signed with an issued key
    // of that role and its session token; the PUTs among them, and nothing signed with the agent's own key.
    const s3Requests = s3Recorder!.requests;
    const summary = (rs: typeof s3Requests) => [...new Set(rs.map((r) => `${r.method} ${r.operation || r.bucket} ${r.accessKeyId}${r.sessionToken ? '+token' : ''}`))];
    console.info(`signed requests: s3 ${JSON.stringify(summary(s3Requests))}; logs ${JSON.stringify(summary(cwRecorder!.requests))}`);
    const writes = s3Requests.filter((r) => r.bucket === BUFFER && (r.method === 'PUT' || r.method === 'POST'));
    expect(writes.length).toBeGreaterThan(0);
    expect(s3Requests.filter((r) => !issued.has(r.accessKeyId) || !r.sessionToken || r.service !== 's3' || r.bucket !== BUFFER)).toEqual([]);
    for (const key of new Set(s3Requests.map((r) => r.accessKeyId))) expect(sts!.roleOf(key)).toBe(role.arn);

    // every line written, each once
    expect((await buffered()).sort()).toEqual([...LINES].sort());

    // The metrics path assumed the role too, with a key of its own (its own AssumeRole), into the pipeline's group.
    const cwRequests = cwRecorder!.requests;
    expect(cwRequests.map((r) => r.operation)).toContain('Logs_20140328.PutLogEvents');
    expect(cwRequests.filter((r) => !issued.has(r.accessKeyId) || !r.sessionToken || r.service !== 'logs')).toEqual([]);
    const s3Keys = new Set(s3Requests.map((r) => r.accessKeyId));
    expect(cwRequests.filter((r) => s3Keys.has(r.accessKeyId))).toEqual([]);
    expect(cw!.requests.filter((r) => r.status !== 200)).toEqual([]);
    expect(cw!.events(METRICS_GROUP).every((e) => JSON.parse(e.message).pipeline === PIPELINE.name)).toBe(true);
  });
});
