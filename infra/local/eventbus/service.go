package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"loanflow/events"
	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/eventpattern"
)

// Service returns the EventBridge JSON 1.1 protocol (X-Amz-Target AWSEvents.*).
func (b *Bus) Service() *awsjson.Service {
	return &awsjson.Service{TargetPrefix: "AWSEvents", JSONVersion: "1.1", Ops: map[string]awsjson.Operation{
		"PutEvents":         b.opPutEvents,
		"TestEventPattern":  opTestEventPattern,
		"ListEventBuses":    b.opListEventBuses,
		"DescribeEventBus":  b.opDescribeEventBus,
		"CreateEventBus":    b.opCreateEventBus,
		"PutRule":           b.opPutRule,
		"DescribeRule":      b.opDescribeRule,
		"ListRules":         b.opListRules,
		"DeleteRule":        b.opDeleteRule,
		"PutTargets":        b.opPutTargets,
		"ListTargetsByRule": b.opListTargetsByRule,
		"RemoveTargets":     b.opRemoveTargets,
	}}
}

func notFound(format string, args ...any) error {
	return awsjson.Errorf("ResourceNotFoundException", format, args...)
}

func (b *Bus) opPutEvents(ctx context.Context, body []byte) (any, error) {
	var in struct{ Entries []events.Entry }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Entries) == 0 || len(in.Entries) > 10 {
		return nil, awsjson.Validation("Entries", "must have between 1 and 10 entries")
	}
	res, failed, err := b.PutEvents(ctx, in.Entries)
	if err != nil {
		return nil, err
	}
	return map[string]any{"FailedEntryCount": failed, "Entries": res}, nil
}

// requiredEventFields are the envelope fields TestEventPattern insists on.
var requiredEventFields = []string{"id", "account", "source", "time", "region", "detail-type"}

func opTestEventPattern(_ context.Context, body []byte) (any, error) {
	var in struct{ EventPattern, Event string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.EventPattern == "" {
		return nil, awsjson.Validation("EventPattern", "is required")
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(in.Event), &ev); err != nil || ev == nil {
		return nil, awsjson.Errorf("InvalidEventPatternException", "Parameter Event is not valid: it must be a JSON object.")
	}
	for _, f := range requiredEventFields {
		if _, ok := ev[f]; !ok {
			return nil, awsjson.Errorf("ValidationException", "Parameter Event is not valid: field %q is required.", f)
		}
	}
	p, err := eventpattern.Compile([]byte(in.EventPattern))
	if err != nil {
		return nil, patternError(err)
	}
	ok, err := p.Match([]byte(in.Event))
	if err != nil {
		return nil, awsjson.Errorf("ValidationException", "Parameter Event is not valid: %v", err)
	}
	return map[string]bool{"Result": ok}, nil
}

func patternError(err error) error {
	var ip *eventpattern.InvalidPatternError
	if errors.As(err, &ip) {
		return awsjson.Errorf("InvalidEventPatternException", "Event pattern is not valid. Reason: %s", ip.Message)
	}
	return err
}

type busView struct {
	Name string `json:"Name"`
	Arn  string `json:"Arn"`
}

func (b *Bus) opListEventBuses(ctx context.Context, body []byte) (any, error) {
	var in struct{ NamePrefix string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	names, err := b.Buses(ctx)
	if err != nil {
		return nil, err
	}
	out := []busView{}
	for _, n := range names {
		if strings.HasPrefix(n, in.NamePrefix) {
			out = append(out, busView{Name: n, Arn: b.BusARN(n)})
		}
	}
	return map[string]any{"EventBuses": out}, nil
}

func (b *Bus) busParam(ctx context.Context, name string) (string, error) {
	if name == "" {
		name = "default"
	}
	name = busName(name)
	ok, err := b.busExists(ctx, name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", notFound("Event bus %s does not exist.", name)
	}
	return name, nil
}

func (b *Bus) opDescribeEventBus(ctx context.Context, body []byte) (any, error) {
	var in struct{ Name string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	name, err := b.busParam(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return busView{Name: name, Arn: b.BusARN(name)}, nil
}

func (b *Bus) opCreateEventBus(ctx context.Context, body []byte) (any, error) {
	var in struct{ Name string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" || len(in.Name) > 256 || strings.ContainsAny(in.Name, " /") {
		return nil, awsjson.Validation("Name", "must be 1-256 characters of [.-_A-Za-z0-9]")
	}
	if ok, _ := b.busExists(ctx, in.Name); ok {
		return nil, awsjson.Errorf("ResourceAlreadyExistsException", "Event bus %s already exists.", in.Name)
	}
	arn, err := b.CreateBus(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return map[string]string{"EventBusArn": arn}, nil
}

type ruleView struct {
	Name         string `json:"Name"`
	Arn          string `json:"Arn"`
	EventPattern string `json:"EventPattern"`
	State        string `json:"State"`
	Description  string `json:"Description,omitempty"`
	EventBusName string `json:"EventBusName"`
}

func view(r Rule) ruleView {
	return ruleView{Name: r.Name, Arn: r.ARN, EventPattern: r.Pattern, State: r.State, Description: r.Description, EventBusName: r.Bus}
}

func (b *Bus) opPutRule(ctx context.Context, body []byte) (any, error) {
	var in struct{ Name, EventBusName, EventPattern, State, Description, ScheduleExpression string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, awsjson.Validation("Name", "is required")
	}
	if in.ScheduleExpression != "" {
		return nil, awsjson.Errorf("ValidationException", "ScheduleExpression is not supported by the loanflow local stack")
	}
	if in.EventPattern == "" {
		return nil, awsjson.Validation("EventPattern", "is required")
	}
	switch in.State {
	case "", "ENABLED", "DISABLED":
	default:
		return nil, awsjson.Validation("State", "must be ENABLED or DISABLED")
	}
	bus, err := b.busParam(ctx, in.EventBusName)
	if err != nil {
		return nil, err
	}
	arn, err := b.PutRule(ctx, bus, in.Name, in.EventPattern, in.State, in.Description)
	if err != nil {
		return nil, patternError(err)
	}
	return map[string]string{"RuleArn": arn}, nil
}

func (b *Bus) ruleParam(ctx context.Context, busIn, name string) (string, Rule, error) {
	bus, err := b.busParam(ctx, busIn)
	if err != nil {
		return "", Rule{}, err
	}
	r, err := b.Rule(bus, name)
	if err != nil {
		return "", Rule{}, notFound("Rule %s does not exist on EventBus %s.", name, bus)
	}
	return bus, r, nil
}

func (b *Bus) opDescribeRule(ctx context.Context, body []byte) (any, error) {
	var in struct{ Name, EventBusName string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	_, r, err := b.ruleParam(ctx, in.EventBusName, in.Name)
	if err != nil {
		return nil, err
	}
	return view(r), nil
}

func (b *Bus) opListRules(ctx context.Context, body []byte) (any, error) {
	var in struct{ NamePrefix, EventBusName string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	bus, err := b.busParam(ctx, in.EventBusName)
	if err != nil {
		return nil, err
	}
	out := []ruleView{}
	for _, r := range b.Rules(bus) {
		if strings.HasPrefix(r.Name, in.NamePrefix) {
			out = append(out, view(r))
		}
	}
	return map[string]any{"Rules": out}, nil
}

func (b *Bus) opDeleteRule(ctx context.Context, body []byte) (any, error) {
	var in struct{ Name, EventBusName string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	bus, _, err := b.ruleParam(ctx, in.EventBusName, in.Name)
	if err != nil {
		return nil, err
	}
	if err := b.DeleteRule(ctx, bus, in.Name); err != nil {
		return nil, awsjson.Errorf("ValidationException", "%v", err)
	}
	return struct{}{}, nil
}

type targetIn struct {
	ID               string       `json:"Id"`
	Arn              string       `json:"Arn"`
	RoleArn          string       `json:"RoleArn"`
	RetryPolicy      *RetryPolicy `json:"RetryPolicy"`
	DeadLetterConfig *struct {
		Arn string `json:"Arn"`
	} `json:"DeadLetterConfig"`
	Input            *string           `json:"Input"`
	InputPath        *string           `json:"InputPath"`
	InputTransformer *InputTransformer `json:"InputTransformer"`
}

func (b *Bus) opPutTargets(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Rule, EventBusName string
		Targets            []targetIn
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Targets) == 0 || len(in.Targets) > 10 {
		return nil, awsjson.Validation("Targets", "must have between 1 and 10 targets")
	}
	bus, _, err := b.ruleParam(ctx, in.EventBusName, in.Rule)
	if err != nil {
		return nil, err
	}
	var ts []Target
	for i, t := range in.Targets {
		if t.ID == "" || t.Arn == "" {
			return nil, awsjson.Validation(fmt.Sprintf("Targets[%d]", i), "Id and Arn are required")
		}
		rp := RetryPolicy{MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400}
		if t.RetryPolicy != nil {
			rp = *t.RetryPolicy
		}
		tt := Target{ID: t.ID, ARN: t.Arn, RoleARN: t.RoleArn, RetryPolicy: rp, InputTransformer: t.InputTransformer}
		if t.DeadLetterConfig != nil {
			tt.DeadLetterARN = t.DeadLetterConfig.Arn
		}
		// Presence counts here, even of an empty Input or InputPath.
		if (t.Input != nil && (t.InputPath != nil || t.InputTransformer != nil)) || (t.InputPath != nil && t.InputTransformer != nil) {
			return nil, awsjson.Errorf("ValidationException", "%s", onlyOneInput(t.ID))
		}
		if t.Input != nil {
			if *t.Input == "" {
				return nil, awsjson.Errorf("ValidationException", "%s", inputSyntaxError(t.ID, errors.New("no content to map due to end-of-input")))
			}
			tt.Input = *t.Input
		}
		if t.InputPath != nil {
			tt.InputPath = *t.InputPath
		}
		ts = append(ts, tt)
	}
	if err := b.PutTargets(ctx, bus, in.Rule, ts); err != nil {
		var it *InvalidTargetError
		if errors.As(err, &it) {
			return nil, awsjson.Errorf("ValidationException", "%s", it.Message)
		}
		return nil, err
	}
	return map[string]any{"FailedEntryCount": 0, "FailedEntries": []any{}}, nil
}

func (b *Bus) opListTargetsByRule(ctx context.Context, body []byte) (any, error) {
	var in struct{ Rule, EventBusName string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	bus, _, err := b.ruleParam(ctx, in.EventBusName, in.Rule)
	if err != nil {
		return nil, err
	}
	ts, err := b.Targets(ctx, bus, in.Rule)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, t := range ts {
		m := map[string]any{"Id": t.ID, "Arn": t.ARN, "RetryPolicy": t.RetryPolicy}
		if t.DeadLetterARN != "" {
			m["DeadLetterConfig"] = map[string]string{"Arn": t.DeadLetterARN}
		}
		if t.RoleARN != "" {
			m["RoleArn"] = t.RoleARN
		}
		if t.Input != "" {
			m["Input"] = t.Input
		}
		if t.InputPath != "" {
			m["InputPath"] = t.InputPath
		}
		if t.InputTransformer != nil {
			m["InputTransformer"] = t.InputTransformer
		}
		out = append(out, m)
	}
	return map[string]any{"Targets": out}, nil
}

func (b *Bus) opRemoveTargets(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Rule, EventBusName string
		Ids                []string
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	bus, _, err := b.ruleParam(ctx, in.EventBusName, in.Rule)
	if err != nil {
		return nil, err
	}
	if err := b.RemoveTargets(ctx, bus, in.Rule, in.Ids); err != nil {
		return nil, err
	}
	return map[string]any{"FailedEntryCount": 0, "FailedEntries": []any{}}, nil
}
