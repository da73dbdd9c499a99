/**
 * An in-process S3 + SQS emulator (fauxqs) on 127.0.0.1 for `logtong local` and the integration tests, with shims
 * over what fauxqs lacks (fauxqs.ts adds two more: bodies up to 256 MiB, listings in UTF-8 byte order):
 *
 *  - UploadPartCopy (incl. x-amz-copy-source-range): fauxqs would store an empty part / answer 500.
 *  - S3 -> SQS bucket notifications (Put/GetBucketNotificationConfiguration with
 *    QueueConfigurations, prefix/suffix filters; events ObjectCreated:Put|Copy|CompleteMultipartUpload
 *    and ObjectRemoved:Delete, AWS record format). fauxqs would accept the PUT and do nothing.
 *    Unlike AWS, no s3:TestEvent is sent when the configuration is put.
 *  - x-amz-copy-source-if-match on CopyObject and UploadPartCopy: 412 when the source holds another content.
 *  - Object tagging: Put/Get/DeleteObjectTagging (fauxqs would take `PUT ?tagging` for a PutObject and overwrite the
 *    object with the XML), `x-amz-tagging` on PutObject and CopyObject, CopyObject's tagging directive (COPY by
 *    default, as in S3); an overwrite, delete or multipart completion drops the object's tags. Lifecycle rules are
 *    not evaluated: the tests assert the rules in the template and the tags here.
 *  - Conditional writes: PutObject, CopyObject and CompleteMultipartUpload with `If-None-Match: *` (412
 *    PreconditionFailed when the key exists) or `If-Match: <ETag>` (412 when the ETag differs, 404 NoSuchKey when the
 *    key is gone: nothing is created), DeleteObject with `If-Match` (the same answers). Checked and applied in one
 *    synchronous step, so they are atomic as in S3 (which never needs its 409 ConditionalRequestConflict here).
 *    fauxqs would ignore both headers and write. Not shimmed: DeleteObjects with per-key ETags.
 *
 * Queue URLs are http://127.0.0.1:<port>/000000000000/<name>, i.e. on the same origin as the
 * endpoint, so SQS clients configured only through AWS_ENDPOINT_URL_SQS never get redirected by the
 * SDK's useQueueUrlAsEndpoint logic.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { byteOrderS3Store, loadFauxqs, raiseBodyLimit, type FqReply, type FqRequest } from './fauxqs';
import { writePrecondition } from './s3-conditions';

export interface AwsEmulator {
  /** http://127.0.0.1:<port> — one endpoint for S3 (path-style) and SQS. */
  endpoint: string;
  region: string;
  s3: S3Client;
  sqs: SQSClient;
  /**
   * Env vars a Lambda handler needs to reach the emulator (spread into process.env or a child env):
   * AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SQS, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
   * LOGTONG_S3_FORCE_PATH_STYLE=true.
   */
  env: Record<string, string>;
  stop(): Promise<void>;
  /**
   * Makes matching S3 requests fail with 403 AccessDenied (which the SDK does not retry) until the returned function
   * is called: a way to kill a handler at an exact step. `copySource` is set for CopyObject / UploadPartCopy.
   */
  failS3(match: (r: S3RequestInfo) => boolean): () => void;
  /**
   * Holds matching S3 requests, before the emulator looks at them, until `release()` is called: a way to stop a
   * handler just before an exact step and run something else there. `reached` resolves when the first one arrives,
   * `arrived(n)` when n have.
   */
  holdS3(match: (r: S3RequestInfo) => boolean): { reached: Promise<void>; arrived(n: number): Promise<void>; release(): void };
}

/** What fault injection and holds match an S3 request on. `copySource` is set for CopyObject / UploadPartCopy. */
export interface S3RequestInfo {
  method: string;
  bucket: string;
  key: string;
  copySource?: string;
}

export interface StartAwsEmulatorOptions {
  /** Default us-east-1. */
  region?: string;
}

// ---- S3 -> SQS notification shim -----------------------------------------------------------------
interface QueueNotification {
  id: string;
  queueArn: string;
  events: string[];
  prefix?: string;
  suffix?: string;
}

const xmlUnescape = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const tagValues = (xml: string, tag: string) =>
  [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => xmlUnescape(m[1].trim()));

function parseNotificationXml(xml: string): { queues: QueueNotification[]; unsupported: string[] } {
  const unsupported = ['TopicConfiguration', 'CloudFunctionConfiguration', 'EventBridgeConfiguration'].filter((t) =>
    new RegExp(`<${t}\\b`).test(xml),
  );
  const queues = tagValues(xml, 'QueueConfiguration').map((block, i) => {
    const n: QueueNotification = {
      id: tagValues(block, 'Id')[0] ?? `notification-${i + 1}`,
      queueArn: tagValues(block, 'Queue')[0] ?? '',
      events: tagValues(block, 'Event'),
    };
    for (const rule of tagValues(block, 'FilterRule')) {
      const name = (tagValues(rule, 'Name')[0] ?? '').toLowerCase();
      const value = tagValues(rule, 'Value')[0] ?? '';
      if (name === 'prefix') n.prefix = value;
      if (name === 'suffix') n.suffix = value;
    }
    return n;
  });
  return { queues, unsupported };
}

function notificationXml(configs: QueueNotification[]): string {
  const body = configs
    .map((c) => {
      const rules = [
        c.prefix !== undefined ? `<FilterRule><Name>prefix</Name><Value>${xmlEscape(c.prefix)}</Value></FilterRule>` : '',
        c.suffix !== undefined ? `<FilterRule><Name>suffix</Name><Value>${xmlEscape(c.suffix)}</Value></FilterRule>` : '',
      ].join('');
      return (
        `<QueueConfiguration><Id>${xmlEscape(c.id)}</Id><Queue>${xmlEscape(c.queueArn)}</Queue>` +
        c.events.map((e) => `<Event>${xmlEscape(e)}</Event>`).join('') +
        (rules ? `<Filter><S3Key>${rules}</S3Key></Filter>` : '') +
        `</QueueConfiguration>`
      );
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</NotificationConfiguration>`;
}

/** "s3:ObjectCreated:*" matches "ObjectCreated:Put". */
const eventMatches = (pattern: string, eventName: string) => {
  const p = pattern.replace(/^s3:/, '');
  return p.endsWith(':*') ? eventName.startsWith(p.slice(0, -1)) : p === eventName;
};

/** Keys in S3 event records are URL-encoded with '+' for spaces ('/' kept, '=' -> %3D). */
const encodeEventKey = (key: string) => encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');

const header = (req: FqRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const bodyText = (body: unknown): string =>
  Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';

// ---- object tagging shim -------------------------------------------------------------------------
type TagSet = Array<{ Key: string; Value: string }>;

function parseTagSetXml(xml: string): TagSet {
  return tagValues(xml, 'Tag').map((t) => ({ Key: tagValues(t, 'Key')[0] ?? '', Value: tagValues(t, 'Value')[0] ?? '' }));
}

function tagSetXml(tags: TagSet): string {
  const body = tags.map((t) => `<Tag><Key>${xmlEscape(t.Key)}</Key><Value>${xmlEscape(t.Value)}</Value></Tag>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${body}</TagSet></Tagging>`;
}

/** `x-amz-tagging: k1=v1&k2=v2` (URL query encoding). */
const parseTagHeader = (h: string): TagSet => [...new URLSearchParams(h)].map(([Key, Value]) => ({ Key, Value }));

// ---------------------------------------------------------------------------------------------------

/** Starts fauxqs in-process on a random 127.0.0.1 port with S3/SQS clients pointed at it. */
export async function startAwsEmulator(opts: StartAwsEmulatorOptions = {}): Promise<AwsEmulator> {
  const fq = await loadFauxqs();
  const region = opts.region ?? 'us-east-1';
  const sqsStore = new fq.SqsStore();
  sqsStore.host = ''; // queue URL = http://<Host header>/000000000000/<name>, same origin as the endpoint
  const s3Store = byteOrderS3Store(fq);
  const app = fq.buildApp({
    logger: false,
    defaultRegion: region,
    stores: { sqsStore, snsStore: new fq.SnsStore(), s3Store },
  });
  raiseBodyLimit(app);

  const notifications = new Map<string, QueueNotification[]>();
  let sequencer = 0;

  const sendS3Error = (reply: FqReply, err: unknown) => {
    if (err instanceof fq.S3Error) {
      return reply.status(err.statusCode).header('content-type', 'application/xml').send(err.toXml());
    }
    throw err;
  };

  const faults = new Set<Parameters<AwsEmulator['failS3']>[0]>();
  const holds = new Set<{ match: (r: S3RequestInfo) => boolean; arrive: () => void; gate: Promise<void> }>();
  const tags = new Map<string, TagSet>();
  const objectId = (bucket: string, key: string) => `${bucket}/${key}`;
  app.addHook('preHandler', async (req, reply) => {
    const bucket = req.params.bucket;
    if (!bucket) return;
    const key = req.params['*'] ?? '';
    const q = req.query ?? {};
    const info: S3RequestInfo = { method: req.method, bucket, key, copySource: header(req, 'x-amz-copy-source') };
    for (const hold of holds) {
      if (!hold.match(info)) continue;
      hold.arrive();
      await hold.gate;
    }
    for (const match of faults) {
      if (match(info)) {
        return sendS3Error(reply, new fq.S3Error('AccessDenied', 'Access Denied (fault injected by the test)', 403));
      }
    }

    // CopyObject / UploadPartCopy with x-amz-copy-source-if-match: S3 answers 412 when the source now holds another
    // content (fauxqs ignores the header and copies whatever is there).
    const sourceIfMatch = header(req, 'x-amz-copy-source-if-match');
    const source = header(req, 'x-amz-copy-source');
    if (req.method === 'PUT' && key && source && sourceIfMatch !== undefined) {
      try {
        const src = decodeURIComponent(source.split('?')[0]).replace(/^\//, '');
        const slash = src.indexOf('/');
        const current = s3Store.getObject(src.slice(0, slash), src.slice(slash + 1)).etag;
        if (sourceIfMatch.replace(/"/g, '').trim() !== current.replace(/"/g, '')) {
          throw new fq.S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
        }
      } catch (err) {
        return sendS3Error(reply, err);
      }
    }

    // Conditional PutObject / CopyObject / CompleteMultipartUpload / DeleteObject. From the check to fauxqs's own
    // action nothing yields, so no other request can come between them: atomic, as in S3.
    const ifMatch = header(req, 'if-match');
    const ifNoneMatch = header(req, 'if-none-match');
    const write = (req.method === 'PUT' && !q.uploadId) || (req.method === 'POST' && q.uploadId) || req.method === 'DELETE';
    const conditional = ifMatch !== undefined || (ifNoneMatch !== undefined && req.method !== 'DELETE');
    if (key && write && conditional && !('tagging' in q) && !(req.method === 'DELETE' && q.uploadId)) {
      try {
        if (!s3Store.hasBucket(bucket)) throw new fq.S3Error('NoSuchBucket', 'The specified bucket does not exist', 404);
        let current: string | undefined;
        try {
          current = s3Store.getObject(bucket, key).etag;
        } catch {
          current = undefined;
        }
        const refused = writePrecondition(req.method, current, ifMatch, ifNoneMatch);
        if (refused) throw new fq.S3Error(refused[1], refused[2], refused[0]);
        if (req.method === 'PUT') fq.putObject(req, reply, s3Store);
        else if (req.method === 'POST') fq.completeMultipartUpload(req, reply, s3Store);
        else fq.deleteObject(req, reply, s3Store);
        return reply;
      } catch (err) {
        return sendS3Error(reply, err);
      }
    }

    // Put/Get/DeleteObjectTagging
    if (key && 'tagging' in q) {
      try {
        s3Store.getObject(bucket, key); // NoSuchBucket / NoSuchKey, as S3 answers
      } catch (err) {
        return sendS3Error(reply, err);
      }
      const id = objectId(bucket, key);
      if (req.method === 'PUT') {
        tags.set(id, parseTagSetXml(bodyText(req.body)));
        return reply.status(200).send();
      }
      if (req.method === 'GET') return reply.status(200).header('content-type', 'application/xml').send(tagSetXml(tags.get(id) ?? []));
      if (req.method === 'DELETE') {
        tags.delete(id);
        return reply.status(204).send();
      }
    }

    // UploadPartCopy
    const copySource = header(req, 'x-amz-copy-source');
    if (req.method === 'PUT' && key && q.uploadId && q.partNumber && copySource) {
      try {
        const src = decodeURIComponent(copySource.split('?')[0]).replace(/^\//, '');
        const slash = src.indexOf('/');
        const obj = s3Store.getObject(src.slice(0, slash), src.slice(slash + 1));
        let data = obj.body;
        const range = header(req, 'x-amz-copy-source-range');
        if (range) {
          const m = /^bytes=(\d+)-(\d+)$/.exec(range);
          if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= obj.body.length) {
            throw new fq.S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${obj.body.length}`, 400);
          }
          data = obj.body.subarray(Number(m[1]), Number(m[2]) + 1);
        }
        const etag = s3Store.uploadPart(q.uploadId, Number(q.partNumber), Buffer.from(data));
        const xml =
          `<?xml version="1.0" encoding="UTF-8"?><CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
          `<LastModified>${new Date().toISOString()}</LastModified><ETag>${xmlEscape(etag)}</ETag></CopyPartResult>`;
        return reply.status(200).header('content-type', 'application/xml').send(xml);
      } catch (err) {
        return sendS3Error(reply, err);
      }
    }

    // Put/GetBucketNotificationConfiguration
    if (!key && 'notification' in q) {
      if (!s3Store.hasBucket(bucket)) {
        return sendS3Error(reply, new fq.S3Error('NoSuchBucket', 'The specified bucket does not exist', 404));
      }
      if (req.method === 'GET') {
        return reply.status(200).header('content-type', 'application/xml').send(notificationXml(notifications.get(bucket) ?? []));
      }
      if (req.method === 'PUT') {
        const { queues, unsupported } = parseNotificationXml(bodyText(req.body));
        if (unsupported.length) {
          return sendS3Error(
            reply,
            new fq.S3Error('NotImplemented', `the S3 emulator supports QueueConfiguration only, got ${unsupported.join(', ')}`, 501),
          );
        }
        const skipValidation = header(req, 'x-amz-skip-destination-validation') === 'true';
        const missing = queues.filter((c) => !sqsStore.getQueueByArn(c.queueArn)).map((c) => c.queueArn);
        if (missing.length && !skipValidation) {
          return sendS3Error(
            reply,
            new fq.S3Error('InvalidArgument', `Unable to validate the following destination configurations: ${missing.join(', ')}`, 400),
          );
        }
        notifications.set(bucket, queues);
        return reply.status(200).send();
      }
    }
    return;
  });

  // Before the response leaves, so a client that asks for the tags next sees them already.
  app.addHook('onSend', async (req, reply, payload) => {
    const bucket = req.params.bucket;
    const key = req.params['*'] ?? '';
    const q = req.query ?? {};
    if (!bucket || reply.statusCode >= 300 || 'tagging' in q) return payload;
    if (req.method === 'PUT' && key && !q.uploadId) {
      // PutObject and CopyObject replace the object, and its tags with it.
      const copySource = header(req, 'x-amz-copy-source');
      const given = header(req, 'x-amz-tagging');
      if (copySource && (header(req, 'x-amz-tagging-directive') ?? 'COPY').toUpperCase() === 'COPY') {
        const src = decodeURIComponent(copySource.split('?')[0]).replace(/^\//, '');
        const from = tags.get(src);
        if (from) tags.set(objectId(bucket, key), from);
        else tags.delete(objectId(bucket, key));
      } else if (given) tags.set(objectId(bucket, key), parseTagHeader(given));
      else tags.delete(objectId(bucket, key));
    } else if ((req.method === 'POST' && key && q.uploadId) || (req.method === 'DELETE' && key && !q.uploadId)) {
      tags.delete(objectId(bucket, key));
    } else if (req.method === 'POST' && 'delete' in q) {
      for (const k of tagValues(bodyText(req.body), 'Key')) tags.delete(objectId(bucket, k));
    }
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    const bucket = req.params.bucket;
    const configs = bucket ? notifications.get(bucket) : undefined;
    if (!bucket || !configs?.length || reply.statusCode >= 300) return;
    const key = req.params['*'] ?? '';
    const q = req.query ?? {};
    // Tagging an object creates nothing (S3 would send s3:ObjectTagging:*, which no Logtong queue subscribes to).
    if ('tagging' in q) return;
    const events: { eventName: string; key: string }[] = [];
    if (req.method === 'PUT' && key && !q.uploadId) {
      events.push({ eventName: header(req, 'x-amz-copy-source') ? 'ObjectCreated:Copy' : 'ObjectCreated:Put', key });
    } else if (req.method === 'POST' && key && q.uploadId) {
      events.push({ eventName: 'ObjectCreated:CompleteMultipartUpload', key });
    } else if (req.method === 'DELETE' && key && !q.uploadId) {
      events.push({ eventName: 'ObjectRemoved:Delete', key });
    } else if (req.method === 'POST' && 'delete' in q) {
      for (const k of tagValues(bodyText(req.body), 'Key')) events.push({ eventName: 'ObjectRemoved:Delete', key: k });
    }
    for (const ev of events) {
      let size: number | undefined;
      let eTag: string | undefined;
      if (ev.eventName.startsWith('ObjectCreated')) {
        try {
          const obj = s3Store.getObject(bucket, ev.key);
          size = obj.contentLength;
          eTag = obj.etag.replace(/"/g, '');
        } catch {
          continue; // e.g. a CompleteMultipartUpload that failed inside a 200
        }
      }
      for (const c of configs) {
        if (!c.events.some((p) => eventMatches(p, ev.eventName))) continue;
        if (c.prefix !== undefined && !ev.key.startsWith(c.prefix)) continue;
        if (c.suffix !== undefined && !ev.key.endsWith(c.suffix)) continue;
        const queue = sqsStore.getQueueByArn(c.queueArn);
        if (!queue) continue;
        const record = {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: region,
          eventTime: new Date().toISOString(),
          eventName: ev.eventName,
          userIdentity: { principalId: 'AWS:000000000000' },
          requestParameters: { sourceIPAddress: '127.0.0.1' },
          responseElements: { 'x-amz-request-id': 'FAUXQS', 'x-amz-id-2': 'fauxqs' },
          s3: {
            s3SchemaVersion: '1.0',
            configurationId: c.id,
            bucket: { name: bucket, ownerIdentity: { principalId: '000000000000' }, arn: `arn:aws:s3:::${bucket}` },
            object: {
              key: encodeEventKey(ev.key),
              ...(size !== undefined ? { size, eTag } : {}),
              sequencer: (++sequencer).toString(16).toUpperCase().padStart(16, '0'),
            },
          },
        };
        queue.enqueue(fq.SqsStore.createMessage(JSON.stringify({ Records: [record] })));
      }
    }
  });

  const listening = await app.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = `http://127.0.0.1:${new URL(listening).port}`;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const s3 = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
  const sqs = new SQSClient({ endpoint, region, credentials });
  let stopped = false;
  return {
    endpoint,
    region,
    s3,
    sqs,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_SQS: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      LOGTONG_S3_FORCE_PATH_STYLE: 'true',
    },
    failS3(match) {
      faults.add(match);
      return () => faults.delete(match);
    },
    holdS3(match) {
      let open!: () => void;
      let count = 0;
      const waiters: Array<{ n: number; resolve: () => void }> = [];
      const arrived = (n: number) =>
        new Promise<void>((resolve) => {
          if (count >= n) resolve();
          else waiters.push({ n, resolve });
        });
      const arrive = () => {
        count++;
        for (const w of waiters.filter((x) => count >= x.n)) w.resolve();
      };
      const hold = { match, arrive, gate: new Promise<void>((resolve) => (open = resolve)) };
      holds.add(hold);
      return {
        reached: arrived(1),
        arrived,
        release() {
          holds.delete(hold);
          open();
        },
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      s3.destroy();
      sqs.destroy();
      await app.close();
    },
  };
}
