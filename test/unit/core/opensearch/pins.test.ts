import { planShardBatch, type ShardPin } from '../../../../lambda/core/opensearch/pins';

const now = new Date('2026-12-05T10:00:00Z');
const seg = (from: string, index: string, at = '2026-12-01T00:00:00Z') => ({ from, index, at });

describe('planShardBatch', () => {
  it('pins the first batch of a shard to the write index', () => {
    expect(planShardBatch(undefined, '100', '199', 'w-1', now)).toEqual({
      index: 'w-1',
      redelivery: false,
      update: { segments: [seg('100', 'w-1', now.toISOString())], high: '199' },
    });
  });

  it('extends the last segment while the write index stays the same', () => {
    const pin: ShardPin = { segments: [seg('100', 'w-1')], high: '199' };
    expect(planShardBatch(pin, '200', '299', 'w-1', now)).toEqual({ index: 'w-1', redelivery: false, update: { segments: pin.segments, high: '299' } });
  });

  it('starts a segment when the alias rolled over', () => {
    const pin: ShardPin = { segments: [seg('100', 'w-1')], high: '199' };
    const plan = planShardBatch(pin, '200', '299', 'w-2', now);
    expect(plan.index).toBe('w-2');
    expect(plan.update?.segments.map((s) => [s.from, s.index])).toEqual([
      ['100', 'w-1'],
      ['200', 'w-2'],
    ]);
  });

  it('sends a redelivered batch where its records went, whatever the write index is now', () => {
    const pin: ShardPin = { segments: [seg('100', 'w-1')], high: '199' };
    expect(planShardBatch(pin, '150', '199', 'w-2', now)).toEqual({ index: 'w-1', redelivery: true });
    // records past `high` in a redelivered batch join the segment of its first record
    expect(planShardBatch(pin, '150', '260', 'w-2', now)).toEqual({ index: 'w-1', redelivery: true, update: { segments: pin.segments, high: '260' } });
  });

  it('stops a redelivered batch where the next segment begins', () => {
    const pin: ShardPin = { segments: [seg('100', 'w-1'), seg('200', 'w-2')], high: '299' };
    expect(planShardBatch(pin, '150', '250', 'w-3', now)).toEqual({ index: 'w-1', cutAt: '200', redelivery: true });
    expect(planShardBatch(pin, '150', '199', 'w-3', now)).toEqual({ index: 'w-1', redelivery: true });
    expect(planShardBatch(pin, '200', '250', 'w-3', now)).toEqual({ index: 'w-2', redelivery: true });
  });

  it('compares sequence numbers as numbers, not strings', () => {
    const pin: ShardPin = { segments: [seg('99', 'w-1')], high: '990' };
    // '1000' > '990' numerically, < as a string
    expect(planShardBatch(pin, '1000', '1100', 'w-2', now).redelivery).toBe(false);
  });

  it('forgets segments that ended longer ago than Kinesis keeps records, never the last one', () => {
    const pin: ShardPin = {
      segments: [seg('1', 'w-1', '2025-01-01T00:00:00Z'), seg('2', 'w-2', '2025-06-01T00:00:00Z'), seg('3', 'w-3', '2026-12-04T00:00:00Z')],
      high: '3',
    };
    const plan = planShardBatch(pin, '4', '5', 'w-4', now);
    expect(plan.update?.segments.map((s) => s.index)).toEqual(['w-2', 'w-3', 'w-4']);
  });
});
