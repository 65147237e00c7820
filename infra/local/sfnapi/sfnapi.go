// Package sfnapi serves the local ASL engine as the Step Functions JSON 1.0
// protocol (X-Amz-Target AWSStepFunctions.*), with the request and response
// shapes of the Step Functions API and its error codes.
package sfnapi

import (
	"context"
	"errors"
	"time"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/awsjson"
)

// Service returns the protocol adapter for an engine.
func Service(e *asl.Engine) *awsjson.Service {
	a := &api{e: e}
	return &awsjson.Service{TargetPrefix: "AWSStepFunctions", JSONVersion: "1.0", Ops: map[string]awsjson.Operation{
		"CreateStateMachine":   a.createStateMachine,
		"UpdateStateMachine":   a.updateStateMachine,
		"DescribeStateMachine": a.describeStateMachine,
		"ListStateMachines":    a.listStateMachines,
		"StartExecution":       a.startExecution,
		"DescribeExecution":    a.describeExecution,
		"ListExecutions":       a.listExecutions,
		"GetExecutionHistory":  a.getExecutionHistory,
		"StopExecution":        a.stopExecution,
		"SendTaskSuccess":      a.sendTaskSuccess,
		"SendTaskFailure":      a.sendTaskFailure,
		"SendTaskHeartbeat":    a.sendTaskHeartbeat,
	}}
}

type api struct{ e *asl.Engine }

// epoch renders a time as the JSON protocol does: epoch seconds with a fraction.
func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// wrap maps engine errors to AWS error responses.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var ae *asl.APIError
	if errors.As(err, &ae) {
		return awsjson.Errorf(ae.Code, "%s", ae.Message)
	}
	return err
}

func required(field, v string) error {
	if v == "" {
		return awsjson.Validation(field, "is required")
	}
	return nil
}

func (a *api) createStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct{ Name, Definition, RoleArn, Type string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	for f, v := range map[string]string{"name": in.Name, "definition": in.Definition, "roleArn": in.RoleArn} {
		if err := required(f, v); err != nil {
			return nil, err
		}
	}
	if in.Type == "" {
		in.Type = "STANDARD"
	}
	arn, created, err := a.e.CreateStateMachine(ctx, in.Name, in.Definition, in.RoleArn, in.Type)
	if err != nil {
		return nil, wrap(err)
	}
	return map[string]any{"stateMachineArn": arn, "creationDate": epoch(created)}, nil
}

func (a *api) updateStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct{ StateMachineArn, Definition, RoleArn string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	at, err := a.e.UpdateStateMachine(ctx, in.StateMachineArn, in.Definition, in.RoleArn)
	if err != nil {
		return nil, wrap(err)
	}
	return map[string]any{"updateDate": epoch(at)}, nil
}

func smView(sm *asl.StateMachine) map[string]any {
	return map[string]any{"stateMachineArn": sm.Arn, "name": sm.Name, "definition": sm.Definition, "roleArn": sm.RoleArn,
		"type": sm.Type, "status": sm.Status, "creationDate": epoch(sm.CreationDate)}
}

func (a *api) describeStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct{ StateMachineArn string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	sm, err := a.e.DescribeStateMachine(ctx, in.StateMachineArn)
	if err != nil {
		return nil, wrap(err)
	}
	return smView(sm), nil
}

func (a *api) listStateMachines(ctx context.Context, body []byte) (any, error) {
	sms, err := a.e.ListStateMachines(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	out := []map[string]any{}
	for _, sm := range sms {
		out = append(out, map[string]any{"stateMachineArn": sm.Arn, "name": sm.Name, "type": sm.Type, "creationDate": epoch(sm.CreationDate)})
	}
	return map[string]any{"stateMachines": out}, nil
}

func (a *api) startExecution(ctx context.Context, body []byte) (any, error) {
	var in struct{ StateMachineArn, Name, Input string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	if in.Input == "" {
		in.Input = "{}"
	}
	arn, start, err := a.e.StartExecution(ctx, in.StateMachineArn, in.Name, in.Input)
	if err != nil {
		return nil, wrap(err)
	}
	return map[string]any{"executionArn": arn, "startDate": epoch(start)}, nil
}

func (a *api) describeExecution(ctx context.Context, body []byte) (any, error) {
	var in struct{ ExecutionArn string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("executionArn", in.ExecutionArn); err != nil {
		return nil, err
	}
	x, err := a.e.DescribeExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, wrap(err)
	}
	out := map[string]any{"executionArn": x.ExecutionArn, "stateMachineArn": x.StateMachineArn, "name": x.Name,
		"status": x.Status, "input": x.Input, "startDate": epoch(x.StartDate),
		"inputDetails": map[string]bool{"included": true}, "redriveCount": 0, "redriveStatus": "NOT_REDRIVABLE"}
	if x.Output != nil {
		out["output"] = *x.Output
		out["outputDetails"] = map[string]bool{"included": true}
	}
	if x.Error != nil {
		out["error"] = *x.Error
	}
	if x.Cause != nil {
		out["cause"] = *x.Cause
	}
	if x.StopDate != nil {
		out["stopDate"] = epoch(*x.StopDate)
	}
	return out, nil
}

func (a *api) listExecutions(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineArn, StatusFilter, NextToken string
		MaxResults                               int
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("stateMachineArn", in.StateMachineArn); err != nil {
		return nil, err
	}
	if in.MaxResults < 0 || in.MaxResults > 1000 {
		return nil, awsjson.Validation("maxResults", "must be between 0 and 1000")
	}
	xs, next, err := a.e.ListExecutions(ctx, asl.ListExecutionsInput{StateMachineArn: in.StateMachineArn,
		StatusFilter: in.StatusFilter, MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, wrap(err)
	}
	out := []map[string]any{}
	for _, x := range xs {
		m := map[string]any{"executionArn": x.ExecutionArn, "stateMachineArn": x.StateMachineArn, "name": x.Name,
			"status": x.Status, "startDate": epoch(x.StartDate)}
		if !x.StopDate.IsZero() {
			m["stopDate"] = epoch(x.StopDate)
		}
		out = append(out, m)
	}
	res := map[string]any{"executions": out}
	if next != "" {
		res["nextToken"] = next
	}
	return res, nil
}

func (a *api) getExecutionHistory(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn, NextToken string
		MaxResults              int
		ReverseOrder            bool
		IncludeExecutionData    *bool
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("executionArn", in.ExecutionArn); err != nil {
		return nil, err
	}
	evs, next, err := a.e.GetExecutionHistory(ctx, asl.HistoryInput{ExecutionArn: in.ExecutionArn, ReverseOrder: in.ReverseOrder,
		MaxResults: in.MaxResults, NextToken: in.NextToken, IncludeExecutionData: in.IncludeExecutionData})
	if err != nil {
		return nil, wrap(err)
	}
	out := []map[string]any{}
	for _, ev := range evs {
		m := map[string]any{"id": ev.ID, "previousEventId": ev.PreviousEventID, "timestamp": epoch(ev.Timestamp), "type": ev.Type}
		if ev.Details != nil {
			m[asl.DetailsKey(ev.Type)] = ev.Details
		}
		out = append(out, m)
	}
	res := map[string]any{"events": out}
	if next != "" {
		res["nextToken"] = next
	}
	return res, nil
}

func (a *api) stopExecution(ctx context.Context, body []byte) (any, error) {
	var in struct{ ExecutionArn, Error, Cause string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("executionArn", in.ExecutionArn); err != nil {
		return nil, err
	}
	at, err := a.e.StopExecution(ctx, in.ExecutionArn, in.Error, in.Cause)
	if err != nil {
		return nil, wrap(err)
	}
	return map[string]any{"stopDate": epoch(at)}, nil
}

func (a *api) sendTaskSuccess(ctx context.Context, body []byte) (any, error) {
	var in struct{ TaskToken, Output string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("taskToken", in.TaskToken); err != nil {
		return nil, err
	}
	if err := required("output", in.Output); err != nil {
		return nil, err
	}
	return struct{}{}, wrap(a.e.SendTaskSuccess(ctx, in.TaskToken, in.Output))
}

func (a *api) sendTaskFailure(ctx context.Context, body []byte) (any, error) {
	var in struct{ TaskToken, Error, Cause string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("taskToken", in.TaskToken); err != nil {
		return nil, err
	}
	return struct{}{}, wrap(a.e.SendTaskFailure(ctx, in.TaskToken, in.Error, in.Cause))
}

func (a *api) sendTaskHeartbeat(ctx context.Context, body []byte) (any, error) {
	var in struct{ TaskToken string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := required("taskToken", in.TaskToken); err != nil {
		return nil, err
	}
	return struct{}{}, wrap(a.e.SendTaskHeartbeat(ctx, in.TaskToken))
}
