/**
 * fauxqs (the in-process S3 + SQS emulator aws-emulator.ts serves) loaded with access to its stores and actions, and
 * two fixes over it that apply wherever it runs:
 *
 *  - Request bodies up to 256 MiB: fauxqs caps them at 11 MiB, so a bigger PutObject got a 413.
 *  - Listings in UTF-8 byte order, as S3 lists: fauxqs sorts with localeCompare but pages by plain string
 *    comparison, so a paged listing of mixed-case or punctuated keys skipped some.
 *
 * fauxqs ships ES modules only and exports nothing but its entry, so its files are imported by path. In the bundled
 * CLI, under tsx and plain Node, that is a native import; jest (CommonJS, no --experimental-vm-modules) compiles them
 * to CommonJS like hyparquet's (jest.config.js transformIgnorePatterns).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageDir } from './paths';

// ---- minimal structural types of the fauxqs internals we use ----------------------------------
export interface FqRequest {
  method: string;
  params: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}
export interface FqReply {
  statusCode: number;
  sent: boolean;
  status(code: number): FqReply;
  header(name: string, value: string): FqReply;
  send(payload?: unknown): FqReply;
}
export interface FqApp {
  addHook(name: 'preHandler', fn: (req: FqRequest, reply: FqReply) => Promise<unknown>): void;
  addHook(name: 'onResponse', fn: (req: FqRequest, reply: FqReply) => Promise<unknown>): void;
  addHook(name: 'onSend', fn: (req: FqRequest, reply: FqReply, payload: unknown) => Promise<unknown>): void;
  addContentTypeParser(type: string, opts: { parseAs: 'buffer'; bodyLimit: number }, parser: (req: unknown, body: Buffer, done: (err: Error | null, body?: unknown) => void) => void): void;
  removeContentTypeParser(type: string): void;
  listen(opts: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}
export interface FqS3Object {
  key: string;
  body: Buffer;
  contentLength: number;
  etag: string;
  lastModified: Date;
}
export interface FqListOptions {
  prefix?: string;
  delimiter?: string;
  maxKeys?: number;
  startAfter?: string;
  marker?: string;
}
export interface FqListing {
  objects: FqS3Object[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
export interface FqS3Store {
  hasBucket(name: string): boolean;
  getObject(bucket: string, key: string): FqS3Object;
  uploadPart(uploadId: string, partNumber: number, body: Buffer): string;
  listObjects(bucket: string, options?: FqListOptions): FqListing;
}
export interface FqSqsQueue {
  enqueue(msg: unknown): void;
}
export interface FqSqsStore {
  host: string;
  region?: string;
  getQueueByArn(arn: string): FqSqsQueue | undefined;
}
export interface Fauxqs {
  version: string;
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

/** Max request body (PutObject / UploadPart) the emulator accepts. */
export const BODY_LIMIT = 256 * 1024 * 1024;

/** Where each internal lives in fauxqs's dist/, and the name it exports there. */
const INTERNALS = {
  buildApp: 'app.js',
  SqsStore: 'sqs/sqsStore.js',
  SnsStore: 'sns/snsStore.js',
  S3Store: 's3/s3Store.js',
  S3Error: 'common/errors.js',
  putObject: 's3/actions/putObject.js',
  deleteObject: 's3/actions/deleteObject.js',
  completeMultipartUpload: 's3/actions/completeMultipartUpload.js',
} as const;

let loaded: Promise<Fauxqs> | undefined;

async function load(): Promise<Fauxqs> {
  const dir = packageDir('fauxqs');
  const version = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const entries = await Promise.all(
    Object.entries(INTERNALS).map(async ([name, file]) => {
      const exported = ((await import(path.join(dir, 'dist', file))) as Record<string, unknown>)[name];
      if (exported === undefined) throw new Error(`fauxqs ${version}: dist/${file} no longer exports ${name}; review lib/local/fauxqs.ts`);
      return [name, exported] as const;
    }),
  );
  return { version, ...Object.fromEntries(entries) } as Fauxqs;
}

/** fauxqs's modules, loaded once per module registry (each jest test file has its own). */
export function loadFauxqs(): Promise<Fauxqs> {
  if (!loaded) {
    loaded = load();
    loaded.catch(() => (loaded = undefined));
  }
  return loaded;
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/**
 * A page of a listing as S3 answers it, in UTF-8 byte order: `all` is every object under the prefix; startAfter (or
 * marker), delimiter and maxKeys as in fauxqs's own listObjects, which this replaces.
 */
export function byteOrderListing(all: FqS3Object[], options: FqListOptions = {}): FqListing {
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter;
  const maxKeys = options.maxKeys ?? 1000;
  const startAfter = utf8(options.startAfter ?? options.marker ?? '');
  const after = (key: string) => startAfter.length === 0 || Buffer.compare(utf8(key), startAfter) > 0;
  const sorted = all
    .filter((o) => o.key.startsWith(prefix))
    .map((o) => ({ o, bytes: utf8(o.key) }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map(({ o }) => o);
  const objects: FqS3Object[] = [];
  const commonPrefixes = new Set<string>();
  let isTruncated = false;
  for (const obj of sorted) {
    if (!after(obj.key)) continue;
    const cut = delimiter ? obj.key.indexOf(delimiter, prefix.length) : -1;
    if (cut >= 0) {
      const common = obj.key.slice(0, cut + delimiter!.length);
      if (!after(common) || commonPrefixes.has(common)) continue;
      if (objects.length + commonPrefixes.size >= maxKeys) {
        isTruncated = true;
        break;
      }
      commonPrefixes.add(common);
      continue;
    }
    if (objects.length + commonPrefixes.size >= maxKeys) {
      isTruncated = true;
      break;
    }
    objects.push(obj);
  }
  return { objects, commonPrefixes: [...commonPrefixes].sort((a, b) => Buffer.compare(utf8(a), utf8(b))), isTruncated };
}

/** An S3 store whose listings are in byte order (see byteOrderListing). */
export function byteOrderS3Store(fq: Fauxqs): FqS3Store {
  const store = new fq.S3Store();
  const listAll = store.listObjects.bind(store);
  store.listObjects = (bucket, options = {}) => byteOrderListing(listAll(bucket, { prefix: options.prefix, maxKeys: Number.POSITIVE_INFINITY }).objects, options);
  return store;
}

/** Raises the body limit of S3 requests: fauxqs reads every S3 body with its wildcard parser, which takes its own limit. */
export function raiseBodyLimit(app: FqApp): void {
  app.removeContentTypeParser('*');
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
}
