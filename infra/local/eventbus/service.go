package eventbus

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/eventpattern"
	"loanflow/infra/local/internal/modellen"
)

// Service returns the EventBridge JSON 1.1 protocol (X-Amz-Target AWSEvents.*).
// An action it does not serve (Operations lists those it does) is answered
// UnknownOperationException.
func (b *Bus) Service() *awsjson.Service {
	return &awsjson.Service{TargetPrefix: "AWSEvents", JSONVersion: "1.1", Ops: b.ops()}
}

// ops are the operations Service serves.
func (b *Bus) ops() map[string]awsjson.Operation {
	return map[string]awsjson.Operation{
		"PutEvents":           b.opPutEvents,
		"TestEventPattern":    opTestEventPattern,
		"CreateEventBus":      b.opCreateEventBus,
		"DeleteEventBus":      b.opDeleteEventBus,
		"DescribeEventBus":    b.opDescribeEventBus,
		"ListEventBuses":      b.opListEventBuses,
		"PutRule":             b.opPutRule,
		"DescribeRule":        b.opDescribeRule,
		"ListRules":           b.opListRules,
		"DeleteRule":          b.opDeleteRule,
		"EnableRule":          b.opSetRuleState(StateEnabled),
		"DisableRule":         b.opSetRuleState(StateDisabled),
		"PutTargets":          b.opPutTargets,
		"ListTargetsByRule":   b.opListTargetsByRule,
		"RemoveTargets":       b.opRemoveTargets,
		"TagResource":         b.opTagResource,
		"UntagResource":       b.opUntagResource,
		"ListTagsForResource": b.opListTagsForResource,
		"CreateArchive":       b.opCreateArchive,
		"DescribeArchive":     b.opDescribeArchive,
		"ListArchives":        b.opListArchives,
		"UpdateArchive":       b.opUpdateArchive,
		"DeleteArchive":       b.opDeleteArchive,
		"StartReplay":         b.opStartReplay,
		"DescribeReplay":      b.opDescribeReplay,
		"ListReplays":         b.opListReplays,
		"CancelReplay":        b.opCancelReplay,
	}
}

// Operations returns the names of the EventBridge actions Service serves,
// sorted: the operation registry the README's table is made from.
func Operations() []string {
	return slices.Sorted(maps.Keys((*Bus)(nil).ops()))
}

func notFound(format string, args ...any) error {
	return awsjson.Errorf("ResourceNotFoundException", format, args...)
}

func validation(format string, args ...any) error {
	return awsjson.Errorf("ValidationException", format, args...)
}

// constraint is one failed member constraint, worded as AWS words them in
// "N validation error(s) detected: ...".
type constraint struct{ value, member, rule string }

// constraintError joins failed constraints into AWS's ValidationException.
func constraintError(cs []constraint) error {
	if len(cs) == 0 {
		return nil
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must %s", c.value, c.member, c.rule)
	}
	noun := "error"
	if len(cs) > 1 {
		noun = "errors"
	}
	return validation("%d validation %s detected: %s", len(cs), noun, strings.Join(parts, "; "))
}

// namePattern is the pattern of rule, target, archive and replay names.
var namePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\.\-_A-Za-z0-9]+$`) })

const namePatternText = `[\.\-_A-Za-z0-9]+`

// busNamePattern is the pattern of event bus names (EventBusName).
var busNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[/\.\-_A-Za-z0-9]+$`) })

const busNamePatternText = `[/\.\-_A-Za-z0-9]+`

// checkName returns the constraints a name fails: pattern, then length
// (the order of AWS's message).
func checkName(value, member string, maxLen int) []constraint {
	return checkPattern(value, member, namePattern(), namePatternText, maxLen)
}

// checkPattern is checkName for any pattern.
func checkPattern(value, member string, re *regexp.Regexp, reText string, maxLen int) []constraint {
	var cs []constraint
	if !re.MatchString(value) {
		cs = append(cs, constraint{value, member, "satisfy regular expression pattern: " + reText})
	}
	if modellen.Len(value) > maxLen {
		cs = append(cs, constraint{value, member, fmt.Sprintf("have length less than or equal to %d", maxLen)})
	}
	return cs
}

// entryBusPattern is the pattern of a PutEvents entry's EventBusName: a
// bus's name, or its ARN (NonPartnerEventBusNameOrArn).
var entryBusPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[\.\-_A-Za-z0-9]+$`)
})

const entryBusPatternText = `(arn:aws[\w-]*:events:[a-z]+-[a-z]+-[\w-]+:[0-9]{12}:event-bus\/)?[\.\-_A-Za-z0-9]+`

// Limits of the model on a PutEvents entry (PutEventsRequestEntry).
const (
	maxEntryBusName     = 1600
	maxEntryResource    = 2048
	maxEntryTraceHeader = 500
)

// entryConstraints returns the constraints of the model PutEvents' entries
// fail, in the order of the entries and of their members. A well-formed
// name of a bus that does not exist is none: such an entry is accepted and
// dropped (see PutEvents).
func entryConstraints(entries []Entry) []constraint {
	var cs []constraint
	for i, e := range entries {
		member := fmt.Sprintf("entries.%d.member.", i+1)
		for j, r := range e.Resources {
			if modellen.Len(r) > maxEntryResource {
				cs = append(cs, constraint{r, fmt.Sprintf("%sresources.%d.member", member, j+1), fmt.Sprintf("have length less than or equal to %d", maxEntryResource)})
			}
		}
		if e.EventBusName != "" {
			cs = append(cs, checkPattern(e.EventBusName, member+"eventBusName", entryBusPattern(), entryBusPatternText, maxEntryBusName)...)
		}
		if modellen.Len(e.TraceHeader) > maxEntryTraceHeader {
			cs = append(cs, constraint{e.TraceHeader, member + "traceHeader", fmt.Sprintf("have length less than or equal to %d", maxEntryTraceHeader)})
		}
	}
	return cs
}

func (b *Bus) opPutEvents(ctx context.Context, body []byte) (any, error) {
	var in putEventsRequest
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	switch {
	case len(in.Entries) == 0:
		return nil, awsjson.Validation("Entries", "must have between 1 and 10 entries")
	case len(in.Entries) > 10:
		// AWS quotes the entries as its Java request objects print.
		parts := make([]string, len(in.Entries))
		for i, e := range in.Entries {
			parts[i] = e.javaString()
		}
		return nil, constraintError([]constraint{{"[" + strings.Join(parts, ", ") + "]", "entries", "have length less than or equal to 10"}})
	}
	if err := constraintError(entryConstraints(in.Entries)); err != nil {
		return nil, err
	}
	res, failed, err := b.PutEvents(ctx, in.Entries)
	if err != nil {
		return nil, err
	}
	return putEventsResponse{FailedEntryCount: failed, Entries: res}, nil
}

// requiredEventFields are the envelope fields TestEventPattern insists on.
var requiredEventFields = []string{"id", "account", "source", "time", "region", "detail-type"}

// errEventNotValid is TestEventPattern's answer to an event that is not a
// JSON object with every required envelope field (LocalStack's
// test_plain_string_payload and test_invalid_event_payload, recorded
// against AWS).
var errEventNotValid = awsjson.Errorf("ValidationException", "Parameter Event is not valid.")

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
		return nil, errEventNotValid
	}
	for _, f := range requiredEventFields {
		if _, ok := ev[f]; !ok {
			return nil, errEventNotValid
		}
	}
	p, err := eventpattern.Compile([]byte(in.EventPattern))
	if err != nil {
		return nil, patternError(err)
	}
	ok, err := p.Match([]byte(in.Event))
	if err != nil {
		return nil, errEventNotValid
	}
	return map[string]bool{"Result": ok}, nil
}

// patternError is an invalid pattern's InvalidEventPatternException: the
// matcher's message already reads "Event pattern is not valid. Reason: ...".
func patternError(err error) error {
	var ip *eventpattern.InvalidPatternError
	if errors.As(err, &ip) {
		return awsjson.Errorf("InvalidEventPatternException", "%s", ip.Message)
	}
	return err
}

// pageIn is the NextToken and Limit of a List request.
type pageIn struct {
	NextToken string
	Limit     *int
}

// maxNextToken is the model's limit on a NextToken.
const maxNextToken = 2048

// constraints returns the constraints of the model p fails: NextToken of
// at most 2,048 characters, Limit of 1 to 100 (LimitMax100).
func (p pageIn) constraints() []constraint {
	var cs []constraint
	if modellen.Len(p.NextToken) > maxNextToken {
		cs = append(cs, constraint{p.NextToken, "nextToken", fmt.Sprintf("have length less than or equal to %d", maxNextToken)})
	}
	return append(cs, checkRange(p.Limit, "limit", 1, 100)...)
}

// page returns the part of items p asks for, and the token of the next part
// ("" at the end); the operation has checked p's constraints, before any
// lookup, as AWS does. A token names the
// list it pages (list: the operation and what it lists), so that one of
// another list is not valid, whatever offset it holds.
func page[T any](items []T, p pageIn, list string) ([]T, string, error) {
	from := 0
	if p.NextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(p.NextToken)
		l, offset, ok := strings.Cut(string(raw), "\n")
		n, perr := strconv.Atoi(offset)
		if err != nil || !ok || l != list || perr != nil || n < 0 || n > len(items) {
			return nil, "", validation("The NextToken provided is not valid.")
		}
		from = n
	}
	limit := deref(p.Limit)
	if limit == 0 || from+limit >= len(items) {
		return items[from:], "", nil
	}
	return items[from : from+limit], base64.RawURLEncoding.EncodeToString([]byte(list + "\n" + strconv.Itoa(from+limit))), nil
}

type busView struct {
	Name             string `json:"Name"`
	ARN              string `json:"Arn"`
	Description      string `json:"Description,omitempty"`
	CreationTime     *epoch `json:"CreationTime,omitempty"`
	LastModifiedTime *epoch `json:"LastModifiedTime,omitempty"`
}

func busViewOf(i BusInfo) busView {
	// Nothing changes a bus once made: it was last modified when created.
	return busView{Name: i.Name, ARN: i.ARN, Description: i.Description, CreationTime: stamp(i.Created), LastModifiedTime: stamp(i.Created)}
}

func (b *Bus) opListEventBuses(ctx context.Context, body []byte) (any, error) {
	var in struct {
		NamePrefix string
		pageIn
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := constraintError(in.constraints()); err != nil {
		return nil, err
	}
	names, err := b.Buses(ctx)
	if err != nil {
		return nil, err
	}
	out := []busView{}
	for _, n := range names {
		if i, err := b.Bus(n); err == nil && strings.HasPrefix(n, in.NamePrefix) {
			out = append(out, busViewOf(i))
		}
	}
	out, next, err := page(out, in.pageIn, "ListEventBuses")
	if err != nil {
		return nil, err
	}
	return struct {
		EventBuses []busView `json:"EventBuses"`
		NextToken  string    `json:"NextToken,omitempty"`
	}{out, next}, nil
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
	i, err := b.Bus(name)
	if err != nil {
		return nil, notFound("Event bus %s does not exist.", name)
	}
	return busViewOf(i), nil
}

func (b *Bus) opCreateEventBus(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Name, Description string
		Tags              []Tag
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, awsjson.Validation("Name", "is required")
	}
	cs := checkPattern(in.Name, "name", busNamePattern(), busNamePatternText, 256)
	if modellen.Len(in.Description) > 512 {
		cs = append(cs, constraint{in.Description, "description", "have length less than or equal to 512"})
	}
	if err := constraintError(cs); err != nil {
		return nil, err
	}
	if strings.Contains(in.Name, "/") {
		return nil, awsjson.Validation("Name", "a custom event bus name cannot contain /")
	}
	// The insert, not a look before it, decides: of two creations of one
	// name at once, one succeeds.
	arn, created, err := b.createBus(ctx, in.Name, in.Description)
	if err != nil {
		return nil, err
	}
	if !created {
		return nil, awsjson.Errorf("ResourceAlreadyExistsException", "Event bus %s already exists.", in.Name)
	}
	if len(in.Tags) > 0 {
		if err := b.TagResource(ctx, arn, in.Tags); err != nil {
			return nil, err
		}
	}
	out := map[string]string{"EventBusArn": arn}
	if in.Description != "" {
		out["Description"] = in.Description
	}
	return out, nil
}

func (b *Bus) opDeleteEventBus(ctx context.Context, body []byte) (any, error) {
	var in struct{ Name string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, awsjson.Validation("Name", "is required")
	}
	switch err := b.DeleteBus(ctx, busName(in.Name)); {
	case errors.Is(err, ErrDefaultBus):
		// LocalStack's test_delete_default_event_bus, recorded against AWS.
		return nil, validation("Cannot delete event bus default.")
	case errors.Is(err, ErrBusHasRules):
		// AWS's answer, as users report it (hashicorp/terraform-provider-aws
		// issue 22131, anomalyco/sst issue 4325).
		return nil, validation("EventBus can't be deleted since it has rules.")
	case err != nil:
		return nil, err
	}
	return struct{}{}, nil
}

type ruleView struct {
	Name               string `json:"Name"`
	ARN                string `json:"Arn"`
	EventPattern       string `json:"EventPattern,omitempty"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	State              string `json:"State"`
	Description        string `json:"Description,omitempty"`
	EventBusName       string `json:"EventBusName"`
	CreatedBy          string `json:"CreatedBy,omitempty"`
}

func view(r Rule) ruleView {
	return ruleView{Name: r.Name, ARN: r.ARN, EventPattern: r.Pattern, ScheduleExpression: r.ScheduleExpression, State: r.State,
		Description: r.Description, EventBusName: r.Bus}
}

// ruleStates are the states a rule may be put in.
var ruleStates = []string{"ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"}

func (b *Bus) opPutRule(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Name, EventBusName, EventPattern, State, Description, ScheduleExpression string
		RoleARN                                                                  string `json:"RoleArn"`
		Tags                                                                     []Tag
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, awsjson.Validation("Name", "is required")
	}
	cs := checkName(in.Name, "name", 64)
	if in.State != "" && !slices.Contains(ruleStates, in.State) {
		cs = append(cs, constraint{in.State, "state", "satisfy enum value set: [" + strings.Join(ruleStates, ", ") + "]"})
	}
	if modellen.Len(in.EventPattern) > 4096 {
		cs = append(cs, constraint{in.EventPattern, "eventPattern", "have length less than or equal to 4096"})
	}
	if modellen.Len(in.Description) > 512 {
		cs = append(cs, constraint{in.Description, "description", "have length less than or equal to 512"})
	}
	if err := constraintError(cs); err != nil {
		return nil, err
	}
	bus, err := b.busParam(ctx, in.EventBusName)
	if err != nil {
		return nil, err
	}
	switch {
	case in.ScheduleExpression != "" && bus != "default":
		// LocalStack's tests_put_rule_with_schedule_custom_event_bus, recorded against AWS.
		return nil, validation("ScheduleExpression is supported only on the default event bus.")
	case in.ScheduleExpression == "" && in.EventPattern == "":
		// AWS's answer (awsdocs/aws-cloudformation-user-guide pull request 456).
		return nil, validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	arn, err := b.putRule(ctx, Rule{Bus: bus, Name: in.Name, Pattern: in.EventPattern, ScheduleExpression: in.ScheduleExpression,
		State: in.State, Description: in.Description})
	if errors.Is(err, errInvalidSchedule) {
		// LocalStack's test_put_rule_with_invalid_schedule_rate and _cron, recorded against AWS.
		return nil, validation("Parameter ScheduleExpression is not valid.")
	}
	if err != nil {
		return nil, patternError(err)
	}
	if len(in.Tags) > 0 {
		if err := b.TagResource(ctx, arn, in.Tags); err != nil {
			return nil, err
		}
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
	v := view(r)
	v.CreatedBy = b.opts.AccountID // the account that made the rule: there is only one
	return v, nil
}

func (b *Bus) opListRules(ctx context.Context, body []byte) (any, error) {
	var in struct {
		NamePrefix, EventBusName string
		pageIn
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := constraintError(in.constraints()); err != nil {
		return nil, err
	}
	bus, err := b.busParam(ctx, in.EventBusName)
	if err != nil {
		return nil, err
	}
	rules := b.Rules(bus)
	slices.SortFunc(rules, func(x, y Rule) int { return strings.Compare(x.Name, y.Name) })
	out := []ruleView{}
	for _, r := range rules {
		if strings.HasPrefix(r.Name, in.NamePrefix) {
			out = append(out, view(r))
		}
	}
	out, next, err := page(out, in.pageIn, "ListRules "+bus)
	if err != nil {
		return nil, err
	}
	return struct {
		Rules     []ruleView `json:"Rules"`
		NextToken string     `json:"NextToken,omitempty"`
	}{out, next}, nil
}

func (b *Bus) opDeleteRule(ctx context.Context, body []byte) (any, error) {
	var in struct{ Name, EventBusName string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	// A bus that does not exist is ResourceNotFoundException; a rule that
	// does not exist (any more) is no error.
	bus, err := b.busParam(ctx, in.EventBusName)
	if err != nil {
		return nil, err
	}
	if err := b.DeleteRule(ctx, bus, in.Name); errors.Is(err, ErrRuleHasTargets) {
		// LocalStack's test_delete_rule_with_targets, recorded against AWS.
		return nil, validation("Rule can't be deleted since it has targets.")
	} else if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (b *Bus) opSetRuleState(state string) awsjson.Operation {
	return func(ctx context.Context, body []byte) (any, error) {
		var in struct{ Name, EventBusName string }
		if err := awsjson.Decode(body, &in); err != nil {
			return nil, err
		}
		bus, _, err := b.ruleParam(ctx, in.EventBusName, in.Name)
		if err != nil {
			return nil, err
		}
		if err := b.SetRuleState(ctx, bus, in.Name, state); err != nil {
			return nil, err
		}
		return struct{}{}, nil
	}
}

type targetIn struct {
	ID               string         `json:"Id"`
	ARN              string         `json:"Arn"`
	RoleARN          string         `json:"RoleArn"`
	RetryPolicy      *retryPolicyIn `json:"RetryPolicy"`
	DeadLetterConfig *struct {
		ARN string `json:"Arn"`
	} `json:"DeadLetterConfig"`
	Input            *string           `json:"Input"`
	InputPath        *string           `json:"InputPath"`
	InputTransformer *InputTransformer `json:"InputTransformer"`
}

// retryPolicyIn is a target's RetryPolicy as a request gives it: a member
// may be left out.
type retryPolicyIn struct {
	MaximumRetryAttempts     *int
	MaximumEventAgeInSeconds *int
}

// checkRange returns the constraint an integer member fails, if given.
func checkRange(v *int, member string, lo, hi int) []constraint {
	switch {
	case v == nil:
		return nil
	case *v < lo:
		return []constraint{{strconv.Itoa(*v), member, fmt.Sprintf("have value greater than or equal to %d", lo)}}
	case *v > hi:
		return []constraint{{strconv.Itoa(*v), member, fmt.Sprintf("have value less than or equal to %d", hi)}}
	}
	return nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
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
	// Target ids: 1 to 64 of [.-_A-Za-z0-9] (LocalStack's
	// test_put_target_id_validation, recorded against AWS).
	var cs []constraint
	for i, t := range in.Targets {
		if t.ID != "" {
			cs = append(cs, checkName(t.ID, fmt.Sprintf("targets.%d.member.id", i+1), 64)...)
		}
		if p := t.RetryPolicy; p != nil {
			member := fmt.Sprintf("targets.%d.member.retryPolicy.", i+1)
			cs = append(cs, checkRange(p.MaximumRetryAttempts, member+"maximumRetryAttempts", 0, 185)...)
			cs = append(cs, checkRange(p.MaximumEventAgeInSeconds, member+"maximumEventAgeInSeconds", 60, 86400)...)
		}
	}
	if err := constraintError(cs); err != nil {
		return nil, err
	}
	bus, _, err := b.ruleParam(ctx, in.EventBusName, in.Rule)
	if err != nil {
		return nil, err
	}
	var ts []Target
	for i, t := range in.Targets {
		if t.ID == "" || t.ARN == "" {
			return nil, awsjson.Validation(fmt.Sprintf("Targets[%d]", i), "Id and Arn are required")
		}
		rp := RetryPolicy{MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400}
		if p := t.RetryPolicy; p != nil {
			// A member left out is 0, as it was stored before: the
			// delivery reads a 0 age as a day.
			rp = RetryPolicy{MaximumRetryAttempts: deref(p.MaximumRetryAttempts), MaximumEventAgeInSeconds: deref(p.MaximumEventAgeInSeconds)}
		}
		tt := Target{ID: t.ID, ARN: t.ARN, RoleARN: t.RoleARN, RetryPolicy: rp, InputTransformer: t.InputTransformer}
		if t.DeadLetterConfig != nil {
			tt.DeadLetterARN = t.DeadLetterConfig.ARN
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
		switch {
		case errors.As(err, &it):
			return nil, awsjson.Errorf("ValidationException", "%s", it.Message)
		case errors.Is(err, ErrTooManyTargets):
			// LocalStack's test_add_exceed_fife_targets_per_rule, recorded against AWS.
			return nil, awsjson.Errorf("LimitExceededException", "The requested resource exceeds the maximum number allowed.")
		}
		return nil, err
	}
	return map[string]any{"FailedEntryCount": 0, "FailedEntries": []any{}}, nil
}

func (b *Bus) opListTargetsByRule(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Rule, EventBusName string
		pageIn
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := constraintError(in.constraints()); err != nil {
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
	out, next, err := page(out, in.pageIn, "ListTargetsByRule "+bus+" "+in.Rule)
	if err != nil {
		return nil, err
	}
	res := map[string]any{"Targets": out}
	if next != "" {
		res["NextToken"] = next
	}
	return res, nil
}

func (b *Bus) opRemoveTargets(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Rule, EventBusName string
		Ids                []string
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	switch {
	case len(in.Ids) == 0:
		return nil, constraintError([]constraint{{"[]", "ids", "have length greater than or equal to 1"}})
	case len(in.Ids) > 100:
		return nil, constraintError([]constraint{{"[" + strings.Join(in.Ids, ", ") + "]", "ids", "have length less than or equal to 100"}})
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

// resourceError words a missing bus or rule of a tagging call.
func (b *Bus) resourceError(arn string, err error) error {
	bus, rule, _ := b.taggable(arn)
	switch {
	case errors.Is(err, ErrNotTaggable):
		return validation("Parameter ResourceARN is not valid: %s names neither an event bus nor a rule.", arn)
	case errors.Is(err, ErrBusNotFound):
		// LocalStack's tests_tag_list_untag_not_existing_resource, recorded against AWS.
		return notFound("Event bus %s does not exist.", bus)
	case errors.Is(err, ErrRuleNotFound):
		return notFound("Rule %s does not exist on EventBus %s.", rule, bus)
	}
	return err
}

func (b *Bus) opTagResource(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ResourceARN string
		Tags        []Tag
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	for i, t := range in.Tags {
		if t.Key == "" || modellen.Len(t.Key) > 128 || modellen.Len(t.Value) > 256 {
			return nil, awsjson.Validation(fmt.Sprintf("Tags[%d]", i), "Key must be 1 to 128 characters, Value at most 256")
		}
	}
	if err := b.TagResource(ctx, in.ResourceARN, in.Tags); err != nil {
		return nil, b.resourceError(in.ResourceARN, err)
	}
	return struct{}{}, nil
}

func (b *Bus) opUntagResource(ctx context.Context, body []byte) (any, error) {
	var in struct {
		ResourceARN string
		TagKeys     []string
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := b.UntagResource(ctx, in.ResourceARN, in.TagKeys); err != nil {
		return nil, b.resourceError(in.ResourceARN, err)
	}
	return struct{}{}, nil
}

func (b *Bus) opListTagsForResource(ctx context.Context, body []byte) (any, error) {
	var in struct{ ResourceARN string }
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	tags, err := b.Tags(ctx, in.ResourceARN)
	if err != nil {
		return nil, b.resourceError(in.ResourceARN, err)
	}
	return map[string]any{"Tags": tags}, nil
}

// timeParam is a required timestamp member.
func timeParam(e *epoch, member string) (time.Time, error) {
	if e == nil {
		return time.Time{}, awsjson.Validation(member, "is required")
	}
	return time.Time(*e), nil
}
