package dynamo

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

func counter(c *dynamodb.Client, t *testing.T, table, pk string) string {
	t.Helper()
	g, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: pkItem(pk)})
	if err != nil {
		t.Fatal(err)
	}
	return sdkN(g.Item, "n")
}

func addOne(table, pk string) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(table), Key: pkItem(pk), UpdateExpression: aws.String("ADD n :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": avN("1")}}}
}

// TestSDKTransactWriteItems: all actions or none; cancellation reasons one
// per action, worded as DynamoDB's; the limits.
func TestSDKTransactWriteItems(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	ctx := context.Background()
	twoTables(t, c)
	for _, pk := range []string{"locked", "victim"} {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("one"), Item: pkItem(pk, "status", "HELD")}); err != nil {
			t.Fatal(err)
		}
	}
	// Every kind of action, over two tables.
	out, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		TransactItems: []types.TransactWriteItem{
			{ConditionCheck: &types.ConditionCheck{TableName: aws.String("one"), Key: pkItem("locked"), ConditionExpression: aws.String("#s = :held"),
				ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: map[string]types.AttributeValue{":held": avS("HELD")}}},
			{Put: &types.Put{TableName: aws.String("two"), Item: pkItem("new"), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
			{Delete: &types.Delete{TableName: aws.String("one"), Key: pkItem("victim")}},
			addOne("two", "count"),
		}})
	if err != nil {
		t.Fatal(err)
	}
	var caps []string
	for _, cc := range out.ConsumedCapacity {
		caps = append(caps, fmt.Sprintf("%s=%g/%g", aws.ToString(cc.TableName), aws.ToFloat64(cc.CapacityUnits), aws.ToFloat64(cc.WriteCapacityUnits)))
	}
	if strings.Join(caps, " ") != "one=4/4 two=4/4" {
		t.Errorf("ConsumedCapacity = %v, want two units per write: one=4/4 two=4/4", caps)
	}
	if counter(c, t, "two", "count") != "1" {
		t.Errorf("update not applied")
	}
	g, _ := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("one"), Key: pkItem("victim")})
	if g.Item != nil {
		t.Errorf("delete not applied")
	}

	// One failed condition cancels everything; the reasons are positional.
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		addOne("two", "count"),
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String("one"), Key: pkItem("locked"), ConditionExpression: aws.String("attribute_not_exists(pk)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		{Put: &types.Put{TableName: aws.String("two"), Item: pkItem("new"), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Delete: &types.Delete{TableName: aws.String("one"), Key: pkItem("other")}},
	}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("failed condition: %v, want TransactionCanceledException", err)
	}
	if msg := tce.ErrorMessage(); msg != "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, ConditionalCheckFailed, None]" {
		t.Errorf("message = %q", msg)
	}
	var codes []string
	for _, r := range tce.CancellationReasons {
		codes = append(codes, aws.ToString(r.Code))
	}
	if strings.Join(codes, ",") != "None,ConditionalCheckFailed,ConditionalCheckFailed,None" {
		t.Errorf("reasons = %v", codes)
	}
	if r := tce.CancellationReasons[1]; aws.ToString(r.Message) != "The conditional request failed" || sdkS(r.Item, "status") != "HELD" {
		t.Errorf("reason of the check with ALL_OLD = %+v", r)
	}
	if r := tce.CancellationReasons[2]; r.Item != nil {
		t.Errorf("reason without ALL_OLD has an item: %+v", r)
	}
	if counter(c, t, "two", "count") != "1" {
		t.Errorf("a cancelled transaction applied its update")
	}
	// A runtime validation error of one action cancels it too.
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		addOne("two", "count"),
		{Update: &types.Update{TableName: aws.String("one"), Key: pkItem("locked"), UpdateExpression: aws.String("SET #s = #s + :one"),
			ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: map[string]types.AttributeValue{":one": avN("1")}}},
	}})
	if !errors.As(err, &tce) || aws.ToString(tce.CancellationReasons[1].Code) != "ValidationError" || counter(c, t, "two", "count") != "1" {
		t.Errorf("runtime validation error: %v", err)
	}

	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{addOne("two", "x"), addOne("two", "x")}})
	wantAPIError(t, err, "ValidationException", "Transaction request cannot include multiple operations on one item", "two actions on one item")
	var many []types.TransactWriteItem
	for i := range 101 {
		many = append(many, addOne("two", fmt.Sprintf("m%03d", i)))
	}
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: many})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || !regexp.MustCompile(`^1 validation error detected: Value '\[.+\]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100$`).MatchString(ae.ErrorMessage()) {
		t.Errorf("101 actions: %v", err)
	}
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: many[:100]}); err != nil {
		t.Errorf("100 actions: %v", err)
	}
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{addOne("missing", "x")}})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "Requested resource not found" {
		t.Errorf("missing table: %v", err)
	}
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("two"), Item: pkItem("u"), ExpressionAttributeNames: map[string]string{"#c": "c"}}}}})
	wantAPIError(t, err, "ValidationException", "Value provided in ExpressionAttributeNames unused in expressions: keys: {#c}", "unused name")
}

// TestSDKTransactWriteItemsIdempotency: a ClientRequestToken makes a
// transaction run once in ten minutes; the same token with another request
// is an IdempotentParameterMismatchException.
func TestSDKTransactWriteItemsIdempotency(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := &testClock{now: now}
	s := newTestStore(t, clock)
	c := newSDKClient(t, s)
	ctx := context.Background()
	twoTables(t, c)
	req := &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("token-1"), TransactItems: []types.TransactWriteItem{addOne("one", "n")}}
	if _, err := c.TransactWriteItems(ctx, req); err != nil {
		t.Fatal(err)
	}
	req.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := c.TransactWriteItems(ctx, req)
	if err != nil {
		t.Fatalf("same token, same request: %v", err)
	}
	if got := counter(c, t, "one", "n"); got != "1" {
		t.Errorf("counter after a replay = %s, want 1", got)
	}
	if len(out.ConsumedCapacity) != 1 || aws.ToFloat64(out.ConsumedCapacity[0].ReadCapacityUnits) != 2 || out.ConsumedCapacity[0].WriteCapacityUnits != nil {
		t.Errorf("replay ConsumedCapacity = %+v, want read units", out.ConsumedCapacity)
	}
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("token-1"), TransactItems: []types.TransactWriteItem{addOne("one", "other")}})
	var mismatch *types.IdempotentParameterMismatchException
	if !errors.As(err, &mismatch) {
		t.Errorf("same token, another request: %v, want IdempotentParameterMismatchException", err)
	}
	clock.Set(now.Add(9 * time.Minute))
	if _, err := c.TransactWriteItems(ctx, req); err != nil || counter(c, t, "one", "n") != "1" {
		t.Errorf("replay 9 minutes later: %v, counter %s", err, counter(c, t, "one", "n"))
	}
	clock.Set(now.Add(10 * time.Minute))
	if _, err := c.TransactWriteItems(ctx, req); err != nil || counter(c, t, "one", "n") != "2" {
		t.Errorf("same token 10 minutes later: %v, counter %s, want it run again", err, counter(c, t, "one", "n"))
	}
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String(strings.Repeat("t", 37)), TransactItems: []types.TransactWriteItem{addOne("one", "n")}})
	wantAPIError(t, err, "ValidationException", "at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36", "token of 37 characters")
	// A cancelled transaction does not take its token.
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("token-2"), TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("one"), Item: pkItem("n"), ConditionExpression: aws.String("attribute_not_exists(pk)")}}}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("token-2"), TransactItems: []types.TransactWriteItem{addOne("one", "n")}}); err != nil {
		t.Errorf("token of a cancelled transaction, another request: %v", err)
	}
}

// TestSDKTransactGetItems: reads in order, an empty entry for a missing
// item, projections; the limits; a bad key cancels.
func TestSDKTransactGetItems(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	ctx := context.Background()
	twoTables(t, c)
	for _, tbl := range []string{"one", "two"} {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: pkItem("a", "secret", "s", "v", tbl)}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal, TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String("two"), Key: pkItem("a"), ProjectionExpression: aws.String("#v"), ExpressionAttributeNames: map[string]string{"#v": "v"}}},
		{Get: &types.Get{TableName: aws.String("one"), Key: pkItem("missing")}},
		{Get: &types.Get{TableName: aws.String("one"), Key: pkItem("a")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Responses) != 3 || sdkS(out.Responses[0].Item, "v") != "two" || len(out.Responses[0].Item) != 1 ||
		out.Responses[1].Item != nil || sdkS(out.Responses[2].Item, "v") != "one" {
		t.Errorf("Responses = %+v", out.Responses)
	}
	var caps []string
	for _, cc := range out.ConsumedCapacity {
		caps = append(caps, fmt.Sprintf("%s=%g/%g", aws.ToString(cc.TableName), aws.ToFloat64(cc.CapacityUnits), aws.ToFloat64(cc.ReadCapacityUnits)))
	}
	if strings.Join(caps, " ") != "one=4/4 two=2/2" {
		t.Errorf("ConsumedCapacity = %v, want two units per read", caps)
	}
	_, err = c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String("one"), Key: pkItem("a")}}, {Get: &types.Get{TableName: aws.String("one"), Key: pkItem("a")}}}})
	wantAPIError(t, err, "ValidationException", "Transaction request cannot include multiple operations on one item", "two reads of one item")
	_, err = c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String("one"), Key: pkItem("a")}}, {Get: &types.Get{TableName: aws.String("one"), Key: map[string]types.AttributeValue{}}}}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || tce.ErrorMessage() != "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]" {
		t.Errorf("empty key: %v", err)
	}
	var many []types.TransactGetItem
	for i := range 101 {
		many = append(many, types.TransactGetItem{Get: &types.Get{TableName: aws.String("one"), Key: pkItem(fmt.Sprint(i))}})
	}
	_, err = c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: many})
	wantAPIError(t, err, "ValidationException", "at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100", "101 reads")
	if _, err := c.TransactGetItems(ctx, &dynamodb.TransactGetItemsInput{TransactItems: many[:100]}); err != nil {
		t.Errorf("100 reads: %v", err)
	}
}

// botoTransact drives transactions through boto3, the way Python callers
// read CancellationReasons.
const botoTransact = `
import sys, boto3
from botocore.exceptions import ClientError
c = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
c.create_table(TableName="txn", BillingMode="PAY_PER_REQUEST",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
c.put_item(TableName="txn", Item={"pk": {"S": "held"}, "v": {"N": "1"}})
inc = {"Update": {"TableName": "txn", "Key": {"pk": {"S": "cnt"}}, "UpdateExpression": "ADD n :one",
    "ExpressionAttributeValues": {":one": {"N": "1"}}}}
try:
    c.transact_write_items(TransactItems=[inc, {"Put": {"TableName": "txn", "Item": {"pk": {"S": "held"}},
        "ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    raise SystemExit("failed condition accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "TransactionCanceledException", e.response
    assert e.response["Error"]["Message"] == "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]", e.response
    assert e.response["CancellationReasons"] == [{"Code": "None"}, {"Code": "ConditionalCheckFailed",
        "Message": "The conditional request failed", "Item": {"pk": {"S": "held"}, "v": {"N": "1"}}}], e.response
assert "Item" not in c.get_item(TableName="txn", Key={"pk": {"S": "cnt"}})
for _ in range(2):
    c.transact_write_items(TransactItems=[inc], ClientRequestToken="tok-1")
assert c.get_item(TableName="txn", Key={"pk": {"S": "cnt"}})["Item"]["n"] == {"N": "1"}
try:
    c.transact_write_items(TransactItems=[inc, {"ConditionCheck": {"TableName": "txn", "Key": {"pk": {"S": "held"}},
        "ConditionExpression": "attribute_exists(pk)"}}], ClientRequestToken="tok-1")
    raise SystemExit("token reused for another request")
except ClientError as e:
    assert e.response["Error"]["Code"] == "IdempotentParameterMismatchException", e.response
try:
    c.transact_write_items(TransactItems=[inc, inc])
    raise SystemExit("two operations on one item accepted")
except ClientError as e:
    assert e.response["Error"]["Message"] == "Transaction request cannot include multiple operations on one item", e.response
g = c.transact_get_items(TransactItems=[{"Get": {"TableName": "txn", "Key": {"pk": {"S": "cnt"}}}},
    {"Get": {"TableName": "txn", "Key": {"pk": {"S": "none"}}}}])
assert g["Responses"][0]["Item"]["n"] == {"N": "1"} and g["Responses"][1] == {}, g
print("ok")
`

func TestBoto3Transactions(t *testing.T) {
	srv := newTestServer(t, newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)}))
	out, err := runBoto3(t, botoTransact, srv.URL)
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}
