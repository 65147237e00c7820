package local

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"loanflow/infra/local/audit"
	"loanflow/infra/local/awsjson"
)

// BenchmarkLoopbackPutItem is a DynamoDB PutItem through a function's SDK
// configuration, the loopback and the AWS JSON mux, answered by a canned
// operation: the cost of the in-process call path without the service's.
func BenchmarkLoopbackPutItem(b *testing.B) {
	mux := awsjson.NewMux(nil, &awsjson.Service{TargetPrefix: "DynamoDB_20120810", JSONVersion: "1.0", CRC32: true,
		Ops: map[string]awsjson.Operation{"PutItem": func(context.Context, []byte) (any, error) { return struct{}{}, nil }}})
	s := &Stack{Region: "us-east-1", loop: newLoopback(mux, roundTripFunc(toNext))}
	defer s.loop.target.close(0)
	cfg := s.awsConfigAs("http://127.0.0.1:4566", audit.Function("bench"))
	db := dynamodb.NewFromConfig(cfg)
	in := &dynamodb.PutItemInput{TableName: aws.String("tokens"), ConditionExpression: aws.String("attribute_not_exists(callbackId)"),
		Item: map[string]types.AttributeValue{
			"callbackId": &types.AttributeValueMemberS{Value: "cb-0123456789abcdef0123456789abcdef"},
			"token":      &types.AttributeValueMemberS{Value: strings.Repeat("AAAAQUFBQUFBQUFBQUFBQUFB", 25)},
			"status":     &types.AttributeValueMemberS{Value: "PENDING"},
			"expiresAt":  &types.AttributeValueMemberN{Value: "1767225600"},
		}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.PutItem(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}
