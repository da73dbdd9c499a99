/**
 * Index layout of one pipeline: write alias `<prefix>` over `<prefix>-yyyy.MM.dd-000001`, an index template whose
 * mappings come from the log format's field types, and an ISM policy hot → warm → cold → delete.
 * Pure builders plus `ensureIndexLayout`, which applies them idempotently through an injected HTTP function; the
 * deploy-time custom resource and the processor's cold start both call it.
 *
 * The ISM policy is typed by the OpenSearch API specification's own ISM types (as generated into the client
 * package), so `tsc` checks every action, transition and template against the published schema; the two Amazon
 * OpenSearch Service actions (warm_migration, cold_migration: UltraWarm and cold storage) are not in it and are typed
 * from the Amazon OpenSearch Service documentation here.
 */
import type * as Ism_Common from '@opensearch-project/opensearch/api/_types/ism._common.js';
import { ledgerIndex, ledgerIndexBody } from './pins';

export interface IndexLayoutSettings {
  readonly indexPrefix: string;
  readonly shards: number;
  readonly replicas: number;
  readonly rolloverAge: string;
  readonly rolloverPrimaryShardSize: string;
  readonly warmAfterDays?: number;
  readonly coldAfterDays?: number;
  readonly deleteAfterDays: number;
  /** Amazon OpenSearch Service has UltraWarm/cold storage actions; a self-managed cluster does not. */
  readonly flavor: 'aws' | 'self-managed';
}

export type OpenSearchHttp = (method: 'GET' | 'PUT' | 'HEAD' | 'POST', path: string, body?: unknown) => Promise<{ status: number; body: string }>;

export const policyId = (prefix: string) => `${prefix}-lifecycle`;
export const templateName = (prefix: string) => `${prefix}-template`;

/** Date-math name of the first index; OpenSearch resolves it to `<prefix>-2026.11.26-000001`. */
export function initialIndexPath(prefix: string): string {
  return `/${encodeURIComponent(`<${prefix}-{now/d{yyyy.MM.dd}}-000001>`)}`;
}

/** Amazon OpenSearch Service's actions beyond the open-source plugin's. */
type AwsIsmAction = { warm_migration: { timeout?: string } } | { cold_migration: { timestamp_field: string; start_time?: string; end_time?: string } };
type IsmAction = Ism_Common.Action | AwsIsmAction;

interface IsmState extends Omit<Ism_Common.States, 'actions' | 'transitions'> {
  name: string;
  actions: IsmAction[];
  transitions: Array<Ism_Common.Transition & { state_name: string; conditions: { min_index_age: string } }>;
}

export interface IsmPolicy {
  policy: Omit<Ism_Common.Policy, 'states' | 'ism_template'> & {
    description: string;
    default_state: string;
    states: IsmState[];
    ism_template: Array<Ism_Common.IsmTemplate & { index_patterns: string[]; priority: number }>;
  };
}

export function ismPolicy(s: IndexLayoutSettings): IsmPolicy {
  const phases: Array<{ name: string; afterDays?: number; actions: IsmAction[] }> = [
    {
      name: 'hot',
      afterDays: 0,
      actions: [{ rollover: { min_index_age: s.rolloverAge, min_primary_shard_size: s.rolloverPrimaryShardSize } }],
    },
    {
      name: 'warm',
      afterDays: s.warmAfterDays,
      actions: s.flavor === 'aws' ? [{ warm_migration: {} }] : [{ replica_count: { number_of_replicas: 0 } }, { force_merge: { max_num_segments: 1 } }],
    },
    {
      name: 'cold',
      afterDays: s.coldAfterDays,
      actions: s.flavor === 'aws' ? [{ cold_migration: { timestamp_field: '@timestamp' } }] : [{ read_only: {} }],
    },
    { name: 'delete', afterDays: s.deleteAfterDays, actions: [{ delete: {} }] },
  ];
  const active = phases.filter((p) => p.afterDays !== undefined);
  const states: IsmState[] = active.map((p, i) => {
    const next = active[i + 1];
    return {
      name: p.name,
      actions: p.actions,
      transitions: next ? [{ state_name: next.name, conditions: { min_index_age: `${next.afterDays}d` } }] : [],
    };
  });
  return {
    policy: {
      description: `Logtong lifecycle of ${s.indexPrefix}-*: rollover, then ${active.slice(1).map((p) => `${p.name} after ${p.afterDays}d`).join(', ')}`,
      default_state: 'hot',
      states,
      ism_template: [{ index_patterns: [`${s.indexPrefix}-*`], priority: 100 }],
    },
  };
}

export function indexTemplate(s: IndexLayoutSettings, mappings: object, withIsm: boolean): Record<string, unknown> {
  const settings: Record<string, unknown> = {
    number_of_shards: s.shards,
    number_of_replicas: s.replicas,
    // Log search tolerates a short delay; fewer refreshes index faster.
    refresh_interval: '10s',
  };
  // The rollover alias setting belongs to the ISM plugin: an unknown setting would make index creation fail.
  if (withIsm) settings['plugins.index_state_management.rollover_alias'] = s.indexPrefix;
  return {
    index_patterns: [`${s.indexPrefix}-*`],
    priority: 100,
    template: { settings, mappings },
    _meta: { managed_by: 'logtong' },
  };
}

export interface LayoutResult {
  ism: 'created' | 'updated' | 'unchanged' | 'unavailable';
  template: 'put';
  index: 'created' | 'exists';
  ledger: 'created' | 'exists';
}

async function ok(res: Promise<{ status: number; body: string }>, what: string): Promise<{ status: number; body: string }> {
  const r = await res;
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 500)}`);
  return r;
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, val) =>
    val && typeof val === 'object' && !Array.isArray(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => a.localeCompare(b))) : val,
  );
}

export async function ensureIndexLayout(http: OpenSearchHttp, s: IndexLayoutSettings, mappings: object): Promise<LayoutResult> {
  const plugins = await ok(http('GET', '/_cat/plugins?format=json'), 'list plugins');
  const hasIsm = (JSON.parse(plugins.body) as Array<{ component?: string }>).some((p) => p.component === 'opensearch-index-management');
  let ism: LayoutResult['ism'] = 'unavailable';
  if (hasIsm) {
    const wanted = ismPolicy(s);
    const path = `/_plugins/_ism/policies/${policyId(s.indexPrefix)}`;
    const current = await http('GET', path);
    if (current.status === 404) {
      await ok(http('PUT', path, wanted), 'create ISM policy');
      ism = 'created';
    } else if (current.status === 200) {
      const doc = JSON.parse(current.body) as { _seq_no: number; _primary_term: number; policy: Record<string, unknown> };
      const same = (['description', 'default_state', 'states', 'ism_template'] as const).every((k) => {
        // The stored policy carries server-side fields (last_updated_time…): compare what we set.
        const have = k === 'ism_template' ? (doc.policy[k] as Array<Record<string, unknown>> | undefined)?.map(({ index_patterns, priority }) => ({ index_patterns, priority })) : doc.policy[k];
        return stable(have) === stable(wanted.policy[k]);
      });
      if (!same) {
        await ok(http('PUT', `${path}?if_seq_no=${doc._seq_no}&if_primary_term=${doc._primary_term}`, wanted), 'update ISM policy');
        ism = 'updated';
      } else ism = 'unchanged';
    } else throw new Error(`read ISM policy: HTTP ${current.status} ${current.body.slice(0, 500)}`);
  }
  await ok(http('PUT', `/_index_template/${templateName(s.indexPrefix)}`, indexTemplate(s, mappings, hasIsm)), 'put index template');
  const ledger = await ensureIndex(http, ledgerIndex(s.indexPrefix), ledgerIndexBody(s.replicas));
  const alias = await http('HEAD', `/_alias/${s.indexPrefix}`);
  if (alias.status === 200) return { ism, template: 'put', index: 'exists', ledger };
  const created = await ensureIndex(http, initialIndexPath(s.indexPrefix).slice(1), { aliases: { [s.indexPrefix]: { is_write_index: true } } }, false);
  return { ism, template: 'put', index: created, ledger };
}

/** Creates an index unless it exists; another writer may create it between the check and the PUT. */
async function ensureIndex(http: OpenSearchHttp, path: string, body: unknown, check = true): Promise<'created' | 'exists'> {
  if (check && (await http('HEAD', `/${path}`)).status === 200) return 'exists';
  const created = await http('PUT', `/${path}`, body);
  if (created.status < 300) return 'created';
  if (created.body.includes('resource_already_exists_exception')) return 'exists';
  throw new Error(`create index ${decodeURIComponent(path)}: HTTP ${created.status} ${created.body.slice(0, 500)}`);
}
