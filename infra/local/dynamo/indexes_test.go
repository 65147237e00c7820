package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// Attribute value shorthands for the SDK tests.
func avS(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func avN(n string) types.AttributeValue { return &types.AttributeValueMemberN{Value: n} }

// sdkS reads a string attribute ("" when absent or of another type).
func sdkS(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// sdkN reads a number attribute ("" when absent or of another type).
func sdkN(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}

// wantAPIError checks that err is an AWS error of code whose message
// contains msg.
func wantAPIError(t *testing.T, err error, code, msg, what string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("%s: err = %v, want %s containing %q", what, err, code, msg)
	}
}

func ks(hash, rng string) []types.KeySchemaElement {
	out := []types.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash}}
	if rng != "" {
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(rng), KeyType: types.KeyTypeRange})
	}
	return out
}

func defs(nameTypes ...string) []types.AttributeDefinition {
	var out []types.AttributeDefinition
	for i := 0; i < len(nameTypes); i += 2 {
		out = append(out, types.AttributeDefinition{AttributeName: aws.String(nameTypes[i]), AttributeType: types.ScalarAttributeType(nameTypes[i+1])})
	}
	return out
}

// loansTable creates "loans" (pk S, sk N) with three GSIs and an LSI:
// byStatus (status S, amount N; ALL), byBranch (branch S; KEYS_ONLY),
// byStatusInc (status S; INCLUDE amount) and byCreated (pk, created N;
// KEYS_ONLY).
func loansTable(t *testing.T, c *dynamodb.Client) *dynamodb.CreateTableOutput {
	t.Helper()
	out, err := c.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName: aws.String("loans"), BillingMode: types.BillingModePayPerRequest,
		KeySchema:            ks("pk", "sk"),
		AttributeDefinitions: defs("pk", "S", "sk", "N", "status", "S", "amount", "N", "branch", "S", "created", "N"),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			{IndexName: aws.String("byStatus"), KeySchema: ks("status", "amount"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}},
			{IndexName: aws.String("byBranch"), KeySchema: ks("branch", ""), Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}},
			{IndexName: aws.String("byStatusInc"), KeySchema: ks("status", ""), Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"amount"}}},
		},
		LocalSecondaryIndexes: []types.LocalSecondaryIndex{
			{IndexName: aws.String("byCreated"), KeySchema: ks("pk", "created"), Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func loan(pk string, sk int, status, amount, branch, created string) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{"pk": avS(pk), "sk": avN(fmt.Sprint(sk)), "note": avS("n-" + pk)}
	for name, v := range map[string]string{"status": status, "branch": branch} {
		if v != "" {
			it[name] = avS(v)
		}
	}
	for name, v := range map[string]string{"amount": amount, "created": created} {
		if v != "" {
			it[name] = avN(v)
		}
	}
	return it
}

// TestSDKSecondaryIndexes: CreateTable with GSIs and an LSI, DescribeTable
// shows them, and Query and Scan read them as DynamoDB does: sparse,
// projected, in index sort key order, paged with the table's and the
// index's keys.
func TestSDKSecondaryIndexes(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	ctx := context.Background()
	created := loansTable(t, c)
	if n := len(created.TableDescription.GlobalSecondaryIndexes); n != 3 {
		t.Fatalf("CreateTable: %d GSIs described", n)
	}
	items := []map[string]types.AttributeValue{
		loan("a", 1, "PENDING", "300", "north", "5"),
		loan("a", 2, "PENDING", "20", "south", "3"),
		loan("b", 1, "PENDING", "100", "north", "9"),
		loan("b", 2, "APPROVED", "50", "", ""), // not in byBranch nor byCreated
		loan("c", 1, "", "75", "north", "1"),   // not in byStatus nor byStatusInc
	}
	for _, it := range items {
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("loans"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}

	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("loans")})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, g := range d.Table.GlobalSecondaryIndexes {
		counts[aws.ToString(g.IndexName)] = aws.ToInt64(g.ItemCount)
		if g.IndexStatus != types.IndexStatusActive || aws.ToString(g.IndexArn) != "arn:aws:dynamodb:us-east-1:000000000000:table/loans/index/"+aws.ToString(g.IndexName) ||
			g.Projection == nil || g.ProvisionedThroughput == nil || aws.ToInt64(g.IndexSizeBytes) <= 0 {
			t.Errorf("GSI described as %+v", g)
		}
	}
	for _, l := range d.Table.LocalSecondaryIndexes {
		counts[aws.ToString(l.IndexName)] = aws.ToInt64(l.ItemCount)
		if len(l.KeySchema) != 2 || l.Projection.ProjectionType != types.ProjectionTypeKeysOnly {
			t.Errorf("LSI described as %+v", l)
		}
	}
	if want := map[string]int64{"byStatus": 4, "byBranch": 4, "byStatusInc": 4, "byCreated": 4}; fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("index item counts = %v, want %v", counts, want)
	}

	// A GSI in index sort key order (numbers as numbers), whole items.
	pending := map[string]types.AttributeValue{":s": avS("PENDING")}
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("loans"), IndexName: aws.String("byStatus"),
		KeyConditionExpression: aws.String("#s = :s"), ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: pending})
	if err != nil {
		t.Fatal(err)
	}
	var amounts []string
	for _, it := range q.Items {
		amounts = append(amounts, sdkN(it, "amount"))
		if sdkS(it, "note") == "" {
			t.Errorf("ALL projection dropped note: %v", it)
		}
	}
	if strings.Join(amounts, ",") != "20,100,300" {
		t.Errorf("byStatus PENDING amounts = %v, want 20,100,300", amounts)
	}

	// Sort key condition, descending, on the index's sort key.
	q, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("loans"), IndexName: aws.String("byStatus"),
		KeyConditionExpression: aws.String("#s = :s AND amount >= :min"), ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": avS("PENDING"), ":min": avN("50")}, ScanIndexForward: aws.Bool(false)})
	if err != nil || q.Count != 2 || sdkN(q.Items[0], "amount") != "300" || sdkN(q.Items[1], "amount") != "100" {
		t.Errorf("byStatus amount >= 50 descending = %+v, %v", q, err)
	}

	// Paging: the LastEvaluatedKey holds the table's key and the index's.
	var pages [][]string
	var start map[string]types.AttributeValue
	for {
		q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("loans"), IndexName: aws.String("byStatus"), Limit: aws.Int32(2),
			KeyConditionExpression: aws.String("#s = :s"), ExpressionAttributeNames: map[string]string{"#s": "status"},
			ExpressionAttributeValues: pending, ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		var page []string
		for _, it := range q.Items {
			page = append(page, sdkN(it, "amount"))
		}
		pages = append(pages, page)
		if q.LastEvaluatedKey == nil {
			break
		}
		if got := sortedKeys(q.LastEvaluatedKey); strings.Join(got, ",") != "amount,pk,sk,status" {
			t.Errorf("LastEvaluatedKey attributes = %v, want the table's and the index's keys", got)
		}
		start = q.LastEvaluatedKey
	}
	if fmt.Sprint(pages) != "[[20 100] [300]]" {
		t.Errorf("byStatus pages = %v", pages)
	}

	// KEYS_ONLY: the table's and the index's keys, nothing else; sparse.
	q, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("loans"), IndexName: aws.String("byBranch"),
		KeyConditionExpression: aws.String("branch = :b"), ExpressionAttributeValues: map[string]types.AttributeValue{":b": avS("north")}})
	if err != nil || q.Count != 3 {
		t.Fatalf("byBranch north = %+v, %v", q, err)
	}
	for _, it := range q.Items {
		if got := strings.Join(sortedKeys(it), ","); got != "branch,pk,sk" {
			t.Errorf("KEYS_ONLY item has %s", got)
		}
	}
	// INCLUDE: keys and the included attribute.
	q, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("loans"), IndexName: aws.String("byStatusInc"),
		KeyConditionExpression: aws.String("#s = :s"), ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: pending})
	if err != nil || q.Count != 3 {
		t.Fatalf("byStatusInc = %+v, %v", q, err)
	}
	for _, it := range q.Items {
		if got := strings.Join(sortedKeys(it), ","); got != "amount,pk,sk,status" {
			t.Errorf("INCLUDE item has %s", got)
		}
	}
	// A GSI refuses ALL_ATTRIBUTES when it does not project them, and
	// consistent reads.
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("loans"), IndexName: aws.String("byBranch"), Select: types.SelectAllAttributes,
		KeyConditionExpression: aws.String("branch = :b"), ExpressionAttributeValues: map[string]types.AttributeValue{":b": avS("north")}})
	wantAPIError(t, err, "ValidationException", "Select type ALL_ATTRIBUTES is not supported for global secondary index byBranch because its projection type is not ALL", "ALL_ATTRIBUTES on KEYS_ONLY GSI")
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("loans"), IndexName: aws.String("byStatus"), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("#s = :s"), ExpressionAttributeNames: map[string]string{"#s": "status"}, ExpressionAttributeValues: pending})
	wantAPIError(t, err, "ValidationException", "Consistent reads are not supported on global secondary indexes", "ConsistentRead on a GSI query")
	_, err = c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("loans"), IndexName: aws.String("byStatus"), ConsistentRead: aws.Bool(true)})
	wantAPIError(t, err, "ValidationException", "Consistent reads are not supported on global secondary indexes", "ConsistentRead on a GSI scan")
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("loans"), IndexName: aws.String("nope"),
		KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("a")}})
	wantAPIError(t, err, "ValidationException", "The table does not have the specified index: nope", "unknown index")
	_, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("loans"), IndexName: aws.String("byBranch"),
		KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("a")}})
	wantAPIError(t, err, "ValidationException", "Query condition missed key schema element: branch", "table key on an index")

	// An LSI: consistent reads allowed, the partition's items by the
	// index's sort key; Select ALL_ATTRIBUTES fetches the whole items.
	q, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("loans"), IndexName: aws.String("byCreated"), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("a")}})
	if err != nil || q.Count != 2 || sdkN(q.Items[0], "created") != "3" || sdkS(q.Items[0], "note") != "" {
		t.Errorf("byCreated = %+v, %v", q, err)
	}
	q, err = c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("loans"), IndexName: aws.String("byCreated"), Select: types.SelectAllAttributes,
		KeyConditionExpression: aws.String("pk = :p"), ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("a")}})
	if err != nil || q.Count != 2 || sdkS(q.Items[0], "note") != "n-a" {
		t.Errorf("byCreated ALL_ATTRIBUTES = %+v, %v", q, err)
	}

	// Scan of an index: only the items it holds, projected, paged.
	var scanned []string
	start = nil
	for {
		sc, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("loans"), IndexName: aws.String("byBranch"), Limit: aws.Int32(3), ExclusiveStartKey: start})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range sc.Items {
			scanned = append(scanned, sdkS(it, "pk")+sdkN(it, "sk"))
			if _, ok := it["note"]; ok {
				t.Errorf("KEYS_ONLY scan returned note: %v", it)
			}
		}
		if sc.LastEvaluatedKey == nil {
			break
		}
		start = sc.LastEvaluatedKey
	}
	slices.Sort(scanned)
	if strings.Join(scanned, ",") != "a1,a2,b1,c1" {
		t.Errorf("byBranch scan = %v", scanned)
	}
}

// indexKeys returns, sorted, "pk/sk" of the items index holds for the
// partition key value v (hash attribute attr).
func indexKeys(t *testing.T, c *dynamodb.Client, index, attr string, v types.AttributeValue) []string {
	t.Helper()
	q, err := c.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String("loans"), IndexName: aws.String(index),
		KeyConditionExpression: aws.String("#k = :v"), ExpressionAttributeNames: map[string]string{"#k": attr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": v}})
	if err != nil {
		t.Fatalf("query %s: %v", index, err)
	}
	var out []string
	for _, it := range q.Items {
		out = append(out, sdkS(it, "pk")+"/"+sdkN(it, "sk"))
	}
	slices.Sort(out)
	return out
}

// TestSDKIndexMaintenance: every write path keeps the indexes in step with
// the table: Put, Update (moving an item between index partitions, or out
// of a sparse index), Delete, BatchWriteItem, TransactWriteItems and the
// TTL deletion.
func TestSDKIndexMaintenance(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := &testClock{now: now}
	s := newTestStore(t, clock)
	c := newSDKClient(t, s)
	ctx := context.Background()
	loansTable(t, c)
	if _, err := c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String("loans"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("exp"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	put := func(it map[string]types.AttributeValue) {
		t.Helper()
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("loans"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	north := avS("north")
	put(loan("a", 1, "PENDING", "10", "north", ""))
	put(loan("a", 2, "PENDING", "20", "north", ""))
	if got := indexKeys(t, c, "byBranch", "branch", north); strings.Join(got, " ") != "a/1 a/2" {
		t.Fatalf("after Put: byBranch north = %v", got)
	}
	// Put over an item moves its entry.
	put(loan("a", 2, "PENDING", "20", "south", ""))
	if got := indexKeys(t, c, "byBranch", "branch", north); strings.Join(got, " ") != "a/1" {
		t.Errorf("after Put moving a/2 south: byBranch north = %v", got)
	}
	// UpdateItem: SET moves it back, REMOVE takes it out of the sparse index.
	key := func(pk string, sk int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"pk": avS(pk), "sk": avN(fmt.Sprint(sk))}
	}
	if _, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("loans"), Key: key("a", 2),
		UpdateExpression: aws.String("SET branch = :n"), ExpressionAttributeValues: map[string]types.AttributeValue{":n": north}}); err != nil {
		t.Fatal(err)
	}
	if got := indexKeys(t, c, "byBranch", "branch", north); strings.Join(got, " ") != "a/1 a/2" {
		t.Errorf("after UpdateItem SET branch: byBranch north = %v", got)
	}
	if _, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("loans"), Key: key("a", 1), UpdateExpression: aws.String("REMOVE branch")}); err != nil {
		t.Fatal(err)
	}
	if got := indexKeys(t, c, "byBranch", "branch", north); strings.Join(got, " ") != "a/2" {
		t.Errorf("after UpdateItem REMOVE branch: byBranch north = %v", got)
	}
	// DeleteItem.
	if _, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("loans"), Key: key("a", 2)}); err != nil {
		t.Fatal(err)
	}
	if got := indexKeys(t, c, "byBranch", "branch", north); len(got) != 0 {
		t.Errorf("after DeleteItem: byBranch north = %v", got)
	}
	// BatchWriteItem puts and deletes.
	_, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"loans": {
		{PutRequest: &types.PutRequest{Item: loan("b", 1, "PENDING", "5", "north", "")}},
		{PutRequest: &types.PutRequest{Item: loan("b", 2, "PENDING", "6", "north", "")}},
		{DeleteRequest: &types.DeleteRequest{Key: key("a", 1)}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := indexKeys(t, c, "byBranch", "branch", north); strings.Join(got, " ") != "b/1 b/2" {
		t.Errorf("after BatchWriteItem: byBranch north = %v", got)
	}
	if got := indexKeys(t, c, "byStatus", "status", avS("PENDING")); strings.Join(got, " ") != "b/1 b/2" {
		t.Errorf("after BatchWriteItem: byStatus PENDING = %v", got)
	}
	// TransactWriteItems: put, update, delete.
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("loans"), Item: loan("c", 1, "PENDING", "7", "north", "")}},
		{Update: &types.Update{TableName: aws.String("loans"), Key: key("b", 1), UpdateExpression: aws.String("SET branch = :s"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":s": avS("south")}}},
		{Delete: &types.Delete{TableName: aws.String("loans"), Key: key("b", 2)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := indexKeys(t, c, "byBranch", "branch", north); strings.Join(got, " ") != "c/1" {
		t.Errorf("after TransactWriteItems: byBranch north = %v", got)
	}
	// A cancelled transaction leaves the indexes as they were.
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("loans"), Item: loan("d", 1, "PENDING", "8", "north", "")}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String("loans"), Key: key("c", 1), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("cancelled transaction: %v", err)
	}
	if got := indexKeys(t, c, "byBranch", "branch", north); strings.Join(got, " ") != "c/1" {
		t.Errorf("after a cancelled transaction: byBranch north = %v", got)
	}
	// The TTL deletion deletes the index entries with the item.
	expiring := loan("e", 1, "PENDING", "9", "north", "")
	expiring["exp"] = avN(fmt.Sprint(now.Add(-time.Hour).Unix()))
	put(expiring)
	if got := indexKeys(t, c, "byBranch", "branch", north); strings.Join(got, " ") != "c/1 e/1" {
		t.Errorf("before the TTL sweep: byBranch north = %v", got)
	}
	clock.Set(now.Add(DefaultTTLDeletionDelay))
	if n, err := s.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep = %d, %v", n, err)
	}
	if got := indexKeys(t, c, "byBranch", "branch", north); strings.Join(got, " ") != "c/1" {
		t.Errorf("after the TTL sweep: byBranch north = %v", got)
	}
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("loans")})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range d.Table.GlobalSecondaryIndexes {
		if aws.ToString(g.IndexName) == "byBranch" && aws.ToInt64(g.ItemCount) != 2 {
			t.Errorf("byBranch ItemCount = %d, want 2 (b/1 south, c/1 north)", aws.ToInt64(g.ItemCount))
		}
	}
}

// TestSDKIndexKeyTypes: a write whose index key attribute has the wrong
// type, or is an empty string, is refused with DynamoDB's messages.
func TestSDKIndexKeyTypes(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	ctx := context.Background()
	loansTable(t, c)
	bad := loan("a", 1, "", "10", "", "")
	bad["status"] = avN("1")
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("loans"), Item: bad})
	wantAPIError(t, err, "ValidationException", "One or more parameter values were invalid: Type mismatch for Index Key status Expected: S Actual: N IndexName: byStatus", "index key of the wrong type")
	bad["status"] = avS("")
	_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("loans"), Item: bad})
	wantAPIError(t, err, "ValidationException", "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: byStatus, IndexKey: status", "empty index key")
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("loans"), Item: loan("a", 1, "", "10", "", "")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("loans"), Key: map[string]types.AttributeValue{"pk": avS("a"), "sk": avN("1")},
		UpdateExpression: aws.String("SET branch = :e"), ExpressionAttributeValues: map[string]types.AttributeValue{":e": avS("")}})
	wantAPIError(t, err, "ValidationException", "The update expression attempted to update a secondary index key to a value that is not supported", "update to an empty index key")
}

// TestSDKCreateTableIndexValidation: CreateTable refuses bad indexes with
// DynamoDB's messages.
func TestSDKCreateTableIndexValidation(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	all := &types.Projection{ProjectionType: types.ProjectionTypeAll}
	gsi := func(name, hash string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{IndexName: aws.String(name), KeySchema: ks(hash, ""), Projection: all}
	}
	lsi := func(name, hash, rng string) types.LocalSecondaryIndex {
		return types.LocalSecondaryIndex{IndexName: aws.String(name), KeySchema: ks(hash, rng), Projection: all}
	}
	manyGSIs := func(n int) ([]types.GlobalSecondaryIndex, []types.AttributeDefinition) {
		var g []types.GlobalSecondaryIndex
		d := defs("pk", "S")
		for i := range n {
			g = append(g, gsi(fmt.Sprintf("gsi%02d", i), fmt.Sprintf("a%02d", i)))
			d = append(d, defs(fmt.Sprintf("a%02d", i), "S")...)
		}
		return g, d
	}
	manyLSIs := func(n int) ([]types.LocalSecondaryIndex, []types.AttributeDefinition) {
		var l []types.LocalSecondaryIndex
		d := defs("pk", "S", "sk", "S")
		for i := range n {
			l = append(l, lsi(fmt.Sprintf("lsi%02d", i), "pk", fmt.Sprintf("r%02d", i)))
			d = append(d, defs(fmt.Sprintf("r%02d", i), "S")...)
		}
		return l, d
	}
	gsis21, defs21 := manyGSIs(21)
	gsis20, defs20 := manyGSIs(20)
	lsis6, ldefs6 := manyLSIs(6)
	lsis5, ldefs5 := manyLSIs(5)
	for i, tc := range []struct {
		in   dynamodb.CreateTableInput
		want string // "" when accepted
	}{
		{dynamodb.CreateTableInput{KeySchema: ks("pk", ""), AttributeDefinitions: defs("pk", "S", "r", "S"), LocalSecondaryIndexes: []types.LocalSecondaryIndex{lsi("lsi1", "pk", "r")}},
			"One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"},
		{dynamodb.CreateTableInput{KeySchema: ks("pk", "sk"), AttributeDefinitions: defs("pk", "S", "sk", "S", "other", "S", "r", "S"), LocalSecondaryIndexes: []types.LocalSecondaryIndex{lsi("lsi1", "other", "r")}},
			"One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: lsi1. index hash key: other, table hash key: pk"},
		{dynamodb.CreateTableInput{KeySchema: ks("pk", "sk"), AttributeDefinitions: ldefs6, LocalSecondaryIndexes: lsis6},
			"One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5"},
		{dynamodb.CreateTableInput{KeySchema: ks("pk", "sk"), AttributeDefinitions: ldefs5, LocalSecondaryIndexes: lsis5}, ""},
		{dynamodb.CreateTableInput{KeySchema: ks("pk", ""), AttributeDefinitions: defs21, GlobalSecondaryIndexes: gsis21},
			"One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20"},
		{dynamodb.CreateTableInput{KeySchema: ks("pk", ""), AttributeDefinitions: defs20, GlobalSecondaryIndexes: gsis20}, ""},
		{dynamodb.CreateTableInput{KeySchema: ks("pk", ""), AttributeDefinitions: defs("pk", "S"), GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{gsi("gsi1", "gk")}},
			"One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [gk], AttributeDefinitions: [pk]"},
		{dynamodb.CreateTableInput{KeySchema: ks("pk", ""), AttributeDefinitions: defs("pk", "S", "gk", "S", "spare", "S"), GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{gsi("gsi1", "gk")}},
			"One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"},
		{dynamodb.CreateTableInput{KeySchema: ks("pk", ""), AttributeDefinitions: defs("pk", "S", "gk", "S"), GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{gsi("gsi1", "gk"), gsi("gsi1", "gk")}},
			"One or more parameter values were invalid: Duplicate index name: gsi1"},
		{dynamodb.CreateTableInput{KeySchema: ks("pk", ""), AttributeDefinitions: defs("pk", "S", "gk", "S"), GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			{IndexName: aws.String("gsi1"), KeySchema: ks("gk", ""), Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude}}}},
			"One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified"},
		{dynamodb.CreateTableInput{KeySchema: ks("pk", ""), AttributeDefinitions: defs("pk", "S", "gk", "S"), GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			{IndexName: aws.String("gsi1"), KeySchema: ks("gk", ""), Projection: all, ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}}}},
			"One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: gsi1 when BillingMode is PAY_PER_REQUEST"},
		{dynamodb.CreateTableInput{KeySchema: ks("pk", ""), AttributeDefinitions: defs("pk", "S"), GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{}},
			"One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty"},
	} {
		in := tc.in
		in.TableName = aws.String(fmt.Sprintf("tbl%02d", i))
		in.BillingMode = types.BillingModePayPerRequest
		_, err := c.CreateTable(context.Background(), &in)
		if tc.want == "" {
			if err != nil {
				t.Errorf("case %d: %v", i, err)
			}
			continue
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || ae.ErrorMessage() != tc.want {
			t.Errorf("case %d: err = %v, want ValidationException %q", i, err, tc.want)
		}
	}
}

// botoIndexes exercises indexes through boto3, as a Python caller would.
const botoIndexes = `
import sys, boto3
from botocore.exceptions import ClientError
c = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1",
                 aws_access_key_id="x", aws_secret_access_key="x")
d = c.create_table(TableName="idx", BillingMode="PAY_PER_REQUEST",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
        {"AttributeName": "st", "AttributeType": "S"}, {"AttributeName": "n", "AttributeType": "N"}],
    GlobalSecondaryIndexes=[{"IndexName": "bySt", "KeySchema": [{"AttributeName": "st", "KeyType": "HASH"},
        {"AttributeName": "n", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    LocalSecondaryIndexes=[{"IndexName": "byN", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "n", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}])["TableDescription"]
assert d["GlobalSecondaryIndexes"][0]["IndexName"] == "bySt", d
for i, (st, n) in enumerate([("A", "3"), ("A", "1"), ("B", "2"), (None, "4")]):
    item = {"pk": {"S": "p"}, "sk": {"S": "s%d" % i}, "n": {"N": n}, "x": {"S": "big"}}
    if st:
        item["st"] = {"S": st}
    c.put_item(TableName="idx", Item=item)
g = c.describe_table(TableName="idx")["Table"]["GlobalSecondaryIndexes"][0]
assert g["IndexStatus"] == "ACTIVE" and g["ItemCount"] == 3 and g["IndexArn"].endswith("/index/bySt"), g
q = c.query(TableName="idx", IndexName="bySt", KeyConditionExpression="st = :a", ExpressionAttributeValues={":a": {"S": "A"}})
assert [i["n"]["N"] for i in q["Items"]] == ["1", "3"], q
assert all(set(i) == {"pk", "sk", "st", "n"} for i in q["Items"]), q
l = c.query(TableName="idx", IndexName="byN", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
    ConsistentRead=True, Limit=2)
assert [i["n"]["N"] for i in l["Items"]] == ["1", "2"] and set(l["LastEvaluatedKey"]) == {"pk", "sk", "n"}, l
try:
    c.query(TableName="idx", IndexName="bySt", ConsistentRead=True, KeyConditionExpression="st = :a",
        ExpressionAttributeValues={":a": {"S": "A"}})
    raise SystemExit("consistent read on a GSI accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ValidationException", e.response
    assert e.response["Error"]["Message"] == "Consistent reads are not supported on global secondary indexes", e.response
s = c.scan(TableName="idx", IndexName="bySt")
assert s["Count"] == 3, s
try:
    c.create_table(TableName="bad", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "r", "AttributeType": "S"}],
        LocalSecondaryIndexes=[{"IndexName": "lsiA", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "r", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}])
    raise SystemExit("LSI on a table without a sort key accepted")
except ClientError as e:
    assert "Table KeySchema does not have a range key" in e.response["Error"]["Message"], e.response
print("ok")
`

func TestBoto3SecondaryIndexes(t *testing.T) {
	srv := newTestServer(t, newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)}))
	out, err := runBoto3(t, botoIndexes, srv.URL)
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}
