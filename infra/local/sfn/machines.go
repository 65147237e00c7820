package sfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/asl/expr"
)

// State machine statuses.
const (
	machineActive   = "ACTIVE"
	machineDeleting = "DELETING"
)

// State machine types (StateMachineType).
const (
	machineStandard = "STANDARD"
	machineExpress  = "EXPRESS"
)

// Log levels of a LoggingConfiguration.
const (
	LogLevelAll   = "ALL"
	LogLevelError = "ERROR"
	LogLevelFatal = "FATAL"
	LogLevelOff   = "OFF"
)

// LoggingConfiguration is where and how much a state machine logs. The
// local engine keeps and returns it; it writes no logs.
type LoggingConfiguration struct {
	Level                string   `json:"level"`
	IncludeExecutionData bool     `json:"includeExecutionData"`
	Destinations         []string `json:"destinations,omitempty"` // CloudWatch Logs log group ARNs
}

// decodeLogging reads a stored configuration ("" is the default: OFF).
func decodeLogging(s string) (LoggingConfiguration, error) {
	if s == "" {
		return LoggingConfiguration{Level: LogLevelOff}, nil
	}
	var l LoggingConfiguration
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return l, fmt.Errorf("decode logging configuration: %w", err)
	}
	return l, nil
}

// encodeLogging validates l as AWS does and returns its stored form ("" for
// nil).
func encodeLogging(l *LoggingConfiguration) (string, error) {
	if l == nil {
		return "", nil
	}
	c := *l
	if c.Level == "" {
		c.Level = LogLevelOff
	}
	switch c.Level {
	case LogLevelAll, LogLevelError, LogLevelFatal, LogLevelOff:
	default:
		return "", apiErr(CodeValidationException, "1 validation error detected: Value '%s' at 'loggingConfiguration.level' failed to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]", c.Level)
	}
	if len(c.Destinations) > 1 {
		return "", apiErr(CodeInvalidLoggingConfiguration, "Invalid Logging Configuration: Must specify exactly one Log Destination.")
	}
	if c.Level != LogLevelOff && len(c.Destinations) == 0 {
		return "", apiErr(CodeInvalidLoggingConfiguration, "Invalid Logging Configuration: Must specify exactly one Log Destination.")
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode logging configuration: %w", err)
	}
	return string(b), nil
}

// CreateStateMachineInput is CreateStateMachine's request.
type CreateStateMachineInput struct {
	Name, Definition, RoleARN string
	Type                      string // "" or STANDARD
	Logging                   *LoggingConfiguration
	TracingEnabled            bool
	Tags                      map[string]string
}

// CreateStateMachineWith creates a STANDARD state machine with its logging,
// tracing and tags, and returns its ARN and creation date. Creating it again
// with the same definition and role is a no-op.
func (e *Engine) CreateStateMachineWith(ctx context.Context, in CreateStateMachineInput) (string, time.Time, error) {
	if err := checkCreateMachine(in); err != nil {
		return "", time.Time{}, err
	}
	logging, err := encodeLogging(in.Logging)
	if err != nil {
		return "", time.Time{}, err
	}
	if err := checkTags(in.Tags); err != nil {
		return "", time.Time{}, err
	}
	if err := e.cacheDefinition(in.Definition); err != nil {
		return "", time.Time{}, err
	}
	arn := e.smARN(in.Name)
	created, err := e.store.createStateMachine(ctx, arn, in.Name, in.Definition, definitionHash(in.Definition), in.RoleARN,
		machineConfig{logging: logging, tracing: in.TracingEnabled, tags: in.Tags}, e.clock.Now())
	if err != nil {
		return "", time.Time{}, fmt.Errorf("create state machine %s: %w", in.Name, err)
	}
	return arn, created, nil
}

// checkCreateMachine applies the model's constraints and AWS's name rules to
// a CreateStateMachine request. Only STANDARD machines run locally: EXPRESS
// is StateMachineTypeNotSupported.
func checkCreateMachine(in CreateStateMachineInput) error {
	if err := checkName(in.Name); err != nil {
		return err
	}
	if err := checkMaxLen(in.RoleARN, "roleArn", maxARNLen); err != nil {
		return err
	}
	switch in.Type {
	case "", machineStandard:
		return nil
	case machineExpress:
		return apiErr(CodeStateMachineTypeNotSupp, "only STANDARD state machines are supported by the loanflow local engine")
	}
	return constraintErr(in.Type, "type", "satisfy enum value set: [STANDARD, EXPRESS]")
}

// UpdateStateMachineInput is UpdateStateMachine's request: an empty or nil
// member is kept as it is.
type UpdateStateMachineInput struct {
	StateMachineARN, Definition, RoleARN string
	Logging                              *LoggingConfiguration
	TracingEnabled                       *bool
}

// UpdateStateMachineWith changes a state machine's definition, role,
// logging or tracing. Running executions keep the definition they started
// with.
func (e *Engine) UpdateStateMachineWith(ctx context.Context, in UpdateStateMachineInput) (time.Time, error) {
	if err := checkMaxLen(in.RoleARN, "roleArn", maxARNLen); err != nil {
		return time.Time{}, err
	}
	if err := e.checkARN(in.StateMachineARN, "stateMachine"); err != nil {
		return time.Time{}, err
	}
	logging, err := encodeLogging(in.Logging)
	if err != nil {
		return time.Time{}, err
	}
	if in.Definition != "" {
		if err := e.cacheDefinition(in.Definition); err != nil {
			return time.Time{}, err
		}
	}
	now := e.clock.Now()
	u := machineUpdate{def: in.Definition, hash: definitionHash(in.Definition), roleARN: in.RoleARN, logging: logging, tracing: in.TracingEnabled}
	if err := e.store.updateStateMachine(ctx, in.StateMachineARN, u, now); err != nil {
		return time.Time{}, fmt.Errorf("update state machine: %w", err)
	}
	return now, nil
}

// pageSize checks a maxResults as the API does (0..1000, 0 meaning the
// default of 100) and returns the page size.
func pageSize(n int) (int, error) {
	switch {
	case n < 0:
		return 0, apiErr(CodeValidationException, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0", n)
	case n > 1000:
		return 0, apiErr(CodeValidationException, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000", n)
	case n == 0:
		return 100, nil
	}
	return n, nil
}

// pageStart reads a List operation's maxResults and nextToken: the page's
// size and the name after which it starts ("" for the first page). list
// names the list the token must be of (see pageCursor).
func pageStart(maxResults int, nextToken, list string) (limit int, after string, err error) {
	if limit, err = pageSize(maxResults); err != nil {
		return 0, "", err
	}
	if err := checkPageToken(nextToken, maxPageToken); err != nil {
		return 0, "", err
	}
	if after, err = pageCursor(nextToken, list); err != nil {
		return 0, "", err
	}
	return limit, after, nil
}

// ListStateMachinesPage returns up to maxResults state machines (0: 100)
// ordered by name, from nextToken on, and the token of the next page ("" at
// the end).
func (e *Engine) ListStateMachinesPage(ctx context.Context, maxResults int, nextToken string) ([]StateMachine, string, error) {
	limit, after, err := pageStart(maxResults, nextToken, listStateMachines)
	if err != nil {
		return nil, "", err
	}
	sms, err := e.store.listStateMachines(ctx, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(sms) > limit {
		sms = sms[:limit]
		next = pageToken(listStateMachines, sms[limit-1].Name)
	}
	return sms, next, nil
}

// requiredFields refuses a definition that lacks States or StartAt with
// AWS's schema message, which names every missing field at once.
func requiredFields(def string) error {
	missing := missingFields(def)
	if len(missing) == 0 {
		return nil
	}
	return apiErr(CodeInvalidDefinition, "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [%s] at /'", strings.Join(missing, ", "))
}

// missingFields returns the required top-level fields a JSON object
// definition lacks, in AWS's order (nil if def is not a JSON object).
func missingFields(def string) []string {
	v, err := expr.Decode([]byte(def))
	if err != nil {
		return nil
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	var missing []string
	for _, f := range []string{"States", "StartAt"} {
		if _, ok := root[f]; !ok {
			missing = append(missing, f)
		}
	}
	return missing
}

// Diagnostic is one problem ValidateStateMachineDefinition reports.
type Diagnostic struct {
	Severity string // ERROR
	Code     string // e.g. SCHEMA_VALIDATION_FAILED
	Message  string
	Location string // a JSON pointer, e.g. /States/Ask
}

// diagnosticStart finds where each "CODE: message at /pointer" of an
// InvalidDefinition message begins.
var diagnosticStart = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:^|, )([A-Z][A-Z_]+): `) })

// ValidateDefinition checks a definition as CreateStateMachine would and
// returns its problems (none when it is valid).
func ValidateDefinition(def string) []Diagnostic {
	if missing := missingFields(def); len(missing) > 0 {
		return []Diagnostic{{Severity: "ERROR", Code: "SCHEMA_VALIDATION_FAILED", Message: "These fields are required: [" + strings.Join(missing, ", ") + "]", Location: "/"}}
	}
	err := asl.ValidateDefinition([]byte(def))
	if err == nil {
		return nil
	}
	var ae *APIError
	msg := err.Error()
	if errors.As(err, &ae) {
		msg = ae.Message
	}
	msg = strings.TrimPrefix(msg, "Invalid State Machine Definition: '")
	msg = strings.TrimSuffix(msg, "'")
	locs := diagnosticStart().FindAllStringSubmatchIndex(msg, -1)
	if len(locs) == 0 {
		return []Diagnostic{{Severity: "ERROR", Code: "SCHEMA_VALIDATION_FAILED", Message: msg, Location: "/"}}
	}
	out := make([]Diagnostic, 0, len(locs))
	for i, l := range locs {
		end := len(msg)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		d := Diagnostic{Severity: "ERROR", Code: msg[l[2]:l[3]], Message: msg[l[1]:end]}
		if at := strings.LastIndex(d.Message, " at /"); at >= 0 {
			d.Message, d.Location = d.Message[:at], d.Message[at+len(" at "):]
		}
		out = append(out, d)
	}
	return out
}

// DeleteStateMachine deletes state machine arn as AWS does: it is DELETING
// while executions of it run, each of which fails (States.Runtime) at its
// next state transition, and is gone once none runs. Deleting a machine
// that does not exist succeeds.
func (e *Engine) DeleteStateMachine(ctx context.Context, arn string) error {
	if err := e.checkARN(arn, "stateMachine"); err != nil {
		return err
	}
	// While executions run, it is DELETING (store.deleting): each fails at
	// its next transition (drive), at once if it is running, when it wakes
	// if it waits.
	running, err := e.store.deleteStateMachine(ctx, arn)
	if err != nil {
		return fmt.Errorf("delete state machine: %w", err)
	}
	e.log.InfoContext(ctx, "state machine deleted", "stateMachineArn", arn, "running", running)
	return nil
}

// machineDeleted reports whether state machine arn is being deleted.
func (e *Engine) machineDeleted(arn string) bool {
	_, ok := e.store.deleting.Load(arn)
	return ok
}

// DescribeStateMachineForExecution returns the state machine of execution
// arn with the definition and role that execution runs with.
func (e *Engine) DescribeStateMachineForExecution(ctx context.Context, arn string) (*StateMachine, error) {
	if err := e.checkARN(arn, "execution"); err != nil {
		return nil, err
	}
	return e.store.machineForExecution(ctx, arn)
}

// Tag is a resource tag.
type Tag struct{ Key, Value string }

// checkTags applies AWS's tag rules (keys 1..128, values up to 256
// characters, at most 50 tags).
func checkTags(tags map[string]string) error {
	if len(tags) > 50 {
		return apiErr(CodeTooManyTags, "Too many tags: a resource can have at most 50 tags")
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 {
			return apiErr(CodeValidationException, "1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", k)
		}
		if len(v) > 256 {
			return apiErr(CodeValidationException, "1 validation error detected: Value '%s' at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256", v)
		}
	}
	return nil
}

// TagResource adds (or replaces) tags on a state machine or activity.
func (e *Engine) TagResource(ctx context.Context, arn string, tags map[string]string) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	if err := e.checkTaggable(arn); err != nil {
		return err
	}
	return e.store.tagResource(ctx, arn, tags, nil)
}

// UntagResource removes tags from a state machine or activity.
func (e *Engine) UntagResource(ctx context.Context, arn string, keys []string) error {
	if err := e.checkTaggable(arn); err != nil {
		return err
	}
	return e.store.tagResource(ctx, arn, nil, keys)
}

// ListTagsForResource returns a state machine's or activity's tags, by key.
func (e *Engine) ListTagsForResource(ctx context.Context, arn string) ([]Tag, error) {
	if err := e.checkTaggable(arn); err != nil {
		return nil, err
	}
	return e.store.listTags(ctx, arn)
}

// checkTaggable checks that arn names a state machine or an activity.
func (e *Engine) checkTaggable(arn string) error {
	if strings.Contains(arn, ":activity:") {
		return e.checkARN(arn, "activity")
	}
	return e.checkARN(arn, "stateMachine")
}
