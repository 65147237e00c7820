package dynamo

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// capString renders a ConsumedCapacity as total[table gsi:n lsi:n].
func capString(cc *types.ConsumedCapacity) string {
	if cc == nil {
		return "none"
	}
	s := fmt.Sprintf("%s=%g", aws.ToString(cc.TableName), aws.ToFloat64(cc.CapacityUnits))
	if cc.Table != nil {
		s += fmt.Sprintf(" table=%g", aws.ToFloat64(cc.Table.CapacityUnits))
	}
	for _, name := range sortedKeys(cc.GlobalSecondaryIndexes) {
		s += fmt.Sprintf(" %s=%g", name, aws.ToFloat64(cc.GlobalSecondaryIndexes[name].CapacityUnits))
	}
	for _, name := range sortedKeys(cc.LocalSecondaryIndexes) {
		s += fmt.Sprintf(" %s=%g", name, aws.ToFloat64(cc.LocalSecondaryIndexes[name].CapacityUnits))
	}
	return s
}

// TestSDKConsumedCapacity: ReturnConsumedCapacity TOTAL and INDEXES give
// the units DynamoDB charges: reads by 4 KB (half when eventually
// consistent), writes by 1 KB of the larger of the item before and after,
// index writes by what changes in the index; NONE gives nothing.
func TestSDKConsumedCapacity(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	ctx := context.Background()
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("cap"), BillingMode: types.BillingModePayPerRequest,
		KeySchema: ks("pk", "sk"), AttributeDefinitions: defs("pk", "S", "sk", "S", "g", "S", "l", "S"),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("byG"), KeySchema: ks("g", ""), Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}},
		LocalSecondaryIndexes:  []types.LocalSecondaryIndex{{IndexName: aws.String("byL"), KeySchema: ks("pk", "l"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}},
	}); err != nil {
		t.Fatal(err)
	}
	item := func(sk, g, size string) map[string]types.AttributeValue {
		n := 0
		_, _ = fmt.Sscan(size, &n)
		return map[string]types.AttributeValue{"pk": avS("a"), "sk": avS(sk), "g": avS(g), "v": avS(strings.Repeat("x", n))}
	}
	idx := types.ReturnConsumedCapacityIndexes
	put := func(it map[string]types.AttributeValue, mode types.ReturnConsumedCapacity) string {
		t.Helper()
		out, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("cap"), Item: it, ReturnConsumedCapacity: mode})
		if err != nil {
			t.Fatal(err)
		}
		return capString(out.ConsumedCapacity)
	}
	// A new item of 1.5 KB: 2 units on the table, 1 on the GSI's small entry.
	if got := put(item("1", "x", "1500"), idx); got != "cap=3 table=2 byG=1" {
		t.Errorf("new item: %s", got)
	}
	// The same again: the index entry does not change and costs nothing.
	if got := put(item("1", "x", "1500"), types.ReturnConsumedCapacityTotal); got != "cap=2" {
		t.Errorf("same item again, TOTAL: %s", got)
	}
	if got := put(item("1", "x", "1500"), types.ReturnConsumedCapacityNone); got != "none" {
		t.Errorf("NONE: %s", got)
	}
	if got := put(item("1", "x", "1500"), ""); got != "none" {
		t.Errorf("no ReturnConsumedCapacity: %s", got)
	}
	// Shrinking an item still costs its old size.
	if got := put(item("1", "x", "10"), idx); got != "cap=2 table=2" {
		t.Errorf("shrunk item: %s", got)
	}
	// Moving the item in the index: a delete and a put there.
	up, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("cap"), Key: map[string]types.AttributeValue{"pk": avS("a"), "sk": avS("1")},
		UpdateExpression: aws.String("SET g = :g, l = :l"), ExpressionAttributeValues: map[string]types.AttributeValue{":g": avS("y"), ":l": avS("z")}, ReturnConsumedCapacity: idx})
	if err != nil || capString(up.ConsumedCapacity) != "cap=4 table=1 byG=2 byL=1" {
		t.Errorf("UpdateItem moving g and adding l: %s, %v", capString(up.ConsumedCapacity), err)
	}
	del, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("cap"), Key: map[string]types.AttributeValue{"pk": avS("a"), "sk": avS("none")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || capString(del.ConsumedCapacity) != "cap=1" {
		t.Errorf("DeleteItem of nothing: %s, %v", capString(del.ConsumedCapacity), err)
	}

	// Reads: 5 KB is two 4 KB units, halved when eventually consistent.
	put(item("2", "x", "5000"), "")
	put(item("3", "x", "1500"), "")
	key2 := map[string]types.AttributeValue{"pk": avS("a"), "sk": avS("2")}
	for _, tc := range []struct {
		consistent bool
		mode       types.ReturnConsumedCapacity
		key        map[string]types.AttributeValue
		want       string
	}{
		{false, types.ReturnConsumedCapacityTotal, key2, "cap=1"},
		{true, types.ReturnConsumedCapacityTotal, key2, "cap=2"},
		{true, idx, key2, "cap=2 table=2"},
		{false, types.ReturnConsumedCapacityTotal, map[string]types.AttributeValue{"pk": avS("a"), "sk": avS("none")}, "cap=0.5"},
	} {
		g, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("cap"), Key: tc.key, ConsistentRead: aws.Bool(tc.consistent),
			ProjectionExpression: aws.String("pk"), ReturnConsumedCapacity: tc.mode})
		if err != nil || capString(g.ConsumedCapacity) != tc.want {
			t.Errorf("GetItem consistent=%v %s: %s, %v; want %s", tc.consistent, tc.mode, capString(g.ConsumedCapacity), err, tc.want)
		}
	}
	// Query and Scan: the sizes of the items read, summed, then rounded.
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("cap"), KeyConditionExpression: aws.String("pk = :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": avS("a"), ":none": avS("none")}, FilterExpression: aws.String("g = :none"),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal, ConsistentRead: aws.Bool(true)})
	if err != nil || q.Count != 0 || q.ScannedCount != 3 || capString(q.ConsumedCapacity) != "cap=2" {
		t.Errorf("Query of ~6.6 KB filtered out: %+v %s, %v", q, capString(q.ConsumedCapacity), err)
	}
	q, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("cap"), IndexName: aws.String("byG"), KeyConditionExpression: aws.String("g = :x"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":x": avS("x")}, ReturnConsumedCapacity: idx})
	if err != nil || q.Count != 2 || capString(q.ConsumedCapacity) != "cap=0.5 table=0 byG=0.5" {
		t.Errorf("Query of a GSI: %s, %v", capString(q.ConsumedCapacity), err)
	}
	sc, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("cap"), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
	if err != nil || capString(sc.ConsumedCapacity) != "cap=1" {
		t.Errorf("Scan: %s, %v", capString(sc.ConsumedCapacity), err)
	}
	_, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("cap"), Key: key2, ReturnConsumedCapacity: "Garbage"})
	wantAPIError(t, err, "ValidationException", "1 validation error detected: Value 'Garbage' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]", "bad ReturnConsumedCapacity")
}

// botoCapacity reads ConsumedCapacity through boto3.
const botoCapacity = `
import sys, boto3
c = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
c.create_table(TableName="cap", BillingMode="PAY_PER_REQUEST",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
    GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"}}])
p = c.put_item(TableName="cap", Item={"pk": {"S": "a"}, "g": {"S": "x"}, "v": {"S": "x" * 1500}}, ReturnConsumedCapacity="INDEXES")
assert p["ConsumedCapacity"] == {"TableName": "cap", "CapacityUnits": 3.0, "Table": {"CapacityUnits": 2.0},
    "GlobalSecondaryIndexes": {"byG": {"CapacityUnits": 1.0}}}, p
g = c.get_item(TableName="cap", Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="TOTAL")
assert g["ConsumedCapacity"] == {"TableName": "cap", "CapacityUnits": 0.5}, g
g = c.get_item(TableName="cap", Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="NONE")
assert "ConsumedCapacity" not in g, g
q = c.query(TableName="cap", IndexName="byG", KeyConditionExpression="g = :x", ExpressionAttributeValues={":x": {"S": "x"}},
    ReturnConsumedCapacity="INDEXES")
assert q["ConsumedCapacity"] == {"TableName": "cap", "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.0},
    "GlobalSecondaryIndexes": {"byG": {"CapacityUnits": 0.5}}}, q
t = c.transact_write_items(TransactItems=[{"Delete": {"TableName": "cap", "Key": {"pk": {"S": "a"}}}}], ReturnConsumedCapacity="TOTAL")
assert t["ConsumedCapacity"] == [{"TableName": "cap", "CapacityUnits": 5.0, "WriteCapacityUnits": 5.0}], t
print("ok")
`

func TestBoto3ConsumedCapacity(t *testing.T) {
	srv := newTestServer(t, newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)}))
	out, err := runBoto3(t, botoCapacity, srv.URL)
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}
