/**
 * Two stand-ins for testing a source bucket in another account, where the emulator enforces no IAM: what matters is
 * which credentials each call was signed with.
 * - `startStsStandIn`: answers STS AssumeRole (Query API) with fresh temporary credentials per call, recording the
 *   RoleArn, ExternalId and session name asked and the access key that signed the request.
 * - `startSigningRecorder`: an HTTP proxy in front of the S3/SQS emulator that records, per request, the service,
 *   operation (method + bucket/key, or the SQS X-Amz-Target) and the access key id of its SigV4 Authorization header.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

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

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

const close = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

export interface AssumeRoleCall {
  roleArn: string;
  externalId?: string;
  sessionName: string;
  /** Who asked: the access key id that signed the AssumeRole request. */
  callerAccessKeyId?: string;
  /** The temporary access key id answered. */
  issuedAccessKeyId: string;
}

export interface StsStandIn {
  endpoint: string;
  calls: AssumeRoleCall[];
  /** The role whose credentials an access key id is, if the stand-in issued it. */
  roleOf(accessKeyId: string): string | undefined;
  stop(): Promise<void>;
}

export async function startStsStandIn(): Promise<StsStandIn> {
  const calls: AssumeRoleCall[] = [];
  const server = http.createServer(async (req, res) => {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    if (form.get('Action') !== 'AssumeRole') {
      res.writeHead(400, { 'content-type': 'text/xml' }).end(`<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${form.get('Action')}</Message></Error></ErrorResponse>`);
      return;
    }
    const issued = `ASIASTANDIN${String(calls.length + 1).padStart(9, '0')}`;
    const roleArn = form.get('RoleArn') ?? '';
    const sessionName = form.get('RoleSessionName') ?? '';
    calls.push({
      roleArn,
      ...(form.has('ExternalId') ? { externalId: form.get('ExternalId')! } : {}),
      sessionName,
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
  });
  const endpoint = await listen(server);
  return {
    endpoint,
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
  /** The query string's first parameter names (list-type, uploads, …) for S3; the X-Amz-Target for SQS. */
  operation: string;
  accessKeyId: string;
  /** Whether an x-amz-security-token came along (temporary credentials). */
  sessionToken: boolean;
}

export interface SigningRecorder {
  /** Point the clients here (AWS_ENDPOINT_URL_S3 / _SQS): every request is forwarded to the emulator. */
  endpoint: string;
  requests: SignedRequest[];
  stop(): Promise<void>;
}

export async function startSigningRecorder(target: string): Promise<SigningRecorder> {
  const requests: SignedRequest[] = [];
  const to = new URL(target);
  const server = http.createServer((req, res) => {
    const cred = sigV4Credential(req.headers.authorization);
    const url = new URL(req.url ?? '/', 'http://x');
    const [bucket, ...key] = url.pathname.slice(1).split('/');
    const service = cred?.service ?? 'unsigned';
    requests.push({
      service,
      method: req.method ?? '',
      ...(service === 's3' && bucket ? { bucket: decodeURIComponent(bucket) } : {}),
      ...(service === 's3' && key.length > 0 && key.join('/') ? { key: decodeURIComponent(key.join('/')) } : {}),
      operation: service === 'sqs' ? String(req.headers['x-amz-target'] ?? new URLSearchParams(url.search).get('Action') ?? '') : [...url.searchParams.keys()].join('&'),
      accessKeyId: cred?.accessKeyId ?? '',
      sessionToken: req.headers['x-amz-security-token'] !== undefined,
    });
    const upstream = http.request(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
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
  });
  const endpoint = await listen(server);
  return { endpoint, requests, stop: () => close(server) };
}
