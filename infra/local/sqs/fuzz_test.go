package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"loanflow/infra/local/awsjson"
)

// FuzzSQSOps feeds arbitrary request bodies to the message operations: they
// must never panic and must answer either a result or an AWS error.
func FuzzSQSOps(f *testing.F) {
	f.Add(`{"QueueUrl":"http://h/000000000000/f","MessageBody":"x","DelaySeconds":1}`)
	f.Add(`{"QueueUrl":"f","Entries":[{"Id":"a","MessageBody":"x","MessageAttributes":{"n":{"DataType":"Number","StringValue":"1"}}}]}`)
	f.Add(`{"QueueUrl":"f","MaxNumberOfMessages":10,"WaitTimeSeconds":0,"AttributeNames":["All"]}`)
	f.Add(`{"QueueUrl":"f","ReceiptHandle":"1.000000000000000000000000"}`)
	f.Add(`{"QueueUrl":"f.fifo","MessageBody":"x","MessageGroupId":"g","MessageDeduplicationId":"d"}`)
	f.Add(`{"QueueUrl":"f.fifo","Entries":[{"Id":"a","MessageBody":"x","MessageGroupId":"g"},{"Id":"b","MessageBody":"y","MessageGroupId":"h","MessageDeduplicationId":"d"}]}`)
	f.Add(`{"QueueUrl":"f.fifo","MaxNumberOfMessages":10,"ReceiveRequestAttemptId":"r-1","MessageSystemAttributeNames":["All"]}`)
	f.Add(`{"QueueUrl":"f","Tags":{"team":"loans"},"TagKeys":["team"]}`)
	f.Add(`{"SourceArn":"arn:aws:sqs:us-east-1:000000000000:f","MaxResults":10,"TaskHandle":"eyJ0YXNrSWQiOiJ4In0="}`)
	b := newTestBroker(f, newFakeClock())
	mustCreate(f, b, "f", map[string]string{"ReceiveMessageWaitTimeSeconds": "0"})
	mustCreate(f, b, "f.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	svc := b.Service()
	ops := []string{"SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibilityBatch", "GetQueueAttributes",
		"TagQueue", "UntagQueue", "ListQueueTags", "ListMessageMoveTasks", "CancelMessageMoveTask"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, name := range ops {
			// The broker runs on a fake clock, so a long poll (WaitTimeSeconds)
			// waits until the context ends: keep that short, or one input
			// outlives the fuzzing deadline.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
			_, err := svc.Ops[name](ctx, []byte(body))
			cancel()
			var ae *awsjson.Error
			if err != nil && !errors.As(err, &ae) && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%s(%q): non-AWS error %v", name, body, err)
			}
		}
	})
}

// FuzzRawRequest: checking the raw request never panics, and valid JSON
// that is not UTF-8 (its bad bytes can only be in strings) is always
// refused, with an AWS error.
func FuzzRawRequest(f *testing.F) {
	f.Add(`{"QueueUrl":"q","MessageBody":"caf` + "\xe9" + `"}`)
	f.Add(`{"Entries":[{"Id":"a","MessageBody":"\ud800"},{"MessageAttributes":{"k` + "\xff" + `":{}}}]}`)
	f.Add(`["\ud83d\ude00", "\\ud800", {"a":[1,{"b":"` + "\xc3" + `"}]}]`)
	f.Add("\"\xff\"")
	f.Fuzz(func(t *testing.T, body string) {
		err := checkRawRequest([]byte(body))
		if json.Valid([]byte(body)) && !utf8.ValidString(body) && err == nil {
			t.Fatalf("valid JSON that is not UTF-8 passed: %q", body)
		}
		var ae *awsjson.Error
		if err != nil && !errors.As(toAWS(err), &ae) {
			t.Fatalf("%q: not an AWS error: %v", body, err)
		}
	})
}
