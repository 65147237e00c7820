package dynamo

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestSDKResponseShapes reads every member of the responses through the
// SDK: one the stack sends in the wrong place (CreateTable's description at
// the top level instead of under TableDescription) reads as nil here.
func TestSDKResponseShapes(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	ctx := context.Background()
	ct, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("shapes"), BillingMode: types.BillingModePayPerRequest,
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}},
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN}},
	})
	if err != nil {
		t.Fatal(err)
	}
	td := ct.TableDescription
	if td == nil {
		t.Fatal("CreateTable: TableDescription is nil")
	}
	if aws.ToString(td.TableName) != "shapes" || len(td.KeySchema) != 2 || td.CreationDateTime == nil || aws.ToString(td.TableArn) == "" ||
		td.BillingModeSummary == nil || td.BillingModeSummary.BillingMode != types.BillingModePayPerRequest ||
		td.ProvisionedThroughput == nil || aws.ToInt64(td.ProvisionedThroughput.NumberOfDecreasesToday) != 0 {
		t.Errorf("CreateTable.TableDescription = %+v", td)
	}
	tl, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("shapes"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}})
	if err != nil || tl.TimeToLiveSpecification == nil || aws.ToString(tl.TimeToLiveSpecification.AttributeName) != "exp" ||
		!aws.ToBool(tl.TimeToLiveSpecification.Enabled) {
		t.Errorf("UpdateTimeToLive = %+v, %v", tl, err)
	}

	key := func(sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "p"}, "sk": &types.AttributeValueMemberN{Value: sk}}
	}
	for _, sk := range []string{"1", "2", "3"} {
		item := key(sk)
		item["v"] = &types.AttributeValueMemberS{Value: "first"}
		put, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("shapes"), Item: item, ReturnValues: types.ReturnValueAllOld})
		if err != nil || put.Attributes != nil {
			t.Fatalf("PutItem of a new item = %+v, %v", put, err)
		}
	}
	item := key("1")
	item["v"] = &types.AttributeValueMemberS{Value: "second"}
	put, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("shapes"), Item: item, ReturnValues: types.ReturnValueAllOld})
	if v, ok := put.Attributes["v"].(*types.AttributeValueMemberS); err != nil || !ok || v.Value != "first" {
		t.Errorf("PutItem ALL_OLD = %+v, %v", put, err)
	}
	up, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("shapes"), Key: key("1"),
		UpdateExpression: aws.String("SET n = :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "7"}},
		ReturnValues: types.ReturnValueAllNew})
	if err != nil || len(up.Attributes) != 4 {
		t.Errorf("UpdateItem ALL_NEW = %+v, %v", up, err)
	}

	// Limit reached on the last item: DynamoDB does not look ahead, so the
	// page still has a LastEvaluatedKey and the next one is empty.
	pkIs := map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "p"}}
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("shapes"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: pkIs, Limit: aws.Int32(3)})
	if err != nil || q.Count != 3 || q.ScannedCount != 3 || q.LastEvaluatedKey == nil {
		t.Fatalf("Query Limit 3 of 3 = %+v, %v", q, err)
	}
	q, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("shapes"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: pkIs, ExclusiveStartKey: q.LastEvaluatedKey})
	if err != nil || q.Count != 0 || q.Items == nil || q.LastEvaluatedKey != nil {
		t.Errorf("Query past the end = %+v, %v", q, err)
	}
	// A page starts after its start key even when that item is gone.
	q, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("shapes"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: pkIs, Limit: aws.Int32(2)})
	if err != nil || q.Count != 2 {
		t.Fatalf("Query Limit 2 = %+v, %v", q, err)
	}
	del, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("shapes"), Key: key("2"), ReturnValues: types.ReturnValueAllOld})
	if err != nil || len(del.Attributes) != 3 {
		t.Fatalf("DeleteItem ALL_OLD = %+v, %v", del, err)
	}
	q, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("shapes"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: pkIs, ExclusiveStartKey: q.LastEvaluatedKey})
	if err != nil || q.Count != 1 || q.Items[0]["sk"].(*types.AttributeValueMemberN).Value != "3" {
		t.Errorf("Query after a deleted start key = %+v, %v", q, err)
	}
	n, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("shapes"), Select: types.SelectCount})
	if err != nil || n.Count != 2 || n.ScannedCount != 2 || n.Items != nil {
		t.Errorf("Scan COUNT = %+v, %v", n, err)
	}

	dt, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("shapes")})
	if err != nil || dt.TableDescription == nil || aws.ToString(dt.TableDescription.TableName) != "shapes" {
		t.Errorf("DeleteTable = %+v, %v", dt, err)
	}
}

// botoShapes reads the responses the way boto3 callers do, by key: a
// member in the wrong place is a KeyError.
const botoShapes = `
import sys, boto3
c = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
d = c.create_table(TableName="shapes", BillingMode="PAY_PER_REQUEST",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])["TableDescription"]
assert d["TableName"] == "shapes" and d["TableStatus"] in ("CREATING", "ACTIVE"), d
assert d["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", d
assert c.describe_table(TableName="shapes")["Table"]["KeySchema"][0]["AttributeName"] == "pk"
spec = c.update_time_to_live(TableName="shapes",
    TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})["TimeToLiveSpecification"]
assert spec == {"Enabled": True, "AttributeName": "exp"}, spec
ttl = c.describe_time_to_live(TableName="shapes")["TimeToLiveDescription"]
assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}, ttl
c.put_item(TableName="shapes", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
old = c.put_item(TableName="shapes", Item={"pk": {"S": "a"}, "v": {"N": "2"}}, ReturnValues="ALL_OLD")["Attributes"]
assert old["v"] == {"N": "1"}, old
new = c.update_item(TableName="shapes", Key={"pk": {"S": "a"}}, UpdateExpression="SET v = v + :one",
    ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW")["Attributes"]
assert new == {"v": {"N": "3"}}, new
q = c.query(TableName="shapes", KeyConditionExpression="pk = :a", ExpressionAttributeValues={":a": {"S": "a"}}, Limit=1)
assert q["Count"] == 1 and q["ScannedCount"] == 1 and q["LastEvaluatedKey"] == {"pk": {"S": "a"}}, q
s = c.scan(TableName="shapes", ExclusiveStartKey=q["LastEvaluatedKey"])
assert s["Items"] == [] and s["Count"] == 0 and "LastEvaluatedKey" not in s, s
n = c.scan(TableName="shapes", Select="COUNT")
assert n["Count"] == 1 and "Items" not in n, n
gone = c.delete_item(TableName="shapes", Key={"pk": {"S": "a"}}, ReturnValues="ALL_OLD")["Attributes"]
assert gone["v"] == {"N": "3"}, gone
assert "Item" not in c.get_item(TableName="shapes", Key={"pk": {"S": "a"}})
assert c.delete_table(TableName="shapes")["TableDescription"]["TableName"] == "shapes"
print("ok")
`

func TestBoto3ResponseShapes(t *testing.T) {
	srv := newTestServer(t, newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)}))
	out, err := runBoto3(t, botoShapes, srv.URL)
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}

// runBoto3 runs a Python script that uses boto3, with args; it skips the
// test when Python or boto3 is missing.
func runBoto3(t *testing.T, script string, args ...string) (string, error) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	if exec.Command(py, "-c", "import boto3").Run() != nil {
		t.Skip("boto3 not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{"-c", script}, args...)...)
	cmd.Env = append(cliEnv(), "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestScanAndQueryStopAtOneMegabyte: a page holds at most 1 MB of items
// read, and ends with a LastEvaluatedKey; paging reads every item once.
func TestScanAndQueryStopAtOneMegabyte(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	ctx := context.Background()
	tokensTable(t, s, "big", true)
	blob := strings.Repeat("x", 100<<10)
	for i := range 12 {
		if _, err := s.PutItem(ctx, &PutItemInput{TableName: "big", Item: Item{"pk": S("p"), "sk": N(itoa(int64(i))), "blob": S(blob)}}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.Scan(ctx, &ScanInput{TableName: "big"})
	if err != nil || first.LastEvaluatedKey == nil || first.ScannedCount >= 12 || first.ScannedCount < 9 {
		t.Fatalf("first Scan page: %d items, LastEvaluatedKey %v, %v", first.ScannedCount, first.LastEvaluatedKey, err)
	}
	rest, err := s.Scan(ctx, &ScanInput{TableName: "big", ExclusiveStartKey: first.LastEvaluatedKey})
	if err != nil || first.ScannedCount+rest.ScannedCount != 12 || rest.LastEvaluatedKey != nil {
		t.Errorf("second Scan page: %d items, LastEvaluatedKey %v, %v", rest.ScannedCount, rest.LastEvaluatedKey, err)
	}
	q, err := s.Query(ctx, &QueryInput{TableName: "big", KeyConditionExpression: "pk = :p", Select: "COUNT",
		Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":p": S("p")}}})
	if err != nil || q.ScannedCount != first.ScannedCount || q.LastEvaluatedKey["sk"].S != itoa(int64(q.ScannedCount-1)) {
		t.Errorf("Query COUNT page = %d, %v, %v", q.ScannedCount, q.LastEvaluatedKey, err)
	}
}
