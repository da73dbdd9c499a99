/**
 * S3's answers to conditional writes (PutObject, CopyObject and CompleteMultipartUpload with If-None-Match / If-Match,
 * DeleteObject with If-Match), for the emulator's shim (aws-emulator.ts), which fauxqs lacks: it would ignore both
 * headers and write.
 */
const unquote = (etag: string) => etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

/**
 * Why S3 would refuse a conditional write or delete to a key whose current ETag is `current` (undefined: no object),
 * as [status, code, message]; undefined when it goes ahead.
 */
export function writePrecondition(method: string, current: string | undefined, ifMatch: string | undefined, ifNoneMatch: string | undefined): [number, string, string] | undefined {
  const failed: [number, string, string] = [412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold'];
  if (ifNoneMatch !== undefined && method !== 'DELETE') {
    if (ifNoneMatch.trim() !== '*') return [501, 'NotImplemented', 'the S3 emulator takes If-None-Match: * only on writes'];
    if (current !== undefined) return failed;
  }
  if (ifMatch !== undefined) {
    if (current === undefined) return [404, 'NoSuchKey', 'The specified key does not exist.'];
    if (ifMatch.trim() !== '*' && unquote(ifMatch) !== unquote(current)) return failed;
  }
  return undefined;
}
