package local

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/audit"
	"loanflow/infra/local/awsjson"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/functions"
	"loanflow/infra/local/sns"
	"loanflow/infra/local/sqs"
	"loanflow/infra/local/webhook"
)

// MockServiceAPIID is the local mock valuation service's HTTP API id: its
// execute-api ARNs name it, as the cloud API's id names them.
const MockServiceAPIID = "loanflowmock"

// WebhookIntegration is the principal of the webhook's events:PutEvents
// integration (its credentials role on AWS).
var WebhookIntegration = audit.Principal{Kind: audit.KindIntegration, Name: "webhook"}

// NotificationsPublisherRoleARN is the role the loan-referred rule publishes
// to the notifications topic with, as the cloud rule does.
const NotificationsPublisherRoleARN = "arn:aws:iam::" + AccountID + ":role/loan-notifications-publisher"

// Audit is the recorder the stack was started with (nil when none).
func (s *Stack) Audit() *audit.Recorder { return s.audit }

// mockRouteARN is the execute-api ARN of a route of the mock's API, which
// callers need execute-api:Invoke on.
func (s *Stack) mockRouteARN(method, path string) string {
	return fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/$default/%s/%s", s.Region, AccountID, MockServiceAPIID, method, strings.TrimPrefix(path, "/"))
}

// auditJSON records, before next serves it, who makes each AWS JSON
// protocol request, its IAM action and the resources it acts on.
func (s *Stack) auditJSON(next http.Handler) http.Handler {
	if !s.audit.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, awsjson.MaxBody+1))
		r.Body = replay{Reader: io.MultiReader(bytes.NewReader(body), r.Body), Closer: r.Body}
		if err == nil {
			prefix, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
			who := audit.FromRequest(r)
			for _, c := range s.jsonCalls(prefix, op, body) {
				c.Principal = who
				s.audit.Record(c)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// auditSNS records SNS query-protocol requests as auditJSON does.
func (s *Stack) auditSNS(next http.Handler) http.Handler {
	if !s.audit.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost || r.Method == http.MethodGet {
			body, err := io.ReadAll(io.LimitReader(r.Body, sns.MaxBody+1))
			r.Body = replay{Reader: io.MultiReader(bytes.NewReader(body), r.Body), Closer: r.Body}
			form, _ := url.ParseQuery(string(body))
			for k, v := range r.URL.Query() {
				form[k] = append(form[k], v...)
			}
			if action := form.Get("Action"); err == nil && action != "" {
				resource := form.Get("TopicArn")
				if resource == "" {
					resource = form.Get("TargetArn")
				}
				s.audit.Record(audit.Call{Principal: audit.FromRequest(r), Action: "sns:" + action, Resource: resource})
			}
		}
		next.ServeHTTP(w, r)
	})
}

// auditMockAPI records the calls to the mock's IAM-authorized HTTP API:
// the caller's execute-api:Invoke on the route, and API Gateway's
// invocation of the route's function, which the function's policy must
// allow for that route.
func (s *Stack) auditMockAPI(next http.Handler) http.Handler {
	if !s.audit.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, MockServicePathPrefix)
		route := s.mockRouteARN(r.Method, path)
		s.audit.Record(audit.Call{Principal: audit.FromRequest(r), Action: "execute-api:Invoke", Resource: route})
		if r.Method == http.MethodPost && path == "/valuations" {
			s.audit.Record(audit.Call{Principal: audit.Service(audit.ServiceAPIGateway), Action: "lambda:InvokeFunction",
				Resource: s.Functions.ARN(FnServiceAPI), SourceARN: route})
		}
		next.ServeHTTP(w, r)
	})
}

type replay struct {
	io.Reader
	io.Closer
}

// iamPrefixes maps an AWS JSON target prefix to its service's IAM prefix.
var iamPrefixes = map[string]string{
	"AWSStepFunctions":  "states",
	"AmazonSQS":         "sqs",
	"AWSEvents":         "events",
	"DynamoDB_20120810": "dynamodb",
	"secretsmanager":    "secretsmanager",
	"AmazonSSM":         "ssm",
}

// batchActions are operations IAM authorizes as another action.
var batchActions = map[string]string{
	"sqs:SendMessageBatch":             "sqs:SendMessage",
	"sqs:DeleteMessageBatch":           "sqs:DeleteMessage",
	"sqs:ChangeMessageVisibilityBatch": "sqs:ChangeMessageVisibility",
}

// jsonRequest holds the request members that name resources, in every
// service's spelling (json matches member names case-insensitively).
type jsonRequest struct {
	StateMachineARN                      string `json:"StateMachineArn"`
	ExecutionARN                         string `json:"ExecutionArn"`
	TaskToken                            string
	Name, QueueURL, QueueName, TableName string
	SecretID, EventBusName, Rule         string
	Names                                []string
	Entries                              []struct{ EventBusName string }
	RequestItems                         map[string]json.RawMessage
	TransactItems                        []map[string]struct{ TableName string }
}

// jsonCalls are the IAM actions and resources of one AWS JSON request.
func (s *Stack) jsonCalls(prefix, op string, body []byte) []audit.Call {
	svc := iamPrefixes[prefix]
	if svc == "" || op == "" {
		return nil
	}
	var in jsonRequest
	_ = json.Unmarshal(body, &in)
	action := svc + ":" + op
	if a, ok := batchActions[action]; ok {
		action = a
	}
	one := func(resource string) []audit.Call { return []audit.Call{{Action: action, Resource: resource}} }
	switch svc {
	case "states":
		switch {
		case strings.HasPrefix(op, "SendTask"):
			owner, ok := s.audit.TokenOwner(in.TaskToken)
			if !ok {
				owner = fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:(unknown task token)", s.Region, AccountID)
			}
			return one(owner)
		case op == "CreateStateMachine":
			return one(fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", s.Region, AccountID, in.Name))
		case in.StateMachineARN != "":
			return one(in.StateMachineARN)
		case in.ExecutionARN != "":
			return one(in.ExecutionARN)
		}
	case "sqs":
		switch {
		case in.QueueURL != "":
			return one(s.Queues.QueueARN(sqs.NameFromURL(in.QueueURL)))
		case in.QueueName != "":
			return one(s.Queues.QueueARN(in.QueueName))
		}
	case "events":
		switch {
		case op == "PutEvents":
			var out []audit.Call
			seen := map[string]bool{}
			for _, e := range in.Entries {
				if arn := s.busARN(e.EventBusName); !seen[arn] {
					seen[arn] = true
					out = append(out, audit.Call{Action: action, Resource: arn})
				}
			}
			return out
		case in.Rule != "" || (strings.Contains(op, "Rule") && in.Name != ""):
			return one(s.Bus.RuleARN(busName(in.EventBusName), firstNonEmpty(in.Rule, in.Name)))
		case strings.Contains(op, "EventBus"):
			return one(s.busARN(in.Name))
		}
	case "dynamodb":
		table := func(name string) string {
			return fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", s.Region, AccountID, name)
		}
		switch {
		case in.TableName != "":
			return one(table(in.TableName))
		case len(in.RequestItems) > 0:
			var out []audit.Call
			for name := range in.RequestItems {
				out = append(out, audit.Call{Action: action, Resource: table(name)})
			}
			return out
		case len(in.TransactItems) > 0:
			var out []audit.Call
			for _, item := range in.TransactItems {
				for kind, t := range item {
					a := map[string]string{"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
						"ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}[kind]
					if a != "" {
						out = append(out, audit.Call{Action: "dynamodb:" + a, Resource: table(t.TableName)})
					}
				}
			}
			return out
		}
	case "secretsmanager":
		if in.SecretID != "" {
			if arn, ok := s.Secrets.ARNOf(in.SecretID); ok {
				return one(arn)
			}
			if strings.HasPrefix(in.SecretID, "arn:") {
				return one(in.SecretID)
			}
			return one(fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s", s.Region, AccountID, in.SecretID))
		}
	case "ssm":
		switch {
		case in.Name != "":
			return one(s.Parameters.ARN(in.Name))
		case len(in.Names) > 0:
			var out []audit.Call
			for _, n := range in.Names {
				out = append(out, audit.Call{Action: action, Resource: s.Parameters.ARN(n)})
			}
			return out
		}
	}
	return one("*")
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func busName(nameOrARN string) string {
	if i := strings.LastIndex(nameOrARN, "event-bus/"); strings.HasPrefix(nameOrARN, "arn:") && i >= 0 {
		return nameOrARN[i+len("event-bus/"):]
	}
	if nameOrARN == "" {
		return "default"
	}
	return nameOrARN
}

func (s *Stack) busARN(nameOrARN string) string { return s.Bus.BusARN(busName(nameOrARN)) }

// auditTasks records the task integrations of the state machines: what the
// state machine's role is authorized for on AWS.
func (s *Stack) auditTasks(next asl.Invoker) asl.Invoker {
	if !s.audit.Enabled() {
		return next
	}
	return asl.InvokerFunc(func(ctx context.Context, call asl.TaskCall) (any, error) {
		s.audit.RememberToken(call.TaskToken, call.StateMachineARN)
		who := audit.StateMachine(call.StateMachineARN[strings.LastIndexByte(call.StateMachineARN, ':')+1:])
		p, _ := call.Parameters.(map[string]any)
		str := func(k string) string { v, _ := p[k].(string); return v }
		record := func(action, resource string) {
			s.audit.Record(audit.Call{Principal: who, Action: action, Resource: resource})
		}
		switch {
		case strings.HasPrefix(call.Resource, "arn:aws:lambda:"):
			record("lambda:InvokeFunction", call.Resource)
		case call.Service == "sqs" && call.Action == "sendMessage":
			record("sqs:SendMessage", s.Queues.QueueARN(sqs.NameFromURL(str("QueueUrl"))))
		case call.Service == "lambda" && call.Action == "invoke":
			fn := str("FunctionName")
			if !strings.HasPrefix(fn, "arn:") {
				name, qualifier, _ := strings.Cut(fn, ":")
				fn = s.Functions.ARN(name)
				if qualifier != "" {
					fn += ":" + qualifier
				}
			}
			record("lambda:InvokeFunction", fn)
		case call.Service == "events" && call.Action == "putEvents":
			entries, _ := p["Entries"].([]any)
			for _, e := range entries {
				m, _ := e.(map[string]any)
				bus, _ := m["EventBusName"].(string)
				record("events:PutEvents", s.busARN(bus))
			}
		default:
			record(call.Service+":"+call.Action, "*")
		}
		return next.Invoke(ctx, call)
	})
}

// targets is what the event bus needs to deliver.
type targets interface {
	eventbus.Deliverer
	eventbus.DeadLetterer
}

// auditTargets records the event bus's deliveries: by the target's role
// when it has one, otherwise by EventBridge itself, which the target's
// resource policy must allow for the rule.
func (s *Stack) auditTargets(next targets) targets {
	if !s.audit.Enabled() {
		return next
	}
	return auditedTargets{next: next, s: s}
}

type auditedTargets struct {
	next targets
	s    *Stack
}

func (a auditedTargets) Deliver(ctx context.Context, targetARN string, event []byte) error {
	d, _ := eventbus.DeliveryFrom(ctx)
	who := audit.Service(audit.ServiceEvents)
	if d.RoleARN != "" {
		who = audit.Principal{Kind: audit.KindTargetRole, Name: d.RoleARN}
	}
	a.s.audit.Record(audit.Call{Principal: who, Action: targetAction(targetARN), Resource: targetARN, SourceARN: d.RuleARN})
	return a.next.Deliver(ctx, targetARN, event)
}

func (a auditedTargets) SendToDLQ(ctx context.Context, queueARN string, event []byte, attrs map[string]string) error {
	a.s.audit.Record(audit.Call{Principal: audit.Service(audit.ServiceEvents), Action: "sqs:SendMessage", Resource: queueARN,
		SourceARN: attrs["RULE_ARN"]})
	return a.next.SendToDLQ(ctx, queueARN, event, attrs)
}

// targetAction is the action a rule target's invocation is authorized as.
func targetAction(arn string) string {
	switch {
	case strings.HasPrefix(arn, "arn:aws:lambda:"):
		return "lambda:InvokeFunction"
	case strings.HasPrefix(arn, "arn:aws:sqs:"):
		return "sqs:SendMessage"
	case strings.HasPrefix(arn, "arn:aws:sns:"):
		return "sns:Publish"
	case strings.HasPrefix(arn, "arn:aws:states:"):
		return "states:StartExecution"
	}
	return "unknown:Invoke"
}

// auditPublisher records the webhook's integration publishing to the bus.
func (s *Stack) auditPublisher(next webhook.Publisher) webhook.Publisher {
	if !s.audit.Enabled() {
		return next
	}
	return auditedPublisher{next: next, s: s}
}

type auditedPublisher struct {
	next webhook.Publisher
	s    *Stack
}

func (p auditedPublisher) PutEvents(ctx context.Context, entries []eventbus.Entry) ([]eventbus.Result, int, error) {
	for _, e := range entries {
		p.s.audit.Record(audit.Call{Principal: WebhookIntegration, Action: "events:PutEvents", Resource: p.s.busARN(e.EventBusName)})
	}
	return p.next.PutEvents(ctx, entries)
}

// auditQueue records an event source mapping's polling, which Lambda does
// with the function's role.
func (s *Stack) auditQueue(next functions.Queue, fn string) functions.Queue {
	if !s.audit.Enabled() {
		return next
	}
	return auditedQueue{Queue: next, s: s, who: audit.Function(fn)}
}

type auditedQueue struct {
	functions.Queue
	s   *Stack
	who audit.Principal
}

func (q auditedQueue) Receive(ctx context.Context, name string, opt sqs.ReceiveOptions) ([]sqs.Message, error) {
	q.s.audit.Record(audit.Call{Principal: q.who, Action: "sqs:ReceiveMessage", Resource: q.QueueARN(name)})
	return q.Queue.Receive(ctx, name, opt)
}

func (q auditedQueue) DeleteBatch(ctx context.Context, name string, handles []string) ([]error, error) {
	q.s.audit.Record(audit.Call{Principal: q.who, Action: "sqs:DeleteMessage", Resource: q.QueueARN(name)})
	return q.Queue.DeleteBatch(ctx, name, handles)
}
