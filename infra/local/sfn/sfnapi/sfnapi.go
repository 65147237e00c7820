// Package sfnapi serves an sfn.Engine over the AWS Step Functions JSON 1.0
// protocol (X-Amz-Target: AWSStepFunctions.<Operation>), with the request and
// response shapes of the Step Functions API, so the AWS SDKs and CLI work
// against the local stack.
package sfnapi

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
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
			"CreateStateMachine":               h.createStateMachine,
			"UpdateStateMachine":               h.updateStateMachine,
			"DescribeStateMachine":             h.describeStateMachine,
			"DescribeStateMachineForExecution": h.describeStateMachineForExecution,
			"DeleteStateMachine":               h.deleteStateMachine,
			"ListStateMachines":                h.listStateMachines,
			"ValidateStateMachineDefinition":   h.validateStateMachineDefinition,
			"TagResource":                      h.tagResource,
			"UntagResource":                    h.untagResource,
			"ListTagsForResource":              h.listTagsForResource,
			"CreateActivity":                   h.createActivity,
			"DescribeActivity":                 h.describeActivity,
			"ListActivities":                   h.listActivities,
			"DeleteActivity":                   h.deleteActivity,
			"GetActivityTask":                  h.getActivityTask,
			"StartExecution":                   h.startExecution,
			"DescribeExecution":                h.describeExecution,
			"ListExecutions":                   h.listExecutions,
			"GetExecutionHistory":              h.getExecutionHistory,
			"StopExecution":                    h.stopExecution,
			"RedriveExecution":                 h.redriveExecution,
			"SendTaskSuccess":                  h.sendTaskSuccess,
			"SendTaskFailure":                  h.sendTaskFailure,
			"SendTaskHeartbeat":                h.sendTaskHeartbeat,
			"TestState":                        h.testState,
		},
	}
}

// Operations lists the Step Functions actions Service serves, sorted; the
// others answer UnknownOperationException.
func Operations() []string {
	ops := slices.Collect(maps.Keys(Service(nil).Ops))
	slices.Sort(ops)
	return ops
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

// loggingIn is a loggingConfiguration as the API sends it.
type loggingIn struct {
	Level                string
	IncludeExecutionData bool
	Destinations         []struct {
		CloudWatchLogsLogGroup struct {
			LogGroupARN string `json:"LogGroupArn"`
		}
	}
}

func (l *loggingIn) config() *sfn.LoggingConfiguration {
	if l == nil {
		return nil
	}
	c := &sfn.LoggingConfiguration{Level: l.Level, IncludeExecutionData: l.IncludeExecutionData}
	for _, d := range l.Destinations {
		c.Destinations = append(c.Destinations, d.CloudWatchLogsLogGroup.LogGroupARN)
	}
	return c
}

// loggingOut renders a logging configuration as DescribeStateMachine does.
func loggingOut(l sfn.LoggingConfiguration) map[string]any {
	out := map[string]any{"level": l.Level, "includeExecutionData": l.IncludeExecutionData}
	if len(l.Destinations) > 0 {
		ds := make([]map[string]any, 0, len(l.Destinations))
		for _, d := range l.Destinations {
			ds = append(ds, map[string]any{"cloudWatchLogsLogGroup": map[string]any{"logGroupArn": d}})
		}
		out["destinations"] = ds
	}
	return out
}

// tagList is the API's list of {key, value}.
type tagList []struct{ Key, Value string }

func (t tagList) toMap() map[string]string {
	if len(t) == 0 {
		return nil
	}
	m := make(map[string]string, len(t))
	for _, kv := range t {
		m[kv.Key] = kv.Value
	}
	return m
}

func (h *handler) createStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Name, Definition, Type string
		RoleARN                string `json:"RoleArn"`
		LoggingConfiguration   *loggingIn
		TracingConfiguration   *struct{ Enabled bool }
		Tags                   tagList
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	req := sfn.CreateStateMachineInput{Name: in.Name, Definition: in.Definition, RoleARN: in.RoleARN, Type: in.Type,
		Logging: in.LoggingConfiguration.config(), Tags: in.Tags.toMap()}
	if in.TracingConfiguration != nil {
		req.TracingEnabled = in.TracingConfiguration.Enabled
	}
	arn, created, err := h.e.CreateStateMachineWith(ctx, req)
	if err != nil {
		return nil, apiError(err)
	}
	return map[string]any{"stateMachineArn": arn, "creationDate": epoch(created)}, nil
}

func (h *handler) updateStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineARN      string `json:"StateMachineArn"`
		Definition           string
		RoleARN              string `json:"RoleArn"`
		LoggingConfiguration *loggingIn
		TracingConfiguration *struct{ Enabled bool }
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	req := sfn.UpdateStateMachineInput{StateMachineARN: in.StateMachineARN, Definition: in.Definition, RoleARN: in.RoleARN, Logging: in.LoggingConfiguration.config()}
	if in.TracingConfiguration != nil {
		req.TracingEnabled = &in.TracingConfiguration.Enabled
	}
	t, err := h.e.UpdateStateMachineWith(ctx, req)
	if err != nil {
		return nil, apiError(err)
	}
	return map[string]any{"updateDate": epoch(t)}, nil
}

func (h *handler) describeStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineARN string `json:"StateMachineArn"`
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	sm, err := h.e.DescribeStateMachine(ctx, in.StateMachineARN)
	if err != nil {
		return nil, apiError(err)
	}
	return map[string]any{
		"stateMachineArn": sm.ARN, "name": sm.Name, "status": sm.Status, "definition": sm.Definition,
		"roleArn": sm.RoleARN, "type": sm.Type, "creationDate": epoch(sm.CreationDate),
		"loggingConfiguration": loggingOut(sm.Logging), "tracingConfiguration": map[string]any{"enabled": sm.TracingEnabled},
	}, nil
}

func (h *handler) describeStateMachineForExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionARN string `json:"ExecutionArn"`
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	sm, err := h.e.DescribeStateMachineForExecution(ctx, in.ExecutionARN)
	if err != nil {
		return nil, apiError(err)
	}
	return map[string]any{
		"stateMachineArn": sm.ARN, "name": sm.Name, "definition": sm.Definition, "roleArn": sm.RoleARN,
		"updateDate": epoch(sm.UpdateDate), "loggingConfiguration": loggingOut(sm.Logging),
		"tracingConfiguration": map[string]any{"enabled": sm.TracingEnabled},
	}, nil
}

func (h *handler) deleteStateMachine(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineARN string `json:"StateMachineArn"`
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, apiError(h.e.DeleteStateMachine(ctx, in.StateMachineARN))
}

func (h *handler) listStateMachines(ctx context.Context, body []byte) (any, error) {
	var in struct {
		MaxResults int
		NextToken  string
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	sms, next, err := h.e.ListStateMachinesPage(ctx, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, apiError(err)
	}
	items := make([]map[string]any, 0, len(sms))
	for _, sm := range sms {
		items = append(items, map[string]any{"stateMachineArn": sm.ARN, "name": sm.Name, "type": sm.Type, "creationDate": epoch(sm.CreationDate)})
	}
	out := map[string]any{"stateMachines": items}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

func (h *handler) validateStateMachineDefinition(_ context.Context, body []byte) (any, error) {
	var in struct{ Definition, Type string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.Definition == "" {
		return nil, awsjson.Errorf("ValidationException", "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	ds := sfn.ValidateDefinition(in.Definition)
	items := make([]map[string]any, 0, len(ds))
	for _, d := range ds {
		items = append(items, map[string]any{"severity": d.Severity, "code": d.Code, "message": d.Message, "location": d.Location})
	}
	result := "OK"
	if len(ds) > 0 {
		result = "FAIL"
	}
	return map[string]any{"result": result, "diagnostics": items, "truncated": false}, nil
}

func (h *handler) tagResource(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ResourceARN string `json:"ResourceArn"`
		Tags        tagList
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, apiError(h.e.TagResource(ctx, in.ResourceARN, in.Tags.toMap()))
}

func (h *handler) untagResource(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ResourceARN string `json:"ResourceArn"`
		TagKeys     []string
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, apiError(h.e.UntagResource(ctx, in.ResourceARN, in.TagKeys))
}

func (h *handler) listTagsForResource(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ResourceARN string `json:"ResourceArn"`
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	tags, err := h.e.ListTagsForResource(ctx, in.ResourceARN)
	if err != nil {
		return nil, apiError(err)
	}
	items := make([]map[string]string, 0, len(tags))
	for _, t := range tags {
		items = append(items, map[string]string{"key": t.Key, "value": t.Value})
	}
	return map[string]any{"tags": items}, nil
}

func (h *handler) redriveExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionARN string `json:"ExecutionArn"`
		ClientToken  string
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	t, err := h.e.RedriveExecution(ctx, in.ExecutionARN)
	if err != nil {
		return nil, apiError(err)
	}
	return map[string]any{"redriveDate": epoch(t)}, nil
}

func (h *handler) startExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		StateMachineARN          string `json:"StateMachineArn"`
		Name, Input, TraceHeader string
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := sfn.CheckTraceHeader(in.TraceHeader); err != nil {
		return nil, apiError(err)
	}
	arn, start, err := h.e.StartExecution(ctx, in.StateMachineARN, in.Name, in.Input)
	if err != nil {
		return nil, apiError(err)
	}
	return map[string]any{"executionArn": arn, "startDate": epoch(start)}, nil
}

func (h *handler) describeExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ExecutionARN string `json:"ExecutionArn"`
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	x, err := h.e.DescribeExecution(ctx, in.ExecutionARN)
	if err != nil {
		return nil, apiError(err)
	}
	out := map[string]any{
		"executionArn": x.ExecutionARN, "stateMachineArn": x.StateMachineARN, "name": x.Name, "status": x.Status,
		"input": x.Input, "inputDetails": map[string]any{"included": true}, "startDate": epoch(x.StartDate),
		"redriveCount": x.RedriveCount, "redriveStatus": x.RedriveStatus,
	}
	if x.RedriveStatusReason != "" {
		out["redriveStatusReason"] = x.RedriveStatusReason
	}
	if x.RedriveDate != nil {
		out["redriveDate"] = epoch(*x.RedriveDate)
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
		StateMachineARN                        string `json:"StateMachineArn"`
		StatusFilter, RedriveFilter, NextToken string
		MaxResults                             int
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	xs, next, err := h.e.ListExecutions(ctx, sfn.ListExecutionsInput{StateMachineARN: in.StateMachineARN, StatusFilter: sfn.Status(in.StatusFilter),
		RedriveFilter: in.RedriveFilter, MaxResults: in.MaxResults, NextToken: in.NextToken})
	if err != nil {
		return nil, apiError(err)
	}
	items := make([]map[string]any, 0, len(xs))
	for _, x := range xs {
		item := map[string]any{"executionArn": x.ExecutionARN, "stateMachineArn": x.StateMachineARN, "name": x.Name, "status": x.Status,
			"startDate": epoch(x.StartDate), "redriveCount": x.RedriveCount}
		if !x.StopDate.IsZero() {
			item["stopDate"] = epoch(x.StopDate)
		}
		if !x.RedriveDate.IsZero() {
			item["redriveDate"] = epoch(x.RedriveDate)
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
		ExecutionARN         string `json:"ExecutionArn"`
		ReverseOrder         bool
		MaxResults           int
		NextToken            string
		IncludeExecutionData *bool
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	evs, next, err := h.e.GetExecutionHistory(ctx, sfn.HistoryInput{ExecutionARN: in.ExecutionARN, ReverseOrder: in.ReverseOrder, MaxResults: in.MaxResults, NextToken: in.NextToken, IncludeExecutionData: in.IncludeExecutionData})
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
	var in struct {
		ExecutionARN string `json:"ExecutionArn"`
		Error, Cause string
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	t, err := h.e.StopExecution(ctx, in.ExecutionARN, in.Error, in.Cause)
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
