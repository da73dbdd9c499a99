import {
  PARTITION_KEYS,
  TIME_COLUMN,
  lightTable,
  listLockKey
} from "./chunk-N75X3WWW.mjs";
import {
  openInput
} from "./chunk-324LBI7C.mjs";
import {
  AWS_FOR_FLUENT_BIT_IMAGE,
  agentServiceAccountName,
  eksManifest
} from "./chunk-BXL242TH.mjs";
import {
  AGENT_METRICS_NAMESPACE,
  AGENT_METRIC_NAMES,
  AGENT_PLACEHOLDERS,
  AGENT_STATE_DIR,
  ALARMS,
  AgentConfigError,
  ConfigError,
  DEFAULT_PROJECTION,
  EVENT_HOUR_FORMAT,
  KINESIS_DEFAULTS,
  MAX_FUTURE_HOURS,
  METRIC,
  METRICS_NAMESPACE,
  SCANNER_SERVICE,
  SYSLOG_HEALTH_PORT,
  TIMESTAMP_FIELD,
  agentMetricDimensions,
  agentMetricFilters,
  agentMetricsLogGroupName,
  athenaRange,
  compileParser,
  decodeBody,
  fluentBitConfig,
  fluentBitConfigDocument,
  isEventHour,
  layoutToRegex,
  lightDatabaseName,
  lightProjection,
  lightTableName,
  loadConfig,
  metricDimensions,
  partitionLimitProblem,
  placeholderTargets,
  recordBatches,
  serviceName,
  splitLines
} from "./chunk-ESIZHS62.mjs";
import {
  EXIT_FAILED,
  EXIT_OK,
  UsageError
} from "./chunk-GE7FCKWW.mjs";

// lib/cli/local-command.ts
import { closeSync as closeSync3, openSync as openSync3, readSync, statSync as statSync2 } from "node:fs";
import * as path20 from "node:path";
import { parseArgs } from "node:util";

// lib/local/paths.ts
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
function cacheDir(env = process.env) {
  if (env.LOGTONG_CACHE_DIR) return path.resolve(env.LOGTONG_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), "logtong");
  return path.join(os.homedir(), ".cache", "logtong");
}
function packageDir(name) {
  const from = typeof __filename === "string" ? __filename : process.argv[1] ? realpathSync(process.argv[1]) : path.join(process.cwd(), "index.js");
  const lookup = createRequire(from).resolve.paths(name) ?? [];
  for (const dir of lookup) {
    if (existsSync(path.join(dir, name, "package.json"))) return path.join(dir, name);
  }
  throw new Error(`the package ${name} is not installed (looked in ${lookup[0] ?? path.dirname(from)} and above): run \`npm ci\``);
}

// lib/local/run-pipeline.ts
import { CreateBucketCommand as CreateBucketCommand2, GetObjectCommand, paginateListObjectsV2, PutObjectCommand } from "@aws-sdk/client-s3";
import { App, AssetStaging } from "aws-cdk-lib";
import { stop as stopEsbuild } from "esbuild";
import { mkdirSync as mkdirSync7, readFileSync as readFileSync6, rmSync as rmSync4, writeFileSync as writeFileSync6 } from "node:fs";
import * as path19 from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { Readable as Readable2 } from "node:stream";

// lambda/scanner/build.ts
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import * as path2 from "node:path";
var defaultRoot = () => path2.resolve(__dirname, "..", "..");
var dockerfileOf = (root = defaultRoot()) => path2.join(root, "lambda", "scanner", "Dockerfile");
function dockerfileEsbuildArgs(dockerfile = readFileSync(dockerfileOf(), "utf8")) {
  const lines = dockerfile.split("\n").filter((l) => /^RUN\s+npx\s+esbuild\s/.test(l));
  if (lines.length !== 1) throw new Error(`expected one "RUN npx esbuild" line in the Dockerfile, found ${lines.length}`);
  if (/["'\\$]/.test(lines[0])) throw new Error("the esbuild line must not use quotes, escapes or variables: it is split on spaces");
  return lines[0].trim().split(/\s+/).slice(3);
}
function buildScanner(outfile, root = defaultRoot()) {
  const args = dockerfileEsbuildArgs(readFileSync(dockerfileOf(root), "utf8")).map((a) => a.startsWith("--outfile=") ? `--outfile=${outfile}` : a);
  if (!args.some((a) => a.startsWith("--outfile="))) throw new Error("the Dockerfile esbuild command has no --outfile=");
  const esbuild = path2.join(root, "node_modules", ".bin", "esbuild");
  execFileSync(esbuild, [...args, "--log-level=warning"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  return statSync(outfile).size;
}

// lib/app.ts
import { Validations as Validations5 } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";

// lib/stacks/pipeline-stack.ts
import { Aspects, CfnOutput as CfnOutput6, Duration as Duration17, Stack as Stack12, Tags as Tags2 } from "aws-cdk-lib";

// lib/constructs/agent-config.ts
import { mkdirSync, writeFileSync } from "node:fs";
import * as path3 from "node:path";
import { ArnFormat, RemovalPolicy, Stack as Stack2, Stage } from "aws-cdk-lib";
import { AccountPrincipal, CfnInstanceProfile, FederatedPrincipal, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { FilterPattern, LogGroup, MetricFilter, RetentionDays } from "aws-cdk-lib/aws-logs";
import { ParameterDataType, ParameterTier, StringParameter } from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";

// lib/constructs/private/nag.ts
import { Stack, Validations } from "aws-cdk-lib";
function acknowledgeWildcardResources(scope, resources, reason) {
  for (const resource of resources) {
    const flat = flattenForNag(Stack.of(scope).resolve(resource));
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
  }
}
function wildcardResources(scope, resources) {
  return resources.filter((r) => flattenForNag(Stack.of(scope).resolve(r)).includes("*"));
}
function flattenForNag(node) {
  if (node === void 0) return "";
  if (typeof node === "string") return node.replace(/\$\{/g, "<").replace(/}/g, ">");
  if (node && typeof node === "object") {
    const o = node;
    if (o["Fn::Join"]) {
      const [delimiter2, items] = o["Fn::Join"];
      return items.map(flattenForNag).join(delimiter2);
    }
    if (o["Fn::Sub"]) return flattenForNag(o["Fn::Sub"]);
    if (o["Fn::GetAtt"]) {
      const [resource, attribute] = o["Fn::GetAtt"];
      return `<${flattenForNag(resource)}.${flattenForNag(attribute)}>`;
    }
    if (o["Fn::ImportValue"]) return flattenForNag(o["Fn::ImportValue"]);
    if (o.Ref) return `<${flattenForNag(o.Ref)}>`;
  }
  return JSON.stringify(node);
}
var CDK_HANDLER_MANAGED_POLICY = "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]";
function acknowledgeBucketNotificationsHandler(stack) {
  const handler = stack.node.tryFindChild("BucketNotificationsHandler050a0587b7544547bf325f094a3db834");
  if (!handler) return;
  Validations.of(handler).acknowledge({
    id: CDK_HANDLER_MANAGED_POLICY,
    reason: "CDK-owned BucketNotificationsHandler: aws-s3 creates its role with the basic execution managed policy and offers no way to replace it."
  });
}
function acknowledgeAwsCustomResourceProvider(stack) {
  const provider = stack.node.tryFindChild("AWS679f53fac002430cb0da5b7982bd2287");
  if (!provider) return;
  Validations.of(provider).acknowledge({
    id: CDK_HANDLER_MANAGED_POLICY,
    reason: "CDK-owned AwsCustomResource provider: aws-cdk-lib creates its role with the basic execution managed policy and offers no way to replace it."
  });
}

// lib/constructs/agent-config.ts
var STANDARD_PARAMETER_BYTES = 4096;
var AgentConfig = class extends Construct {
  parameter;
  policy;
  /** Where the agents' counters arrive as JSON events (`agentMetricsLogGroupName`). */
  metricsLogGroup;
  /** One per agent metric (`agentMetricFilters`): what the dashboard and alarms read. */
  metricFilters;
  /** The role agents run as (none for `ecs`: the receivers' task role attaches `policy`). */
  role;
  /** ec2: the instance profile of `role`, for new hosts. */
  instanceProfile;
  constructor(scope, id, props) {
    super(scope, id);
    const stack = Stack2.of(this);
    this.parameter = new StringParameter(this, "Config", {
      parameterName: `/logtong/${props.pipelineName}/fluent-bit.yaml`,
      description: `Fluent Bit configuration of Logtong pipeline ${props.pipelineName}`,
      stringValue: props.configYaml,
      dataType: ParameterDataType.TEXT,
      // Tokens count as their placeholder length here; bucket and stream names add well under the margin.
      tier: Buffer.byteLength(props.configYaml) > STANDARD_PARAMETER_BYTES - 512 ? ParameterTier.ADVANCED : ParameterTier.STANDARD
    });
    this.policy = new ManagedPolicy(this, "Policy", {
      description: `Logtong ${props.pipelineName}: what its Fluent Bit agents may do`,
      statements: [new PolicyStatement({ actions: ["ssm:GetParameter"], resources: [this.parameter.parameterArn] })]
    });
    this.metricsLogGroup = new LogGroup(this, "MetricsLogGroup", {
      logGroupName: agentMetricsLogGroupName(props.pipelineName),
      // The filters publish the metrics as the events arrive, and CloudWatch keeps them (15 months) apart from the
      // log group; a month is for reading an agent's raw counters back.
      retention: RetentionDays.ONE_MONTH,
      // Nothing of record: kept, it would block a stack of the same pipeline created again (the name is taken).
      removalPolicy: RemovalPolicy.DESTROY
    });
    this.metricFilters = agentMetricFilters(props.pipelineName).map(
      (spec) => new MetricFilter(this, spec.id, {
        logGroup: this.metricsLogGroup,
        filterPattern: FilterPattern.literal(spec.filterPattern),
        metricNamespace: AGENT_METRICS_NAMESPACE,
        metricName: spec.metricName,
        metricValue: spec.metricValue,
        dimensions: spec.dimensions,
        // the spec's unit is a CloudWatch standard unit name ('Count'), the enum's value
        unit: spec.unit
      })
    );
    this.addToPolicy({
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [this.metricsLogGroup.logGroupArn],
      reason: "Agents write their own counters into this pipeline\u2019s agent-metrics log group only, one stream per host (the group ARN with `:*` covers its streams). No CreateLogGroup: the stack creates the group; no DescribeLogStreams: Fluent Bit\u2019s cloudwatch_logs output creates its stream and puts events without it."
    });
    if (props.crossAccount) {
      const { account, externalId, roleName } = props.crossAccount;
      this.role = new Role(this, "CrossAccountRole", {
        roleName,
        description: `Assumed by the Fluent Bit agents of Logtong pipeline ${props.pipelineName} in account ${account}`,
        assumedBy: new AccountPrincipal(account).withConditions({ StringEquals: { "sts:ExternalId": externalId } }),
        managedPolicies: [this.policy]
      });
      if (props.platform === "eks" && props.eksManifest) writeManifest(this, props.eksManifest);
    } else if (props.platform === "eks") {
      const { eksOidcProviderArn: oidcProviderArn, eksNamespace: namespace, eksServiceAccountName: serviceAccountName } = props;
      if (!oidcProviderArn || !namespace || !serviceAccountName) {
        throw new Error(`${this.node.path}: platform eks needs the OIDC provider, namespace and ServiceAccount`);
      }
      const issuer = stack.splitArn(oidcProviderArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName;
      this.role = new Role(this, "Role", {
        description: `IRSA role of the Fluent Bit DaemonSet of Logtong pipeline ${props.pipelineName}`,
        assumedBy: new FederatedPrincipal(
          oidcProviderArn,
          {
            StringEquals: {
              [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccountName}`,
              [`${issuer}:aud`]: "sts.amazonaws.com"
            }
          },
          "sts:AssumeRoleWithWebIdentity"
        ),
        managedPolicies: [this.policy]
      });
      if (props.eksManifest) writeManifest(this, props.eksManifest);
    } else if (props.platform === "ec2") {
      this.role = new Role(this, "Role", {
        description: `Instance role for hosts running the Fluent Bit agent of Logtong pipeline ${props.pipelineName}`,
        assumedBy: new ServicePrincipal("ec2.amazonaws.com"),
        managedPolicies: [this.policy]
      });
      this.instanceProfile = new CfnInstanceProfile(this, "InstanceProfile", { roles: [this.role.roleName] });
    }
  }
  /**
   * Lets the agents do what their output needs (put records into the stream, objects into the buffer). A wildcard
   * resource (keys under a prefix) is acknowledged with the grant's reason, for exactly that resource.
   */
  addToPolicy(grant) {
    this.policy.addStatements(new PolicyStatement({ actions: [...grant.actions], resources: [...grant.resources] }));
    const wildcard = wildcardResources(this, grant.resources);
    if (wildcard.length > 0) acknowledgeWildcardResources(this.policy, wildcard, grant.reason);
  }
};
function writeManifest(scope, manifest) {
  const outdir = Stage.of(scope)?.outdir;
  if (!outdir) return;
  mkdirSync(outdir, { recursive: true });
  writeFileSync(path3.join(outdir, `${Stack2.of(scope).stackName}.fluent-bit.yaml`), manifest);
}

// lib/constructs/failure-topic.ts
import { Alias } from "aws-cdk-lib/aws-kms";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
var FailureTopic = class extends Topic {
  constructor(scope, id, props) {
    super(scope, id, {
      displayName: `Logtong ${props.pipelineName} failures`,
      enforceSSL: true,
      masterKey: Alias.fromAliasName(scope, `${id}Key`, "alias/aws/sns")
    });
    if (props.email) this.addSubscription(new EmailSubscription(props.email));
  }
};

// lib/constructs/log-buckets.ts
import { Duration, RemovalPolicy as RemovalPolicy2 } from "aws-cdk-lib";
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership
} from "aws-cdk-lib/aws-s3";

// lambda/core/object-state.ts
var STATE_TAG_KEY = "logtong:state";
var STATE_DONE = "done";

// lib/constructs/log-buckets.ts
function secureDefaults(props) {
  return {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    ...props.encryptionKey ? { encryption: BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true } : { encryption: BucketEncryption.S3_MANAGED },
    removalPolicy: props.removalPolicy ?? RemovalPolicy2.RETAIN
  };
}
var abortIncompleteUploads = {
  id: "abort-incomplete-multipart-uploads",
  abortIncompleteMultipartUploadAfter: Duration.days(1)
};
var AccessLogBucket = class extends Bucket {
  constructor(scope, id, props = {}) {
    super(scope, id, {
      ...secureDefaults({ removalPolicy: props.removalPolicy }),
      lifecycleRules: [abortIncompleteUploads, { id: "expire-access-logs", expiration: props.retention ?? Duration.days(90) }]
    });
  }
};
var StagingBucket = class extends Bucket {
  constructor(scope, id, props) {
    super(scope, id, doneExpiringBucket(props, "expire-done-staged-objects"));
  }
};
function expiringBucket(props, ruleId) {
  return {
    ...secureDefaults(props),
    serverAccessLogsBucket: props.serverAccessLogsBucket,
    serverAccessLogsPrefix: props.serverAccessLogsPrefix,
    lifecycleRules: [abortIncompleteUploads, { id: ruleId, expiration: props.retention }]
  };
}
function doneExpiringBucket(props, ruleId) {
  return {
    ...secureDefaults(props),
    serverAccessLogsBucket: props.serverAccessLogsBucket,
    serverAccessLogsPrefix: props.serverAccessLogsPrefix,
    lifecycleRules: [abortIncompleteUploads, { id: ruleId, tagFilters: { [STATE_TAG_KEY]: STATE_DONE }, expiration: props.doneRetention }]
  };
}
var BackupBucket = class extends Bucket {
  constructor(scope, id, props) {
    super(scope, id, {
      ...secureDefaults(props),
      versioned: true,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsPrefix,
      lifecycleRules: [
        abortIncompleteUploads,
        {
          id: "expire-backups",
          expiration: props.retention,
          noncurrentVersionExpiration: props.retention
        },
        // Separate rule: S3 rejects ExpiredObjectDeleteMarker together with an Expiration in days.
        { id: "remove-expired-delete-markers", expiredObjectDeleteMarker: true }
      ]
    });
  }
};
var CentralBucket = class extends Bucket {
  constructor(scope, id, props) {
    super(scope, id, expiringBucket(props, "expire-parquet"));
  }
};
var BufferBucket = class extends Bucket {
  constructor(scope, id, props) {
    super(scope, id, doneExpiringBucket(props, "expire-done-buffered-objects"));
  }
};

// lib/constructs/pipeline-monitor.ts
import { ArnFormat as ArnFormat2, Aws, Duration as Duration2, Stack as Stack3 } from "aws-cdk-lib";
import {
  Alarm,
  AlarmStatusWidget,
  AlarmWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  Row,
  TextWidget,
  TreatMissingData
} from "aws-cdk-lib/aws-cloudwatch";
import { Construct as Construct2 } from "constructs";
var GRAPH = { width: 6, height: 6 };
var Section = class {
  warnings = void 0;
  warningsV2 = void 0;
  rows = [];
  get width() {
    return Math.max(0, ...this.rows.map((r) => r.width));
  }
  get height() {
    return this.rows.reduce((sum, r) => sum + r.height, 0);
  }
  add(row) {
    this.rows.push(row);
  }
  position(x, y) {
    let top = y;
    for (const r of this.rows) {
      r.position(x, top);
      top += r.height;
    }
  }
  toJson() {
    return this.rows.flatMap((r) => r.toJson());
  }
};
var PipelineMonitor = class extends Construct2 {
  dashboard;
  /** Console address of the dashboard. */
  dashboardUrl;
  /** Every alarm made so far, in data-path order (the dashboard's status widget lists them as they are added). */
  alarms = [];
  pipelineName;
  settings;
  /** Where logs enter: agents, receivers. */
  source = new Section();
  /** Everything after, in the order the parts are composed. */
  path = new Section();
  constructor(scope, id, props) {
    super(scope, id);
    this.pipelineName = props.pipelineName;
    this.settings = props.alarms;
    const dashboardName = `Logtong-${props.pipelineName}`;
    this.dashboard = new Dashboard(this, "Dashboard", { dashboardName, defaultInterval: Duration2.hours(3) });
    this.dashboardUrl = `https://console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${dashboardName}`;
    this.dashboard.addWidgets(
      new TextWidget({ markdown: `# Logtong pipeline ${props.pipelineName}
${props.summary}`, width: 18, height: 3 }),
      // The array is read when the dashboard body is rendered (at synth), so it lists the alarms the stages add later.
      new AlarmStatusWidget({ title: "Alarms", alarms: this.alarms, width: 6, height: 3 })
    );
    this.dashboard.addWidgets(this.source);
    this.dashboard.addWidgets(this.path);
  }
  /** Fluent Bit's own counters, from the agents on the user's hosts or from the syslog receivers. */
  watchAgents(title, agents) {
    const m = (name, dims) => new Metric({ namespace: agents.namespace, metricName: name, dimensionsMap: dims, statistic: "Maximum", period: Duration2.minutes(5) });
    const out = agents.outputDimensions;
    const counters = agents.metrics;
    this.row(this.source, `${title} (Fluent Bit counters since each agent started; the fleet maximum)`, [
      graph("Records in / out", [m(counters.inputRecords, agents.inputDimensions), m(counters.outputProcRecords, out)]),
      graph("Retries", [m(counters.outputRetries, out), m(counters.outputRetriesFailed, out)]),
      graph("Dropped records and errors", [m(counters.outputDroppedRecords, out), m(counters.outputErrors, out)])
    ]);
    const growth = (metric2, label) => new MathExpression({ expression: "DIFF(m)", usingMetrics: { m: metric2 }, label });
    this.alarm("AgentRetriesFailed", "agentRetriesFailed", growth(m(counters.outputRetriesFailed, out), "retries failed"), title);
    this.alarm("AgentDropped", "agentDropped", growth(m(counters.outputDroppedRecords, out), "dropped records"), title);
  }
  /**
   * The syslog receivers' health. They run in the shared syslog stack (so that removing a pipeline from the config
   * removes them with the next deploy), which makes their alarm: here it is found by name and graphed.
   */
  watchReceivers() {
    if (!this.settings.receiversUnhealthy.enabled) return;
    const stack = Stack3.of(this);
    const arn = stack.formatArn({ service: "cloudwatch", resource: "alarm", resourceName: pipelineAlarmName(this.pipelineName, RECEIVERS_ALARM_ID), arnFormat: ArnFormat2.COLON_RESOURCE_NAME });
    const alarm = Alarm.fromAlarmArn(this, "ReceiversAlarm", arn);
    this.row(this.source, "Syslog receivers (ECS tasks behind the load balancer, in the shared syslog stack)", [
      new AlarmWidget({ title: "Unhealthy receiver tasks", alarm, width: 12, height: GRAPH.height })
    ]);
    this.alarms.push(alarm);
  }
  /** The one-time scanner: what it sent to the copy queue, and a failed scan. */
  watchScanner() {
    const scanner = (name, statistic = "Sum") => this.custom(SCANNER_SERVICE, name, statistic);
    this.row(this.path, "One-time scanner (lists the source bucket into the copy queue)", [
      graph("Objects sent", [scanner(METRIC.ObjectsSent)]),
      graph("Bytes sent", [scanner(METRIC.BytesSent)]),
      graph("Failed scans", [scanner(METRIC.ScanFailed, "Maximum")])
    ]);
    this.alarm("ScannerFailed", "scannerFailed", scanner(METRIC.ScanFailed, "Maximum"), "One-time scanner");
  }
  /** A work queue and its dead-letter queue. */
  watchQueue(title, id, q) {
    const visible = (queue, label) => queue.metricApproximateNumberOfMessagesVisible({ statistic: "Maximum", label });
    const age = (queue, label) => queue.metricApproximateAgeOfOldestMessage({ statistic: "Maximum", label });
    this.row(this.path, title, [
      graph("Messages waiting", [visible(q.queue, "queue"), q.queue.metricApproximateNumberOfMessagesNotVisible({ statistic: "Maximum", label: "in flight" })]),
      graph("Oldest message (s)", [age(q.queue, "queue"), age(q.deadLetterQueue, "dead-letter queue")]),
      graph("Dead letters waiting", [visible(q.deadLetterQueue, "dead-letter queue")])
    ]);
    const minutes = 60;
    const unlabelled = (queue) => queue.metricApproximateAgeOfOldestMessage({ statistic: "Maximum" });
    this.alarm(`${id}OldestMessage`, "oldestMessage", unlabelled(q.queue), title, minutes);
    this.alarm(`${id}DeadLetterAge`, "oldestMessage", unlabelled(q.deadLetterQueue), `${title}, its dead-letter queue`, minutes);
  }
  /** A Lambda function: invocations, errors, throttles, duration, concurrency; its error-rate (and throttle) alarm. */
  watchFunction(title, id, fn, opts = {}) {
    const sum = { statistic: "Sum" };
    this.row(this.path, `${title} (function)`, [
      graph("Invocations, errors, throttles", [fn.metricInvocations(sum), fn.metricErrors(sum), fn.metricThrottles(sum)]),
      graph("Duration (ms)", [fn.metricDuration({ statistic: "p50", label: "p50" }), fn.metricDuration({ statistic: "p99", label: "p99" }), fn.metricDuration({ statistic: "Maximum", label: "max" })]),
      graph("Concurrent executions", [fn.metric("ConcurrentExecutions", { statistic: "Maximum" })])
    ]);
    const rate = new MathExpression({
      expression: "IF(invocations > 0, 100 * errors / invocations, 0)",
      usingMetrics: { errors: fn.metricErrors(sum), invocations: fn.metricInvocations(sum) },
      label: "error rate (%)"
    });
    this.alarm(`${id}ErrorRate`, "errorRate", rate, `${title} (function)`);
    if (opts.throttles) this.alarm(`${id}Throttles`, "throttles", fn.metricThrottles(sum), `${title} (function)`);
  }
  /** The OpenSearch processor's accounting: every record indexed, a duplicate, filtered, backed up or deferred. */
  watchIndexing(fn) {
    const m = (name) => this.custom(fn.serviceName, name, "Sum", name);
    this.row(this.path, "Records (RecordsIn = Indexed + Duplicates + Filtered + BackedUp + Deferred)", [
      graph("Records in and indexed", [m(METRIC.RecordsIn), m(METRIC.Indexed), m(METRIC.Duplicates)], 12),
      graph("Filtered, backed up, deferred", [m(METRIC.Filtered), m(METRIC.BackedUp), m(METRIC.Deferred)]),
      graph("Unbalanced units", [this.custom(fn.serviceName, METRIC.Unbalanced, "Maximum")])
    ]);
    this.accountingAlarms(fn, "Processor");
  }
  /** The Light Engine convert's accounting and the Parquet files it writes. */
  watchConversion(fn) {
    const m = (name) => this.custom(fn.serviceName, name, "Sum", name);
    this.row(this.path, "Records (RecordsIn = Written + Filtered + BackedUp)", [
      graph("Records in and written", [m(METRIC.RecordsIn), m(METRIC.Written)]),
      graph("Filtered, backed up (out of projection)", [m(METRIC.Filtered), m(METRIC.BackedUp), m(METRIC.OutOfProjection)]),
      graph("Parquet files written", [m(METRIC.FilesWritten)]),
      graph("Unbalanced batches", [this.custom(fn.serviceName, METRIC.Unbalanced, "Maximum")])
    ]);
    this.accountingAlarms(fn, "Light Engine convert");
  }
  /** Compaction: files merged and written. */
  watchCompaction(fn) {
    const m = (name) => this.custom(fn.serviceName, name, "Sum", name);
    this.row(this.path, "Compaction (small Parquet files merged per partition)", [graph("Files merged and written", [m(METRIC.FilesCompacted), m(METRIC.CompactedFilesWritten)], 12)]);
  }
  /** A Step Functions state machine's runs; failed, timed-out and aborted runs alarm. */
  watchRuns(title, id, stateMachine) {
    const sum = { statistic: "Sum" };
    const failed = stateMachine.metricFailed(sum);
    const timedOut = stateMachine.metricTimedOut(sum);
    const aborted = stateMachine.metricAborted(sum);
    this.row(this.path, `${title} (Step Functions runs)`, [
      graph("Runs", [stateMachine.metricStarted(sum), stateMachine.metricSucceeded(sum)]),
      graph("Failed, timed out, aborted", [failed, timedOut, aborted]),
      graph("Run time (ms)", [stateMachine.metricTime({ statistic: "Maximum" })])
    ]);
    const bad = new MathExpression({ expression: "FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)", usingMetrics: { failed, timedOut, aborted }, label: "runs not succeeded" });
    this.alarm(`${id}Failed`, "lightEngineFailed", bad, title);
  }
  /** The agents' Kinesis stream and the processor reading it. */
  watchStream(stream, fn) {
    const sum = { statistic: "Sum" };
    const writeThrottled = stream.metricWriteProvisionedThroughputExceeded(sum);
    const iteratorAge = fn.metric("IteratorAge", { statistic: "Maximum", label: "processor iterator age (ms)" });
    this.row(this.path, "Kinesis buffer (the agents write, the processor reads)", [
      graph("Incoming records", [stream.metricIncomingRecords(sum)]),
      graph("Processor lag (ms)", [iteratorAge, stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: "Maximum" })]),
      graph("Throttled writes and reads", [writeThrottled, stream.metricReadProvisionedThroughputExceeded(sum)])
    ]);
    this.alarm("IteratorAge", "iteratorAge", fn.metric("IteratorAge", { statistic: "Maximum" }), "Kinesis processor", 6e4);
    this.alarm("StreamWriteThrottles", "throttles", writeThrottled, "Kinesis buffer");
  }
  /** The dead-letter backup: messages that exhausted their deliveries, now in the backup bucket. */
  watchDeadLetterBackup(fn) {
    const deadLetters = this.custom(fn.serviceName, METRIC.DeadLetters, "Sum");
    this.row(this.path, "Dead letters (messages that exhausted their deliveries, written to the backup bucket)", [graph("Dead letters backed up", [deadLetters], 12)]);
    this.alarm("DeadLetters", "deadLetters", deadLetters, "Dead-letter backup");
  }
  accountingAlarms(fn, subject) {
    this.alarm("RecordsBackedUp", "backedUp", this.custom(fn.serviceName, METRIC.BackedUp, "Sum"), subject);
    this.alarm("Unbalanced", "unbalanced", this.custom(fn.serviceName, METRIC.Unbalanced, "Maximum"), subject);
  }
  custom(service, name, statistic, label) {
    return new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: metricDimensions(service, this.pipelineName), statistic, period: Duration2.minutes(5), label });
  }
  row(section, title, graphs) {
    section.add(new TextWidget({ markdown: `### ${title}`, width: 24, height: 1 }));
    section.add(new Row(...graphs));
  }
  /**
   * An alarm from the pipeline's `alarms.<name>` settings, unless disabled. `scale` converts the configured threshold
   * into the metric's unit (minutes into seconds or milliseconds).
   */
  alarm(id, name, metric2, subject, scale = 1) {
    const alarm = configuredAlarm(this, { id, pipelineName: this.pipelineName, name, setting: this.settings[name], metric: metric2, subject, scale });
    if (alarm) this.alarms.push(alarm);
    return alarm;
  }
};
function pipelineAlarmName(pipelineName, id) {
  return `Logtong-${pipelineName}-${id}`;
}
var RECEIVERS_ALARM_ID = "ReceiversUnhealthy";
function configuredAlarm(scope, o) {
  if (!o.setting.enabled) return void 0;
  const spec = ALARMS[o.name];
  return new Alarm(scope, o.id, {
    alarmName: pipelineAlarmName(o.pipelineName, o.id),
    alarmDescription: `${o.subject}: ${spec.meaning} ${spec.action} (pipelines.yaml: alarms.${o.name})`.slice(0, 1024),
    metric: withPeriod(o.metric, Duration2.minutes(o.setting.periodMinutes)),
    threshold: o.setting.threshold * (o.scale ?? 1),
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: o.setting.evaluationPeriods,
    // Idle stages publish no datapoints: no data is no problem.
    treatMissingData: TreatMissingData.NOT_BREACHING
  });
}
function graph(title, left, width = GRAPH.width) {
  return new GraphWidget({ title, left, width, height: GRAPH.height });
}
function withPeriod(metric2, period) {
  return metric2 instanceof MathExpression || metric2 instanceof Metric ? metric2.with({ period }) : metric2;
}

// lib/constructs/private/agent-metrics-source.ts
function agentMetricsSource(pipelineName) {
  const dimensions = agentMetricDimensions(pipelineName);
  return { namespace: AGENT_METRICS_NAMESPACE, metrics: AGENT_METRIC_NAMES, inputDimensions: dimensions, outputDimensions: dimensions };
}

// lib/constructs/private/notify-alarms.ts
import { Alarm as Alarm2 } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
var NotifyAlarms = class {
  constructor(topic) {
    this.topic = topic;
  }
  topic;
  visit(node) {
    if (node instanceof Alarm2) node.addAlarmAction(new SnsAction(this.topic));
  }
};

// lib/stacks/pipeline/agent-config-props.ts
import { Stack as Stack4, Token } from "aws-cdk-lib";
function agentsToBufferBucket(scope, pipeline2, source, bucket) {
  const keyPrefix = `${pipeline2.name}/`;
  return {
    source,
    targets: { region: Stack4.of(scope).region, bucketName: bucket.bucketName, keyPrefix },
    grants: [
      {
        actions: ["s3:PutObject"],
        resources: [bucket.arnForObjects(`${keyPrefix}*`)],
        reason: "Agents put new chunks under this pipeline\u2019s prefix of its buffer bucket (each key has a date and a UUID)."
      }
    ]
  };
}
function agentsToStream(scope, source, stream) {
  return {
    source,
    targets: { region: Stack4.of(scope).region, streamName: stream.streamName },
    grants: [
      {
        actions: ["kinesis:PutRecord", "kinesis:PutRecords", "kinesis:DescribeStream"],
        resources: [stream.streamArn],
        reason: "Agents put records into this pipeline\u2019s stream only (DescribeStream: Fluent Bit checks the stream at start)."
      }
    ]
  };
}
function agentsToDomain(scope, pipeline2, source, engine, backup) {
  const { domain } = engine;
  const grants = [
    {
      actions: ["s3:PutObject"],
      resources: [backup.arnForObjects(`agent-failed/${pipeline2.name}/*`)],
      reason: "Agents keep the lines they cannot parse under agent-failed/<pipeline>/ of the backup bucket only."
    }
  ];
  if (domain.type === "aws") {
    grants.push({
      actions: ["es:ESHttpPost", "es:ESHttpPut"],
      resources: [`${domain.arn}/_bulk`, `${domain.arn}/${engine.indexPrefix}*`],
      reason: "Agents index through the bulk API into this pipeline\u2019s alias and the indices behind it only."
    });
  }
  const basicAuth = domain.type === "self-managed" && domain.auth === "basic";
  return {
    source,
    targets: {
      region: Stack4.of(scope).region,
      backupBucketName: backup.bucketName,
      ...basicAuth ? { opensearch: { ...selfManagedTarget(domain.url), httpUser: "${OPENSEARCH_USER}", httpPasswd: "${OPENSEARCH_PASSWORD}" } } : {}
    },
    grants
  };
}
function crossAccountAgents(scope, pipeline2) {
  const source = pipeline2.source;
  if (source.type !== "fluent-bit" || !source.account) return void 0;
  const stack = Stack4.of(scope);
  if (!Token.isUnresolved(stack.account) && stack.account === source.account) return void 0;
  const roleName = agentRoleName(pipeline2.name);
  return {
    account: source.account,
    externalId: source.externalId ?? `logtong-${pipeline2.name}`,
    roleName,
    roleArn: stack.formatArn({ service: "iam", region: "", resource: "role", resourceName: roleName })
  };
}
var agentRoleName = (pipelineName) => `Logtong-${pipelineName}-agent`;
function agentConfigProps(pipeline2, output, cross) {
  const { source } = output;
  const assumeRole = cross ? { roleArn: cross.roleArn, externalId: cross.externalId } : void 0;
  const targets = { ...output.targets, ...assumeRole ? { assumeRole } : {} };
  const configYaml = generated(() => fluentBitConfig(pipeline2, targets));
  const crossAccount = cross ? { crossAccount: { account: cross.account, externalId: cross.externalId, roleName: cross.roleName } } : {};
  if (source.type === "syslog") return { pipelineName: pipeline2.name, platform: "ecs", configYaml };
  if (source.platform === "ec2" || !source.eks) return { pipelineName: pipeline2.name, platform: "ec2", configYaml, ...crossAccount };
  const placeholders = {
    ...placeholderTargets(pipeline2),
    ...targets.keyPrefix ? { keyPrefix: targets.keyPrefix } : {},
    ...assumeRole ? { assumeRole: { roleArn: AGENT_PLACEHOLDERS.assumeRoleArn, externalId: assumeRole.externalId } } : {}
  };
  return {
    pipelineName: pipeline2.name,
    platform: "eks",
    configYaml,
    eksOidcProviderArn: source.eks.oidcProviderArn,
    eksNamespace: source.eks.namespace,
    eksServiceAccountName: agentServiceAccountName(pipeline2.name),
    eksManifest: generated(() => eksManifest(pipeline2, { roleArn: AGENT_PLACEHOLDERS.roleArn, configYaml: fluentBitConfig(pipeline2, placeholders) })),
    ...crossAccount
  };
}
function generated(render) {
  try {
    return render();
  } catch (e) {
    if (e instanceof AgentConfigError) throw new ConfigError("agent configuration", [e.message]);
    throw e;
  }
}
function selfManagedTarget(url) {
  const u = new URL(url);
  const tls = u.protocol === "https:";
  return { host: u.hostname, port: u.port || (tls ? "443" : "80"), tls };
}

// lib/stacks/pipeline/light-engine.ts
import { CfnOutput, Duration as Duration8, Stack as Stack7 } from "aws-cdk-lib";

// lib/constructs/compaction.ts
import { Duration as Duration5 } from "aws-cdk-lib";
import { PolicyStatement as PolicyStatement3 } from "aws-cdk-lib/aws-iam";
import { Construct as Construct3 } from "constructs";

// lambda/core/parquet/compact.ts
import { parquetMetadataAsync, parquetReadObjects } from "hyparquet";
var MiB = 1024 * 1024;

// lambda/core/light/compaction.ts
var COMPACTION_JOURNAL_PREFIX = "_logtong/compaction/";
var DEFAULT_COMPACT_MS = 15 * 6e4;

// lib/constructs/logtong-function.ts
import * as path6 from "node:path";
import { AssetHashType, DockerImage, Duration as Duration3 } from "aws-cdk-lib";
import { Effect, PolicyDocument, PolicyStatement as PolicyStatement2, Role as Role2, ServicePrincipal as ServicePrincipal2 } from "aws-cdk-lib/aws-iam";
import { ApplicationLogLevel, Architecture, Code, LoggingFormat, Runtime, SystemLogLevel } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup as LogGroup2, RetentionDays as RetentionDays2 } from "aws-cdk-lib/aws-logs";
import { buildSync } from "esbuild";

// lib/build/lambda-esbuild.ts
import * as path4 from "node:path";
function lambdaEsbuildOptions(opts) {
  return {
    entryPoints: [opts.entry],
    outfile: opts.outfile,
    absWorkingDir: opts.projectRoot,
    tsconfig: path4.join(opts.projectRoot, "tsconfig.json"),
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    // Both ship with the Node.js runtime; bundling @smithy/* next to an external @aws-sdk/* mixes versions.
    external: ["@aws-sdk/*", "@smithy/*", ...opts.extraExternal ?? []],
    logLevel: "error"
  };
}

// lib/build/project-root.ts
import { existsSync as existsSync2, realpathSync as realpathSync2 } from "node:fs";
import * as path5 from "node:path";
function projectRoot() {
  const root = typeof __dirname === "string" ? path5.resolve(__dirname, "..", "..") : path5.resolve(path5.dirname(realpathSync2(process.argv[1] ?? ".")), "..");
  if (!existsSync2(path5.join(root, "lambda", "handlers"))) throw new Error(`Logtong's sources are not at ${root} (lambda/handlers is missing): synth needs a checkout of Logtong`);
  return root;
}

// lib/constructs/logtong-function.ts
var PROJECT_ROOT = projectRoot();
var HANDLERS_DIR = path6.join(PROJECT_ROOT, "lambda", "handlers");
var LogtongFunction = class _LogtongFunction extends NodejsFunction {
  /** Runtime of every Logtong function: the newest one cdk-nag's AwsSolutions-L1 accepts. */
  static RUNTIME = Runtime.NODEJS_24_X;
  /** The execution role; exposed as `IRole` so grants and acknowledgements can target it. */
  executionRole;
  /** The `service` dimension of its custom metrics. */
  serviceName;
  /** The `pipeline` dimension of its custom metrics. */
  pipelineName;
  constructor(scope, id, props) {
    const logGroup = new LogGroup2(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? RetentionDays2.ONE_MONTH
    });
    const role = new Role2(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal2("lambda.amazonaws.com"),
      description: `Execution role of ${props.handlerName} (${scope.node.path}/${id})`.slice(0, 1e3),
      // Inline rather than AWSLambdaBasicExecutionRole / AWSLambdaVPCAccessExecutionRole: the managed policies
      // allow creating and writing every log group in the account. Inline also means the ENI permissions exist
      // before the function is created, which Lambda checks for a VPC function.
      inlinePolicies: {
        Logging: new PolicyDocument({
          statements: [
            new PolicyStatement2({
              actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
              resources: [logGroup.logGroupArn]
            })
          ]
        }),
        ...props.network ? { VpcAccess: vpcAccessPolicy() } : {}
      }
    });
    super(scope, id, {
      code: bundle(props.handlerName),
      handler: "index.handler",
      description: props.description,
      runtime: _LogtongFunction.RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMiB ?? 256,
      timeout: props.timeout ?? Duration3.minutes(1),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? serviceName(props.handlerName),
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        PIPELINE_NAME: props.pipelineName,
        // Stack traces in the logs point into the TypeScript sources, not the minified bundle.
        NODE_OPTIONS: "--enable-source-maps",
        ...props.environment
      },
      vpc: props.network?.vpc,
      vpcSubnets: props.network && { subnets: [...props.network.subnets] },
      securityGroups: props.network && [...props.network.securityGroups]
    });
    this.executionRole = role;
    this.serviceName = props.serviceName ?? serviceName(props.handlerName);
    this.pipelineName = props.pipelineName;
    if (props.network) {
      acknowledgeWildcardResources(
        role.node.defaultChild,
        ["*"],
        "Lambda VPC networking: the EC2 network-interface actions Lambda uses to attach the function to its subnets do not support resource-level permissions (the same statement as AWSLambdaVPCAccessExecutionRole)."
      );
    }
  }
  /**
   * Adds a statement to the execution role. A wildcard resource's AwsSolutions-IAM5 finding is acknowledged with the
   * grant's reason, for exactly that resource.
   */
  addScopedPolicy(grant) {
    this.addToRolePolicy(new PolicyStatement2({ effect: Effect.ALLOW, actions: [...grant.actions], resources: [...grant.resources] }));
    const wildcard = wildcardResources(this, grant.resources);
    if (wildcard.length === 0) return;
    acknowledgeWildcardResources(this.executionRole.node.tryFindChild("DefaultPolicy") ?? this.executionRole, wildcard, grant.reason);
  }
};
function bundle(handlerName) {
  const entry = path6.join(HANDLERS_DIR, `${handlerName}.ts`);
  return Code.fromAsset(HANDLERS_DIR, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: tryBundle either produces the bundle or throws with esbuild's message.
      image: DockerImage.fromRegistry("scratch"),
      // Unused by local bundling, but part of CDK's asset cache key, which does not see the closure below: without
      // it every handler in the directory would get the first one's bundle.
      environment: { LOGTONG_HANDLER: handlerName },
      local: {
        tryBundle(outputDir) {
          buildSync(lambdaEsbuildOptions({ entry, outfile: path6.join(outputDir, "index.js"), projectRoot: PROJECT_ROOT }));
          return true;
        }
      }
    }
  });
}
function vpcAccessPolicy() {
  return new PolicyDocument({
    statements: [
      new PolicyStatement2({
        actions: [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses"
        ],
        resources: ["*"]
      })
    ]
  });
}

// lib/config/runtime-config.ts
function toRuntimeConfig(pipeline2) {
  const e = pipeline2.engine;
  return {
    name: pipeline2.name,
    logFormat: pipeline2.logFormat,
    ...e.type === "opensearch" ? { indexing: { indexPrefix: e.indexPrefix, flavor: e.domain.type, bulkMaxBytes: e.bulkMaxBytes, bulkMaxDocs: e.bulkMaxDocs, index: e.index } } : { light: { projection: lightProjection(e) } }
  };
}

// lib/constructs/private/runtime-config-variable.ts
var MAX_RUNTIME_CONFIG_BYTES = 3 * 1024;
function runtimeConfigVariable(pipeline2) {
  const json2 = JSON.stringify(toRuntimeConfig(pipeline2));
  const bytes = Buffer.byteLength(json2);
  if (bytes > MAX_RUNTIME_CONFIG_BYTES) {
    throw new Error(
      `${pipeline2.name}: the parsing settings are ${bytes} bytes as JSON, over the ${MAX_RUNTIME_CONFIG_BYTES} bytes that fit in a Lambda environment variable (shorten logFormat: fields, filters, regex)`
    );
  }
  return json2;
}

// lib/constructs/private/state-machine-steps.ts
import { ArnFormat as ArnFormat3, Duration as Duration4, Stack as Stack5 } from "aws-cdk-lib";
import { Schedule, ScheduleExpression, ScheduleTargetInput } from "aws-cdk-lib/aws-scheduler";
import { StepFunctionsStartExecution } from "aws-cdk-lib/aws-scheduler-targets";
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JsonPath,
  Map as MapState,
  Succeed,
  TaskInput
} from "aws-cdk-lib/aws-stepfunctions";
import { CallAwsService, LambdaInvoke, SnsPublish } from "aws-cdk-lib/aws-stepfunctions-tasks";

// lib/constructs/logged-state-machine.ts
import { LogGroup as LogGroup3, RetentionDays as RetentionDays3 } from "aws-cdk-lib/aws-logs";
import { LogLevel, StateMachine, StateMachineType } from "aws-cdk-lib/aws-stepfunctions";
var LoggedStateMachine = class extends StateMachine {
  constructor(scope, id, props) {
    const logGroup = new LogGroup3(scope, `${id}Logs`, { retention: props.logRetention ?? RetentionDays3.ONE_MONTH });
    super(scope, id, {
      stateMachineName: props.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: props.definitionBody,
      timeout: props.timeout,
      tracingEnabled: true,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false }
    });
    acknowledgeWildcardResources(
      this.role,
      ["*"],
      "X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs delivery (logs:CreateLogDelivery, DescribeResourcePolicies, \u2026) do not support resource-level permissions; CDK adds exactly these for tracing and logging."
    );
  }
  /**
   * Lets the machine invoke the function through a Task: CDK grants `<arn>` and `<arn>:*` (any version or alias of
   * that one function), and the latter is acknowledged here.
   */
  acknowledgeInvokeVersions(fn) {
    acknowledgeWildcardResources(this.role, [`${fn.functionArn}:*`], `Versions and aliases of ${fn.node.id} only, the function this machine invokes (CDK's lambda:InvokeFunction grant).`);
  }
};

// lib/constructs/private/state-machine-steps.ts
function retryTask(task) {
  task.addRetry({ errors: ["States.ALL"], interval: Duration4.seconds(10), backoffRate: 2, maxAttempts: 3 });
  return task;
}
function notifyAndFail(scope, topic, subject) {
  const notify = new SnsPublish(scope, "NotifyFailure", {
    topic,
    subject: subject.slice(0, 99),
    message: TaskInput.fromObject({
      subject,
      execution: JsonPath.stringAt("$$.Execution.Id"),
      error: JsonPath.stringAt("$.error.Error"),
      cause: JsonPath.stringAt("$.error.Cause")
    }),
    resultPath: JsonPath.DISCARD
  });
  notify.addRetry({ errors: ["States.ALL"], interval: Duration4.seconds(5), backoffRate: 2, maxAttempts: 3 });
  return notify.next(new Fail(scope, "Failed", { errorPath: "$.error.Error", causePath: "$.error.Cause" }));
}
function singleRunGuard(scope, stateMachineName, work, onError) {
  const guard = retryTask(
    new CallAwsService(scope, "FindRunningExecutions", {
      service: "sfn",
      action: "listExecutions",
      parameters: { StateMachineArn: JsonPath.stringAt("$$.StateMachine.Id"), StatusFilter: "RUNNING", MaxResults: 2 },
      iamResources: [Stack5.of(scope).formatArn({ service: "states", resource: "stateMachine", resourceName: stateMachineName, arnFormat: ArnFormat3.COLON_RESOURCE_NAME })],
      iamAction: "states:ListExecutions",
      resultSelector: { "executions.$": "$.Executions" },
      resultPath: "$.guard"
    })
  );
  guard.addCatch(onError, { resultPath: "$.error" });
  return guard.next(
    new Choice(scope, "AnotherRunInProgress?").when(Condition.isPresent("$.guard.executions[1]"), new Succeed(scope, "SkipWhileAnotherRuns")).otherwise(work)
  );
}
function scheduledFanOut(scope, props) {
  const failed = notifyAndFail(scope, props.failureTopic, props.failureSubject);
  const list = retryTask(new LambdaInvoke(scope, props.listState, { lambdaFunction: props.listFn, payloadResponseOnly: true, resultPath: "$.list" }));
  const item = retryTask(new LambdaInvoke(scope, props.itemState, { lambdaFunction: props.itemFn, payloadResponseOnly: true }));
  const map = new MapState(scope, props.mapState, {
    itemsPath: `$.list.${props.itemsField}`,
    maxConcurrency: props.maxConcurrency,
    resultPath: props.resultPath
  }).itemProcessor(item);
  for (const step of [list, map]) step.addCatch(failed, { resultPath: "$.error" });
  const stateMachine = new LoggedStateMachine(scope, "StateMachine", {
    stateMachineName: props.stateMachineName,
    definitionBody: DefinitionBody.fromChainable(singleRunGuard(scope, props.stateMachineName, list.next(map).next(new Succeed(scope, "Done")), failed)),
    timeout: props.timeout
  });
  stateMachine.acknowledgeInvokeVersions(props.listFn);
  stateMachine.acknowledgeInvokeVersions(props.itemFn);
  const schedule = new Schedule(scope, "Schedule", {
    description: props.description,
    schedule: ScheduleExpression.expression(props.schedule),
    target: new StepFunctionsStartExecution(stateMachine, { input: ScheduleTargetInput.fromObject({ trigger: "schedule" }) })
  });
  return { stateMachine, schedule };
}

// lib/constructs/compaction.ts
var Compaction = class extends Construct3 {
  listFn;
  compactFn;
  stateMachine;
  schedule;
  constructor(scope, id, props) {
    super(scope, id);
    const { pipelineName: name, centralBucket: bucket, tableName: table } = props;
    const environment = {
      CENTRAL_BUCKET: bucket.bucketName,
      STAGING_BUCKET: props.stagingBucket.bucketName,
      TABLE_NAME: table,
      COMPACT_MIN_AGE_HOURS: String(props.minAgeHours ?? 24),
      COMPACT_TARGET_BYTES: String((props.targetFileMiB ?? 128) * 1024 ** 2)
    };
    const tableObjects = bucket.arnForObjects(`${table}/*`);
    const journal = bucket.arnForObjects(`${COMPACTION_JOURNAL_PREFIX}${table}/*`);
    this.listFn = new LogtongFunction(this, "ListFunction", {
      pipelineName: name,
      handlerName: "light-compact-list",
      description: `Logtong ${name}: find partitions with small Parquet files to merge`,
      timeout: Duration5.minutes(5),
      environment
    });
    const listTable = {
      actions: ["s3:ListBucket"],
      resources: [bucket.bucketArn],
      reason: "Lists the table\u2019s partitions and files; ListBucket has no key-level resource, only the bucket."
    };
    this.listFn.addScopedPolicy(listTable);
    const listManifests = new PolicyStatement3({
      actions: ["s3:ListBucket"],
      resources: [props.stagingBucket.bucketArn],
      conditions: { StringEquals: { "s3:prefix": [`_batches/${name}/`] } }
    });
    this.compactFn = new LogtongFunction(this, "CompactFunction", {
      pipelineName: name,
      handlerName: "light-compact",
      description: `Logtong ${name}: merge the small Parquet files of one partition`,
      timeout: Duration5.minutes(15),
      memoryMiB: 2048,
      environment: { ...environment, RUNTIME_CONFIG: runtimeConfigVariable(props.pipelineConfig) }
    });
    this.compactFn.addScopedPolicy(listTable);
    this.compactFn.addScopedPolicy({
      actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
      resources: [tableObjects, journal],
      reason: "Reads, writes and deletes Parquet files of this pipeline table, and its compaction journal and partition locks (conditional writes and deletes, which need GetObject too), only."
    });
    for (const fn of [this.listFn, this.compactFn]) fn.addToRolePolicy(listManifests);
    bucket.encryptionKey?.grantEncryptDecrypt(this.compactFn);
    ({ stateMachine: this.stateMachine, schedule: this.schedule } = scheduledFanOut(this, {
      stateMachineName: `Logtong-${name}-compaction`,
      description: `Logtong ${name}: compact Parquet partitions`,
      schedule: props.schedule ?? "cron(30 1 * * ? *)",
      timeout: Duration5.hours(12),
      listFn: this.listFn,
      listState: "ListPartitions",
      itemFn: this.compactFn,
      itemState: "Compact",
      mapState: "CompactPartitions",
      itemsField: "partitions",
      resultPath: "$.compacted",
      maxConcurrency: props.maxConcurrency ?? 2,
      failureTopic: props.failureTopic,
      failureSubject: `Logtong ${name}: Light Engine compaction failed`
    }));
  }
};

// lib/constructs/dlq-backup.ts
import { Fn } from "aws-cdk-lib";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Construct as Construct5 } from "constructs";

// lib/constructs/work-queue.ts
import { Duration as Duration6 } from "aws-cdk-lib";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct as Construct4 } from "constructs";
var VISIBILITY_TIMEOUT_FACTOR = 6;
var MAX_RETENTION = Duration6.days(14);
var BACKLOG_HEADROOM = Duration6.days(7);
var DEAD_LETTER_CONSUMER_TIMEOUT = Duration6.minutes(15);
var WorkQueue = class _WorkQueue extends Construct4 {
  /** The WorkQueue whose dead-letter queue `queue` is, if any: what `DeadLetterBackup` learns its messages from. */
  static ofDeadLetterQueue(queue) {
    const owner = queue.node.scope;
    return owner instanceof _WorkQueue && owner.deadLetterQueue === queue ? owner : void 0;
  }
  queue;
  deadLetterQueue;
  /** Deliveries before a message moves to the dead-letter queue. */
  maxReceiveCount;
  /** The longest the dead-letter queue's consumer may run (its visibility timeout is 6× this). */
  deadLetterConsumerTimeout;
  /** What the messages name. @default - not S3 objects */
  objects;
  constructor(scope, id, props) {
    super(scope, id);
    this.maxReceiveCount = props.maxReceiveCount ?? 5;
    this.deadLetterConsumerTimeout = props.deadLetterConsumerTimeout ?? DEAD_LETTER_CONSUMER_TIMEOUT;
    this.objects = props.objects;
    const retention = props.retentionPeriod ?? MAX_RETENTION;
    const visibility = Duration6.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR);
    validateRedrive(this.node.path, { retention, visibility, maxReceiveCount: this.maxReceiveCount });
    const deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The maximum: SQS keeps a redriven message's first enqueue time, so the dead-letter queue must keep messages
      // at least as long as the queue, or a late redrive would expire at once.
      retentionPeriod: MAX_RETENTION,
      visibilityTimeout: Duration6.seconds(this.deadLetterConsumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR)
    });
    this.deadLetterQueue = deadLetterQueue;
    const queue = new Queue(this, "Queue", {
      // SQS-managed rather than KMS: S3 event notifications cannot publish to a queue under the AWS-managed
      // aws/sqs key, and a customer key per pipeline would add cost without a reader outside this stack.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: retention,
      visibilityTimeout: visibility,
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: this.maxReceiveCount }
    });
    this.queue = queue;
  }
};
function validateRedrive(path21, r) {
  const retention = r.retention.toSeconds();
  if (retention > MAX_RETENTION.toSeconds()) {
    throw new Error(`${path21}: retentionPeriod (${r.retention.toHumanString()}) exceeds the SQS maximum of 14 days`);
  }
  if (!Number.isInteger(r.maxReceiveCount) || r.maxReceiveCount < 1) {
    throw new Error(`${path21}: maxReceiveCount must be a positive integer, got ${r.maxReceiveCount}`);
  }
  const redrive = r.maxReceiveCount * r.visibility.toSeconds();
  const latest = retention - BACKLOG_HEADROOM.toSeconds();
  if (redrive > latest) {
    throw new Error(
      `${path21}: a message that keeps failing could expire before reaching the dead-letter queue: maxReceiveCount (${r.maxReceiveCount}) \xD7 visibility timeout (${r.visibility.toHumanString()}, ${VISIBILITY_TIMEOUT_FACTOR}\xD7 the consumer timeout) = ${Duration6.seconds(redrive).toHumanString()}, more than the retention (${r.retention.toHumanString()}) minus ${BACKLOG_HEADROOM.toHumanString()} of backlog headroom. Lower maxReceiveCount or the consumer timeout, or raise the retention.`
    );
  }
}

// lib/constructs/dlq-backup.ts
var DeadLetterBackup = class extends Construct5 {
  fn;
  constructor(scope, id, props) {
    super(scope, id);
    const timeout = props.timeout ?? DEAD_LETTER_CONSUMER_TIMEOUT;
    const sources = [];
    for (const queue of props.deadLetterQueues) {
      const work = WorkQueue.ofDeadLetterQueue(queue);
      if (work && work.deadLetterConsumerTimeout.toSeconds() < timeout.toSeconds()) {
        throw new Error(
          `${this.node.path}: timeout (${timeout.toHumanString()}) is longer than ${work.node.path} allows its dead-letter consumer (${work.deadLetterConsumerTimeout.toHumanString()})`
        );
      }
      if (work?.objects) sources.push(work.objects);
    }
    const owned = sources.filter((s) => s.owned);
    this.fn = new LogtongFunction(this, "Function", {
      pipelineName: props.pipelineName,
      handlerName: "backup",
      description: `Logtong ${props.pipelineName}: write dead-lettered messages and the objects they name to the backup bucket`,
      timeout,
      environment: {
        BACKUP_BUCKET: props.backupBucket.bucketName,
        ...owned.length > 0 ? { MARK_DONE_BUCKETS: Fn.join(",", owned.map((s) => s.bucket.bucketName)) } : {}
      }
    });
    this.fn.addScopedPolicy({
      // PutObject covers the multipart steps of a copy over 5 GiB; AbortMultipartUpload cleans up a failed one.
      actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
      resources: [props.backupBucket.arnForObjects(`${props.pipelineName}/*`)],
      reason: "Writes dead-lettered messages of this pipeline and copies of the objects they name: every key under the backup bucket prefix <pipeline>/."
    });
    props.backupBucket.encryptionKey?.grantEncryptDecrypt(this.fn);
    for (const s of sources) this.grantRead(s);
    for (const queue of props.deadLetterQueues) {
      this.fn.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }));
    }
  }
  /** Read (to copy) the objects a dead letter may name; for the pipeline's own bucket, also tell missing and mark done. */
  grantRead(s) {
    const objects = s.bucket.arnForObjects(`${s.prefix ?? ""}*`);
    this.fn.addScopedPolicy({
      // GetObjectVersion: a user's versioned bucket names the exact version in its events.
      actions: s.owned ? ["s3:GetObject"] : ["s3:GetObject", "s3:GetObjectVersion"],
      resources: [objects],
      reason: "Copies the objects a dead-lettered message of this pipeline names into the backup bucket: keys under the prefix its queue receives events for."
    });
    s.encryptionKey?.grantDecrypt(this.fn);
    if (!s.owned) return;
    this.fn.addScopedPolicy({
      actions: ["s3:ListBucket"],
      resources: [s.bucket.bucketArn],
      // Not granted on a user's bucket: listing it is more than copying the objects its events named.
      reason: "Lets S3 answer 404, not 403, for a missing object of this pipeline\u2019s own bucket, so the backup records it as missing."
    });
    this.fn.addScopedPolicy({
      actions: ["s3:PutObjectTagging"],
      resources: [objects],
      reason: "Marks an object of this pipeline done (the tag its bucket lifecycle rule expires on) once the backup holds its copy: keys under the prefix its queue receives events for."
    });
  }
};

// lib/constructs/glue-table.ts
import { ArnFormat as ArnFormat4, Stack as Stack6, Token as Token2 } from "aws-cdk-lib";
import { CfnNamedQuery } from "aws-cdk-lib/aws-athena";
import { CfnDatabase, CfnTable } from "aws-cdk-lib/aws-glue";
import { Construct as Construct6 } from "constructs";

// lambda/core/analytics/questions.ts
var QUESTION_TEXT = {
  "requests-over-time": { title: "Requests over time", description: "Requests per time interval." },
  "status-codes": { title: "Status codes over time", description: "Requests per HTTP status code and time interval." },
  "failed-share": { title: "Failed requests (4xx/5xx share)", description: "Share of requests answered with a 4xx or 5xx status." },
  "top-uris": { title: "Top request URIs", description: "The most requested URIs." },
  "top-clients": { title: "Top clients", description: "The client addresses with the most requests." },
  bytes: { title: "Bytes sent over time", description: "Response bytes sent per time interval." },
  "request-time": { title: "Request time over time", description: "Average and 50th/95th/99th percentile of the request duration per time interval." }
};
var NUMERIC = /* @__PURE__ */ new Set(["integer", "long", "float", "double"]);
var WHOLE = /* @__PURE__ */ new Set(["integer", "long"]);
var GROUPABLE = /* @__PURE__ */ new Set(["keyword", "ip"]);
var URI_FIELDS = ["request_uri", "request_path", "uri", "document_uri"];
var CLIENT_FIELDS = ["remote_addr", "client_ip"];
var BYTES_FIELDS = ["body_bytes_sent", "response_size_bytes", "bytes_sent", "bytes_transferred"];
var DURATION_FIELDS = [
  ["request_time", "s"],
  ["request_time_us", "us"],
  ["request_time_ms", "ms"],
  ["request_time_s", "s"]
];
function isAccessLog(logType) {
  return logType === "nginx" || logType === "apache";
}
function accessQuestions(logType, fields) {
  if (!isAccessLog(logType)) return [];
  const first = (names, types) => names.find((n) => fields[n] !== void 0 && types.has(fields[n]));
  const out = [{ id: "requests-over-time" }];
  const status = first(["status"], /* @__PURE__ */ new Set([...WHOLE, "keyword"]));
  if (status) out.push({ id: "status-codes", status });
  if (status && WHOLE.has(fields[status])) out.push({ id: "failed-share", status });
  const uri = first(URI_FIELDS, /* @__PURE__ */ new Set(["keyword"]));
  if (uri) out.push({ id: "top-uris", uri });
  const client = first(CLIENT_FIELDS, GROUPABLE);
  if (client) out.push({ id: "top-clients", client });
  const bytes = first(BYTES_FIELDS, NUMERIC);
  if (bytes) out.push({ id: "bytes", bytes });
  const duration = DURATION_FIELDS.find(([name]) => fields[name] !== void 0 && NUMERIC.has(fields[name]));
  if (duration) out.push({ id: "request-time", duration: duration[0], unit: duration[1] });
  return out;
}
function questionFields(q) {
  switch (q.id) {
    case "requests-over-time":
      return [];
    case "status-codes":
    case "failed-share":
      return [q.status];
    case "top-uris":
      return [q.uri];
    case "top-clients":
      return [q.client];
    case "bytes":
      return [q.bytes];
    case "request-time":
      return [q.duration];
  }
}
var TOP_N = { dashboard: 20, sql: 100 };
var FAILED_RANGES = { client: [400, 499], server: [500, 599] };
var DURATION_PERCENTILES = [50, 95, 99];

// lambda/core/analytics/athena-sql.ts
var QUERY_WINDOW_HOURS = 24;
var RECENT_HOURS_SQL = `event_hour >= date_format(current_timestamp - INTERVAL '${QUERY_WINDOW_HOURS}' HOUR, '%Y%m%d%H')`;
function fieldTypesOfColumns(columns) {
  return Object.fromEntries(columns.map((c) => [c.source, c.fieldType]));
}
function commonQueries(logType, columns, databaseName, tableName) {
  const columnOf = new Map(columns.map((c) => [c.source, quote(c.name)]));
  const from = `${quote(databaseName)}.${quote(tableName)}`;
  const window = `${QUERY_WINDOW_HOURS} h`;
  const perHour = (select, extraWhere = []) => [`SELECT event_hour, ${select}`, `FROM ${from}`, `WHERE ${RECENT_HOURS_SQL}`, ...extraWhere.map((w) => `  AND ${w}`), "GROUP BY event_hour", "ORDER BY event_hour"].join("\n");
  const top = (column) => [`SELECT ${column}, count(*) AS requests`, `FROM ${from}`, `WHERE ${RECENT_HOURS_SQL}`, `GROUP BY ${column}`, "ORDER BY requests DESC", `LIMIT ${TOP_N.sql}`].join("\n");
  const render = (q) => {
    switch (q.id) {
      case "requests-over-time":
        return [
          {
            id: "RequestsPerHour",
            name: `${tableName}: requests per hour (last ${window})`,
            description: `Requests per hour (UTC) in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: perHour("count(*) AS requests")
          }
        ];
      case "status-codes": {
        const status = columnOf.get(q.status);
        return [
          {
            id: "StatusCodesPerHour",
            name: `${tableName}: status codes per hour (last ${window})`,
            description: `Requests per HTTP status and hour (UTC) in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: [
              `SELECT event_hour, ${status}, count(*) AS requests`,
              `FROM ${from}`,
              `WHERE ${RECENT_HOURS_SQL}`,
              `GROUP BY event_hour, ${status}`,
              `ORDER BY event_hour, ${status}`
            ].join("\n")
          }
        ];
      }
      case "failed-share": {
        const status = columnOf.get(q.status);
        const between = ([lo, hi]) => `${status} BETWEEN ${lo} AND ${hi}`;
        return [
          {
            id: "FailedSharePerHour",
            name: `${tableName}: failed requests (4xx/5xx) per hour (last ${window})`,
            description: `Requests, 4xx and 5xx answers and their share in percent, per hour (UTC) in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: perHour(
              [
                "count(*) AS requests",
                `count_if(${between(FAILED_RANGES.client)}) AS client_errors`,
                `count_if(${between(FAILED_RANGES.server)}) AS server_errors`,
                `round(100 * CAST(count_if(${between([FAILED_RANGES.client[0], FAILED_RANGES.server[1]])}) AS double) / count(*), 2) AS failed_percent`
              ].join(", ")
            )
          }
        ];
      }
      case "top-uris":
        return [
          {
            id: "TopRequestUris",
            name: `${tableName}: top request URIs (last ${window})`,
            description: `The ${TOP_N.sql} most requested URIs in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: top(columnOf.get(q.uri))
          }
        ];
      case "top-clients":
        return [
          {
            id: "TopClients",
            name: `${tableName}: top clients (last ${window})`,
            description: `The ${TOP_N.sql} client addresses with the most requests in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: top(columnOf.get(q.client))
          }
        ];
      case "bytes":
        return [
          {
            id: "BytesPerHour",
            name: `${tableName}: bytes sent per hour (last ${window})`,
            description: `Sum of ${q.bytes} per hour (UTC) in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: perHour(`sum(${columnOf.get(q.bytes)}) AS bytes`)
          }
        ];
      case "request-time": {
        const d = columnOf.get(q.duration);
        const context = [TIME_COLUMN, "request_method", "request_uri", "status"].filter((s) => columns.some((c) => c.name === s)).map(quote);
        const percentiles = DURATION_PERCENTILES.map((p) => `approx_percentile(${d}, ${p / 100}) AS p${p}`);
        return [
          {
            id: "RequestTimePerHour",
            name: `${tableName}: request time per hour (last ${window})`,
            description: `Average and ${DURATION_PERCENTILES.join("th/")}th percentile of ${q.duration} (${q.unit}) per hour (UTC) in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: perHour([`avg(${d}) AS avg`, ...percentiles].join(", "), [`${d} IS NOT NULL`])
          },
          {
            id: "SlowestRequests",
            name: `${tableName}: slowest requests (last ${window})`,
            description: `The ${TOP_N.sql} requests with the highest ${q.duration} in the last ${QUERY_WINDOW_HOURS} hours, all regions.`,
            sql: [
              `SELECT ${[...context, "region", d].join(", ")}`,
              `FROM ${from}`,
              `WHERE ${RECENT_HOURS_SQL}`,
              `  AND ${d} IS NOT NULL`,
              `ORDER BY ${d} DESC`,
              `LIMIT ${TOP_N.sql}`
            ].join("\n")
          }
        ];
      }
    }
  };
  return accessQuestions(logType, fieldTypesOfColumns(columns)).flatMap((q) => render(q).map((query) => ({ ...query, question: q.id })));
}
function quote(identifier) {
  return `"${identifier}"`;
}

// lib/constructs/glue-table.ts
var PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
var PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
var PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
var GLUE_NAME = /^[a-z][a-z0-9_]{0,254}$/;
var COLUMN_NAME = /^[a-z_][a-z0-9_]*$/;
var GlueTable = class extends Construct6 {
  database;
  table;
  databaseName;
  tableName;
  /** `arn:…:glue:<region>:<account>:catalog`: Glue actions on a table also need the catalog in the policy. */
  catalogArn;
  databaseArn;
  tableArn;
  /** `s3://<bucket>/<prefix>` */
  location;
  /** The named queries created, by construct id (empty for log types without common queries). */
  namedQueries;
  /** The `event_hour` range Athena projects: what the converter must check its records against. */
  projection;
  constructor(scope, id, props) {
    super(scope, id);
    validate(props);
    const stack = Stack6.of(this);
    this.projection = projectionOf(props);
    this.databaseName = props.databaseName;
    this.tableName = props.tableName;
    this.location = `s3://${props.bucket.bucketName}/${props.prefix}`;
    this.database = new CfnDatabase(this, "Database", {
      catalogId: stack.account,
      databaseInput: {
        // Explicit name: without one Glue generates `<logicalId>-<random>`, which Athena cannot query.
        name: props.databaseName,
        description: "Logtong Light Engine: Parquet log tables for Athena"
      }
    });
    this.table = new CfnTable(this, "Table", {
      catalogId: stack.account,
      // The Ref (the database name) orders the table after the database.
      databaseName: this.database.ref,
      tableInput: {
        name: props.tableName,
        description: `Logtong ${props.logType} logs, Parquet, partitioned by event_hour (UTC) and region`,
        tableType: "EXTERNAL_TABLE",
        parameters: {
          EXTERNAL: "TRUE",
          classification: "parquet",
          // Codec of files Athena itself writes (INSERT INTO / CTAS); readers take the codec from each file.
          "parquet.compression": "SNAPPY",
          "projection.enabled": "true",
          "projection.event_hour.type": "date",
          "projection.event_hour.format": EVENT_HOUR_FORMAT,
          // A fixed start and a relative end, never the other way round (see lambda/core/light/projection.ts).
          "projection.event_hour.range": athenaRange(this.projection),
          // Interval and unit are required when the format is finer than a day.
          "projection.event_hour.interval": "1",
          "projection.event_hour.interval.unit": "HOURS",
          "projection.region.type": "enum",
          "projection.region.values": props.regions.join(","),
          // Athena builds each partition's location from this; `${…}` are the partition values (plain text to
          // CloudFormation, which substitutes only inside Fn::Sub).
          "storage.location.template": `${this.location}event_hour=\${event_hour}/region=\${region}/`
        },
        partitionKeys: PARTITION_KEYS.map((name) => ({ name, type: "string" })),
        storageDescriptor: {
          location: this.location,
          inputFormat: PARQUET_INPUT_FORMAT,
          outputFormat: PARQUET_OUTPUT_FORMAT,
          serdeInfo: { serializationLibrary: PARQUET_SERDE, parameters: { "serialization.format": "1" } },
          columns: props.columns.map((c) => ({ name: c.name, type: c.type, ...columnComment(c) }))
        }
      }
    });
    this.catalogArn = stack.formatArn({ service: "glue", resource: "catalog", arnFormat: ArnFormat4.NO_RESOURCE_NAME });
    this.databaseArn = stack.formatArn({ service: "glue", resource: "database", resourceName: props.databaseName });
    this.tableArn = stack.formatArn({ service: "glue", resource: "table", resourceName: `${props.databaseName}/${props.tableName}` });
    const namedQueries = {};
    for (const q of commonQueries(props.logType, props.columns, props.databaseName, props.tableName)) {
      const query = new CfnNamedQuery(this, q.id, {
        database: this.database.ref,
        name: q.name,
        description: q.description,
        queryString: q.sql,
        ...props.workGroup ? { workGroup: props.workGroup } : {}
      });
      query.addResourceDependency(this.table);
      namedQueries[q.id] = query;
    }
    this.namedQueries = namedQueries;
  }
};
function columnComment(c) {
  const notes = [];
  if (c.source !== c.name) notes.push(`field ${c.source}`);
  if (c.fieldType === "object") notes.push("JSON text");
  return notes.length ? { comment: notes.join("; ") } : {};
}
function projectionOf(props) {
  return {
    fromHour: props.projectionStartHour ?? DEFAULT_PROJECTION.fromHour,
    futureHours: props.projectionFutureHours ?? DEFAULT_PROJECTION.futureHours
  };
}
function validate(props) {
  const problems = [];
  for (const [field, name] of [
    ["databaseName", props.databaseName],
    ["tableName", props.tableName]
  ]) {
    if (!Token2.isUnresolved(name) && !GLUE_NAME.test(name)) {
      problems.push(`${field} "${name}": must match ${GLUE_NAME.source} (Athena names: lower case, digits, _ instead of -)`);
    }
  }
  if (!Token2.isUnresolved(props.prefix) && (props.prefix.startsWith("/") || props.prefix !== "" && !props.prefix.endsWith("/") || props.prefix.includes("//"))) {
    problems.push(`prefix "${props.prefix}": must not start with /, must end with / and must not contain //`);
  }
  if (props.columns.length === 0) problems.push("columns: at least one column is required");
  const seen = /* @__PURE__ */ new Set();
  for (const c of props.columns) {
    if (!COLUMN_NAME.test(c.name)) problems.push(`column "${c.name}": must match ${COLUMN_NAME.source}`);
    if (PARTITION_KEYS.includes(c.name)) problems.push(`column "${c.name}": is a partition key`);
    if (seen.has(c.name)) problems.push(`column "${c.name}": appears twice`);
    seen.add(c.name);
  }
  if (props.regions.length === 0) problems.push("regions: at least one region is required");
  const regions = /* @__PURE__ */ new Set();
  for (const r of props.regions) {
    if (Token2.isUnresolved(r)) continue;
    if (!/^[A-Za-z0-9_.-]+$/.test(r)) problems.push(`region "${r}": only letters, digits, ., _ and - are allowed`);
    if (regions.has(r)) problems.push(`region "${r}": appears twice`);
    regions.add(r);
  }
  const start = props.projectionStartHour;
  const startOk = start === void 0 || isEventHour(start);
  if (!startOk) problems.push(`projectionStartHour "${start}": must be a UTC hour YYYYMMDDHH`);
  const ahead = props.projectionFutureHours;
  const aheadOk = ahead === void 0 || Number.isInteger(ahead) && ahead >= 0 && ahead <= MAX_FUTURE_HOURS;
  if (!aheadOk) problems.push(`projectionFutureHours ${ahead}: must be an integer 0..${MAX_FUTURE_HOURS}`);
  if (startOk && aheadOk) {
    const limit = partitionLimitProblem(projectionOf(props), Date.now(), props.regions.length);
    if (limit) problems.push(`projectionStartHour: ${limit}`);
  }
  if (problems.length) throw new Error(`GlueTable ${props.databaseName}.${props.tableName}: ${problems.join("; ")}`);
}

// lib/constructs/light-engine-batch.ts
import { Duration as Duration7 } from "aws-cdk-lib";
import { Construct as Construct7 } from "constructs";
var LightEngineBatch = class extends Construct7 {
  listFn;
  convertFn;
  stateMachine;
  schedule;
  constructor(scope, id, props) {
    super(scope, id);
    const { pipelineName: name, stagingBucket: staging } = props;
    const convertTimeout = props.convertTimeout ?? Duration7.minutes(15);
    this.listFn = new LogtongFunction(this, "ListFunction", {
      pipelineName: name,
      handlerName: "light-list",
      description: `Logtong ${name}: group staged log files into batch manifests`,
      timeout: Duration7.minutes(5),
      memoryMiB: 512,
      environment: {
        STAGING_BUCKET: staging.bucketName,
        BATCH_MAX_BYTES: String((props.batchMaxMiB ?? 512) * 1024 ** 2),
        BATCH_MAX_OBJECTS: String(props.batchMaxObjects ?? 1e3)
      }
    });
    this.listFn.addScopedPolicy({
      actions: ["s3:ListBucket"],
      resources: [staging.bucketArn],
      reason: "Lists what this pipeline staged (and its manifests); ListBucket has no key-level resource, only the bucket."
    });
    this.listFn.addScopedPolicy({
      actions: ["s3:GetObject", "s3:PutObject"],
      resources: [staging.arnForObjects(`_batches/${name}/*`)],
      reason: "Reads and writes the batch manifests of this pipeline only, and its List lock beside them (created with If-None-Match, taken over with If-Match, which needs GetObject too): keys under _batches/<pipeline>/."
    });
    this.listFn.addScopedPolicy({
      actions: ["s3:DeleteObject"],
      resources: [staging.arnForObjects(listLockKey(name))],
      reason: "Releases its List lock (a delete with If-Match): that one key only."
    });
    this.listFn.addScopedPolicy({
      actions: ["s3:GetObject"],
      resources: [staging.arnForObjects(`archive/${name}/*`)],
      reason: "Looks up (HEAD) the archived twin of a staged object of this pipeline: keys under archive/<pipeline>/."
    });
    this.listFn.addScopedPolicy({
      actions: ["s3:DeleteObject"],
      resources: [staging.arnForObjects(`${name}/*`)],
      reason: "Drops staged objects of this pipeline whose identical copy was already converted and archived: keys under <pipeline>/."
    });
    staging.encryptionKey?.grantEncryptDecrypt(this.listFn);
    this.convertFn = new LogtongFunction(this, "ConvertFunction", {
      pipelineName: name,
      handlerName: "light-convert",
      description: `Logtong ${name}: convert a batch of staged log files into partitioned Parquet`,
      timeout: convertTimeout,
      memoryMiB: props.convertMemoryMiB ?? 2048,
      environment: {
        STAGING_BUCKET: staging.bucketName,
        CENTRAL_BUCKET: props.centralBucket.bucketName,
        BACKUP_BUCKET: props.backupBucket.bucketName,
        TABLE_NAME: props.tableName,
        PARTITION_REGION: props.partitionRegion,
        RUNTIME_CONFIG: runtimeConfigVariable(props.pipelineConfig)
      }
    });
    this.convertFn.addScopedPolicy({
      actions: ["s3:GetObject"],
      resources: [staging.arnForObjects(`${name}/*`), staging.arnForObjects(`archive/${name}/*`), staging.arnForObjects(`_batches/${name}/*`)],
      reason: "Reads the staged objects, their archived copies and the batch manifests of this pipeline only."
    });
    this.convertFn.addScopedPolicy({
      actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
      resources: [staging.arnForObjects(`archive/${name}/*`)],
      reason: "Moves converted objects of this pipeline to its archive prefix only: keys under archive/<pipeline>/."
    });
    this.convertFn.addScopedPolicy({
      actions: ["s3:DeleteObject"],
      resources: [staging.arnForObjects(`${name}/*`), staging.arnForObjects(`_batches/${name}/*`)],
      reason: "Removes converted objects (after archiving) and finished manifests of this pipeline only."
    });
    this.convertFn.addScopedPolicy({
      actions: ["s3:PutObject"],
      resources: [staging.arnForObjects(`_batches/${name}/*`)],
      reason: "Takes and releases the lease of the batch it converts, written into its manifest with If-Match (compare-and-swap on the ETag it read; a manifest already deleted is not recreated): keys under _batches/<pipeline>/."
    });
    this.convertFn.addScopedPolicy({
      actions: ["s3:PutObjectTagging"],
      resources: [staging.arnForObjects(`archive/${name}/*`)],
      reason: "Marks the archived objects of a finished batch of this pipeline done (the tag the staging lifecycle rule expires on): keys under archive/<pipeline>/."
    });
    this.convertFn.addScopedPolicy({
      actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
      resources: [props.centralBucket.arnForObjects(`${props.tableName}/*`)],
      reason: "Writes Parquet files of this pipeline table only: keys under <table>/ of the centralized bucket."
    });
    this.convertFn.addScopedPolicy({
      actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
      resources: [props.backupBucket.arnForObjects(`${name}/*`)],
      reason: "Writes failed records of this pipeline only: every key under the backup bucket prefix <pipeline>/; an over-long line is streamed there as a multipart upload, which a failed stream aborts."
    });
    staging.encryptionKey?.grantEncryptDecrypt(this.convertFn);
    props.centralBucket.encryptionKey?.grantEncryptDecrypt(this.convertFn);
    props.backupBucket.encryptionKey?.grantEncryptDecrypt(this.convertFn);
    ({ stateMachine: this.stateMachine, schedule: this.schedule } = scheduledFanOut(this, {
      stateMachineName: `Logtong-${name}-batch`,
      description: `Logtong ${name}: convert staged logs to Parquet`,
      schedule: props.schedule ?? "rate(5 minutes)",
      // Enough for a backlog of maxBatches Convert runs at maxConcurrency, each with its retries.
      timeout: Duration7.hours(6),
      listFn: this.listFn,
      listState: "List",
      itemFn: this.convertFn,
      itemState: "Convert",
      mapState: "ConvertBatches",
      itemsField: "batches",
      resultPath: "$.converted",
      maxConcurrency: props.maxConcurrency ?? 4,
      failureTopic: props.failureTopic,
      failureSubject: `Logtong ${name}: Light Engine batch failed`
    }));
  }
};

// lib/stacks/pipeline/light-engine.ts
var LightEngine = class {
  constructor(scope, props) {
    const { pipeline: pipeline2, config, staged: staged2, backup, monitor } = props;
    const deadLetters = new DeadLetterBackup(scope, "DeadLetterBackup", {
      pipelineName: pipeline2.name,
      deadLetterQueues: staged2.deadLetterQueues,
      backupBucket: backup
    });
    const central = new CentralBucket(scope, "CentralBucket", {
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: "central/",
      retention: Duration8.days(config.retentionDays)
    });
    const tableName = lightTableName(pipeline2);
    const databaseName = lightDatabaseName(pipeline2);
    const region = config.region ?? Stack7.of(scope).region;
    const topic = props.failureTopic;
    const batch = new LightEngineBatch(scope, "LightEngine", {
      pipelineName: pipeline2.name,
      pipelineConfig: pipeline2,
      stagingBucket: staged2.staging,
      centralBucket: central,
      backupBucket: backup,
      tableName,
      partitionRegion: region,
      failureTopic: topic,
      schedule: config.schedule,
      batchMaxMiB: config.batchMaxMb,
      batchMaxObjects: config.batchMaxObjects,
      maxConcurrency: config.maxConcurrency,
      convertMemoryMiB: config.convertMemoryMb,
      convertTimeout: Duration8.seconds(config.convertTimeoutSeconds)
    });
    const compaction = new Compaction(scope, "Compaction", {
      pipelineName: pipeline2.name,
      pipelineConfig: pipeline2,
      centralBucket: central,
      stagingBucket: staged2.staging,
      tableName,
      failureTopic: topic,
      schedule: config.compaction.schedule,
      minAgeHours: config.compaction.minAgeHours,
      targetFileMiB: config.compaction.targetFileMb
    });
    const projection = lightProjection(config);
    new GlueTable(scope, "Table", {
      databaseName,
      tableName,
      bucket: central,
      prefix: `${tableName}/`,
      columns: lightTable(pipeline2.logFormat, compileParser(pipeline2.logFormat).fields).columns,
      regions: [region],
      logType: pipeline2.logFormat.type,
      // The Convert function checks its records against the same range (RUNTIME_CONFIG, toRuntimeConfig).
      projectionStartHour: projection.fromHour,
      projectionFutureHours: projection.futureHours
    });
    new CfnOutput(scope, "CentralBucketName", { value: central.bucketName });
    new CfnOutput(scope, "GlueTable", { value: `${databaseName}.${tableName}` });
    new CfnOutput(scope, "BatchStateMachineArn", { value: batch.stateMachine.stateMachineArn });
    new CfnOutput(scope, "CompactionStateMachineArn", { value: compaction.stateMachine.stateMachineArn });
    monitor.watchRuns("Light Engine batch", "Batch", batch.stateMachine);
    monitor.watchFunction("Convert", "Convert", batch.convertFn, { throttles: true });
    monitor.watchConversion(batch.convertFn);
    monitor.watchFunction("Batch list", "BatchList", batch.listFn);
    monitor.watchRuns("Compaction", "Compaction", compaction.stateMachine);
    monitor.watchFunction("Compact", "Compact", compaction.compactFn);
    monitor.watchCompaction(compaction.compactFn);
    monitor.watchFunction("Dead-letter backup", "DeadLetterBackup", deadLetters.fn);
    monitor.watchDeadLetterBackup(deadLetters.fn);
  }
};

// lib/stacks/pipeline/opensearch-engine.ts
import { CfnOutput as CfnOutput2, Duration as Duration12 } from "aws-cdk-lib";

// lib/constructs/index-bootstrap.ts
import { createHash } from "node:crypto";
import { CustomResource, Duration as Duration9 } from "aws-cdk-lib";
import { PolicyDocument as PolicyDocument2, PolicyStatement as PolicyStatement4, Role as Role3, ServicePrincipal as ServicePrincipal3 } from "aws-cdk-lib/aws-iam";
import { LogGroup as LogGroup4, RetentionDays as RetentionDays4 } from "aws-cdk-lib/aws-logs";
import { Provider } from "aws-cdk-lib/custom-resources";
import { Construct as Construct8 } from "constructs";

// lambda/core/analytics/visualizations.ts
function failedShareFilters(status) {
  const range = ([lo, hi]) => `${status}:[${lo} TO ${hi}]`;
  return [
    { label: "4xx", query: range(FAILED_RANGES.client) },
    { label: "5xx", query: range(FAILED_RANGES.server) },
    { label: "not 4xx/5xx", query: `NOT ${range([FAILED_RANGES.client[0], FAILED_RANGES.server[1]])}` }
  ];
}
var metric = (id, type, params = {}) => ({ id, enabled: true, type, schema: "metric", params });
var overTime = (id) => ({
  id,
  enabled: true,
  type: "date_histogram",
  schema: "segment",
  // `auto`: OpenSearch Dashboards picks the interval from the time range shown.
  params: { field: TIMESTAMP_FIELD, useNormalizedOpenSearchInterval: true, scaleMetricValues: false, interval: "auto", drop_partials: false, min_doc_count: 1, extended_bounds: {} }
});
var terms = (id, schema, field, size, label) => ({
  id,
  enabled: true,
  type: "terms",
  schema,
  params: {
    field,
    orderBy: "1",
    order: "desc",
    size,
    otherBucket: false,
    otherBucketLabel: "Other",
    missingBucket: false,
    missingBucketLabel: "Missing",
    ...label ? { customLabel: label } : {}
  }
});
function xyParams(type, metrics, stacked) {
  return {
    type,
    grid: { categoryLines: false },
    categoryAxes: [{ id: "CategoryAxis-1", type: "category", position: "bottom", show: true, style: {}, scale: { type: "linear" }, labels: { show: true, filter: true, truncate: 100 }, title: {} }],
    valueAxes: [
      {
        id: "ValueAxis-1",
        name: "LeftAxis-1",
        type: "value",
        position: "left",
        show: true,
        style: {},
        scale: { type: "linear", mode: "normal" },
        labels: { show: true, rotate: 0, filter: false, truncate: 100 },
        title: { text: metrics.map((m) => m.label).join(", ") }
      }
    ],
    seriesParams: metrics.map((m) => ({
      show: true,
      type,
      mode: stacked ? "stacked" : "normal",
      data: { label: m.label, id: m.id },
      valueAxis: "ValueAxis-1",
      drawLinesBetweenPoints: true,
      lineWidth: 2,
      interpolate: "linear",
      showCircles: true
    })),
    addTooltip: true,
    addLegend: true,
    legendPosition: "right",
    times: [],
    addTimeMarker: false,
    labels: {},
    thresholdLine: { show: false, value: 10, width: 1, style: "full", color: "#E7664C" }
  };
}
var TABLE_PARAMS = { perPage: 10, showPartialRows: false, showMetricsAtAllLevels: false, showTotal: false, totalFunc: "sum", percentageCol: "" };
function visStateOf(q, titlePrefix) {
  const title = `${titlePrefix}${QUESTION_TEXT[q.id].title}`;
  switch (q.id) {
    case "requests-over-time":
      return { title, type: "line", params: xyParams("line", [{ id: "1", label: "Requests" }], false), aggs: [metric("1", "count", { customLabel: "Requests" }), overTime("2")] };
    case "status-codes":
      return {
        title,
        type: "histogram",
        params: xyParams("histogram", [{ id: "1", label: "Requests" }], true),
        aggs: [metric("1", "count", { customLabel: "Requests" }), overTime("2"), terms("3", "group", q.status, 10, "Status")]
      };
    case "failed-share":
      return {
        title,
        type: "pie",
        params: { type: "pie", addTooltip: true, addLegend: true, legendPosition: "right", isDonut: true, labels: { show: true, values: true, last_level: true, truncate: 100 } },
        aggs: [
          metric("1", "count", { customLabel: "Requests" }),
          {
            id: "2",
            enabled: true,
            type: "filters",
            schema: "segment",
            params: { filters: failedShareFilters(q.status).map((f) => ({ input: { query: f.query, language: "lucene" }, label: f.label })) }
          }
        ]
      };
    case "top-uris":
      return { title, type: "table", params: TABLE_PARAMS, aggs: [metric("1", "count", { customLabel: "Requests" }), terms("2", "bucket", q.uri, TOP_N.dashboard, "URI")] };
    case "top-clients":
      return { title, type: "table", params: TABLE_PARAMS, aggs: [metric("1", "count", { customLabel: "Requests" }), terms("2", "bucket", q.client, TOP_N.dashboard, "Client")] };
    case "bytes":
      return { title, type: "line", params: xyParams("line", [{ id: "1", label: "Bytes" }], false), aggs: [metric("1", "sum", { field: q.bytes, customLabel: "Bytes" }), overTime("2")] };
    case "request-time": {
      const unit = `${q.duration} (${q.unit})`;
      return {
        title,
        type: "line",
        params: xyParams(
          "line",
          [
            { id: "1", label: `Average ${unit}` },
            { id: "2", label: `Percentiles of ${unit}` }
          ],
          false
        ),
        aggs: [
          metric("1", "avg", { field: q.duration, customLabel: `Average ${unit}` }),
          metric("2", "percentiles", { field: q.duration, percents: [...DURATION_PERCENTILES], customLabel: `Percentiles of ${unit}` }),
          overTime("3")
        ]
      };
    }
  }
}

// lambda/core/opensearch/saved-objects.ts
var MIGRATION_VERSION = { "index-pattern": "7.6.0", visualization: "7.10.0", dashboard: "7.9.3", search: "7.9.3" };
var INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";
var indexPatternId = (pipelineName) => `logtong-${pipelineName}`;
var visualizationId = (pipelineName, q) => `logtong-${pipelineName}-${q}`;
var dashboardId = (pipelineName) => `logtong-${pipelineName}-dashboard`;
var searchId = (pipelineName, kind) => `logtong-${pipelineName}-search-${kind}`;
function recordsHaveTime(format) {
  switch (format.type) {
    case "nginx":
    case "apache":
    case "syslog":
      return true;
    case "json":
    case "regex":
      return format.timeKey !== void 0;
    case "single-line-text":
    case "multi-line-text":
      return format.timeKey !== void 0 || !format.regex && format.format !== void 0 && layoutToRegex(format.format).timeKey !== void 0;
  }
}
var SEARCH_COLUMNS = {
  syslog: ["hostname", "app_name", "severity_name", "message"],
  "single-line-text": ["level", "logger", "thread", "message"],
  "multi-line-text": ["level", "logger", "thread", "message"]
};
var NUMERIC2 = /* @__PURE__ */ new Set(["integer", "long", "float", "double"]);
function savedSearches(input) {
  const { fields, logFormat } = input;
  const has = (f) => fields[f] !== void 0 && f !== TIMESTAMP_FIELD;
  const declared = Object.keys(fields).filter(has);
  let columns;
  if (isAccessLog(logFormat.type)) {
    const asked = accessQuestions(logFormat.type, fields).flatMap(questionFields);
    columns = [.../* @__PURE__ */ new Set(["request_method", ...asked])].filter(has);
  } else {
    columns = (SEARCH_COLUMNS[logFormat.type] ?? []).filter(has);
    if (columns.length === 0) columns = declared.slice(0, 6);
  }
  if (columns.length === 0) columns = ["_source"];
  const searches = [{ kind: "all", title: `${input.pipelineName}: all records`, query: "", columns }];
  const failed = accessQuestions(logFormat.type, fields).find((q) => q.id === "failed-share");
  if (failed) searches.push({ kind: "failed", title: `${input.pipelineName}: failed requests (4xx/5xx)`, query: `${failed.status}:[${FAILED_RANGES.client[0]} TO ${FAILED_RANGES.server[1]}]`, columns });
  if (logFormat.type === "syslog" && NUMERIC2.has(fields.severity)) searches.push({ kind: "errors", title: `${input.pipelineName}: errors (severity 0-3)`, query: "severity:[0 TO 3]", columns });
  if ((logFormat.type === "single-line-text" || logFormat.type === "multi-line-text") && fields.level === "keyword") {
    searches.push({ kind: "errors", title: `${input.pipelineName}: errors (level ERROR or FATAL)`, query: "level:(ERROR OR FATAL)", columns });
  }
  return searches;
}
function searchSource(query) {
  return JSON.stringify({ query: { query, language: "lucene" }, filter: [], indexRefName: INDEX_REF });
}
function pipelineSavedObjects(input) {
  const { pipelineName } = input;
  const pattern = indexPatternId(pipelineName);
  const indexRef = [{ name: INDEX_REF, type: "index-pattern", id: pattern }];
  const objects = [
    {
      id: pattern,
      type: "index-pattern",
      // `<prefix>-*`, not `<prefix>*`: the ledger index `<prefix>.ledger` holds delivery pins, not records. No `fields`:
      // OpenSearch Dashboards reads them from the mapping when the pattern is first opened.
      attributes: { title: `${input.indexPrefix}-*`, ...recordsHaveTime(input.logFormat) ? { timeFieldName: TIMESTAMP_FIELD } : {} },
      references: [],
      migrationVersion: { "index-pattern": MIGRATION_VERSION["index-pattern"] }
    }
  ];
  for (const s of savedSearches(input)) {
    objects.push({
      id: searchId(pipelineName, s.kind),
      type: "search",
      attributes: {
        title: s.title,
        description: `Logtong pipeline ${pipelineName}.`,
        hits: 0,
        columns: s.columns,
        sort: recordsHaveTime(input.logFormat) ? [[TIMESTAMP_FIELD, "desc"]] : [],
        version: 1,
        kibanaSavedObjectMeta: { searchSourceJSON: searchSource(s.query) }
      },
      references: indexRef,
      migrationVersion: { search: MIGRATION_VERSION.search }
    });
  }
  const questions = accessQuestions(input.logFormat.type, input.fields);
  if (questions.length === 0) return objects;
  for (const q of questions) {
    objects.push({
      id: visualizationId(pipelineName, q.id),
      type: "visualization",
      attributes: {
        title: `${pipelineName}: ${QUESTION_TEXT[q.id].title}`,
        visState: JSON.stringify(visStateOf(q, `${pipelineName}: `)),
        uiStateJSON: "{}",
        description: QUESTION_TEXT[q.id].description,
        version: 1,
        kibanaSavedObjectMeta: { searchSourceJSON: searchSource("") }
      },
      references: indexRef,
      migrationVersion: { visualization: MIGRATION_VERSION.visualization }
    });
  }
  const panels = questions.map((_q, i) => ({
    version: "2.0.0",
    gridData: { x: i % 2 * 24, y: Math.floor(i / 2) * 15, w: 24, h: 15, i: String(i + 1) },
    panelIndex: String(i + 1),
    embeddableConfig: {},
    panelRefName: `panel_${i}`
  }));
  objects.push({
    id: dashboardId(pipelineName),
    type: "dashboard",
    attributes: {
      title: `${pipelineName}: ${input.logFormat.type} access logs`,
      hits: 0,
      description: `Logtong pipeline ${pipelineName} (index pattern ${input.indexPrefix}-*).`,
      panelsJSON: JSON.stringify(panels),
      optionsJSON: JSON.stringify({ hidePanelTitles: false, useMargins: true }),
      version: 1,
      timeRestore: false,
      kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: "", language: "lucene" }, filter: [] }) }
    },
    references: questions.map((q, i) => ({ name: `panel_${i}`, type: "visualization", id: visualizationId(pipelineName, q.id) })),
    migrationVersion: { dashboard: MIGRATION_VERSION.dashboard }
  });
  return objects;
}
function toNdjson(objects) {
  return objects.map((o) => JSON.stringify(o)).join("\n") + "\n";
}

// lib/constructs/private/opensearch-access.ts
import { Arn, ArnFormat as ArnFormat5, Token as Token3 } from "aws-cdk-lib";
function validateTarget(where, target) {
  if (target.auth === "sigv4" && !target.domainArn) throw new Error(`${where}: auth sigv4 needs domainArn`);
  if (target.auth === "basic" && !target.basicAuthSecret) throw new Error(`${where}: auth basic needs basicAuthSecret`);
}
function targetEnvironment(target) {
  const env = { OPENSEARCH_ENDPOINT: target.endpoint, OPENSEARCH_AUTH: target.auth };
  if (target.auth === "sigv4" && target.domainArn) {
    const region = Token3.isUnresolved(target.domainArn) ? void 0 : Arn.split(target.domainArn, ArnFormat5.SLASH_RESOURCE_NAME).region;
    if (region) env.OPENSEARCH_REGION = region;
  }
  if (target.auth === "basic" && target.basicAuthSecret) env.OPENSEARCH_SECRET_ARN = target.basicAuthSecret.secretArn;
  return env;
}
var HTTP_ACTIONS = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost", "es:ESHttpPut"];
function grantTargetAccess(fn, target) {
  if (target.auth === "sigv4" && target.domainArn) {
    fn.addScopedPolicy({
      actions: HTTP_ACTIONS,
      resources: [target.domainArn, `${target.domainArn}/*`],
      reason: "OpenSearch HTTP permissions are granted per path; the wildcard covers the paths (/_bulk, /<index>\u2026) of this one domain."
    });
  }
  if (target.auth === "basic" && target.basicAuthSecret) target.basicAuthSecret.grantRead(fn);
}

// lib/constructs/index-bootstrap.ts
var INDEX_BOOTSTRAP_VERSION = 1;
var IndexBootstrap = class extends Construct8 {
  fn;
  resource;
  constructor(scope, id, props) {
    super(scope, id);
    validateTarget(this.node.path, props.target);
    this.fn = new LogtongFunction(this, "Function", {
      pipelineName: props.pipelineName,
      handlerName: "index-bootstrap",
      description: `Logtong ${props.pipelineName}: create the index template, ISM policy and write alias`,
      timeout: props.timeout ?? Duration9.minutes(5),
      network: props.target.network,
      environment: targetEnvironment(props.target)
    });
    grantTargetAccess(this.fn, props.target);
    const providerLogGroup = new LogGroup4(this, "ProviderLogGroup", { retention: RetentionDays4.ONE_MONTH });
    const providerRole = new Role3(this, "ProviderRole", {
      assumedBy: new ServicePrincipal3("lambda.amazonaws.com"),
      inlinePolicies: {
        Logging: new PolicyDocument2({
          statements: [
            new PolicyStatement4({
              actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
              resources: [providerLogGroup.logGroupArn]
            })
          ]
        })
      }
    });
    const provider = new Provider(this, "Provider", {
      onEventHandler: this.fn,
      logGroup: providerLogGroup,
      frameworkOnEventRole: providerRole
    });
    acknowledgeWildcardResources(
      providerRole.node.tryFindChild("DefaultPolicy") ?? providerRole,
      [`${this.fn.functionArn}:*`],
      "The CDK Provider framework grants invoke on the bootstrap function and its versions (<function arn>:*); one function only."
    );
    const settings = {
      pipelineName: props.pipelineName,
      endpoint: props.target.endpoint,
      auth: props.target.auth,
      flavor: props.target.flavor,
      indexPrefix: props.indexPrefix,
      logFormat: JSON.stringify(props.logFormat),
      index: JSON.stringify(props.index),
      dashboardsUrl: props.dashboardsUrl ?? (props.target.flavor === "aws" ? `${props.target.endpoint}/_dashboards` : "")
    };
    const savedObjects = toNdjson(
      pipelineSavedObjects({ pipelineName: props.pipelineName, indexPrefix: props.indexPrefix, logFormat: props.logFormat, fields: compileParser(props.logFormat).fields })
    );
    const configHash = createHash("sha256").update(JSON.stringify({ version: INDEX_BOOTSTRAP_VERSION, ...settings, savedObjects })).digest("hex").slice(0, 16);
    this.resource = new CustomResource(this, "Resource", {
      serviceToken: provider.serviceToken,
      resourceType: "Custom::LogtongIndexBootstrap",
      properties: { ...settings, configHash }
    });
  }
};

// lib/constructs/kinesis-stage.ts
import { Duration as Duration10 } from "aws-cdk-lib";
import { Stream, StreamEncryption, StreamMode } from "aws-cdk-lib/aws-kinesis";
import { StartingPosition } from "aws-cdk-lib/aws-lambda";
import { KinesisEventSource, SqsDlq, SqsEventSource as SqsEventSource2 } from "aws-cdk-lib/aws-lambda-event-sources";
import { Construct as Construct9 } from "constructs";

// lib/constructs/private/indexing-function.ts
function indexingFunction(scope, id, props) {
  const fn = new LogtongFunction(scope, id, {
    pipelineName: props.pipelineName,
    handlerName: props.handlerName,
    description: props.description,
    timeout: props.timeout,
    memoryMiB: props.memoryMiB ?? 1024,
    network: props.target.network,
    environment: {
      ...targetEnvironment(props.target),
      BACKUP_BUCKET: props.backupBucket.bucketName,
      RUNTIME_CONFIG: runtimeConfigVariable(props.pipelineConfig),
      ...props.environment
    }
  });
  grantTargetAccess(fn, props.target);
  if (props.stagingBucket) {
    fn.addScopedPolicy({
      actions: ["s3:GetObject"],
      resources: [props.stagingBucket.arnForObjects(`${props.pipelineName}/*`)],
      reason: "Reads staged objects of this pipeline only: every key under the staging bucket prefix <pipeline>/."
    });
    props.stagingBucket.encryptionKey?.grantDecrypt(fn);
  }
  fn.addScopedPolicy({
    actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
    resources: [props.backupBucket.arnForObjects(`${props.pipelineName}/*`)],
    reason: "Writes failed records of this pipeline only: every key under the backup bucket prefix <pipeline>/; an over-long line is streamed there as a multipart upload, which a failed stream aborts."
  });
  props.backupBucket.encryptionKey?.grantEncryptDecrypt(fn);
  return fn;
}

// lib/constructs/kinesis-stage.ts
var KinesisStage = class extends Construct9 {
  stream;
  fn;
  failureFn;
  /** Where the event source mapping sends the batches it gives up on, read by `failureFn`. */
  failureQueue;
  /** Dead-letter queue of the on-failure queue, for `DeadLetterBackup`. */
  deadLetterQueue;
  constructor(scope, id, props) {
    super(scope, id);
    validateTarget(this.node.path, props.target);
    const timeout = props.timeout ?? Duration10.minutes(5);
    const retention = props.retention ?? Duration10.hours(24);
    const maxRecordAge = props.maxRecordAge ?? Duration10.hours(6);
    if (maxRecordAge.toSeconds() >= retention.toSeconds()) {
      throw new Error(`${this.node.path}: maxRecordAge (${maxRecordAge.toHumanString()}) must be shorter than the stream retention (${retention.toHumanString()})`);
    }
    const stream = new Stream(this, "Stream", {
      encryption: StreamEncryption.MANAGED,
      retentionPeriod: retention,
      ...props.shards ? { streamMode: StreamMode.PROVISIONED, shardCount: props.shards } : { streamMode: StreamMode.ON_DEMAND }
    });
    this.stream = stream;
    this.fn = indexingFunction(this, "Function", {
      handlerName: "kinesis-process",
      description: `Logtong ${props.pipelineName}: parse log lines from the Kinesis buffer and bulk-index them into OpenSearch`,
      pipelineName: props.pipelineName,
      pipelineConfig: props.pipelineConfig,
      target: props.target,
      backupBucket: props.backupBucket,
      timeout,
      memoryMiB: props.memoryMiB
    });
    const failures = new WorkQueue(this, "FailureQueue", { consumerTimeout: timeout });
    this.failureQueue = failures.queue;
    this.deadLetterQueue = failures.deadLetterQueue;
    this.fn.addEventSource(
      new KinesisEventSource(stream, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: props.batchSize ?? 500,
        maxBatchingWindow: Duration10.seconds(5),
        parallelizationFactor: props.parallelizationFactor ?? 1,
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: props.retryAttempts ?? 5,
        maxRecordAge,
        onFailure: new SqsDlq(failures.queue)
      })
    );
    this.failureFn = new LogtongFunction(this, "FailureFunction", {
      pipelineName: props.pipelineName,
      handlerName: "kinesis-failure",
      description: `Logtong ${props.pipelineName}: read batches the processor gave up on back from the stream into the backup bucket`,
      timeout,
      memoryMiB: 512,
      environment: {
        BACKUP_BUCKET: props.backupBucket.bucketName
      }
    });
    this.failureFn.addScopedPolicy({
      actions: ["kinesis:GetShardIterator", "kinesis:GetRecords"],
      resources: [stream.streamArn],
      reason: "Reads back the records of a batch the processor gave up on (the failure message holds only sequence numbers), from this stream only."
    });
    stream.encryptionKey?.grantDecrypt(this.failureFn);
    this.failureFn.addScopedPolicy({
      actions: ["s3:PutObject"],
      resources: [props.backupBucket.arnForObjects(`${props.pipelineName}/*`)],
      reason: "Writes failed records of this pipeline only: every key under the backup bucket prefix <pipeline>/."
    });
    props.backupBucket.encryptionKey?.grantEncrypt(this.failureFn);
    this.failureFn.addEventSource(new SqsEventSource2(failures.queue, { batchSize: 10, reportBatchItemFailures: true }));
  }
};

// lib/constructs/processor-stage.ts
import { Duration as Duration11 } from "aws-cdk-lib";
import { SqsEventSource as SqsEventSource3 } from "aws-cdk-lib/aws-lambda-event-sources";
import { EventType } from "aws-cdk-lib/aws-s3";
import { SqsDestination } from "aws-cdk-lib/aws-s3-notifications";
import { Construct as Construct10 } from "constructs";
var ProcessorStage = class extends Construct10 {
  queue;
  deadLetterQueue;
  fn;
  constructor(scope, id, props) {
    super(scope, id);
    validateTarget(this.node.path, props.target);
    const timeout = props.timeout ?? Duration11.minutes(5);
    const stagingPrefix = `${props.pipelineName}/`;
    const work = new WorkQueue(this, "Queue", {
      consumerTimeout: timeout,
      // A dead letter names staged objects: the backup keeps them whole, then marks them done.
      objects: { bucket: props.stagingBucket, prefix: stagingPrefix, encryptionKey: props.stagingBucket.encryptionKey, owned: true }
    });
    this.queue = work.queue;
    this.deadLetterQueue = work.deadLetterQueue;
    this.fn = indexingFunction(this, "Function", {
      handlerName: "process",
      description: `Logtong ${props.pipelineName}: parse staged log files and bulk-index them into OpenSearch`,
      pipelineName: props.pipelineName,
      pipelineConfig: props.pipelineConfig,
      target: props.target,
      backupBucket: props.backupBucket,
      stagingBucket: props.stagingBucket,
      timeout,
      memoryMiB: props.memoryMiB,
      // On the last delivery the handler backs records up instead of leaving them to the DLQ.
      environment: { MAX_RECEIVE_COUNT: String(work.maxReceiveCount) }
    });
    this.fn.addScopedPolicy({
      actions: ["s3:PutObjectTagging"],
      resources: [props.stagingBucket.arnForObjects(`${stagingPrefix}*`)],
      reason: "Marks a staged object of this pipeline done (the tag the staging lifecycle rule expires on) once every line is indexed, filtered or backed up: keys under <pipeline>/."
    });
    props.stagingBucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), { prefix: stagingPrefix });
    this.fn.addEventSource(
      new SqsEventSource3(this.queue, {
        batchSize: props.batchSize ?? 1,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency
      })
    );
  }
};

// lib/stacks/imports.ts
import { Fn as Fn2, Validations as Validations2 } from "aws-cdk-lib";
import { SecurityGroup, Subnet, Vpc } from "aws-cdk-lib/aws-ec2";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
function importVpc(scope, id, vpcId) {
  const vpc = Vpc.fromVpcAttributes(scope, id, {
    vpcId,
    // Unknown offline, and only consulted when selecting subnets by type; the subnets are always named.
    availabilityZones: Fn2.getAzs()
  });
  Validations2.of(vpc).acknowledge({
    id: "Annotation::@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones",
    reason: "Subnets are always selected by ID, never by type or zone, so the zones are not needed at synth."
  });
  return vpc;
}
function importSubnets(scope, idPrefix, subnetIds, placed) {
  return subnetIds.map((subnetId) => {
    const subnet = Subnet.fromSubnetId(scope, `${idPrefix}Subnet-${subnetId}`, subnetId);
    Validations2.of(subnet).acknowledge({
      id: "Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId",
      reason: `Only ${placed} are placed in the subnet; nothing reads or adds routes.`
    });
    return subnet;
  });
}
function importNetwork(scope, ref2, placed, id = "Vpc") {
  const prefix = id === "Vpc" ? "" : id;
  return {
    vpc: importVpc(scope, id, ref2.vpcId),
    subnets: importSubnets(scope, prefix, ref2.subnetIds, placed),
    securityGroups: ref2.securityGroupIds.map(
      (sg) => (
        // Immutable: the groups belong to the user; CDK must not add rules to them.
        SecurityGroup.fromSecurityGroupId(scope, `${prefix}SecurityGroup-${sg}`, sg, { mutable: false })
      )
    )
  };
}
function importSecret(scope, id, arn) {
  return /-[A-Za-z0-9]{6}$/.test(arn) ? Secret.fromSecretCompleteArn(scope, id, arn) : Secret.fromSecretPartialArn(scope, id, arn);
}
function openSearchTarget(scope, engine) {
  const { domain } = engine;
  const network = domain.vpc && importNetwork(scope, domain.vpc, "Lambda ENIs");
  if (domain.type === "aws") {
    return { endpoint: domain.endpoint, auth: "sigv4", flavor: "aws", domainArn: domain.arn, network };
  }
  return {
    endpoint: domain.url,
    auth: domain.auth,
    flavor: "self-managed",
    basicAuthSecret: domain.basicAuthSecretArn ? importSecret(scope, "BasicAuthSecret", domain.basicAuthSecretArn) : void 0,
    network
  };
}

// lib/stacks/pipeline/opensearch-engine.ts
var OpenSearchEngine = class {
  /** Stream or agents index: what the agents write to and may do there. @default - none (staged objects) */
  agentOutput;
  constructor(scope, props) {
    const { pipeline: pipeline2, config, backup, indexes, monitor } = props;
    const target = openSearchTarget(scope, config);
    let indexer;
    switch (indexes.type) {
      case "staged":
        indexer = processStaged(scope, props, target, indexes);
        break;
      case "kinesis-stream": {
        const kinesis = processStream(scope, props, target, indexes);
        indexer = kinesis;
        this.agentOutput = agentsToStream(scope, indexes.agents, kinesis.stream);
        break;
      }
      case "agents-index":
        this.agentOutput = agentsToDomain(scope, pipeline2, indexes.agents, config, backup);
        break;
    }
    if (indexer) {
      const deadLetters = new DeadLetterBackup(scope, "DeadLetterBackup", {
        pipelineName: pipeline2.name,
        deadLetterQueues: indexer.deadLetterQueues,
        backupBucket: backup
      });
      monitor.watchFunction("Dead-letter backup", "DeadLetterBackup", deadLetters.fn);
      monitor.watchDeadLetterBackup(deadLetters.fn);
    }
    const bootstrap = new IndexBootstrap(scope, "IndexBootstrap", {
      pipelineName: pipeline2.name,
      target,
      indexPrefix: config.indexPrefix,
      logFormat: pipeline2.logFormat,
      index: config.index,
      // AWS domains: `<endpoint>/_dashboards`; a self-managed cluster's Dashboards only when configured.
      ...config.domain.type === "self-managed" ? { dashboardsUrl: config.domain.dashboardsUrl ?? "" } : {}
    });
    new CfnOutput2(scope, "IndexBootstrapRoleArn", {
      value: bootstrap.fn.executionRole.roleArn,
      description: "Map as a backend role in OpenSearch (fine-grained access control) so templates and ISM policies can be created."
    });
    if (indexer) {
      indexer.fn.node.addDependency(bootstrap.resource);
      new CfnOutput2(scope, "ProcessorRoleArn", {
        value: indexer.fn.executionRole.roleArn,
        description: "Map as a backend role in OpenSearch (fine-grained access control) so the processor may index."
      });
    }
  }
};
function processStaged(scope, props, target, staged2) {
  const { pipeline: pipeline2 } = props;
  const processor = new ProcessorStage(scope, "Processor", {
    pipelineName: pipeline2.name,
    stagingBucket: staged2.staging,
    backupBucket: props.backup,
    target,
    pipelineConfig: pipeline2,
    timeout: Duration12.seconds(pipeline2.processorTimeoutSeconds),
    memoryMiB: pipeline2.processorMemoryMb
  });
  new CfnOutput2(scope, "ProcessorQueueUrl", { value: processor.queue.queueUrl });
  new CfnOutput2(scope, "ProcessorDeadLetterQueueUrl", { value: processor.deadLetterQueue.queueUrl });
  props.monitor.watchQueue("Processor queue (staged objects to index)", "Processor", processor);
  props.monitor.watchFunction("Processor", "Processor", processor.fn, { throttles: true });
  props.monitor.watchIndexing(processor.fn);
  return { fn: processor.fn, deadLetterQueues: [...staged2.deadLetterQueues, processor.deadLetterQueue] };
}
function processStream(scope, props, target, intake) {
  const { pipeline: pipeline2 } = props;
  const { kinesis: settings } = intake;
  const kinesis = new KinesisStage(scope, "Kinesis", {
    pipelineName: pipeline2.name,
    pipelineConfig: pipeline2,
    backupBucket: props.backup,
    target,
    shards: settings.shards,
    retention: Duration12.hours(settings.retentionHours),
    batchSize: settings.batchSize,
    parallelizationFactor: settings.parallelizationFactor,
    retryAttempts: settings.retryAttempts,
    maxRecordAge: Duration12.seconds(settings.maxRecordAgeSeconds),
    timeout: Duration12.seconds(pipeline2.processorTimeoutSeconds),
    memoryMiB: pipeline2.processorMemoryMb
  });
  new CfnOutput2(scope, "BufferStreamName", { value: kinesis.stream.streamName });
  const { monitor } = props;
  monitor.watchStream(kinesis.stream, kinesis.fn);
  monitor.watchFunction("Kinesis processor", "Processor", kinesis.fn, { throttles: true });
  monitor.watchIndexing(kinesis.fn);
  monitor.watchQueue("Kinesis failures (batches the processor gave up on, read back into the backup bucket)", "KinesisFailure", { queue: kinesis.failureQueue, deadLetterQueue: kinesis.deadLetterQueue });
  monitor.watchFunction("Kinesis failure handler", "KinesisFailure", kinesis.failureFn);
  return { fn: kinesis.fn, deadLetterQueues: [kinesis.deadLetterQueue], stream: kinesis.stream };
}

// lib/stacks/pipeline/plan.ts
function planPipeline(pipeline2) {
  const { source, engine } = pipeline2;
  if (engine.type === "light") return { engine: "light", config: engine, intake: staged(source) };
  if (source.type === "s3" || engine.buffer === "s3") return { engine: "opensearch", config: engine, intake: staged(source) };
  if (engine.buffer === "kinesis") {
    return { engine: "opensearch", config: engine, intake: { type: "kinesis-stream", agents: source, kinesis: engine.kinesis ?? KINESIS_DEFAULTS } };
  }
  return { engine: "opensearch", config: engine, intake: { type: "agents-index", agents: source } };
}
function isStaged(intake) {
  return intake.type === "source-bucket" || intake.type === "buffer-bucket";
}
function staged(source) {
  return source.type === "s3" ? { type: "source-bucket", source } : { type: "buffer-bucket", agents: source };
}
function pipelineSummary(pipeline2, plan) {
  const { source } = pipeline2;
  const from = source.type === "s3" ? `S3 \`s3://${source.bucketName}/${source.prefix}\` (${source.mode === "one-time" ? "one-time scan" : "event notifications"}) \u2192 copy \u2192 staging` : `${source.type === "syslog" ? `syslog clients \u2192 load balancer :${source.port}/${source.protocol} \u2192 Fluent Bit receivers` : `Fluent Bit agents (${source.platform})`}`;
  const via = (intake) => {
    switch (intake.type) {
      case "source-bucket":
        return "";
      case "buffer-bucket":
        return " \u2192 S3 buffer \u2192 copy \u2192 staging";
      case "kinesis-stream":
        return " \u2192 Kinesis";
      case "agents-index":
        return "";
    }
  };
  const to = plan.engine === "light" ? " \u2192 Light Engine batch \u2192 Parquet (Athena), compaction daily" : plan.intake.type === "agents-index" ? ` \u2192 OpenSearch \`${plan.config.indexPrefix}\` (the agents index)` : ` \u2192 processor \u2192 OpenSearch \`${plan.config.indexPrefix}\``;
  return `${from}${via(plan.intake)}${to}; failed records \u2192 backup bucket.`;
}

// lib/stacks/pipeline/staged-ingest.ts
import { CfnOutput as CfnOutput4, Duration as Duration15, Stack as Stack10 } from "aws-cdk-lib";
import { Key } from "aws-cdk-lib/aws-kms";
import { Bucket as Bucket3 } from "aws-cdk-lib/aws-s3";

// lib/constructs/copy-stage.ts
import { Duration as Duration13 } from "aws-cdk-lib";
import { PolicyStatement as PolicyStatement5, ServicePrincipal as ServicePrincipal4 } from "aws-cdk-lib/aws-iam";
import { SqsEventSource as SqsEventSource4 } from "aws-cdk-lib/aws-lambda-event-sources";
import { EventType as EventType2 } from "aws-cdk-lib/aws-s3";
import { SqsDestination as SqsDestination2 } from "aws-cdk-lib/aws-s3-notifications";
import { Construct as Construct11 } from "constructs";
var CopyStage = class extends Construct11 {
  queue;
  deadLetterQueue;
  fn;
  constructor(scope, id, props) {
    super(scope, id);
    const timeout = props.timeout ?? Duration13.minutes(5);
    const prefix = props.prefix ?? "";
    const suffix = props.suffix ?? "";
    const markSourceDone = props.markSourceDone ?? false;
    const cross = props.crossAccount;
    if (cross && markSourceDone) throw new Error(`${this.node.path}: a bucket of another account is never the pipeline's own (markSourceDone)`);
    this.fn = new LogtongFunction(this, "Function", {
      pipelineName: props.pipelineName,
      handlerName: "copy",
      description: `Logtong ${props.pipelineName}: copy new log objects into the staging bucket`,
      timeout,
      memoryMiB: props.memoryMiB ?? 512,
      environment: {
        STAGING_BUCKET: props.stagingBucket.bucketName,
        STAGING_PREFIX: props.pipelineName,
        ...markSourceDone ? { MARK_SOURCE_DONE: "true" } : {},
        ...cross ? { SOURCE_ROLE_ARN: cross.roleArn, SOURCE_EXTERNAL_ID: cross.externalId } : {}
      }
    });
    if (cross) {
      this.fn.executionRole.node.defaultChild.roleName = cross.readerRoleName;
      this.fn.addScopedPolicy({
        actions: ["sts:AssumeRole"],
        resources: [cross.roleArn],
        reason: "Reads the source bucket of another account through the one role that account grants this pipeline."
      });
    } else {
      this.fn.addScopedPolicy({
        actions: ["s3:GetObject", "s3:GetObjectVersion"],
        resources: [props.sourceBucket.arnForObjects(`${prefix}*`)],
        reason: "Reads the source objects this pipeline watches: every key under the configured prefix of the source bucket."
      });
    }
    this.fn.addScopedPolicy({
      // PutObject covers CreateMultipartUpload / UploadPart(Copy) / CompleteMultipartUpload for objects over 5 GiB.
      actions: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
      resources: [props.stagingBucket.arnForObjects(`${props.pipelineName}/*`)],
      reason: "Writes copies of this pipeline only: every key under the staging bucket prefix <pipeline>/."
    });
    if (markSourceDone) {
      this.fn.addScopedPolicy({
        actions: ["s3:PutObjectTagging"],
        resources: [props.sourceBucket.arnForObjects(`${prefix}*`)],
        reason: "Marks a buffered object done (the tag its lifecycle rule expires on) once its copy is staged: keys under the prefix the agents of this pipeline write."
      });
    }
    if (!cross) props.sourceKey?.grantDecrypt(this.fn);
    props.stagingBucket.encryptionKey?.grantEncryptDecrypt(this.fn);
    const work = new WorkQueue(this, "Queue", {
      consumerTimeout: timeout,
      // A dead letter names source objects: the backup keeps them whole, and marks the pipeline's own ones done.
      // Not another account's: the backup function may not read it, and records those objects as unreadable (the
      // dead letter itself, naming them, is kept; the objects stay in their owner's bucket).
      ...cross ? {} : { objects: { bucket: props.sourceBucket, prefix, encryptionKey: props.sourceKey, owned: markSourceDone } }
    });
    this.queue = work.queue;
    this.deadLetterQueue = work.deadLetterQueue;
    if (cross) {
      if (cross.queueName) work.queue.node.defaultChild.queueName = cross.queueName;
      if (props.notifyOnObjectCreated ?? true) {
        work.queue.addToResourcePolicy(
          new PolicyStatement5({
            principals: [new ServicePrincipal4("s3.amazonaws.com")],
            actions: ["sqs:SendMessage"],
            resources: [work.queue.queueArn],
            conditions: {
              StringEquals: { "aws:SourceAccount": cross.account },
              ArnEquals: { "aws:SourceArn": props.sourceBucket.bucketArn }
            }
          })
        );
      }
    } else if (props.notifyOnObjectCreated ?? true) {
      const filters = prefix || suffix ? [{ ...prefix ? { prefix } : {}, ...suffix ? { suffix } : {} }] : [];
      props.sourceBucket.addEventNotification(EventType2.OBJECT_CREATED, new SqsDestination2(this.queue), ...filters);
    }
    this.fn.addEventSource(
      new SqsEventSource4(this.queue, {
        batchSize: props.batchSize ?? 10,
        reportBatchItemFailures: true
      })
    );
  }
};

// lib/constructs/s3-scanner.ts
import { Duration as Duration14, Fn as Fn3, IgnoreMode, Stack as Stack8, Validations as Validations3 } from "aws-cdk-lib";
import { Platform } from "aws-cdk-lib/aws-ecr-assets";
import {
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily
} from "aws-cdk-lib/aws-ecs";
import { PolicyStatement as PolicyStatement6 } from "aws-cdk-lib/aws-iam";
import { LogGroup as LogGroup5, RetentionDays as RetentionDays5 } from "aws-cdk-lib/aws-logs";
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from "aws-cdk-lib/custom-resources";
import { Construct as Construct12 } from "constructs";
var PROJECT_ROOT2 = projectRoot();
var SCANNER_IMAGE_FILES = ["*", "!package.json", "!package-lock.json", "!tsconfig.json", "!lambda/**"];
var S3Scanner = class extends Construct12 {
  cluster;
  taskDefinition;
  checkpointKey;
  /** The `aws ecs run-task …` command line that starts the scan by hand. */
  runTaskCommand;
  constructor(scope, id, props) {
    super(scope, id);
    const prefix = props.prefix ?? "";
    this.checkpointKey = `_logtong/scanner/${props.pipelineName}.json`;
    this.cluster = new Cluster(this, "Cluster", {
      vpc: props.vpc,
      containerInsightsV2: ContainerInsights.ENABLED
    });
    this.taskDefinition = new FargateTaskDefinition(this, "Task", {
      cpu: props.cpu ?? 256,
      memoryLimitMiB: props.memoryMiB ?? 512,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.ARM64, operatingSystemFamily: OperatingSystemFamily.LINUX }
    });
    const logGroup = new LogGroup5(this, "Logs", { retention: RetentionDays5.ONE_MONTH });
    this.taskDefinition.addContainer("Scanner", {
      // Staged by synth (a copy of the listed files), built by `cdk deploy`: synth needs no Docker.
      image: ContainerImage.fromAsset(PROJECT_ROOT2, {
        file: "lambda/scanner/Dockerfile",
        exclude: SCANNER_IMAGE_FILES,
        ignoreMode: IgnoreMode.DOCKER,
        platform: Platform.LINUX_ARM64
      }),
      logging: LogDrivers.awsLogs({ logGroup, streamPrefix: props.pipelineName }),
      readonlyRootFilesystem: true,
      // On SIGTERM the scanner lets its in-flight batches finish and writes its checkpoint; a minute is ample.
      stopTimeout: Duration14.seconds(60),
      environment: {
        SOURCE_BUCKET: props.sourceBucket.bucketName,
        SOURCE_PREFIX: prefix,
        SOURCE_SUFFIX: props.suffix ?? "",
        COPY_QUEUE_URL: props.copyQueue.queueUrl,
        CHECKPOINT_BUCKET: props.checkpointBucket.bucketName,
        CHECKPOINT_KEY: this.checkpointKey,
        PROGRESS_INTERVAL_SECONDS: "5",
        // The `pipeline` dimension of its progress and outcome metrics.
        PIPELINE_NAME: props.pipelineName,
        ...props.crossAccount ? { SOURCE_ROLE_ARN: props.crossAccount.roleArn, SOURCE_EXTERNAL_ID: props.crossAccount.externalId } : {}
      }
    });
    Validations3.of(this.taskDefinition).acknowledge({
      id: "AwsSolutions-ECS2",
      reason: "The variables are bucket names, a prefix, a queue URL and an interval: configuration, no secret among them."
    });
    const role = this.taskDefinition.taskRole;
    const cross = props.crossAccount;
    if (cross) {
      role.node.defaultChild.roleName = cross.readerRoleName;
      role.addToPrincipalPolicy(new PolicyStatement6({ actions: ["sts:AssumeRole"], resources: [cross.roleArn] }));
    } else {
      role.addToPrincipalPolicy(
        new PolicyStatement6({
          actions: ["s3:ListBucket"],
          resources: [props.sourceBucket.bucketArn],
          ...prefix ? { conditions: { StringLike: { "s3:prefix": [`${prefix}*`] } } } : {}
        })
      );
    }
    props.copyQueue.grantSendMessages(role);
    role.addToPrincipalPolicy(
      new PolicyStatement6({
        actions: ["s3:GetObject", "s3:PutObject"],
        resources: [props.checkpointBucket.arnForObjects(this.checkpointKey)]
      })
    );
    role.addToPrincipalPolicy(new PolicyStatement6({ actions: ["s3:ListBucket"], resources: [props.checkpointBucket.bucketArn] }));
    props.checkpointKey?.grantEncryptDecrypt(role);
    const network = {
      awsvpcConfiguration: {
        subnets: props.subnets.map((s) => s.subnetId),
        securityGroups: props.securityGroups.map((g) => g.securityGroupId),
        assignPublicIp: "DISABLED"
      }
    };
    this.runTaskCommand = Fn3.join("", [
      "aws ecs run-task --launch-type FARGATE --cluster ",
      this.cluster.clusterName,
      " --task-definition ",
      this.taskDefinition.taskDefinitionArn,
      ` --network-configuration 'awsvpcConfiguration={subnets=[${props.subnets.map((s) => s.subnetId).join(",")}],securityGroups=[${props.securityGroups.map((g) => g.securityGroupId).join(",")}],assignPublicIp=DISABLED}'`
    ]);
    if (props.startOnDeploy ?? true) {
      const start = new AwsCustomResource(this, "StartOnDeploy", {
        // Create only: an update of the stack must not start a second scan beside a running one.
        onCreate: {
          service: "ECS",
          action: "runTask",
          parameters: {
            cluster: this.cluster.clusterArn,
            taskDefinition: this.taskDefinition.taskDefinitionArn,
            launchType: "FARGATE",
            count: 1,
            networkConfiguration: network,
            startedBy: `logtong-${props.pipelineName}`.slice(0, 36)
          },
          physicalResourceId: PhysicalResourceId.of(`logtong-${props.pipelineName}-scan`),
          outputPaths: ["tasks.0.taskArn"]
        },
        installLatestAwsSdk: false,
        policy: AwsCustomResourcePolicy.fromStatements([
          new PolicyStatement6({ actions: ["ecs:RunTask"], resources: [this.taskDefinition.taskDefinitionArn] }),
          new PolicyStatement6({
            actions: ["iam:PassRole"],
            resources: [this.taskDefinition.taskRole.roleArn, this.taskDefinition.obtainExecutionRole().roleArn]
          })
        ])
      });
      start.node.addDependency(this.taskDefinition);
      acknowledgeAwsCustomResourceProvider(Stack8.of(this));
    }
    acknowledgeWildcardResources(
      this.taskDefinition.obtainExecutionRole().node.tryFindChild("DefaultPolicy") ?? this.taskDefinition.obtainExecutionRole(),
      ["*"],
      "ECS task execution role: ecr:GetAuthorizationToken has no resource-level permissions (CDK grants it for the image asset)."
    );
  }
};

// lib/stacks/source-account-stack.ts
import { CfnOutput as CfnOutput3, Stack as Stack9, Token as Token4 } from "aws-cdk-lib";
import { ArnPrincipal, CompositePrincipal, PolicyStatement as PolicyStatement7, Role as Role4 } from "aws-cdk-lib/aws-iam";
import { Bucket as Bucket2, EventType as EventType3 } from "aws-cdk-lib/aws-s3";
import { SqsDestination as SqsDestination3 } from "aws-cdk-lib/aws-s3-notifications";
import { Queue as Queue2 } from "aws-cdk-lib/aws-sqs";
var sourceStackName = (pipelineName) => `LogtongSource-${pipelineName}`;
function crossAccountSource(pipeline2, pipelineAccount) {
  const source = pipeline2.source;
  if (source.type !== "s3" || !source.account) return void 0;
  const known = pipelineAccount !== void 0 && !Token4.isUnresolved(pipelineAccount);
  if (known && source.account === pipelineAccount) return void 0;
  const name = pipeline2.name;
  return {
    pipelineName: name,
    sourceAccount: source.account,
    pipelineAccount: known ? pipelineAccount : "",
    source,
    ...source.roleArn ? { existingRoleArn: source.roleArn } : { roleName: `Logtong-${name}-source-read` },
    externalId: source.externalId ?? `logtong-${name}`,
    copyRoleName: `Logtong-${name}-copy`,
    ...source.mode === "one-time" ? { scannerRoleName: `Logtong-${name}-scanner` } : { queueName: `Logtong-${name}-copy` }
  };
}
function sourceRoleArn(scope, x) {
  return x.existingRoleArn ?? Stack9.of(scope).formatArn({ service: "iam", region: "", account: x.sourceAccount, resource: "role", resourceName: x.roleName });
}
var SourceAccountStack = class extends Stack9 {
  /** The read role created here. @default - none (`roleArn` given) */
  readRole;
  constructor(scope, id, props) {
    super(scope, id, { description: `Logtong ${props.source.pipelineName}: access of the pipeline to its source bucket in this account`, ...props });
    const x = props.source;
    const s = x.source;
    const prefix = s.prefix;
    const bucket = Bucket2.fromBucketName(this, "SourceBucket", s.bucketName);
    const pipelineArn = (service, resource) => service === "iam" ? `arn:${this.partition}:iam::${x.pipelineAccount}:role/${resource}` : `arn:${this.partition}:sqs:${this.region}:${x.pipelineAccount}:${resource}`;
    if (x.roleName) {
      const readers = [pipelineArn("iam", x.copyRoleName), ...x.scannerRoleName ? [pipelineArn("iam", x.scannerRoleName)] : []];
      const role = new Role4(this, "ReadRole", {
        roleName: x.roleName,
        description: `Logtong ${x.pipelineName} (account ${x.pipelineAccount}): reads s3://${s.bucketName}/${prefix}`.slice(0, 1e3),
        // Exact role ARNs, not the account root: no other principal of the pipeline account may assume it.
        assumedBy: new CompositePrincipal(...readers.map((arn) => new ArnPrincipal(arn))),
        externalIds: [x.externalId]
      });
      const objects = bucket.arnForObjects(`${prefix}*`);
      role.addToPolicy(new PolicyStatement7({ actions: ["s3:GetObject", "s3:GetObjectVersion"], resources: [objects] }));
      acknowledgeWildcardResources(
        role.node.tryFindChild("DefaultPolicy") ?? role,
        [objects],
        "Reads the objects the pipeline copies: every key under the configured prefix of this bucket, nothing else."
      );
      if (x.scannerRoleName) {
        role.addToPolicy(
          new PolicyStatement7({
            actions: ["s3:ListBucket"],
            resources: [bucket.bucketArn],
            ...prefix ? { conditions: { StringLike: { "s3:prefix": [`${prefix}*`] } } } : {}
          })
        );
      }
      if (s.kmsKeyArn) role.addToPolicy(new PolicyStatement7({ actions: ["kms:Decrypt"], resources: [s.kmsKeyArn] }));
      new CfnOutput3(this, "SourceRoleArn", { value: role.roleArn, description: "The role the pipeline assumes to read the bucket." });
      this.readRole = role;
    }
    if (x.queueName) {
      const queueArn2 = pipelineArn("sqs", x.queueName);
      const queue = Queue2.fromQueueArn(this, "CopyQueue", queueArn2);
      const filters = prefix || s.suffix ? [{ ...prefix ? { prefix } : {}, ...s.suffix ? { suffix: s.suffix } : {} }] : [];
      bucket.addEventNotification(EventType3.OBJECT_CREATED, new SqsDestination3(queue), ...filters);
      acknowledgeBucketNotificationsHandler(this);
    }
  }
};

// lib/stacks/pipeline/staged-ingest.ts
var DONE_RETENTION = Duration15.days(14);
var StagedIngest = class {
  type = "staged";
  staging;
  deadLetterQueues;
  /** Buffer bucket intake: what the agents write to it and may do there. @default - none (a source bucket) */
  agentOutput;
  constructor(scope, props) {
    const { pipeline: pipeline2, intake, accessLogs } = props;
    const cross = crossAccountSource(pipeline2, Stack10.of(scope).account);
    const from = intake.type === "source-bucket" ? sourceBucket(scope, intake.source) : bufferBucket(scope, props, intake.agents);
    const staging = new StagingBucket(scope, "StagingBucket", {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: "staging/",
      doneRetention: DONE_RETENTION
    });
    const copy = new CopyStage(scope, "Copy", {
      pipelineName: pipeline2.name,
      sourceBucket: from.bucket,
      prefix: from.prefix,
      suffix: from.suffix,
      sourceKey: from.key,
      stagingBucket: staging,
      notifyOnObjectCreated: from.notify,
      markSourceDone: from.owned,
      ...cross ? { crossAccount: crossRead(scope, cross, cross.copyRoleName, cross.queueName) } : {}
    });
    new CfnOutput4(scope, "StagingBucketName", { value: staging.bucketName });
    new CfnOutput4(scope, "CopyQueueUrl", { value: copy.queue.queueUrl });
    new CfnOutput4(scope, "CopyDeadLetterQueueUrl", { value: copy.deadLetterQueue.queueUrl });
    if (intake.type === "source-bucket" && intake.source.scanner) {
      scan(scope, {
        pipelineName: pipeline2.name,
        source: intake.source,
        settings: intake.source.scanner,
        sourceBucket: from.bucket,
        copyQueue: copy.queue,
        checkpointBucket: staging,
        ...cross?.scannerRoleName ? { crossAccount: crossRead(scope, cross, cross.scannerRoleName) } : {}
      });
      props.monitor.watchScanner();
    }
    props.monitor.watchQueue(`Copy queue (${intake.type === "source-bucket" ? "source" : "buffer"} bucket objects to stage)`, "Copy", copy);
    props.monitor.watchFunction("Copy", "Copy", copy.fn);
    this.staging = staging;
    this.deadLetterQueues = [copy.deadLetterQueue];
    this.agentOutput = from.agentOutput;
  }
};
function crossRead(scope, x, readerRoleName, queueName) {
  return { account: x.sourceAccount, roleArn: sourceRoleArn(scope, x), externalId: x.externalId, readerRoleName, ...queueName ? { queueName } : {} };
}
function sourceBucket(scope, source) {
  return {
    bucket: Bucket3.fromBucketName(scope, "SourceBucket", source.bucketName),
    prefix: source.prefix,
    suffix: source.suffix,
    key: source.kmsKeyArn ? Key.fromKeyArn(scope, "SourceKey", source.kmsKeyArn) : void 0,
    notify: source.mode === "ongoing",
    owned: false
  };
}
function bufferBucket(scope, props, agents) {
  const bucket = new BufferBucket(scope, "BufferBucket", {
    serverAccessLogsBucket: props.accessLogs,
    serverAccessLogsPrefix: "buffer/",
    doneRetention: DONE_RETENTION
  });
  new CfnOutput4(scope, "BufferBucketName", { value: bucket.bucketName });
  return {
    bucket,
    // The agents' S3 output writes `<pipeline>/…/<time>-<uuid>.log.gz`; nothing else there is a log chunk.
    prefix: `${props.pipeline.name}/`,
    suffix: ".log.gz",
    notify: true,
    owned: true,
    agentOutput: agentsToBufferBucket(scope, props.pipeline, agents, bucket)
  };
}
function scan(scope, props) {
  const { source, settings } = props;
  const network = importNetwork(scope, settings.vpc, "the scanner task\u2019s ENIs", "ScannerVpc");
  const scanner = new S3Scanner(scope, "Scanner", {
    pipelineName: props.pipelineName,
    sourceBucket: props.sourceBucket,
    prefix: source.prefix,
    suffix: source.suffix,
    copyQueue: props.copyQueue,
    checkpointBucket: props.checkpointBucket,
    vpc: network.vpc,
    subnets: network.subnets,
    securityGroups: network.securityGroups,
    cpu: settings.cpu,
    memoryMiB: settings.memoryMb,
    // Another account's role cannot trust this stack's roles before they exist, so at this stack's creation it cannot
    // be assumed yet: the scan is started by hand (ScannerRunTaskCommand) once LogtongSource-<pipeline> is deployed.
    startOnDeploy: settings.startOnDeploy && !props.crossAccount,
    ...props.crossAccount ? { crossAccount: props.crossAccount } : {}
  });
  new CfnOutput4(scope, "ScannerRunTaskCommand", {
    description: "Starts the scan by hand (again after a stop it resumes from its checkpoint; delete the checkpoint object to rescan).",
    value: scanner.runTaskCommand
  });
}

// lib/stacks/syslog-shared-stack.ts
import { CfnOutput as CfnOutput5, CfnWaitConditionHandle, Stack as Stack11, Tags, Validations as Validations4 } from "aws-cdk-lib";
import { SnsAction as SnsAction2 } from "aws-cdk-lib/aws-cloudwatch-actions";
import { SecurityGroup as SecurityGroup3 } from "aws-cdk-lib/aws-ec2";
import { Cluster as Cluster2, ContainerInsights as ContainerInsights2 } from "aws-cdk-lib/aws-ecs";
import { NetworkLoadBalancer } from "aws-cdk-lib/aws-elasticloadbalancingv2";

// lib/constructs/syslog-receiver.ts
import { Duration as Duration16 } from "aws-cdk-lib";
import { CfnSecurityGroupEgress, CfnSecurityGroupIngress, SecurityGroup as SecurityGroup2 } from "aws-cdk-lib/aws-ec2";
import {
  ContainerImage as ContainerImage2,
  CpuArchitecture as CpuArchitecture2,
  FargateService,
  FargateTaskDefinition as FargateTaskDefinition2,
  LogDrivers as LogDrivers2,
  OperatingSystemFamily as OperatingSystemFamily2,
  Protocol as EcsProtocol,
  Secret as Secret2
} from "aws-cdk-lib/aws-ecs";
import {
  NetworkListener,
  NetworkTargetGroup,
  Protocol,
  TargetType
} from "aws-cdk-lib/aws-elasticloadbalancingv2";
import { LogGroup as LogGroup6, RetentionDays as RetentionDays6 } from "aws-cdk-lib/aws-logs";
import { Construct as Construct13 } from "constructs";
var SyslogReceiver = class extends Construct13 {
  service;
  securityGroup;
  /** The tasks behind the listener: its healthy and unhealthy host counts are the receivers' health. */
  targetGroup;
  constructor(scope, id, props) {
    super(scope, id);
    const udp = props.protocol === "udp";
    const both = props.protocol === "tcp_udp";
    const lbProtocol = both ? Protocol.TCP_UDP : udp ? Protocol.UDP : Protocol.TCP;
    const ipProtocols = both ? ["tcp", "udp"] : [udp ? "udp" : "tcp"];
    const task = new FargateTaskDefinition2(this, "Task", {
      cpu: props.cpu ?? 512,
      memoryLimitMiB: props.memoryMiB ?? 1024,
      runtimePlatform: { cpuArchitecture: CpuArchitecture2.ARM64, operatingSystemFamily: OperatingSystemFamily2.LINUX }
    });
    task.addVolume({ name: "work" });
    task.addVolume({ name: "state" });
    const logGroup = new LogGroup6(this, "Logs", { retention: RetentionDays6.ONE_MONTH });
    const container = task.addContainer("FluentBit", {
      image: ContainerImage2.fromRegistry(AWS_FOR_FLUENT_BIT_IMAGE),
      readonlyRootFilesystem: true,
      logging: LogDrivers2.awsLogs({ logGroup, streamPrefix: props.pipelineName }),
      secrets: { FLUENT_BIT_CONFIG: Secret2.fromSsmParameter(props.config) },
      // The image reads its config from a file; the parameter arrives as a variable.
      entryPoint: ["/bin/sh", "-c"],
      command: ['printf "%s" "$FLUENT_BIT_CONFIG" > /work/fluent-bit.yaml && exec /fluent-bit/bin/fluent-bit -c /work/fluent-bit.yaml'],
      portMappings: [
        ...ipProtocols.map((p) => ({ containerPort: props.port, protocol: p === "udp" ? EcsProtocol.UDP : EcsProtocol.TCP })),
        { containerPort: SYSLOG_HEALTH_PORT, protocol: EcsProtocol.TCP }
      ]
    });
    container.addMountPoints(
      { containerPath: "/work", sourceVolume: "work", readOnly: false },
      { containerPath: AGENT_STATE_DIR, sourceVolume: "state", readOnly: false }
    );
    task.taskRole.addManagedPolicy(props.policy);
    this.securityGroup = new SecurityGroup2(this, "SecurityGroup", {
      vpc: props.vpc,
      description: `Logtong ${props.pipelineName} syslog receivers: reached by the load balancer only`,
      // Outbound to the buffer (S3 / Kinesis / OpenSearch) and ECR over HTTPS; their addresses are AWS's.
      allowAllOutbound: true
    });
    const lbGroupId = props.loadBalancerSecurityGroup.securityGroupId;
    for (const [i, cidr] of props.clientCidrs.entries()) {
      for (const proto of ipProtocols) {
        new CfnSecurityGroupIngress(this, `ClientIngress${i}${both ? proto.toUpperCase() : ""}`, {
          groupId: lbGroupId,
          ipProtocol: proto,
          fromPort: props.port,
          toPort: props.port,
          cidrIp: cidr,
          description: `syslog clients of ${props.pipelineName}`
        });
      }
    }
    const paths = [
      ...ipProtocols.map((proto) => [both ? `Traffic${proto.toUpperCase()}` : "Traffic", proto, props.port]),
      ["Health", "tcp", SYSLOG_HEALTH_PORT]
    ];
    for (const [name, proto, port] of paths) {
      new CfnSecurityGroupEgress(this, `LoadBalancer${name}Egress`, {
        groupId: lbGroupId,
        ipProtocol: proto,
        fromPort: port,
        toPort: port,
        destinationSecurityGroupId: this.securityGroup.securityGroupId,
        description: `to the ${props.pipelineName} receivers`
      });
      new CfnSecurityGroupIngress(this, `Task${name}Ingress`, {
        groupId: this.securityGroup.securityGroupId,
        ipProtocol: proto,
        fromPort: port,
        toPort: port,
        sourceSecurityGroupId: lbGroupId,
        description: "from the syslog load balancer"
      });
    }
    this.service = new FargateService(this, "Service", {
      cluster: props.cluster,
      taskDefinition: task,
      desiredCount: props.minTasks ?? 2,
      vpcSubnets: { subnets: [...props.subnets] },
      securityGroups: [this.securityGroup],
      assignPublicIp: false,
      minHealthyPercent: 100,
      circuitBreaker: { rollback: true }
    });
    const scaling = this.service.autoScaleTaskCount({ minCapacity: props.minTasks ?? 2, maxCapacity: props.maxTasks ?? 6 });
    scaling.scaleOnCpuUtilization("Cpu", { targetUtilizationPercent: 60 });
    const targets = new NetworkTargetGroup(this, "Targets", {
      vpc: props.vpc,
      port: props.port,
      protocol: lbProtocol,
      targetType: TargetType.IP,
      deregistrationDelay: Duration16.seconds(30),
      // Fluent Bit's own health endpoint: a UDP port cannot be probed, and it also fails when outputs keep failing.
      healthCheck: { protocol: Protocol.HTTP, port: String(SYSLOG_HEALTH_PORT), path: "/api/v1/health", interval: Duration16.seconds(10) }
    });
    this.targetGroup = targets;
    targets.addTarget(
      // the task's IP is what an IP target group registers; for tcp_udp its TCP mapping names it
      this.service.loadBalancerTarget({ containerName: container.containerName, containerPort: props.port, protocol: udp ? EcsProtocol.UDP : EcsProtocol.TCP })
    );
    new NetworkListener(this, "Listener", {
      loadBalancer: props.loadBalancer,
      port: props.port,
      protocol: lbProtocol,
      defaultTargetGroups: [targets]
    });
  }
};

// lib/stacks/syslog-shared-stack.ts
var SYSLOG_SHARED_STACK = "LogtongSyslog";
var SyslogSharedStack = class extends Stack11 {
  /** Each pipeline's receivers, by pipeline name. */
  receivers;
  constructor(scope, id, props) {
    super(scope, id, { description: "Logtong: internal load balancer, cluster and receivers of the syslog pipelines", ...props });
    Tags.of(this).add("logtong:shared", "syslog");
    const receivers = /* @__PURE__ */ new Map();
    this.receivers = receivers;
    const network = props.network;
    if (props.receivers.length === 0 || !network) {
      if (props.receivers.length > 0) throw new Error(`${id}: syslog pipelines need the config's syslog network`);
      new CfnWaitConditionHandle(this, "Placeholder");
      return;
    }
    const vpc = importVpc(this, "Vpc", network.vpcId);
    const subnets = importSubnets(this, "", network.subnetIds, "load balancer nodes and task ENIs");
    const loadBalancerSecurityGroup = new SecurityGroup3(this, "LoadBalancerSecurityGroup", {
      vpc,
      description: "Logtong syslog load balancer: each pipeline opens its port to its client CIDRs only",
      allowAllOutbound: false
    });
    const nlb = new NetworkLoadBalancer(this, "LoadBalancer", {
      vpc,
      vpcSubnets: { subnets: [...subnets] },
      internetFacing: false,
      crossZoneEnabled: true,
      securityGroups: [loadBalancerSecurityGroup]
    });
    Validations4.of(nlb).acknowledge({
      id: "AwsSolutions-ELB2",
      reason: "NLB access logs record TLS listeners only; the syslog listeners are plain TCP/UDP, so there is nothing they could log (VPC flow logs are the record for those)."
    });
    const cluster = new Cluster2(this, "Cluster", { vpc, containerInsightsV2: ContainerInsights2.ENABLED });
    new CfnOutput5(this, "LoadBalancerDnsName", {
      value: nlb.loadBalancerDnsName,
      description: "Point syslog clients here (inside the VPC or a connected network), at their pipeline\u2019s port."
    });
    for (const r of props.receivers) {
      const { pipeline: pipeline2 } = r;
      if (pipeline2.source.type !== "syslog") throw new Error(`${id}: pipeline ${pipeline2.name} has no syslog source`);
      const source = pipeline2.source;
      const receiver = new SyslogReceiver(this, pipeline2.name, {
        pipelineName: pipeline2.name,
        protocol: source.protocol,
        port: source.port,
        clientCidrs: source.clientCidrs,
        loadBalancer: nlb,
        loadBalancerSecurityGroup,
        cluster,
        vpc,
        subnets,
        config: r.config,
        policy: r.policy,
        minTasks: source.minTasks,
        maxTasks: source.maxTasks,
        cpu: source.cpu,
        memoryMiB: source.memoryMb
      });
      receivers.set(pipeline2.name, receiver);
      configuredAlarm(receiver, {
        id: RECEIVERS_ALARM_ID,
        pipelineName: pipeline2.name,
        name: "receiversUnhealthy",
        setting: pipeline2.alarms.receiversUnhealthy,
        metric: receiver.targetGroup.metrics.unHealthyHostCount({ statistic: "Maximum" }),
        subject: "Syslog receivers"
      })?.addAlarmAction(new SnsAction2(r.failureTopic));
    }
  }
};

// lib/stacks/pipeline-stack.ts
var PipelineStack = class extends Stack12 {
  pipeline;
  /** The dashboard and alarms; every part adds the rows and alarms of what it creates. */
  monitor;
  /** Alarms and failed jobs notify it. */
  failureTopic;
  /** Sources that run Fluent Bit: their configuration and policy. @default - none (an S3 source) */
  agentConfig;
  constructor(scope, id, props) {
    const { pipeline: pipeline2, ...stackProps } = props;
    super(scope, id, {
      description: pipeline2.description ?? `Logtong pipeline ${pipeline2.name}: ${pipeline2.source.type} \u2192 ${pipeline2.engine.type}`,
      ...stackProps
    });
    this.pipeline = pipeline2;
    Tags2.of(this).add("logtong:pipeline", pipeline2.name);
    const plan = planPipeline(pipeline2);
    this.failureTopic = new FailureTopic(this, "FailureTopic", { pipelineName: pipeline2.name, email: plan.config.notificationEmail });
    Aspects.of(this).add(new NotifyAlarms(this.failureTopic));
    new CfnOutput6(this, "FailureTopicArn", { value: this.failureTopic.topicArn });
    this.monitor = new PipelineMonitor(this, "Monitor", { pipelineName: pipeline2.name, summary: pipelineSummary(pipeline2, plan), alarms: pipeline2.alarms });
    new CfnOutput6(this, "DashboardUrl", { value: this.monitor.dashboardUrl, description: "The CloudWatch dashboard of this pipeline." });
    const accessLogs = new AccessLogBucket(this, "AccessLogBucket");
    new CfnOutput6(this, "AccessLogBucketName", { value: accessLogs.bucketName });
    const agents = plan.engine === "light" ? this.lightEngine(plan, accessLogs) : this.openSearchEngine(plan, accessLogs);
    if (agents) this.agents(agents);
    acknowledgeBucketNotificationsHandler(this);
  }
  /** Returns what the agents of an agent source write to. */
  lightEngine(plan, accessLogs) {
    const ingest = new StagedIngest(this, { pipeline: this.pipeline, intake: plan.intake, accessLogs, monitor: this.monitor });
    const backup = this.backupBucket(accessLogs);
    new LightEngine(this, { pipeline: this.pipeline, config: plan.config, staged: ingest, backup, accessLogs, monitor: this.monitor, failureTopic: this.failureTopic });
    return ingest.agentOutput;
  }
  /** Returns what the agents of an agent source write to. */
  openSearchEngine(plan, accessLogs) {
    const { intake, config } = plan;
    if (!isStaged(intake)) {
      return new OpenSearchEngine(this, { pipeline: this.pipeline, config, backup: this.backupBucket(accessLogs), indexes: intake, monitor: this.monitor }).agentOutput;
    }
    const ingest = new StagedIngest(this, { pipeline: this.pipeline, intake, accessLogs, monitor: this.monitor });
    new OpenSearchEngine(this, { pipeline: this.pipeline, config, backup: this.backupBucket(accessLogs), indexes: ingest, monitor: this.monitor });
    return ingest.agentOutput;
  }
  /**
   * Created after the staged ingest's buckets: the access-log bucket's policy lists the buckets that log to it in the
   * order they are created, and a different order would be a change to deploy.
   */
  backupBucket(accessLogs) {
    const backup = new BackupBucket(this, "BackupBucket", {
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: "backup/",
      retention: Duration17.days(this.pipeline.backupRetentionDays)
    });
    new CfnOutput6(this, "BackupBucketName", { value: backup.bucketName });
    return backup;
  }
  /** The agents' configuration and policy (for a syslog source, what its receivers in SyslogSharedStack run). */
  agents(output) {
    const agent = new AgentConfig(this, "Agent", agentConfigProps(this.pipeline, output, crossAccountAgents(this, this.pipeline)));
    this.agentConfig = agent;
    this.monitor.watchAgents(output.source.type === "syslog" ? "Syslog receivers" : "Agents", agentMetricsSource(this.pipeline.name));
    for (const grant of output.grants) agent.addToPolicy(grant);
    if (agent.instanceProfile) {
      new CfnOutput6(this, "AgentInstanceProfileName", {
        value: agent.instanceProfile.ref,
        description: "Instance profile for new hosts; for existing ones attach AgentPolicyArn to their role instead."
      });
    }
    if (agent.role) new CfnOutput6(this, "AgentRoleArn", { value: agent.role.roleArn });
    new CfnOutput6(this, "AgentPolicyArn", { value: agent.policy.managedPolicyArn });
    new CfnOutput6(this, "AgentConfigParameterName", { value: agent.parameter.parameterName });
    if (output.source.type !== "syslog") return;
    const source = output.source;
    this.monitor.watchReceivers();
    new CfnOutput6(this, "SyslogPort", {
      value: `${source.port}/${source.protocol}`,
      description: `Where this pipeline's syslog clients send (from the configured client CIDRs): this port of the LoadBalancerDnsName output of stack ${SYSLOG_SHARED_STACK}, which runs the receivers.`
    });
  }
};

// lib/app.ts
function buildApp(app, config, options = {}) {
  const account = config.account ?? options.defaultEnv?.account;
  const region = config.region ?? options.defaultEnv?.region;
  const env = account || region ? { account, region } : void 0;
  const stacks = config.pipelines.map((pipeline2) => new PipelineStack(app, `Logtong-${pipeline2.name}`, { pipeline: pipeline2, env }));
  new SyslogSharedStack(app, SYSLOG_SHARED_STACK, {
    network: config.syslog,
    env,
    receivers: stacks.filter((s) => s.pipeline.source.type === "syslog").map((s) => ({ pipeline: s.pipeline, config: s.agentConfig.parameter, policy: s.agentConfig.policy, failureTopic: s.failureTopic }))
  });
  for (const [i, pipeline2] of config.pipelines.entries()) {
    const cross = crossAccountSource(pipeline2, account);
    if (!cross) continue;
    if (!cross.pipelineAccount) {
      throw new ConfigError("pipelines.yaml", [`pipelines[${i}] (${pipeline2.name}).source.account: a bucket in another account needs the pipeline's account known at synth: set \`account\` at the top level or synthesize with credentials of that account`]);
    }
    new SourceAccountStack(app, sourceStackName(pipeline2.name), { source: cross, env: { account: cross.sourceAccount, region } });
  }
  if (options.nag) Validations5.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stacks;
}

// lib/local/aws-emulator.ts
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";

// lib/local/fauxqs.ts
import * as fs from "node:fs";
import * as path7 from "node:path";
var BODY_LIMIT = 256 * 1024 * 1024;
var INTERNALS = {
  buildApp: "app.js",
  SqsStore: "sqs/sqsStore.js",
  SnsStore: "sns/snsStore.js",
  S3Store: "s3/s3Store.js",
  S3Error: "common/errors.js",
  putObject: "s3/actions/putObject.js",
  deleteObject: "s3/actions/deleteObject.js",
  completeMultipartUpload: "s3/actions/completeMultipartUpload.js"
};
var loaded;
async function load() {
  const dir = packageDir("fauxqs");
  const version = JSON.parse(fs.readFileSync(path7.join(dir, "package.json"), "utf8")).version;
  const entries = await Promise.all(
    Object.entries(INTERNALS).map(async ([name, file]) => {
      const exported = (await import(path7.join(dir, "dist", file)))[name];
      if (exported === void 0) throw new Error(`fauxqs ${version}: dist/${file} no longer exports ${name}; review lib/local/fauxqs.ts`);
      return [name, exported];
    })
  );
  return { version, ...Object.fromEntries(entries) };
}
function loadFauxqs() {
  if (!loaded) {
    loaded = load();
    loaded.catch(() => loaded = void 0);
  }
  return loaded;
}
var utf8 = (s) => Buffer.from(s, "utf8");
function byteOrderListing(all, options = {}) {
  const prefix = options.prefix ?? "";
  const delimiter2 = options.delimiter;
  const maxKeys = options.maxKeys ?? 1e3;
  const startAfter = utf8(options.startAfter ?? options.marker ?? "");
  const after = (key) => startAfter.length === 0 || Buffer.compare(utf8(key), startAfter) > 0;
  const sorted = all.filter((o) => o.key.startsWith(prefix)).map((o) => ({ o, bytes: utf8(o.key) })).sort((a, b) => Buffer.compare(a.bytes, b.bytes)).map(({ o }) => o);
  const objects = [];
  const commonPrefixes = /* @__PURE__ */ new Set();
  let isTruncated = false;
  for (const obj of sorted) {
    if (!after(obj.key)) continue;
    const cut = delimiter2 ? obj.key.indexOf(delimiter2, prefix.length) : -1;
    if (cut >= 0) {
      const common = obj.key.slice(0, cut + delimiter2.length);
      if (!after(common) || commonPrefixes.has(common)) continue;
      if (objects.length + commonPrefixes.size >= maxKeys) {
        isTruncated = true;
        break;
      }
      commonPrefixes.add(common);
      continue;
    }
    if (objects.length + commonPrefixes.size >= maxKeys) {
      isTruncated = true;
      break;
    }
    objects.push(obj);
  }
  return { objects, commonPrefixes: [...commonPrefixes].sort((a, b) => Buffer.compare(utf8(a), utf8(b))), isTruncated };
}
function byteOrderS3Store(fq) {
  const store = new fq.S3Store();
  const listAll = store.listObjects.bind(store);
  store.listObjects = (bucket, options = {}) => byteOrderListing(listAll(bucket, { prefix: options.prefix, maxKeys: Number.POSITIVE_INFINITY }).objects, options);
  return store;
}
function raiseBodyLimit(app) {
  app.removeContentTypeParser("*");
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
}

// lib/local/s3-conditions.ts
var unquote = (etag) => etag.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
function writePrecondition(method, current, ifMatch, ifNoneMatch) {
  const failed = [412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"];
  if (ifNoneMatch !== void 0 && method !== "DELETE") {
    if (ifNoneMatch.trim() !== "*") return [501, "NotImplemented", "the S3 emulator takes If-None-Match: * only on writes"];
    if (current !== void 0) return failed;
  }
  if (ifMatch !== void 0) {
    if (current === void 0) return [404, "NoSuchKey", "The specified key does not exist."];
    if (ifMatch.trim() !== "*" && unquote(ifMatch) !== unquote(current)) return failed;
  }
  return void 0;
}

// lib/local/aws-emulator.ts
var xmlUnescape = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
var xmlEscape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
var tagValues = (xml, tag) => [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => xmlUnescape(m[1].trim()));
function parseNotificationXml(xml) {
  const unsupported2 = ["TopicConfiguration", "CloudFunctionConfiguration", "EventBridgeConfiguration"].filter(
    (t) => new RegExp(`<${t}\\b`).test(xml)
  );
  const queues = tagValues(xml, "QueueConfiguration").map((block, i) => {
    const n = {
      id: tagValues(block, "Id")[0] ?? `notification-${i + 1}`,
      queueArn: tagValues(block, "Queue")[0] ?? "",
      events: tagValues(block, "Event")
    };
    for (const rule of tagValues(block, "FilterRule")) {
      const name = (tagValues(rule, "Name")[0] ?? "").toLowerCase();
      const value = tagValues(rule, "Value")[0] ?? "";
      if (name === "prefix") n.prefix = value;
      if (name === "suffix") n.suffix = value;
    }
    return n;
  });
  return { queues, unsupported: unsupported2 };
}
function notificationXml(configs) {
  const body = configs.map((c) => {
    const rules = [
      c.prefix !== void 0 ? `<FilterRule><Name>prefix</Name><Value>${xmlEscape(c.prefix)}</Value></FilterRule>` : "",
      c.suffix !== void 0 ? `<FilterRule><Name>suffix</Name><Value>${xmlEscape(c.suffix)}</Value></FilterRule>` : ""
    ].join("");
    return `<QueueConfiguration><Id>${xmlEscape(c.id)}</Id><Queue>${xmlEscape(c.queueArn)}</Queue>` + c.events.map((e) => `<Event>${xmlEscape(e)}</Event>`).join("") + (rules ? `<Filter><S3Key>${rules}</S3Key></Filter>` : "") + `</QueueConfiguration>`;
  }).join("");
  return `<?xml version="1.0" encoding="UTF-8"?><NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body}</NotificationConfiguration>`;
}
var eventMatches = (pattern, eventName) => {
  const p = pattern.replace(/^s3:/, "");
  return p.endsWith(":*") ? eventName.startsWith(p.slice(0, -1)) : p === eventName;
};
var encodeEventKey = (key) => encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+");
var header = (req, name) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};
var bodyText = (body) => Buffer.isBuffer(body) ? body.toString("utf8") : typeof body === "string" ? body : "";
function parseTagSetXml(xml) {
  return tagValues(xml, "Tag").map((t) => ({ Key: tagValues(t, "Key")[0] ?? "", Value: tagValues(t, "Value")[0] ?? "" }));
}
function tagSetXml(tags) {
  const body = tags.map((t) => `<Tag><Key>${xmlEscape(t.Key)}</Key><Value>${xmlEscape(t.Value)}</Value></Tag>`).join("");
  return `<?xml version="1.0" encoding="UTF-8"?><Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>${body}</TagSet></Tagging>`;
}
var parseTagHeader = (h) => [...new URLSearchParams(h)].map(([Key2, Value]) => ({ Key: Key2, Value }));
async function startAwsEmulator(opts = {}) {
  const fq = await loadFauxqs();
  const region = opts.region ?? "us-east-1";
  const sqsStore = new fq.SqsStore();
  sqsStore.host = "";
  const s3Store = byteOrderS3Store(fq);
  const app = fq.buildApp({
    logger: false,
    defaultRegion: region,
    stores: { sqsStore, snsStore: new fq.SnsStore(), s3Store }
  });
  raiseBodyLimit(app);
  const notifications = /* @__PURE__ */ new Map();
  let sequencer = 0;
  const sendS3Error = (reply, err) => {
    if (err instanceof fq.S3Error) {
      return reply.status(err.statusCode).header("content-type", "application/xml").send(err.toXml());
    }
    throw err;
  };
  const faults = /* @__PURE__ */ new Set();
  const holds = /* @__PURE__ */ new Set();
  const tags = /* @__PURE__ */ new Map();
  const objectId = (bucket, key) => `${bucket}/${key}`;
  app.addHook("preHandler", async (req, reply) => {
    const bucket = req.params.bucket;
    if (!bucket) return;
    const key = req.params["*"] ?? "";
    const q = req.query ?? {};
    const info = { method: req.method, bucket, key, copySource: header(req, "x-amz-copy-source") };
    for (const hold2 of holds) {
      if (!hold2.match(info)) continue;
      hold2.arrive();
      await hold2.gate;
    }
    for (const match of faults) {
      if (match(info)) {
        return sendS3Error(reply, new fq.S3Error("AccessDenied", "Access Denied (fault injected by the test)", 403));
      }
    }
    const sourceIfMatch = header(req, "x-amz-copy-source-if-match");
    const source = header(req, "x-amz-copy-source");
    if (req.method === "PUT" && key && source && sourceIfMatch !== void 0) {
      try {
        const src = decodeURIComponent(source.split("?")[0]).replace(/^\//, "");
        const slash = src.indexOf("/");
        const current = s3Store.getObject(src.slice(0, slash), src.slice(slash + 1)).etag;
        if (sourceIfMatch.replace(/"/g, "").trim() !== current.replace(/"/g, "")) {
          throw new fq.S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412);
        }
      } catch (err) {
        return sendS3Error(reply, err);
      }
    }
    const ifMatch = header(req, "if-match");
    const ifNoneMatch = header(req, "if-none-match");
    const write = req.method === "PUT" && !q.uploadId || req.method === "POST" && q.uploadId || req.method === "DELETE";
    const conditional = ifMatch !== void 0 || ifNoneMatch !== void 0 && req.method !== "DELETE";
    if (key && write && conditional && !("tagging" in q) && !(req.method === "DELETE" && q.uploadId)) {
      try {
        if (!s3Store.hasBucket(bucket)) throw new fq.S3Error("NoSuchBucket", "The specified bucket does not exist", 404);
        let current;
        try {
          current = s3Store.getObject(bucket, key).etag;
        } catch {
          current = void 0;
        }
        const refused = writePrecondition(req.method, current, ifMatch, ifNoneMatch);
        if (refused) throw new fq.S3Error(refused[1], refused[2], refused[0]);
        if (req.method === "PUT") fq.putObject(req, reply, s3Store);
        else if (req.method === "POST") fq.completeMultipartUpload(req, reply, s3Store);
        else fq.deleteObject(req, reply, s3Store);
        return reply;
      } catch (err) {
        return sendS3Error(reply, err);
      }
    }
    if (key && "tagging" in q) {
      try {
        s3Store.getObject(bucket, key);
      } catch (err) {
        return sendS3Error(reply, err);
      }
      const id = objectId(bucket, key);
      if (req.method === "PUT") {
        tags.set(id, parseTagSetXml(bodyText(req.body)));
        return reply.status(200).send();
      }
      if (req.method === "GET") return reply.status(200).header("content-type", "application/xml").send(tagSetXml(tags.get(id) ?? []));
      if (req.method === "DELETE") {
        tags.delete(id);
        return reply.status(204).send();
      }
    }
    const copySource = header(req, "x-amz-copy-source");
    if (req.method === "PUT" && key && q.uploadId && q.partNumber && copySource) {
      try {
        const src = decodeURIComponent(copySource.split("?")[0]).replace(/^\//, "");
        const slash = src.indexOf("/");
        const obj = s3Store.getObject(src.slice(0, slash), src.slice(slash + 1));
        let data = obj.body;
        const range = header(req, "x-amz-copy-source-range");
        if (range) {
          const m = /^bytes=(\d+)-(\d+)$/.exec(range);
          if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= obj.body.length) {
            throw new fq.S3Error("InvalidArgument", `Range specified is not valid for source object of size: ${obj.body.length}`, 400);
          }
          data = obj.body.subarray(Number(m[1]), Number(m[2]) + 1);
        }
        const etag = s3Store.uploadPart(q.uploadId, Number(q.partNumber), Buffer.from(data));
        const xml = `<?xml version="1.0" encoding="UTF-8"?><CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>${(/* @__PURE__ */ new Date()).toISOString()}</LastModified><ETag>${xmlEscape(etag)}</ETag></CopyPartResult>`;
        return reply.status(200).header("content-type", "application/xml").send(xml);
      } catch (err) {
        return sendS3Error(reply, err);
      }
    }
    if (!key && "notification" in q) {
      if (!s3Store.hasBucket(bucket)) {
        return sendS3Error(reply, new fq.S3Error("NoSuchBucket", "The specified bucket does not exist", 404));
      }
      if (req.method === "GET") {
        return reply.status(200).header("content-type", "application/xml").send(notificationXml(notifications.get(bucket) ?? []));
      }
      if (req.method === "PUT") {
        const { queues, unsupported: unsupported2 } = parseNotificationXml(bodyText(req.body));
        if (unsupported2.length) {
          return sendS3Error(
            reply,
            new fq.S3Error("NotImplemented", `the S3 emulator supports QueueConfiguration only, got ${unsupported2.join(", ")}`, 501)
          );
        }
        const skipValidation = header(req, "x-amz-skip-destination-validation") === "true";
        const missing = queues.filter((c) => !sqsStore.getQueueByArn(c.queueArn)).map((c) => c.queueArn);
        if (missing.length && !skipValidation) {
          return sendS3Error(
            reply,
            new fq.S3Error("InvalidArgument", `Unable to validate the following destination configurations: ${missing.join(", ")}`, 400)
          );
        }
        notifications.set(bucket, queues);
        return reply.status(200).send();
      }
    }
    return;
  });
  app.addHook("onSend", async (req, reply, payload) => {
    const bucket = req.params.bucket;
    const key = req.params["*"] ?? "";
    const q = req.query ?? {};
    if (!bucket || reply.statusCode >= 300 || "tagging" in q) return payload;
    if (req.method === "PUT" && key && !q.uploadId) {
      const copySource = header(req, "x-amz-copy-source");
      const given = header(req, "x-amz-tagging");
      if (copySource && (header(req, "x-amz-tagging-directive") ?? "COPY").toUpperCase() === "COPY") {
        const src = decodeURIComponent(copySource.split("?")[0]).replace(/^\//, "");
        const from = tags.get(src);
        if (from) tags.set(objectId(bucket, key), from);
        else tags.delete(objectId(bucket, key));
      } else if (given) tags.set(objectId(bucket, key), parseTagHeader(given));
      else tags.delete(objectId(bucket, key));
    } else if (req.method === "POST" && key && q.uploadId || req.method === "DELETE" && key && !q.uploadId) {
      tags.delete(objectId(bucket, key));
    } else if (req.method === "POST" && "delete" in q) {
      for (const k of tagValues(bodyText(req.body), "Key")) tags.delete(objectId(bucket, k));
    }
    return payload;
  });
  app.addHook("onResponse", async (req, reply) => {
    const bucket = req.params.bucket;
    const configs = bucket ? notifications.get(bucket) : void 0;
    if (!bucket || !configs?.length || reply.statusCode >= 300) return;
    const key = req.params["*"] ?? "";
    const q = req.query ?? {};
    if ("tagging" in q) return;
    const events = [];
    if (req.method === "PUT" && key && !q.uploadId) {
      events.push({ eventName: header(req, "x-amz-copy-source") ? "ObjectCreated:Copy" : "ObjectCreated:Put", key });
    } else if (req.method === "POST" && key && q.uploadId) {
      events.push({ eventName: "ObjectCreated:CompleteMultipartUpload", key });
    } else if (req.method === "DELETE" && key && !q.uploadId) {
      events.push({ eventName: "ObjectRemoved:Delete", key });
    } else if (req.method === "POST" && "delete" in q) {
      for (const k of tagValues(bodyText(req.body), "Key")) events.push({ eventName: "ObjectRemoved:Delete", key: k });
    }
    for (const ev of events) {
      let size;
      let eTag;
      if (ev.eventName.startsWith("ObjectCreated")) {
        try {
          const obj = s3Store.getObject(bucket, ev.key);
          size = obj.contentLength;
          eTag = obj.etag.replace(/"/g, "");
        } catch {
          continue;
        }
      }
      for (const c of configs) {
        if (!c.events.some((p) => eventMatches(p, ev.eventName))) continue;
        if (c.prefix !== void 0 && !ev.key.startsWith(c.prefix)) continue;
        if (c.suffix !== void 0 && !ev.key.endsWith(c.suffix)) continue;
        const queue = sqsStore.getQueueByArn(c.queueArn);
        if (!queue) continue;
        const record = {
          eventVersion: "2.1",
          eventSource: "aws:s3",
          awsRegion: region,
          eventTime: (/* @__PURE__ */ new Date()).toISOString(),
          eventName: ev.eventName,
          userIdentity: { principalId: "AWS:000000000000" },
          requestParameters: { sourceIPAddress: "127.0.0.1" },
          responseElements: { "x-amz-request-id": "FAUXQS", "x-amz-id-2": "fauxqs" },
          s3: {
            s3SchemaVersion: "1.0",
            configurationId: c.id,
            bucket: { name: bucket, ownerIdentity: { principalId: "000000000000" }, arn: `arn:aws:s3:::${bucket}` },
            object: {
              key: encodeEventKey(ev.key),
              ...size !== void 0 ? { size, eTag } : {},
              sequencer: (++sequencer).toString(16).toUpperCase().padStart(16, "0")
            }
          }
        };
        queue.enqueue(fq.SqsStore.createMessage(JSON.stringify({ Records: [record] })));
      }
    }
  });
  const listening = await app.listen({ port: 0, host: "127.0.0.1" });
  const endpoint = `http://127.0.0.1:${new URL(listening).port}`;
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  const s3 = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
  const sqs = new SQSClient({ endpoint, region, credentials });
  let stopped = false;
  return {
    endpoint,
    region,
    s3,
    sqs,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_SQS: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      LOGTONG_S3_FORCE_PATH_STYLE: "true"
    },
    failS3(match) {
      faults.add(match);
      return () => faults.delete(match);
    },
    holdS3(match) {
      let open;
      let count = 0;
      const waiters = [];
      const arrived = (n) => new Promise((resolve7) => {
        if (count >= n) resolve7();
        else waiters.push({ n, resolve: resolve7 });
      });
      const arrive = () => {
        count++;
        for (const w of waiters.filter((x) => count >= x.n)) w.resolve();
      };
      const hold2 = { match, arrive, gate: new Promise((resolve7) => open = resolve7) };
      holds.add(hold2);
      return {
        reached: arrived(1),
        arrived,
        release() {
          holds.delete(hold2);
          open();
        }
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      s3.destroy();
      sqs.destroy();
      await app.close();
    }
  };
}

// lib/local/local-stack.ts
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand as GetQueueAttributesCommand2, SendMessageCommand } from "@aws-sdk/client-sqs";
import { spawn as spawn3 } from "node:child_process";
import * as path11 from "node:path";

// lib/local/function-host.ts
import { spawn } from "node:child_process";
import * as path8 from "node:path";
var FunctionError = class extends Error {
  constructor(functionName, errorType, message) {
    super(`${functionName}: ${errorType}: ${message}`);
    this.functionName = functionName;
    this.errorType = errorType;
    this.name = "FunctionError";
  }
  functionName;
  errorType;
};
var HOST_PROGRAM = `
const [entry, handlerName] = process.argv.slice(1);
let handler;
process.on('message', async ({ id, event, context }) => {
  try {
    handler ??= require(entry)[handlerName];
    if (typeof handler !== 'function') throw new Error(entry + ' exports no function ' + handlerName);
    const deadline = Date.now() + context.remainingMs;
    const ctx = { ...context, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()), done() {}, fail() {}, succeed() {} };
    const result = await handler(event, ctx);
    process.send({ id, ok: true, result: result === undefined ? null : result });
  } catch (e) {
    process.send({ id, ok: false, errorType: (e && e.name) || 'Error', message: (e && e.message) || String(e) });
  }
});
`;
var PASSED = ["PATH", "HOME", "TMPDIR", "LANG", "TZ"];
function eachLine(stream, fn) {
  let rest = "";
  stream.setEncoding("utf8");
  stream.on("data", (d) => {
    const parts = (rest + d).split("\n");
    rest = parts.pop();
    for (const l of parts) if (l) fn(l);
  });
}
function startFunction(o) {
  const timeoutMs = (o.timeoutSeconds ?? 300) * 1e3;
  let child;
  let next = 0;
  const spawnChild = () => {
    const base = Object.fromEntries(PASSED.filter((k) => process.env[k] !== void 0).map((k) => [k, process.env[k]]));
    const c = spawn(process.execPath, ["--enable-source-maps", "-e", HOST_PROGRAM, o.entry, o.handlerName ?? "handler"], {
      env: { ...base, ...o.modulePaths?.length ? { NODE_PATH: o.modulePaths.join(path8.delimiter) } : {}, ...o.environment },
      stdio: ["ignore", "pipe", "pipe", "ipc"]
    });
    const log = (l) => o.onLog?.(l);
    eachLine(c.stdout, log);
    eachLine(c.stderr, log);
    const pending = /* @__PURE__ */ new Map();
    c.on("message", (m) => {
      const p = pending.get(m.id);
      if (!p) return;
      clearTimeout(p.timer);
      pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new FunctionError(o.name, m.errorType ?? "Error", m.message ?? ""));
    });
    const runtime = { proc: c, pending };
    c.on("exit", (code, signal) => {
      if (child === runtime) child = void 0;
      for (const [id, p] of pending) {
        clearTimeout(p.timer);
        pending.delete(id);
        p.reject(new FunctionError(o.name, "Runtime.ExitError", `the function's process exited (${signal ?? code}) during the invocation`));
      }
    });
    return runtime;
  };
  return {
    name: o.name,
    invoke(event) {
      child ??= spawnChild();
      const runtime = child;
      const { proc: c, pending } = runtime;
      const id = next++;
      return new Promise((resolve7, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new FunctionError(o.name, "Sandbox.Timedout", `Task timed out after ${timeoutMs / 1e3} seconds`));
          if (child === runtime) child = void 0;
          c.kill("SIGKILL");
        }, timeoutMs);
        pending.set(id, { resolve: resolve7, reject, timer });
        c.send({ id, event, context: { functionName: o.name, functionVersion: "$LATEST", awsRequestId: `local-${o.name}-${id}`, invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${o.name}`, memoryLimitInMB: "1024", logGroupName: `/aws/lambda/${o.name}`, logStreamName: "local", callbackWaitsForEmptyEventLoop: false, remainingMs: timeoutMs } });
      });
    },
    async stop() {
      const c = child?.proc;
      child = void 0;
      if (!c || c.exitCode !== null) return;
      await new Promise((resolve7) => {
        c.once("exit", () => resolve7());
        c.kill("SIGTERM");
      });
    }
  };
}

// lib/local/kinesis-lambda.ts
import { randomUUID } from "node:crypto";

// lib/local/kinesis.ts
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { spawn as spawn2 } from "node:child_process";
import * as fs2 from "node:fs";
import * as os2 from "node:os";
import * as path9 from "node:path";

// lib/local/net.ts
import * as dgram from "node:dgram";
import * as net from "node:net";
function hold(kind) {
  return new Promise((resolve7, reject) => {
    if (kind === "tcp") {
      const srv = net.createServer();
      srv.unref();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => resolve7({ port: srv.address().port, close: () => new Promise((r) => srv.close(() => r())) }));
    } else {
      const sock = dgram.createSocket("udp4");
      sock.unref();
      sock.once("error", reject);
      sock.bind(0, "127.0.0.1", () => resolve7({ port: sock.address().port, close: () => new Promise((r) => sock.close(() => r())) }));
    }
  });
}
async function freePorts(n, kind = "tcp") {
  const held = [];
  try {
    for (let i = 0; i < n; i++) held.push(await hold(kind));
    return held.map((h) => h.port);
  } finally {
    await Promise.all(held.map((h) => h.close()));
  }
}
async function freePort(kind = "tcp") {
  return (await freePorts(1, kind))[0];
}

// lib/local/kinesis.ts
async function startKinesis() {
  const dir = packageDir("kinesis-local");
  const [plain, tls] = await freePorts(2);
  const child = spawn2(process.execPath, [path9.join(dir, "main.js")], {
    env: { ...process.env, KINESIS_MOCK_PLAIN_PORT: String(plain), KINESIS_MOCK_TLS_PORT: String(tls), KINESIS_MOCK_CERT_PATH: path9.join(dir, "server.json"), LOG_LEVEL: "WARN", CREATE_STREAM_DURATION: "0ms", SHOULD_PERSIST_DATA: "false" },
    stdio: ["ignore", "ignore", "pipe"]
  });
  let stderr = "";
  child.stderr.on("data", (d) => stderr += d);
  const endpoint = `http://127.0.0.1:${plain}`;
  const deadline = Date.now() + 3e4;
  for (; ; ) {
    if (child.exitCode !== null) throw new Error(`kinesis-local exited: ${stderr}`);
    const up = await fetch(endpoint, { method: "POST" }).then(() => true, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`kinesis-local did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const certificateFile = path9.join(fs2.mkdtempSync(path9.join(os2.tmpdir(), "logtong-kinesis-")), "server.pem");
  fs2.writeFileSync(certificateFile, JSON.parse(fs2.readFileSync(path9.join(dir, "server.json"), "utf8")).server.cert);
  const client = new KinesisClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, requestHandler: new NodeHttpHandler() });
  return {
    endpoint,
    tlsPort: tls,
    certificateFile,
    client,
    async createStream(name, shards) {
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      for (; ; ) {
        const d = (await client.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary;
        if (d.StreamStatus === "ACTIVE") return d.StreamARN;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => new Promise((resolve7) => {
      client.destroy();
      if (child.exitCode !== null) return resolve7();
      const t = setTimeout(() => child.kill("SIGKILL"), 5e3);
      child.once("exit", () => {
        clearTimeout(t);
        resolve7();
      });
      child.kill("SIGTERM");
    })
  };
}
async function readStream(kinesis, streamArn, after = /* @__PURE__ */ new Map(), opts = {}) {
  const out = /* @__PURE__ */ new Map();
  const max = opts.maxPerShard ?? Infinity;
  const region = streamArn.split(":")[3] || "us-east-1";
  const shards = (await kinesis.send(new ListShardsCommand({ StreamARN: streamArn }))).Shards;
  for (const s of shards) {
    const shardId = s.ShardId;
    const from = after.get(shardId);
    let it = (await kinesis.send(
      new GetShardIteratorCommand({ StreamARN: streamArn, ShardId: shardId, ...from ? { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: from } : { ShardIteratorType: "TRIM_HORIZON" } })
    )).ShardIterator;
    const recs = [];
    while (it && recs.length < max) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: it, Limit: Math.min(1e4, max - recs.length) }));
      for (const r of page.Records ?? []) {
        recs.push({
          awsRegion: region,
          eventID: `${shardId}:${r.SequenceNumber}`,
          eventName: "aws:kinesis:record",
          eventSource: "aws:kinesis",
          eventSourceARN: streamArn,
          eventVersion: "1.0",
          invokeIdentityArn: "arn:aws:iam::000000000000:role/processor",
          kinesis: {
            kinesisSchemaVersion: "1.0",
            partitionKey: r.PartitionKey,
            sequenceNumber: r.SequenceNumber,
            data: Buffer.from(r.Data).toString("base64"),
            approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1e3
          }
        });
      }
      if ((page.Records ?? []).length === 0 && page.MillisBehindLatest === 0) break;
      it = page.NextShardIterator;
    }
    out.set(shardId, recs);
  }
  return out;
}

// lib/local/sqs-lambda.ts
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
var lambdaContext = (name) => ({
  functionName: name,
  functionVersion: "$LATEST",
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
  memoryLimitInMB: "1024",
  awsRequestId: `req-${Date.now()}`,
  logGroupName: `/aws/lambda/${name}`,
  logStreamName: "local",
  callbackWaitsForEmptyEventLoop: false,
  getRemainingTimeInMillis: () => 3e5,
  done: () => void 0,
  fail: () => void 0,
  succeed: () => void 0
});
async function queueArn(sqs, queueUrl) {
  const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  return res.Attributes?.QueueArn ?? `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split("/").pop()}`;
}
async function pollOnce(sqs, queueUrl, handler, name, batchSize = 10) {
  const res = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: batchSize, WaitTimeSeconds: 0, MessageSystemAttributeNames: ["All"], MessageAttributeNames: ["All"] })
  );
  const messages = res.Messages ?? [];
  if (messages.length === 0) return { received: 0, failed: 0 };
  const arn = await queueArn(sqs, queueUrl);
  const event = {
    Records: messages.map((m) => ({
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body ?? "",
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? "AIDATEST",
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now())
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: arn,
      awsRegion: "us-east-1"
    }))
  };
  let failedIds;
  try {
    const out = await handler(event, lambdaContext(name));
    failedIds = new Set((out?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  } catch {
    failedIds = new Set(messages.map((m) => m.MessageId));
  }
  const done = messages.filter((m) => !failedIds.has(m.MessageId));
  if (done.length > 0) {
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
  }
  return { received: messages.length, failed: failedIds.size };
}

// lib/local/kinesis-lambda.ts
var LOCAL_INFINITE_RETRIES = 10;
function kinesisMapping(o) {
  const checkpoints = /* @__PURE__ */ new Map();
  const maxRetries = o.maximumRetryAttempts < 0 ? LOCAL_INFINITE_RETRIES : o.maximumRetryAttempts;
  const [, , , region, account] = o.streamArn.split(":");
  const invoke = async (batch) => {
    let out;
    try {
      out = await o.handler({ Records: [...batch] }, lambdaContext(o.functionName));
    } catch {
      return { kind: "error" };
    }
    const failures = o.reportBatchItemFailures ? out?.batchItemFailures ?? [] : [];
    if (failures.length === 0) return { kind: "done" };
    const at = failures.map((f) => batch.findIndex((r) => r.kinesis.sequenceNumber === f?.itemIdentifier));
    return { kind: "partial", retryFrom: at.some((i) => i < 0) ? 0 : Math.min(...at) };
  };
  const giveUp = async (shardId, batch, invocations, last) => {
    const arrival = (r) => new Date(r.kinesis.approximateArrivalTimestamp * 1e3).toISOString();
    await o.onFailure?.({
      requestContext: { requestId: randomUUID(), functionArn: `arn:aws:lambda:${region}:${account}:function:${o.functionName}`, condition: "RetryAttemptsExhausted", approximateInvokeCount: invocations },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", ...last.kind === "error" ? { functionError: "Unhandled" } : {} },
      version: "1.0",
      timestamp: (/* @__PURE__ */ new Date()).toISOString(),
      KinesisBatchInfo: {
        shardId,
        startSequenceNumber: batch[0].kinesis.sequenceNumber,
        endSequenceNumber: batch[batch.length - 1].kinesis.sequenceNumber,
        approximateArrivalOfFirstRecord: arrival(batch[0]),
        approximateArrivalOfLastRecord: arrival(batch[batch.length - 1]),
        batchSize: batch.length,
        streamArn: o.streamArn
      }
    });
  };
  const deliver = async (shardId, batch, retries) => {
    const outcome = await invoke(batch);
    if (outcome.kind === "done") return 0;
    if (outcome.kind === "error" && o.bisectBatchOnFunctionError && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      return await deliver(shardId, batch.slice(0, half), retries) + await deliver(shardId, batch.slice(half), retries);
    }
    const rest = outcome.kind === "partial" ? batch.slice(outcome.retryFrom) : batch;
    if (retries >= maxRetries) {
      await giveUp(shardId, rest, retries + 1, outcome);
      return rest.length;
    }
    return deliver(shardId, rest, retries + 1);
  };
  return {
    checkpoints,
    async pollOnce() {
      const byShard = await readStream(o.kinesis, o.streamArn, checkpoints, { maxPerShard: o.batchSize });
      const total = { received: 0, failed: 0 };
      for (const [shardId, batch] of byShard) {
        if (batch.length === 0) continue;
        total.failed += await deliver(shardId, batch, 0);
        total.received += batch.length;
        checkpoints.set(shardId, batch[batch.length - 1].kinesis.sequenceNumber);
      }
      return total;
    }
  };
}

// lib/local/local-sfn.ts
import { randomUUID as randomUUID2 } from "node:crypto";

// lib/local/intrinsics.ts
var NO_VALUE = /* @__PURE__ */ Symbol("AWS::NoValue");
function evaluateIntrinsics(v, names, at = "value") {
  const ref2 = (name, where) => name === "AWS::NoValue" ? NO_VALUE : names.ref(name, where);
  const sub = (text, vars, where) => text.replace(/\$\{(!?)([^}]*)\}/g, (_m, bang, name) => {
    if (bang) return "${" + name + "}";
    if (name in vars) return String(vars[name]);
    const dot = name.indexOf(".");
    if (dot > 0 && !name.startsWith("AWS::")) return String(names.getAtt(name.slice(0, dot), name.slice(dot + 1), where));
    return String(ref2(name, where));
  });
  const go = (x, where) => {
    if (Array.isArray(x)) return x.map((y, i) => go(y, `${where}[${i}]`)).filter((y) => y !== NO_VALUE);
    if (x === null || typeof x !== "object") return x;
    const entries = Object.entries(x);
    if (entries.length === 1 && (entries[0][0] === "Ref" || entries[0][0].startsWith("Fn::"))) {
      const [fn, arg] = entries[0];
      const a = arg;
      switch (fn) {
        case "Ref":
          return ref2(String(a), where);
        case "Fn::GetAtt": {
          const [id, attr] = Array.isArray(a) ? a : String(a).split(/\.(.*)/s);
          return names.getAtt(id, String(go(attr, where)), where);
        }
        case "Fn::Join":
          return go(a[1], where).map(String).join(a[0]);
        case "Fn::Sub":
          return Array.isArray(a) ? sub(a[0], go(a[1], where), where) : sub(a, {}, where);
        case "Fn::Select":
          return go(a[1], where)[Number(go(a[0], where))];
        case "Fn::Split":
          return String(go(a[1], where)).split(a[0]);
        case "Fn::FindInMap": {
          const [m, k1, k2] = a.map((y) => go(y, where));
          if (!names.mapping) throw new Error(`${where}: Fn::FindInMap is not supported here`);
          return names.mapping(m, k1, k2);
        }
        case "Fn::ImportValue":
          if (!names.importValue) throw new Error(`${where}: Fn::ImportValue is not supported here`);
          return names.importValue(String(go(a, where)), where);
        case "Fn::GetAZs": {
          const region = String(ref2("AWS::Region", where));
          return ["a", "b", "c"].map((z) => `${region}${z}`);
        }
        case "Fn::Base64":
          return Buffer.from(String(go(a, where))).toString("base64");
        default:
          throw new Error(`${where}: ${fn} is not supported`);
      }
    }
    const out = {};
    for (const [k, val] of entries) {
      const r = go(val, `${where}.${k}`);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  };
  return go(v, at);
}

// lib/local/template.ts
import { PutBucketNotificationConfigurationCommand } from "@aws-sdk/client-s3";

// lib/local/stack-resources.ts
import * as path10 from "node:path";
function referencedId(v) {
  if (!v || typeof v !== "object") return void 0;
  const o = v;
  if (typeof o.Ref === "string") return o.Ref;
  const att = o["Fn::GetAtt"];
  if (Array.isArray(att) && typeof att[0] === "string") return att[0];
  if (typeof att === "string") return att.split(".")[0];
  return void 0;
}
function need(id, what, v) {
  if (v === void 0) throw new Error(`${id}: ${what} is not a reference to a resource of the stack`);
  return v;
}
function entryOf(assembly, r) {
  const key = r.Properties?.Code?.S3Key;
  const handler = r.Properties?.Handler;
  if (typeof key !== "string" || typeof handler !== "string" || !String(r.Properties?.Runtime ?? "").startsWith("nodejs")) return void 0;
  const dot = handler.lastIndexOf(".");
  return { entry: path10.join(assembly, `asset.${key.replace(/\.zip$/, "")}`, `${handler.slice(0, dot)}.js`), handlerName: handler.slice(dot + 1) };
}
function stackResources(template, assembly) {
  const all = Object.entries(template.Resources);
  const of = (type) => all.filter(([, r]) => r.Type === type);
  const functions = [];
  for (const [id, r] of of("AWS::Lambda::Function")) {
    const code = entryOf(assembly, r);
    if (!code) continue;
    functions.push({ id, ...code, environment: { ...r.Properties?.Environment?.Variables ?? {} }, timeoutSeconds: Number(r.Properties?.Timeout ?? 3) });
  }
  const fnIds = new Set(functions.map((f) => f.id));
  const queueIds = new Set(of("AWS::SQS::Queue").map(([id]) => id));
  const streamIds = new Set(of("AWS::Kinesis::Stream").map(([id]) => id));
  const mappings = of("AWS::Lambda::EventSourceMapping").map(([id, r]) => {
    const p = r.Properties ?? {};
    const functionId = need(id, "FunctionName", referencedId(p.FunctionName));
    const sourceId = need(id, "EventSourceArn", referencedId(p.EventSourceArn));
    const type = queueIds.has(sourceId) ? "sqs" : streamIds.has(sourceId) ? "kinesis" : void 0;
    if (!type || !fnIds.has(functionId)) throw new Error(`${id}: maps ${sourceId} to ${functionId}, which the stack does not define as a queue or stream and a Node.js function`);
    const onFailure = referencedId(p.DestinationConfig?.OnFailure?.Destination);
    return {
      id,
      functionId,
      source: { type, id: sourceId },
      batchSize: Number(p.BatchSize ?? (type === "sqs" ? 10 : 100)),
      reportBatchItemFailures: (p.FunctionResponseTypes ?? []).includes("ReportBatchItemFailures"),
      maximumRetryAttempts: Number(p.MaximumRetryAttempts ?? -1),
      bisectBatchOnFunctionError: p.BisectBatchOnFunctionError === true || p.BisectBatchOnFunctionError === "true",
      ...onFailure ? { onFailureQueue: onFailure } : {}
    };
  });
  const notifications = of("Custom::S3BucketNotifications").flatMap(([id, r]) => {
    const p = r.Properties ?? {};
    const bucketId = referencedId(p.BucketName);
    const bucket = bucketId ? { id: bucketId } : typeof p.BucketName === "string" ? { name: p.BucketName } : void 0;
    if (!bucket) throw new Error(`${id}: BucketName ${JSON.stringify(p.BucketName)} is neither a bucket of the stack nor a name`);
    return (p.NotificationConfiguration?.QueueConfigurations ?? []).map(
      (q) => ({ bucket, queueId: need(id, "QueueArn", referencedId(q.QueueArn)), events: q.Events ?? [], filterRules: q.Filter?.Key?.FilterRules ?? [] })
    );
  });
  const providerOf = (fnId) => {
    const framework = template.Resources[fnId];
    const user = referencedId(framework?.Properties?.Environment?.Variables?.USER_ON_EVENT_FUNCTION_ARN);
    return user ?? fnId;
  };
  const customResources = all.filter(([, r]) => r.Type.startsWith("Custom::") && r.Type !== "Custom::S3BucketNotifications" && r.Type !== "Custom::AWS").map(([id, r]) => {
    const { ServiceToken, ...properties } = r.Properties ?? {};
    const functionId = providerOf(need(id, "ServiceToken", referencedId(ServiceToken)));
    if (!fnIds.has(functionId)) throw new Error(`${id}: its provider ${functionId} is not a Node.js function of the stack`);
    return { id, type: r.Type, functionId, properties };
  });
  return {
    stateMachines: of("AWS::StepFunctions::StateMachine").map(([id]) => id),
    tasks: of("AWS::ECS::TaskDefinition").map(([id, r]) => ({
      id,
      environment: Object.fromEntries((r.Properties?.ContainerDefinitions?.[0]?.Environment ?? []).map((e) => [e.Name, e.Value]))
    })),
    tables: of("AWS::Glue::Table").map(([id, r]) => ({ id, databaseName: r.Properties?.DatabaseName, tableInput: r.Properties?.TableInput ?? {} })),
    buckets: of("AWS::S3::Bucket").map(([id]) => id),
    queues: of("AWS::SQS::Queue").map(([id, r]) => {
      const redrive = r.Properties?.RedrivePolicy;
      const dlq = referencedId(redrive?.deadLetterTargetArn);
      return {
        id,
        visibilityTimeoutSeconds: Number(r.Properties?.VisibilityTimeout ?? 30),
        ...dlq ? { redrive: { deadLetterQueue: dlq, maxReceiveCount: Number(redrive.maxReceiveCount) } } : {}
      };
    }),
    streams: of("AWS::Kinesis::Stream").map(([id, r]) => ({ id, shards: Number(r.Properties?.ShardCount ?? 1) })),
    functions,
    mappings,
    notifications,
    customResources
  };
}
function resolve4(v, names, where = "value") {
  const fail = (at, what) => {
    throw new Error(`${at}: ${what} has no local value`);
  };
  return evaluateIntrinsics(
    v,
    {
      ref: (id, at) => (id.startsWith("AWS::") ? names.pseudo(id) : names.ref(id)) ?? fail(at, `Ref ${id}`),
      getAtt: (id, attr, at) => names.attribute(id, attr) ?? fail(at, `Fn::GetAtt ${id}.${attr}`)
    },
    where
  );
}

// lib/local/template.ts
function matchesLogicalId(logicalId, key) {
  return logicalId === key || logicalId.length === key.length + 8 && logicalId.startsWith(key) && /^[0-9A-F]{8}$/.test(logicalId.slice(key.length));
}
function queueNotification(n) {
  return { queue: n.queueId.replace(/[0-9A-F]{8}$/, ""), events: [...n.events], rules: n.filterRules.map((r) => ({ Name: r.Name, Value: r.Value })) };
}
async function applyNotifications(s3, sqs, bucket, notifications, queues) {
  const QueueConfigurations = [];
  for (const n of notifications) {
    if (!queues[n.queue]) throw new Error(`no emulator queue for ${n.queue}`);
    QueueConfigurations.push({ QueueArn: await queueArn(sqs, queues[n.queue]), Events: n.events, ...n.rules.length ? { Filter: { Key: { FilterRules: n.rules } } } : {} });
  }
  await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { QueueConfigurations } }));
}

// lib/local/asl-definition.ts
function stateMachineDefinition(template, logicalId, env = {}) {
  const t = typeof template.toJSON === "function" ? template.toJSON() : template;
  const resources = t.Resources ?? {};
  const machines = Object.keys(resources).filter((id2) => resources[id2].Type === "AWS::StepFunctions::StateMachine");
  let id;
  if (logicalId === void 0) {
    if (machines.length !== 1) throw new Error(`stateMachineDefinition: expected exactly one AWS::StepFunctions::StateMachine, found ${machines.length} (${machines.join(", ")}): pass its logical id`);
    id = machines[0];
  } else {
    const hits = machines.filter((m) => matchesLogicalId(m, logicalId));
    if (hits.length !== 1) throw new Error(`stateMachineDefinition: ${hits.length === 0 ? "no" : "ambiguous"} state machine '${logicalId}' (template has: ${machines.join(", ") || "none"})`);
    id = hits[0];
  }
  const props = resources[id].Properties ?? {};
  const e = fullEnv(env);
  let def;
  if (props.DefinitionString !== void 0) {
    const resolved = resolveIntrinsics(props.DefinitionString, t, e);
    if (typeof resolved !== "string") throw new Error(`stateMachineDefinition: DefinitionString of ${id} did not resolve to a string`);
    let text = resolved;
    const subs = props.DefinitionSubstitutions;
    if (subs) {
      for (const [k, v] of Object.entries(subs)) {
        const value = resolveIntrinsics(v, t, e);
        text = text.split("${" + k + "}").join(typeof value === "string" ? value : JSON.stringify(value));
      }
    }
    def = JSON.parse(text);
  } else if (props.Definition !== void 0) {
    def = resolveIntrinsics(props.Definition, t, e);
  } else {
    throw new Error(`stateMachineDefinition: ${id} has neither DefinitionString nor Definition (DefinitionS3Location is not supported)`);
  }
  return def;
}
var fullEnv = (e) => ({ partition: e.partition ?? "aws", region: e.region ?? "us-east-1", account: e.account ?? "123456789012", stackName: e.stackName ?? "LocalStack" });
function fakeResource(type, id, e) {
  const { partition: p, region: r, account: a } = e;
  const arn = (svc, resource, regional = true) => `arn:${p}:${svc}:${regional ? r : ""}:${regional || svc !== "s3" ? a : ""}:${resource}`;
  switch (type) {
    case "AWS::Lambda::Function":
      return { ref: id, arn: arn("lambda", `function:${id}`) };
    case "AWS::Lambda::Alias":
      return { ref: arn("lambda", `function:${id}:live`), arn: arn("lambda", `function:${id}:live`) };
    case "AWS::Lambda::Version":
      return { ref: arn("lambda", `function:${id}:1`), arn: arn("lambda", `function:${id}:1`), attrs: { Version: "1" } };
    case "AWS::SNS::Topic": {
      const t = arn("sns", id);
      return { ref: t, arn: t, attrs: { TopicArn: t, TopicName: id } };
    }
    case "AWS::SQS::Queue": {
      const url = `https://sqs.${r}.amazonaws.com/${a}/${id}`;
      return { ref: url, arn: arn("sqs", id), attrs: { QueueUrl: url, QueueName: id } };
    }
    case "AWS::S3::Bucket": {
      const name = id.toLowerCase();
      return { ref: name, arn: `arn:${p}:s3:::${name}`, attrs: { DomainName: `${name}.s3.amazonaws.com`, RegionalDomainName: `${name}.s3.${r}.amazonaws.com`, WebsiteURL: `http://${name}.s3-website-${r}.amazonaws.com` } };
    }
    case "AWS::DynamoDB::Table":
      return { ref: id, arn: arn("dynamodb", `table/${id}`), attrs: { StreamArn: arn("dynamodb", `table/${id}/stream/1970-01-01T00:00:00.000`) } };
    case "AWS::StepFunctions::StateMachine": {
      const sm = arn("states", `stateMachine:${id}`);
      return { ref: sm, arn: sm, attrs: { Name: id, StateMachineRevisionId: sm } };
    }
    case "AWS::StepFunctions::Activity": {
      const act = arn("states", `activity:${id}`);
      return { ref: act, arn: act, attrs: { Name: id } };
    }
    case "AWS::IAM::Role":
      return { ref: id, arn: `arn:${p}:iam::${a}:role/${id}`, attrs: { RoleId: `AROA${id.toUpperCase().slice(0, 17)}` } };
    case "AWS::Events::EventBus":
      return { ref: id, arn: arn("events", `event-bus/${id}`), attrs: { Name: id } };
    case "AWS::Events::Rule":
      return { ref: id, arn: arn("events", `rule/${id}`) };
    case "AWS::Logs::LogGroup":
      return { ref: id, arn: arn("logs", `log-group:${id}:*`) };
    case "AWS::Kinesis::Stream":
      return { ref: id, arn: arn("kinesis", `stream/${id}`) };
    case "AWS::KinesisFirehose::DeliveryStream":
      return { ref: id, arn: arn("firehose", `deliverystream/${id}`) };
    case "AWS::SecretsManager::Secret": {
      const s = arn("secretsmanager", `secret:${id}`);
      return { ref: s, arn: s };
    }
    case "AWS::ECS::Cluster":
      return { ref: id, arn: arn("ecs", `cluster/${id}`) };
    case "AWS::ECS::TaskDefinition": {
      const td = arn("ecs", `task-definition/${id}:1`);
      return { ref: td, arn: td, attrs: { TaskDefinitionArn: td } };
    }
    case "AWS::CodeBuild::Project":
      return { ref: id, arn: arn("codebuild", `project/${id}`) };
    case "AWS::Athena::WorkGroup":
    case "AWS::Glue::Database":
    case "AWS::Glue::Table":
    case "AWS::Glue::Job":
    case "AWS::Glue::Crawler":
      return { ref: id, arn: arn(type.split("::")[1].toLowerCase(), `${type.split("::")[2].toLowerCase()}/${id}`) };
    default: {
      const [, svc = "unknown", kind = "resource"] = type.split("::");
      return { ref: id, arn: arn(svc.toLowerCase(), `${kind.toLowerCase()}/${id}`) };
    }
  }
}
function getAtt(t, id, attr, e) {
  const res = t.Resources?.[id];
  if (!res) throw new Error(`Fn::GetAtt: no resource '${id}' in the template`);
  const f = fakeResource(res.Type, id, e);
  if (f.attrs?.[attr] !== void 0) return f.attrs[attr];
  if (attr === "Arn") return f.arn;
  if (/Arn$/.test(attr)) return `${f.arn}/${attr}`;
  if (/Name$/.test(attr)) return id;
  return `${id}.${attr}`;
}
function pseudo(name, e) {
  switch (name) {
    case "AWS::Partition":
      return e.partition;
    case "AWS::Region":
      return e.region;
    case "AWS::AccountId":
      return e.account;
    case "AWS::StackName":
      return e.stackName;
    case "AWS::StackId":
      return `arn:${e.partition}:cloudformation:${e.region}:${e.account}:stack/${e.stackName}/00000000-0000-0000-0000-000000000000`;
    case "AWS::URLSuffix":
      return "amazonaws.com";
    case "AWS::NotificationARNs":
      return "";
    case "AWS::NoValue":
      return NO_VALUE;
    default:
      return void 0;
  }
}
function ref(t, name, e) {
  const ps = pseudo(name, e);
  if (ps !== void 0) return ps;
  const res = t.Resources?.[name];
  if (res) return fakeResource(res.Type, name, e).ref;
  const param = t.Parameters?.[name];
  if (param) return param.Default ?? `param-${name}`;
  throw new Error(`Ref: no resource, parameter or pseudo parameter '${name}' in the template`);
}
function resolveIntrinsics(v, template, env = {}) {
  const t = template;
  const e = fullEnv(env);
  return evaluateIntrinsics(v, {
    ref: (name) => ref(t, name, e),
    getAtt: (id, attr) => getAtt(t, id, attr, e),
    mapping: (m, k1, k2) => {
      const val = t.Mappings?.[m]?.[k1]?.[k2];
      if (val === void 0) throw new Error(`Fn::FindInMap: ${m}.${k1}.${k2} not in the template's Mappings`);
      return val;
    }
  });
}

// lib/local/local-sfn.ts
{
  const P = Promise;
  if (typeof P.withResolvers !== "function") {
    Object.defineProperty(Promise, "withResolvers", {
      configurable: true,
      writable: true,
      value: function withResolvers() {
        let resolve7;
        let reject;
        const promise = new this((res, rej) => {
          resolve7 = res;
          reject = rej;
        });
        return { promise, resolve: resolve7, reject };
      }
    });
  }
}
function localSfn() {
  return import("aws-local-stepfunctions");
}
var StateMachineExecutionError = class extends Error {
  /** The `Error` of the execution (Fail state's Error, or the uncaught error's name). */
  error;
  /** The `Cause` (undefined for a Fail state without Cause/CausePath). */
  cause;
  /** Top-level state the execution failed in (the Fail state, or e.g. the Map whose iteration failed). */
  state;
  /** Every state that had a StateFailed event (nested Map/Parallel states included; retried/caught failures too), deduplicated, in event order. */
  failedStates;
  invocations;
  events;
  constructor(f) {
    super(`State machine failed in state '${f.state ?? "?"}': ${f.error}${f.cause === void 0 ? "" : `: ${f.cause}`}`);
    this.name = "StateMachineExecutionError";
    this.error = f.error;
    this.cause = f.cause;
    this.state = f.state;
    this.failedStates = f.failedStates;
    this.invocations = f.invocations;
    this.events = f.events;
  }
};
function walkStates(def, out = []) {
  for (const [name, state] of Object.entries(def.States ?? {})) {
    out.push({ name, state });
    if (state.Type === "Map") walkStates(state.ItemProcessor ?? state.Iterator ?? {}, out);
    if (state.Type === "Parallel") for (const b of state.Branches ?? []) walkStates(b, out);
  }
  return out;
}
function unsupported(def, states) {
  const problems = [];
  if (def.QueryLanguage === "JSONata") problems.push("top-level QueryLanguage JSONata");
  for (const { name, state } of states) {
    if (state.QueryLanguage === "JSONata") problems.push(`${name}: QueryLanguage JSONata`);
    for (const f of ["Assign", "Arguments", "Output", "ItemReader", "ResultWriter", "ItemBatcher", "ToleratedFailurePercentage", "ToleratedFailureCount", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath"]) {
      if (f in state) problems.push(`${name}: ${f}`);
    }
    if (state.Type === "Map" && state.ItemProcessor?.ProcessorConfig?.Mode === "DISTRIBUTED") problems.push(`${name}: Distributed Map`);
  }
  return problems;
}
function taskKind(resource) {
  if (/^arn:[^:]+:states:::lambda:invoke$/.test(resource)) return "lambda:invoke";
  if (/^arn:[^:]+:lambda:[^:]*:[^:]*:function:/.test(resource)) return "lambda";
  if (/^arn:[^:]+:states:::sns:publish$/.test(resource)) return "sns:publish";
  return "other";
}
function logicalIdFrom(target) {
  if (!target) return void 0;
  const fn = /:function:([^:]+)/.exec(target);
  if (fn) return fn[1];
  const url = /^https:\/\/sqs\.[^/]+\/[^/]+\/([^/]+)$/.exec(target);
  if (url) return url[1];
  if (target.startsWith("arn:")) {
    const resource = target.split(":").slice(5).join(":");
    const parts = resource.split(/[:/]/).filter((s) => s && s !== "*");
    return parts[parts.length - 1];
  }
  return target;
}
function staticTarget(state, kind) {
  const p = state.Parameters ?? {};
  const str = (v) => typeof v === "string" ? v : void 0;
  switch (kind) {
    case "lambda:invoke":
      return str(p.FunctionName);
    case "lambda":
      return state.Resource;
    case "sns:publish":
      return str(p.TopicArn) ?? str(p.TargetArn) ?? str(p.PhoneNumber);
    default:
      return str(p.FunctionName) ?? str(p.TopicArn) ?? str(p.QueueUrl) ?? str(p.StateMachineArn) ?? state.Resource;
  }
}
function findBinding(bindings, stateName, target) {
  if (bindings[stateName]) return bindings[stateName];
  if (target === void 0) return void 0;
  if (bindings[target]) return bindings[target];
  const id = logicalIdFrom(target);
  if (id === void 0) return void 0;
  if (bindings[id]) return bindings[id];
  const hits = Object.keys(bindings).filter((k) => matchesLogicalId(id, k));
  if (hits.length > 1) throw fatal(`runStateMachine: bindings ${hits.join(", ")} all match ${id} (Task '${stateName}')`);
  return hits.length === 1 ? bindings[hits[0]] : void 0;
}
function fatal(message) {
  return Object.assign(new Error(message), { name: "States.Runtime", isRetryable: false, isCatchable: false });
}
var json = (v) => v === void 0 ? null : JSON.parse(JSON.stringify(v));
function lambdaError(e) {
  if (e instanceof Error || e && typeof e === "object" && "name" in e && "message" in e) {
    const err = e;
    return { errorType: err.name, errorMessage: err.message, trace: (err.stack ?? "").split("\n") };
  }
  return { errorType: typeof e, errorMessage: String(e), trace: [] };
}
function stateError(name, cause) {
  const err = new Error(cause);
  err.name = name;
  return err;
}
var sdkMetadata = (requestId) => ({
  SdkHttpMetadata: {
    AllHttpHeaders: { "x-amzn-RequestId": [requestId], "Content-Type": ["application/json"] },
    HttpHeaders: { "x-amzn-RequestId": requestId, "Content-Type": "application/json" },
    HttpStatusCode: 200
  },
  SdkResponseMetadata: { RequestId: requestId }
});
function lambdaContext2(stateName, kind, resource, target, env) {
  const logicalId = logicalIdFrom(target);
  const name = /:function:([^:]+)/.exec(target)?.[1] ?? logicalId ?? stateName;
  const started = Date.now();
  return {
    stateName,
    kind,
    resource,
    target,
    logicalId,
    functionName: name,
    functionVersion: "$LATEST",
    invokedFunctionArn: target.startsWith("arn:") ? target : `arn:${env.partition}:lambda:${env.region}:${env.account}:function:${name}`,
    memoryLimitInMB: "1024",
    awsRequestId: randomUUID2(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: "local-sfn",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, 9e5 - (Date.now() - started)),
    done: () => void 0,
    fail: () => void 0,
    succeed: () => void 0
  };
}
function adapter(stateName, state, bindings, invocations, env) {
  const resource = String(state.Resource);
  const kind = taskKind(resource);
  return async (input) => {
    const target = (kind === "lambda:invoke" ? input?.FunctionName : kind === "lambda" ? resource : kind === "sns:publish" ? input?.TopicArn ?? input?.TargetArn ?? input?.PhoneNumber : staticTarget(state, kind)) ?? resource;
    const binding = findBinding(bindings, stateName, target);
    if (!binding) throw fatal(`runStateMachine: no binding for Task '${stateName}' (${kind}, target ${target})`);
    const ctx = lambdaContext2(stateName, kind, resource, String(target), env);
    const inv = { state: stateName, kind, target: String(target), logicalId: ctx.logicalId, event: void 0 };
    invocations.push(inv);
    try {
      if (typeof binding !== "function") {
        inv.event = json(input);
        inv.returned = json(await binding.raw(inv.event, ctx));
        inv.result = inv.returned;
        return inv.result;
      }
      switch (kind) {
        case "lambda:invoke":
        case "lambda": {
          inv.event = kind === "lambda" ? json(input) : json(input?.Payload ?? {});
          let returned;
          try {
            returned = await binding(inv.event, ctx);
          } catch (e) {
            const le = lambdaError(e);
            if (/^(Lambda|States)\./.test(le.errorType)) throw stateError(le.errorType, le.errorMessage);
            throw stateError(le.errorType, JSON.stringify(le));
          }
          inv.returned = json(returned);
          if (kind === "lambda") {
            inv.result = inv.returned;
          } else if (input?.InvocationType === "Event") {
            inv.result = { Payload: "", ...sdkMetadata(ctx.awsRequestId), StatusCode: 202 };
          } else {
            inv.result = { ExecutedVersion: "$LATEST", Payload: inv.returned, ...sdkMetadata(ctx.awsRequestId), StatusCode: 200 };
          }
          return inv.result;
        }
        case "sns:publish": {
          const req = json(input);
          if (typeof req.Message !== "string") req.Message = JSON.stringify(req.Message);
          inv.event = req;
          const returned = json(await binding(req, ctx));
          inv.returned = returned;
          inv.result = { MessageId: returned?.MessageId ?? randomUUID2(), ...returned?.SequenceNumber ? { SequenceNumber: returned.SequenceNumber } : {}, ...sdkMetadata(ctx.awsRequestId) };
          return inv.result;
        }
        default: {
          inv.event = json(input);
          inv.returned = json(await binding(inv.event, ctx));
          inv.result = inv.returned;
          return inv.result;
        }
      }
    } catch (e) {
      const err = e;
      if (err.isCatchable === false) throw err;
      const le = lambdaError(e);
      inv.error = { Error: le.errorType, Cause: le.errorMessage };
      throw e instanceof Error ? e : stateError(le.errorType, le.errorMessage);
    }
  };
}
async function runStateMachine(definition, input, bindings, opts = {}) {
  const def = definition;
  const env = fullEnv(opts.env ?? {});
  const states = walkStates(def);
  const problems = unsupported(def, states);
  if (problems.length > 0) throw new Error(`runStateMachine: aws-local-stepfunctions cannot run ${problems.join("; ")}`);
  const invocations = [];
  const handlers = {};
  const retryIntervalOverrides = {};
  const waitTimeOverrides = {};
  const missing = [];
  for (const { name, state } of states) {
    if (state.Type === "Task") {
      const kind = taskKind(String(state.Resource));
      const target = staticTarget(state, kind);
      const dynamic = kind === "lambda:invoke" ? typeof state.Parameters?.FunctionName !== "string" : kind === "sns:publish" && target === void 0;
      if (!dynamic && !findBinding(bindings, name, target)) missing.push(`'${name}' (${kind}${target ? `, target ${target}` : ""})`);
      handlers[name] = adapter(name, state, bindings, invocations, env);
    }
    if (!opts.realWaits && Array.isArray(state.Retry)) retryIntervalOverrides[name] = 0;
    if (!opts.realWaits && state.Type === "Wait") waitTimeOverrides[name] = 0;
  }
  if (missing.length > 0) throw new Error(`runStateMachine: no binding for Task ${missing.join(", ")}; bind by state name or target logical id`);
  const tasks = states.filter((s) => s.state.Type === "Task");
  for (const key2 of Object.keys(bindings)) {
    if (!tasks.some((s) => s.name === key2)) continue;
    const other = tasks.find(({ name, state }) => {
      const target = name === key2 ? void 0 : staticTarget(state, taskKind(String(state.Resource)));
      const id = target === void 0 ? void 0 : logicalIdFrom(target);
      return target === key2 || id !== void 0 && matchesLogicalId(id, key2);
    });
    if (other) throw new Error(`runStateMachine: binding '${key2}' is both a Task state name and the target of Task '${other.name}': rename one or key by the full logical id`);
  }
  const { StateMachine: StateMachine2, ExecutionError } = await localSfn();
  const key = JSON.stringify(def);
  const validate2 = opts.validate !== false && !validated.has(key);
  const machine = new StateMachine2(def, {
    validationOptions: validate2 ? { checkPaths: true, checkArn: true } : { noValidate: true }
  });
  if (validate2) validated.add(key);
  const smName = opts.stateMachineName ?? "LocalStateMachine";
  const execName = opts.executionName ?? `local-${randomUUID2()}`;
  const smArn = `arn:${env.partition}:states:${env.region}:${env.account}:stateMachine:${smName}`;
  const execution = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      retryIntervalOverrides: { ...retryIntervalOverrides, ...opts.retryIntervalOverrides },
      waitTimeOverrides: { ...waitTimeOverrides, ...opts.waitTimeOverrides }
    },
    context: {
      Execution: { Id: `arn:${env.partition}:states:${env.region}:${env.account}:execution:${smName}:${execName}`, Name: execName, RoleArn: `arn:${env.partition}:iam::${env.account}:role/${smName}Role` },
      StateMachine: { Id: smArn, Name: smName },
      Task: { Token: `local-task-token-${execName}` },
      ...opts.context
    }
  });
  const events = [];
  const collecting = (async () => {
    for await (const ev of execution.eventLogs) events.push(ev);
  })();
  const timeoutMs = opts.timeoutMs ?? 3e4;
  let timer;
  const timedOut = new Promise((_, reject) => {
    timer = setTimeout(() => {
      execution.abort();
      reject(new Error(`runStateMachine: execution did not finish within ${timeoutMs} ms (aborted)`));
    }, timeoutMs);
  });
  try {
    const output = await Promise.race([execution.result, timedOut]);
    await collecting;
    return { output, invocations, events };
  } catch (e) {
    if (!(e instanceof ExecutionError)) throw e;
    await collecting;
    const inner = e.cause;
    const topFailed = events.filter((ev) => ev.type === "StateFailed" && ev.index === void 0);
    const lastTop = topFailed[topFailed.length - 1]?.state?.name;
    const failState = lastTop !== void 0 ? findState(states, lastTop) : void 0;
    const noCause = failState?.Type === "Fail" && failState.Cause === void 0 && failState.CausePath === void 0;
    const failedStates = events.filter((ev) => ev.type === "StateFailed").map((ev) => ev.state?.name);
    throw new StateMachineExecutionError({
      error: inner?.name ?? "Error",
      cause: noCause ? void 0 : inner?.message,
      state: lastTop,
      failedStates: [...new Set(failedStates)],
      invocations,
      events
    });
  } finally {
    clearTimeout(timer);
  }
}
var validated = /* @__PURE__ */ new Set();
function findState(states, name) {
  return states.find((s) => s.name === name)?.state;
}

// lib/local/local-stack.ts
function bucketNameOf(prefix, id) {
  return `${prefix}-${id.replace(/[0-9A-F]{8}$/, "").toLowerCase()}`.replace(/[^a-z0-9-]/g, "-").slice(0, 63).replace(/-+$/, "");
}
var shortId = (id) => id.replace(/[0-9A-F]{8}$/, "");
async function deployLocalStack(o) {
  const r = stackResources(o.template, o.assembly);
  const { s3, sqs } = o.aws;
  const kinesis = o.kinesis;
  if (r.streams.length > 0 && !kinesis) throw new Error(`the stack has Kinesis streams (${r.streams.map((x) => shortId(x.id)).join(", ")}): deploying it locally needs a Kinesis emulator (LocalStackOptions.kinesis)`);
  const find = (list, id, what) => {
    const ids = list.map((x) => typeof x === "string" ? x : x.id);
    const hit = ids.find((x) => x === id) ?? ids.find((x) => shortId(x) === id);
    if (!hit) throw new Error(`the stack has no ${what} ${id}`);
    return hit;
  };
  const buckets = new Map(r.buckets.map((id) => [id, bucketNameOf(o.prefix, id)]));
  for (const name of buckets.values()) await s3.send(new CreateBucketCommand({ Bucket: name }));
  for (const n of r.notifications) if ("name" in n.bucket) await s3.send(new CreateBucketCommand({ Bucket: n.bucket.name }));
  const queues = /* @__PURE__ */ new Map();
  const ordered = [...r.queues].sort((a, b) => Number(!!a.redrive) - Number(!!b.redrive));
  for (const q of ordered) {
    const name = `${o.prefix}-${shortId(q.id)}`;
    const attributes = { VisibilityTimeout: String(q.visibilityTimeoutSeconds) };
    if (q.redrive) attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: queues.get(q.redrive.deadLetterQueue).arn, maxReceiveCount: q.redrive.maxReceiveCount });
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
    const arn = (await sqs.send(new GetQueueAttributesCommand2({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes.QueueArn;
    queues.set(q.id, { url, arn });
  }
  for (const m of r.mappings) {
    if (m.onFailureQueue !== void 0 && !queues.has(m.onFailureQueue)) throw new Error(`${m.id}: its on-failure destination ${m.onFailureQueue} is not a queue of the stack`);
  }
  const streams = /* @__PURE__ */ new Map();
  for (const x of r.streams) {
    const name = `${o.prefix}-${shortId(x.id)}`;
    streams.set(x.id, { name, arn: await kinesis.createStream(name, x.shards) });
  }
  const functionName = (id) => `${o.prefix}-${shortId(id)}`;
  const databaseName = (id) => o.template.Resources[id]?.Type === "AWS::Glue::Database" ? o.template.Resources[id].Properties?.DatabaseInput?.Name : void 0;
  const names = {
    ref: (id) => buckets.get(id) ?? queues.get(id)?.url ?? streams.get(id)?.name ?? (r.functions.some((f) => f.id === id) ? functionName(id) : void 0) ?? databaseName(id),
    attribute: (id, attr) => {
      if (attr === "Arn") return queues.get(id)?.arn ?? streams.get(id)?.arn ?? (buckets.has(id) ? `arn:aws:s3:::${buckets.get(id)}` : void 0);
      if (attr === "QueueName" && queues.has(id)) return queues.get(id).url.split("/").pop();
      return void 0;
    },
    pseudo: (p) => ({ "AWS::Region": o.aws.region, "AWS::AccountId": "000000000000", "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": `Logtong-${o.prefix}` })[p]
  };
  const bucketOf = (n) => "name" in n.bucket ? n.bucket.name : buckets.get(n.bucket.id);
  const queueUrls = Object.fromEntries([...queues].map(([id, q]) => [shortId(id), q.url]));
  for (const bucket of new Set(r.notifications.map(bucketOf))) {
    const onBucket = r.notifications.filter((n) => bucketOf(n) === bucket);
    await applyNotifications(s3, sqs, bucket, onBucket.map(queueNotification), queueUrls);
  }
  const definitions = new Map(r.stateMachines.map((id) => [id, stateMachineDefinition(o.template, id)]));
  const taskTargets = [...definitions.values()].flatMap((d) => [...JSON.stringify(d).matchAll(/:function:([A-Za-z0-9]+)/g)].map((m) => m[1]));
  const used = /* @__PURE__ */ new Set([...r.mappings.map((m) => m.functionId), ...r.customResources.map((c) => c.functionId), ...taskTargets.filter((t) => r.functions.some((f) => f.id === t))]);
  const hosts = /* @__PURE__ */ new Map();
  const sdk = path11.dirname(path11.dirname(packageDir("@aws-sdk/client-s3")));
  const endpoints = { ...o.aws.env, ...kinesis ? { AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint } : {} };
  for (const f of r.functions.filter((x) => used.has(x.id))) {
    const environment = stringValues(resolve4(f.environment, names, `${f.id}.Environment`));
    hosts.set(
      f.id,
      startFunction({ name: functionName(f.id), entry: f.entry, modulePaths: [sdk], handlerName: f.handlerName, timeoutSeconds: f.timeoutSeconds, environment: { ...endpoints, ...environment, ...o.extraEnvironment }, ...o.onLog ? { onLog: (l) => o.onLog(f.id, l) } : {} })
    );
  }
  const stop = async () => {
    await Promise.all([...hosts.values()].map((h) => h.stop()));
  };
  try {
    for (const c of r.customResources) {
      const properties = resolve4(c.properties, names, c.id);
      await hosts.get(c.functionId).invoke({
        RequestType: "Create",
        ServiceToken: `arn:aws:lambda:${o.aws.region}:000000000000:function:${functionName(c.functionId)}`,
        ResponseURL: "http://127.0.0.1/unused",
        StackId: `arn:aws:cloudformation:${o.aws.region}:000000000000:stack/Logtong-${o.prefix}/local`,
        RequestId: `local-${c.id}`,
        LogicalResourceId: c.id,
        ResourceType: c.type,
        ResourceProperties: { ServiceToken: "local", ...properties }
      });
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const sqsMappings = r.mappings.filter((m) => m.source.type === "sqs");
  const kinesisPollers = /* @__PURE__ */ new Map();
  for (const m of r.mappings.filter((x) => x.source.type === "kinesis")) {
    const host = hosts.get(m.functionId);
    const destination = m.onFailureQueue === void 0 ? void 0 : queues.get(m.onFailureQueue).url;
    kinesisPollers.set(
      m.id,
      kinesisMapping({
        ...m,
        kinesis: kinesis.client,
        streamArn: streams.get(m.source.id).arn,
        handler: (event) => host.invoke(event),
        functionName: host.name,
        ...destination ? { onFailure: async (record) => void await sqs.send(new SendMessageCommand({ QueueUrl: destination, MessageBody: JSON.stringify(record) })) } : {}
      })
    );
  }
  return {
    resources: r,
    names,
    bucketName: (id) => buckets.get(find(r.buckets, id, "bucket")),
    queueUrl: (id) => queues.get(find(r.queues, id, "queue")).url,
    streamName: (id) => streams.get(find(r.streams, id, "stream")).name,
    streamArn: (id) => streams.get(find(r.streams, id, "stream")).arn,
    function: (id) => hosts.get(find([...hosts.keys()], id, "invoked function")),
    async drain(opts = {}) {
      const totals = Object.fromEntries(r.mappings.map((m) => [m.id, { received: 0, failed: 0 }]));
      const add = (id, res) => {
        totals[id].received += res.received;
        totals[id].failed += res.failed;
        return res.received;
      };
      let idle = 0;
      while (idle < (opts.idlePolls ?? 2)) {
        let received = 0;
        for (const [id, poller] of kinesisPollers) received += add(id, await poller.pollOnce());
        for (const m of sqsMappings) {
          const host = hosts.get(m.functionId);
          received += add(m.id, await pollOnce(sqs, queues.get(m.source.id).url, (event) => host.invoke(event), host.name, m.batchSize));
        }
        idle = received === 0 ? idle + 1 : 0;
        if (received === 0 && idle < (opts.idlePolls ?? 2)) await new Promise((res) => setTimeout(res, opts.pauseMs ?? 200));
      }
      return totals;
    },
    async runTask(id, entry) {
      const task = r.tasks.find((t) => t.id === find(r.tasks, id, "task definition"));
      const environment = stringValues(resolve4(task.environment, names, `${task.id}.Environment`));
      await new Promise((done, fail) => {
        const child = spawn3(process.execPath, [entry], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...o.aws.env, ...environment, ...o.extraEnvironment }, stdio: ["ignore", "pipe", "pipe"] });
        let tail2 = "";
        const keep = (l) => {
          tail2 = `${tail2}
${l}`.slice(-2e3);
          o.onLog?.(task.id, l);
        };
        eachLine(child.stdout, keep);
        eachLine(child.stderr, keep);
        child.on("error", fail);
        child.on("exit", (code, signal) => code === 0 ? done() : fail(new Error(`task ${shortId(task.id)} exited ${signal ?? code}:${tail2}`)));
      });
    },
    async runStateMachine(id, input) {
      const definition = definitions.get(find(r.stateMachines, id, "state machine"));
      const published = [];
      const bindings = {};
      for (const [fnId, host] of hosts) bindings[fnId] = (event) => host.invoke(event);
      for (const [state, s] of Object.entries(allStates(definition))) {
        if (s.Type !== "Task") continue;
        const resource = String(s.Resource);
        if (resource.endsWith(":sfn:listExecutions")) bindings[state] = { raw: () => ({ Executions: [{ executionArn: "arn:aws:states:::execution:local", status: "RUNNING" }] }) };
        else if (resource.endsWith(":sns:publish")) bindings[state] = (req) => void published.push(req);
      }
      const run = await runStateMachine(definition, input, bindings);
      return { output: run.output, published };
    },
    stop
  };
}
var stringValues = (env) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
function allStates(d) {
  const out = {};
  const walk = (states) => {
    for (const [name, s] of Object.entries(states)) {
      out[name] = s;
      const x = s;
      if (x.ItemProcessor) walk(x.ItemProcessor.States);
      if (x.Iterator) walk(x.Iterator.States);
      for (const b of x.Branches ?? []) walk(b.States);
    }
  };
  walk(d.States);
  return out;
}

// lib/local/athena-ddl.ts
var quote2 = (s) => `'${s.replace(/'/g, "''")}'`;
var ident = (s) => `\`${s.replace(/`/g, "``")}\``;
function athenaDdl(database, t) {
  const column = (c) => `  ${ident(c.Name)} ${c.Type}${c.Comment ? ` COMMENT ${quote2(c.Comment)}` : ""}`;
  const sd = t.StorageDescriptor;
  const props = Object.entries(t.Parameters ?? {}).filter(([k]) => k !== "EXTERNAL");
  return [
    `CREATE EXTERNAL TABLE ${ident(database)}.${ident(t.Name)} (`,
    sd.Columns.map(column).join(",\n"),
    ")",
    ...t.Description ? [`COMMENT ${quote2(t.Description)}`] : [],
    ...t.PartitionKeys?.length ? [`PARTITIONED BY (
${t.PartitionKeys.map(column).join(",\n")}
)`] : [],
    ...sd.SerdeInfo?.SerializationLibrary ? [`ROW FORMAT SERDE ${quote2(sd.SerdeInfo.SerializationLibrary)}`] : [],
    ...sd.InputFormat && sd.OutputFormat ? [`STORED AS INPUTFORMAT ${quote2(sd.InputFormat)}
OUTPUTFORMAT ${quote2(sd.OutputFormat)}`] : [],
    `LOCATION ${quote2(sd.Location)}`,
    ...props.length ? [`TBLPROPERTIES (
${props.map(([k, v]) => `  ${quote2(k)} = ${quote2(v)}`).join(",\n")}
)`] : []
  ].join("\n") + ";";
}

// lib/local/agent-source.ts
import * as dgram2 from "node:dgram";
import * as fs5 from "node:fs";
import * as net2 from "node:net";
import * as path15 from "node:path";

// lib/local/container-logs.ts
import { createHash as createHash2 } from "node:crypto";
import * as fs3 from "node:fs";
import * as path12 from "node:path";
var CRI_MAX_LINE_BYTES = 16 * 1024;
function criLine(time, stream, line, max = CRI_MAX_LINE_BYTES) {
  const bytes = typeof line === "string" ? Buffer.from(line, "utf8") : line;
  const parts = [];
  for (let i = 0; i === 0 || i < bytes.length; i += max) {
    const last = i + max >= bytes.length;
    parts.push(Buffer.from(`${time} ${stream} ${last ? "F" : "P"} `), bytes.subarray(i, i + max), Buffer.from("\n"));
  }
  return Buffer.concat(parts);
}
function containerLogFile(root, namespace, pod, container) {
  const uid = createHash2("sha1").update(pod).digest("hex");
  const dir = path12.join(root, "pods", `${namespace}_${pod}_${uid.slice(0, 8)}-${uid.slice(8, 12)}-${uid.slice(12, 16)}-${uid.slice(16, 20)}-${uid.slice(20, 32)}`, container);
  fs3.mkdirSync(dir, { recursive: true });
  fs3.mkdirSync(path12.join(root, "containers"), { recursive: true });
  const file = path12.join(dir, "0.log");
  fs3.writeFileSync(file, "");
  fs3.symlinkSync(file, path12.join(root, "containers", `${pod}_${namespace}_${container}-${createHash2("sha256").update(file).digest("hex")}.log`));
  return file;
}

// lib/local/fluent-bit.ts
import { spawn as spawn4, spawnSync } from "node:child_process";
import * as fs4 from "node:fs";
import * as path13 from "node:path";
import { stringify } from "yaml";
var FLUENT_BIT_VERSION = "4.2.2";
var FLUENT_BIT_SETUP_HINT = `run \`bash .ci/setup-fluent-bit.sh\` (builds Fluent Bit ${FLUENT_BIT_VERSION} once into the cache folder, ~/.cache/logtong by default, about 3 minutes)`;
var QUICK_AGENT_TIMING = { service: { flush: 1, "scheduler.cap": 5 }, tail: { refresh_interval: 2 }, s3: { upload_timeout: "2s" } };
function fluentBitBinary() {
  const bin = process.env.LOGTONG_FLUENT_BIT || path13.join(cacheDir(), `fluent-bit-${FLUENT_BIT_VERSION}`, "bin", "fluent-bit");
  if (!fs4.existsSync(bin)) throw new Error(`Fluent Bit ${FLUENT_BIT_VERSION} not found at ${bin}: ${FLUENT_BIT_SETUP_HINT}`);
  return bin;
}
function replaceStateDir(v, stateDir) {
  return typeof v === "string" && v.includes(AGENT_STATE_DIR) ? v.split(AGENT_STATE_DIR).join(stateDir) : v;
}
var isMetricsPath = (p) => p.name === "fluentbit_metrics" || p.name === "cloudwatch_logs";
function withoutMetricsPath(doc) {
  return {
    ...doc,
    pipeline: {
      ...doc.pipeline,
      inputs: doc.pipeline.inputs.filter((p) => !isMetricsPath(p)),
      outputs: doc.pipeline.outputs.filter((p) => !isMetricsPath(p))
    }
  };
}
function localize(doc, t) {
  const fix = (p) => {
    const out = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, replaceStateDir(v, t.stateDir)]));
    const name = String(out.name);
    if (name === "tail" && t.logPaths) out.path = t.logPaths.join(",");
    if (name === "syslog") {
      out.listen = "127.0.0.1";
      if (t.syslogPort) out.port = t.syslogPort;
    }
    if (name === "opensearch" && t.opensearchUrl) {
      const u = new URL(t.opensearchUrl);
      out.host = u.hostname;
      out.port = u.port;
      out.tls = "off";
      delete out["tls.verify"];
    }
    if (name === "s3" && t.s3Endpoint) out.endpoint = t.s3Endpoint;
    if (name === "kinesis_streams" && t.kinesis) {
      out.endpoint = "127.0.0.1";
      out.port = t.kinesis.tlsPort;
      out["tls.ca_file"] = t.kinesis.certificateFile;
    }
    if (name === "cloudwatch_logs" && t.cloudwatchLogs) {
      out.endpoint = "127.0.0.1";
      out.port = t.cloudwatchLogs.port;
      out["tls.ca_file"] = t.cloudwatchLogs.certificateFile;
    }
    if (t.sts && (out.role_arn !== void 0 || out.aws_role_arn !== void 0)) {
      out[out.aws_role_arn !== void 0 ? "aws_sts_endpoint" : "sts_endpoint"] = t.sts.host;
      const trusted = out["tls.ca_file"];
      if (typeof trusted === "string" && trusted !== t.sts.certificateFile && !fs4.readFileSync(trusted).equals(fs4.readFileSync(t.sts.certificateFile))) {
        throw new Error(`localize: output ${name} trusts ${trusted}, and its STS client (same TLS settings) would have to trust ${t.sts.certificateFile}: use one certificate`);
      }
      out["tls.ca_file"] = t.sts.certificateFile;
    }
    if (!t.aliases) delete out.alias;
    Object.assign(out, t.timing?.[name] ?? {});
    return out;
  };
  if (!t.cloudwatchLogs) doc = withoutMetricsPath(doc);
  const service = { ...Object.fromEntries(Object.entries(doc.service).map(([k, v]) => [k, replaceStateDir(v, t.stateDir)])), http_listen: "127.0.0.1", http_port: t.httpPort, ...t.timing?.service ?? {} };
  return {
    ...doc,
    service,
    pipeline: {
      inputs: doc.pipeline.inputs.map(fix),
      ...doc.pipeline.filters ? { filters: doc.pipeline.filters.map(fix) } : {},
      outputs: doc.pipeline.outputs.map(fix)
    }
  };
}
var sleep = (ms) => new Promise((r) => setTimeout(r, ms));
var READY_TIMEOUT_MS = 3e4;
var live = /* @__PURE__ */ new Set();
var hooked = false;
function killAllOnExit() {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    for (const c of live) {
      try {
        process.kill(-c.pid, "SIGKILL");
      } catch {
      }
    }
  });
}
async function startFluentBit(opts) {
  const bin = fluentBitBinary();
  fs4.mkdirSync(opts.dir, { recursive: true });
  const configFile = path13.join(opts.dir, "fluent-bit.yaml");
  fs4.writeFileSync(configFile, `# localized by lib/local/fluent-bit.ts
${stringify(opts.doc, { lineWidth: 0 })}`);
  const logFile = path13.join(opts.dir, "fluent-bit.log");
  const httpUrl = `http://127.0.0.1:${opts.doc.service.http_port}`;
  const prefix = spawnSync("setpriv", ["--version"]).status === 0 ? ["setpriv", "--pdeathsig", "SIGKILL", "--"] : [];
  killAllOnExit();
  let child;
  let exited = Promise.resolve();
  let exitInfo;
  const start = async () => {
    if (child && !exitInfo) return;
    exitInfo = void 0;
    const out = fs4.openSync(logFile, "a");
    const argv = [...prefix, bin, "-c", configFile];
    const c = spawn4(argv[0], argv.slice(1), { cwd: opts.dir, detached: true, stdio: ["ignore", out, out], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: opts.dir, ...opts.env } });
    fs4.closeSync(out);
    c.unref();
    child = c;
    live.add(c);
    exited = new Promise((resolve7) => {
      c.once("exit", (code, signal2) => {
        exitInfo = `exited with ${signal2 ?? `code ${code}`}`;
        live.delete(c);
        resolve7();
      });
      c.once("error", (e) => {
        exitInfo = `failed to spawn: ${e.message}`;
        live.delete(c);
        resolve7();
      });
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (; ; ) {
      if (exitInfo) throw new Error(`Fluent Bit ${exitInfo} before it was ready.
--- ${logFile} ---
${readLog()}`);
      const ok = await fetch(`${httpUrl}/api/v1/health`, { signal: AbortSignal.timeout(2e3) }).then((r) => r.status === 200, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`Fluent Bit not ready within ${READY_TIMEOUT_MS} ms.
--- ${logFile} ---
${readLog()}`);
      await sleep(100);
    }
  };
  const signal = async (sig, graceMs) => {
    const c = child;
    if (!c || exitInfo || c.pid === void 0) return;
    try {
      process.kill(-c.pid, sig);
    } catch {
    }
    let timer;
    const done = await Promise.race([exited.then(() => true), new Promise((r) => timer = setTimeout(() => r(false), graceMs))]);
    clearTimeout(timer);
    if (!done) {
      try {
        process.kill(-c.pid, "SIGKILL");
      } catch {
      }
      await exited;
    }
  };
  const readLog = () => {
    try {
      return fs4.readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  await start();
  return {
    dir: opts.dir,
    configFile,
    httpUrl,
    get pid() {
      return child && !exitInfo ? child.pid : void 0;
    },
    log: readLog,
    async metrics() {
      for (let attempt = 0; ; attempt++) {
        const text = await (await fetch(`${httpUrl}/api/v1/metrics`)).text();
        if (text.trim()) return JSON.parse(text);
        if (attempt > 100) throw new Error("Fluent Bit /api/v1/metrics keeps answering an empty body");
        await sleep(20);
      }
    },
    // Fluent Bit's own grace period is 5 s (service.grace); give it room before killing.
    stop: () => signal("SIGTERM", 3e4),
    kill: () => signal("SIGKILL", 5e3),
    start
  };
}

// lib/local/prerequisites.ts
import { spawnSync as spawnSync2 } from "node:child_process";
import * as path14 from "node:path";
var MissingPrerequisiteError = class extends Error {
  constructor(prerequisite, message) {
    super(message);
    this.prerequisite = prerequisite;
    this.name = "MissingPrerequisiteError";
  }
  prerequisite;
};
var MIN_JAVA_VERSION = 17;
function findJava(env = process.env) {
  const candidates = [env.OPENSEARCH_JAVA_HOME, env.JAVA_HOME].filter((h) => !!h).map((h) => path14.join(h, "bin", "java"));
  candidates.push("java");
  const tooOld = [];
  for (const java2 of candidates) {
    const childEnv = { ...env };
    delete childEnv.JAVA_TOOL_OPTIONS;
    const r = spawnSync2(java2, ["-XshowSettings:properties", "-version"], { env: childEnv, encoding: "utf8", timeout: 6e4 });
    if (r.error || r.status !== 0) continue;
    const property = (name) => new RegExp(`^\\s*${name.replace(/\./g, "\\.")} = (.*)$`, "m").exec(r.stderr)?.[1].trim();
    const home = property("java.home");
    const spec = (property("java.specification.version") ?? "").replace(/^1\./, "");
    const version = Number.parseInt(spec, 10);
    if (!home || !Number.isFinite(version)) continue;
    if (version >= MIN_JAVA_VERSION) return { home, version };
    tooOld.push(`Java ${version} at ${home}`);
  }
  throw new MissingPrerequisiteError(
    "java",
    `Java ${MIN_JAVA_VERSION} or later is needed to run the OpenSearch node${tooOld.length ? ` (found only ${tooOld.join(", ")})` : ""}: install openjdk-17-jre-headless (apt) or set JAVA_HOME`
  );
}
function requireUnzip(env = process.env) {
  const r = spawnSync2("unzip", ["-v"], { env, stdio: "ignore" });
  if (r.error || r.status !== 0) {
    throw new MissingPrerequisiteError("unzip", "unzip is needed to extract the OpenSearch distribution: install unzip (apt)");
  }
}
var runUser = () => process.env.LOGTONG_OPENSEARCH_USER || "logtong";
var isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;
function runUserIds() {
  const user = runUser();
  const uid = spawnSync2("id", ["-u", user], { encoding: "utf8" });
  const gid = spawnSync2("id", ["-g", user], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new MissingPrerequisiteError(
      "run-user",
      `OpenSearch refuses to run as root and the user '${user}' does not exist: create it (useradd --system --user-group ${user}; .ci/setup-opensearch.sh does) or set LOGTONG_OPENSEARCH_USER to an unprivileged user`
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
function dropPrivArgs() {
  return [`--reuid=${runUser()}`, `--regid=${runUser()}`, "--init-groups", "--"];
}
var setprivOk;
var haveSetpriv = () => setprivOk ??= spawnSync2("setpriv", ["--version"], { stdio: "ignore" }).status === 0;
function launchPrefix() {
  if (!haveSetpriv()) {
    if (isRoot()) throw new MissingPrerequisiteError("setpriv", `setpriv is needed to run OpenSearch as '${runUser()}' when running as root: install util-linux (apt)`);
    return [];
  }
  return ["setpriv", "--pdeathsig", "SIGKILL", ...isRoot() ? dropPrivArgs() : ["--"]];
}
function runUserPasses(...testArgs) {
  return spawnSync2("setpriv", [...dropPrivArgs(), "test", ...testArgs], { stdio: "ignore" }).status === 0;
}

// lib/local/agent-source.ts
var LOCAL_TIMING = { ...QUICK_AGENT_TIMING, tail: { refresh_interval: 1 } };
function localTargets(o) {
  const buffer = o.pipeline.engine.type === "light" ? "s3" : o.pipeline.engine.buffer;
  return {
    region: o.aws.region,
    ...buffer === "s3" ? { bucketName: o.stack.bucketName("BufferBucket"), keyPrefix: `${o.pipeline.name}/` } : {},
    ...buffer === "kinesis" ? { streamName: o.stack.streamName("KinesisStream") } : {},
    ...buffer === "none" ? { backupBucketName: o.stack.bucketName("BackupBucket") } : {}
  };
}
function linesOf(bytes) {
  const out = [];
  for (let start = 0; start < bytes.length; ) {
    const nl = bytes.indexOf(10, start);
    const end = nl < 0 ? bytes.length : nl;
    const line = bytes.subarray(start, end > start && bytes[end - 1] === 13 ? end - 1 : end);
    if (line.length > 0) out.push(line);
    start = end + 1;
  }
  return out;
}
async function sendTcp(port, payload) {
  await new Promise((done, fail) => {
    const socket = net2.createConnection({ host: "127.0.0.1", port }, () => socket.end(payload));
    socket.on("error", fail);
    socket.on("close", () => done());
  });
}
async function sendUdp(port, frames) {
  const socket = dgram2.createSocket("udp4");
  try {
    for (const [i, f] of frames.entries()) {
      await new Promise((done, fail) => socket.send(f, port, "127.0.0.1", (e) => e ? fail(e) : done()));
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    socket.close();
  }
}
async function startLocalAgent(o) {
  try {
    fluentBitBinary();
  } catch {
    throw new MissingPrerequisiteError("fluent-bit", `Fluent Bit ${FLUENT_BIT_VERSION} is needed to run this pipeline's ${o.pipeline.source.type === "syslog" ? "receiver" : "agent"} locally: run \`bash .ci/setup-fluent-bit.sh\` (builds it once into the cache folder, about 3 minutes)`);
  }
  const source = o.pipeline.source;
  const eks = source.type === "fluent-bit" && source.platform === "eks";
  const containers = /* @__PURE__ */ new Map();
  if (eks) {
    o.inputs.forEach((file, i) => containers.set(file, containerLogFile(path15.join(o.dir, "var-log"), "default", `${path15.basename(file).toLowerCase().replace(/[^a-z0-9-]/g, "-")}-${i}`, "app")));
  }
  const tailed = eks ? [...containers.values()] : [...o.inputs];
  const syslogPort = source.type === "syslog" ? o.listenPort ?? await freePort() : void 0;
  const doc = localize(fluentBitConfigDocument(o.pipeline, localTargets(o)), {
    stateDir: path15.join(o.dir, "state"),
    httpPort: await freePort(),
    logPaths: tailed,
    s3Endpoint: o.aws.endpoint,
    ...syslogPort ? { syslogPort } : {},
    ...o.opensearchUrl ? { opensearchUrl: o.opensearchUrl } : {},
    ...o.kinesis ? { kinesis: { tlsPort: o.kinesis.tlsPort, certificateFile: o.kinesis.certificateFile } } : {},
    timing: LOCAL_TIMING
  });
  const fb = await startFluentBit({ doc, dir: o.dir, env: o.aws.env });
  const feed = async (file, bytes) => {
    if (eks) {
      const time = (/* @__PURE__ */ new Date()).toISOString().replace("Z", "000000Z");
      fs5.appendFileSync(containers.get(file), Buffer.concat(linesOf(bytes).map((l) => criLine(time, "stdout", l))));
    } else if (source.type === "syslog") {
      const frames = linesOf(bytes);
      if (frames.length === 0) return;
      if (source.protocol === "udp") return sendUdp(syslogPort, frames);
      const octet = source.framing === "octet-counting";
      await sendTcp(syslogPort, Buffer.concat(frames.flatMap((f) => octet ? [Buffer.from(`${f.length} `), f] : [f, Buffer.from("\n")])));
    }
  };
  const sum = (rows, prefix, key) => Object.entries(rows).filter(([name]) => name.startsWith(prefix)).reduce((n, [, v]) => n + (v[key] ?? 0), 0);
  return {
    ...source.type === "syslog" ? { listening: { port: syslogPort, protocols: source.protocol === "tcp_udp" ? "tcp and udp" : source.protocol, framing: source.protocol === "udp" ? "one message per datagram" : source.framing === "octet-counting" ? "octet counting (RFC 6587)" : "one message per line" } } : {},
    tailed,
    feed,
    async readRecords() {
      const m = await fb.metrics();
      return sum(m.input, source.type === "syslog" ? "syslog" : "tail", "records");
    },
    async filtered() {
      return sum((await fb.metrics()).filter, "grep", "drop_records");
    },
    stop: () => fb.stop()
  };
}

// lib/local/localize.ts
function localPipeline(pipeline2, t) {
  if (pipeline2.engine.type !== "opensearch") return pipeline2;
  if (!t.opensearchUrl) throw new Error(`pipeline ${pipeline2.name}: its OpenSearch engine needs the local node's URL`);
  return {
    ...pipeline2,
    engine: {
      ...pipeline2.engine,
      domain: { type: "self-managed", url: t.opensearchUrl, auth: "none" },
      index: { ...pipeline2.engine.index, replicas: 0 }
    }
  };
}

// lib/local/opensearch.ts
import { spawn as spawn5, spawnSync as spawnSync4 } from "node:child_process";
import { randomBytes as randomBytes2 } from "node:crypto";
import * as fs7 from "node:fs";
import * as os4 from "node:os";
import * as path18 from "node:path";

// lib/local/opensearch-distribution.ts
import { spawnSync as spawnSync3 } from "node:child_process";
import * as fs6 from "node:fs";
import * as os3 from "node:os";
import * as path17 from "node:path";

// lib/local/download.ts
import { createHash as createHash3, randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync as mkdirSync4, renameSync, rmSync } from "node:fs";
import * as path16 from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
var CHECKSUMS = [
  { algorithm: "sha512", hexLength: 128 },
  { algorithm: "sha256", hexLength: 64 },
  { algorithm: "sha1", hexLength: 40 }
];
async function get(url, signal) {
  try {
    return await fetch(url, { signal, redirect: "follow" });
  } catch (err) {
    const cause = err.cause;
    throw new Error(`cannot download ${url}: ${cause?.code ?? cause?.message ?? err.message}`);
  }
}
async function publishedChecksum(url, signal) {
  for (const { algorithm, hexLength } of CHECKSUMS) {
    const res = await get(`${url}.${algorithm}`, signal);
    if (res.status === 404) {
      await res.body?.cancel();
      continue;
    }
    if (!res.ok) throw new Error(`cannot download ${url}.${algorithm}: HTTP ${res.status}`);
    const digest = (await res.text()).trim().split(/\s+/)[0].toLowerCase();
    if (!new RegExp(`^[0-9a-f]{${hexLength}}$`).test(digest)) throw new Error(`${url}.${algorithm} holds no ${algorithm} digest`);
    return { algorithm, digest };
  }
  throw new Error(`${url} has no published checksum (.sha512, .sha256 or .sha1): refusing to use it unverified`);
}
async function downloadVerified(url, dest, opts = {}) {
  const expected = await publishedChecksum(url, opts.signal);
  const res = await get(url, opts.signal);
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`cannot download ${url}: HTTP ${res.status}`);
  }
  const length = Number(res.headers.get("content-length"));
  const total = Number.isFinite(length) && length > 0 ? length : void 0;
  const hash = createHash3(expected.algorithm);
  let bytes = 0;
  mkdirSync4(path16.dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}-${randomBytes(4).toString("hex")}.part`;
  try {
    await pipeline(
      Readable.fromWeb(res.body),
      async function* (source) {
        for await (const chunk of source) {
          hash.update(chunk);
          bytes += chunk.length;
          opts.onProgress?.(bytes, total);
          yield chunk;
        }
      },
      createWriteStream(tmp)
    );
    const actual = hash.digest("hex");
    if (actual !== expected.digest) {
      throw new Error(`${url}: the ${bytes} bytes received have ${expected.algorithm} ${actual}, not the published ${expected.digest}; nothing was kept, try again`);
    }
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
}

// lib/local/opensearch-distribution.ts
var OPENSEARCH_VERSION = "2.19.6";
var MAVEN_CENTRAL = "https://repo1.maven.org/maven2";
var integTestZipPath = (version) => `org/opensearch/distribution/integ-test-zip/opensearch/${version}/opensearch-${version}.zip`;
var isExtracted = (dir) => fs6.existsSync(path17.join(dir, "bin", "opensearch"));
async function opensearchZip(opts = {}) {
  const version = opts.version ?? OPENSEARCH_VERSION;
  const given = process.env.LOGTONG_OPENSEARCH_ZIP;
  if (given) {
    if (!fs6.existsSync(given)) throw new Error(`LOGTONG_OPENSEARCH_ZIP=${given}: no such file`);
    return given;
  }
  const m2 = process.env.MAVEN_REPO_LOCAL || path17.join(os3.homedir(), ".m2", "repository");
  const local = path17.join(m2, integTestZipPath(version));
  if (fs6.existsSync(local)) return local;
  const cached = path17.join(opts.cacheDir ?? cacheDir(), `opensearch-${version}.zip`);
  if (fs6.existsSync(cached)) return cached;
  const url = `${(opts.mavenRepository ?? MAVEN_CENTRAL).replace(/\/+$/, "")}/${integTestZipPath(version)}`;
  await downloadVerified(url, cached, { onProgress: opts.onDownloadProgress });
  return cached;
}
function extractInto(parent, zip, version) {
  const target = path17.join(parent, `opensearch-${version}`);
  if (isExtracted(target)) return target;
  requireUnzip();
  fs6.mkdirSync(parent, { recursive: true, mode: 493 });
  const tmp = fs6.mkdtempSync(path17.join(parent, `.opensearch-${version}.tmp-`));
  try {
    const unzip = spawnSync3("unzip", ["-q", "-o", zip, "-d", tmp], { encoding: "utf8" });
    if (unzip.error || unzip.status !== 0) throw new Error(`extracting ${zip} failed: ${unzip.error?.message ?? unzip.stderr.trim()}`);
    spawnSync3("chmod", ["-R", "a+rX", tmp]);
    try {
      fs6.renameSync(path17.join(tmp, `opensearch-${version}`), target);
    } catch (err) {
      const code = err.code;
      if (!(code === "ENOTEMPTY" || code === "EEXIST") || !isExtracted(target)) throw err;
    }
  } finally {
    fs6.rmSync(tmp, { recursive: true, force: true });
  }
  return target;
}
function extractionParent(cache) {
  if (!isRoot()) return cache;
  fs6.mkdirSync(cache, { recursive: true });
  return runUserPasses("-r", cache, "-a", "-x", cache) ? cache : path17.join(os3.tmpdir(), "logtong-cache");
}
async function resolveHome(opts) {
  const version = opts.version ?? OPENSEARCH_VERSION;
  const parent = extractionParent(opts.cacheDir ?? cacheDir());
  const ready = path17.join(parent, `opensearch-${version}`);
  if (isExtracted(ready)) return ready;
  const home = extractInto(parent, await opensearchZip(opts), version);
  if (isRoot() && !runUserPasses("-r", path17.join(home, "lib"), "-a", "-x", path17.join(home, "bin", "opensearch"))) {
    throw new Error(`user '${runUser()}' cannot read ${home}`);
  }
  return home;
}
var homes = /* @__PURE__ */ new Map();
function opensearchHome(opts = {}) {
  const key = JSON.stringify([opts.cacheDir ?? cacheDir(), opts.version ?? OPENSEARCH_VERSION]);
  let home = homes.get(key);
  if (!home) {
    home = resolveHome(opts);
    homes.set(key, home);
    home.catch(() => homes.delete(key));
  }
  return home;
}

// lib/local/opensearch.ts
var DEFAULT_JAVA_OPTS = ["-XX:-AlwaysPreTouch", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData"];
var READY_TIMEOUT_MS2 = 12e4;
var STOP_GRACE_MS = 2e4;
function tail(file, lines = 60) {
  try {
    const text = fs7.readFileSync(file, "utf8");
    return text.split("\n").slice(-lines).join("\n");
  } catch {
    return `(no log at ${file})`;
  }
}
var sleep2 = (ms) => new Promise((r) => setTimeout(r, ms));
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
    }
  }
}
var liveNodes = /* @__PURE__ */ new Set();
var hooksInstalled = false;
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = () => {
    for (const n of liveNodes) n.killSync();
  };
  process.on("exit", killAll);
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) {
    if (process.listenerCount(sig) === 0) {
      process.once(sig, () => {
        killAll();
        process.kill(process.pid, sig);
      });
    }
  }
}
var NodeImpl = class {
  constructor(port, transportPort, dir, home, java2, heapMb, javaOpts, extraSettings = {}, keep = false) {
    this.port = port;
    this.transportPort = transportPort;
    this.dir = dir;
    this.home = home;
    this.java = java2;
    this.heapMb = heapMb;
    this.javaOpts = javaOpts;
    this.extraSettings = extraSettings;
    this.keep = keep;
    this.url = `http://127.0.0.1:${port}`;
  }
  port;
  transportPort;
  dir;
  home;
  java;
  heapMb;
  javaOpts;
  extraSettings;
  keep;
  url;
  startupMs = 0;
  child;
  exited;
  exitInfo;
  get pid() {
    return this.child && !this.exitInfo ? this.child.pid : void 0;
  }
  get consoleLog() {
    return path18.join(this.dir, "logs", "console.log");
  }
  /** Writes config dir; ids of the run user when root. */
  prepare() {
    const confDir = path18.join(this.dir, "config");
    for (const d of ["config", "config/jvm.options.d", "data", "logs", "tmp"]) {
      fs7.mkdirSync(path18.join(this.dir, d), { recursive: true });
    }
    fs7.copyFileSync(path18.join(this.home, "config", "log4j2.properties"), path18.join(confDir, "log4j2.properties"));
    const jvmOptions = fs7.readFileSync(path18.join(this.home, "config", "jvm.options"), "utf8").replace(/(file=|ErrorFile=)logs\//g, `$1${path18.join(this.dir, "logs")}/`).replace(/HeapDumpPath=data\b/g, `HeapDumpPath=${path18.join(this.dir, "data")}`);
    fs7.writeFileSync(path18.join(confDir, "jvm.options"), jvmOptions);
    const id = this.keep ? "kept" : randomBytes2(4).toString("hex");
    const settings = {
      "cluster.name": `logtong-local-${id}`,
      "node.name": `node-${id}`,
      "path.data": path18.join(this.dir, "data"),
      "path.logs": path18.join(this.dir, "logs"),
      "network.host": "127.0.0.1",
      "http.port": this.port,
      "transport.port": this.transportPort,
      "discovery.type": "single-node",
      "cluster.routing.allocation.disk.threshold_enabled": false,
      "bootstrap.memory_lock": false,
      "action.auto_create_index": true,
      ...this.extraSettings
    };
    fs7.writeFileSync(
      path18.join(confDir, "opensearch.yml"),
      Object.entries(settings).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("\n") + "\n"
    );
    if (isRoot()) {
      const { uid, gid } = runUserIds();
      const r = spawnSync4("chown", ["-R", `${uid}:${gid}`, this.dir]);
      if (r.status !== 0) throw new Error(`chown ${this.dir} failed: ${r.stderr}`);
    }
  }
  spawnProcess() {
    const env = {
      ...process.env,
      JAVA_HOME: this.java.home,
      OPENSEARCH_PATH_CONF: path18.join(this.dir, "config"),
      OPENSEARCH_TMPDIR: path18.join(this.dir, "tmp"),
      // Appended after config/jvm.options; for HotSpot the last occurrence of a flag wins.
      OPENSEARCH_JAVA_OPTS: [`-Xms${this.heapMb}m`, `-Xmx${this.heapMb}m`, ...DEFAULT_JAVA_OPTS, ...this.javaOpts].join(" "),
      HOME: this.dir
    };
    delete env.OPENSEARCH_JAVA_HOME;
    delete env.JAVA_TOOL_OPTIONS;
    delete env.JAVA_OPTS;
    delete env.NODE_OPTIONS;
    const bin = path18.join(this.home, "bin", "opensearch");
    const pidFile = path18.join(this.dir, "opensearch.pid");
    const [cmd, ...args] = [...launchPrefix(), bin, "-p", pidFile];
    const out = fs7.openSync(this.consoleLog, "a");
    try {
      this.exitInfo = void 0;
      const child = spawn5(cmd, args, {
        cwd: this.dir,
        env,
        detached: true,
        // own process group: stop() kills the whole tree
        stdio: ["ignore", out, out]
      });
      child.unref();
      this.child = child;
      this.exited = new Promise((resolve7) => {
        child.once("exit", (code, signal) => {
          this.exitInfo = `exited with ${signal ?? `code ${code}`}`;
          resolve7();
        });
        child.once("error", (err) => {
          this.exitInfo = `failed to spawn ${cmd}: ${err.message}`;
          resolve7();
        });
      });
    } finally {
      fs7.closeSync(out);
    }
  }
  /** Spawns and waits for yellow. Throws (after killing the process) on early exit or timeout. */
  async boot() {
    const t0 = Date.now();
    this.spawnProcess();
    const deadline = t0 + READY_TIMEOUT_MS2;
    let lastErr = "";
    while (Date.now() < deadline) {
      if (this.exitInfo) {
        throw new Error(
          `OpenSearch on port ${this.port} ${this.exitInfo} before becoming ready.
--- tail of ${this.consoleLog} ---
${tail(this.consoleLog)}`
        );
      }
      try {
        const res = await fetch(`${this.url}/_cluster/health?wait_for_status=yellow&timeout=2s`, {
          signal: AbortSignal.timeout(5e3)
        });
        const body = await res.text();
        if (res.status === 200) {
          this.startupMs = Date.now() - t0;
          return;
        }
        lastErr = `HTTP ${res.status}: ${body.slice(0, 300)}`;
      } catch (err) {
        lastErr = String(err.cause ?? err);
      }
      await sleep2(250);
    }
    await this.stop();
    throw new Error(
      `OpenSearch on port ${this.port} not ready after ${READY_TIMEOUT_MS2 / 1e3}s (last: ${lastErr}).
--- tail of ${this.consoleLog} ---
${tail(this.consoleLog)}`
    );
  }
  bootFailedOnPort() {
    const t = tail(this.consoleLog, 200);
    return /BindException|Address already in use|BindTransportException|BindHttpException/.test(t);
  }
  async start() {
    if (this.child && !this.exitInfo) return;
    if (!fs7.existsSync(this.dir)) throw new Error(`OpenSearch node on port ${this.port} was disposed`);
    liveNodes.add(this);
    await this.boot();
  }
  async stop() {
    const child = this.child;
    if (!child || this.exitInfo || child.pid === void 0) return;
    killGroup(child.pid, "SIGTERM");
    let timer;
    const graceful = await Promise.race([
      this.exited.then(() => true),
      new Promise((r) => timer = setTimeout(() => r(false), STOP_GRACE_MS))
    ]);
    clearTimeout(timer);
    if (!graceful) {
      killGroup(child.pid, "SIGKILL");
      await this.exited;
    }
    killGroup(child.pid, "SIGKILL");
  }
  async dispose() {
    await this.stop();
    liveNodes.delete(this);
    if (!this.keep) fs7.rmSync(this.dir, { recursive: true, force: true });
  }
  /** Synchronous best effort for process exit hooks. */
  killSync() {
    if (this.child?.pid !== void 0 && !this.exitInfo) killGroup(this.child.pid, "SIGKILL");
    if (this.keep) return;
    try {
      fs7.rmSync(this.dir, { recursive: true, force: true });
    } catch {
    }
  }
};
var java;
var fallbackDir = (dir) => path18.join(os4.tmpdir(), "logtong-cache", "nodes", path18.resolve(dir).replace(/[^A-Za-z0-9._-]+/g, "_"));
function persistentDir(dir) {
  fs7.mkdirSync(dir, { recursive: true });
  if (!isRoot() || runUserPasses("-x", dir)) return dir;
  const instead = fallbackDir(dir);
  fs7.mkdirSync(instead, { recursive: true });
  return instead;
}
function removeNodeDir(dir) {
  for (const d of [dir, fallbackDir(dir)]) fs7.rmSync(d, { recursive: true, force: true });
}
async function startOpenSearch(opts = {}) {
  const jvm = java ??= findJava();
  if (isRoot()) {
    launchPrefix();
    runUserIds();
  }
  const home = await opensearchHome(opts);
  installExitHooks();
  const heapMb = opts.heapMb ?? 512;
  let lastErr;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const [httpPort, transportPort] = await freePorts(2);
    const dir = opts.dir ? persistentDir(opts.dir) : fs7.mkdtempSync(path18.join(os4.tmpdir(), "logtong-opensearch-"));
    const node = new NodeImpl(httpPort, transportPort, dir, home, jvm, heapMb, opts.javaOpts ?? [], opts.settings, opts.dir !== void 0);
    liveNodes.add(node);
    try {
      node.prepare();
      await node.boot();
      return node;
    } catch (err) {
      lastErr = err;
      const portClash = node.bootFailedOnPort();
      await node.dispose();
      if (!portClash) throw err;
    }
  }
  throw lastErr;
}

// lib/local/run-pipeline.ts
var LocalUnsupportedError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "LocalUnsupportedError";
  }
};
function supported(p) {
  const refuse = (what) => {
    throw new LocalUnsupportedError(`pipeline ${p.name}: logtong local does not run ${what} yet`);
  };
  if ("account" in p.source && p.source.account) refuse("a source in another account (it reaches the pipeline through a role assumed with AWS STS)");
}
async function countRecords(body, p) {
  const parser = compileParser(p.logFormat);
  let n = 0;
  for await (const batch of recordBatches(parser, splitLines(decodeBody(body), { maxLineBytes: p.logFormat.maxLineBytes }))) n += batch.length;
  return n;
}
function synthesize(config, pipeline2, outdir) {
  const root = projectRoot();
  const context = JSON.parse(readFileSync6(path19.join(root, "cdk.json"), "utf8")).context ?? {};
  rmSync4(outdir, { recursive: true, force: true });
  AssetStaging.clearAssetHashCache();
  const app = new App({ outdir, context, builtinCloudFormationValidation: false });
  buildApp(app, { ...config, pipelines: [pipeline2] });
  const assembly = app.synth();
  return { template: assembly.getStackByName(`Logtong-${pipeline2.name}`).template, directory: assembly.directory };
}
function uploadOf(file, content, p) {
  let body = content;
  let name = path19.basename(file);
  if (!name.endsWith(p.suffix)) {
    const gzipped = body[0] === 31 && body[1] === 139;
    if (p.suffix.endsWith(".gz") && !gzipped) body = gzipSync(body);
    name += p.suffix;
  }
  return { key: `${p.prefix}${name}`, body };
}
async function copyPrefix(aws, bucket, prefix, folder, each) {
  let n = 0;
  for await (const page of paginateListObjectsV2({ client: aws.s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const obj of page.Contents ?? []) {
      const bytes = Buffer.from(await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: obj.Key }))).Body.transformToByteArray());
      if (folder) {
        const file = path19.join(folder, obj.Key);
        mkdirSync7(path19.dirname(file), { recursive: true });
        writeFileSync6(file, bytes);
      }
      each?.(obj.Key, bytes);
      n++;
    }
  }
  return n;
}
var jsonLines = (gzipped) => gunzipSync(gzipped).toString("utf8").split("\n").filter(Boolean).length;
async function copyBackup(aws, bucket, pipeline2, folder) {
  let backedUp = 0;
  let deadLetters = 0;
  if (folder) rmSync4(folder, { recursive: true, force: true });
  await copyPrefix(aws, bucket, `${pipeline2}/`, folder, (key, bytes) => {
    if (key.includes("/failed-records/")) backedUp += jsonLines(bytes);
    else if (/\/dead-letters\/[^/]+\/[^/]+\.json$/.test(key)) deadLetters++;
  });
  await copyPrefix(aws, bucket, `agent-failed/${pipeline2}/`, folder, (_key, bytes) => backedUp += jsonLines(bytes));
  return { backedUp, deadLetters };
}
async function untilReadSettles(agent, quietSeconds = 3) {
  let read = -1;
  for (let stable = 0, i = 0; stable < quietSeconds && i < 300; i++) {
    await new Promise((r) => setTimeout(r, 1e3));
    const now = await agent.readRecords();
    stable = now === read && now > 0 ? stable + 1 : 0;
    read = now;
  }
  return read;
}
async function runLocalPipeline(o) {
  const configured = o.config.pipelines.find((p) => p.name === o.pipeline);
  if (!configured) throw new LocalUnsupportedError(`the config has no pipeline named ${o.pipeline} (it has ${o.config.pipelines.map((p) => p.name).join(", ")})`);
  supported(configured);
  const source = configured.source;
  const status = o.onStatus ?? (() => void 0);
  const light = configured.engine.type === "light";
  status(light ? "starting the S3/SQS emulator" : "starting the OpenSearch node and the S3/SQS emulator");
  const buffer = configured.engine.type === "light" ? "s3" : configured.engine.buffer;
  let node;
  let aws;
  let kinesis;
  let stack;
  let agent;
  let agentRunning = false;
  let agentFiltered;
  const stopAgent = async () => {
    if (!agentRunning) return;
    agentRunning = false;
    try {
      if (buffer === "none") agentFiltered = await agent.filtered();
    } finally {
      await agent.stop();
    }
  };
  const stop = async () => {
    await stopAgent().catch(() => agent?.stop());
    await stack?.stop();
    await Promise.all([node?.dispose(), aws?.stop(), kinesis?.stop()]);
  };
  try {
    const nodeDir = path19.join(o.workDir, "opensearch");
    if (o.fresh) {
      removeNodeDir(nodeDir);
      rmSync4(o.workDir, { recursive: true, force: true });
    }
    const nodeOptions = { dir: nodeDir, ...o.onDownloadProgress ? { onDownloadProgress: o.onDownloadProgress } : {} };
    const started = await Promise.allSettled([light ? void 0 : startOpenSearch(nodeOptions), startAwsEmulator(), buffer === "kinesis" && source.type !== "s3" ? startKinesis() : void 0]);
    const value = (r) => r.status === "fulfilled" ? r.value : void 0;
    [node, aws, kinesis] = [value(started[0]), value(started[1]), value(started[2])];
    for (const r of started) if (r.status === "rejected") throw r.reason;
    const pipeline2 = localPipeline(configured, node ? { opensearchUrl: node.url } : {});
    status(`synthesizing Logtong-${pipeline2.name} into ${path19.join(o.workDir, "cdk.out")}`);
    const synthesized = synthesize(o.config, pipeline2, path19.join(o.workDir, "cdk.out"));
    await stopEsbuild();
    status("creating its buckets, queues and functions on the emulator");
    const tally = /* @__PURE__ */ new Map();
    stack = await deployLocalStack({
      template: synthesized.template,
      assembly: synthesized.directory,
      prefix: pipeline2.name,
      aws,
      ...kinesis ? { kinesis } : {},
      onLog: (_fn, line) => {
        if (!line.includes('"_aws"')) return;
        const doc = JSON.parse(line);
        for (const name of ["Filtered", "Written", "Duplicates", "Indexed", "BackedUp"]) if (typeof doc[name] === "number") tally.set(name, (tally.get(name) ?? 0) + doc[name]);
      },
      // Node 20 is what Logtong supports; the SDK's notice about its own future support is not the user's business here.
      extraEnvironment: { POWERTOOLS_LOG_LEVEL: "WARN", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" }
    });
    const alias = pipeline2.engine.type === "opensearch" ? pipeline2.engine.indexPrefix : "";
    const countNow = async () => {
      await fetch(`${node.url}/${alias}/_refresh`, { method: "POST" });
      return (await (await fetch(`${node.url}/${alias}/_count`)).json()).count ?? 0;
    };
    const before = light ? 0 : await countNow();
    const contents = /* @__PURE__ */ new Map();
    for (const file of o.inputs) {
      const bytes = readFileSync6(file);
      contents.set(file, o.follow ? bytes.subarray(0, bytes.lastIndexOf(10) + 1) : bytes);
    }
    const offsets = new Map([...contents].map(([f, b]) => [f, b.length]));
    let records = 0;
    const files = o.inputs.length;
    for (const bytes of contents.values()) records += await countRecords(Readable2.from([bytes]), pipeline2);
    if (source.type === "s3") {
      if (source.mode === "one-time") await aws.s3.send(new CreateBucketCommand2({ Bucket: source.bucketName }));
      for (const [file, content] of contents) {
        const { key, body } = uploadOf(file, content, source);
        status(`uploading ${file} to s3://${source.bucketName}/${key}`);
        await aws.s3.send(new PutObjectCommand({ Bucket: source.bucketName, Key: key, Body: body }));
      }
      if (source.mode === "one-time") {
        status("running the one-time scanner (the bundle of its image, with its task definition's environment)");
        const bundle2 = path19.join(o.workDir, "scanner", "main.js");
        mkdirSync7(path19.dirname(bundle2), { recursive: true });
        buildScanner(bundle2, projectRoot());
        await stack.runTask("ScannerTask", bundle2);
      }
    } else {
      const what = source.type === "syslog" ? "receiver" : "agent";
      status(`running the ${what} (Fluent Bit ${FLUENT_BIT_VERSION}, its generated configuration) on the inputs`);
      const agentDir = path19.join(o.workDir, what);
      rmSync4(agentDir, { recursive: true, force: true });
      agentRunning = true;
      agent = await startLocalAgent({ pipeline: pipeline2, stack, aws, inputs: o.inputs, dir: agentDir, ...node ? { opensearchUrl: node.url } : {}, ...kinesis ? { kinesis } : {}, ...o.listenPort ? { listenPort: o.listenPort } : {} });
      if (agent.listening) status(`the receiver listens on 127.0.0.1:${agent.listening.port} (${agent.listening.protocols}, ${agent.listening.framing})`);
      for (const [file, content] of contents) await agent.feed(file, content);
      if (records > 0) await untilReadSettles(agent);
      if (!o.follow) await stopAgent();
    }
    const settle = async () => {
      const handled = await stack.drain();
      if (!light || Object.values(handled).every((h) => h.received === 0)) return;
      const run = await stack.runStateMachine("LightEngineStateMachine", { trigger: "schedule" });
      if (run.published.length > 0) throw new Error(`the Light Engine batch failed: ${run.published.map((p) => p.Message).join("; ")}`);
      await stack.drain();
    };
    const direct = !light && source.type !== "s3" && buffer === "none";
    const documentsOfInputs = async () => {
      const query = { query: { terms: { "logtong.file": [...agent.tailed] } } };
      const res = await fetch(`${node.url}/${alias}/_count`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(query) });
      return (await res.json()).count ?? 0;
    };
    const allRecords = async () => agentRunning && agent?.listening ? Math.max(records, await agent.readRecords()) : records;
    const counts = async () => {
      if (light) return { written: tally.get("Written") ?? 0, duplicates: 0, filtered: tally.get("Filtered") ?? 0 };
      const written = await countNow() - before;
      if (direct) return { written, duplicates: Math.max(0, await documentsOfInputs() - written), filtered: agentFiltered ?? await agent.filtered() };
      return { written, duplicates: tally.get("Duplicates") ?? 0, filtered: tally.get("Filtered") ?? 0 };
    };
    status(light ? "running the pipeline, then the Light Engine batch (its state machine as synthesized)" : "running the pipeline");
    await settle();
    if (agentRunning) {
      let last = "";
      for (let quiet = 0; quiet < 10; ) {
        const l = await live2();
        if (l.records === l.written + l.duplicates + l.filtered + l.backedUp) break;
        const now = JSON.stringify(l);
        quiet = now === last ? quiet + 1 : 0;
        last = now;
        await new Promise((r) => setTimeout(r, 1e3));
        await settle();
      }
    }
    async function live2() {
      if (direct) {
        const backedUp = (await copyBackup(aws, stack.bucketName("BackupBucket"), pipeline2.name, void 0)).backedUp;
        return { records: await allRecords(), backedUp, ...await counts() };
      }
      return { records: await allRecords(), filtered: tally.get("Filtered") ?? 0, backedUp: tally.get("BackedUp") ?? 0, written: tally.get(light ? "Written" : "Indexed") ?? 0, duplicates: tally.get("Duplicates") ?? 0 };
    }
    const summarize = async (finish) => {
      const listened = agentRunning && agent?.listening !== void 0;
      if (finish && agentRunning) {
        records = await allRecords();
        await stopAgent();
        await settle();
      }
      const backupFolder = path19.join(o.workDir, "backup");
      const { backedUp, deadLetters } = await copyBackup(aws, stack.bucketName("BackupBucket"), pipeline2.name, backupFolder);
      const found = await counts();
      const arrived = found.written + found.duplicates + found.filtered + backedUp;
      if (finish && listened && arrived > records) records = arrived;
      const common = { pipeline: pipeline2.name, files, records: finish ? records : await allRecords(), backedUp, deadLetters, backupFolder, ...listening ? { listening } : {}, ...found };
      if (light) {
        const table = stack.resources.tables[0];
        const names = stack.names;
        const tableInput = resolve4(table.tableInput, names, table.id);
        const folder = path19.join(o.workDir, "parquet");
        rmSync4(folder, { recursive: true, force: true });
        const parquetFiles = await copyPrefix(aws, stack.bucketName("CentralBucket"), `${tableInput.Name}/`, folder);
        return { ...common, engine: "light", light: { folder, table: tableInput.Name, parquetFiles, ddl: athenaDdl(String(resolve4(table.databaseName, names, table.id)), tableInput) } };
      }
      const plugins = await (await fetch(`${node.url}/_cat/plugins?format=json`)).json();
      return { ...common, engine: "opensearch", opensearch: { url: node.url, alias, ism: plugins.some((p) => p.component === "opensearch-index-management") } };
    };
    const listening = agent?.listening;
    let seq = 0;
    return {
      summary: await summarize(false),
      offsets,
      async append(file, bytes) {
        records += await countRecords(Readable2.from([bytes]), pipeline2);
        if (source.type === "s3") {
          const { key, body } = uploadOf(`${path19.basename(file)}.${Date.now()}-${++seq}`, bytes, source);
          await aws.s3.send(new PutObjectCommand({ Bucket: source.bucketName, Key: key, Body: body }));
        } else await agent.feed(file, bytes);
        await settle();
      },
      settle,
      live: live2,
      summarize: () => summarize(true),
      stop
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

// lib/cli/local-command.ts
var LOCAL_USAGE = `usage:
  logtong local --config pipelines.yaml --pipeline NAME --input FILE [--input FILE...] [--data DIR] [--fresh]
                [--once | --follow]
  logtong local --config pipelines.yaml --pipeline NAME --listen [PORT] [--input FILE...] [--data DIR] [--fresh]

Runs the pipeline on this machine through its real path, on local components: a real OpenSearch node (OpenSearch
engine), an S3/SQS emulator (and a Kinesis one for buffer kinesis) on 127.0.0.1, the stack synthesized as cdk synth
would (pointed at the node), its functions run from the bundles synth wrote. The inputs go in as the source gets them:
  s3          each file is uploaded to the emulated source bucket under the pipeline's prefix (with its suffix,
              gzipped when that is .gz), so the notification (mode one-time: the scanner task, from its image's
              bundle), copy, staging, processor and backup run as deployed
  fluent-bit  the generated agent configuration runs on the real Fluent Bit (bash .ci/setup-fluent-bit.sh builds
              it): an ec2 agent tails the files; an eks agent tails container logs the files' lines are written to
              in containerd's format; then its buffer (s3, kinesis, or none: the agent indexes) as deployed
  syslog      the generated receiver configuration on the real Fluent Bit gets each line as one frame, over TCP
              with the source's framing (UDP when that is all it listens to)
At the end it prints the records of the inputs and where each went (indexed or written, filtered, backed up:
nothing lost, else exit status 1) and how to look at the result: for OpenSearch the node's URL with ready curl
queries (the node stays up until Ctrl-C); for the Light Engine, whose batch state machine runs as synthesized,
the Parquet files in their Hive layout under DIR/parquet/, a DuckDB query and the Glue table's DDL.
  --data DIR  the pipeline's folder: the stack, the node's data, the backed-up records, the Parquet (default: local/<pipeline>/ in the cache
              folder: $LOGTONG_CACHE_DIR, else $XDG_CACHE_HOME/logtong, else ~/.cache/logtong)
  --fresh     start from an empty folder (the node's indices included); without it the node keeps the indices
              of earlier runs, and records it already holds count as already indexed
  --once      stop everything after printing (for scripts)
  --follow    keep running: lines appended to the inputs are ingested as they come (s3: each new chunk a new
              object; agents: read by the agent; syslog: sent as frames, and clients may send to the printed
              port too), with a progress line on stderr; Ctrl-C prints the summary of everything and stops
  --listen [PORT]
              syslog: the receiver takes messages from clients on 127.0.0.1:PORT (default: a free port,
              printed) until Ctrl-C, as with --follow; --input is optional then
Sources in another account are not run. The OpenSearch node needs Java 17; its distribution is downloaded from
Maven Central on first use, into the cache folder.`;
var MIB = 1024 * 1024;
function accountedFor(s) {
  return s.records === s.written + s.duplicates + s.filtered + s.backedUp && s.deadLetters === 0;
}
function report(s) {
  const n = (x) => x.toLocaleString("en-US").padStart(12);
  const where = s.opensearch ? `indexed    ${n(s.written)}  into ${s.opensearch.alias} on ${s.opensearch.url}` : `written    ${n(s.written)}  rows to ${s.light.parquetFiles} Parquet files under ${s.light.folder}`;
  const lines = [
    `${s.pipeline}: ${s.records.toLocaleString("en-US")} records in ${s.files} file${s.files === 1 ? "" : "s"}`,
    `  ${where}`,
    ...s.duplicates ? [`  duplicate  ${n(s.duplicates)}  already indexed by an earlier run (the same object and line: the same document id)`] : [],
    `  filtered   ${n(s.filtered)}  by the pipeline's filters`,
    `  backed up  ${n(s.backedUp)}  with their raw text and reason, in ${s.backupFolder}`,
    accountedFor(s) ? `  all ${s.records.toLocaleString("en-US")} records accounted for` : `  NOT ACCOUNTED FOR: ${(s.records - s.written - s.duplicates - s.filtered - s.backedUp).toLocaleString("en-US")} records${s.deadLetters ? `; ${s.deadLetters} dead-lettered message(s), their objects copied whole under ${s.backupFolder}` : ""}`,
    ""
  ];
  if (s.opensearch) {
    const { url, alias, ism } = s.opensearch;
    lines.push(
      ism ? "The index template, ISM policy and write alias are on the node." : "The index template and write alias are on the node; the ISM policy is not: the local node has no ISM plugin (a deployed domain has it).",
      "Look at the result:",
      `  curl -s '${url}/${alias}/_count'`,
      `  curl -s '${url}/${alias}/_search?size=3&pretty'`,
      `  curl -s '${url}/_cat/indices/${alias}-*?v'`,
      `  curl -s '${url}/_index_template/${alias}-template?pretty'`
    );
  } else {
    const { folder, table, ddl } = s.light;
    lines.push(
      "Look at the result with DuckDB (the Hive layout gives the partition columns):",
      `  duckdb -c "select event_hour, count(*) from read_parquet('${folder}/${table}/**/*.parquet', hive_partitioning = true) group by 1 order by 1"`,
      "",
      "The Glue table the stack deploys, as Athena DDL (its LOCATION is the deployed bucket):",
      ddl
    );
  }
  return `${lines.join("\n")}
`;
}
async function runLocal(argv, io, waitForStop) {
  let values;
  let listenPort;
  try {
    const parsed = parseArgs({
      // `--listen=5514` as `--listen 5514` (parseArgs has no option with an optional value).
      args: argv.flatMap((a) => a.startsWith("--listen=") ? ["--listen", a.slice("--listen=".length)] : [a]),
      options: { config: { type: "string" }, pipeline: { type: "string" }, input: { type: "string", multiple: true }, data: { type: "string" }, fresh: { type: "boolean" }, once: { type: "boolean" }, follow: { type: "boolean" }, listen: { type: "boolean" } },
      strict: true,
      // `--listen 5514`: the port is the one positional there can be, right after --listen.
      allowPositionals: true,
      tokens: true
    });
    values = parsed.values;
    for (const [i, t] of parsed.tokens.entries()) {
      if (t.kind !== "positional") continue;
      const before = parsed.tokens[i - 1];
      if (before?.kind !== "option" || before.name !== "listen" || !/^\d{1,5}$/.test(t.value) || Number(t.value) > 65535 || Number(t.value) === 0) throw new UsageError(`unexpected argument ${t.value}${before?.kind === "option" && before.name === "listen" ? " (--listen takes a port, 1 to 65535)" : ""}`);
      listenPort = Number(t.value);
    }
  } catch (e) {
    throw e instanceof UsageError ? e : new UsageError(e.message);
  }
  if (!values.config || !values.pipeline) throw new UsageError("--config and --pipeline are required");
  const inputs = values.input ?? [];
  if (inputs.length === 0 && !values.listen) throw new UsageError("--input FILE is required (repeat it for several files)");
  if (values.listen && values.once) throw new UsageError("--listen and --once go apart: --listen runs until Ctrl-C");
  for (const f of inputs) {
    if (f === "-") throw new UsageError("--input -: logtong local uploads files; give a file");
    openInput("--input", f, io.stdin).body.destroy();
  }
  if (values.follow && values.once) throw new UsageError("--follow and --once go apart: --follow runs until Ctrl-C");
  const config = loadConfig(values.config);
  const chosen = config.pipelines.find((p) => p.name === values.pipeline);
  if (values.follow && chosen?.source.type === "s3" && chosen.source.mode === "one-time") throw new UsageError(`--follow: pipeline ${chosen.name} has a one-time source, scanned once`);
  if (values.listen && chosen && chosen.source.type !== "syslog") throw new UsageError(`--listen: pipeline ${chosen.name}'s source is of type ${chosen.source.type}; --listen is for syslog receivers`);
  const follows = values.follow === true || values.listen === true;
  const status = (line) => io.stderr.write(`logtong local: ${line}
`);
  const resolved = inputs.map((f) => path20.resolve(f));
  let lastShown = 0;
  let run;
  try {
    run = await runLocalPipeline({
      config,
      pipeline: values.pipeline,
      inputs: resolved,
      workDir: path20.resolve(values.data ?? path20.join(cacheDir(), "local", values.pipeline)),
      fresh: values.fresh === true,
      follow: follows,
      ...listenPort ? { listenPort } : {},
      onStatus: status,
      onDownloadProgress: (bytes, total) => {
        if (bytes - lastShown < 8 * MIB && bytes !== total) return;
        lastShown = bytes;
        status(`downloading OpenSearch from Maven Central: ${(bytes / MIB).toFixed(0)}${total ? ` of ${(total / MIB).toFixed(0)}` : ""} MiB`);
      }
    });
  } catch (e) {
    if (e instanceof LocalUnsupportedError) throw new UsageError(e.message);
    if (e.name === "MissingPrerequisiteError") throw new UsageError(e.message);
    throw e;
  }
  try {
    io.stdout.write(report(run.summary));
    if (follows) {
      const listening = run.summary.listening;
      io.stderr.write(`logtong local: ${[inputs.length ? "following the inputs (lines appended to them are ingested)" : "", listening ? `listening for syslog on 127.0.0.1:${listening.port} (${listening.protocols}, ${listening.framing})` : ""].filter(Boolean).join("; ")}; Ctrl-C stops
`);
      const final = await follow(run, resolved, io, waitForStop());
      io.stdout.write(`
${report(final)}`);
      return accountedFor(final) ? EXIT_OK : EXIT_FAILED;
    }
    if (!values.once && run.summary.opensearch) {
      io.stderr.write("logtong local: the node stays up for these queries; Ctrl-C stops it and the emulator\n");
      await waitForStop();
    }
    return accountedFor(run.summary) ? EXIT_OK : EXIT_FAILED;
  } finally {
    await run.stop();
  }
}
async function follow(run, inputs, io, stopped) {
  let stop = false;
  void stopped.then(() => stop = true);
  const offsets = new Map(run.offsets);
  const started = Date.now();
  const startRecords = (await run.live()).records;
  const tty = io.stderr.isTTY === true;
  let shown = "";
  const line = async () => {
    const l = await run.live();
    const seconds = (Date.now() - started) / 1e3;
    return `records ${l.records.toLocaleString("en-US")} (${Math.round((l.records - startRecords) / Math.max(seconds, 1)).toLocaleString("en-US")}/s since following) \xB7 written ${l.written.toLocaleString("en-US")} \xB7 duplicate ${l.duplicates.toLocaleString("en-US")} \xB7 filtered ${l.filtered.toLocaleString("en-US")} \xB7 backed up ${l.backedUp.toLocaleString("en-US")}`;
  };
  const readAppended = async () => {
    for (const f of inputs) {
      const size = statSync2(f).size;
      let from = offsets.get(f);
      if (size < from) from = 0;
      if (size === from) continue;
      const chunk = readRange(f, from, size);
      const end = chunk.lastIndexOf(10) + 1;
      if (end === 0) continue;
      await run.append(f, chunk.subarray(0, end));
      offsets.set(f, from + end);
    }
  };
  while (!stop) {
    await Promise.race([new Promise((r) => setTimeout(r, 1e3)), stopped]);
    if (stop) break;
    await readAppended();
    await run.settle();
    const now = await line();
    if (now.replace(/\(.*?\)/, "") === shown) continue;
    shown = now.replace(/\(.*?\)/, "");
    io.stderr.write(tty ? `\r\x1B[K${now}` : `logtong local: ${now}
`);
  }
  if (tty) io.stderr.write("\r\x1B[K");
  await readAppended();
  return run.summarize();
}
function readRange(file, from, to) {
  const fd = openSync3(file, "r");
  try {
    const buf = Buffer.alloc(to - from);
    const n = readSync(fd, buf, 0, buf.length, from);
    return buf.subarray(0, n);
  } finally {
    closeSync3(fd);
  }
}
var localCommand = {
  usage: LOCAL_USAGE,
  run: (argv, io) => runLocal(argv, io, () => new Promise((resolve7) => {
    process.once("SIGINT", () => resolve7());
    process.once("SIGTERM", () => resolve7());
  }))
};
export {
  LOCAL_USAGE,
  accountedFor,
  localCommand,
  runLocal
};
