// Package sfnapi serves an sfn.Engine over the AWS Step Functions JSON 1.0
// protocol (X-Amz-Target: AWSStepFunctions.<Operation>), with the request and
// response shapes of the Step Functions API, so the AWS SDKs and CLI work
// against the local stack.
package sfnapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/sfn"
)

// Service returns the Step Functions operations backed by e.
func Service(e *sfn.Engine) *awsjson.Service {
	h := &handler{e: e}
	return &awsjson.Service{
		TargetPrefix: "AWSStepFunctions",
		JSONVersion:  "1.0",
		Ops: map[string]awsjson.Operation{
			"CreateStateMachine":   h.createStateMachine,
			"UpdateStateMachine":   h.updateStateMachine,
			"DescribeStateMachine": h.describeStateMachine,
			"ListStateMachines":    h.listStateMachines,
			"StartExecution":       h.startExecution,
			"DescribeExecution":    h.describeExecution,
			"ListExecutions":       h.listExecutions,
			"GetExecutionHistory":  h.getExecutionHistory,
			"StopExecution":        h.stopExecution,
			"SendTaskSuccess":      h.sendTaskSuccess,
			"SendTaskFailure":      h.sendTaskFailure,
			"SendTaskHeartbeat":    h.sendTaskHeartbeat,
		},
	}
}

type handler struct{ e *sfn.Engine }

// epoch renders a time as the JSON protocol does: seconds since the epoch.
func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// apiError maps engine errors to AWS error responses.
func apiError(err error) error {
	var ae *sfn.APIError
	if errors.As(err, &ae) {
		return &awsjson.Error{Code: ae.Code, Message: ae.Message, Status: http.StatusBadRequest}
	}
	return err
}

func (h *handler) createStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Name, Definition, RoleArn, Type string
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	arn, created, err := h.e.CreateStateMachine(ctx, in.Name, in.Definition, in.RoleArn, in.Type)
	if err != nil {
		return nil, apiError(err)
	}
	return map[string]any{"stateMachineArn": arn, "creationDate": epoch(created)}, nil
}

func (h *handler) updateStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct{ StateMachineArn, Definition, RoleArn string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	t, err := h.e.UpdateStateMachine(ctx, in.StateMachineArn, in.Definition, in.RoleArn)
	if err != nil {
		return nil, apiError(err)
	}
	return map[string]any{"updateDate": epoch(t)}, nil
}

func (h *handler) describeStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct{ StateMachineArn string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	sm, err := h.e.DescribeStateMachine(ctx, in.StateMachineArn)
	if err != nil {
		return nil, apiError(err)
	}
	return map[string]any{
		"stateMachineArn": sm.Arn, "name": sm.Name, "status": sm.Status, "definition": sm.Definition,
		"roleArn": sm.RoleArn, "type": sm.Type, "creationDate": epoch(sm.CreationDate),
	}, nil
}

func (h *handler) listStateMachines(ctx context.Context, _ []byte) (any, error) {
	sms, err := h.e.ListStateMachines(ctx)
	if err != nil {
		return nil, apiError(err)
	}
	items := make([]map[string]any, 0, len(sms))
	for _, sm := range sms {
		items = append(items, map[string]any{"stateMachineArn": sm.Arn, "name": sm.Name, "type": sm.Type, "creationDate": epoch(sm.CreationDate)})
	}
	return map[string]any{"stateMachines": items}, nil
}

func (h *handler) startExecution(ctx context.Context, body []byte) (any, error) {
	var in struct{ StateMachineArn, Name, Input string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	arn, start, err := h.e.StartExecution(ctx, in.StateMachineArn, in.Name, in.Input)
	if err != nil {
		return nil, apiError(err)
	}
	return map[string]any{"executionArn": arn, "startDate": epoch(start)}, nil
}

func (h *handler) describeExecution(ctx context.Context, body []byte) (any, error) {
	var in struct{ ExecutionArn string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	x, err := h.e.DescribeExecution(ctx, in.ExecutionArn)
	if err != nil {
		return nil, apiError(err)
	}
	out := map[string]any{
		"executionArn": x.ExecutionArn, "stateMachineArn": x.StateMachineArn, "name": x.Name, "status": x.Status,
		"input": x.Input, "inputDetails": map[string]any{"included": true}, "startDate": epoch(x.StartDate), "redriveCount": 0,
	}
	if x.Output != nil {
		out["output"] = *x.Output
		out["outputDetails"] = map[string]any{"included": true}
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

func (h *handler) listExecutions(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineArn, StatusFilter, NextToken string
		MaxResults                               int
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	xs, next, err := h.e.ListExecutions(ctx, sfn.ListExecutionsInput{StateMachineArn: in.StateMachineArn, StatusFilter: sfn.Status(in.StatusFilter), MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, apiError(err)
	}
	items := make([]map[string]any, 0, len(xs))
	for _, x := range xs {
		item := map[string]any{"executionArn": x.ExecutionArn, "stateMachineArn": x.StateMachineArn, "name": x.Name, "status": x.Status, "startDate": epoch(x.StartDate)}
		if !x.StopDate.IsZero() {
			item["stopDate"] = epoch(x.StopDate)
		}
		items = append(items, item)
	}
	out := map[string]any{"executions": items}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (h *handler) getExecutionHistory(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionArn         string
		ReverseOrder         bool
		MaxResults           int
		NextToken            string
		IncludeExecutionData *bool
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	evs, next, err := h.e.GetExecutionHistory(ctx, sfn.HistoryInput{ExecutionArn: in.ExecutionArn, ReverseOrder: in.ReverseOrder, MaxResults: in.MaxResults, NextToken: in.NextToken, IncludeExecutionData: in.IncludeExecutionData})
	if err != nil {
		return nil, apiError(err)
	}
	items := make([]map[string]any, 0, len(evs))
	for _, ev := range evs {
		item := map[string]any{"id": ev.ID, "previousEventId": ev.PreviousEventID, "timestamp": epoch(ev.Timestamp), "type": ev.Type}
		if key := sfn.DetailsKey(ev.Type); key != "" && ev.Details != nil {
			item[key] = ev.Details
		}
		items = append(items, item)
	}
	out := map[string]any{"events": items}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (h *handler) stopExecution(ctx context.Context, body []byte) (any, error) {
	var in struct{ ExecutionArn, Error, Cause string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	t, err := h.e.StopExecution(ctx, in.ExecutionArn, in.Error, in.Cause)
	if err != nil {
		return nil, apiError(err)
	}
	return map[string]any{"stopDate": epoch(t)}, nil
}

func (h *handler) sendTaskSuccess(ctx context.Context, body []byte) (any, error) {
	var in struct{ TaskToken, Output string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, apiError(h.e.SendTaskSuccess(ctx, in.TaskToken, in.Output))
}

func (h *handler) sendTaskFailure(ctx context.Context, body []byte) (any, error) {
	var in struct{ TaskToken, Error, Cause string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, apiError(h.e.SendTaskFailure(ctx, in.TaskToken, in.Error, in.Cause))
}

func (h *handler) sendTaskHeartbeat(ctx context.Context, body []byte) (any, error) {
	var in struct{ TaskToken string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, apiError(h.e.SendTaskHeartbeat(ctx, in.TaskToken))
}
