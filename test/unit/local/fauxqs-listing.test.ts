import { byteOrderListing, type FqS3Object } from '../../../lib/local/fauxqs';

const objects = (...keys: string[]): FqS3Object[] => keys.map((key) => ({ key, body: Buffer.alloc(0), contentLength: 0, etag: '"x"', lastModified: new Date(0) }));
const keys = (l: ReturnType<typeof byteOrderListing>) => ({ keys: l.objects.map((o) => o.key), prefixes: l.commonPrefixes, truncated: l.isTruncated });

// UTF-8 byte order: 'B' 0x42 < 'Z' 0x5A < '_' 0x5F < 'a' 0x61 < 'é' 0xC3 0xA9 (localeCompare would put '_' first and 'a' before 'B')
const ALL = objects('a/é', 'a/a', 'a/_', 'a/Z/2', 'a/B', 'a/Z/1', 'b/x');

describe('byteOrderListing: a page of the S3 emulator’s listing', () => {
  it('lists the keys under the prefix in UTF-8 byte order', () => {
    expect(keys(byteOrderListing(ALL, { prefix: 'a/' }))).toEqual({ keys: ['a/B', 'a/Z/1', 'a/Z/2', 'a/_', 'a/a', 'a/é'], prefixes: [], truncated: false });
  });

  it('starts after StartAfter in byte order, so paging skips nothing', () => {
    expect(keys(byteOrderListing(ALL, { prefix: 'a/', startAfter: 'a/Z/2', maxKeys: 2 }))).toEqual({ keys: ['a/_', 'a/a'], prefixes: [], truncated: true });
    expect(keys(byteOrderListing(ALL, { prefix: 'a/', marker: 'a/a' }))).toEqual({ keys: ['a/é'], prefixes: [], truncated: false });
  });

  it('rolls keys up to common prefixes at the delimiter, each counting once against MaxKeys', () => {
    expect(keys(byteOrderListing(ALL, { prefix: 'a/', delimiter: '/' }))).toEqual({ keys: ['a/B', 'a/_', 'a/a', 'a/é'], prefixes: ['a/Z/'], truncated: false });
    expect(keys(byteOrderListing(ALL, { prefix: 'a/', delimiter: '/', maxKeys: 2 }))).toEqual({ keys: ['a/B'], prefixes: ['a/Z/'], truncated: true });
    expect(keys(byteOrderListing(ALL, { delimiter: '/' }))).toEqual({ keys: [], prefixes: ['a/', 'b/'], truncated: false });
  });

  it('leaves out a common prefix at or before StartAfter', () => {
    expect(keys(byteOrderListing(ALL, { prefix: 'a/', delimiter: '/', startAfter: 'a/Z/1' }))).toEqual({ keys: ['a/_', 'a/a', 'a/é'], prefixes: [], truncated: false });
  });
});
