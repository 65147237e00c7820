package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"loanflow/infra/local"
	"loanflow/infra/local/sqlitedb"
	"loanflow/infra/scenarios"
)

// startAt starts a stack on addr with the state in dir, its log in dir's
// stack.log (shown if the test fails).
func startAt(t *testing.T, addr, dir string, sockets bool) *local.Stack {
	t.Helper()
	cfg := scenarios.FastConfig(scenarios.DefaultCallbackTimeout, 200*time.Millisecond)
	logPath := filepath.Join(t.TempDir(), "stack.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	s, err := local.Start(context.Background(), local.Options{Addr: addr, StateDir: dir, Config: &cfg, FunctionsOverSockets: sockets,
		Logger: slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 10000 {
				b = b[len(b)-10000:]
			}
			t.Logf("log of the stack on %s:\n%s", dir, b)
		}
	})
	return s
}

func sfnClient(s *local.Stack) *sfn.Client {
	return sfn.NewFromConfig(aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.Outputs.Endpoint)})
}

func startLoan(ctx context.Context, c *sfn.Client, arn, runID string, i int) (string, error) {
	in, err := json.Marshal(scenarios.All()[0].Loan(runID, i)) // happy path
	if err != nil {
		return "", err
	}
	out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn),
		Name: aws.String(fmt.Sprintf("%s-%d", runID, i)), Input: aws.String(string(in))})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ExecutionArn), nil
}

// approved waits until every execution in arns has ended, and says which
// did not end SUCCEEDED with an APPROVED decision.
func approved(t *testing.T, c *sfn.Client, arns []string, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	var bad []string
	for _, arn := range arns {
		for {
			d, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != sfntypes.ExecutionStatusRunning {
				if d.Status != sfntypes.ExecutionStatusSucceeded || !strings.Contains(aws.ToString(d.Output), `"APPROVED"`) {
					bad = append(bad, fmt.Sprintf("%s: %s %s", arn, d.Status, aws.ToString(d.Output)))
				}
				break
			}
			if time.Now().After(deadline) {
				bad = append(bad, arn+": still RUNNING")
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return bad
}

// A backup taken while loans flow is a consistent copy: it passes
// quick_check, and a stack restored from it (the copy as its state file,
// the same signing keys and port) serves it: every loan it holds, whatever
// step it was at when the copy was made, ends approved, and new loans run.
func TestBackupWhileLoansFlowRestoresToAServingStack(t *testing.T) {
	ctx := context.Background()
	dirA := t.TempDir()
	a := startAt(t, "127.0.0.1:0", dirA, true)
	ca := sfnClient(a)

	const loans = 40
	var started atomic.Int64
	var wg sync.WaitGroup
	arns := make([]string, loans)
	errs := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range loans {
			arn, err := startLoan(ctx, ca, a.Outputs.LoanProcessorARN, "backup", i)
			if err != nil {
				errs <- err
				return
			}
			arns[i] = arn
			started.Add(1)
			time.Sleep(25 * time.Millisecond)
		}
	}()
	for started.Load() < loans/2 {
		time.Sleep(5 * time.Millisecond)
	}
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	startedBefore := started.Load() // committed before the copy's read began
	info, err := local.Backup(ctx, dirA, copyPath)
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	t.Logf("backup of %d bytes took %s; %d of %d loans had started when it began", info.Bytes, info.Took, startedBefore, loans)
	if bad := approved(t, ca, arns, 2*time.Minute); len(bad) > 0 {
		t.Fatalf("loans on the stack that was backed up:\n%s", strings.Join(bad, "\n"))
	}

	db, err := sqlitedb.Open(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := sqlitedb.QuickCheck(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := sqlitedb.Close(db); err != nil {
		t.Fatal(err)
	}

	// Restore as the README says: the copy as the state file, beside the
	// signing keys, on the same address (the callback URLs name it).
	addr := strings.TrimPrefix(a.Outputs.Endpoint, "http://")
	a.Close()
	dirB := t.TempDir()
	for from, to := range map[string]string{copyPath: local.StateFileName, filepath.Join(dirA, local.SecretsFile): local.SecretsFile} {
		if err := copyFile(from, filepath.Join(dirB, to)); err != nil {
			t.Fatal(err)
		}
	}
	b := startAt(t, addr, dirB, false)
	cb := sfnClient(b)
	var restored []string
	p := sfn.NewListExecutionsPaginator(cb, &sfn.ListExecutionsInput{StateMachineArn: aws.String(b.Outputs.LoanProcessorARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Executions {
			restored = append(restored, aws.ToString(e.ExecutionArn))
		}
	}
	if int64(len(restored)) < startedBefore || len(restored) > loans {
		t.Fatalf("the copy holds %d loans; %d had started when the backup began, %d in all", len(restored), startedBefore, loans)
	}
	for i := range 2 {
		arn, err := startLoan(ctx, cb, b.Outputs.LoanProcessorARN, "after-restore", i)
		if err != nil {
			t.Fatal(err)
		}
		restored = append(restored, arn)
	}
	// A message a consumer held when the copy was made comes back after its
	// visibility timeout (48 s): give it that.
	if bad := approved(t, cb, restored, 3*time.Minute); len(bad) > 0 {
		t.Fatalf("loans on the restored stack:\n%s", strings.Join(bad, "\n"))
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
