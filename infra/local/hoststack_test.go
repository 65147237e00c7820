package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"loanflow/contracts"
	"loanflow/infra/local/sqlitedb"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func startStack(t *testing.T, opts Options) *Stack {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func clientConfig(s *Stack) aws.Config {
	return aws.Config{Region: s.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(s.Outputs.Endpoint)}
}

// heldState starts a stack on a new directory, leaves n loans waiting for
// their valuation (executions, tokens, the mock's own executions) and
// stops it.
func heldState(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	s := startStack(t, Options{StateDir: dir})
	c := sfn.NewFromConfig(clientConfig(s))
	for i := range n {
		in, _ := json.Marshal(contracts.LoanApplication{ApplicationID: fmt.Sprintf("held-%d", i),
			Applicant: contracts.Applicant{Name: "Ada Lovelace", Email: "ada@example.com"},
			Property: contracts.Property{Name: "mock:no-callback", PropertyType: "TERRACED",
				Address: contracts.Address{Line1: strconv.Itoa(i+1) + " Analytical Row", Town: "London", Postcode: "SW1A 1AA"}},
			LoanAmount: 25000000, Currency: "GBP", TermMonths: 300})
		if _, err := c.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(s.Outputs.LoanProcessorARN),
			Name: aws.String(fmt.Sprintf("held-%d", i)), Input: aws.String(string(in))}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := c.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(s.Outputs.ValuationServiceMachineARN)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Executions) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d loans reached the valuation service", len(out.Executions), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Close()
	return dir
}

// snapshot maps each file of dir to its size and modification time.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fmt.Sprintf("%d %s", fi.Size(), fi.ModTime())
	}
	return out
}

func wantDamaged(t *testing.T, dir string, err error, what string) {
	t.Helper()
	if !errors.Is(err, ErrStateDamaged) {
		t.Fatalf("start: %v, want ErrStateDamaged", err)
	}
	msg := err.Error()
	for _, want := range []string{what, "Nothing was changed", "copy the backup to " + filepath.Join(dir, StateFileName),
		"loanflow up --reset --state " + dir} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message does not say %q:\n%s", want, msg)
		}
	}
}

func TestStartRefusesAnEmptyStateFileOfADirectoryThatHeldAStack(t *testing.T) {
	dir := heldState(t, 2)
	if err := os.Truncate(filepath.Join(dir, StateFileName), 0); err != nil {
		t.Fatal(err)
	}
	// The marker gone too (a directory from before it): secrets.json is enough.
	if err := os.Remove(filepath.Join(dir, HeldFile)); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	_, err := Start(context.Background(), Options{Addr: "127.0.0.1:0", StateDir: dir, Logger: quiet})
	wantDamaged(t, dir, err, "loanflow.db is empty (0 bytes), but the directory held a local stack (secrets.json)")
	if after := snapshot(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("the refused start changed the directory:\nbefore %v\nafter  %v", before, after)
	}

	if err := os.Remove(filepath.Join(dir, StateFileName)); err != nil {
		t.Fatal(err)
	}
	_, err = Start(context.Background(), Options{Addr: "127.0.0.1:0", StateDir: dir, Logger: quiet})
	wantDamaged(t, dir, err, "loanflow.db is missing")
}

func TestStartRefusesGarbageInPagesOfTheStateFile(t *testing.T) {
	dir := heldState(t, 6)
	pages := garbleTablePages(t, filepath.Join(dir, StateFileName), "sfn_history_chunks", 3)
	_, err := Start(context.Background(), Options{Addr: "127.0.0.1:0", StateDir: dir, Logger: quiet})
	wantDamaged(t, dir, err, "loanflow.db is")
	t.Logf("garbage in pages %v:\n%v", pages, err)
}

func TestResetDiscardsADamagedStateAndKeepsTheKeys(t *testing.T) {
	dir := heldState(t, 1)
	key, err := ReadSecret(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, StateFileName), 0); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, Options{StateDir: dir, Reset: true})
	if string(s.Secret()) != string(key) {
		t.Fatal("reset replaced the signing key")
	}
}

func TestStartOnAFreshDirectoryAndAgain(t *testing.T) {
	for name, dir := range map[string]string{"empty": t.TempDir(), "new": filepath.Join(t.TempDir(), "a", "b")} {
		t.Run(name, func(t *testing.T) {
			s := startStack(t, Options{StateDir: dir})
			s.Close()
			if _, err := os.Stat(filepath.Join(dir, HeldFile)); err != nil {
				t.Fatalf("no marker after a start: %v", err)
			}
			startStack(t, Options{StateDir: dir})
		})
	}
}

// garbleTablePages overwrites n leaf pages of table in a closed database
// file with random bytes, as a torn write or a bad block would: pages that
// a start does not read (execution histories), so only a check finds them.
func garbleTablePages(t *testing.T, path, table string, n int) []int {
	t.Helper()
	db, err := sqlitedb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var pages []int
	rows, err := db.Query(`SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno`, table)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p int
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
	}
	rows.Close()
	var size int
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	if err := sqlitedb.Close(db); err != nil {
		t.Fatal(err)
	}
	if len(pages) < n {
		t.Fatalf("%s has %d leaf pages, want %d", table, len(pages), n)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(1, 2))
	var hit []int
	for _, i := range r.Perm(len(pages))[:n] {
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		if _, err := f.WriteAt(b, int64(pages[i]-1)*int64(size)); err != nil {
			t.Fatal(err)
		}
		hit = append(hit, pages[i])
	}
	return hit
}

func TestAStartOnABusyPortLeavesNoState(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	parent := t.TempDir()
	dir := filepath.Join(parent, "state")
	if _, err := Start(context.Background(), Options{Addr: busy.Addr().String(), StateDir: dir, Logger: quiet}); err == nil ||
		!strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "is another local stack running? use --addr") {
		t.Fatalf("start on a busy port: %v", err)
	}
	// A port that cannot be is not blamed on another stack.
	if _, err := Start(context.Background(), Options{Addr: "127.0.0.1:99999", StateDir: dir, Logger: quiet}); err == nil ||
		!strings.Contains(err.Error(), "invalid port") || strings.Contains(err.Error(), "another local stack") {
		t.Fatalf("start on port 99999: %v", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("a failed start left %v behind", entries)
	}
	empty := t.TempDir()
	if _, err := Start(context.Background(), Options{Addr: busy.Addr().String(), StateDir: empty, Logger: quiet}); err == nil {
		t.Fatal("start on a busy port succeeded")
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Fatalf("a failed start left %v behind", entries)
	}
}

func TestANonLoopbackAddressNeedsListenPublic(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0"} {
		dir := filepath.Join(t.TempDir(), "state")
		_, err := Start(context.Background(), Options{Addr: addr, StateDir: dir, Logger: quiet})
		if !errors.Is(err, ErrNotLoopback) || !strings.Contains(err.Error(), "--listen-public") {
			t.Fatalf("start on %s: %v, want ErrNotLoopback naming --listen-public", addr, err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a refused start on %s created its state directory", addr)
		}
	}
	s := startStack(t, Options{Addr: ":0", StateDir: t.TempDir(), ListenPublic: true})
	if !s.Outputs.Public || !strings.HasPrefix(s.Outputs.Endpoint, "http://127.0.0.1:") || strings.Contains(s.Outputs.ListenAddress, "127.0.0.1") {
		t.Fatalf("outputs: endpoint %s, listen %s, public %v", s.Outputs.Endpoint, s.Outputs.ListenAddress, s.Outputs.Public)
	}
	out, err := sqs.NewFromConfig(clientConfig(s)).ListQueues(context.Background(), &sqs.ListQueuesInput{})
	if err != nil || len(out.QueueUrls) != 3 {
		t.Fatalf("list queues on the endpoint: %v, %v", out, err)
	}
}

func do(t *testing.T, method, rawURL, host string, header map[string]string, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A page on evil.example that rebinds its name to 127.0.0.1 calls the stack
// as its own origin: every endpoint must refuse it by its Host.
func TestEveryEndpointRefusesAHostNotOnTheList(t *testing.T) {
	s := startStack(t, Options{StateDir: t.TempDir(), AllowHosts: []string{"loanflow.test"}})
	ctx := context.Background()
	q := sqs.NewFromConfig(clientConfig(s))
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(s.Outputs.DLQURL), MessageBody: aws.String(`{"dead":true}`)}); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(s.Outputs.Endpoint)
	port := u.Port()
	base := s.Outputs.Endpoint
	requests := []struct {
		name, method, path, body string
		header                   map[string]string
	}{
		{"AWS API", http.MethodPost, "/", `{}`, map[string]string{"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"}},
		{"console", http.MethodGet, "/", "", nil},
		{"console redrive", http.MethodPost, "/queues/redrive", "name=" + DLQName, nil},
		{"webhook", http.MethodPost, "/valuations/cb-1", `{}`, map[string]string{"Content-Type": "application/json"}},
		{"mock service", http.MethodPost, MockServicePathPrefix + "/valuations", `{}`, map[string]string{"Content-Type": "application/json"}},
	}
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example:" + port, "localhost:1"} {
		for _, r := range requests {
			h := map[string]string{"Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"}
			if r.method == http.MethodPost && r.header == nil {
				h["Content-Type"] = "application/x-www-form-urlencoded"
			}
			for k, v := range r.header {
				h[k] = v
			}
			code, body := do(t, r.method, base+r.path, host, h, r.body)
			if code != http.StatusForbidden || !strings.Contains(body, "is not allowed") || !strings.Contains(body, "--allow-host") {
				t.Errorf("%s with Host %q: %d %s", r.name, host, code, body)
			}
			if r.name == "AWS API" && !strings.Contains(body, `"__type":"AccessDeniedException"`) {
				t.Errorf("AWS API with Host %q: %s, want an AWS JSON error", host, body)
			}
		}
	}
	if n := queueDepth(t, q, s.Outputs.DLQURL); n != 1 {
		t.Fatalf("the DLQ holds %d messages after the refused redrives, want 1", n)
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port, "loanflow.test", "loanflow.test:8443"} {
		code, body := do(t, http.MethodGet, base+"/", host, nil, "")
		if code != http.StatusOK {
			t.Errorf("console with Host %q: %d %s", host, code, body)
		}
	}
	// The console's own form, from an allowed name, still redrives.
	code, _ := do(t, http.MethodPost, base+"/queues/redrive", "localhost:"+port,
		map[string]string{"Origin": "http://localhost:" + port, "Content-Type": "application/x-www-form-urlencoded"}, "name="+DLQName)
	if code != http.StatusSeeOther {
		t.Fatalf("redrive from the console: %d", code)
	}
	if n := queueDepth(t, q, s.Outputs.DLQURL); n != 0 {
		t.Fatalf("the DLQ holds %d messages after the redrive, want 0", n)
	}
}

func queueDepth(t *testing.T, q *sqs.Client, queueURL string) int {
	t.Helper()
	out, err := q.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	return n
}

func TestHostAllowList(t *testing.T) {
	extra, err := parseAllowHosts([]string{"Dev.Box", "proxy.example:8443", "[fd00::1]"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := newHostAllowList(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4566}, extra)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"127.0.0.1:4566": true, "localhost:4566": true, "[::1]:4566": true, "LocalHost:4566": true,
		"dev.box": true, "dev.box:1234": true, "proxy.example:8443": true, "[fd00::1]:9": true, "[fd00::1]": true,
		"127.0.0.1:4567": false, "localhost": false, "evil.example:4566": false, "proxy.example": false, "proxy.example:4566": false,
		"": false, ":4566": false, "[::1]": false, "dev.box.evil.example": false, "127.0.0.1": false,
	} {
		if got := l.allows(host); got != want {
			t.Errorf("allows(%q) = %v, want %v", host, got, want)
		}
	}
	for _, bad := range []string{"", "*", "http://dev.box", "dev.box/x", "*.example", "a b", "dev.box:http", "[]", ":80", "[::1"} {
		if _, err := parseAllowHosts([]string{bad}); err == nil {
			t.Errorf("allowed host %q accepted", bad)
		}
	}
	on80, _ := newHostAllowList(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, nil)
	if !on80.allows("localhost") || !on80.allows("127.0.0.1") {
		t.Error("on port 80 a Host without a port is that port")
	}
}

// A second stack on a state directory that a stack serves is refused, even
// with --reset, and changes nothing there: two would each run the same
// waiting executions, timers and deliveries, and a reset would delete the
// file under the first. The message names the stack that holds it. Once
// that stack stops, the directory starts again.
func TestASecondStackOnTheSameStateIsRefused(t *testing.T) {
	dir := t.TempDir()
	first := startStack(t, Options{StateDir: dir})
	before := snapshot(t, dir)
	for _, reset := range []bool{false, true} {
		_, err := Start(context.Background(), Options{Addr: "127.0.0.1:0", StateDir: dir, Reset: reset, Logger: quiet})
		if !errors.Is(err, ErrStateInUse) {
			t.Fatalf("second start (reset %v): %v, want ErrStateInUse", reset, err)
		}
		for _, want := range []string{dir, fmt.Sprintf("pid %d", os.Getpid()), first.Outputs.Endpoint, "--state"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the refusal does not say %q: %v", want, err)
			}
		}
	}
	if after := snapshot(t, dir); fmt.Sprint(after[StateFileName]) != fmt.Sprint(before[StateFileName]) ||
		len(after) != len(before) {
		t.Fatalf("the refused starts changed the directory:\nbefore %v\nafter  %v", before, after)
	}
	// The first stack still serves what it holds.
	q := sqs.NewFromConfig(clientConfig(first))
	if _, err := q.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(first.Outputs.QueueURL)}); err != nil {
		t.Fatalf("the first stack after the refusals: %v", err)
	}
	first.Close()
	startStack(t, Options{StateDir: dir})
}

// A start that fails before it has looked at every file of the directory
// (a --reset that cannot remove a file, a file it cannot stat) takes away
// only what it made: the signing keys and the marker stay.
func TestAStartThatFailsEarlyKeepsTheStateFiles(t *testing.T) {
	t.Run("reset", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, SecretsFile), []byte(`{"keep":"me"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		// A marker the reset cannot remove (on Windows: a file another
		// program holds open; here a directory that is not empty).
		if err := os.MkdirAll(filepath.Join(dir, HeldFile, "x"), 0o700); err != nil {
			t.Fatal(err)
		}
		if _, err := Start(context.Background(), Options{Addr: "127.0.0.1:0", StateDir: dir, Reset: true, Logger: quiet}); err == nil {
			t.Fatal("start succeeded")
		}
		if _, err := os.Stat(filepath.Join(dir, SecretsFile)); err != nil {
			t.Fatalf("the failed --reset deleted %s: %v", SecretsFile, err)
		}
	})
	t.Run("stat", func(t *testing.T) {
		dir := t.TempDir()
		for _, f := range []string{StateFileName, SecretsFile, HeldFile} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte(`{"keep":"me"}`), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		// A -wal that stat cannot read (a symlink loop here; EACCES or EIO
		// in real life).
		if err := os.Symlink(StateFileName+"-wal", filepath.Join(dir, StateFileName+"-wal")); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, dir)
		if _, err := Start(context.Background(), Options{Addr: "127.0.0.1:0", StateDir: dir, Logger: quiet}); err == nil {
			t.Fatal("start succeeded")
		}
		if after := snapshot(t, dir); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("the failed start changed the directory:\nbefore %v\nafter  %v", before, after)
		}
	})
}

// A stack that stops empties its lock file: a start refused while another
// is starting (it holds the lock, and has not written itself in yet) does
// not name the stack that stopped.
func TestARefusalDoesNotNameAStoppedStack(t *testing.T) {
	dir := t.TempDir()
	first := startStack(t, Options{StateDir: dir})
	stopped := first.Outputs.Endpoint
	first.Close()
	starting, err := lockState(dir) // the next stack, between its lock and its announce
	if err != nil {
		t.Fatal(err)
	}
	defer starting.release()
	_, err = Start(context.Background(), Options{Addr: "127.0.0.1:0", StateDir: dir, Logger: quiet})
	if !errors.Is(err, ErrStateInUse) || strings.Contains(err.Error(), stopped) || !strings.Contains(err.Error(), "a stack that is starting") {
		t.Fatalf("refusal: %v; want ErrStateInUse naming a stack that is starting, not %s", err, stopped)
	}
}

// TestServingEndpointNamesTheRunningStack: while a stack runs, its state
// directory says where it serves (sign-event reads it); once it has
// stopped, it names none.
func TestServingEndpointNamesTheRunningStack(t *testing.T) {
	dir := t.TempDir()
	if e, ok := ServingEndpoint(dir); ok {
		t.Fatalf("an empty directory names %s", e)
	}
	s := startStack(t, Options{StateDir: dir})
	if e, ok := ServingEndpoint(dir); !ok || e != s.Outputs.Endpoint {
		t.Fatalf("ServingEndpoint = %q, %v; want %s", e, ok, s.Outputs.Endpoint)
	}
	s.Close()
	if e, ok := ServingEndpoint(dir); ok {
		t.Fatalf("after the stop it names %s", e)
	}
}
