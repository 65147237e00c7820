package sfnapi

import (
	"context"

	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/sfn"
)

// testState serves TestState (API_TestState): output, error and cause are
// strings, inspectionData's data fields JSON strings.
func (h *handler) testState(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Definition, Input, Variables, StateName, Context string
		RoleARN                                          string `json:"roleArn"`
		InspectionLevel                                  string
		RevealSecrets                                    bool
		Mock                                             *struct {
			Result              *string
			ErrorOutput         *sfn.TestStateMockError
			FieldValidationMode string
		}
		StateConfiguration *sfn.TestStateConfig
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	req := sfn.TestStateInput{Definition: in.Definition, RoleARN: in.RoleARN, Input: in.Input, InspectionLevel: in.InspectionLevel,
		RevealSecrets: in.RevealSecrets, Variables: in.Variables, StateName: in.StateName, Context: in.Context, Config: in.StateConfiguration}
	if in.Mock != nil {
		req.Mock = &sfn.TestStateMock{Result: in.Mock.Result, ErrorOutput: in.Mock.ErrorOutput, FieldValidationMode: in.Mock.FieldValidationMode}
	}
	res, err := h.e.TestState(ctx, req)
	if err != nil {
		return nil, apiError(err)
	}
	out := map[string]any{"status": res.Status}
	if res.Output != nil {
		out["output"] = *res.Output
	}
	if res.Error != nil {
		out["error"] = *res.Error
	}
	if res.Cause != nil {
		out["cause"] = *res.Cause
	}
	if res.NextState != "" {
		out["nextState"] = res.NextState
	}
	if res.Inspection != nil {
		out["inspectionData"] = res.Inspection
	}
	return out, nil
}
