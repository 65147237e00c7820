package dynamo

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"loanflow/infra/local/awsjson"
)

func newSDKClient(t *testing.T, s *Store) *dynamodb.Client {
	t.Helper()
	srv := httptest.NewServer(awsjson.NewMux(slog.New(slog.DiscardHandler), s.Service()))
	t.Cleanup(srv.Close)
	return dynamodb.New(dynamodb.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("x", "x", ""),
		RetryMaxAttempts: 1,
	})
}

func TestSDKTokenStoreFlow(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Now()})
	c := newSDKClient(t, s)
	ctx := context.Background()
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("tokens"),
		BillingMode:          types.BillingModePayPerRequest,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("callbackId"), KeyType: types.KeyTypeHash}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("callbackId"), AttributeType: types.ScalarAttributeTypeS}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("tokens")})
	if err != nil || d.Table.TableStatus != types.TableStatusActive || aws.ToString(d.Table.TableArn) == "" || d.Table.CreationDateTime == nil {
		t.Fatalf("DescribeTable = %+v, %v", d, err)
	}
	lt, err := c.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil || len(lt.TableNames) != 1 {
		t.Fatalf("ListTables = %+v, %v", lt, err)
	}
	if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("tokens"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expiresAt"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("tokens")})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Fatalf("DescribeTimeToLive = %+v, %v", ttl, err)
	}
	item := map[string]types.AttributeValue{
		"callbackId": &types.AttributeValueMemberS{Value: "cb-1"},
		"token":      &types.AttributeValueMemberS{Value: "AQB8..."},
		"status":     &types.AttributeValueMemberS{Value: "PENDING"},
		"expiresAt":  &types.AttributeValueMemberN{Value: "4102444800"},
		"loan":       &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"amount": &types.AttributeValueMemberN{Value: "250000"}}},
		"flags":      &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"raw":        &types.AttributeValueMemberB{Value: []byte{1, 2}},
		"ok":         &types.AttributeValueMemberBOOL{Value: true},
		"nothing":    &types.AttributeValueMemberNULL{Value: true},
		"list":       &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberN{Value: "1"}}},
	}
	put := &dynamodb.PutItemInput{TableName: aws.String("tokens"), Item: item, ConditionExpression: aws.String("attribute_not_exists(callbackId)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
	if _, err := c.PutItem(ctx, put); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutItem(ctx, put)
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("duplicate put: %v", err)
	}
	if st, ok := ccf.Item["status"].(*types.AttributeValueMemberS); !ok || st.Value != "PENDING" {
		t.Errorf("ConditionalCheckFailedException.Item = %v", ccf.Item)
	}
	key := map[string]types.AttributeValue{"callbackId": &types.AttributeValueMemberS{Value: "cb-1"}}
	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("tokens"), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil || len(got.Item) != len(item) {
		t.Fatalf("GetItem = %+v, %v", got, err)
	}
	if raw := got.Item["raw"].(*types.AttributeValueMemberB); string(raw.Value) != "\x01\x02" {
		t.Errorf("binary attribute = %v", raw.Value)
	}
	up, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String("tokens"), Key: key,
		UpdateExpression:          aws.String("SET #s = :resolved, resolvedAt = :now, attempts = if_not_exists(attempts, :zero) + :one"),
		ConditionExpression:       aws.String("#s = :pending"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":resolved": &types.AttributeValueMemberS{Value: "RESOLVED"}, ":pending": &types.AttributeValueMemberS{Value: "PENDING"}, ":now": &types.AttributeValueMemberN{Value: "1700000000"}, ":zero": &types.AttributeValueMemberN{Value: "0"}, ":one": &types.AttributeValueMemberN{Value: "1"}},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := up.Attributes["attempts"].(*types.AttributeValueMemberN); n.Value != "1" || len(up.Attributes) != 3 {
		t.Errorf("UPDATED_NEW = %v", up.Attributes)
	}
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String("tokens"), Key: key, UpdateExpression: aws.String("SET #s = :resolved"), ConditionExpression: aws.String("#s = :pending"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":resolved": &types.AttributeValueMemberS{Value: "RESOLVED"}, ":pending": &types.AttributeValueMemberS{Value: "PENDING"}},
	})
	if !errors.As(err, &ccf) {
		t.Errorf("second resolve: %v", err)
	}
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("tokens"), KeyConditionExpression: aws.String("callbackId = :id"),
		ProjectionExpression:      aws.String("callbackId, loan.amount"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: "cb-1"}}})
	if err != nil || q.Count != 1 || len(q.Items[0]) != 2 {
		t.Fatalf("Query = %+v, %v", q, err)
	}
	sc, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("tokens"), Limit: aws.Int32(10)})
	if err != nil || sc.Count != 1 {
		t.Fatalf("Scan = %+v, %v", sc, err)
	}
	del, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("tokens"), Key: key, ReturnValues: types.ReturnValueAllOld})
	if err != nil || len(del.Attributes) == 0 {
		t.Fatalf("DeleteItem = %+v, %v", del, err)
	}
	_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("missing"), Key: key})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("missing table: %v", err)
	}
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("tokens"), Item: map[string]types.AttributeValue{
		"callbackId": &types.AttributeValueMemberN{Value: "1"}}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("key type mismatch: %v", err)
	}
	_, err = c.ExecuteStatement(ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT * FROM "tokens"`)})
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnknownOperationException" {
		t.Errorf("unserved ExecuteStatement: %v", err)
	}
	if _, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("tokens")}); err != nil {
		t.Fatal(err)
	}
}
