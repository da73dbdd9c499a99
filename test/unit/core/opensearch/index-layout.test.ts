import { ensureIndexLayout, indexTemplate, initialIndexPath, ismPolicy, type IndexLayoutSettings, type IsmPolicy, type OpenSearchHttp } from '../../../../lambda/core/opensearch/index-layout';

const settings: IndexLayoutSettings = {
  indexPrefix: 'web',
  shards: 2,
  replicas: 1,
  rolloverAge: '1d',
  rolloverPrimaryShardSize: '30gb',
  warmAfterDays: 7,
  coldAfterDays: 30,
  deleteAfterDays: 90,
  flavor: 'aws',
};

/** The documented shape of an ISM policy (OpenSearch ISM API: policies, states, actions, transitions, ism_template). */
function assertIsmShape(doc: IsmPolicy): void {
  const p = doc.policy as unknown as Record<string, any>;
  expect(Object.keys(p).sort()).toEqual(['default_state', 'description', 'ism_template', 'states']);
  const names = p.states.map((s: { name: string }) => s.name);
  expect(names).toContain(p.default_state);
  for (const s of p.states) {
    expect(Object.keys(s).sort()).toEqual(['actions', 'name', 'transitions']);
    for (const a of s.actions) expect(Object.keys(a)).toHaveLength(1);
    for (const t of s.transitions) {
      expect(names).toContain(t.state_name);
      expect(t.conditions.min_index_age).toMatch(/^\d+d$/);
    }
  }
  expect(p.ism_template[0].index_patterns).toEqual(['web-*']);
}

describe('ISM policy', () => {
  it('chains hot → warm → cold → delete with the configured ages (Amazon OpenSearch actions)', () => {
    const doc = ismPolicy(settings);
    assertIsmShape(doc);
    expect(doc.policy.states).toEqual([
      { name: 'hot', actions: [{ rollover: { min_index_age: '1d', min_primary_shard_size: '30gb' } }], transitions: [{ state_name: 'warm', conditions: { min_index_age: '7d' } }] },
      { name: 'warm', actions: [{ warm_migration: {} }], transitions: [{ state_name: 'cold', conditions: { min_index_age: '30d' } }] },
      { name: 'cold', actions: [{ cold_migration: { timestamp_field: '@timestamp' } }], transitions: [{ state_name: 'delete', conditions: { min_index_age: '90d' } }] },
      { name: 'delete', actions: [{ delete: {} }], transitions: [] },
    ]);
  });

  it('skips unset phases and uses self-managed actions on a self-managed cluster', () => {
    const doc = ismPolicy({ ...settings, warmAfterDays: 3, coldAfterDays: undefined, flavor: 'self-managed' });
    assertIsmShape(doc);
    expect(doc.policy.states.map((s) => s.name)).toEqual(['hot', 'warm', 'delete']);
    expect(doc.policy.states[1].actions).toEqual([{ replica_count: { number_of_replicas: 0 } }, { force_merge: { max_num_segments: 1 } }]);
    expect(doc.policy.states[1].transitions).toEqual([{ state_name: 'delete', conditions: { min_index_age: '90d' } }]);
  });
});

describe('index template', () => {
  it('sets the rollover alias only when ISM is there', () => {
    const mappings = { properties: { status: { type: 'integer' } } };
    expect(indexTemplate(settings, mappings, true)).toMatchObject({
      index_patterns: ['web-*'],
      template: { settings: { number_of_shards: 2, number_of_replicas: 1, 'plugins.index_state_management.rollover_alias': 'web' }, mappings },
    });
    expect((indexTemplate(settings, mappings, false).template as any).settings).not.toHaveProperty(['plugins.index_state_management.rollover_alias']);
  });

  it('names the first index with date math', () => {
    expect(decodeURIComponent(initialIndexPath('web'))).toBe('/<web-{now/d{yyyy.MM.dd}}-000001>');
  });
});

// The ISM plugin is not published on Maven Central, so the real node in test/integration has none; this branch is
// driven by a scripted HTTP function that answers as the ISM API documents.
describe('ensureIndexLayout with the ISM plugin', () => {
  function scripted(existingPolicy?: object) {
    const calls: string[] = [];
    const http: OpenSearchHttp = async (method, path, body) => {
      calls.push(`${method} ${path.split('?')[0]}${path.includes('if_seq_no') ? '?if_seq_no' : ''}`);
      if (path.startsWith('/_cat/plugins')) return { status: 200, body: JSON.stringify([{ component: 'opensearch-index-management' }]) };
      if (path.startsWith('/_plugins/_ism/policies/') && method === 'GET') {
        return existingPolicy ? { status: 200, body: JSON.stringify({ _seq_no: 4, _primary_term: 1, ...existingPolicy }) } : { status: 404, body: '{}' };
      }
      if (method === 'HEAD') return { status: 404, body: '' };
      return { status: 200, body: JSON.stringify(body ?? {}) };
    };
    return { calls, http };
  }

  it('creates policy, template and first index', async () => {
    const { calls, http } = scripted();
    const r = await ensureIndexLayout(http, settings, {});
    expect(r).toEqual({ ism: 'created', template: 'put', index: 'created', ledger: 'created' });
    expect(calls).toEqual([
      'GET /_cat/plugins',
      'GET /_plugins/_ism/policies/web-lifecycle',
      'PUT /_plugins/_ism/policies/web-lifecycle',
      'PUT /_index_template/web-template',
      'HEAD /web.ledger',
      'PUT /web.ledger',
      'HEAD /_alias/web',
      `PUT ${initialIndexPath('web')}`,
    ]);
  });

  it('leaves an identical policy alone and updates a changed one with optimistic concurrency', async () => {
    const same = scripted({ policy: { ...ismPolicy(settings).policy, policy_id: 'web-lifecycle', last_updated_time: 1, ism_template: [{ index_patterns: ['web-*'], priority: 100, last_updated_time: 1 }] } });
    expect((await ensureIndexLayout(same.http, settings, {})).ism).toBe('unchanged');
    const changed = scripted({ policy: { ...ismPolicy({ ...settings, deleteAfterDays: 60 }).policy } });
    expect((await ensureIndexLayout(changed.http, settings, {})).ism).toBe('updated');
    expect(changed.calls).toContain('PUT /_plugins/_ism/policies/web-lifecycle?if_seq_no');
  });
});
