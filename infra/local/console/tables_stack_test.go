package console_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"loanflow/infra/local"
)

// consolePage fetches a page of the stack's console as text.
func consolePage(t *testing.T, s *local.Stack, path string) string {
	t.Helper()
	res, err := http.Get(s.Outputs.ConsoleURL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /%s = %d: %.500s", path, res.StatusCode, readable(string(b)))
	}
	return readable(string(b))
}

// Issue 18: the local stack's console shows each DynamoDB table's
// secondary indexes (name, keys, item count), those CreateTable made
// through the SDK and those UpdateTable adds through the aws CLI.
func TestTheLocalStackShowsTableIndexes(t *testing.T) {
	ctx := context.Background()
	s, err := local.Start(ctx, local.Options{StateDir: t.TempDir(), Addr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ddb := dynamodb.NewFromConfig(aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.Outputs.Endpoint)})
	key := func(name string, kt ddbtypes.KeyType) ddbtypes.KeySchemaElement {
		return ddbtypes.KeySchemaElement{AttributeName: aws.String(name), KeyType: kt}
	}
	def := func(name string, at ddbtypes.ScalarAttributeType) ddbtypes.AttributeDefinition {
		return ddbtypes.AttributeDefinition{AttributeName: aws.String(name), AttributeType: at}
	}
	if _, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("audit-log"), BillingMode: ddbtypes.BillingModePayPerRequest,
		KeySchema:            []ddbtypes.KeySchemaElement{key("pk", ddbtypes.KeyTypeHash), key("sk", ddbtypes.KeyTypeRange)},
		AttributeDefinitions: []ddbtypes.AttributeDefinition{def("pk", "S"), def("sk", "N"), def("actor", "S"), def("at", "N")},
		GlobalSecondaryIndexes: []ddbtypes.GlobalSecondaryIndex{{IndexName: aws.String("byActor"),
			KeySchema: []ddbtypes.KeySchemaElement{key("actor", ddbtypes.KeyTypeHash)}, Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeKeysOnly}}},
		LocalSecondaryIndexes: []ddbtypes.LocalSecondaryIndex{{IndexName: aws.String("byTime"),
			KeySchema: []ddbtypes.KeySchemaElement{key("pk", ddbtypes.KeyTypeHash), key("at", ddbtypes.KeyTypeRange)}, Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll}}},
	}); err != nil {
		t.Fatal(err)
	}
	// A new table is CREATING for a moment, as on AWS: wait for ACTIVE.
	active := dynamodb.NewTableExistsWaiter(ddb, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 100*time.Millisecond
	})
	if err := active.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("audit-log")}, time.Minute); err != nil {
		t.Fatal(err)
	}
	for i, actor := range []string{"alice", "bob", ""} {
		it := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "loan-1"}, "sk": &ddbtypes.AttributeValueMemberN{Value: string(rune('1' + i))}}
		if actor != "" {
			it["actor"] = &ddbtypes.AttributeValueMemberS{Value: actor}
		}
		if _, err := ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("audit-log"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	page := consolePage(t, s, "tables")
	for _, want := range []string{"audit-log key pk (S), sk (N) · 3 items", "byActor global actor (S) KEYS_ONLY 2", "byTime local pk (S), at (N) ALL 0",
		local.TableName + " key callbackId (S)"} {
		if !strings.Contains(page, want) {
			t.Errorf("/tables: missing %q in %s", want, page)
		}
	}

	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH: the index an UpdateTable adds is not checked")
	}
	cmd := exec.CommandContext(ctx, "aws", "--endpoint-url", s.Outputs.Endpoint, "--output", "json", "dynamodb", "update-table", "--table-name", "audit-log",
		"--attribute-definitions", "AttributeName=sk,AttributeType=N",
		"--global-secondary-index-updates", `[{"Create":{"IndexName":"bySk","KeySchema":[{"AttributeName":"sk","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}}]`)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION="+s.Region,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws dynamodb update-table: %v: %s", err, stderr.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for page = consolePage(t, s, "tables"); !strings.Contains(page, "bySk global sk (N) ALL 3") && time.Now().Before(deadline); page = consolePage(t, s, "tables") {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(page, "bySk global sk (N) ALL 3") {
		t.Errorf("/tables after update-table: no bySk with its 3 items in %s", page)
	}
}
