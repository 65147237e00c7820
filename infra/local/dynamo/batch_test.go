package dynamo

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// twoTables creates "one" and "two", keyed by pk (S).
func twoTables(t *testing.T, c *dynamodb.Client) {
	t.Helper()
	for _, name := range []string{"one", "two"} {
		if _, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest,
			KeySchema: ks("pk", ""), AttributeDefinitions: defs("pk", "S")}); err != nil {
			t.Fatal(err)
		}
	}
}

func pkItem(pk string, more ...string) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{"pk": avS(pk)}
	for i := 0; i+1 < len(more); i += 2 {
		it[more[i]] = avS(more[i+1])
	}
	return it
}

func putReqs(prefix string, n int) []types.WriteRequest {
	var out []types.WriteRequest
	for i := range n {
		out = append(out, types.WriteRequest{PutRequest: &types.PutRequest{Item: pkItem(fmt.Sprintf("%s%03d", prefix, i))}})
	}
	return out
}

// TestSDKBatchWriteItem: puts and deletes over two tables; AWS's limits
// and messages; UnprocessedItems empty; ConsumedCapacity per table.
func TestSDKBatchWriteItem(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	ctx := context.Background()
	twoTables(t, c)
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("two"), Item: pkItem("gone")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		RequestItems: map[string][]types.WriteRequest{
			"one": {{PutRequest: &types.PutRequest{Item: pkItem("a", "v", strings.Repeat("x", 1500))}}, {PutRequest: &types.PutRequest{Item: pkItem("b")}}},
			"two": {{DeleteRequest: &types.DeleteRequest{Key: pkItem("gone")}}, {PutRequest: &types.PutRequest{Item: pkItem("c")}}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if out.UnprocessedItems == nil || len(out.UnprocessedItems) != 0 {
		t.Errorf("UnprocessedItems = %v, want empty", out.UnprocessedItems)
	}
	var caps []string
	for _, cc := range out.ConsumedCapacity {
		caps = append(caps, fmt.Sprintf("%s=%g", aws.ToString(cc.TableName), aws.ToFloat64(cc.CapacityUnits)))
	}
	// one: a is 1.5 KB (2 units), b 1; two: the delete 1, c 1.
	if strings.Join(caps, " ") != "one=3 two=2" {
		t.Errorf("ConsumedCapacity = %v, want one=3 two=2", caps)
	}
	sc, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("two")})
	if err != nil || sc.Count != 1 || sdkS(sc.Items[0], "pk") != "c" {
		t.Errorf("table two after the batch = %+v, %v", sc, err)
	}

	// 25 writes is the most a batch takes.
	if _, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"one": putReqs("k", 25)}}); err != nil {
		t.Errorf("25 writes: %v", err)
	}
	_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"one": putReqs("k", 26)}})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || !regexp.MustCompile(`^1 validation error detected: Value '\{one=\[.+\]\}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: \[Member must have length less than or equal to 25, Member must have length greater than or equal to 1\]$`).MatchString(ae.ErrorMessage()) {
		t.Errorf("26 writes to one table: %v", err)
	}
	_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"one": putReqs("k", 13), "two": putReqs("k", 13)}})
	wantAPIError(t, err, "ValidationException", "Too many items requested for the BatchWriteItem call", "26 writes over two tables")
	_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"one": {
		{PutRequest: &types.PutRequest{Item: pkItem("dup")}}, {DeleteRequest: &types.DeleteRequest{Key: pkItem("dup")}}}}})
	wantAPIError(t, err, "ValidationException", "Provided list of item keys contains duplicates", "put and delete of one key")
	_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"one": putReqs("n", 1), "missing": putReqs("n", 1)}})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "Requested resource not found" {
		t.Errorf("missing table: %v", err)
	}
	_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"one": {
		{PutRequest: &types.PutRequest{Item: pkItem("big", "v", strings.Repeat("x", 400*1024))}}}}})
	wantAPIError(t, err, "ValidationException", "Item size has exceeded the maximum allowed size", "item over 400 KB")
	_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"one": {
		{DeleteRequest: &types.DeleteRequest{Key: pkItem("a", "extra", "x")}}}}})
	wantAPIError(t, err, "ValidationException", "The provided key element does not match the schema", "delete with a bad key")
	_, err = c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{}})
	wantAPIError(t, err, "ValidationException", "The requestItems parameter is required for BatchWriteItem", "no request items")
	// A refused batch writes nothing.
	g, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("one"), Key: pkItem("n000")})
	if err != nil || g.Item != nil {
		t.Errorf("item of a refused batch = %+v, %v", g, err)
	}
}

// TestSDKBatchGetItem: reads over two tables, with projections; AWS's
// limits and messages; ConsumedCapacity per table.
func TestSDKBatchGetItem(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	ctx := context.Background()
	twoTables(t, c)
	_, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
		"one": {{PutRequest: &types.PutRequest{Item: pkItem("a", "status", "PENDING", "token", "t-a")}}, {PutRequest: &types.PutRequest{Item: pkItem("b", "status", "DONE", "token", "t-b")}}},
		"two": {{PutRequest: &types.PutRequest{Item: pkItem("c", "v", strings.Repeat("x", 5000))}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		RequestItems: map[string]types.KeysAndAttributes{
			"one": {Keys: []map[string]types.AttributeValue{pkItem("a"), pkItem("b"), pkItem("nope")}, ProjectionExpression: aws.String("pk, #s"),
				ExpressionAttributeNames: map[string]string{"#s": "status"}},
			"two": {Keys: []map[string]types.AttributeValue{pkItem("c")}, ConsistentRead: aws.Bool(true)},
		}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range out.Responses["one"] {
		got = append(got, sdkS(it, "pk")+":"+strings.Join(sortedKeys(it), "+"))
	}
	slices.Sort(got)
	if strings.Join(got, " ") != "a:pk+status b:pk+status" || len(out.Responses["two"]) != 1 {
		t.Errorf("Responses = %v and %d item(s) of two", got, len(out.Responses["two"]))
	}
	if out.UnprocessedKeys == nil || len(out.UnprocessedKeys) != 0 {
		t.Errorf("UnprocessedKeys = %v, want empty", out.UnprocessedKeys)
	}
	var caps []string
	for _, cc := range out.ConsumedCapacity {
		caps = append(caps, fmt.Sprintf("%s=%g", aws.ToString(cc.TableName), aws.ToFloat64(cc.CapacityUnits)))
	}
	// one: three eventually consistent reads of 0.5; two: 5 KB read strongly, 2.
	if strings.Join(caps, " ") != "one=1.5 two=2" {
		t.Errorf("ConsumedCapacity = %v, want one=1.5 two=2", caps)
	}

	keys := func(n int, prefix string) []map[string]types.AttributeValue {
		var out []map[string]types.AttributeValue
		for i := range n {
			out = append(out, pkItem(fmt.Sprintf("%s%03d", prefix, i)))
		}
		return out
	}
	if _, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"one": {Keys: keys(100, "k")}}}); err != nil {
		t.Errorf("100 keys: %v", err)
	}
	_, err = c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"one": {Keys: keys(101, "k")}}})
	wantAPIError(t, err, "ValidationException", "1 validation error detected: Value at 'RequestItems.one.member.Keys' failed to satisfy constraint: Member must have length less than or equal to 100", "101 keys")
	_, err = c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"one": {Keys: keys(60, "k")}, "two": {Keys: keys(41, "k")}}})
	wantAPIError(t, err, "ValidationException", "Too many items requested for the BatchGetItem call", "101 keys over two tables")
	_, err = c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"one": {Keys: []map[string]types.AttributeValue{pkItem("a"), pkItem("a")}}}})
	wantAPIError(t, err, "ValidationException", "Provided list of item keys contains duplicates", "duplicate keys")
	_, err = c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"missing": {Keys: keys(1, "k")}}})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "Requested resource not found" {
		t.Errorf("missing table: %v", err)
	}
	_, err = c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{"one": {Keys: keys(1, "k"),
		ProjectionExpression: aws.String("pk"), ExpressionAttributeNames: map[string]string{"#unused": "x"}}}})
	wantAPIError(t, err, "ValidationException", "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}", "unused name")
}

// TestSDKBatchGetItemUnprocessedKeys: a BatchGetItem whose items pass 16 MB
// returns the rest in UnprocessedKeys, which a second call reads; this is
// the only case where the local stack returns unprocessed keys.
func TestSDKBatchGetItemUnprocessedKeys(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	ctx := context.Background()
	twoTables(t, c)
	blob := strings.Repeat("x", 390*1024)
	var keys []map[string]types.AttributeValue
	for i := range 45 {
		pk := fmt.Sprintf("k%02d", i)
		if _, err := s.PutItem(ctx, &PutItemInput{TableName: "one", Item: Item{"pk": S(pk), "v": S(blob)}}); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, pkItem(pk))
	}
	req := map[string]types.KeysAndAttributes{"one": {Keys: keys, ProjectionExpression: aws.String("pk")}}
	got := map[string]bool{}
	for round := 0; len(req) > 0; round++ {
		if round == 3 {
			t.Fatalf("still unprocessed after 3 calls: %d keys", len(req["one"].Keys))
		}
		out, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 && (len(out.UnprocessedKeys) == 0 || len(out.Responses["one"]) >= 45 || len(out.Responses["one"]) < 40) {
			t.Errorf("first call: %d items, unprocessed %v; want about 16 MB of items and the rest unprocessed", len(out.Responses["one"]), out.UnprocessedKeys)
		}
		if ka, ok := out.UnprocessedKeys["one"]; ok && aws.ToString(ka.ProjectionExpression) != "pk" {
			t.Errorf("UnprocessedKeys lost the projection: %+v", ka)
		}
		for _, it := range out.Responses["one"] {
			if len(it) != 1 || got[sdkS(it, "pk")] {
				t.Errorf("item %v: projected wrong or returned twice", it)
			}
			got[sdkS(it, "pk")] = true
		}
		req = out.UnprocessedKeys
	}
	if len(got) != 45 {
		t.Errorf("%d distinct items read in all, want 45", len(got))
	}
}

// botoBatch uses boto3's batch_writer, which sends BatchWriteItem and
// resends UnprocessedItems, and batch_get_item.
const botoBatch = `
import sys, boto3
from botocore.exceptions import ClientError
r = boto3.resource("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="x", aws_secret_access_key="x")
c = r.meta.client
t = r.create_table(TableName="bat", BillingMode="PAY_PER_REQUEST",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
with t.batch_writer() as w:
    for i in range(60):
        w.put_item(Item={"pk": "k%02d" % i, "n": i, "s": "x"})
assert c.describe_table(TableName="bat")["Table"]["ItemCount"] == 60
out = c.batch_get_item(RequestItems={"bat": {"Keys": [{"pk": "k01"}, {"pk": "k02"}, {"pk": "none"}],
    "ProjectionExpression": "#n", "ExpressionAttributeNames": {"#n": "n"}}}, ReturnConsumedCapacity="TOTAL")
assert sorted(i["n"] for i in out["Responses"]["bat"]) == [1, 2], out
assert out["UnprocessedKeys"] == {}, out
assert out["ConsumedCapacity"] == [{"TableName": "bat", "CapacityUnits": 1.5}], out
w = c.batch_write_item(RequestItems={"bat": [{"DeleteRequest": {"Key": {"pk": "k%02d" % i}}} for i in range(25)]},
    ReturnConsumedCapacity="TOTAL")
assert w["UnprocessedItems"] == {} and w["ConsumedCapacity"] == [{"TableName": "bat", "CapacityUnits": 25.0}], w
try:
    c.batch_write_item(RequestItems={"bat": [{"PutRequest": {"Item": {"pk": "d"}}}, {"PutRequest": {"Item": {"pk": "d"}}}]})
    raise SystemExit("duplicate keys accepted")
except ClientError as e:
    assert e.response["Error"] == {"Code": "ValidationException", "Message": "Provided list of item keys contains duplicates"}, e.response
print("ok")
`

func TestBoto3Batch(t *testing.T) {
	srv := newTestServer(t, newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)}))
	out, err := runBoto3(t, botoBatch, srv.URL)
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}
