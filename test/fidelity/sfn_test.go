package fidelity

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"loanflow/infra/local/localtest"
)

// Sources the Step Functions facts cite.
const (
	lsSFN      = "LocalStack test_sfn_api.snapshot.json (recorded against AWS)"
	lsSFNValid = "LocalStack test_sfn_api_validation.snapshot.json (recorded against AWS)"
)

const (
	sfnRole = "arn:aws:iam::000000000000:role/fidelity-sfn"
	passDef = `{"Comment":"BASE_PASS_RESULT","StartAt":"State_1","States":{"State_1":{"Type":"Pass","Result":{"Arg1":"argument1"},"End":true}}}`
	waitDef = `{"StartAt":"State_1","States":{"State_1":{"Type":"Wait","Seconds":600,"End":true}}}`
	failDef = `{"StartAt":"State_1","States":{"State_1":{"Type":"Fail","Error":"SomeFailure","Cause":"This state machines raises a 'SomeFailure' failure."}}}`
)

// tokenDef waits for a task token sent to a queue.
func tokenDef(queueURL string) string {
	return `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",` +
		`"Parameters":{"QueueUrl":"` + queueURL + `","MessageBody":{"token.$":"$$.Task.Token"}},"End":true}}}`
}

func (e *env) machineARN(name string) string {
	return "arn:aws:states:" + e.region + ":" + e.account + ":stateMachine:" + name
}

func (e *env) newMachine(ctx context.Context, def string) (name, arn string, err error) {
	name = e.name("sm")
	out, err := e.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(sfnRole)})
	if err != nil {
		return "", "", fmt.Errorf("CreateStateMachine: want success, got: %w", err)
	}
	return name, aws.ToString(out.StateMachineArn), nil
}

func (e *env) start(ctx context.Context, machine, name, input string) (string, error) {
	in := &sfn.StartExecutionInput{StateMachineArn: aws.String(machine)}
	if name != "" {
		in.Name = aws.String(name)
	}
	if input != "" {
		in.Input = aws.String(input)
	}
	out, err := e.sfn.StartExecution(ctx, in)
	if err != nil {
		return "", fmt.Errorf("StartExecution: want success, got: %w", err)
	}
	return aws.ToString(out.ExecutionArn), nil
}

// finished polls until the execution is no longer RUNNING.
func (e *env) finished(ctx context.Context, exec string) (*sfn.DescribeExecutionOutput, error) {
	var out *sfn.DescribeExecutionOutput
	err := localtest.Poll(ctx, 30*time.Second, pollEvery, "the execution to end", func() (bool, error) {
		var err error
		out, err = e.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)})
		if err != nil {
			return true, noErr("DescribeExecution", err)
		}
		return out.Status != sfntypes.ExecutionStatusRunning && out.Status != sfntypes.ExecutionStatusPendingRedrive, nil
	})
	return out, err
}

// stopQuietly stops an execution a case left waiting; it may have ended.
func (e *env) stopQuietly(ctx context.Context, exec string) {
	_, _ = e.sfn.StopExecution(context.WithoutCancel(ctx), &sfn.StopExecutionInput{ExecutionArn: aws.String(exec)})
}

// runPass runs the Pass machine to its end and returns the execution ARN.
func (e *env) runPass(ctx context.Context) (machine, exec string, err error) {
	_, machine, err = e.newMachine(ctx, passDef)
	if err != nil {
		return "", "", err
	}
	exec, err = e.start(ctx, machine, "", "")
	if err != nil {
		return "", "", err
	}
	_, err = e.finished(ctx, exec)
	return machine, exec, err
}

// waitingToken starts an execution that waits for a task token and returns
// the execution and the token it sent.
func (e *env) waitingToken(ctx context.Context) (exec, token string, err error) {
	_, url, err := e.newQueue(ctx, false, nil)
	if err != nil {
		return "", "", err
	}
	_, machine, err := e.newMachine(ctx, tokenDef(url))
	if err != nil {
		return "", "", err
	}
	exec, err = e.start(ctx, machine, "", "")
	if err != nil {
		return "", "", err
	}
	ms, err := e.receiveWithin(ctx, url, 1, 30*time.Second, nil)
	if err != nil {
		return "", "", fmt.Errorf("the task token message: %w", err)
	}
	var body struct{ Token string }
	if err := json.Unmarshal([]byte(str(ms[0].Body)), &body); err != nil || body.Token == "" {
		return "", "", fmt.Errorf("task token message: want {\"token\": ...}, got %q", str(ms[0].Body))
	}
	return exec, body.Token, nil
}

func (e *env) history(ctx context.Context, exec string, reverse bool) ([]sfntypes.HistoryEvent, error) {
	out, err := e.sfn.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec), ReverseOrder: reverse})
	if err != nil {
		return nil, noErr("GetExecutionHistory", err)
	}
	return out.Events, nil
}

func eventTypes(evs []sfntypes.HistoryEvent) []string {
	out := []string{}
	for _, ev := range evs {
		out = append(out, string(ev.Type))
	}
	return out
}

func sfnCases() []fcase {
	invalidToken := func(op string, call func(ctx context.Context, e *env) error) fcase {
		return fcase{
			name: "sfn/" + op + "WithMalformedTokenIsInvalidToken",
			fact: op + " with a token Step Functions never issued fails InvalidToken \"Invalid Token: 'Invalid token'\" (LocalStack services/test_aws_sdk_task_service.snapshot.json, test_sfn_send_task_outcome_with_no_such_token, recorded against AWS)",
			check: func(ctx context.Context, e *env) error {
				return apiErr(call(ctx, e), "InvalidToken", "Invalid Token: 'Invalid token'")
			},
		}
	}
	return []fcase{
		{
			name: "sfn/CreateStateMachineReturnsArnAndCreationDate",
			fact: "CreateStateMachine returns stateMachineArn arn:aws:states:<region>:<account>:stateMachine:<name> and creationDate (" + lsSFN + ", test_create_delete_valid_sm)",
			check: func(ctx context.Context, e *env) error {
				name := e.name("sm")
				out, err := e.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(passDef), RoleArn: aws.String(sfnRole)})
				if err != nil {
					return noErr("CreateStateMachine", err)
				}
				return first(eq("stateMachineArn", e.machineARN(name), str(out.StateMachineArn)), eq("creationDate present", true, out.CreationDate != nil))
			},
		},
		{
			name: "sfn/CreateStateMachineExactDuplicateIsIdempotent",
			fact: "CreateStateMachine again with the same name, definition and role returns the existing machine's ARN (" + lsSFN + ", test_create_exact_duplicate_sm)",
			check: func(ctx context.Context, e *env) error {
				name, arn, err := e.newMachine(ctx, passDef)
				if err != nil {
					return err
				}
				out, err := e.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(passDef), RoleArn: aws.String(sfnRole)})
				if err != nil {
					return noErr("second CreateStateMachine", err)
				}
				return eq("stateMachineArn", arn, str(out.StateMachineArn))
			},
		},
		{
			name: "sfn/CreateStateMachineSameNameOtherDefinitionIsStateMachineAlreadyExists",
			fact: "CreateStateMachine of an existing name with another definition fails StateMachineAlreadyExists \"State Machine Already Exists: '<arn>'\" (" + lsSFN + ", test_create_duplicate_sm_name)",
			check: func(ctx context.Context, e *env) error {
				name, arn, err := e.newMachine(ctx, passDef)
				if err != nil {
					return err
				}
				_, err = e.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(waitDef), RoleArn: aws.String(sfnRole)})
				return apiErr(err, "StateMachineAlreadyExists", "State Machine Already Exists: '"+arn+"'")
			},
		},
		{
			name: "sfn/CreateStateMachineWithoutStatesIsInvalidDefinition",
			fact: "CreateStateMachine of a definition without States fails InvalidDefinition \"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'\" (" + lsSFN + ", test_create_delete_invalid_sm)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(e.name("sm")),
					Definition: aws.String(`{"Comment":"BASE_INVALID_DER","StartAt":"State_1"}`), RoleArn: aws.String(sfnRole)})
				return apiErr(err, "InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'")
			},
		},
		{
			name: "sfn/DescribeStateMachineReturnsDefinitionAndDefaults",
			fact: "DescribeStateMachine returns the definition, name, roleArn, status ACTIVE, type STANDARD, loggingConfiguration level OFF and tracing disabled (" + lsSFN + ", test_create_duplicate_sm_name describe_resp_1)",
			check: func(ctx context.Context, e *env) error {
				name, arn, err := e.newMachine(ctx, passDef)
				if err != nil {
					return err
				}
				out, err := e.sfn.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
				if err != nil {
					return noErr("DescribeStateMachine", err)
				}
				if out.LoggingConfiguration == nil || out.TracingConfiguration == nil {
					return fmt.Errorf("loggingConfiguration and tracingConfiguration: want present, got %v and %v", out.LoggingConfiguration, out.TracingConfiguration)
				}
				return first(jsonEq("definition", passDef, str(out.Definition)), eq("name", name, str(out.Name)), eq("roleArn", sfnRole, str(out.RoleArn)),
					eq("status", sfntypes.StateMachineStatusActive, out.Status), eq("type", sfntypes.StateMachineTypeStandard, out.Type),
					eq("loggingConfiguration.level", sfntypes.LogLevelOff, out.LoggingConfiguration.Level),
					eq("loggingConfiguration.includeExecutionData", false, out.LoggingConfiguration.IncludeExecutionData),
					eq("tracingConfiguration.enabled", false, out.TracingConfiguration.Enabled))
			},
		},
		{
			name: "sfn/DescribeStateMachineOfUnknownMachineIsStateMachineDoesNotExist",
			fact: "DescribeStateMachine of a well-formed ARN that names no machine fails StateMachineDoesNotExist \"State Machine Does Not Exist: '<arn>'\" (" + lsSFN + ", test_describe_nonexistent_sm)",
			check: func(ctx context.Context, e *env) error {
				arn := e.machineARN(e.name("missing"))
				_, err := e.sfn.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
				return apiErr(err, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+arn+"'")
			},
		},
		{
			name: "sfn/DescribeStateMachineWithMalformedArnIsInvalidArn",
			fact: "DescribeStateMachine of a string that is not an ARN fails InvalidArn \"Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'\" (" + lsSFN + ", test_describe_invalid_arn_sm)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.sfn.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("not_a_valid_arn")})
				return apiErr(err, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'")
			},
		},
		{
			name: "sfn/ListStateMachinesPagesWithMaxResults",
			fact: "ListStateMachines with maxResults returns at most that many machines and a nextToken while more remain; following the tokens lists every machine once (" + lsSFN + ", test_list_sms_pagination)",
			check: func(ctx context.Context, e *env) error {
				want := map[string]bool{}
				for range 3 {
					_, arn, err := e.newMachine(ctx, passDef)
					if err != nil {
						return err
					}
					want[arn] = true
				}
				seen := map[string]int{}
				var token *string
				for page := 0; ; page++ {
					out, err := e.sfn.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 2, NextToken: token})
					if err != nil {
						return noErr("ListStateMachines maxResults 2", err)
					}
					if len(out.StateMachines) > 2 {
						return fmt.Errorf("page %d: want at most 2 machines, got %d", page, len(out.StateMachines))
					}
					for _, m := range out.StateMachines {
						seen[str(m.StateMachineArn)]++
					}
					if out.NextToken == nil {
						break
					}
					if page > 1000 {
						return fmt.Errorf("nextToken never ends")
					}
					token = out.NextToken
				}
				for arn := range want {
					if seen[arn] != 1 {
						return fmt.Errorf("machine %s: want listed once over the pages, got %d times", arn, seen[arn])
					}
				}
				return nil
			},
		},
		{
			name: "sfn/ListStateMachinesMaxResultsOver1000IsValidation",
			fact: "ListStateMachines with maxResults 1001 fails ValidationException \"1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000\" (" + lsSFN + ", test_list_sms_pagination)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.sfn.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 1001})
				return apiErr(err, "ValidationException", "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000")
			},
		},
		{
			name: "sfn/StartExecutionReturnsExecutionArnAndStartDate",
			fact: "StartExecution returns executionArn arn:aws:states:<region>:<account>:execution:<machine>:<name> and startDate (" + lsSFN + ", test_start_execution)",
			check: func(ctx context.Context, e *env) error {
				name, arn, err := e.newMachine(ctx, passDef)
				if err != nil {
					return err
				}
				out, err := e.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("run-1")})
				if err != nil {
					return noErr("StartExecution", err)
				}
				return first(eq("executionArn", "arn:aws:states:"+e.region+":"+e.account+":execution:"+name+":run-1", str(out.ExecutionArn)),
					eq("startDate present", true, out.StartDate != nil))
			},
		},
		{
			name: "sfn/StartExecutionSameNameAndInputIsIdempotent",
			fact: "StartExecution again with the name and input of a running execution returns that execution's ARN (" + lsSFN + ", test_start_execution_idempotent)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.newMachine(ctx, waitDef)
				if err != nil {
					return err
				}
				a, err := e.start(ctx, arn, "same", `{"k":1}`)
				if err != nil {
					return err
				}
				defer e.stopQuietly(ctx, a)
				b, err := e.start(ctx, arn, "same", `{"k":1}`)
				if err != nil {
					return err
				}
				return eq("executionArn of the second StartExecution", a, b)
			},
		},
		{
			name: "sfn/StartExecutionSameNameOtherInputIsExecutionAlreadyExists",
			fact: "StartExecution with a running execution's name and another input fails ExecutionAlreadyExists \"Execution Already Exists: '<arn>'\" (" + lsSFN + ", test_start_execution_idempotent)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.newMachine(ctx, waitDef)
				if err != nil {
					return err
				}
				exec, err := e.start(ctx, arn, "same", `{"k":1}`)
				if err != nil {
					return err
				}
				defer e.stopQuietly(ctx, exec)
				_, err = e.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("same"), Input: aws.String(`{"body":"different-data"}`)})
				return apiErr(err, "ExecutionAlreadyExists", "Execution Already Exists: '"+exec+"'")
			},
		},
		{
			name: "sfn/StartExecutionOfUnknownMachineIsStateMachineDoesNotExist",
			fact: "StartExecution of a machine that does not exist fails StateMachineDoesNotExist \"State Machine Does Not Exist: '<arn>'\" (" + lsSFN + ", test_invalid_start_execution_arn)",
			check: func(ctx context.Context, e *env) error {
				arn := e.machineARN(e.name("missing"))
				_, err := e.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn)})
				return apiErr(err, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+arn+"'")
			},
		},
		{
			name: "sfn/StartExecutionWithNonJSONInputIsInvalidExecutionInput",
			fact: "StartExecution whose input is not JSON fails InvalidExecutionInput \"Invalid State Machine Execution Input: '<parser message>'\" (" + lsSFN + ", test_invalid_start_execution_input)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.newMachine(ctx, passDef)
				if err != nil {
					return err
				}
				_, err = e.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String("not a json")})
				return apiErrPrefix(err, "InvalidExecutionInput", "Invalid State Machine Execution Input: '")
			},
		},
		{
			name: "sfn/DescribeExecutionOfSucceededExecution",
			fact: "DescribeExecution of a finished Pass machine: status SUCCEEDED, input, output, name, stopDate, redriveCount 0, redriveStatus NOT_REDRIVABLE 'Execution is SUCCEEDED and cannot be redriven' (" + lsSFN + ", test_describe_execution)",
			check: func(ctx context.Context, e *env) error {
				_, exec, err := e.runPass(ctx)
				if err != nil {
					return err
				}
				out, err := e.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(exec)})
				if err != nil {
					return noErr("DescribeExecution", err)
				}
				if out.RedriveCount == nil {
					return fmt.Errorf("redriveCount: want 0, got absent")
				}
				return first(eq("status", sfntypes.ExecutionStatusSucceeded, out.Status), jsonEq("output", `{"Arg1":"argument1"}`, str(out.Output)),
					jsonEq("input", `{}`, str(out.Input)), eq("stopDate present", true, out.StopDate != nil),
					eq("redriveCount", int32(0), *out.RedriveCount), eq("redriveStatus", sfntypes.ExecutionRedriveStatusNotRedrivable, out.RedriveStatus),
					eq("redriveStatusReason", "Execution is SUCCEEDED and cannot be redriven", str(out.RedriveStatusReason)))
			},
		},
		{
			name: "sfn/DescribeExecutionOfFailedExecutionHasErrorCauseAndIsRedrivable",
			fact: "DescribeExecution of an execution ended by a Fail state: status FAILED with its error and cause, redriveStatus REDRIVABLE (LocalStack base/test_base.snapshot.json, test_state_fail, recorded against AWS)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.newMachine(ctx, failDef)
				if err != nil {
					return err
				}
				exec, err := e.start(ctx, arn, "", "")
				if err != nil {
					return err
				}
				out, err := e.finished(ctx, exec)
				if err != nil {
					return err
				}
				return first(eq("status", sfntypes.ExecutionStatusFailed, out.Status), eq("error", "SomeFailure", str(out.Error)),
					eq("cause", "This state machines raises a 'SomeFailure' failure.", str(out.Cause)),
					eq("redriveStatus", sfntypes.ExecutionRedriveStatusRedrivable, out.RedriveStatus))
			},
		},
		{
			name: "sfn/DescribeExecutionOfUnknownExecutionIsExecutionDoesNotExist",
			fact: "DescribeExecution of a well-formed ARN that names no execution fails ExecutionDoesNotExist \"Execution Does Not Exist: '<arn>'\" (" + lsSFN + ", test_describe_execution_no_such_state_machine)",
			check: func(ctx context.Context, e *env) error {
				arn := "arn:aws:states:" + e.region + ":" + e.account + ":execution:" + e.name("missing") + ":run"
				_, err := e.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
				return apiErr(err, "ExecutionDoesNotExist", "Execution Does Not Exist: '"+arn+"'")
			},
		},
		{
			name: "sfn/DescribeExecutionWithMalformedArnIsInvalidArn",
			fact: "DescribeExecution of a string that is not an ARN fails InvalidArn \"Invalid Arn: 'Invalid ARN prefix: <string>'\" (" + lsSFN + ", test_describe_execution_invalid_arn)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("invalid_state_machine_arn")})
				return apiErr(err, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'")
			},
		},
		{
			name: "sfn/GetExecutionHistoryOfPassMachine",
			fact: "the history of a one-Pass-state execution is ExecutionStarted, PassStateEntered, PassStateExited, ExecutionSucceeded with ids 1 to 4 (" + lsSFN + ", test_get_execution_history_reversed)",
			check: func(ctx context.Context, e *env) error {
				_, exec, err := e.runPass(ctx)
				if err != nil {
					return err
				}
				evs, err := e.history(ctx, exec, false)
				if err != nil {
					return err
				}
				var ids []int64
				for _, ev := range evs {
					ids = append(ids, ev.Id)
				}
				return first(deepEq("event types", []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}, eventTypes(evs)),
					deepEq("event ids", []int64{1, 2, 3, 4}, ids))
			},
		},
		{
			name: "sfn/GetExecutionHistoryReverseOrder",
			fact: "GetExecutionHistory with reverseOrder returns the events last first: ExecutionSucceeded (id 4) to ExecutionStarted (id 1) (" + lsSFN + ", test_get_execution_history_reversed)",
			check: func(ctx context.Context, e *env) error {
				_, exec, err := e.runPass(ctx)
				if err != nil {
					return err
				}
				evs, err := e.history(ctx, exec, true)
				if err != nil {
					return err
				}
				return deepEq("event types", []string{"ExecutionSucceeded", "PassStateExited", "PassStateEntered", "ExecutionStarted"}, eventTypes(evs))
			},
		},
		{
			name: "sfn/GetExecutionHistoryPagesWithMaxResults",
			fact: "GetExecutionHistory with maxResults 1 returns one event and a nextToken per page; the pages together are the whole history (API reference, GetExecutionHistory)",
			check: func(ctx context.Context, e *env) error {
				_, exec, err := e.runPass(ctx)
				if err != nil {
					return err
				}
				all, err := e.history(ctx, exec, false)
				if err != nil {
					return err
				}
				var paged []sfntypes.HistoryEvent
				var token *string
				for page := 0; page < 100; page++ {
					out, err := e.sfn.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(exec), MaxResults: 1, NextToken: token})
					if err != nil {
						return noErr("GetExecutionHistory maxResults 1", err)
					}
					if len(out.Events) > 1 {
						return fmt.Errorf("page %d: want at most 1 event, got %d", page, len(out.Events))
					}
					paged = append(paged, out.Events...)
					if out.NextToken == nil {
						break
					}
					token = out.NextToken
				}
				return deepEq("event types over the pages", eventTypes(all), eventTypes(paged))
			},
		},
		{
			name: "sfn/GetExecutionHistoryOfUnknownExecutionIsExecutionDoesNotExist",
			fact: "GetExecutionHistory of a well-formed ARN that names no execution fails ExecutionDoesNotExist \"Execution Does Not Exist: '<arn>'\" (" + lsSFN + ", test_get_execution_history_no_such_execution)",
			check: func(ctx context.Context, e *env) error {
				arn := "arn:aws:states:" + e.region + ":" + e.account + ":execution:" + e.name("missing") + ":run"
				_, err := e.sfn.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
				return apiErr(err, "ExecutionDoesNotExist", "Execution Does Not Exist: '"+arn+"'")
			},
		},
		{
			name: "sfn/StopExecutionAbortsWithErrorAndCause",
			fact: "StopExecution returns stopDate; the execution becomes ABORTED and its history ends with ExecutionAborted carrying the error and cause (" + lsSFN + ", test_stop_execution; API reference, StopExecution)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.newMachine(ctx, waitDef)
				if err != nil {
					return err
				}
				exec, err := e.start(ctx, arn, "", "")
				if err != nil {
					return err
				}
				out, err := e.sfn.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(exec), Error: aws.String("Stopped.ByTest"), Cause: aws.String("fidelity")})
				if err != nil {
					return noErr("StopExecution", err)
				}
				d, err := e.finished(ctx, exec)
				if err != nil {
					return err
				}
				evs, err := e.history(ctx, exec, true)
				if err != nil {
					return err
				}
				if len(evs) == 0 || evs[0].ExecutionAbortedEventDetails == nil {
					return fmt.Errorf("last history event: want ExecutionAborted with details, got %v", eventTypes(evs))
				}
				det := evs[0].ExecutionAbortedEventDetails
				return first(eq("stopDate present", true, out.StopDate != nil), eq("status", sfntypes.ExecutionStatusAborted, d.Status),
					eq("last event", "ExecutionAborted", string(evs[0].Type)), eq("ExecutionAborted error", "Stopped.ByTest", str(det.Error)),
					eq("ExecutionAborted cause", "fidelity", str(det.Cause)))
			},
		},
		{
			name: "sfn/ListExecutionsFiltersByStatus",
			fact: "ListExecutions with statusFilter RUNNING lists only running executions (API reference, ListExecutions)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.newMachine(ctx, waitDef)
				if err != nil {
					return err
				}
				running, err := e.start(ctx, arn, "running", "")
				if err != nil {
					return err
				}
				defer e.stopQuietly(ctx, running)
				stopped, err := e.start(ctx, arn, "stopped", "")
				if err != nil {
					return err
				}
				if _, err := e.sfn.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(stopped)}); err != nil {
					return noErr("StopExecution", err)
				}
				out, err := e.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn), StatusFilter: sfntypes.ExecutionStatusRunning})
				if err != nil {
					return noErr("ListExecutions RUNNING", err)
				}
				var got []string
				for _, x := range out.Executions {
					got = append(got, str(x.ExecutionArn))
				}
				return deepEq("RUNNING executions", []string{running}, got)
			},
		},
		{
			name: "sfn/ListExecutionsOfUnknownMachineIsStateMachineDoesNotExist",
			fact: "ListExecutions of a machine that does not exist fails StateMachineDoesNotExist \"State Machine Does Not Exist: '<arn>'\" (" + lsSFN + ", test_list_execution_no_such_state_machine)",
			check: func(ctx context.Context, e *env) error {
				arn := e.machineARN(e.name("missing"))
				_, err := e.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn)})
				return apiErr(err, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+arn+"'")
			},
		},
		invalidToken("SendTaskSuccess", func(ctx context.Context, e *env) error {
			_, err := e.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("NoSuchTaskToken"), Output: aws.String("{}")})
			return err
		}),
		invalidToken("SendTaskFailure", func(ctx context.Context, e *env) error {
			_, err := e.sfn.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String("NoSuchTaskToken")})
			return err
		}),
		invalidToken("SendTaskHeartbeat", func(ctx context.Context, e *env) error {
			_, err := e.sfn.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String("NoSuchTaskToken")})
			return err
		}),
		{
			name: "sfn/SendTaskSuccessAfterTheExecutionStoppedIsTaskTimedOut",
			fact: "SendTaskSuccess with the token of a task whose execution has been stopped fails TaskTimedOut \"Task Timed Out: 'Provided task does not exist anymore'\" (API reference, SendTaskSuccess TaskTimedOut; the error AWS returns, as reported by SDK users)",
			check: func(ctx context.Context, e *env) error {
				exec, token, err := e.waitingToken(ctx)
				if err != nil {
					return err
				}
				if _, err := e.sfn.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(exec)}); err != nil {
					return noErr("StopExecution", err)
				}
				if _, err := e.finished(ctx, exec); err != nil {
					return err
				}
				_, err = e.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String("{}")})
				return apiErr(err, "TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
			},
		},
		{
			name: "sfn/SendTaskSuccessResumesTheExecutionWithItsOutput",
			fact: "SendTaskSuccess with a waiting task's token ends the task with that output; the execution SUCCEEDS with it (developer guide, wait for a callback with the task token)",
			check: func(ctx context.Context, e *env) error {
				exec, token, err := e.waitingToken(ctx)
				if err != nil {
					return err
				}
				if _, err := e.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{"valuation":250000}`)}); err != nil {
					return noErr("SendTaskSuccess", err)
				}
				out, err := e.finished(ctx, exec)
				if err != nil {
					return err
				}
				return first(eq("status", sfntypes.ExecutionStatusSucceeded, out.Status), jsonEq("output", `{"valuation":250000}`, str(out.Output)))
			},
		},
		{
			name: "sfn/SendTaskFailureFailsTheExecutionWithErrorAndCause",
			fact: "SendTaskFailure with a waiting task's token fails the task; without a Catch the execution FAILS with that error and cause (developer guide, wait for a callback with the task token)",
			check: func(ctx context.Context, e *env) error {
				exec, token, err := e.waitingToken(ctx)
				if err != nil {
					return err
				}
				if _, err := e.sfn.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String("ValuationFailed"), Cause: aws.String("no comparables")}); err != nil {
					return noErr("SendTaskFailure", err)
				}
				out, err := e.finished(ctx, exec)
				if err != nil {
					return err
				}
				return first(eq("status", sfntypes.ExecutionStatusFailed, out.Status), eq("error", "ValuationFailed", str(out.Error)), eq("cause", "no comparables", str(out.Cause)))
			},
		},
		{
			name: "sfn/SendTaskSuccessWithNonJSONOutputIsInvalidOutput",
			fact: "SendTaskSuccess whose output is not JSON fails InvalidOutput (API reference, SendTaskSuccess errors)",
			check: func(ctx context.Context, e *env) error {
				exec, token, err := e.waitingToken(ctx)
				if err != nil {
					return err
				}
				defer e.stopQuietly(ctx, exec)
				_, err = e.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String("not json")})
				return apiErr(err, "InvalidOutput", "")
			},
		},
		{
			name: "sfn/DeleteStateMachineOfUnknownMachineSucceeds",
			fact: "DeleteStateMachine of a machine that does not exist succeeds (" + lsSFN + ", test_delete_nonexistent_sm)",
			check: func(ctx context.Context, e *env) error {
				_, err := e.sfn.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(e.machineARN(e.name("missing")))})
				return noErr("DeleteStateMachine of an unknown machine", err)
			},
		},
		{
			name: "sfn/DeleteStateMachineRemovesIt",
			fact: "after DeleteStateMachine the machine is DELETING and then gone: DescribeStateMachine fails StateMachineDoesNotExist (API reference, DeleteStateMachine)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.newMachine(ctx, passDef)
				if err != nil {
					return err
				}
				if _, err := e.sfn.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(arn)}); err != nil {
					return noErr("DeleteStateMachine", err)
				}
				return localtest.Poll(ctx, 30*time.Second, pollEvery, "the machine gone", func() (bool, error) {
					out, err := e.sfn.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(arn)})
					if err == nil {
						if out.Status != sfntypes.StateMachineStatusDeleting {
							return true, fmt.Errorf("status after DeleteStateMachine: want DELETING or StateMachineDoesNotExist, got %s", out.Status)
						}
						return false, nil
					}
					return true, apiErr(err, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+arn+"'")
				})
			},
		},
		{
			name: "sfn/DescribeStateMachineForExecution",
			fact: "DescribeStateMachineForExecution returns the machine's stateMachineArn, name, definition, roleArn and updateDate (" + lsSFN + ", test_describe_state_machine_for_execution)",
			check: func(ctx context.Context, e *env) error {
				machine, exec, err := e.runPass(ctx)
				if err != nil {
					return err
				}
				out, err := e.sfn.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: aws.String(exec)})
				if err != nil {
					return noErr("DescribeStateMachineForExecution", err)
				}
				return first(eq("stateMachineArn", machine, str(out.StateMachineArn)), jsonEq("definition", passDef, str(out.Definition)),
					eq("roleArn", sfnRole, str(out.RoleArn)), eq("updateDate present", true, out.UpdateDate != nil), eq("name present", true, out.Name != nil))
			},
		},
		{
			name: "sfn/ValidateStateMachineDefinitionOfValidDefinitionIsOK",
			fact: "ValidateStateMachineDefinition of a valid definition returns result OK and no diagnostics (" + lsSFNValid + ", VALID_BASE_PASS)",
			check: func(ctx context.Context, e *env) error {
				out, err := e.sfn.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(passDef)})
				if err != nil {
					return noErr("ValidateStateMachineDefinition", err)
				}
				return first(eq("result", sfntypes.ValidateStateMachineDefinitionResultCodeOk, out.Result), eq("len(diagnostics)", 0, len(out.Diagnostics)))
			},
		},
		{
			name: "sfn/ValidateStateMachineDefinitionWithoutStartAtIsFAIL",
			fact: "ValidateStateMachineDefinition of a definition without StartAt returns FAIL with diagnostic SCHEMA_VALIDATION_FAILED, ERROR, 'These fields are required: [StartAt]' at / (" + lsSFNValid + ", INVALID_BASE_NO_STARTAT)",
			check: func(ctx context.Context, e *env) error {
				out, err := e.sfn.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{
					Definition: aws.String(`{"States":{"State_1":{"Type":"Pass","End":true}}}`)})
				if err != nil {
					return noErr("ValidateStateMachineDefinition", err)
				}
				if len(out.Diagnostics) != 1 {
					return fmt.Errorf("diagnostics: want 1, got %d (result %s)", len(out.Diagnostics), out.Result)
				}
				d := out.Diagnostics[0]
				return first(eq("result", sfntypes.ValidateStateMachineDefinitionResultCodeFail, out.Result), eq("code", "SCHEMA_VALIDATION_FAILED", str(d.Code)),
					eq("message", "These fields are required: [StartAt]", str(d.Message)), eq("location", "/", str(d.Location)),
					eq("severity", sfntypes.ValidateStateMachineDefinitionSeverityError, d.Severity))
			},
		},
		{
			name: "sfn/ValidateStateMachineDefinitionOfEmptyObjectNamesBothMissingFields",
			fact: "ValidateStateMachineDefinition of {} returns FAIL with 'These fields are required: [States, StartAt]' (" + lsSFNValid + ", EMPTY_DICT)",
			check: func(ctx context.Context, e *env) error {
				out, err := e.sfn.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(`{}`)})
				if err != nil {
					return noErr("ValidateStateMachineDefinition", err)
				}
				if len(out.Diagnostics) != 1 {
					return fmt.Errorf("diagnostics: want 1, got %d (result %s)", len(out.Diagnostics), out.Result)
				}
				return first(eq("result", sfntypes.ValidateStateMachineDefinitionResultCodeFail, out.Result),
					eq("message", "These fields are required: [States, StartAt]", str(out.Diagnostics[0].Message)))
			},
		},
		{
			name: "sfn/MalformedJSONBodyIsSerializationException",
			fact: "a Step Functions request whose body is not JSON is answered 400 with a SerializationException, as every AWS JSON protocol (coral) service answers it (" + dynalite + ", connection.js, for the protocol's answer)",
			check: func(ctx context.Context, e *env) error {
				status, body, err := e.rawJSON(ctx, "states", "1.0", "AWSStepFunctions.ListStateMachines", "{not json")
				if err != nil {
					return err
				}
				if err := eq("HTTP status", 400, status); err != nil {
					return err
				}
				var m map[string]any
				if err := json.Unmarshal(body, &m); err != nil {
					return fmt.Errorf("error body: want JSON with __type SerializationException, got %q", body)
				}
				typ, _ := m["__type"].(string)
				if typ != "SerializationException" && typ != "com.amazon.coral.service#SerializationException" {
					return fmt.Errorf("__type: want SerializationException, got %q", typ)
				}
				return nil
			},
		},
		{
			name: "sfn/RedriveExecutionOfSucceededExecutionIsExecutionNotRedrivable",
			fact: "RedriveExecution of a SUCCEEDED execution fails ExecutionNotRedrivable (API reference, RedriveExecution errors)",
			check: func(ctx context.Context, e *env) error {
				_, exec, err := e.runPass(ctx)
				if err != nil {
					return err
				}
				_, err = e.sfn.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(exec)})
				return apiErr(err, "ExecutionNotRedrivable", "")
			},
		},
		{
			name: "sfn/RedriveExecutionOfFailedExecutionRestartsIt",
			fact: "RedriveExecution of a FAILED execution returns redriveDate and the execution's redriveCount becomes 1 (API reference, RedriveExecution; developer guide, redriving executions)",
			check: func(ctx context.Context, e *env) error {
				_, arn, err := e.newMachine(ctx, failDef)
				if err != nil {
					return err
				}
				exec, err := e.start(ctx, arn, "", "")
				if err != nil {
					return err
				}
				if _, err := e.finished(ctx, exec); err != nil {
					return err
				}
				out, err := e.sfn.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(exec)})
				if err != nil {
					return noErr("RedriveExecution", err)
				}
				if out.RedriveDate == nil {
					return fmt.Errorf("redriveDate: want present, got nil")
				}
				d, err := e.finished(ctx, exec)
				if err != nil {
					return err
				}
				if d.RedriveCount == nil {
					return fmt.Errorf("redriveCount: want 1, got absent")
				}
				return eq("redriveCount", "1", strconv.Itoa(int(*d.RedriveCount)))
			},
		},
	}
}
