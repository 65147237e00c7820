package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"

	"loanflow/infra/local/awsjson"
)

// Service returns the DynamoDB JSON protocol adapter
// (X-Amz-Target "DynamoDB_20120810.*"), with CRC32 response checksums. An
// operation it does not serve (Operations lists those it does) answers
// UnknownOperationException, as DynamoDB answers one it does not know.
func (s *Store) Service() *awsjson.Service {
	return &awsjson.Service{TargetPrefix: "DynamoDB_20120810", JSONVersion: "1.0", CRC32: true, Ops: s.handlers(),
		Namespace: errorNamespace}
}

// errorNamespace is the namespace DynamoDB puts before an error code in
// __type: DynamoDB's own errors are com.amazonaws.dynamodb.v20120810#...,
// a request's ValidationException com.amazon.coral.validate#..., and the
// protocol's errors (a body that is not JSON, an unknown operation, a bad
// signature) com.amazon.coral.service#... (dynalite's index.js and
// db/index.js, recorded against DynamoDB). The SDKs and the aws CLI read
// the code after the '#'.
func errorNamespace(code string) string {
	switch code {
	case ErrValidation.Error():
		return "com.amazon.coral.validate"
	case "SerializationException", "UnknownOperationException", "MissingAuthenticationTokenException",
		"IncompleteSignatureException", "InvalidSignatureException", "UnrecognizedClientException", "AccessDeniedException":
		return "com.amazon.coral.service"
	}
	for _, kind := range []error{ErrResourceNotFound, ErrResourceInUse, ErrConditionalCheckFailed, ErrTransactionCanceled,
		ErrIdempotentParameterMismatch, ErrLimitExceeded} {
		if code == kind.Error() {
			return "com.amazonaws.dynamodb.v20120810"
		}
	}
	return ""
}

// handlers maps each operation the Store serves to its handler. It makes
// no use of s until a handler runs.
func (s *Store) handlers() map[string]awsjson.Operation {
	return map[string]awsjson.Operation{
		"CreateTable":        op(s.apiCreateTable),
		"DescribeTable":      op(s.apiDescribeTable),
		"UpdateTable":        op(s.apiUpdateTable),
		"DeleteTable":        op(s.apiDeleteTable),
		"ListTables":         op(s.apiListTables),
		"UpdateTimeToLive":   op(s.apiUpdateTimeToLive),
		"DescribeTimeToLive": op(s.apiDescribeTimeToLive),
		"PutItem":            op(s.PutItem),
		"GetItem":            op(s.GetItem),
		"UpdateItem":         op(s.UpdateItem),
		"DeleteItem":         op(s.DeleteItem),
		"Query":              op(s.Query),
		"Scan":               op(s.Scan),
		"BatchWriteItem":     op(s.BatchWriteItem),
		"BatchGetItem":       op(s.BatchGetItem),
		"TransactWriteItems": op(s.TransactWriteItems),
		"TransactGetItems":   op(s.TransactGetItems),
	}
}

// Operations lists, sorted, the DynamoDB operations the Store serves
// (through Service); any other answers UnknownOperationException.
func Operations() []string {
	return sortedKeys((*Store)(nil).handlers())
}

// op adapts a typed handler: it decodes the request (attribute value errors
// are ValidationExceptions) and maps errors to AWS's. A body nested deeper
// than any request whose values nest within DynamoDB's 32 levels is refused
// before it is decoded (see maxRequestDepth).
func op[In, Out any](fn func(ctx context.Context, in *In) (Out, error)) awsjson.Operation {
	return func(ctx context.Context, body []byte) (any, error) {
		if jsonDeeper(body, maxRequestDepth) {
			return nil, toAWS(validation("%s", msgNesting))
		}
		var in In
		if err := json.Unmarshal(body, &in); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return nil, toAWS(e)
			}
			return nil, awsjson.Decode(body, &in)
		}
		out, err := fn(ctx, &in)
		if err != nil {
			return nil, toAWS(err)
		}
		return out, nil
	}
}

// toAWS turns a Store error into the AWS error the protocol sends.
func toAWS(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	ae := &awsjson.Error{Code: e.Kind.Error(), Message: e.Message, Status: http.StatusBadRequest}
	if e.Item != nil {
		ae.Fields = map[string]any{"Item": e.Item}
	}
	if e.Reasons != nil {
		ae.Fields = map[string]any{"CancellationReasons": e.Reasons}
	}
	return ae
}

func (s *Store) apiCreateTable(ctx context.Context, in *CreateTableInput) (any, error) {
	d, err := s.CreateTable(ctx, in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": d}, nil
}

func (s *Store) apiUpdateTable(ctx context.Context, in *UpdateTableInput) (any, error) {
	d, err := s.UpdateTable(ctx, in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": d}, nil
}

type tableNameInput struct {
	TableName string `json:"TableName"`
}

func (s *Store) apiDescribeTable(ctx context.Context, in *tableNameInput) (any, error) {
	d, err := s.DescribeTable(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Table": d}, nil
}

func (s *Store) apiDeleteTable(ctx context.Context, in *tableNameInput) (any, error) {
	d, err := s.DeleteTable(ctx, in.TableName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"TableDescription": d}, nil
}

type listTablesInput struct {
	ExclusiveStartTableName string `json:"ExclusiveStartTableName"`
	Limit                   *int   `json:"Limit"`
}

type listTablesOutput struct {
	TableNames             []string `json:"TableNames"`
	LastEvaluatedTableName string   `json:"LastEvaluatedTableName,omitempty"`
}

func (s *Store) apiListTables(_ context.Context, in *listTablesInput) (any, error) {
	names := s.TableNames()
	if in.ExclusiveStartTableName != "" {
		i, found := slices.BinarySearch(names, in.ExclusiveStartTableName)
		if found {
			i++
		}
		names = names[i:]
	}
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 100 {
			return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100", *in.Limit)
		}
		limit = *in.Limit
	}
	out := listTablesOutput{TableNames: names}
	if len(names) > limit {
		out.TableNames = names[:limit]
		out.LastEvaluatedTableName = names[limit-1]
	}
	if out.TableNames == nil {
		out.TableNames = []string{}
	}
	return out, nil
}

type timeToLiveSpecification struct {
	Enabled       bool   `json:"Enabled"`
	AttributeName string `json:"AttributeName"`
}

type updateTimeToLiveInput struct {
	TableName               string                  `json:"TableName"`
	TimeToLiveSpecification timeToLiveSpecification `json:"TimeToLiveSpecification"`
}

func (s *Store) apiUpdateTimeToLive(ctx context.Context, in *updateTimeToLiveInput) (any, error) {
	spec := in.TimeToLiveSpecification
	if err := s.UpdateTimeToLive(ctx, in.TableName, spec.AttributeName, spec.Enabled); err != nil {
		return nil, err
	}
	return map[string]any{"TimeToLiveSpecification": spec}, nil
}

func (s *Store) apiDescribeTimeToLive(_ context.Context, in *tableNameInput) (any, error) {
	d, err := s.DescribeTimeToLive(in.TableName)
	if err != nil {
		return nil, err
	}
	return map[string]any{"TimeToLiveDescription": d}, nil
}
