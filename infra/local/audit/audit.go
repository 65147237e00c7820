// Package audit records the AWS calls that each principal makes on the local
// stack: which function, state machine, API integration, event rule or rule
// target role called which action on which resource. Checked against the
// IAM policies of the synthesized templates, the record proves the
// template grants what the system does (test/template).
//
// The stack learns who is calling as AWS does: each principal's SDK clients
// sign with an access key id of their own (AccessKeyID), and the SigV4
// Authorization header of every request names it (FromRequest). Calls that
// no SDK makes (a state machine's task integrations, the event bus's
// deliveries, the webhook's integration) are recorded where the stack makes
// them. A nil *Recorder records nothing, so a stack without one pays a nil
// check per call.
package audit

import (
	"net/http"
	"sort"
	"strings"
	"sync"
)

// Kinds of principal.
const (
	// KindFunction is a Lambda function's execution role; Name is the
	// function's name.
	KindFunction = "function"
	// KindStateMachine is a state machine's role; Name is its name.
	KindStateMachine = "stateMachine"
	// KindIntegration is an API Gateway integration's credentials role;
	// Name names the API ("webhook").
	KindIntegration = "integration"
	// KindTargetRole is the role an EventBridge rule target is invoked
	// with; Name is the role's ARN.
	KindTargetRole = "targetRole"
	// KindService is an AWS service acting on a resource whose own policy
	// must allow it (EventBridge invoking a function, API Gateway invoking
	// its integration); Name is the service principal
	// ("events.amazonaws.com") and Call.SourceARN what it acts for.
	KindService = "service"
	// KindCaller is anyone else (a CLI, a test, the stack deploying
	// itself); Name is the access key id, "" when unsigned.
	KindCaller = "caller"
)

// Principal is who makes a call.
type Principal struct {
	Kind string
	Name string
}

func (p Principal) String() string { return p.Kind + " " + p.Name }

// Function is the principal of a Lambda function's calls.
func Function(name string) Principal { return Principal{Kind: KindFunction, Name: name} }

// StateMachine is the principal of a state machine's task integrations.
func StateMachine(name string) Principal { return Principal{Kind: KindStateMachine, Name: name} }

// Service is an AWS service principal, acting for a resource's policy.
func Service(name string) Principal { return Principal{Kind: KindService, Name: name} }

// Service principals.
const (
	ServiceEvents     = "events.amazonaws.com"
	ServiceAPIGateway = "apigateway.amazonaws.com"
)

// Call is one kind of AWS call: the same principal, action, resource and
// source make one Call however often they happen.
type Call struct {
	Principal Principal
	// Action is the IAM action, e.g. "sqs:SendMessage".
	Action string
	// Resource is the ARN the action is authorized on ("*" for actions
	// without a resource).
	Resource string
	// SourceARN is aws:SourceArn for a service principal: the rule or the
	// API route it acts for.
	SourceARN string
}

// Entry is a recorded call and how many times it happened.
type Entry struct {
	Call
	Count int
}

// Recorder collects calls; it is safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	counts map[Call]int
	tokens map[string]string // task token -> state machine ARN
}

// New returns an empty recorder.
func New() *Recorder { return &Recorder{counts: map[Call]int{}, tokens: map[string]string{}} }

// Enabled reports whether calls are recorded (r is not nil).
func (r *Recorder) Enabled() bool { return r != nil }

// Record adds one call.
func (r *Recorder) Record(c Call) {
	if r == nil {
		return
	}
	if c.Resource == "" {
		c.Resource = "*"
	}
	r.mu.Lock()
	r.counts[c]++
	r.mu.Unlock()
}

// Calls returns every call recorded so far, sorted by principal, action and
// resource.
func (r *Recorder) Calls() []Entry {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	out := make([]Entry, 0, len(r.counts))
	for c, n := range r.counts {
		out = append(out, Entry{Call: c, Count: n})
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Principal != b.Principal {
			return a.Principal.String() < b.Principal.String()
		}
		if a.Action != b.Action {
			return a.Action < b.Action
		}
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		return a.SourceARN < b.SourceARN
	})
	return out
}

// RememberToken notes the state machine a task token was issued for:
// Step Functions authorizes SendTaskSuccess and its siblings on it.
func (r *Recorder) RememberToken(token, stateMachineARN string) {
	if r == nil || token == "" {
		return
	}
	r.mu.Lock()
	r.tokens[token] = stateMachineARN
	r.mu.Unlock()
}

// TokenOwner is the state machine a token was issued for.
func (r *Recorder) TokenOwner(token string) (string, bool) {
	if r == nil {
		return "", false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	arn, ok := r.tokens[token]
	return arn, ok
}

// keyPrefix starts every access key id this package issues.
const keyPrefix = "loanflow:"

// AccessKeyID is the access key id the principal's SDK clients sign with:
// the principal's kind and name, so that the stack can tell who calls.
func AccessKeyID(p Principal) string { return keyPrefix + p.Kind + ":" + p.Name }

// FromAccessKey is the principal an access key id names; a key this
// package did not issue is a KindCaller.
func FromAccessKey(id string) Principal {
	if rest, ok := strings.CutPrefix(id, keyPrefix); ok {
		if kind, name, ok := strings.Cut(rest, ":"); ok && kind != "" && name != "" {
			return Principal{Kind: kind, Name: name}
		}
	}
	return Principal{Kind: KindCaller, Name: id}
}

// FromRequest is the principal whose access key signed r: from the
// Authorization header's Credential, or a presigned URL's X-Amz-Credential.
func FromRequest(r *http.Request) Principal {
	return FromAccessKey(AccessKeyOf(r))
}

// AccessKeyOf is the access key id that signed r, "" when unsigned.
func AccessKeyOf(r *http.Request) string {
	cred := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "AWS4-") {
		for _, part := range strings.Split(h, ",") {
			part = strings.TrimSpace(part)
			if i := strings.Index(part, "Credential="); i >= 0 {
				cred = part[i+len("Credential="):]
				break
			}
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	key, _, _ := strings.Cut(cred, "/")
	return key
}
