package cloud

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// DeadLetterQueueProps configures a DeadLetterQueue.
type DeadLetterQueueProps struct {
	// Retention is how long a failed message is kept for inspection and redrive.
	Retention time.Duration
	// Purpose says whose failures land here, for the alarm's description.
	Purpose string
}

// DeadLetterQueue is an encrypted, TLS-only queue for failed messages and an
// alarm that fires as soon as one arrives.
type DeadLetterQueue struct {
	constructs.Construct
	Queue awssqs.Queue
	// DepthAlarm fires when any message is visible in the queue.
	DepthAlarm awscloudwatch.Alarm
}

// NewDeadLetterQueue builds the queue and its alarm.
func NewDeadLetterQueue(scope constructs.Construct, id string, props *DeadLetterQueueProps) *DeadLetterQueue {
	if props == nil || props.Retention < time.Minute || props.Retention > 14*24*time.Hour || props.Purpose == "" {
		panic(fmt.Sprintf("DeadLetterQueue %s: Purpose and a Retention between 1m and 14d are required", id))
	}
	c := constructs.NewConstruct(scope, &id)
	d := &DeadLetterQueue{Construct: c}
	d.Queue = awssqs.NewQueue(c, jsii.String("Queue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: seconds(props.Retention),
	})
	d.DepthAlarm = awscloudwatch.NewAlarm(c, jsii.String("DepthAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(props.Purpose + " failed and is waiting in a dead-letter queue: inspect it, fix the cause, then redrive."),
		Metric: d.Queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period:    awscdk.Duration_Minutes(jsii.Number(1)),
			Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(1),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	return d
}

// ReliableQueueProps configures a ReliableQueue.
type ReliableQueueProps struct {
	// VisibilityTimeout should be six times the consumer's timeout.
	VisibilityTimeout time.Duration
	// Retention applies to the queue and its dead-letter queue.
	Retention time.Duration
	// MaxReceiveCount is how many receives a message gets before the DLQ.
	MaxReceiveCount int
	// AgeAlarm is the age of the oldest message that means the consumer is stuck.
	AgeAlarm time.Duration
	// Purpose describes the messages, for the alarms' descriptions.
	Purpose string
}

// ReliableQueue is a work queue with SSE, TLS-only access, a redrive policy to
// its own DeadLetterQueue, and alarms on the DLQ's depth and the age of the
// oldest message.
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
	case props == nil || props.Purpose == "":
		panic(fmt.Sprintf("ReliableQueue %s: props with a Purpose are required", id))
	case props.VisibilityTimeout < time.Second || props.VisibilityTimeout > 12*time.Hour:
		panic(fmt.Sprintf("ReliableQueue %s: VisibilityTimeout %s must be between 1s and 12h", id, props.VisibilityTimeout))
	case props.MaxReceiveCount < 1 || props.MaxReceiveCount > 1000:
		panic(fmt.Sprintf("ReliableQueue %s: MaxReceiveCount %d must be between 1 and 1000", id, props.MaxReceiveCount))
	case props.AgeAlarm <= 0:
		panic(fmt.Sprintf("ReliableQueue %s: AgeAlarm must be > 0", id))
	}
	c := constructs.NewConstruct(scope, &id)
	q := &ReliableQueue{Construct: c}
	q.DeadLetter = NewDeadLetterQueue(c, "DeadLetter", &DeadLetterQueueProps{Retention: props.Retention, Purpose: props.Purpose})
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
	q.AgeAlarm = awscloudwatch.NewAlarm(c, jsii.String("AgeAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(fmt.Sprintf("The oldest %s has waited more than %s: the consumer is failing, throttled or stopped.", props.Purpose, props.AgeAlarm)),
		Metric: q.Queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{
			Period:    awscdk.Duration_Minutes(jsii.Number(1)),
			Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(props.AgeAlarm.Seconds()),
		EvaluationPeriods:  jsii.Number(5),
		DatapointsToAlarm:  jsii.Number(3),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	return q
}

func seconds(d time.Duration) awscdk.Duration {
	return awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
}
