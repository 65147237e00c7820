package sfnapi

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"loanflow/infra/local/localtest"
)

// An activity over the SDK: created, listed, used by a state machine whose
// task is scheduled, survives a restart of the stack, is taken by a worker
// and answered; the history has AWS's activity event shapes.
func TestActivitiesWithSDKClient(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sfn.db")
	s := startStack(t, path, &tokenCatcher{})

	created, err := s.client.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("valuer"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("loans")}}})
	if err != nil {
		t.Fatal(err)
	}
	act := aws.ToString(created.ActivityArn)
	if act != "arn:aws:states:us-east-1:000000000000:activity:valuer" || created.CreationDate == nil {
		t.Fatalf("CreateActivity: %+v", created)
	}
	again, err := s.client.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("valuer")})
	if err != nil || aws.ToString(again.ActivityArn) != act || !again.CreationDate.Equal(*created.CreationDate) {
		t.Fatalf("CreateActivity again: %+v %v", again, err)
	}
	d, err := s.client.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(act)})
	if err != nil || aws.ToString(d.Name) != "valuer" || d.EncryptionConfiguration == nil || d.EncryptionConfiguration.Type != types.EncryptionTypeAwsOwnedKey {
		t.Fatalf("DescribeActivity: %+v %v", d, err)
	}
	tags, err := s.client.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(act)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "loans" {
		t.Fatalf("ListTagsForResource: %+v %v", tags, err)
	}
	for _, n := range []string{"a", "b"} {
		if _, err := s.client.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := sfn.NewListActivitiesPaginator(s.client, &sfn.ListActivitiesInput{MaxResults: 2})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Activities {
			names = append(names, aws.ToString(a.Name))
		}
	}
	if len(names) != 3 || names[0] != "a" || names[2] != "valuer" {
		t.Fatalf("ListActivities: %v", names)
	}

	sm := createMachine(t, s.client, "valuation", `{"StartAt":"Value","States":{"Value":{"Type":"Task","Resource":"`+act+`",
	  "TimeoutSeconds":600,"HeartbeatSeconds":300,"ResultPath":"$.valuation","End":true}}}`)
	started, err := s.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm), Input: aws.String(`{"loan":"L1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	localtest.Eventually(t, 10*time.Second, "activity task scheduled", func() (bool, string) {
		st, err := s.e.Stats(ctx)
		return err == nil && st.PendingTasks == 1, ""
	})

	s.close() // the scheduled task is in the state file
	s = startStack(t, path, &tokenCatcher{})

	task, err := s.client.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act), WorkerName: aws.String("valuer-1")})
	if err != nil || aws.ToString(task.TaskToken) == "" || aws.ToString(task.Input) != `{"loan":"L1"}` {
		t.Fatalf("GetActivityTask after a restart: %+v %v", task, err)
	}
	if _, err := s.client.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: task.TaskToken}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(`{"value":250000}`)}); err != nil {
		t.Fatal(err)
	}
	x := waitStatus(t, s.client, aws.ToString(started.ExecutionArn))
	if x.Status != types.ExecutionStatusSucceeded || aws.ToString(x.Output) != `{"loan":"L1","valuation":{"value":250000}}` {
		t.Fatalf("execution: %s %v", x.Status, aws.ToString(x.Output))
	}
	h, err := s.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: started.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var seen int
	for _, ev := range h.Events {
		switch ev.Type {
		case types.HistoryEventTypeActivityScheduled:
			dd := ev.ActivityScheduledEventDetails
			if dd == nil || aws.ToString(dd.Resource) != act || aws.ToString(dd.Input) != `{"loan":"L1"}` || aws.ToInt64(dd.TimeoutInSeconds) != 600 || aws.ToInt64(dd.HeartbeatInSeconds) != 300 {
				t.Fatalf("ActivityScheduled: %+v", dd)
			}
			seen++
		case types.HistoryEventTypeActivityStarted:
			if ev.ActivityStartedEventDetails == nil || aws.ToString(ev.ActivityStartedEventDetails.WorkerName) != "valuer-1" {
				t.Fatalf("ActivityStarted: %+v", ev.ActivityStartedEventDetails)
			}
			seen++
		case types.HistoryEventTypeActivitySucceeded:
			if ev.ActivitySucceededEventDetails == nil || aws.ToString(ev.ActivitySucceededEventDetails.Output) != `{"value":250000}` {
				t.Fatalf("ActivitySucceeded: %+v", ev.ActivitySucceededEventDetails)
			}
			seen++
		}
	}
	if seen != 3 {
		t.Fatalf("activity events seen: %d of 3", seen)
	}

	if _, err := s.client.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String(act)}); err != nil {
		t.Fatal(err)
	}
	_, err = s.client.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(act)})
	wantAPIError(t, "DescribeActivity deleted", err, "ActivityDoesNotExist", "Activity Does Not Exist: '"+act+"'")
	_, err = s.client.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(act)})
	wantAPIError(t, "GetActivityTask deleted", err, "ActivityDoesNotExist", "Activity Does Not Exist: '"+act+"'")
	_, err = s.client.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String("no_an_activity_arn")})
	wantAPIError(t, "GetActivityTask bad arn", err, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'")
	_, err = s.client.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("activity name")})
	wantAPIError(t, "CreateActivity bad name", err, "InvalidName", "Invalid Name: 'activity name'")
}
