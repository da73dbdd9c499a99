import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';

export interface FailureTopicProps {
  readonly pipelineName: string;
  /** Subscribed by email (the address confirms the subscription). @default - no subscription */
  readonly email?: string;
}

/**
 * Where a pipeline reports failures: its alarms (NotifyAlarms) and its failed batch runs. Encrypted with the
 * AWS-managed SNS key (publishers are this stack's IAM roles, which may use it) and TLS-only.
 */
export class FailureTopic extends Topic {
  constructor(scope: Construct, id: string, props: FailureTopicProps) {
    super(scope, id, {
      displayName: `Logtong ${props.pipelineName} failures`,
      enforceSSL: true,
      masterKey: Alias.fromAliasName(scope, `${id}Key`, 'alias/aws/sns'),
    });
    if (props.email) this.addSubscription(new EmailSubscription(props.email));
  }
}
