import { copyPartRanges, decodeS3Key, MalformedEventError, objectsFromMessage, s3EventMessage, sourceOfStagingKey, stagingKey } from '../../../lambda/core/s3-event';

describe('S3 event messages', () => {
  it('decodes form-encoded keys: + is a space, %2B a plus', () => {
    expect(decodeS3Key('logs/2026/a+b%2Bc%3D.log')).toBe('logs/2026/a b+c=.log');
    expect(decodeS3Key('%E6%97%A5%E5%BF%97/x.gz')).toBe('日志/x.gz');
  });

  it('reads the objects of a real notification body', () => {
    const body = JSON.stringify({
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: 'us-east-1',
          eventName: 'ObjectCreated:CompleteMultipartUpload',
          s3: { bucket: { name: 'src', arn: 'arn:aws:s3:::src' }, object: { key: 'nginx/access+log.1.gz', size: 7, eTag: 'abc', versionId: 'v1' } },
        },
        { eventSource: 'aws:s3', eventName: 'ObjectRemoved:Delete', s3: { bucket: { name: 'src' }, object: { key: 'gone' } } },
      ],
    });
    expect(objectsFromMessage(body)).toEqual([{ bucket: 'src', key: 'nginx/access log.1.gz', size: 7, etag: 'abc', versionId: 'v1' }]);
  });

  it('ignores the test event and unwraps SNS, but refuses anything else', () => {
    expect(objectsFromMessage(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'src' }))).toEqual([]);
    const inner = s3EventMessage([{ bucket: 'b', key: 'a b/c+d.log', size: 3 }]);
    expect(objectsFromMessage(JSON.stringify({ Type: 'Notification', Message: inner }))).toEqual([{ bucket: 'b', key: 'a b/c+d.log', size: 3, etag: undefined, versionId: undefined }]);
    expect(() => objectsFromMessage('not json')).toThrow(MalformedEventError);
    expect(() => objectsFromMessage('{"hello":1}')).toThrow(/no S3 event Records/);
    expect(() => objectsFromMessage('{"Records":[{"eventName":"ObjectCreated:Put","s3":{}}]}')).toThrow(/Records\[0\]/);
  });

  it('round-trips keys through the message S3 would send', () => {
    for (const key of ['plain.log', 'with space/and+plus.log', '100%/ü.log', 'a/b/c']) {
      expect(objectsFromMessage(s3EventMessage([{ bucket: 'b', key, size: 1 }]))[0].key).toBe(key);
    }
  });

  it('maps staging keys deterministically and back', () => {
    const k = stagingKey('web', { bucket: 'src', key: 'a/b.log' });
    expect(k).toBe('web/src/a/b.log');
    expect(sourceOfStagingKey('web', k)).toEqual({ bucket: 'src', key: 'a/b.log' });
    expect(sourceOfStagingKey('other', k)).toBeUndefined();
  });

  it('names the source content in the staging key when the event gives its ETag, so a rewritten source key is staged beside the first copy', () => {
    const first = stagingKey('web', { bucket: 'src', key: 'a/b.log', etag: '"0123456789abcdef0123456789abcdef"' });
    const second = stagingKey('web', { bucket: 'src', key: 'a/b.log', etag: 'fedcba9876543210fedcba9876543210-3' });
    expect(first).toBe('web/src/etag=0123456789abcdef0123456789abcdef/a/b.log');
    expect(second).not.toBe(first);
    expect(sourceOfStagingKey('web', first)).toEqual({ bucket: 'src', key: 'a/b.log', etag: '0123456789abcdef0123456789abcdef' });
    expect(sourceOfStagingKey('web', second)).toEqual({ bucket: 'src', key: 'a/b.log', etag: 'fedcba9876543210fedcba9876543210-3' });
    // a source key that itself starts like one keeps its meaning
    expect(sourceOfStagingKey('web', stagingKey('web', { bucket: 'src', key: 'etag=x/y.log', etag: 'abc' }))).toEqual({ bucket: 'src', key: 'etag=x/y.log', etag: 'abc' });
  });
});

describe('multipart copy ranges', () => {
  it('covers the object exactly with inclusive ranges', () => {
    const size = 12 * 1024 ** 3 + 17;
    const ranges = copyPartRanges(size);
    const spans = ranges.map((r) => r.slice(6).split('-').map(Number));
    expect(spans[0][0]).toBe(0);
    expect(spans[spans.length - 1][1]).toBe(size - 1);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBe(spans[i - 1][1] + 1);
    expect(ranges.length).toBe(25);
  });

  it('never needs more than 10,000 parts and keeps parts ≥ 5 MiB', () => {
    expect(copyPartRanges(5 * 1024 ** 4, 5 * 1024 ** 2).length).toBeLessThanOrEqual(10_000);
    expect(copyPartRanges(20 * 1024 ** 2, 1)).toEqual(['bytes=0-5242879', 'bytes=5242880-10485759', 'bytes=10485760-15728639', 'bytes=15728640-20971519']);
    expect(copyPartRanges(0)).toEqual([]);
  });
});
