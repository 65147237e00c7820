// Package integrations connects the local stack's services to each other the
// way AWS does: Step Functions task integrations (sqs:sendMessage,
// lambda:invoke, events:putEvents, bare function ARNs) and EventBridge rule
// targets (Lambda functions, SQS queues, SNS topics and state machines), each
// with AWS's result and error shapes.
package integrations

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"loanflow/infra/local/asl"
	"loanflow/infra/local/eventbus"
	"loanflow/infra/local/functions"
	"loanflow/infra/local/internal/ids"
	"loanflow/infra/local/sfn"
	"loanflow/infra/local/sns"
	"loanflow/infra/local/sqs"
)

// Queues is what the integrations need of the local SQS.
type Queues interface {
	Send(ctx context.Context, name string, msgs ...sqs.NewMessage) ([]sqs.Sent, error)
}

// Functions is what the integrations need of the local Lambda.
type Functions interface {
	Invoke(ctx context.Context, nameOrARN string, payload []byte) ([]byte, error)
}

// Bus is what the integrations need of the local EventBridge.
type Bus interface {
	PutEvents(ctx context.Context, entries []eventbus.Entry) ([]eventbus.Result, int, error)
}

// Topics is what the integrations need of the local SNS.
type Topics interface {
	Publish(ctx context.Context, topicARN, subject, message string, attrs map[string]sns.MessageAttribute) (string, error)
}

var _ Topics = (*sns.Service)(nil)

// Executions is what the integrations need of the local Step Functions.
type Executions interface {
	StartExecution(ctx context.Context, smARN, name, input string) (string, time.Time, error)
}

var _ Executions = (*sfn.Engine)(nil)

// Hub implements asl.Invoker, eventbus.Deliverer and eventbus.DeadLetterer.
type Hub struct {
	Queues    Queues
	Functions Functions
	Bus       Bus
	// Executions starts the executions of state machine rule targets.
	Executions Executions
	// Topics publishes to SNS topic rule targets.
	Topics Topics
}

var (
	_ asl.Invoker           = (*Hub)(nil)
	_ eventbus.Deliverer    = (*Hub)(nil)
	_ eventbus.DeadLetterer = (*Hub)(nil)
)

// Invoke runs one Task state integration.
func (h *Hub) Invoke(ctx context.Context, call asl.TaskCall) (any, error) {
	switch {
	case strings.HasPrefix(call.Resource, "arn:aws:lambda:"):
		return h.invokeBareFunction(ctx, call)
	case call.Service == "sqs" && call.Action == "sendMessage":
		return h.sendMessage(ctx, call)
	case call.Service == "lambda" && call.Action == "invoke":
		return h.invokeLambda(ctx, call)
	case call.Service == "events" && call.Action == "putEvents":
		return h.putEvents(ctx, call)
	}
	return nil, &asl.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf("The resource %s is not supported by the loanflow local stack", call.Resource)}
}

func params(call asl.TaskCall) map[string]any {
	m, _ := call.Parameters.(map[string]any)
	return m
}

// sendMessage is the sqs:sendMessage integration: the task's parameters are
// SendMessage's (QueueUrl, MessageBody, DelaySeconds, MessageAttributes,
// MessageGroupId, MessageDeduplicationId; API reference, SendMessage, and
// the Step Functions guide, "Send messages to an Amazon SQS queue"), so a
// state machine can send to a FIFO queue. Its result is SendMessage's
// answer: MD5OfMessageAttributes when there are attributes, SequenceNumber
// on a FIFO queue.
func (h *Hub) sendMessage(ctx context.Context, call asl.TaskCall) (any, error) {
	p := params(call)
	url, _ := p["QueueUrl"].(string)
	if url == "" {
		return nil, sqsError(&sqs.Error{Kind: sqs.ErrMissingParameter, Message: "The request must contain the parameter QueueUrl."})
	}
	var body string
	switch b := p["MessageBody"].(type) {
	case string:
		body = b
	case nil:
		return nil, sqsError(&sqs.Error{Kind: sqs.ErrMissingParameter, Message: "The request must contain the parameter MessageBody."})
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, &asl.TaskError{Name: "States.Runtime", Cause: "MessageBody is not serialisable: " + err.Error()}
		}
		body = string(raw)
	}
	msg := sqs.NewMessage{Body: body}
	msg.GroupID, _ = p["MessageGroupId"].(string)
	msg.DeduplicationID, _ = p["MessageDeduplicationId"].(string)
	if d, ok := number(p["DelaySeconds"]); ok {
		delay := time.Duration(d) * time.Second
		msg.Delay = &delay
	}
	if attrs, ok := p["MessageAttributes"].(map[string]any); ok {
		msg.Attributes = map[string]sqs.MessageAttribute{}
		for k, v := range attrs {
			a, _ := v.(map[string]any)
			ma := sqs.MessageAttribute{}
			ma.DataType, _ = a["DataType"].(string)
			ma.StringValue, _ = a["StringValue"].(string)
			if b, ok := a["BinaryValue"].(string); ok {
				raw, err := base64.StdEncoding.DecodeString(b)
				if err != nil {
					return nil, &asl.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf("MessageAttributes.%s.BinaryValue is not base64: %v", k, err)}
				}
				ma.BinaryValue = raw
			}
			msg.Attributes[k] = ma
		}
	}
	sent, err := h.Queues.Send(ctx, sqs.NameFromURL(url), msg)
	if err != nil {
		return nil, sqsError(err)
	}
	out := map[string]any{"MessageId": sent[0].MessageID, "MD5OfMessageBody": sent[0].MD5OfBody}
	if sent[0].MD5OfAttributes != "" {
		out["MD5OfMessageAttributes"] = sent[0].MD5OfAttributes
	}
	if sent[0].SequenceNumber != "" {
		out["SequenceNumber"] = sent[0].SequenceNumber
	}
	return out, nil
}

// sqsError is the task error of a failed sqs:sendMessage as Step Functions
// reports it: every SQS error is SQS.AmazonSQSException, the cause is the
// SDK's rendering with SQS's error code ("The request must contain the
// parameter MessageBody. (Service: AmazonSQS; Status Code: 400; Error
// Code: MissingParameter; Request ID: ...; Proxy: null)": LocalStack's
// test_task_service_sqs snapshots, recorded against AWS). The code is the
// one SQS's query protocol names, as the SDK Step Functions uses reads it.
func sqsError(err error) error {
	var e *sqs.Error
	if !errors.As(err, &e) {
		return &asl.TaskError{Name: "SQS.AmazonSQSException", Cause: fmt.Sprintf("%v (Service: AmazonSQS; Status Code: 500; Error Code: InternalError; Request ID: %s; Proxy: null)", err, ids.UUID())}
	}
	code := e.Kind.Error()
	if errors.Is(err, sqs.ErrQueueDoesNotExist) {
		code = "AWS.SimpleQueueService.NonExistentQueue"
	}
	return &asl.TaskError{Name: "SQS.AmazonSQSException",
		Cause: fmt.Sprintf("%s (Service: AmazonSQS; Status Code: 400; Error Code: %s; Request ID: %s; Proxy: null)", e.Message, code, ids.UUID())}
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}

// functionError turns a local function failure into the error Step Functions reports.
func functionError(fn string, err error) error {
	var fe *functions.Error
	switch {
	case errors.As(err, &fe):
		return &asl.TaskError{Name: fe.Type, Cause: string(functions.MarshalError(fe))}
	case errors.Is(err, functions.ErrNotFound):
		return &asl.TaskError{Name: "Lambda.ResourceNotFoundException", Cause: fmt.Sprintf("Function not found: %s (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException)", fn)}
	case errors.Is(err, functions.ErrThrottled):
		return &asl.TaskError{Name: "Lambda.TooManyRequestsException", Cause: "Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException)"}
	}
	return &asl.TaskError{Name: "Lambda.ServiceException", Cause: err.Error()}
}

func payloadOf(v any) ([]byte, error) {
	switch p := v.(type) {
	case nil:
		return []byte("{}"), nil
	case string:
		if json.Valid([]byte(p)) {
			return []byte(p), nil
		}
	}
	return json.Marshal(v)
}

func (h *Hub) invokeLambda(ctx context.Context, call asl.TaskCall) (any, error) {
	p := params(call)
	fn, _ := p["FunctionName"].(string)
	if fn == "" {
		return nil, &asl.TaskError{Name: "Lambda.InvalidParameterValueException", Cause: "FunctionName is required"}
	}
	payload, err := payloadOf(p["Payload"])
	if err != nil {
		return nil, &asl.TaskError{Name: "States.Runtime", Cause: "Payload is not serialisable: " + err.Error()}
	}
	if it, _ := p["InvocationType"].(string); it == "Event" {
		go func() { _, _ = h.Functions.Invoke(context.WithoutCancel(ctx), fn, payload) }()
		return map[string]any{"Payload": "", "StatusCode": 202}, nil
	}
	out, err := h.Functions.Invoke(ctx, fn, payload)
	if err != nil {
		return nil, functionError(fn, err)
	}
	var decoded any = ""
	if len(out) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(out)))
		dec.UseNumber()
		if err := dec.Decode(&decoded); err != nil {
			decoded = string(out)
		}
	}
	return map[string]any{"ExecutedVersion": "$LATEST", "Payload": decoded, "StatusCode": 200,
		"SdkHttpMetadata": map[string]any{"HttpStatusCode": 200}}, nil
}

func (h *Hub) invokeBareFunction(ctx context.Context, call asl.TaskCall) (any, error) {
	payload, err := payloadOf(call.Parameters)
	if err != nil {
		return nil, &asl.TaskError{Name: "States.Runtime", Cause: "input is not serialisable: " + err.Error()}
	}
	out, err := h.Functions.Invoke(ctx, call.Resource, payload)
	if err != nil {
		return nil, functionError(call.Resource, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(out), nil
	}
	return v, nil
}

func (h *Hub) putEvents(ctx context.Context, call asl.TaskCall) (any, error) {
	p := params(call)
	raw, _ := p["Entries"].([]any)
	if len(raw) == 0 {
		return nil, &asl.TaskError{Name: "EventBridge.AmazonEventBridgeException", Cause: "Entries is required"}
	}
	var entries []eventbus.Entry
	for _, r := range raw {
		m, _ := r.(map[string]any)
		e := eventbus.Entry{}
		e.Source, _ = m["Source"].(string)
		e.DetailType, _ = m["DetailType"].(string)
		e.EventBusName, _ = m["EventBusName"].(string)
		if rs, ok := m["Resources"].([]any); ok {
			for _, r := range rs {
				if s, ok := r.(string); ok {
					e.Resources = append(e.Resources, s)
				}
			}
		}
		// The optimized integration appends the execution and its state
		// machine to every entry's Resources.
		e.Resources = append(e.Resources, call.ExecutionARN, call.StateMachineARN)
		switch d := m["Detail"].(type) {
		case string:
			e.Detail = d
		default:
			b, err := json.Marshal(d)
			if err != nil {
				return nil, &asl.TaskError{Name: "States.Runtime", Cause: "Detail is not serialisable"}
			}
			e.Detail = string(b)
		}
		entries = append(entries, e)
	}
	res, failed, err := h.Bus.PutEvents(ctx, entries)
	if err != nil {
		return nil, &asl.TaskError{Name: "EventBridge.AmazonEventBridgeException", Cause: err.Error()}
	}
	out := make([]any, len(res))
	for i, r := range res {
		if r.ErrorCode != "" {
			out[i] = map[string]any{"ErrorCode": r.ErrorCode, "ErrorMessage": r.ErrorMessage}
		} else {
			out[i] = map[string]any{"EventId": r.EventID}
		}
	}
	result := map[string]any{"Entries": out, "FailedEntryCount": failed}
	if failed > 0 {
		b, _ := json.Marshal(result)
		return nil, &asl.TaskError{Name: "EventBridge.FailedEntry", Cause: string(b)}
	}
	return result, nil
}

// Deliver invokes an EventBridge rule target (asynchronous invocation for a
// function: its error counts as a failed delivery).
func (h *Hub) Deliver(ctx context.Context, targetARN string, event []byte) error {
	switch {
	case strings.HasPrefix(targetARN, "arn:aws:lambda:"):
		_, err := h.Functions.Invoke(ctx, targetARN, event)
		return err
	case strings.HasPrefix(targetARN, "arn:aws:sqs:"):
		_, err := h.Queues.Send(ctx, queueName(targetARN), sqs.NewMessage{Body: string(event)})
		return err
	case strings.HasPrefix(targetARN, "arn:aws:sns:"):
		// As EventBridge does: the event (or its shaped input) is the
		// message, without a subject.
		if h.Topics == nil {
			return fmt.Errorf("target %s: no SNS is wired to the event bus", targetARN)
		}
		_, err := h.Topics.Publish(ctx, targetARN, "", string(event), nil)
		return err
	case strings.HasPrefix(targetARN, "arn:aws:states:") && strings.Contains(targetARN, ":stateMachine:"):
		// As EventBridge does: a new execution with a generated name, whose
		// input is the event (or what the target's input settings made of it).
		if h.Executions == nil {
			return fmt.Errorf("target %s: no Step Functions engine is wired to the event bus", targetARN)
		}
		_, _, err := h.Executions.StartExecution(ctx, targetARN, "", string(event))
		return err
	}
	return fmt.Errorf("target %s: only Lambda functions, SQS queues, SNS topics and state machines are supported locally", targetARN)
}

// SendToDLQ sends an undeliverable event to a dead-letter queue with
// EventBridge's message attributes.
func (h *Hub) SendToDLQ(ctx context.Context, queueARN string, event []byte, attrs map[string]string) error {
	ma := map[string]sqs.MessageAttribute{}
	for k, v := range attrs {
		dt := "String"
		if k == "RETRY_ATTEMPTS" {
			dt = "Number"
		}
		ma[k] = sqs.MessageAttribute{DataType: dt, StringValue: v}
	}
	_, err := h.Queues.Send(ctx, queueName(queueARN), sqs.NewMessage{Body: string(event), Attributes: ma})
	if err != nil {
		return fmt.Errorf("send to DLQ %s: %w", queueARN, err)
	}
	return nil
}

func queueName(arn string) string {
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
