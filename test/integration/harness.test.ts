/**
 * Smoke test of the integration harness itself: a real OpenSearch node and the in-process
 * S3/SQS emulator. Needs `bash .ci/setup-opensearch.sh` once per machine.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketNotificationConfigurationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Readable } from 'node:stream';
import * as fs from 'node:fs';
import { startAwsEmulator, type AwsEmulator } from '../../lib/local/aws-emulator';
import { startOpenSearch, type OpenSearchNode } from '../../lib/local/opensearch';

const LONG = 180_000;

async function osJson(node: OpenSearchNode, method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${node.url}${p}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : undefined;
}

describe('OpenSearch harness', () => {
  let node: OpenSearchNode;

  beforeAll(async () => {
    node = await startOpenSearch();
    console.log(`OpenSearch ${node.url} started in ${node.startupMs} ms, JVM RSS ${rssMb(node.pid)} MB`);
  }, LONG);

  afterAll(async () => {
    await node?.dispose();
  }, LONG);

  test(
    'indexes, searches, and keeps data across stop/start on the same port',
    async () => {
      expect(node.url).toBe(`http://127.0.0.1:${node.port}`);
      const info = await osJson(node, 'GET', '/');
      expect(info.json.version.number).toBe('2.19.6');

      const put = await osJson(node, 'PUT', '/logs-harness/_doc/1?refresh=true', {
        '@timestamp': '2024-05-01T12:00:00Z',
        message: 'hello from the logtong harness',
        level: 'INFO',
      });
      expect(put.status).toBe(201);
      const search = await osJson(node, 'POST', '/logs-harness/_search', { query: { match: { message: 'logtong' } } });
      expect(search.status).toBe(200);
      expect(search.json.hits.total.value).toBe(1);
      expect(search.json.hits.hits[0]._source.level).toBe('INFO');

      const pidBefore = node.pid;
      await node.stop();
      expect(node.pid).toBeUndefined();
      expect(() => process.kill(pidBefore!, 0)).toThrow(); // whole process gone
      await expect(fetch(`${node.url}/`)).rejects.toThrow();

      await node.start();
      console.log(`OpenSearch restarted in ${node.startupMs} ms`);
      expect(node.pid).not.toBe(pidBefore);
      const health = await osJson(node, 'GET', '/_cluster/health/logs-harness?wait_for_status=yellow&timeout=60s');
      expect(['green', 'yellow']).toContain(health.json.status);
      const again = await osJson(node, 'GET', '/logs-harness/_doc/1');
      expect(again.status).toBe(200);
      expect(again.json._source.message).toBe('hello from the logtong harness');
      const search2 = await osJson(node, 'POST', '/logs-harness/_search', { query: { match: { message: 'harness' } } });
      expect(search2.json.hits.total.value).toBe(1);
    },
    LONG,
  );
});

describe('AWS emulator harness', () => {
  let aws: AwsEmulator;

  beforeAll(async () => {
    aws = await startAwsEmulator();
  });

  afterAll(async () => {
    await aws?.stop();
  });

  test('lists keys in UTF-8 byte order, paged by StartAfter and continuation tokens without skipping any (as S3)', async () => {
    await aws.s3.send(new CreateBucketCommand({ Bucket: 'order' }));
    const keys = ['a/B', 'a/a', 'a/b', 'a/A+1', 'a/a b', 'a/a-b', 'a/a_b', 'a/Ä', 'a/z', 'a/é'];
    for (const Key of keys) await aws.s3.send(new PutObjectCommand({ Bucket: 'order', Key, Body: 'x' }));
    const byteOrder = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await aws.s3.send(new ListObjectsV2Command({ Bucket: 'order', Prefix: 'a/', MaxKeys: 2, ContinuationToken: token }));
      paged.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(paged).toEqual(byteOrder);
    const after = await aws.s3.send(new ListObjectsV2Command({ Bucket: 'order', Prefix: 'a/', StartAfter: 'a/a' }));
    expect(after.Contents!.map((o) => o.Key)).toEqual(byteOrder.slice(byteOrder.indexOf('a/a') + 1));
  });

  test('exposes endpoint env for Lambda handlers', () => {
    expect(aws.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(aws.env).toEqual({
      AWS_ENDPOINT_URL_S3: aws.endpoint,
      AWS_ENDPOINT_URL_SQS: aws.endpoint,
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: expect.any(String),
      AWS_SECRET_ACCESS_KEY: expect.any(String),
      LOGTONG_S3_FORCE_PATH_STYLE: 'true',
    });
  });

  test(
    'S3 object round trip, copy, multipart UploadPartCopy with ranges, paging, delete',
    async () => {
      const { s3 } = aws;
      await s3.send(new CreateBucketCommand({ Bucket: 'raw' }));
      const big = Buffer.alloc(6 * 1024 * 1024, 'a');
      big.write('HEAD', 0);
      big.write('TAIL', big.length - 4);
      await s3.send(new PutObjectCommand({ Bucket: 'raw', Key: 'in/a.log', Body: big, Metadata: { source: 'test' } }));

      const got = await s3.send(new GetObjectCommand({ Bucket: 'raw', Key: 'in/a.log' }));
      const chunks: Buffer[] = [];
      for await (const c of got.Body as Readable) chunks.push(Buffer.from(c));
      expect(Buffer.concat(chunks).equals(big)).toBe(true);
      expect(got.Metadata).toEqual({ source: 'test' });

      const head = await s3.send(new HeadObjectCommand({ Bucket: 'raw', Key: 'in/a.log' }));
      expect(head.ContentLength).toBe(big.length);
      await expect(s3.send(new HeadObjectCommand({ Bucket: 'raw', Key: 'nope' }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 404 },
      });

      await s3.send(new CopyObjectCommand({ Bucket: 'raw', Key: 'in/copy.log', CopySource: 'raw/in/a.log' }));
      expect((await s3.send(new HeadObjectCommand({ Bucket: 'raw', Key: 'in/copy.log' }))).ContentLength).toBe(big.length);

      // Multipart compose: 5 MiB range of a.log + whole copy.log (harness shim over fauxqs)
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'raw', Key: 'out/merged.log' }));
      const p1 = await s3.send(
        new UploadPartCopyCommand({
          Bucket: 'raw',
          Key: 'out/merged.log',
          UploadId,
          PartNumber: 1,
          CopySource: 'raw/in/a.log',
          CopySourceRange: `bytes=0-${5 * 1024 * 1024 - 1}`,
        }),
      );
      const p2 = await s3.send(
        new UploadPartCopyCommand({ Bucket: 'raw', Key: 'out/merged.log', UploadId, PartNumber: 2, CopySource: 'raw/in/copy.log' }),
      );
      expect(p1.CopyPartResult?.ETag).toMatch(/^"[0-9a-f]{32}"$/);
      await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'raw',
          Key: 'out/merged.log',
          UploadId,
          MultipartUpload: {
            Parts: [
              { PartNumber: 1, ETag: p1.CopyPartResult!.ETag },
              { PartNumber: 2, ETag: p2.CopyPartResult!.ETag },
            ],
          },
        }),
      );
      const merged = await s3.send(new GetObjectCommand({ Bucket: 'raw', Key: 'out/merged.log' }));
      const mergedBytes = Buffer.from(await merged.Body!.transformToByteArray());
      expect(mergedBytes.length).toBe(5 * 1024 * 1024 + big.length);
      expect(mergedBytes.subarray(0, 4).toString()).toBe('HEAD');
      expect(mergedBytes.subarray(5 * 1024 * 1024, 5 * 1024 * 1024 + 4).toString()).toBe('HEAD');
      expect(mergedBytes.subarray(-4).toString()).toBe('TAIL');
      expect(merged.ETag).toMatch(/-2"$/);

      for (let i = 0; i < 7; i++) {
        await s3.send(new PutObjectCommand({ Bucket: 'raw', Key: `page/${i}`, Body: `${i}` }));
      }
      const keys: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({ Bucket: 'raw', Prefix: 'page/', MaxKeys: 3, ContinuationToken: token }),
        );
        pages++;
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      expect(pages).toBe(3);
      expect(keys).toEqual(['page/0', 'page/1', 'page/2', 'page/3', 'page/4', 'page/5', 'page/6']);

      // Bigger than fauxqs' own 11 MiB body limit (raised by the harness).
      const large = Buffer.alloc(12 * 1024 * 1024, 'z');
      await s3.send(new PutObjectCommand({ Bucket: 'raw', Key: 'in/large.log', Body: large }));
      expect((await s3.send(new HeadObjectCommand({ Bucket: 'raw', Key: 'in/large.log' }))).ContentLength).toBe(large.length);

      await s3.send(new DeleteObjectCommand({ Bucket: 'raw', Key: 'page/0' }));
      await expect(s3.send(new HeadObjectCommand({ Bucket: 'raw', Key: 'page/0' }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 404 },
      });
    },
    LONG,
  );

  test(
    'SQS batch send, receive, visibility change, delete, and DLQ redrive after maxReceiveCount',
    async () => {
      const { sqs } = aws;
      const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'harness-dlq' }))).QueueUrl!;
      expect(dlqUrl).toBe(`${aws.endpoint}/000000000000/harness-dlq`);
      const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] })))
        .Attributes!.QueueArn!;
      const queueUrl = (
        await sqs.send(
          new CreateQueueCommand({
            QueueName: 'harness-main',
            Attributes: {
              VisibilityTimeout: '30',
              RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
            },
          }),
        )
      ).QueueUrl!;

      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [
            { Id: 'ok', MessageBody: 'good message' },
            { Id: 'poison', MessageBody: 'poison message' },
          ],
        }),
      );
      expect(sent.Successful).toHaveLength(2);

      const receive = async (url: string) =>
        (
          await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: url,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 1,
              MessageSystemAttributeNames: ['ApproximateReceiveCount'],
            }),
          )
        ).Messages ?? [];

      const first = await receive(queueUrl);
      expect(first.map((m) => m.Body).sort()).toEqual(['good message', 'poison message']);
      const good = first.find((m) => m.Body === 'good message')!;
      let poison = first.find((m) => m.Body === 'poison message')!;
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: good.ReceiptHandle }));

      // Simulate a failing consumer: release the poison message immediately, twice.
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: poison.ReceiptHandle, VisibilityTimeout: 0 }));
      const second = await receive(queueUrl);
      expect(second.map((m) => m.Body)).toEqual(['poison message']);
      poison = second[0];
      expect(poison.Attributes?.ApproximateReceiveCount).toBe('2');
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: poison.ReceiptHandle, VisibilityTimeout: 0 }));

      // maxReceiveCount=2 exceeded: the next receive moves it to the DLQ instead of delivering it.
      expect(await receive(queueUrl)).toEqual([]);
      const dead = await receive(dlqUrl);
      expect(dead.map((m) => m.Body)).toEqual(['poison message']);
    },
    LONG,
  );

  test(
    'S3 -> SQS bucket notifications (harness shim) and clients configured only via env',
    async () => {
      const { s3, sqs } = aws;
      await s3.send(new CreateBucketCommand({ Bucket: 'notified' }));
      const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'harness-s3-events' }))).QueueUrl!;
      const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
        .Attributes!.QueueArn!;
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: 'notified',
          NotificationConfiguration: {
            QueueConfigurations: [
              {
                Id: 'logs',
                QueueArn: queueArn,
                Events: ['s3:ObjectCreated:*'],
                Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'logs/' }, { Name: 'suffix', Value: '.gz' }] } },
              },
            ],
          },
        }),
      );
      const cfg = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: 'notified' }));
      expect(cfg.QueueConfigurations?.[0]).toMatchObject({ Id: 'logs', QueueArn: queueArn, Events: ['s3:ObjectCreated:*'] });

      // A Lambda-style client: no endpoint/credentials in code, everything from env.
      const saved = { ...process.env };
      Object.assign(process.env, aws.env);
      let envS3: S3Client | undefined;
      let envSqs: SQSClient | undefined;
      try {
        envS3 = new S3Client({ forcePathStyle: process.env.LOGTONG_S3_FORCE_PATH_STYLE === 'true' });
        envSqs = new SQSClient({});
        await envS3.send(new PutObjectCommand({ Bucket: 'notified', Key: 'logs/app=web/dt=2024-05-01/part 1.gz', Body: 'x' }));
        await envS3.send(new PutObjectCommand({ Bucket: 'notified', Key: 'other/skip.gz', Body: 'x' }));
        await envS3.send(new PutObjectCommand({ Bucket: 'notified', Key: 'logs/skip.txt', Body: 'x' }));

        const msgs =
          (await envSqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 })))
            .Messages ?? [];
        expect(msgs).toHaveLength(1);
        const record = JSON.parse(msgs[0].Body!).Records[0];
        expect(record).toMatchObject({
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          awsRegion: aws.region,
          s3: {
            configurationId: 'logs',
            bucket: { name: 'notified', arn: 'arn:aws:s3:::notified' },
            object: { key: 'logs/app%3Dweb/dt%3D2024-05-01/part+1.gz', size: 1 },
          },
        });
        expect(decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '))).toBe('logs/app=web/dt=2024-05-01/part 1.gz');
      } finally {
        envS3?.destroy();
        envSqs?.destroy();
        for (const k of Object.keys(aws.env)) delete process.env[k];
        Object.assign(process.env, saved);
      }
    },
    LONG,
  );
});
