import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import { CfnNamedQuery } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { LogFormat } from '../config/schema';
import {
  DEFAULT_PROJECTION,
  EVENT_HOUR_FORMAT,
  MAX_FUTURE_HOURS,
  athenaRange,
  isEventHour,
  partitionLimitProblem,
  type ProjectionRange,
} from '../../lambda/core/light/projection';
import { PARTITION_KEYS, type Column } from '../../lambda/core/parquet/columns';
import { commonQueries } from '../../lambda/core/analytics/athena-sql';

// The saved queries are rendered from the access-log question catalog (lambda/core/analytics), which also renders the
// OpenSearch Dashboards visualizations: the two engines answer the same questions.
export { commonQueries, QUERY_WINDOW_HOURS, type CommonQuery } from '../../lambda/core/analytics/athena-sql';

/** Log type of the pipeline (`logFormat.type`). */
export type LogType = LogFormat['type'];

const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
const PARQUET_INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
const PARQUET_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';

// Athena folds identifiers to lower case and needs quoting for anything beyond letters, digits and `_`; holding
// names to this keeps hand-written SQL simple.
const GLUE_NAME = /^[a-z][a-z0-9_]{0,254}$/;
const COLUMN_NAME = /^[a-z_][a-z0-9_]*$/;

export interface GlueTableProps {
  /** Glue database created for this table (one per pipeline): lower-case letters, digits and `_`. */
  readonly databaseName: string;

  /** Lower-case letters, digits and `_`. */
  readonly tableName: string;

  /** Bucket the Parquet files are written to. */
  readonly bucket: IBucket;

  /**
   * Key prefix of the table in `bucket`: no leading `/`, ends with `/` (`light/web-access/`). Files live under
   * `<prefix>event_hour=YYYYMMDDHH/region=<region>/`.
   */
  readonly prefix: string;

  /** Columns in file order, from `tableColumns(...)`: the same list the converter writes its Parquet schema from. */
  readonly columns: readonly Column[];

  /**
   * Values of the `region` partition. Athena only reads the regions listed here: a partition written for any other
   * value exists in S3 but is invisible to queries until the table is redeployed with it.
   */
  readonly regions: readonly string[];

  /**
   * The pipeline's log type: nginx and apache tables get named queries for the access-log questions their columns
   * can answer (lambda/core/analytics/questions.ts).
   */
  readonly logType: LogType;

  /**
   * First `event_hour` (UTC, `YYYYMMDDHH`) Athena projects: files of earlier hours would exist in S3 but no query
   * would see them, so the converter must be given the same range (it backs such records up instead). A later start
   * only makes queries without an `event_hour` filter cheaper (they read every projected hour of every region) and is
   * checked against the 1,000,000 partitions one Athena query may read, 10 years ahead.
   * @default '2000010100'
   */
  readonly projectionStartHour?: string;

  /**
   * Hours after the query's NOW that Athena projects too (`NOW+<n>HOURS`; 0: `NOW`), for clocks that run ahead and
   * local times read as UTC. The converter must be given the same value.
   * @default 24
   */
  readonly projectionFutureHours?: number;

  /** Athena workgroup the named queries are saved in. @default - the `primary` workgroup */
  readonly workGroup?: string;
}

/**
 * Light Engine table: a Glue database and an external Parquet table over `s3://<bucket>/<prefix>`, partitioned by
 * `event_hour` and `region` with Athena partition projection. Projection computes the partitions from the table
 * parameters, so new hours are queryable as soon as their files land: no crawler, no `MSCK REPAIR`, no
 * `BatchCreatePartition` from the converter, and no Glue partition list that grows by one entry per hour and region.
 */
export class GlueTable extends Construct {
  readonly database: CfnDatabase;
  readonly table: CfnTable;
  readonly databaseName: string;
  readonly tableName: string;
  /** `arn:…:glue:<region>:<account>:catalog`: Glue actions on a table also need the catalog in the policy. */
  readonly catalogArn: string;
  readonly databaseArn: string;
  readonly tableArn: string;
  /** `s3://<bucket>/<prefix>` */
  readonly location: string;
  /** The named queries created, by construct id (empty for log types without common queries). */
  readonly namedQueries: Readonly<Record<string, CfnNamedQuery>>;
  /** The `event_hour` range Athena projects: what the converter must check its records against. */
  readonly projection: ProjectionRange;

  constructor(scope: Construct, id: string, props: GlueTableProps) {
    super(scope, id);
    validate(props);
    const stack = Stack.of(this);
    this.projection = projectionOf(props);
    this.databaseName = props.databaseName;
    this.tableName = props.tableName;
    this.location = `s3://${props.bucket.bucketName}/${props.prefix}`;

    this.database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        // Explicit name: without one Glue generates `<logicalId>-<random>`, which Athena cannot query.
        name: props.databaseName,
        description: 'Logtong Light Engine: Parquet log tables for Athena',
      },
    });

    this.table = new CfnTable(this, 'Table', {
      catalogId: stack.account,
      // The Ref (the database name) orders the table after the database.
      databaseName: this.database.ref,
      tableInput: {
        name: props.tableName,
        description: `Logtong ${props.logType} logs, Parquet, partitioned by event_hour (UTC) and region`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          EXTERNAL: 'TRUE',
          classification: 'parquet',
          // Codec of files Athena itself writes (INSERT INTO / CTAS); readers take the codec from each file.
          'parquet.compression': 'SNAPPY',
          'projection.enabled': 'true',
          'projection.event_hour.type': 'date',
          'projection.event_hour.format': EVENT_HOUR_FORMAT,
          // A fixed start and a relative end, never the other way round (see lambda/core/light/projection.ts).
          'projection.event_hour.range': athenaRange(this.projection),
          // Interval and unit are required when the format is finer than a day.
          'projection.event_hour.interval': '1',
          'projection.event_hour.interval.unit': 'HOURS',
          'projection.region.type': 'enum',
          'projection.region.values': props.regions.join(','),
          // Athena builds each partition's location from this; `${…}` are the partition values (plain text to
          // CloudFormation, which substitutes only inside Fn::Sub).
          'storage.location.template': `${this.location}event_hour=\${event_hour}/region=\${region}/`,
        },
        partitionKeys: PARTITION_KEYS.map((name) => ({ name, type: 'string' })),
        storageDescriptor: {
          location: this.location,
          inputFormat: PARQUET_INPUT_FORMAT,
          outputFormat: PARQUET_OUTPUT_FORMAT,
          serdeInfo: { serializationLibrary: PARQUET_SERDE, parameters: { 'serialization.format': '1' } },
          columns: props.columns.map((c) => ({ name: c.name, type: c.type, ...columnComment(c) })),
        },
      },
    });

    this.catalogArn = stack.formatArn({ service: 'glue', resource: 'catalog', arnFormat: ArnFormat.NO_RESOURCE_NAME });
    this.databaseArn = stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName });
    this.tableArn = stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.databaseName}/${props.tableName}` });

    const namedQueries: Record<string, CfnNamedQuery> = {};
    for (const q of commonQueries(props.logType, props.columns, props.databaseName, props.tableName)) {
      const query = new CfnNamedQuery(this, q.id, {
        database: this.database.ref,
        name: q.name,
        description: q.description,
        queryString: q.sql,
        ...(props.workGroup ? { workGroup: props.workGroup } : {}),
      });
      // Athena does not check the SQL on save; the dependency only keeps a deploy from showing a query before its table.
      query.addResourceDependency(this.table);
      namedQueries[q.id] = query;
    }
    this.namedQueries = namedQueries;
  }
}

/** The source field when the column was renamed, and how `object` values are stored. */
function columnComment(c: Column): { comment?: string } {
  const notes: string[] = [];
  if (c.source !== c.name) notes.push(`field ${c.source}`);
  if (c.fieldType === 'object') notes.push('JSON text');
  return notes.length ? { comment: notes.join('; ') } : {};
}

function projectionOf(props: GlueTableProps): ProjectionRange {
  return {
    fromHour: props.projectionStartHour ?? DEFAULT_PROJECTION.fromHour,
    futureHours: props.projectionFutureHours ?? DEFAULT_PROJECTION.futureHours,
  };
}

/** Fails synth with the offending value rather than deploying a table Athena cannot read. */
function validate(props: GlueTableProps): void {
  const problems: string[] = [];
  for (const [field, name] of [
    ['databaseName', props.databaseName],
    ['tableName', props.tableName],
  ] as const) {
    if (!Token.isUnresolved(name) && !GLUE_NAME.test(name)) {
      problems.push(`${field} "${name}": must match ${GLUE_NAME.source} (Athena names: lower case, digits, _ instead of -)`);
    }
  }
  if (!Token.isUnresolved(props.prefix) && (props.prefix.startsWith('/') || (props.prefix !== '' && !props.prefix.endsWith('/')) || props.prefix.includes('//'))) {
    problems.push(`prefix "${props.prefix}": must not start with /, must end with / and must not contain //`);
  }
  if (props.columns.length === 0) problems.push('columns: at least one column is required');
  const seen = new Set<string>();
  for (const c of props.columns) {
    if (!COLUMN_NAME.test(c.name)) problems.push(`column "${c.name}": must match ${COLUMN_NAME.source}`);
    if ((PARTITION_KEYS as readonly string[]).includes(c.name)) problems.push(`column "${c.name}": is a partition key`);
    if (seen.has(c.name)) problems.push(`column "${c.name}": appears twice`);
    seen.add(c.name);
  }
  if (props.regions.length === 0) problems.push('regions: at least one region is required');
  const regions = new Set<string>();
  for (const r of props.regions) {
    if (Token.isUnresolved(r)) continue;
    // Enum values are comma-separated and white space counts as part of a value; `/` would change the path depth.
    if (!/^[A-Za-z0-9_.-]+$/.test(r)) problems.push(`region "${r}": only letters, digits, ., _ and - are allowed`);
    if (regions.has(r)) problems.push(`region "${r}": appears twice`);
    regions.add(r);
  }
  const start = props.projectionStartHour;
  const startOk = start === undefined || isEventHour(start);
  if (!startOk) problems.push(`projectionStartHour "${start}": must be a UTC hour YYYYMMDDHH`);
  const ahead = props.projectionFutureHours;
  const aheadOk = ahead === undefined || (Number.isInteger(ahead) && ahead >= 0 && ahead <= MAX_FUTURE_HOURS);
  if (!aheadOk) problems.push(`projectionFutureHours ${ahead}: must be an integer 0..${MAX_FUTURE_HOURS}`);
  if (startOk && aheadOk) {
    // Checked against the synth-time clock: the count grows by one per hour and region.
    const limit = partitionLimitProblem(projectionOf(props), Date.now(), props.regions.length);
    if (limit) problems.push(`projectionStartHour: ${limit}`);
  }
  if (problems.length) throw new Error(`GlueTable ${props.databaseName}.${props.tableName}: ${problems.join('; ')}`);
}
