package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"loanflow/infra/local/sqlitedb"
)

// newCreatingStore is a Store whose new tables stay CREATING for delay on
// clock.
func newCreatingStore(t *testing.T, clock *testClock, delay time.Duration) *Store {
	t.Helper()
	db, err := sqlitedb.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlitedb.Close(db) })
	s, err := New(context.Background(), db, Options{Now: clock.Now, CreationDelay: delay})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Issue 18: CreateTable answers CREATING; until the table is ACTIVE its
// items answer ResourceNotFoundException and DeleteTable
// ResourceInUseException; DescribeTable says ACTIVE once the creation
// delay has passed, and the SDK's table-exists waiter returns then.
func TestCreateTableIsCreatingThenActive(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	clock := &testClock{now: start}
	c := newSDKClient(t, newCreatingStore(t, clock, 2*time.Second))
	ctx := context.Background()
	out, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("loans"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("st"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema: ks("pk", ""),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("bySt"), KeySchema: ks("st", ""),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}}}})
	if err != nil {
		t.Fatal(err)
	}
	d := out.TableDescription
	if d.TableStatus != types.TableStatusCreating || d.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusCreating ||
		d.BillingModeSummary == nil || d.BillingModeSummary.LastUpdateToPayPerRequestDateTime != nil {
		t.Errorf("CreateTable answered %s, index %s, billing %+v; want CREATING, CREATING and no LastUpdateToPayPerRequestDateTime yet",
			d.TableStatus, d.GlobalSecondaryIndexes[0].IndexStatus, d.BillingModeSummary)
	}
	desc, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("loans")})
	if err != nil || desc.Table.TableStatus != types.TableStatusCreating {
		t.Fatalf("DescribeTable while creating = %+v, %v; want CREATING", desc, err)
	}

	key := map[string]types.AttributeValue{"pk": avS("a")}
	for name, call := range map[string]func() error{
		"PutItem": func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("loans"), Item: key})
			return err
		},
		"GetItem": func() error {
			_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("loans"), Key: key})
			return err
		},
		"Query": func() error {
			_, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("loans"), KeyConditionExpression: aws.String("pk = :p"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": avS("a")}})
			return err
		},
		"BatchWriteItem": func() error {
			_, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
				"loans": {{PutRequest: &types.PutRequest{Item: key}}}}})
			return err
		},
		"TransactWriteItems": func() error {
			_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Put: &types.Put{TableName: aws.String("loans"), Item: key}}}})
			return err
		},
	} {
		var rnf *types.ResourceNotFoundException
		if err := call(); !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "Requested resource not found" {
			t.Errorf("%s on a CREATING table: %v, want ResourceNotFoundException 'Requested resource not found'", name, err)
		}
	}
	_, err = c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("loans")})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) || aws.ToString(inUse.Message) != "Attempt to change a resource which is still in use: Table is being created: loans" {
		t.Errorf("DeleteTable of a CREATING table: %v", err)
	}

	// The waiter polls DescribeTable until ACTIVE, as a client must.
	waited := make(chan error, 1)
	go func() {
		w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay, o.MaxDelay = 10*time.Millisecond, 20*time.Millisecond
		})
		waited <- w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("loans")}, 30*time.Second)
	}()
	select {
	case err := <-waited:
		t.Fatalf("the table-exists waiter returned while the table is CREATING: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	clock.Set(start.Add(2 * time.Second))
	if err := <-waited; err != nil {
		t.Fatalf("table-exists waiter: %v", err)
	}
	desc, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("loans")})
	if err != nil || desc.Table.TableStatus != types.TableStatusActive || desc.Table.GlobalSecondaryIndexes[0].IndexStatus != types.IndexStatusActive ||
		desc.Table.BillingModeSummary.LastUpdateToPayPerRequestDateTime == nil {
		t.Fatalf("DescribeTable once created = %+v, %v; want ACTIVE", desc, err)
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("loans"), Item: key}); err != nil {
		t.Fatalf("PutItem on the ACTIVE table: %v", err)
	}
}

// A negative CreationDelay makes a table ACTIVE as soon as CreateTable has
// answered, which still says CREATING.
func TestNoCreationDelay(t *testing.T) {
	c := newSDKClient(t, newCreatingStore(t, &testClock{now: time.Now()}, -1))
	ctx := context.Background()
	out, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("loans"), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            ks("pk", "")})
	if err != nil || out.TableDescription.TableStatus != types.TableStatusCreating {
		t.Fatalf("CreateTable = %+v, %v; want CREATING", out, err)
	}
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("loans"), Item: map[string]types.AttributeValue{"pk": avS("a")}}); err != nil {
		t.Fatalf("PutItem right after CreateTable: %v", err)
	}
}

// Issue 18: through the aws CLI, create-table says CREATING, put-item on
// the CREATING table fails ResourceNotFoundException, and `aws dynamodb
// wait table-exists` returns once it is ACTIVE.
func TestAWSCLIWaitTableExists(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	start := time.Now()
	clock := &testClock{now: start}
	srv := newTestServer(t, newCreatingStore(t, clock, time.Hour))
	var created struct{ TableDescription struct{ TableStatus string } }
	if stderr, err := awsCLI(t, srv.URL, &created, "dynamodb", "create-table", "--table-name", "tokens", "--billing-mode", "PAY_PER_REQUEST",
		"--attribute-definitions", "AttributeName=pk,AttributeType=S", "--key-schema", "AttributeName=pk,KeyType=HASH"); err != nil {
		t.Fatalf("create-table: %v: %s", err, stderr)
	}
	if created.TableDescription.TableStatus != "CREATING" {
		t.Errorf("create-table answered TableStatus %q, want CREATING", created.TableDescription.TableStatus)
	}
	put := []string{"dynamodb", "put-item", "--table-name", "tokens", "--item", `{"pk":{"S":"a"}}`}
	if stderr, err := awsCLI(t, srv.URL, nil, put...); err == nil || !strings.Contains(stderr, "(ResourceNotFoundException)") ||
		!strings.Contains(stderr, "Requested resource not found") {
		t.Errorf("put-item on a CREATING table: %v: %s", err, stderr)
	}
	clock.Set(start.Add(time.Hour))
	if stderr, err := awsCLI(t, srv.URL, nil, "dynamodb", "wait", "table-exists", "--table-name", "tokens"); err != nil {
		t.Fatalf("wait table-exists: %v: %s", err, stderr)
	}
	if stderr, err := awsCLI(t, srv.URL, nil, put...); err != nil {
		t.Fatalf("put-item on the ACTIVE table: %v: %s", err, stderr)
	}
}

// Issue 18: DynamoDB's errors carry its namespaces in __type
// (com.amazonaws.dynamodb.v20120810# for its own,
// com.amazon.coral.validate# for ValidationException,
// com.amazon.coral.service# for the protocol's), and the Go SDK, boto3 and
// the aws CLI still read the bare code.
func TestErrorTypesAreNamespaced(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Now()})
	srv := newTestServer(t, s)
	for _, c := range []struct{ target, body, want string }{
		{"DynamoDB_20120810.ListTables", "{not json", "com.amazon.coral.service#SerializationException"},
		{"DynamoDB_20120810.DescribeEverything", "{}", "com.amazon.coral.service#UnknownOperationException"},
		{"DynamoDB_20120810.DescribeTable", `{"TableName":"nope"}`, "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"},
		{"DynamoDB_20120810.ListTables", `{"Limit":0}`, "com.amazon.coral.validate#ValidationException"},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(c.body))
		req.Header.Set("X-Amz-Target", c.target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body map[string]any
		if err := json.Unmarshal(b, &body); err != nil || resp.StatusCode != http.StatusBadRequest || body["__type"] != c.want {
			t.Errorf("%s %s: %d %s, want 400 with __type %s", c.target, c.body, resp.StatusCode, b, c.want)
		}
	}

	tokensTable(t, s, "keyed", false)
	ctx := context.Background()
	sdk := newSDKClient(t, s)
	_, err := sdk.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("nope")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("Go SDK DescribeTable of a missing table: %v, want a ResourceNotFoundException", err)
	}
	_, err = sdk.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(0)})
	wantAPIError(t, err, "ValidationException", "at 'limit'", "Go SDK ListTables Limit 0")

	out, err := runBoto3(t, `
import sys, boto3, botocore
c = boto3.client("dynamodb", region_name="us-east-1", endpoint_url=sys.argv[1], aws_access_key_id="x", aws_secret_access_key="x")
codes = []
for call in (lambda: c.describe_table(TableName="nope"), lambda: c.put_item(TableName="keyed", Item={"x": {"S": "1"}})):
    try:
        call()
        codes.append("none")
    except botocore.exceptions.ClientError as e:
        codes.append(e.response["Error"]["Code"])
print(",".join(codes))
`, srv.URL)
	if err != nil || strings.TrimSpace(out) != "ResourceNotFoundException,ValidationException" {
		t.Errorf("boto3 error codes: %v: %s, want ResourceNotFoundException,ValidationException", err, out)
	}
	if _, err := exec.LookPath("aws"); err == nil {
		stderr, err := awsCLI(t, srv.URL, nil, "dynamodb", "describe-table", "--table-name", "nope")
		if err == nil || !strings.Contains(stderr, "(ResourceNotFoundException)") {
			t.Errorf("aws dynamodb describe-table of a missing table: %v: %s", err, stderr)
		}
	}
}

// Issue 18: an empty set is a ValidationException in DynamoDB's words,
// "An string set  may not be empty" included (the nubo-db conformance
// suite and dynalite's tests, recorded against DynamoDB).
func TestEmptySetMessages(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Now()})
	tokensTable(t, s, "sets", false)
	c := newSDKClient(t, s)
	for _, v := range []struct {
		val  types.AttributeValue
		want string
	}{
		{&types.AttributeValueMemberSS{Value: []string{}}, "One or more parameter values were invalid: An string set  may not be empty"},
		{&types.AttributeValueMemberNS{Value: []string{}}, "One or more parameter values were invalid: An number set  may not be empty"},
		{&types.AttributeValueMemberBS{Value: [][]byte{}}, "One or more parameter values were invalid: Binary sets should not be empty"},
	} {
		_, err := c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("sets"),
			Item: map[string]types.AttributeValue{"pk": avS("k"), "set": v.val}})
		if err == nil || !strings.HasSuffix(err.Error(), "api error ValidationException: "+v.want) {
			t.Errorf("PutItem with an empty %T: %v, want ValidationException %q", v.val, err, v.want)
		}
	}
}
