package cloud

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"loanflow/infra/config"
)

// DeadLetterRetention is how long every dead-letter queue keeps a message
// (config.DeadLetterRetention): ReliableQueue refuses a source queue that
// keeps its messages as long.
const DeadLetterRetention = config.DeadLetterRetention

// DeadLetterAgeAlarm is how long a dead letter may wait unattended before
// its queue's age alarm fires, well before DeadLetterRetention deletes it.
const DeadLetterAgeAlarm = 3 * 24 * time.Hour

// DeadLetterQueueProps configures a DeadLetterQueue.
type DeadLetterQueueProps struct {
	// Purpose says whose failures land here, for the alarms' descriptions.
	Purpose string
	// Redrive says how to put the messages back once the cause is fixed.
	Redrive string
}

// DeadLetterQueue is an encrypted, TLS-only queue for failed messages, kept
// DeadLetterRetention, with an alarm that fires as soon as one arrives and
// another when one has waited DeadLetterAgeAlarm.
type DeadLetterQueue struct {
	constructs.Construct
	Queue awssqs.Queue
	// DepthAlarm fires when any message is visible in the queue.
	DepthAlarm awscloudwatch.Alarm
	// AgeAlarm fires when the oldest message has waited DeadLetterAgeAlarm.
	AgeAlarm awscloudwatch.Alarm
}

// NewDeadLetterQueue builds the queue and its alarms.
func NewDeadLetterQueue(scope constructs.Construct, id string, props *DeadLetterQueueProps) *DeadLetterQueue {
	if props == nil || props.Purpose == "" || props.Redrive == "" {
		panic(fmt.Sprintf("DeadLetterQueue %s: Purpose and Redrive are required", id))
	}
	c := constructs.NewConstruct(scope, &id)
	d := &DeadLetterQueue{Construct: c}
	d.Queue = awssqs.NewQueue(c, jsii.String("Queue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: seconds(DeadLetterRetention),
	})
	maximum := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Maximum")}
	d.DepthAlarm = newAlarm(c, "DepthAlarm", alarmProps{
		Meaning:   props.Purpose + " failed every retry and is waiting in a dead-letter queue.",
		Action:    "Inspect the message and the logs around it, fix the cause, then " + props.Redrive + ".",
		Metric:    d.Queue.MetricApproximateNumberOfMessagesVisible(maximum),
		Threshold: 1, Comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD, Periods: 1, Datapoints: 1,
	})
	d.AgeAlarm = newAlarm(c, "AgeAlarm", alarmProps{
		Meaning: fmt.Sprintf("%s has waited in a dead-letter queue for more than %s unattended; SQS deletes it %s after it was first sent.",
			props.Purpose, days(DeadLetterAgeAlarm), days(DeadLetterRetention)),
		Action:    "Handle it now: fix the cause and " + props.Redrive + ", or record why it is dropped and delete it.",
		Metric:    d.Queue.MetricApproximateAgeOfOldestMessage(maximum),
		Threshold: DeadLetterAgeAlarm.Seconds(), Comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, Periods: 1, Datapoints: 1,
	})
	return d
}

func days(d time.Duration) string { return fmt.Sprintf("%d days", int(d.Hours()/24)) }

// ReliableQueueProps configures a ReliableQueue.
type ReliableQueueProps struct {
	// VisibilityTimeout should be six times the consumer's timeout.
	VisibilityTimeout time.Duration
	// Retention is how long a message may wait in the queue; shorter than
	// DeadLetterRetention, so a dead-lettered message outlives it there.
	Retention time.Duration
	// MaxReceiveCount is how many receives a message gets before the DLQ.
	MaxReceiveCount int
	// AgeAlarm is the age of the oldest message that means the consumer is stuck.
	AgeAlarm time.Duration
	// Purpose describes the messages, for the alarms' descriptions.
	Purpose string
	// Redrive says how to put dead letters back once the cause is fixed.
	Redrive string
}

// ReliableQueue is a work queue with SSE, TLS-only access, a redrive policy to
// its own DeadLetterQueue, and alarms on the age of its oldest message and on
// its DLQ's depth and age.
type ReliableQueue struct {
	constructs.Construct
	Queue      awssqs.Queue
	DeadLetter *DeadLetterQueue
	// AgeAlarm fires when the oldest message waits longer than the configured age.
	AgeAlarm awscloudwatch.Alarm
}

// NewReliableQueue builds the queue, its DLQ and their alarms.
func NewReliableQueue(scope constructs.Construct, id string, props *ReliableQueueProps) *ReliableQueue {
	switch {
	case props == nil || props.Purpose == "" || props.Redrive == "":
		panic(fmt.Sprintf("ReliableQueue %s: props with a Purpose and a Redrive are required", id))
	case props.VisibilityTimeout < time.Second || props.VisibilityTimeout > 12*time.Hour:
		panic(fmt.Sprintf("ReliableQueue %s: VisibilityTimeout %s must be between 1s and 12h", id, props.VisibilityTimeout))
	case props.MaxReceiveCount < 1 || props.MaxReceiveCount > 1000:
		panic(fmt.Sprintf("ReliableQueue %s: MaxReceiveCount %d must be between 1 and 1000", id, props.MaxReceiveCount))
	case props.AgeAlarm <= 0:
		panic(fmt.Sprintf("ReliableQueue %s: AgeAlarm must be > 0", id))
	case props.Retention < time.Minute || props.Retention >= DeadLetterRetention:
		panic(fmt.Sprintf("ReliableQueue %s: Retention %s must be at least 1m and shorter than the dead-letter queue's %s", id, props.Retention, DeadLetterRetention))
	}
	c := constructs.NewConstruct(scope, &id)
	q := &ReliableQueue{Construct: c}
	q.DeadLetter = NewDeadLetterQueue(c, "DeadLetter", &DeadLetterQueueProps{Purpose: "A " + props.Purpose, Redrive: props.Redrive})
	q.Queue = awssqs.NewQueue(c, jsii.String("Queue"), &awssqs.QueueProps{
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		VisibilityTimeout: seconds(props.VisibilityTimeout),
		RetentionPeriod:   seconds(props.Retention),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           q.DeadLetter.Queue,
			MaxReceiveCount: jsii.Number(float64(props.MaxReceiveCount)),
		},
	})
	q.AgeAlarm = newAlarm(c, "AgeAlarm", alarmProps{
		Meaning: fmt.Sprintf("The oldest %s has waited more than %s in 3 of the last 5 minutes: the consumer is failing, throttled or stopped, and nothing it holds is being worked on.", props.Purpose, props.AgeAlarm),
		Action:  "Check the consumer's errors and throttles and its event source mapping (enabled, not failing); fix it and the queue drains by itself.",
		Metric: q.Queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{
			Period:    awscdk.Duration_Minutes(jsii.Number(1)),
			Statistic: jsii.String("Maximum"),
		}),
		Threshold: props.AgeAlarm.Seconds(), Comparison: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD, Periods: 5, Datapoints: 3,
	})
	return q
}

func seconds(d time.Duration) awscdk.Duration {
	return awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
}
