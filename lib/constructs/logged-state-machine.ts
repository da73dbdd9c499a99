import type { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogLevel, StateMachine, StateMachineType, type DefinitionBody } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { acknowledgeWildcardResources } from './private/nag';

export interface LoggedStateMachineProps {
  /** Fixed, so IAM statements can name the machine's ARN without a dependency cycle. */
  readonly stateMachineName: string;

  /** The states (`scheduledFanOut` in private/state-machine-steps.ts builds the batch jobs' shape). */
  readonly definitionBody: DefinitionBody;

  /** An execution running longer fails (and its failure is reported like any other). */
  readonly timeout: Duration;

  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * A standard state machine as every Logtong batch job runs: every event logged (without execution data, which would
 * copy log lines into CloudWatch Logs) and X-Ray tracing on.
 */
export class LoggedStateMachine extends StateMachine {
  constructor(scope: Construct, id: string, props: LoggedStateMachineProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    super(scope, id, {
      stateMachineName: props.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: props.definitionBody,
      timeout: props.timeout,
      tracingEnabled: true,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    acknowledgeWildcardResources(
      this.role,
      ['*'],
      'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs delivery (logs:CreateLogDelivery, DescribeResourcePolicies, …) do not support resource-level permissions; CDK adds exactly these for tracing and logging.',
    );
  }

  /**
   * Lets the machine invoke the function through a Task: CDK grants `<arn>` and `<arn>:*` (any version or alias of
   * that one function), and the latter is acknowledged here.
   */
  acknowledgeInvokeVersions(fn: IFunction): void {
    acknowledgeWildcardResources(this.role, [`${fn.functionArn}:*`], `Versions and aliases of ${fn.node.id} only, the function this machine invokes (CDK's lambda:InvokeFunction grant).`);
  }
}
