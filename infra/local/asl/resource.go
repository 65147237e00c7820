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

// supportedIntegrations lists the optimized integrations the engine
// recognises, with the patterns each allows.
var supportedIntegrations = map[string][]string{
	"sqs:sendMessage":  {patternRequest, patternToken},
	"lambda:invoke":    {patternRequest, patternToken},
	"events:putEvents": {patternRequest, patternToken},
}

// parseResource recognises a Task resource: an optimized integration
// "arn:aws:states:::service:action[.pattern]" or a bare Lambda function ARN.
func parseResource(res string) (*taskSpec, error) {
	parts := strings.SplitN(res, ":", 7)
	if len(parts) < 6 || parts[0] != "arn" {
		return nil, fmt.Errorf("The value for the field 'Resource' must be an ARN: %q", res)
	}
	switch parts[2] {
	case "states":
		if len(parts) != 7 {
			return nil, fmt.Errorf("unsupported Resource %q", res)
		}
		svc := parts[5]
		action, pattern, _ := strings.Cut(parts[6], ".")
		key := svc + ":" + action
		allowed, ok := supportedIntegrations[key]
		if !ok {
			return nil, fmt.Errorf("The resource %q is not supported by the loanflow local engine (supported: sqs:sendMessage, lambda:invoke, events:putEvents and Lambda function ARNs)", res)
		}
		for _, p := range allowed {
			if p == pattern {
				return &taskSpec{Resource: res, Service: svc, Action: action, Pattern: pattern}, nil
			}
		}
		return nil, fmt.Errorf("The integration pattern %q is not supported for %s", pattern, key)
	case "lambda":
		if len(parts) >= 7 && parts[5] == "function" {
			return &taskSpec{Resource: res, Service: "lambda", Action: "invoke"}, nil
		}
	}
	return nil, fmt.Errorf("The resource %q is not supported by the loanflow local engine", res)
}
