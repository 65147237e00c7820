package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestOperations: the registry lists what the protocol serves, sorted,
// the batch, transaction and UpdateTable operations among them.
func TestOperations(t *testing.T) {
	ops := Operations()
	if !slices.IsSorted(ops) {
		t.Errorf("Operations() = %v, not sorted", ops)
	}
	served := sortedKeys(newTestStore(t, &testClock{now: time.Now()}).Service().Ops)
	if !slices.Equal(ops, served) {
		t.Errorf("Operations() = %v, Service serves %v", ops, served)
	}
	for _, want := range []string{"BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems", "UpdateTable", "Query", "Scan"} {
		if !slices.Contains(ops, want) {
			t.Errorf("Operations() = %v, lacks %s", ops, want)
		}
	}
}

// TestSDKUnknownOperation: an operation the package does not serve
// answers UnknownOperationException, DynamoDB's answer to an operation it
// does not know, with a 400.
func TestSDKUnknownOperation(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Now()})
	c := newSDKClient(t, s)
	ctx := context.Background()
	_, err := c.ExecuteStatement(ctx, &dynamodb.ExecuteStatementInput{Statement: aws.String(`SELECT * FROM "t"`)})
	wantAPIError(t, err, "UnknownOperationException", "DynamoDB_20120810.ExecuteStatement is not supported by the loanflow local stack", "ExecuteStatement")
	_, err = c.CreateBackup(ctx, &dynamodb.CreateBackupInput{TableName: aws.String("t"), BackupName: aws.String("b")})
	wantAPIError(t, err, "UnknownOperationException", "CreateBackup", "CreateBackup")
	_, err = c.TagResource(ctx, &dynamodb.TagResourceInput{ResourceArn: aws.String("arn:aws:dynamodb:us-east-1:000000000000:table/t"),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantAPIError(t, err, "UnknownOperationException", "TagResource", "TagResource")

	srv := newTestServer(t, s)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.DescribeLimits")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusBadRequest ||
		body["__type"] != "com.amazon.coral.service#UnknownOperationException" || resp.Header.Get("X-Amzn-ErrorType") != "UnknownOperationException" {
		t.Errorf("DescribeLimits: %d %v %v", resp.StatusCode, body, err)
	}
}

func TestAWSCLIUnknownOperation(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	srv := newTestServer(t, newTestStore(t, &testClock{now: time.Now()}))
	stderr, err := awsCLI(t, srv.URL, nil, "dynamodb", "execute-statement", "--statement", `SELECT * FROM "t"`)
	if err == nil || !strings.Contains(stderr, "(UnknownOperationException)") || !strings.Contains(stderr, "ExecuteStatement is not supported") {
		t.Errorf("aws dynamodb execute-statement: %v: %s", err, stderr)
	}
}

// TestSDKMissingTable: DynamoDB answers an item operation on a table that
// does not exist "Requested resource not found", and a table operation
// with the table's name.
func TestSDKMissingTable(t *testing.T) {
	c := newSDKClient(t, newTestStore(t, &testClock{now: time.Now()}))
	ctx := context.Background()
	key := map[string]types.AttributeValue{"pk": avS("a")}
	for name, call := range map[string]func() error{
		"GetItem": func() error {
			_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("nope"), Key: key})
			return err
		},
		"PutItem": func() error {
			_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("nope"), Item: key})
			return err
		},
		"DeleteItem": func() error {
			_, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("nope"), Key: key})
			return err
		},
		"Scan": func() error { _, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("nope")}); return err },
	} {
		var rnf *types.ResourceNotFoundException
		if err := call(); !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "Requested resource not found" {
			t.Errorf("%s on a missing table: %v", name, err)
		}
	}
	_, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("nope")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "Requested resource not found: Table: nope not found" {
		t.Errorf("DescribeTable of a missing table: %v", err)
	}
}

// TestOperationsAreBotocoreOperations: every operation of the registry is
// one of DynamoDB's by botocore's model, the model boto3 and the aws CLI
// call operations by.
func TestOperationsAreBotocoreOperations(t *testing.T) {
	model := loadBotocoreModel(t)
	for _, op := range Operations() {
		if _, ok := model.Operations[op]; !ok {
			t.Errorf("%s is not an operation of botocore's DynamoDB model", op)
		}
	}
	out, err := runBoto3(t, `
import sys, boto3
c = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
missing = [op for op in sys.argv[1].split(",") if op not in c.meta.service_model.operation_names]
print("missing: %s" % missing if missing else "ok")
`, strings.Join(Operations(), ","))
	if err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %v\n%s", err, out)
	}
}
