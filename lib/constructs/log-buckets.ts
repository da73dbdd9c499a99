import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  type BucketProps,
  type IBucket,
  type LifecycleRule,
} from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { STATE_DONE, STATE_TAG_KEY } from '../../lambda/core/object-state';

/** What every Logtong bucket has: no public access, TLS 1.2+ only, ACLs disabled, failed uploads cleaned up. */
function secureDefaults(props: { encryptionKey?: IKey; removalPolicy?: RemovalPolicy }): BucketProps {
  return {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    ...(props.encryptionKey
      ? { encryption: BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }
      : { encryption: BucketEncryption.S3_MANAGED }),
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  };
}

const abortIncompleteUploads: LifecycleRule = {
  id: 'abort-incomplete-multipart-uploads',
  abortIncompleteMultipartUploadAfter: Duration.days(1),
};

export interface AccessLogBucketProps {
  /** Lifetime of access log objects. @default Duration.days(90) */
  readonly retention?: Duration;

  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Destination of the other buckets' server access logs; not logged itself (cdk-nag S1 accepts a bucket that is a
 * log destination in the same stack). SSE-S3 because S3 cannot deliver access logs to a bucket
 * whose default encryption is SSE-KMS; the write permission for the logging service is a bucket policy
 * (`@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`), so ACLs stay disabled.
 */
export class AccessLogBucket extends Bucket {
  constructor(scope: Construct, id: string, props: AccessLogBucketProps = {}) {
    super(scope, id, {
      ...secureDefaults({ removalPolicy: props.removalPolicy }),
      lifecycleRules: [abortIncompleteUploads, { id: 'expire-access-logs', expiration: props.retention ?? Duration.days(90) }],
    });
  }
}

export interface DataBucketProps {
  /** Bucket that receives this bucket's server access logs. */
  readonly serverAccessLogsBucket: IBucket;

  /** Key prefix of this bucket's access logs in `serverAccessLogsBucket`. */
  readonly serverAccessLogsPrefix: string;

  /** How long an object is kept. */
  readonly retention: Duration;

  /** @default - SSE-S3 */
  readonly encryptionKey?: IKey;

  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

export interface WorkBucketProps extends Omit<DataBucketProps, 'retention'> {
  /**
   * How long an object marked done (tagged `logtong:state=done`) is kept, counted from its creation as S3 lifecycle
   * counts. An object not marked done never expires.
   */
  readonly doneRetention: Duration;
}

/**
 * Raw log files copied from the source, one prefix per pipeline (`<pipeline>/…`), and the pipeline's own bookkeeping
 * beside them: the Light Engine's batch manifests (`_batches/`) and archived copies (`archive/`), the one-time
 * scanner's checkpoint (`_logtong/scanner/`). Not versioned: the source bucket keeps the original, and the copies
 * are only read once by the log processor (OpenSearch engine) or the batch converter (Light Engine).
 *
 * Nothing here expires by age alone: a staged object may wait for its processor (a backlog, an outage, a batch that
 * keeps failing) as long as it must. Only objects marked done expire: a staged copy whose every line is indexed,
 * filtered or backed up; a copy the dead-letter backup kept; an archived copy whose batch finished. Manifests and the
 * scanner checkpoint are never marked, so they stay until their step deletes them (a finished scan's checkpoint
 * stays, so a rerun sends nothing twice).
 */
export class StagingBucket extends Bucket {
  constructor(scope: Construct, id: string, props: WorkBucketProps) {
    super(scope, id, doneExpiringBucket(props, 'expire-done-staged-objects'));
  }
}

/** A logged, unversioned data bucket whose objects expire `retention` after they were written. */
function expiringBucket(props: DataBucketProps, ruleId: string): BucketProps {
  return {
    ...secureDefaults(props),
    serverAccessLogsBucket: props.serverAccessLogsBucket,
    serverAccessLogsPrefix: props.serverAccessLogsPrefix,
    lifecycleRules: [abortIncompleteUploads, { id: ruleId, expiration: props.retention }],
  };
}

/** A logged, unversioned bucket of work in progress: only objects tagged `logtong:state=done` expire. */
function doneExpiringBucket(props: WorkBucketProps, ruleId: string): BucketProps {
  return {
    ...secureDefaults(props),
    serverAccessLogsBucket: props.serverAccessLogsBucket,
    serverAccessLogsPrefix: props.serverAccessLogsPrefix,
    lifecycleRules: [abortIncompleteUploads, { id: ruleId, tagFilters: { [STATE_TAG_KEY]: STATE_DONE }, expiration: props.doneRetention }],
  };
}

/**
 * Records that could not be indexed and messages that exhausted their retries. Versioned: for these records it is
 * the only copy, so an overwrite or delete must be recoverable until the retention ends.
 */
export class BackupBucket extends Bucket {
  constructor(scope: Construct, id: string, props: DataBucketProps) {
    super(scope, id, {
      ...secureDefaults(props),
      versioned: true,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsPrefix,
      lifecycleRules: [
        abortIncompleteUploads,
        {
          id: 'expire-backups',
          expiration: props.retention,
          noncurrentVersionExpiration: props.retention,
        },
        // Separate rule: S3 rejects ExpiredObjectDeleteMarker together with an Expiration in days.
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
    });
  }
}

/**
 * The Light Engine's Parquet files, queried by Athena through the Glue table. Not versioned: every file can be
 * written again from the archived raw objects, and compaction replaces files it merged.
 */
export class CentralBucket extends Bucket {
  constructor(scope: Construct, id: string, props: DataBucketProps) {
    super(scope, id, expiringBucket(props, 'expire-parquet'));
  }
}

/**
 * Where agents (Fluent Bit's `s3` output) put gzipped chunks of raw lines, under `<pipeline>/…`; the copy stage
 * moves each new object to staging like any S3 source. Not versioned: every key is unique (Fluent Bit adds a UUID),
 * and a chunk is only read once, by the copy stage. A chunk is the only copy of its lines until it is staged, so it
 * expires only once marked done: by the copy stage after staging it, or by the dead-letter backup after keeping it.
 */
export class BufferBucket extends Bucket {
  constructor(scope: Construct, id: string, props: WorkBucketProps) {
    super(scope, id, doneExpiringBucket(props, 'expire-done-buffered-objects'));
  }
}
