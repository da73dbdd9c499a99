/**
 * A fluent-bit source run locally: the agent configuration the stack stores (lib/agent), pointed at this machine by
 * `localize` (its tail reads the input files, its S3 output writes to the emulated buffer bucket, its OpenSearch output
 * to the local node), run by the real Fluent Bit built by `.ci/setup-fluent-bit.sh`. Without that build, a one-line
 * error names the command.
 */
import * as path from 'node:path';
import { fluentBitConfigDocument } from '../agent/fluent-bit-config';
import type { Pipeline } from '../config/schema';
import type { AwsEmulator } from './aws-emulator';
import { FLUENT_BIT_VERSION, fluentBitBinary, localize, startFluentBit, type FluentBitProcess } from './fluent-bit';
import type { LocalStack } from './local-stack';
import { freePort } from './net';
import { MissingPrerequisiteError } from './prerequisites';

/** The agent's timers, shortened so a local run ends in seconds (what is flushed and how is unchanged). */
const LOCAL_TIMING = { service: { flush: 1, 'scheduler.cap': 5 }, tail: { refresh_interval: 1 }, s3: { upload_timeout: '2s' } };

export interface LocalAgent {
  /** Records the agent's tail has read so far. */
  readRecords(): Promise<number>;
  /** SIGTERM: the agent flushes what it holds and exits. */
  stop(): Promise<void>;
}

export async function startLocalAgent(o: { pipeline: Pipeline; stack: LocalStack; aws: AwsEmulator; opensearchUrl?: string; inputs: readonly string[]; dir: string }): Promise<LocalAgent> {
  try {
    fluentBitBinary();
  } catch {
    throw new MissingPrerequisiteError('fluent-bit', `Fluent Bit ${FLUENT_BIT_VERSION} is needed to run this pipeline's agent locally: run \`bash .ci/setup-fluent-bit.sh\` (builds it once into the cache folder, about 3 minutes)`);
  }
  const buffer = o.pipeline.engine.type === 'light' ? 's3' : o.pipeline.engine.buffer;
  // The targets the stack gives its agents (agent-config-props.ts), with the local names.
  const targets = {
    region: o.aws.region,
    ...(buffer === 's3' ? { bucketName: o.stack.bucketName('BufferBucket'), keyPrefix: `${o.pipeline.name}/` } : {}),
    ...(buffer === 'none' ? { backupBucketName: o.stack.bucketName('BackupBucket') } : {}),
  };
  const doc = localize(fluentBitConfigDocument(o.pipeline, targets), {
    stateDir: path.join(o.dir, 'state'),
    httpPort: await freePort(),
    logPaths: [...o.inputs],
    s3Endpoint: o.aws.endpoint,
    ...(o.opensearchUrl ? { opensearchUrl: o.opensearchUrl } : {}),
    timing: LOCAL_TIMING,
  });
  const fb: FluentBitProcess = await startFluentBit({ doc, dir: o.dir, env: o.aws.env });
  return {
    async readRecords() {
      const m = await fb.metrics();
      return Object.entries(m.input)
        .filter(([name]) => name.startsWith('tail'))
        .reduce((n, [, v]) => n + v.records, 0);
    },
    stop: () => fb.stop(),
  };
}
