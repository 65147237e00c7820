package fidelity

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"loanflow/infra/local/localtest"
)

// mapTokenDef maps over $.items, one at a time, each iteration sending its
// item and a task token to a queue and waiting for the answer.
func mapTokenDef(queueURL string) string {
	return `{"StartAt":"Each","States":{"Each":{"Type":"Map","MaxConcurrency":1,"ItemsPath":"$.items","ItemProcessor":{"StartAt":"Ask","States":{"Ask":{"Type":"Task",` +
		`"Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"` + queueURL + `","MessageBody":{"item.$":"$","token.$":"$$.Task.Token"}},"End":true}}},"End":true}}}`
}

// parallelTokenDef runs one branch per item, each sending its item and a
// task token to a queue and waiting for the answer.
func parallelTokenDef(queueURL string, items ...string) string {
	var branches []string
	for _, it := range items {
		branches = append(branches, `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",`+
			`"Parameters":{"QueueUrl":"`+queueURL+`","MessageBody":{"item":"`+it+`","token.$":"$$.Task.Token"}},"End":true}}}`)
	}
	return `{"StartAt":"Both","States":{"Both":{"Type":"Parallel","Branches":[` + strings.Join(branches, ",") + `],"End":true}}}`
}

// nextAsk receives the next message of a mapTokenDef iteration.
func (e *env) nextAsk(ctx context.Context, url string) (item, token string, err error) {
	ms, err := e.receiveWithin(ctx, url, 1, 30*time.Second, func(in *sqs.ReceiveMessageInput) { in.MaxNumberOfMessages = 1 })
	if err != nil {
		return "", "", err
	}
	var body struct{ Item, Token string }
	if err := json.Unmarshal([]byte(str(ms[0].Body)), &body); err != nil || body.Token == "" {
		return "", "", fmt.Errorf("iteration message: want {\"item\", \"token\"}, got %q", str(ms[0].Body))
	}
	return body.Item, body.Token, nil
}

func sfnRedriveCases() []fcase {
	return []fcase{
		{
			name: "sfn/ListExecutionsItemCarriesRedriveCount",
			fact: "ListExecutions items carry redriveCount 0 for an execution never redriven (" + lsSFN + ", test_start_execution exec_list_resp)",
			check: func(ctx context.Context, e *env) error {
				machine, exec, err := e.runPass(ctx)
				if err != nil {
					return err
				}
				out, err := e.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine)})
				if err != nil {
					return noErr("ListExecutions", err)
				}
				if len(out.Executions) != 1 || str(out.Executions[0].ExecutionArn) != exec {
					return fmt.Errorf("executions: want only %s, got %d", exec, len(out.Executions))
				}
				x := out.Executions[0]
				if x.RedriveCount == nil {
					return fmt.Errorf("redriveCount: want 0, got absent")
				}
				return first(eq("redriveCount", int32(0), *x.RedriveCount), eq("redriveDate absent", true, x.RedriveDate == nil))
			},
		},
		{
			name: "sfn/ListExecutionsRedriveFilter",
			fact: "ListExecutions with redriveFilter REDRIVEN lists only the executions redriven, NOT_REDRIVEN only the others; a redriven item carries redriveCount and redriveDate (API reference, ListExecutions redriveFilter; ExecutionListItem)",
			check: func(ctx context.Context, e *env) error {
				_, machine, err := e.newMachine(ctx, failDef)
				if err != nil {
					return err
				}
				var execs []string
				for range 2 {
					x, err := e.start(ctx, machine, "", "")
					if err != nil {
						return err
					}
					if _, err := e.finished(ctx, x); err != nil {
						return err
					}
					execs = append(execs, x)
				}
				if _, err := e.sfn.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(execs[0])}); err != nil {
					return noErr("RedriveExecution", err)
				}
				if _, err := e.finished(ctx, execs[0]); err != nil {
					return err
				}
				list := func(f sfntypes.ExecutionRedriveFilter) ([]sfntypes.ExecutionListItem, error) {
					out, err := e.sfn.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machine), RedriveFilter: f})
					if err != nil {
						return nil, noErr("ListExecutions redriveFilter "+string(f), err)
					}
					return out.Executions, nil
				}
				redriven, err := list(sfntypes.ExecutionRedriveFilterRedriven)
				if err != nil {
					return err
				}
				if len(redriven) != 1 || str(redriven[0].ExecutionArn) != execs[0] {
					return fmt.Errorf("REDRIVEN: want only %s, got %d executions", execs[0], len(redriven))
				}
				if aws.ToInt32(redriven[0].RedriveCount) != 1 || redriven[0].RedriveDate == nil {
					return fmt.Errorf("redriven item: want redriveCount 1 and a redriveDate, got %v and %v", redriven[0].RedriveCount, redriven[0].RedriveDate)
				}
				others, err := list(sfntypes.ExecutionRedriveFilterNotRedriven)
				if err != nil {
					return err
				}
				if len(others) != 1 || str(others[0].ExecutionArn) != execs[1] {
					return fmt.Errorf("NOT_REDRIVEN: want only %s, got %d executions", execs[1], len(others))
				}
				return nil
			},
		},
		{
			name: "sfn/RedriveInlineMapRerunsOnlyUnsuccessfulIterations",
			fact: "RedriveExecution of an execution failed in an Inline Map reruns only the iterations that failed or were aborted; a succeeded iteration keeps its result (API reference, RedriveExecution: \"For workflows that include an Inline Map or Parallel state, RedriveExecution API action reschedules and redrives only the iterations and branches that failed or aborted\")",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, map[string]string{"VisibilityTimeout": "600"})
				if err != nil {
					return err
				}
				_, machine, err := e.newMachine(ctx, mapTokenDef(url))
				if err != nil {
					return err
				}
				exec, err := e.start(ctx, machine, "", `{"items":["a","b"]}`)
				if err != nil {
					return err
				}
				defer e.stopQuietly(ctx, exec)
				answer := func(want string, fail bool) error {
					item, token, err := e.nextAsk(ctx, url)
					if err != nil {
						return err
					}
					if item != want {
						return fmt.Errorf("iteration asked for %q: want %q", item, want)
					}
					if fail {
						_, err = e.sfn.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String("Refused")})
						return noErr("SendTaskFailure", err)
					}
					_, err = e.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`"` + item + `-done"`)})
					return noErr("SendTaskSuccess", err)
				}
				if err := first(answer("a", false), answer("b", true)); err != nil {
					return err
				}
				d, err := e.finished(ctx, exec)
				if err != nil {
					return err
				}
				if d.Status != sfntypes.ExecutionStatusFailed {
					return fmt.Errorf("first attempt: want FAILED, got %s", d.Status)
				}
				if _, err := e.sfn.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(exec)}); err != nil {
					return noErr("RedriveExecution", err)
				}
				if err := answer("b", false); err != nil {
					return fmt.Errorf("the redriven iteration: %w", err)
				}
				d, err = e.finished(ctx, exec)
				if err != nil {
					return err
				}
				if err := first(eq("status", sfntypes.ExecutionStatusSucceeded, d.Status), jsonEq("output", `["a-done","b-done"]`, str(d.Output))); err != nil {
					return err
				}
				extra, err := e.receive(ctx, url, nil)
				if err != nil {
					return err
				}
				return eq("messages of iterations run again besides b", 0, len(extra))
			},
		},
		{
			name: "sfn/RedriveParallelRerunsOnlyTheFailedBranch",
			fact: "RedriveExecution of an execution failed in a Parallel state reruns only the branches that failed or were aborted; a succeeded branch keeps its result (API reference, RedriveExecution: \"For workflows that include an Inline Map or Parallel state, RedriveExecution API action reschedules and redrives only the iterations and branches that failed or aborted\")",
			check: func(ctx context.Context, e *env) error {
				_, url, err := e.newQueue(ctx, false, map[string]string{"VisibilityTimeout": "600"})
				if err != nil {
					return err
				}
				_, machine, err := e.newMachine(ctx, parallelTokenDef(url, "a", "b"))
				if err != nil {
					return err
				}
				exec, err := e.start(ctx, machine, "", "")
				if err != nil {
					return err
				}
				defer e.stopQuietly(ctx, exec)
				tokens := map[string]string{}
				for range 2 {
					item, token, err := e.nextAsk(ctx, url)
					if err != nil {
						return err
					}
					tokens[item] = token
				}
				if _, err := e.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tokens["a"]), Output: aws.String(`"a-done"`)}); err != nil {
					return noErr("SendTaskSuccess a", err)
				}
				// Branch a has taken its answer before b fails.
				if err := localtest.Poll(ctx, 30*time.Second, pollEvery, "branch a to succeed", func() (bool, error) {
					evs, err := e.history(ctx, exec, false)
					return slices.Contains(eventTypes(evs), "TaskSucceeded"), err
				}); err != nil {
					return err
				}
				if _, err := e.sfn.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(tokens["b"]), Error: aws.String("Refused")}); err != nil {
					return noErr("SendTaskFailure b", err)
				}
				d, err := e.finished(ctx, exec)
				if err != nil {
					return err
				}
				if d.Status != sfntypes.ExecutionStatusFailed {
					return fmt.Errorf("first attempt: want FAILED, got %s", d.Status)
				}
				if _, err := e.sfn.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(exec)}); err != nil {
					return noErr("RedriveExecution", err)
				}
				item, token, err := e.nextAsk(ctx, url)
				if err != nil {
					return fmt.Errorf("the redriven branch: %w", err)
				}
				if item != "b" {
					return fmt.Errorf("redriven branch asked for %q: want only b", item)
				}
				if _, err := e.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`"b-done"`)}); err != nil {
					return noErr("SendTaskSuccess b", err)
				}
				if d, err = e.finished(ctx, exec); err != nil {
					return err
				}
				return first(eq("status", sfntypes.ExecutionStatusSucceeded, d.Status), jsonEq("output", `["a-done","b-done"]`, str(d.Output)))
			},
		},
	}
}
