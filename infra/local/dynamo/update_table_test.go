package dynamo

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestSDKUpdateTableIndexes: UpdateTable creates a GSI filled with the
// items already there, deletes one, changes the billing mode; TTL stays
// as it was and reachable.
func TestSDKUpdateTableIndexes(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	ctx := context.Background()
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("tok"), BillingMode: types.BillingModePayPerRequest,
		KeySchema: ks("pk", ""), AttributeDefinitions: defs("pk", "S")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("tok"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	for i, st := range []string{"PENDING", "RESOLVED", "PENDING", ""} {
		it := map[string]types.AttributeValue{"pk": avS(string(rune('a' + i)))}
		if st != "" {
			it["status"] = avS(st)
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("tok"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	byStatus := types.GlobalSecondaryIndexUpdate{Create: &types.CreateGlobalSecondaryIndexAction{IndexName: aws.String("byStatus"),
		KeySchema: ks("status", ""), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}
	up, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("tok"), AttributeDefinitions: defs("status", "S"),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{byStatus}})
	if err != nil {
		t.Fatal(err)
	}
	if d := up.TableDescription; d.TableStatus != types.TableStatusUpdating || len(d.GlobalSecondaryIndexes) != 1 ||
		d.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusCreating || len(d.AttributeDefinitions) != 2 {
		t.Errorf("UpdateTable create index = %+v", d)
	}
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("tok")})
	if err != nil || len(d.Table.GlobalSecondaryIndexes) != 1 || d.Table.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusActive ||
		aws.ToInt64(d.Table.GlobalSecondaryIndexes[0].ItemCount) != 3 || d.Table.TableStatus != types.TableStatusActive {
		t.Fatalf("DescribeTable after creating an index = %+v, %v", d, err)
	}
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("tok"), IndexName: aws.String("byStatus"),
		KeyConditionExpression: aws.String("#s = :s"), ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": avS("PENDING")}})
	if err != nil || q.Count != 2 {
		t.Errorf("Query of the backfilled index = %+v, %v", q, err)
	}
	// The new index is kept up to date from then on.
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("tok"), Item: map[string]types.AttributeValue{"pk": avS("e"), "status": avS("PENDING")}}); err != nil {
		t.Fatal(err)
	}
	q, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("tok"), IndexName: aws.String("byStatus"),
		KeyConditionExpression: aws.String("#s = :s"), ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": avS("PENDING")}})
	if err != nil || q.Count != 3 {
		t.Errorf("Query after a put = %+v, %v", q, err)
	}

	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("tok"), AttributeDefinitions: defs("status", "S"),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{byStatus}})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: Index already exists: byStatus", "creating an index twice")
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("tok"), AttributeDefinitions: defs("a", "S", "b", "S"),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{
			{Create: &types.CreateGlobalSecondaryIndexAction{IndexName: aws.String("byA"), KeySchema: ks("a", ""), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}},
			{Create: &types.CreateGlobalSecondaryIndexAction{IndexName: aws.String("byB"), KeySchema: ks("b", ""), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}},
		}})
	var le *types.LimitExceededException
	if !errors.As(err, &le) {
		t.Errorf("two index creations at once: %v, want LimitExceededException", err)
	}
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("tok"),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("nope")}}}})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("deleting a missing index: %v, want ResourceNotFoundException", err)
	}
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("tok")})
	wantAPIError(t, err, "ValidationException", "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required", "empty UpdateTable")

	// Billing mode: to PROVISIONED (throughput required), and back.
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("tok"), BillingMode: types.BillingModeProvisioned})
	wantAPIError(t, err, "ValidationException", "ProvisionedThroughput must be specified when BillingMode is PROVISIONED", "PROVISIONED without throughput")
	_, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("tok"), BillingMode: types.BillingModeProvisioned,
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(7)}})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: byStatus", "PROVISIONED without the index's throughput")
	if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("tok"), BillingMode: types.BillingModeProvisioned,
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(7)},
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Update: &types.UpdateGlobalSecondaryIndexAction{IndexName: aws.String("byStatus"),
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(2)}}}}}); err != nil {
		t.Fatal(err)
	}
	d, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("tok")})
	if err != nil || d.Table.BillingModeSummary.BillingMode != types.BillingModeProvisioned || aws.ToInt64(d.Table.ProvisionedThroughput.WriteCapacityUnits) != 7 ||
		aws.ToInt64(d.Table.GlobalSecondaryIndexes[0].ProvisionedThroughput.ReadCapacityUnits) != 5 {
		t.Errorf("DescribeTable after switching to PROVISIONED = %+v, %v", d, err)
	}
	if _, err := c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("tok"), BillingMode: types.BillingModePayPerRequest}); err != nil {
		t.Fatal(err)
	}

	// Delete the index: its entries go; the table and its TTL stay.
	up, err = c.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("tok"),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String("byStatus")}}}})
	if err != nil || len(up.TableDescription.GlobalSecondaryIndexes) != 1 || up.TableDescription.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusDeleting {
		t.Fatalf("UpdateTable delete index = %+v, %v", up, err)
	}
	d, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("tok")})
	if err != nil || len(d.Table.GlobalSecondaryIndexes) != 0 || len(d.Table.AttributeDefinitions) != 1 ||
		d.Table.BillingModeSummary.BillingMode != types.BillingModePayPerRequest || aws.ToInt64(d.Table.ItemCount) != 5 {
		t.Errorf("DescribeTable after deleting the index = %+v, %v", d.Table, err)
	}
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("tok"), IndexName: aws.String("byStatus"),
		KeyConditionExpression: aws.String("#s = :s"), ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": avS("PENDING")}})
	wantAPIError(t, err, "ValidationException", "The table does not have the specified index: byStatus", "query of a deleted index")
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM ddb_index_items WHERE tbl = 'tok'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("index entries left after deleting the index: %d, %v", n, err)
	}
	ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("tok")})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "exp" {
		t.Errorf("DescribeTimeToLive after UpdateTable = %+v, %v", ttl, err)
	}
	if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("tok"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(false)}}); err != nil {
		t.Errorf("UpdateTimeToLive after UpdateTable: %v", err)
	}
}

// TestSDKUpdateTableSurvivesRestart: indexes created by UpdateTable are
// stored; a Store opened again on the file serves them.
func TestSDKUpdateTableSurvivesRestart(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	ctx := context.Background()
	loansTable(t, c)
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("loans"), Item: loan("a", 1, "PENDING", "10", "north", "2")}); err != nil {
		t.Fatal(err)
	}
	again, err := New(ctx, s.db, Options{Now: s.now, CreationDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	d, err := again.DescribeTable(ctx, "loans")
	if err != nil || len(d.GlobalSecondaryIndexes) != 3 || len(d.LocalSecondaryIndexes) != 1 {
		t.Fatalf("DescribeTable after reopening = %+v, %v", d, err)
	}
	q, err := again.Query(ctx, &QueryInput{TableName: "loans", IndexName: "byBranch", KeyConditionExpression: "branch = :b",
		Expressions: Expressions{ExpressionAttributeValues: map[string]Value{":b": S("north")}}})
	if err != nil || q.Count != 1 {
		t.Errorf("Query after reopening = %+v, %v", q, err)
	}
}

// botoUpdateTable creates and deletes a GSI through boto3 and waits with
// boto3's own waiter, as a deployment script would.
const botoUpdateTable = `
import sys, boto3
c = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
c.create_table(TableName="utb", BillingMode="PAY_PER_REQUEST",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
c.put_item(TableName="utb", Item={"pk": {"S": "a"}, "g": {"S": "x"}})
c.put_item(TableName="utb", Item={"pk": {"S": "b"}})
d = c.update_table(TableName="utb", AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
    GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"}}}])["TableDescription"]
assert d["GlobalSecondaryIndexes"][0]["IndexName"] == "byG", d
c.get_waiter("table_exists").wait(TableName="utb", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
g = c.describe_table(TableName="utb")["Table"]["GlobalSecondaryIndexes"][0]
assert g["IndexStatus"] == "ACTIVE" and g["ItemCount"] == 1, g
q = c.query(TableName="utb", IndexName="byG", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "x"}})
assert q["Items"] == [{"pk": {"S": "a"}, "g": {"S": "x"}}], q
c.update_table(TableName="utb", BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3},
    GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "byG", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}])
assert c.describe_table(TableName="utb")["Table"]["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
c.update_table(TableName="utb", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byG"}}])
assert "GlobalSecondaryIndexes" not in c.describe_table(TableName="utb")["Table"]
assert c.describe_time_to_live(TableName="utb")["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
print("ok")
`

func TestBoto3UpdateTable(t *testing.T) {
	srv := newTestServer(t, newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)}))
	out, err := runBoto3(t, botoUpdateTable, srv.URL)
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}
