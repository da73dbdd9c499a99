/**
 * Integration-test harness: in-process S3 + SQS emulator (fauxqs) on 127.0.0.1.
 *
 * fauxqs is ESM-only and jest (CJS, no --experimental-vm-modules) cannot load it, so it is bundled
 * once to CommonJS with esbuild into `<repo>/.cache/` (its npm dependencies stay external and all
 * ship CJS builds) and required from there. That also gives access to its stores, which this
 * harness uses for shims over what fauxqs lacks:
 *
 *  - UploadPartCopy (incl. x-amz-copy-source-range): fauxqs would store an empty part / answer 500.
 *  - S3 -> SQS bucket notifications (Put/GetBucketNotificationConfiguration with
 *    QueueConfigurations, prefix/suffix filters; events ObjectCreated:Put|Copy|CompleteMultipartUpload
 *    and ObjectRemoved:Delete, AWS record format). fauxqs would accept the PUT and do nothing.
 *    Unlike AWS, no s3:TestEvent is sent when the configuration is put.
 *  - x-amz-copy-source-if-match on CopyObject and UploadPartCopy: 412 when the source holds another content.
 *  - Request bodies up to 256 MiB (fauxqs caps them at 11 MiB, so a bigger PutObject got a 413).
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
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

// ---- minimal structural types of the fauxqs internals we use ----------------------------------
interface FqRequest {
  method: string;
  params: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}
interface FqReply {
  statusCode: number;
  sent: boolean;
  status(code: number): FqReply;
  header(name: string, value: string): FqReply;
  send(payload?: unknown): FqReply;
}
interface FqApp {
  addHook(name: 'preHandler', fn: (req: FqRequest, reply: FqReply) => Promise<unknown>): void;
  addHook(name: 'onResponse', fn: (req: FqRequest, reply: FqReply) => Promise<unknown>): void;
  addHook(name: 'onSend', fn: (req: FqRequest, reply: FqReply, payload: unknown) => Promise<unknown>): void;
  listen(opts: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}
interface FqS3Object {
  body: Buffer;
  contentLength: number;
  etag: string;
  lastModified: Date;
}
interface FqS3Store {
  hasBucket(name: string): boolean;
  getObject(bucket: string, key: string): FqS3Object;
  uploadPart(uploadId: string, partNumber: number, body: Buffer): string;
}
interface FqSqsQueue {
  enqueue(msg: unknown): void;
}
interface FqSqsStore {
  host: string;
  region?: string;
  getQueueByArn(arn: string): FqSqsQueue | undefined;
}
interface FauxqsBundle {
  buildApp(opts: { logger: boolean; defaultRegion?: string; stores: { sqsStore: unknown; snsStore: unknown; s3Store: unknown } }): FqApp;
  SqsStore: { new (): FqSqsStore; createMessage(body: string): unknown };
  SnsStore: new () => unknown;
  S3Store: new () => FqS3Store;
  S3Error: new (code: string, message: string, statusCode?: number) => Error & { statusCode: number; toXml(): string };
  /** fauxqs's own actions, called by the conditional-write shim once the condition holds. */
  putObject(req: FqRequest, reply: FqReply, store: FqS3Store): void;
  deleteObject(req: FqRequest, reply: FqReply, store: FqS3Store): void;
  completeMultipartUpload(req: FqRequest, reply: FqReply, store: FqS3Store): void;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** Max request body (PutObject / UploadPart) the emulator accepts. */
const BODY_LIMIT = 256 * 1024 * 1024;

/** Key comparisons of fauxqs's ListObjects made UTF-8 byte order (what S3 uses), for sorting and for paging. */
const BYTE_ORDER = (a: string, b: string) => `Buffer.compare(Buffer.from(${a}), Buffer.from(${b}))`;
const LISTING_ORDER_PATCHES: Array<[string, string]> = [
  ['.sort((a, b) => a.key.localeCompare(b.key))', `.sort((a, b) => ${BYTE_ORDER('a.key', 'b.key')})`],
  ['obj.key <= startAfter', `${BYTE_ORDER('obj.key', 'startAfter')} <= 0`],
  ['commonPrefix <= startAfter', `${BYTE_ORDER('commonPrefix', 'startAfter')} <= 0`],
];

function findFauxqsDist(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', 'fauxqs');
    if (fs.existsSync(path.join(candidate, 'dist', 'app.js'))) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error('fauxqs not found in node_modules: run `npm ci`');
}

let bundle: FauxqsBundle | undefined;

/** Bundles fauxqs (ESM) into a CJS file under .cache/ once, then requires it. */
function loadFauxqs(): FauxqsBundle {
  if (bundle) return bundle;
  const pkgDir = findFauxqsDist();
  const version = (JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const entry = [
    "export { buildApp } from './app.js';",
    "export { SqsStore } from './sqs/sqsStore.js';",
    "export { SnsStore } from './sns/snsStore.js';",
    "export { S3Store } from './s3/s3Store.js';",
    "export { S3Error } from './common/errors.js';",
    "export { putObject } from './s3/actions/putObject.js';",
    "export { deleteObject } from './s3/actions/deleteObject.js';",
    "export { completeMultipartUpload } from './s3/actions/completeMultipartUpload.js';",
  ].join('\n');
  const hash = createHash('sha1').update(version).update(entry).update(String(BODY_LIMIT)).update(JSON.stringify(LISTING_ORDER_PATCHES)).digest('hex').slice(0, 10);
  const cacheDir = path.join(REPO_ROOT, '.cache');
  const out = path.join(cacheDir, `fauxqs-${version}-${hash}.cjs`);
  if (!fs.existsSync(out)) {
    const esbuild = require('esbuild') as typeof import('esbuild');
    const result = esbuild.buildSync({
      stdin: { contents: entry, resolveDir: path.join(pkgDir, 'dist'), loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external', // fastify, valibot, toad-cache, @smithy/* all ship CJS
      write: false,
      logLevel: 'error',
    });
    // fauxqs caps request bodies at 11 MiB (PutObject of a bigger file -> 413); raise the cap.
    let code = result.outputFiles[0].text.replace(/bodyLimit:\s*11 \* 1_?048_?576/, `bodyLimit: ${BODY_LIMIT}`);
    // S3 lists keys in UTF-8 byte order; fauxqs sorts with localeCompare but pages by plain string comparison, so a
    // paged listing of mixed-case or punctuated keys skipped some. Both become byte order (UTF-8, as S3 does).
    for (const [from, to] of LISTING_ORDER_PATCHES) {
      if (!code.includes(from)) throw new Error(`aws-emulator harness: fauxqs ${version} no longer contains ${JSON.stringify(from)}; review the listing-order patch`);
      code = code.split(from).join(to);
    }
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, out); // atomic: parallel jest workers may race
  }
  bundle = require(out) as FauxqsBundle;
  return bundle;
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
  const fq = loadFauxqs();
  const region = opts.region ?? 'us-east-1';
  const sqsStore = new fq.SqsStore();
  sqsStore.host = ''; // queue URL = http://<Host header>/000000000000/<name>, same origin as the endpoint
  const s3Store = new fq.S3Store();
  const app = fq.buildApp({
    logger: false,
    defaultRegion: region,
    stores: { sqsStore, snsStore: new fq.SnsStore(), s3Store },
  });

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
            new fq.S3Error('NotImplemented', `aws-emulator harness supports QueueConfiguration only, got ${unsupported.join(', ')}`, 501),
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
