import { compareUtf8 } from '../../../../lambda/core/parquet/column-chunk';

describe('column chunk statistics', () => {
  it('compareUtf8 orders like UTF-8 bytes', () => {
    const words = ['b', 'a', '\uffff', '😀', 'ab', '', '\u00e9'];
    const byBytes = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...words].sort(compareUtf8)).toEqual(byBytes);
  });
});
