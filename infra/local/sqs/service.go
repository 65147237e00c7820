package sqs

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"net/http"
	"slices"

	"loanflow/infra/local/awsjson"
)

// TargetPrefix is the X-Amz-Target prefix of the SQS JSON protocol.
const TargetPrefix = "AmazonSQS"

// Service returns the SQS JSON protocol adapter (X-Amz-Target "AmazonSQS.*").
// The SQS actions it does not serve (Operations lists those it does)
// answer as AWS answers an operation it does not know: HTTP 400,
// UnknownOperationException.
func (b *Broker) Service() *awsjson.Service {
	ops := b.ops()
	for _, name := range unservedOperations {
		ops[name] = func(context.Context, []byte) (any, error) {
			return nil, unknownOperation(name)
		}
	}
	return &awsjson.Service{TargetPrefix: TargetPrefix, JSONVersion: "1.0", Ops: ops}
}

// ops are the operations the adapter serves.
func (b *Broker) ops() map[string]awsjson.Operation {
	return map[string]awsjson.Operation{
		"CreateQueue":                  op(b.apiCreateQueue),
		"GetQueueUrl":                  op(b.apiGetQueueURL),
		"ListQueues":                   op(b.apiListQueues),
		"DeleteQueue":                  op(b.apiDeleteQueue),
		"GetQueueAttributes":           op(b.apiGetQueueAttributes),
		"SetQueueAttributes":           op(b.apiSetQueueAttributes),
		"PurgeQueue":                   op(b.apiPurgeQueue),
		"ListDeadLetterSourceQueues":   op(b.apiListDeadLetterSourceQueues),
		"StartMessageMoveTask":         op(b.apiStartMessageMoveTask),
		"ListMessageMoveTasks":         op(b.apiListMessageMoveTasks),
		"CancelMessageMoveTask":        op(b.apiCancelMessageMoveTask),
		"TagQueue":                     op(b.apiTagQueue),
		"UntagQueue":                   op(b.apiUntagQueue),
		"ListQueueTags":                op(b.apiListQueueTags),
		"SendMessage":                  op(b.apiSendMessage),
		"SendMessageBatch":             op(b.apiSendMessageBatch),
		"ReceiveMessage":               op(b.apiReceiveMessage),
		"DeleteMessage":                op(b.apiDeleteMessage),
		"DeleteMessageBatch":           op(b.apiDeleteMessageBatch),
		"ChangeMessageVisibility":      op(b.apiChangeMessageVisibility),
		"ChangeMessageVisibilityBatch": op(b.apiChangeMessageVisibilityBatch),
	}
}

// Operations returns the names of the SQS actions Service serves, sorted:
// the operation registry the README's table is made from.
func Operations() []string {
	return slices.Sorted(maps.Keys((*Broker)(nil).ops()))
}

// unservedOperations are the actions of the SQS API (botocore's sqs
// service model) that Service does not serve.
var unservedOperations = []string{"AddPermission", "RemovePermission"}

// unknownOperation is AWS SQS's answer to an operation it does not know:
// HTTP 400 with the body {"__type":"com.amazon.coral.service#UnknownOperationException"}
// and no x-amzn-query-error header (a capture of AWS's answer is in
// aws-sdk-rust issue 957). AWS sends no message; this one says why.
func unknownOperation(name string) error {
	return &awsjson.Error{Code: "com.amazon.coral.service#UnknownOperationException", Status: http.StatusBadRequest,
		Message: TargetPrefix + "." + name + " is not served by the loanflow local stack's SQS."}
}

// op adapts a typed handler: it decodes the request and maps errors to AWS's.
// A request with a string that decoding would silently change (invalid
// UTF-8, an escaped lone surrogate) is refused first: see checkRawRequest.
func op[In any](fn func(ctx context.Context, in *In) (any, error)) awsjson.Operation {
	return func(ctx context.Context, body []byte) (any, error) {
		if err := checkRawRequest(body); err != nil {
			return nil, toAWS(err)
		}
		var in In
		if err := awsjson.Decode(body, &in); err != nil {
			return nil, err
		}
		out, err := fn(ctx, &in)
		if err != nil {
			return nil, toAWS(err)
		}
		return out, nil
	}
}

// queryCodes are the codes of SQS's query protocol, sent in
// x-amzn-query-error for query-compatible clients (the aws CLI, SDK v2).
var queryCodes = map[error]string{
	ErrQueueDoesNotExist:            "AWS.SimpleQueueService.NonExistentQueue",
	ErrQueueNameExists:              "QueueAlreadyExists",
	ErrUnsupportedOperation:         "AWS.SimpleQueueService.UnsupportedOperation",
	ErrPurgeQueueInProgress:         "AWS.SimpleQueueService.PurgeQueueInProgress",
	ErrQueueDeletedRecently:         "AWS.SimpleQueueService.QueueDeletedRecently",
	errTooManyEntriesInBatchRequest: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
	errEmptyBatchRequest:            "AWS.SimpleQueueService.EmptyBatchRequest",
	errBatchEntryIdsNotDistinct:     "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
	errInvalidBatchEntryID:          "AWS.SimpleQueueService.InvalidBatchEntryId",
	errBatchRequestTooLong:          "AWS.SimpleQueueService.BatchRequestTooLong",
}

// statuses are the HTTP statuses of the errors that are not 400.
var statuses = map[error]int{
	ErrResourceNotFound:     http.StatusNotFound,
	ErrPurgeQueueInProgress: http.StatusForbidden,
}

// toAWS turns a Broker error into the AWS error the protocol sends; other
// errors pass through and become an InternalFailure.
func toAWS(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	code := e.Kind.Error()
	qc, ok := queryCodes[e.Kind]
	if !ok {
		qc = code
	}
	status, ok := statuses[e.Kind]
	if !ok {
		status = http.StatusBadRequest
	}
	return &awsjson.Error{Code: code, Message: e.Message, Status: status, QueryCode: qc}
}

// entryFailure is a failed batch entry.
type entryFailure struct {
	ID          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message"`
}

func failure(id string, err error) entryFailure {
	var e *Error
	if errors.As(err, &e) {
		return entryFailure{ID: id, SenderFault: true, Code: e.Kind.Error(), Message: e.Message}
	}
	return entryFailure{ID: id, Code: "InternalError", Message: "internal error"}
}

func (b *Broker) queueName(queueURL string) (string, error) {
	if queueURL == "" {
		return "", fail(ErrMissingParameter, "The request must contain the parameter QueueUrl.")
	}
	return NameFromURL(queueURL), nil
}

func encodeToken(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeToken(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", invalidParam("NextToken", s, "Invalid NextToken value.")
	}
	return string(b), nil
}
