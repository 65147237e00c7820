package asl

import (
	"fmt"
	"strings"
)

// Integration patterns a Task resource can carry.
const (
	patternRequest = ""
	patternToken   = "waitForTaskToken"
	patternSync    = "sync"
)

// serviceActivity is the Service of a Task whose Resource is an activity
// ARN (arn:aws:states:region:account:activity:name): its work is done by
// workers that poll GetActivityTask.
const serviceActivity = "activity"

// supportedIntegrations lists the optimized integrations the engine
// recognises, with the patterns each allows.
var supportedIntegrations = map[string][]string{
	"sqs:sendMessage":  {patternRequest, patternToken},
	"lambda:invoke":    {patternRequest, patternToken},
	"events:putEvents": {patternRequest, patternToken},
}

// parseResource recognises a Task resource: an optimized integration
// "arn:aws:states:::service:action[.pattern]", an activity ARN or a bare
// Lambda function ARN.
// When it is neither, problem is the definition error to report (in AWS's
// wording, a sentence for the InvalidDefinition message, not a Go error).
func parseResource(res string) (spec *taskSpec, problem string) {
	parts := strings.SplitN(res, ":", 7)
	if len(parts) < 6 || parts[0] != "arn" {
		return nil, fmt.Sprintf("The value for the field 'Resource' must be an ARN: %q", res)
	}
	switch parts[2] {
	case "states":
		if len(parts) == 7 && parts[3] != "" && parts[5] == "activity" {
			if parts[4] == "" || parts[6] == "" {
				return nil, fmt.Sprintf("The value for the field 'Resource' must be a valid activity ARN: %q", res)
			}
			return &taskSpec{Resource: res, Service: serviceActivity}, ""
		}
		if len(parts) != 7 {
			return nil, fmt.Sprintf("unsupported Resource %q", res)
		}
		svc := parts[5]
		action, pattern, _ := strings.Cut(parts[6], ".")
		key := svc + ":" + action
		allowed, ok := supportedIntegrations[key]
		if !ok {
			return nil, fmt.Sprintf("The resource %q is not supported by the loanflow local engine (supported: sqs:sendMessage, lambda:invoke, events:putEvents and Lambda function ARNs)", res)
		}
		for _, p := range allowed {
			if p == pattern {
				return &taskSpec{Resource: res, Service: svc, Action: action, Pattern: pattern}, ""
			}
		}
		return nil, fmt.Sprintf("The integration pattern %q is not supported for %s", pattern, key)
	case "lambda":
		if len(parts) >= 7 && parts[5] == "function" {
			return &taskSpec{Resource: res, Service: "lambda", Action: "invoke"}, ""
		}
	}
	return nil, fmt.Sprintf("The resource %q is not supported by the loanflow local engine", res)
}
