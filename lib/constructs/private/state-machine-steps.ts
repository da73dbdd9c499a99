/**
 * The states every Logtong batch job is built from (retries, failure notification, one run at a time) and the job's
 * whole shape, `scheduledFanOut`. Helpers, not constructs: they add states and the machine to the scope they are given.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  JsonPath,
  Map as MapState,
  Succeed,
  TaskInput,
  type IChainable,
  type TaskStateBase,
} from 'aws-cdk-lib/aws-stepfunctions';
import { CallAwsService, LambdaInvoke, SnsPublish } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { LoggedStateMachine } from '../logged-state-machine';

/** Transient failures (throttling, a Lambda cold-start timeout, S3 500s) are retried with exponential backoff. */
function retryTask<T extends TaskStateBase>(task: T): T {
  task.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(10), backoffRate: 2, maxAttempts: 3 });
  return task;
}

/** Publishes the error to the topic, then fails the execution (so it shows as failed in the console and metrics). */
function notifyAndFail(scope: Construct, topic: ITopic, subject: string): IChainable {
  const notify = new SnsPublish(scope, 'NotifyFailure', {
    topic,
    subject: subject.slice(0, 99),
    message: TaskInput.fromObject({
      subject,
      execution: JsonPath.stringAt('$$.Execution.Id'),
      error: JsonPath.stringAt('$.error.Error'),
      cause: JsonPath.stringAt('$.error.Cause'),
    }),
    resultPath: JsonPath.DISCARD,
  });
  notify.addRetry({ errors: ['States.ALL'], interval: Duration.seconds(5), backoffRate: 2, maxAttempts: 3 });
  return notify.next(new Fail(scope, 'Failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }));
}

/**
 * A run that finds another one running ends at once (successfully: the running one does the work). Equal start times
 * may both stop; the next run catches up. Check-then-act, so it only saves work: two runs can still overlap (both see
 * none; a stopped run's Lambdas go on), and the jobs stay correct when they do through their leases in S3
 * (lambda/core/light/lease.ts). `stateMachineName` names the ARN in IAM without a dependency cycle.
 */
function singleRunGuard(scope: Construct, stateMachineName: string, work: IChainable, onError: IChainable): IChainable {
  const guard = retryTask(
    new CallAwsService(scope, 'FindRunningExecutions', {
      service: 'sfn',
      action: 'listExecutions',
      parameters: { StateMachineArn: JsonPath.stringAt('$$.StateMachine.Id'), StatusFilter: 'RUNNING', MaxResults: 2 },
      iamResources: [Stack.of(scope).formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      iamAction: 'states:ListExecutions',
      resultSelector: { 'executions.$': '$.Executions' },
      resultPath: '$.guard',
    }),
  );
  guard.addCatch(onError, { resultPath: '$.error' });
  return guard.next(
    new Choice(scope, 'AnotherRunInProgress?')
      .when(Condition.isPresent('$.guard.executions[1]'), new Succeed(scope, 'SkipWhileAnotherRuns'))
      .otherwise(work),
  );
}

export interface ScheduledFanOutProps {
  /** Fixed name of the state machine (IAM names its ARN). */
  readonly stateMachineName: string;
  readonly description: string;
  /** EventBridge Scheduler expression. */
  readonly schedule: string;
  readonly timeout: Duration;
  /** Returns `{ <itemsField>: [...] }`; its state is named `listState`. */
  readonly listFn: IFunction;
  readonly listState: string;
  /** Called once per item, in a Map state named `mapState`, as the task `itemState`. */
  readonly itemFn: IFunction;
  readonly itemState: string;
  readonly mapState: string;
  readonly itemsField: string;
  /** Where the Map's results go in the state. */
  readonly resultPath: string;
  readonly maxConcurrency: number;
  readonly failureTopic: ITopic;
  readonly failureSubject: string;
}

/**
 * The shape of every Logtong batch job, created in `scope`: schedule → state machine: one-run guard → list task →
 * Map of the item task (bounded concurrency), every task retried with backoff, any failure → topic → Fail.
 */
export function scheduledFanOut(scope: Construct, props: ScheduledFanOutProps): { stateMachine: LoggedStateMachine; schedule: Schedule } {
  const failed = notifyAndFail(scope, props.failureTopic, props.failureSubject);
  const list = retryTask(new LambdaInvoke(scope, props.listState, { lambdaFunction: props.listFn, payloadResponseOnly: true, resultPath: '$.list' }));
  const item = retryTask(new LambdaInvoke(scope, props.itemState, { lambdaFunction: props.itemFn, payloadResponseOnly: true }));
  const map = new MapState(scope, props.mapState, {
    itemsPath: `$.list.${props.itemsField}`,
    maxConcurrency: props.maxConcurrency,
    resultPath: props.resultPath,
  }).itemProcessor(item);
  for (const step of [list, map]) step.addCatch(failed, { resultPath: '$.error' });
  const stateMachine = new LoggedStateMachine(scope, 'StateMachine', {
    stateMachineName: props.stateMachineName,
    definitionBody: DefinitionBody.fromChainable(singleRunGuard(scope, props.stateMachineName, list.next(map).next(new Succeed(scope, 'Done')), failed)),
    timeout: props.timeout,
  });
  stateMachine.acknowledgeInvokeVersions(props.listFn);
  stateMachine.acknowledgeInvokeVersions(props.itemFn);
  const schedule = new Schedule(scope, 'Schedule', {
    description: props.description,
    schedule: ScheduleExpression.expression(props.schedule),
    target: new StepFunctionsStartExecution(stateMachine, { input: ScheduleTargetInput.fromObject({ trigger: 'schedule' }) }),
  });
  return { stateMachine, schedule };
}
