package dynamo

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// segmentItems puts 120 items in "seg" (pk S, sk N): 40 partitions of 3,
// and indexes them by grp (a GSI).
func segmentItems(t *testing.T, c *dynamodb.Client) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("seg"), BillingMode: types.BillingModePayPerRequest,
		KeySchema: ks("pk", "sk"), AttributeDefinitions: defs("pk", "S", "sk", "N", "grp", "S"),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{IndexName: aws.String("byGrp"), KeySchema: ks("grp", "sk"),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}}}}); err != nil {
		t.Fatal(err)
	}
	for p := range 40 {
		var reqs []types.WriteRequest
		for sk := range 3 {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
				"pk": avS(fmt.Sprintf("p%02d", p)), "sk": avN(fmt.Sprint(sk)), "grp": avS(fmt.Sprintf("g%d", p%7))}}})
		}
		if _, err := c.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{"seg": reqs}}); err != nil {
			t.Fatal(err)
		}
	}
}

// scanSegment reads one segment whole, a page of limit at a time, and
// returns its items as pk/sk.
func scanSegment(t *testing.T, c *dynamodb.Client, index string, segment, total int32, limit int32) []string {
	t.Helper()
	var out []string
	var start map[string]types.AttributeValue
	for {
		in := &dynamodb.ScanInput{TableName: aws.String("seg"), Segment: aws.Int32(segment), TotalSegments: aws.Int32(total), Limit: aws.Int32(limit), ExclusiveStartKey: start}
		if index != "" {
			in.IndexName = aws.String(index)
		}
		sc, err := c.Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("segment %d/%d: %v", segment, total, err)
		}
		for _, it := range sc.Items {
			out = append(out, sdkS(it, "pk")+"/"+sdkN(it, "sk"))
		}
		if sc.LastEvaluatedKey == nil {
			return out
		}
		start = sc.LastEvaluatedKey
	}
}

// TestSDKParallelScan: the segments of a parallel scan, of the table and of
// an index, hold every item exactly once, the items of a partition
// together, the same way every time.
func TestSDKParallelScan(t *testing.T) {
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	c := newSDKClient(t, s)
	segmentItems(t, c)
	for _, index := range []string{"", "byGrp"} {
		var all []string
		bySegment := map[string]int32{}
		nonEmpty := 0
		for seg := range int32(4) {
			items := scanSegment(t, c, index, seg, 4, 7)
			if len(items) > 0 {
				nonEmpty++
			}
			if again := scanSegment(t, c, index, seg, 4, 50); !slices.Equal(slices.Sorted(slices.Values(items)), slices.Sorted(slices.Values(again))) {
				t.Errorf("index %q segment %d differs between two scans", index, seg)
			}
			for _, it := range items {
				pk := strings.Split(it, "/")[0]
				if prev, ok := bySegment[pk]; ok && prev != seg && index == "" {
					t.Errorf("partition %s split over segments %d and %d", pk, prev, seg)
				}
				bySegment[pk] = seg
			}
			all = append(all, items...)
		}
		slices.Sort(all)
		if len(all) != 120 || len(slices.Compact(slices.Clone(all))) != 120 {
			t.Errorf("index %q: the segments hold %d items (%d distinct), want 120 once each", index, len(all), len(slices.Compact(slices.Clone(all))))
		}
		if nonEmpty < 2 {
			t.Errorf("index %q: only %d of 4 segments hold items", index, nonEmpty)
		}
	}
	// One segment of one is the whole table.
	if got := scanSegment(t, c, "", 0, 1, 1000); len(got) != 120 {
		t.Errorf("segment 0 of 1 holds %d items", len(got))
	}

	ctx := context.Background()
	for _, tc := range []struct {
		segment, total *int32
		want           string
	}{
		{aws.Int32(1), nil, "The TotalSegments parameter is required but was not present in the request when Segment parameter is present"},
		{nil, aws.Int32(2), "The Segment parameter is required but was not present in the request when parameter TotalSegments is present"},
		{aws.Int32(5), aws.Int32(5), "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 5 is not less than TotalSegments: 5"},
		{aws.Int32(0), aws.Int32(1_000_001), "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000"},
	} {
		_, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("seg"), Segment: tc.segment, TotalSegments: tc.total})
		wantAPIError(t, err, "ValidationException", tc.want, fmt.Sprintf("Segment %v TotalSegments %v", aws.ToInt32(tc.segment), aws.ToInt32(tc.total)))
	}
	// A start key from another segment is refused.
	first, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("seg"), Segment: aws.Int32(0), TotalSegments: aws.Int32(2), Limit: aws.Int32(1)})
	if err != nil || first.LastEvaluatedKey == nil {
		t.Fatalf("first page of segment 0 = %+v, %v", first, err)
	}
	_, err = c.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("seg"), Segment: aws.Int32(1), TotalSegments: aws.Int32(2), ExclusiveStartKey: first.LastEvaluatedKey})
	wantAPIError(t, err, "ValidationException", "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: 1", "start key of another segment")
}

// TestAWSCLIParallelScan: the aws CLI pages through each segment itself;
// together the segments hold every item once.
func TestAWSCLIParallelScan(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	s := newTestStore(t, &testClock{now: time.Unix(1_700_000_000, 0)})
	srv := newTestServer(t, s)
	segmentItems(t, newSDKClient(t, s))
	seen := map[string]int{}
	for seg := range 2 {
		var out struct {
			Items []map[string]map[string]string
			Count int
		}
		if stderr, err := awsCLI(t, srv.URL, &out, "dynamodb", "scan", "--table-name", "seg", "--segment", fmt.Sprint(seg), "--total-segments", "2",
			"--page-size", "25"); err != nil {
			t.Fatalf("aws dynamodb scan segment %d: %v: %s", seg, err, stderr)
		}
		for _, it := range out.Items {
			seen[it["pk"]["S"]+"/"+it["sk"]["N"]]++
		}
	}
	if len(seen) != 120 {
		t.Errorf("the CLI's segments hold %d distinct items, want 120", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("item %s in %d segments", k, n)
		}
	}
	stderr, err := awsCLI(t, srv.URL, nil, "dynamodb", "scan", "--table-name", "seg", "--segment", "2", "--total-segments", "2")
	if err == nil || !strings.Contains(stderr, "ValidationException") || !strings.Contains(stderr, "Segment: 2 is not less than TotalSegments: 2") {
		t.Errorf("segment 2 of 2: %v: %s", err, stderr)
	}
}
