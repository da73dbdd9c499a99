/** The corpora in the repository are the real logs, unchanged: each file is the one SHA256SUMS names, and no other. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CORPORA } from '../corpora';

describe('test/fixtures/corpora', () => {
  const sums = readFileSync(path.join(CORPORA, 'SHA256SUMS'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(/\s+/) as [string, string]);

  it.each(sums.map(([sum, name]) => [name, sum]))('%s is byte for byte the corpus as published (sha256 %s)', (name, sum) => {
    expect(createHash('sha256').update(readFileSync(path.join(CORPORA, name))).digest('hex')).toBe(sum);
  });

  it('holds no corpus that SHA256SUMS does not pin', () => {
    const data = readdirSync(CORPORA).filter((f) => f !== 'README.md' && f !== 'SHA256SUMS');
    expect(data.sort()).toEqual(sums.map(([, name]) => name).sort());
  });
});
