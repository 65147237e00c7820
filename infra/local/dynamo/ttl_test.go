package dynamo

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ttlTable creates table name keyed by pk (S) with TTL on expiresAt, and
// puts an item "expired" whose TTL is now-10s and one "live" at now+1h.
func ttlTable(t *testing.T, s *Store, name string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	tokensTable(t, s, name, false)
	if err := s.UpdateTimeToLive(ctx, name, "expiresAt", true); err != nil {
		t.Fatal(err)
	}
	for pk, exp := range map[string]time.Time{"expired": now.Add(-10 * time.Second), "live": now.Add(time.Hour)} {
		it := Item{"pk": S(pk), "expiresAt": N(itoa(exp.Unix()))}
		if _, err := s.PutItem(ctx, &PutItemInput{TableName: name, Item: it}); err != nil {
			t.Fatal(err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestSDKTTLExpiredItemsReadUntilSwept: DynamoDB returns an item past its
// TTL to every read until its background process deletes it; callers
// filter on the TTL attribute.
func TestSDKTTLExpiredItemsReadUntilSwept(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := &testClock{now: now}
	s := newTestStore(t, clock)
	c := newSDKClient(t, s)
	ctx := context.Background()
	ttlTable(t, s, "tok", now)
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "expired"}}

	got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("tok"), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil || got.Item == nil {
		t.Fatalf("GetItem of an expired item before the sweep = %+v, %v", got, err)
	}
	q, err := c.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("tok"), KeyConditionExpression: aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "expired"}}})
	if err != nil || q.Count != 1 {
		t.Fatalf("Query of an expired item = %+v, %v", q, err)
	}
	nowN := &types.AttributeValueMemberN{Value: itoa(now.Unix())}
	sc, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("tok"), FilterExpression: aws.String("expiresAt > :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": nowN}})
	if err != nil || sc.Count != 1 || sc.ScannedCount != 2 {
		t.Fatalf("Scan filtering expired items = %+v, %v", sc, err)
	}

	if n, err := s.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep within the deletion delay = %d, %v", n, err)
	}
	clock.Set(now.Add(DefaultTTLDeletionDelay))
	if n, err := s.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep after the deletion delay = %d, %v", n, err)
	}
	got, err = c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("tok"), Key: key})
	if err != nil || got.Item != nil {
		t.Errorf("GetItem after the sweep = %+v, %v", got, err)
	}
	d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("tok")})
	if err != nil || aws.ToInt64(d.Table.ItemCount) != 1 {
		t.Errorf("DescribeTable after the sweep = %+v, %v", d, err)
	}
}

func TestAWSCLITTLExpiredItemsReadUntilSwept(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	now := time.Unix(1_700_000_000, 0)
	clock := &testClock{now: now}
	s := newTestStore(t, clock)
	srv := newTestServer(t, s)
	ttlTable(t, s, "tok", now)
	run := func(out any, args ...string) {
		t.Helper()
		if stderr, err := awsCLI(t, srv.URL, out, args...); err != nil {
			t.Fatalf("aws %s: %v: %s", strings.Join(args, " "), err, stderr)
		}
	}
	var got struct{ Item map[string]map[string]string }
	run(&got, "dynamodb", "get-item", "--table-name", "tok", "--key", `{"pk":{"S":"expired"}}`)
	if got.Item["pk"]["S"] != "expired" {
		t.Fatalf("get-item of an expired item before the sweep = %+v", got)
	}
	var scan struct{ Count, ScannedCount int }
	run(&scan, "dynamodb", "scan", "--table-name", "tok", "--filter-expression", "expiresAt > :now",
		"--expression-attribute-values", `{":now":{"N":"`+itoa(now.Unix())+`"}}`)
	if scan.Count != 1 || scan.ScannedCount != 2 {
		t.Errorf("scan filtering expired items = %+v", scan)
	}
	clock.Set(now.Add(DefaultTTLDeletionDelay))
	if n, err := s.Sweep(context.Background()); err != nil || n != 1 {
		t.Fatalf("sweep = %d, %v", n, err)
	}
	got.Item = nil
	run(&got, "dynamodb", "get-item", "--table-name", "tok", "--key", `{"pk":{"S":"expired"}}`)
	if got.Item != nil {
		t.Errorf("get-item after the sweep = %+v", got)
	}
}
