/**
 * A source bucket in another account (issue 15), as the synthesized stack configures it: the copy handler and the
 * scanner bundle read the source with credentials from STS AssumeRole (the source role, with the external ID), and
 * write staging objects, the checkpoint and queue messages with their own. The emulator enforces no IAM, so the test
 * asserts which access key signed each call (a recording proxy in front of it) and what AssumeRole was asked.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { objectsFromMessage, s3EventMessage } from '../../lambda/core/s3-event';
import { buildScanner } from '../../lambda/scanner/build';
import type { ConfigInput } from '../../lib/config/schema';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { lambdaContext, type SqsHandler } from '../../lib/local/sqs-lambda';
import { functionEnvironment, withEnvironment, type StackTemplate } from '../../lib/local/template';
import { build, configOf } from '../infra/synth';
import { captureHandlerLogs, handlerEnv } from './harness/agent-path';
import { startSigningRecorder, startStsStandIn, type SigningRecorder, type StsStandIn } from './harness/cross-account';

jest.setTimeout(120_000);

const PIPELINE_ACCOUNT = '111111111111';
const SOURCE_ACCOUNT = '222222222222';
const REGION = 'us-east-1';
const SOURCE = 'their-logs';
const STAGING = 'staging';
/** The function's (or task's) own credentials: the emulator env's. */
const OWN_KEY = 'test';

let aws: AwsEmulator;
let recorder: SigningRecorder;
let sts: StsStandIn;
let templates: Record<string, StackTemplate>;
let workDir: string;
let logs: ReturnType<typeof captureHandlerLogs>;

beforeAll(async () => {
  aws = await startAwsEmulator({ region: REGION });
  recorder = await startSigningRecorder(aws.endpoint);
  sts = await startStsStandIn();
  for (const b of [SOURCE, STAGING]) await aws.s3.send(new CreateBucketCommand({ Bucket: b }));
  const source = (mode: 'ongoing' | 'one-time') => ({
    type: 's3',
    bucketName: SOURCE,
    account: SOURCE_ACCOUNT,
    mode,
    prefix: mode === 'ongoing' ? 'app/' : 'old/',
    ...(mode === 'one-time'
      ? { scanner: { vpc: { vpcId: 'vpc-0a1b2c3d4e5f60718', subnetIds: ['subnet-0a1b2c3d4e5f60001'], securityGroupIds: ['sg-0a1b2c3d4e5f60004'] } } }
      : {}),
  });
  const engine = { type: 'light', schedule: 'rate(15 minutes)' };
  const { app } = build(
    configOf({
      account: PIPELINE_ACCOUNT,
      region: REGION,
      pipelines: [
        { name: 'xa-copy', source: source('ongoing'), logFormat: { type: 'json' }, engine },
        { name: 'xa-scan', source: source('one-time'), logFormat: { type: 'json' }, engine },
      ],
    } as ConfigInput),
  );
  const assembly = app.synth();
  templates = Object.fromEntries(['xa-copy', 'xa-scan'].map((n) => [n, assembly.getStackByName(`Logtong-${n}`).template as StackTemplate]));
  workDir = mkdtempSync(path.join(tmpdir(), 'logtong-xa-'));
  logs = captureHandlerLogs('copied');
}, 120_000);

afterAll(async () => {
  logs?.restore();
  await recorder?.stop();
  await sts?.stop();
  await aws?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** What every client of the code under test is pointed at: S3 and SQS through the recorder, STS at the stand-in. */
const endpoints = () => ({ AWS_ENDPOINT_URL_S3: recorder.endpoint, AWS_ENDPOINT_URL_SQS: recorder.endpoint, AWS_ENDPOINT_URL_STS: sts.endpoint });
const requestsTo = (bucket: string) => recorder.requests.filter((r) => r.service === 's3' && r.bucket === bucket);
const keysOf = (rs: Array<{ accessKeyId: string }>) => [...new Set(rs.map((r) => r.accessKeyId))];

it('copy handler: reads the source with the assumed role, writes staging with its own credentials', async () => {
  const body = Buffer.from('{"msg":"from the other account"}\n'.repeat(100));
  const put = await aws.s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: 'app/2025/a.log', Body: body }));
  const env = functionEnvironment(templates['xa-copy'], 'CopyFunction', { StagingBucket: STAGING });
  expect(env.SOURCE_ROLE_ARN).toBe(`arn:aws:iam::${SOURCE_ACCOUNT}:role/Logtong-xa-copy-source-read`);
  const handler = withEnvironment({ ...handlerEnv(aws, { logLevel: 'INFO' }), ...endpoints(), ...env }, () => require('../../lambda/handlers/copy').handler as SqsHandler);
  const event: SQSEvent = {
    Records: [
      {
        messageId: 'm-1',
        receiptHandle: 'r-1',
        body: s3EventMessage([{ bucket: SOURCE, key: 'app/2025/a.log', size: body.length, etag: put.ETag!.replace(/"/g, '') }]),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 's3', ApproximateFirstReceiveTimestamp: String(Date.now()) },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${REGION}:${PIPELINE_ACCOUNT}:Logtong-xa-copy-copy`,
        awsRegion: REGION,
      },
    ],
  };
  const before = recorder.requests.length;
  expect(await handler(event, lambdaContext('copy'))).toEqual({ batchItemFailures: [] });

  // The staged copy is byte for byte the source object.
  const staged = await aws.s3.send(new ListObjectsV2Command({ Bucket: STAGING, Prefix: `xa-copy/${SOURCE}/` }));
  expect(staged.Contents?.map((c) => c.Key)).toEqual([expect.stringMatching(/^xa-copy\/their-logs\/etag=[0-9a-f]+\/app\/2025\/a\.log$/)]);
  const copy = await aws.s3.send(new GetObjectCommand({ Bucket: STAGING, Key: staged.Contents![0].Key! }));
  expect(Buffer.from(await copy.Body!.transformToByteArray())).toEqual(body);

  expect(sts.calls).toEqual([
    expect.objectContaining({ roleArn: env.SOURCE_ROLE_ARN, externalId: 'logtong-xa-copy', callerAccessKeyId: OWN_KEY, sessionName: 'logtong-xa-copy' }),
  ]);
  const assumed = sts.calls[0].issuedAccessKeyId;
  const made = recorder.requests.slice(before);
  const sourceReads = made.filter((r) => r.bucket === SOURCE);
  expect(sourceReads.map((r) => [r.method, r.key])).toEqual([['GET', 'app/2025/a.log']]);
  expect(keysOf(sourceReads)).toEqual([assumed]);
  expect(sourceReads.every((r) => r.sessionToken)).toBe(true);
  const stagingWrites = made.filter((r) => r.bucket === STAGING);
  expect(stagingWrites.length).toBeGreaterThan(0);
  expect(keysOf(stagingWrites)).toEqual([OWN_KEY]);
  // Nothing else was called, and the source role's key signed nothing but the source read.
  expect(made.filter((r) => r.bucket !== SOURCE && r.bucket !== STAGING)).toEqual([]);
});

it('copy handler: a source object replaced since its event is left alone (412 from the conditional read)', async () => {
  const env = functionEnvironment(templates['xa-copy'], 'CopyFunction', { StagingBucket: STAGING });
  const handler = withEnvironment({ ...handlerEnv(aws, { logLevel: 'INFO' }), ...endpoints(), ...env }, () => require('../../lambda/handlers/copy').handler as SqsHandler);
  await aws.s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: 'app/2025/b.log', Body: 'second content\n' }));
  const message = s3EventMessage([{ bucket: SOURCE, key: 'app/2025/b.log', size: 14, etag: '0123456789abcdef0123456789abcdef' }]);
  const event = { Records: [{ messageId: 'm-2', receiptHandle: 'r-2', body: message, attributes: {}, messageAttributes: {}, eventSourceARN: 'arn:aws:sqs:us-east-1:1:q' }] } as unknown as SQSEvent;
  expect(await handler(event, lambdaContext('copy'))).toEqual({ batchItemFailures: [] });
  const staged = await aws.s3.send(new ListObjectsV2Command({ Bucket: STAGING, Prefix: `xa-copy/${SOURCE}/etag=0123456789abcdef0123456789abcdef/` }));
  expect(staged.Contents ?? []).toEqual([]);
});

/** The scanner's container environment as synthesized, its references resolved through `refs` (logical id prefixes). */
function taskEnvironment(template: StackTemplate, refs: Record<string, string>): Record<string, string> {
  const tasks = Object.values(template.Resources).filter((r) => r.Type === 'AWS::ECS::TaskDefinition');
  expect(tasks).toHaveLength(1);
  const vars = (tasks[0].Properties?.ContainerDefinitions?.[0]?.Environment ?? []) as Array<{ Name: string; Value: unknown }>;
  return Object.fromEntries(
    vars.map(({ Name, Value }) => {
      if (typeof Value === 'string') return [Name, Value];
      const ref = (Value as { Ref?: string }).Ref ?? '';
      const key = Object.keys(refs).find((r) => ref.startsWith(r) && /^[0-9A-F]{8}$/.test(ref.slice(r.length)));
      if (!key) throw new Error(`scanner environment ${Name} = ${JSON.stringify(Value)} has no stand-in`);
      return [Name, refs[key]];
    }),
  );
}

it('scanner bundle: lists the source with the assumed role, checkpoints and sends with its own credentials', async () => {
  const bundle = path.join(workDir, 'scanner.js');
  buildScanner(bundle);
  for (const k of ['old/1.log', 'old/2.log', 'old/3.log', 'other/4.log']) await aws.s3.send(new PutObjectCommand({ Bucket: SOURCE, Key: k, Body: `${k}\n` }));
  const created = await aws.sqs.send(new CreateQueueCommand({ QueueName: 'xa-scan-copy' }));
  // Through the recorder, whether the SDK takes the endpoint from the queue URL or from its configuration.
  const queueUrl = created.QueueUrl!.replace(aws.endpoint, recorder.endpoint);
  const env = taskEnvironment(templates['xa-scan'], { CopyQueue: queueUrl, StagingBucket: STAGING });
  expect(env.SOURCE_ROLE_ARN).toBe(`arn:aws:iam::${SOURCE_ACCOUNT}:role/Logtong-xa-scan-source-read`);
  const stsBefore = sts.calls.length;
  const before = recorder.requests.length;

  const run = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [bundle], {
      env: { PATH: process.env.PATH ?? '', ...aws.env, ...endpoints(), ...env, PROGRESS_INTERVAL_SECONDS: '0.2', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });

  const received = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: created.QueueUrl!, MaxNumberOfMessages: 10 }));
  expect((received.Messages ?? []).flatMap((m) => objectsFromMessage(m.Body!).map((o) => o.key)).sort()).toEqual(['old/1.log', 'old/2.log', 'old/3.log']);

  const calls = sts.calls.slice(stsBefore);
  expect(calls).toEqual([expect.objectContaining({ roleArn: env.SOURCE_ROLE_ARN, externalId: 'logtong-xa-scan', callerAccessKeyId: OWN_KEY })]);
  const made = recorder.requests.slice(before);
  const lists = made.filter((r) => r.bucket === SOURCE);
  expect(lists.length).toBeGreaterThan(0);
  expect(lists.every((r) => r.method === 'GET' && r.key === undefined)).toBe(true); // ListObjectsV2 only, no object read
  expect(keysOf(lists)).toEqual([calls[0].issuedAccessKeyId]);
  const checkpoint = made.filter((r) => r.bucket === STAGING);
  expect(checkpoint.map((r) => r.key)).toEqual(expect.arrayContaining(['_logtong/scanner/xa-scan.json']));
  expect(keysOf(checkpoint)).toEqual([OWN_KEY]);
  const sends = made.filter((r) => r.service === 'sqs');
  expect(sends.length).toBeGreaterThan(0);
  expect(keysOf(sends)).toEqual([OWN_KEY]);
  expect(requestsTo(SOURCE).every((r) => r.accessKeyId !== OWN_KEY)).toBe(true);
});
