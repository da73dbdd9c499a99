/** Every alarm of a pipeline notifies its failure topic, wherever in the stack the alarm was made. */
import type { IAspect } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';

/**
 * An Aspect rather than a topic passed to each construct: the stages that own alarms (work queues, and the stages
 * later issues add) need not know where notifications go, and no alarm can be made without one.
 */
export class NotifyAlarms implements IAspect {
  constructor(private readonly topic: ITopic) {}

  visit(node: IConstruct): void {
    if (node instanceof Alarm) node.addAlarmAction(new SnsAction(this.topic));
  }
}
