/**
 * Two stand-ins for testing access across accounts (a source bucket in another account; agents in another account),
 * where the emulators enforce no IAM: what matters is which credentials each call was signed with.
 * - `startStsStandIn`: answers STS AssumeRole (Query API: the SDKs' form POST, or Fluent Bit's GET with the parameters
 *   in the query string) with fresh temporary credentials per call, recording the RoleArn, ExternalId and session name
 *   asked and the access key that signed the request. With `tls` and `port` it is what Fluent Bit 4.2.2's STS client
 *   can reach: that client always speaks TLS to port 443 of its `sts_endpoint` (src/aws/flb_aws_credentials_sts.c).
 * - `startSigningRecorder`: a proxy in front of an emulator (the S3/SQS emulator over HTTP, or with `tls` the
 *   CloudWatch Logs stand-in over HTTPS) that records, per request, the service, operation (method + bucket/key, or the
 *   X-Amz-Target) and the access key id of its SigV4 Authorization header.
 * TLS, where asked for, uses the self-signed certificate kinesis-local ships (as the Kinesis emulator and the
 * CloudWatch Logs stand-in do): a client trusts it through `certificateFile` (Fluent Bit: the output's `tls.ca_file`).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** `AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/s3/aws4_request, …` → { accessKeyId: AKID, service: s3 }. */
export function sigV4Credential(authorization: string | undefined): { accessKeyId: string; service: string } | undefined {
  const m = /Credential=([^/]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return m ? { accessKeyId: m[1], service: m[2] } : undefined;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** kinesis-local's self-signed certificate (CN Unknown, no SAN; valid until 2118), and a PEM file of it for clients. */
export interface TestCertificate {
  key: string;
  cert: string;
  certificateFile: string;
}

let certificate: TestCertificate | undefined;
export function testCertificate(): TestCertificate {
  if (!certificate) {
    const { key, cert } = (JSON.parse(fs.readFileSync(require.resolve('kinesis-local/server.json'), 'utf8')) as { server: { key: string; cert: string } }).server;
    const certificateFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logtong-xa-cert-')), 'server.pem');
    fs.writeFileSync(certificateFile, cert);
    certificate = { key, cert, certificateFile };
  }
  return certificate;
}

/** Listens on 127.0.0.1 (`port`, default a free one); fails with what it could not bind and why. */
function listen(server: http.Server, what: string, port = 0): Promise<string> {
  const scheme = server instanceof https.Server ? 'https' : 'http';
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(`${what} cannot listen on 127.0.0.1:${port} (${e.code ?? e.message})${port !== 0 && port < 1024 ? ': a port below 1024 needs root (or CAP_NET_BIND_SERVICE) and must be free' : ''}`, { cause: e })),
    );
    server.listen(port, '127.0.0.1', () => resolve(`${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

const close = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

export interface AssumeRoleCall {
  /** GET (parameters in the query string: Fluent Bit) or POST (a form body: the SDKs). */
  method: string;
  roleArn: string;
  externalId?: string;
  sessionName: string;
  /** The Version parameter (2011-06-15). */
  version?: string;
  /** Who asked: the access key id that signed the AssumeRole request. */
  callerAccessKeyId?: string;
  /** The temporary access key id answered. */
  issuedAccessKeyId: string;
}

export interface StsStandInOptions {
  /** Listen on this port of 127.0.0.1 (Fluent Bit: 443, the only port its STS client uses). @default - a free port */
  port?: number;
  /** HTTPS with kinesis-local's certificate (Fluent Bit's STS client speaks TLS only). @default false: plain HTTP */
  tls?: boolean;
}

export interface StsStandIn {
  /** http(s)://127.0.0.1:PORT */
  endpoint: string;
  port: number;
  /** With `tls`: the certificate to trust (PEM file). */
  certificateFile?: string;
  calls: AssumeRoleCall[];
  /** The role whose credentials an access key id is, if the stand-in issued it. */
  roleOf(accessKeyId: string): string | undefined;
  stop(): Promise<void>;
}

export async function startStsStandIn(options: StsStandInOptions = {}): Promise<StsStandIn> {
  const calls: AssumeRoleCall[] = [];
  const handler: http.RequestListener = async (req, res) => {
    // The Query API takes its parameters from the query string and from a form body alike (the body wins).
    const form = new URL(req.url ?? '/', 'http://x').searchParams;
    for (const [k, v] of new URLSearchParams((await readBody(req)).toString('utf8'))) form.set(k, v);
    if (form.get('Action') !== 'AssumeRole') {
      res.writeHead(400, { 'content-type': 'text/xml' }).end(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${form.get('Action')}</Message></Error></ErrorResponse>`);
      return;
    }
    const issued = `ASIASTANDIN${String(calls.length + 1).padStart(9, '0')}`;
    const roleArn = form.get('RoleArn') ?? '';
    const sessionName = form.get('RoleSessionName') ?? '';
    calls.push({
      method: req.method ?? '',
      roleArn,
      ...(form.has('ExternalId') ? { externalId: form.get('ExternalId')! } : {}),
      sessionName,
      ...(form.has('Version') ? { version: form.get('Version')! } : {}),
      callerAccessKeyId: sigV4Credential(req.headers.authorization)?.accessKeyId,
      issuedAccessKeyId: issued,
    });
    const account = roleArn.split(':')[4];
    const role = roleArn.split('/').pop();
    const expiration = new Date(Date.now() + 3600_000).toISOString();
    res.writeHead(200, { 'content-type': 'text/xml' }).end(
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
        `<Credentials><AccessKeyId>${issued}</AccessKeyId><SecretAccessKey>secret-${issued}</SecretAccessKey>` +
        `<SessionToken>token-${issued}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
        `<AssumedRoleUser><Arn>arn:aws:sts::${account}:assumed-role/${role}/${sessionName}</Arn><AssumedRoleId>AROASTANDIN:${sessionName}</AssumedRoleId></AssumedRoleUser>` +
        `</AssumeRoleResult><ResponseMetadata><RequestId>standin-${calls.length}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  };
  const tls = options.tls ? testCertificate() : undefined;
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  const endpoint = await listen(server, 'the STS stand-in', options.port);
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    ...(tls ? { certificateFile: tls.certificateFile } : {}),
    calls,
    roleOf: (id) => calls.find((c) => c.issuedAccessKeyId === id)?.roleArn,
    stop: () => close(server),
  };
}

export interface SignedRequest {
  /** From the SigV4 credential scope: s3, sqs. */
  service: string;
  method: string;
  /** S3 path-style: the bucket, and the key (decoded) when there is one. */
  bucket?: string;
  key?: string;
  /** The X-Amz-Target when there is one (SQS, CloudWatch Logs), else the query string's parameter names (S3: list-type, uploads, …). */
  operation: string;
  accessKeyId: string;
  /** Whether an x-amz-security-token came along (temporary credentials). */
  sessionToken: boolean;
}

export interface SigningRecorderOptions {
  /**
   * Listen with HTTPS (kinesis-local's certificate), for a client that speaks TLS only (Fluent Bit's cloudwatch_logs
   * output); an https target is then reached trusting that same certificate. @default false: plain HTTP
   */
  tls?: boolean;
}

export interface SigningRecorder {
  /** Point the clients here (AWS_ENDPOINT_URL_S3 / _SQS): every request is forwarded to the emulator. */
  endpoint: string;
  port: number;
  /** With `tls`: the certificate to trust (PEM file). */
  certificateFile?: string;
  requests: SignedRequest[];
  stop(): Promise<void>;
}

export async function startSigningRecorder(target: string, options: SigningRecorderOptions = {}): Promise<SigningRecorder> {
  const requests: SignedRequest[] = [];
  const to = new URL(target);
  const tls = options.tls ? testCertificate() : undefined;
  const handler: http.RequestListener = (req, res) => {
    const cred = sigV4Credential(req.headers.authorization);
    const url = new URL(req.url ?? '/', 'http://x');
    const [bucket, ...key] = url.pathname.slice(1).split('/');
    const service = cred?.service ?? 'unsigned';
    requests.push({
      service,
      method: req.method ?? '',
      ...(service === 's3' && bucket ? { bucket: decodeURIComponent(bucket) } : {}),
      ...(service === 's3' && key.length > 0 && key.join('/') ? { key: decodeURIComponent(key.join('/')) } : {}),
      operation:
        req.headers['x-amz-target'] !== undefined
          ? String(req.headers['x-amz-target'])
          : service === 'sqs'
            ? (new URLSearchParams(url.search).get('Action') ?? '')
            : [...url.searchParams.keys()].join('&'),
      accessKeyId: cred?.accessKeyId ?? '',
      sessionToken: req.headers['x-amz-security-token'] !== undefined,
    });
    const forward = { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } };
    const onResponse = (up: http.IncomingMessage) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    };
    // the hop to an https target (a stand-in with the same certificate, which names no host): chain checked, name not
    const upstream =
      to.protocol === 'https:'
        ? https.request({ ...forward, ca: tls?.cert ?? testCertificate().cert, checkServerIdentity: () => undefined }, onResponse)
        : http.request(forward, onResponse);
    upstream.on('error', (e) => res.writeHead(502).end(String(e)));
    if (service !== 'sqs') {
      req.pipe(upstream);
      return;
    }
    // A queue URL handed out as the recorder's (so that the SDK, which may take its endpoint from the URL, comes
    // here) is the emulator's again: the emulator finds queues by their URL.
    void readBody(req).then((raw) => {
      const body = Buffer.from(raw.toString('utf8').split(endpoint).join(target));
      upstream.setHeader('content-length', body.length);
      upstream.end(body);
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
  const endpoint = await listen(server, 'the signing recorder');
  return { endpoint, port: Number(new URL(endpoint).port), ...(tls ? { certificateFile: tls.certificateFile } : {}), requests, stop: () => close(server) };
}
