package fidelity

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Sources the activity facts cite.
const (
	lsActAPI = "LocalStack test_sfn_api_activities.snapshot.json (recorded against AWS)"
	lsAct    = "LocalStack activities/test_activities.snapshot.json (recorded against AWS)"
)

func (e *env) activityARN(name string) string {
	return "arn:aws:states:" + e.region + ":" + e.account + ":activity:" + name
}

func (e *env) newActivity(ctx context.Context) (name, arn string, err error) {
	name = e.name("act")
	out, err := e.sfn.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(name)})
	if err != nil {
		return "", "", noErr("CreateActivity", err)
	}
	return name, aws.ToString(out.ActivityArn), nil
}

// activityTaskDef is LocalStack's BASE_ACTIVITY_TASK template: one Task on
// the activity, with extra fields spliced in.
func activityTaskDef(activity, extra string) string {
	return `{"Comment":"BASE_ACTIVITY_TASK","StartAt":"ActivityTask","States":{"ActivityTask":{"Type":"Task",` + extra + `"Resource":"` + activity + `","End":true}}}`
}

// runActivity starts an execution of def with input and has a worker take
// its activity task (workerName unless ""); it returns the execution and
// the task.
func (e *env) runActivity(ctx context.Context, activity, def, input, worker string) (string, *sfn.GetActivityTaskOutput, error) {
	_, machine, err := e.newMachine(ctx, def)
	if err != nil {
		return "", nil, err
	}
	exec, err := e.start(ctx, machine, "", input)
	if err != nil {
		return "", nil, err
	}
	in := &sfn.GetActivityTaskInput{ActivityArn: aws.String(activity)}
	if worker != "" {
		in.WorkerName = aws.String(worker)
	}
	task, err := e.sfn.GetActivityTask(ctx, in)
	if err != nil {
		return exec, nil, noErr("GetActivityTask", err)
	}
	if str(task.TaskToken) == "" {
		return exec, nil, fmt.Errorf("GetActivityTask: want the scheduled task, got none")
	}
	return exec, task, nil
}

func sfnActivityCases() []fcase {
	const input = `{"Value1":"HelloWorld"}`
	return []fcase{
		{
			name: "sfn/CreateActivityTwiceIsIdempotent",
			fact: "CreateActivity returns activityArn arn:aws:states:<region>:<account>:activity:<name>; again with the same name it returns the same ARN and creationDate (" + lsActAPI + ", test_create_describe_delete_activity create_activity_response_duplicate)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("act")
				a, err := e.sfn.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(name)})
				if err != nil {
					return noErr("CreateActivity", err)
				}
				b, err := e.sfn.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(name)})
				if err != nil {
					return noErr("second CreateActivity", err)
				}
				return first(eq("activityArn", e.activityARN(name), str(a.ActivityArn)), eq("second activityArn", str(a.ActivityArn), str(b.ActivityArn)),
					eq("same creationDate", true, a.CreationDate != nil && b.CreationDate != nil && a.CreationDate.Equal(*b.CreationDate)))
			},
		},
		{
			name: "sfn/CreateActivityAgainWithOtherTagsKeepsTheTags",
			fact: "CreateActivity is idempotent on the name: a later request with different tags is treated as the same request and the tags are not updated (API reference, CreateActivity)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("act")
				a, err := e.sfn.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(name), Tags: []sfntypes.Tag{{Key: aws.String("k"), Value: aws.String("v1")}}})
				if err != nil {
					return noErr("CreateActivity", err)
				}
				if _, err := e.sfn.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(name), Tags: []sfntypes.Tag{{Key: aws.String("k"), Value: aws.String("v2")}}}); err != nil {
					return noErr("CreateActivity with other tags", err)
				}
				tags, err := e.sfn.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: a.ActivityArn})
				if err != nil {
					return noErr("ListTagsForResource", err)
				}
				if len(tags.Tags) != 1 {
					return fmt.Errorf("tags: want [k=v1], got %d tags", len(tags.Tags))
				}
				return eq("tag k", "v1", str(tags.Tags[0].Value))
			},
		},
		{
			name: "sfn/DescribeActivityHasAWSOwnedKeyEncryption",
			fact: "DescribeActivity returns activityArn, name, creationDate and encryptionConfiguration {type: AWS_OWNED_KEY} (" + lsActAPI + ", test_create_describe_delete_activity describe_activity_response)",
			check: func(ctx context.Context, e *env) error {
				name, arn, err := e.newActivity(ctx)
				if err != nil {
					return err
				}
				d, err := e.sfn.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(arn)})
				if err != nil {
					return noErr("DescribeActivity", err)
				}
				enc := ""
				if d.EncryptionConfiguration != nil {
					enc = string(d.EncryptionConfiguration.Type)
				}
				return first(eq("activityArn", arn, str(d.ActivityArn)), eq("name", name, str(d.Name)), eq("creationDate present", true, d.CreationDate != nil),
					eq("encryptionConfiguration.type", "AWS_OWNED_KEY", enc))
			},
		},
		{
			name: "sfn/DeleteActivityTwiceSucceedsThenDescribeIsActivityDoesNotExist",
			fact: "DeleteActivity of a deleted activity succeeds; DescribeActivity of it fails ActivityDoesNotExist \"Activity Does Not Exist: '<arn>'\" (" + lsActAPI + ", test_create_describe_delete_activity delete_activity_response_2, test_describe_deleted_activity)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.newActivity(ctx)
				if err != nil {
					return err
				}
				for i := range 2 {
					if _, err := e.sfn.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String(arn)}); err != nil {
						return noErr(fmt.Sprintf("DeleteActivity #%d", i+1), err)
					}
				}
				_, err = e.sfn.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(arn)})
				return apiErr(err, "ActivityDoesNotExist", "Activity Does Not Exist: '"+arn+"'")
			},
		},
		{
			name: "sfn/GetActivityTaskOfDeletedActivityIsActivityDoesNotExist",
			fact: "GetActivityTask of a deleted activity fails ActivityDoesNotExist \"Activity Does Not Exist: '<arn>'\" (" + lsActAPI + ", test_get_activity_task_deleted)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.newActivity(ctx)
				if err != nil {
					return err
				}
				if _, err := e.sfn.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String(arn)}); err != nil {
					return noErr("DeleteActivity", err)
				}
				_, err = e.sfn.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String(arn)})
				return apiErr(err, "ActivityDoesNotExist", "Activity Does Not Exist: '"+arn+"'")
			},
		},
		{
			name: "sfn/ActivityCallsWithInvalidArnAreInvalidArn",
			fact: "DescribeActivity and GetActivityTask of \"no_an_activity_arn\" fail InvalidArn \"Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'\" (" + lsActAPI + ", test_describe_activity_invalid_arn, test_get_activity_task_invalid_arn)",
			check: func(ctx context.Context, e *env) error {
				_, err1 := e.sfn.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String("no_an_activity_arn")})
				_, err2 := e.sfn.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: aws.String("no_an_activity_arn")})
				const msg = "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'"
				return first(apiErr(err1, "InvalidArn", msg), apiErr(err2, "InvalidArn", msg))
			},
		},
		{
			name: "sfn/CreateActivityWithInvalidNameIsInvalidName",
			fact: "CreateActivity of a name with white space or a special character fails InvalidName \"Invalid Name: '<name>'\" (" + lsActAPI + ", test_create_activity_invalid_name)",
			check: func(ctx context.Context, e *env) error {
				for _, n := range []string{"activity name", "activity:name", "activity/name"} {
					_, err := e.sfn.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(n)})
					if err := apiErr(err, "InvalidName", "Invalid Name: '"+n+"'"); err != nil {
						return err
					}
				}
				return nil
			},
		},
		{
			name: "sfn/ListActivitiesListsArnNameCreationDate",
			fact: "ListActivities lists each activity with activityArn, name and creationDate (" + lsActAPI + ", test_list_activities)",
			check: func(ctx context.Context, e *env) error {
				name, arn, err := e.newActivity(ctx)
				if err != nil {
					return err
				}
				pages := sfn.NewListActivitiesPaginator(e.sfn, &sfn.ListActivitiesInput{MaxResults: 1000})
				for pages.HasMorePages() {
					page, err := pages.NextPage(ctx)
					if err != nil {
						return noErr("ListActivities", err)
					}
					for _, a := range page.Activities {
						if str(a.ActivityArn) == arn {
							return first(eq("name", name, str(a.Name)), eq("creationDate present", true, a.CreationDate != nil))
						}
					}
				}
				return fmt.Errorf("ListActivities: %s not listed", arn)
			},
		},
		{
			name: "sfn/ActivityTaskHistory",
			fact: "an activity task's history is TaskStateEntered, ActivityScheduled {resource, input}, ActivityStarted {workerName}, ActivitySucceeded {output}, TaskStateExited, ExecutionSucceeded (" + lsAct + ", test_activity_task)",
			check: func(ctx context.Context, e *env) error {
				_, act, err := e.newActivity(ctx)
				if err != nil {
					return err
				}
				exec, task, err := e.runActivity(ctx, act, activityTaskDef(act, ""), input, "BASE_ID_ACTIVITY_CONSUMER")
				if err != nil {
					return err
				}
				if err := first(jsonEq("task input", input, str(task.Input))); err != nil {
					return err
				}
				if _, err := e.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: task.Input}); err != nil {
					return noErr("SendTaskSuccess", err)
				}
				if out, err := e.finished(ctx, exec); err != nil || out.Status != sfntypes.ExecutionStatusSucceeded {
					return fmt.Errorf("execution: want SUCCEEDED, got %v (%v)", out, err)
				}
				evs, err := e.history(ctx, exec, false)
				if err != nil {
					return err
				}
				if err := deepEq("event types", []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"}, eventTypes(evs)); err != nil {
					return err
				}
				sched, started, done := evs[2].ActivityScheduledEventDetails, evs[3].ActivityStartedEventDetails, evs[4].ActivitySucceededEventDetails
				if sched == nil || started == nil || done == nil {
					return fmt.Errorf("activity event details missing: %+v %+v %+v", sched, started, done)
				}
				return first(eq("ActivityScheduled resource", act, str(sched.Resource)), jsonEq("ActivityScheduled input", input, str(sched.Input)),
					eq("ActivityScheduled timeoutInSeconds absent", true, sched.TimeoutInSeconds == nil),
					eq("ActivityStarted workerName", "BASE_ID_ACTIVITY_CONSUMER", str(started.WorkerName)), jsonEq("ActivitySucceeded output", input, str(done.Output)),
					eq("ActivityStarted previousEventId", int64(3), evs[3].PreviousEventId))
			},
		},
		{
			name: "sfn/ActivityTaskWithoutWorkerNameHasNoWorkerName",
			fact: "a task taken by GetActivityTask without workerName records ActivityStarted with empty details (" + lsAct + ", test_activity_task_no_worker_name)",
			check: func(ctx context.Context, e *env) error {
				_, act, err := e.newActivity(ctx)
				if err != nil {
					return err
				}
				exec, task, err := e.runActivity(ctx, act, activityTaskDef(act, ""), input, "")
				if err != nil {
					return err
				}
				defer e.stopQuietly(ctx, exec)
				if _, err := e.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: task.Input}); err != nil {
					return noErr("SendTaskSuccess", err)
				}
				if _, err := e.finished(ctx, exec); err != nil {
					return err
				}
				evs, err := e.history(ctx, exec, false)
				if err != nil {
					return err
				}
				for _, ev := range evs {
					if ev.Type == sfntypes.HistoryEventTypeActivityStarted {
						d := ev.ActivityStartedEventDetails
						return first(eq("activityStartedEventDetails present", true, d != nil), eq("workerName absent", true, d == nil || d.WorkerName == nil))
					}
				}
				return fmt.Errorf("no ActivityStarted event in %v", eventTypes(evs))
			},
		},
		{
			name: "sfn/ActivityTaskFailureIsActivityFailed",
			fact: "SendTaskFailure of an activity task records ActivityFailed {error, cause} and the execution fails with them (" + lsAct + ", test_activity_task_failure)",
			check: func(ctx context.Context, e *env) error {
				_, act, err := e.newActivity(ctx)
				if err != nil {
					return err
				}
				exec, task, err := e.runActivity(ctx, act, activityTaskDef(act, ""), input, "BASE_ID_ACTIVITY_CONSUMER")
				if err != nil {
					return err
				}
				if _, err := e.sfn.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: task.TaskToken, Error: aws.String("Programmatic Error"), Cause: task.Input}); err != nil {
					return noErr("SendTaskFailure", err)
				}
				out, err := e.finished(ctx, exec)
				if err != nil {
					return err
				}
				evs, err := e.history(ctx, exec, true)
				if err != nil {
					return err
				}
				if len(evs) < 2 || evs[1].ActivityFailedEventDetails == nil {
					return fmt.Errorf("want ActivityFailed before ExecutionFailed, got %v", eventTypes(evs))
				}
				f := evs[1].ActivityFailedEventDetails
				return first(eq("status", sfntypes.ExecutionStatusFailed, out.Status), eq("error", "Programmatic Error", str(out.Error)),
					eq("ActivityFailed error", "Programmatic Error", str(f.Error)), jsonEq("ActivityFailed cause", input, str(f.Cause)))
			},
		},
		{
			name: "sfn/ActivityTaskTimeoutIsActivityTimedOut",
			fact: "a taken activity task not answered within the state's TimeoutSeconds records ActivityTimedOut {error: States.Timeout} and the execution fails States.Timeout (" + lsAct + ", test_activity_task_start_timeout)",
			check: func(ctx context.Context, e *env) error {
				_, act, err := e.newActivity(ctx)
				if err != nil {
					return err
				}
				exec, _, err := e.runActivity(ctx, act, activityTaskDef(act, `"TimeoutSeconds":1,`), input, "BASE_ID_ACTIVITY_CONSUMER")
				if err != nil {
					return err
				}
				out, err := e.finished(ctx, exec)
				if err != nil {
					return err
				}
				evs, err := e.history(ctx, exec, false)
				if err != nil {
					return err
				}
				if err := deepEq("event types", []string{"ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivityTimedOut", "ExecutionFailed"}, eventTypes(evs)); err != nil {
					return err
				}
				return first(eq("error", "States.Timeout", str(out.Error)), eq("ActivityTimedOut error", "States.Timeout", str(evs[4].ActivityTimedOutEventDetails.Error)),
					eq("ActivityScheduled timeoutInSeconds", int64(1), aws.ToInt64(evs[2].ActivityScheduledEventDetails.TimeoutInSeconds)))
			},
		},
		{
			name: "sfn/ActivityTaskOnDeletedActivityFailsStatesRuntime",
			fact: "a state machine may name a deleted activity; its execution fails States.Runtime \"... The activity <arn> does not exist.\" right after TaskStateEntered, with no activity event (" + lsAct + ", test_activity_task_on_deleted)",
			check: func(ctx context.Context, e *env) error {
				_, act, err := e.newActivity(ctx)
				if err != nil {
					return err
				}
				if _, err := e.sfn.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String(act)}); err != nil {
					return noErr("DeleteActivity", err)
				}
				_, machine, err := e.newMachine(ctx, activityTaskDef(act, ""))
				if err != nil {
					return err
				}
				exec, err := e.start(ctx, machine, "", input)
				if err != nil {
					return err
				}
				out, err := e.finished(ctx, exec)
				if err != nil {
					return err
				}
				evs, err := e.history(ctx, exec, false)
				if err != nil {
					return err
				}
				return first(deepEq("event types", []string{"ExecutionStarted", "TaskStateEntered", "ExecutionFailed"}, eventTypes(evs)),
					eq("error", "States.Runtime", str(out.Error)),
					eq("cause", "An error occurred while executing the state 'ActivityTask' (entered at the event id #2). The activity "+act+" does not exist.", str(out.Cause)))
			},
		},
	}
}

// boto3ActivityCases are the activity cases checked through boto3: a worker
// loop as boto3 users write it.
func boto3ActivityCases() []botoCase {
	return []botoCase{
		{
			name: "boto3/sfn/ActivityWorkerCompletesTheExecution",
			fact: "through boto3, a worker's get_activity_task returns the scheduled task's taskToken and input, and send_task_success with it completes the execution with the worker's output (" + lsAct + ", test_activity_task; API reference, GetActivityTask)",
			py: `sfn = client("stepfunctions")
act = sfn.create_activity(name=uniq("act"))["activityArn"]
recent("creationDate", sfn.describe_activity(activityArn=act).get("creationDate"))
sm = sfn.create_state_machine(name=uniq("sm"), roleArn="arn:aws:iam::000000000000:role/fidelity-sfn",
    definition=json.dumps({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": act, "HeartbeatSeconds": 60, "End": True}}}))["stateMachineArn"]
ex = sfn.start_execution(stateMachineArn=sm, input='{"Value1":"HelloWorld"}')["executionArn"]
task = sfn.get_activity_task(activityArn=act, workerName="boto3-worker")
want("input", {"Value1": "HelloWorld"}, json.loads(task.get("input") or "null"))
sfn.send_task_heartbeat(taskToken=task["taskToken"])
sfn.send_task_success(taskToken=task["taskToken"], output='{"done":true}')
for _ in range(400):
    d = sfn.describe_execution(executionArn=ex)
    if d["status"] != "RUNNING":
        break
    time.sleep(0.025)
want("status", "SUCCEEDED", d["status"])
want("output", {"done": True}, json.loads(d.get("output") or "null"))
want_error(lambda: sfn.send_task_success(taskToken=task["taskToken"], output="{}"), "TaskDoesNotExist")`,
		},
	}
}
