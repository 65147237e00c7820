package sns

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"loanflow/infra/local/functions"
	"loanflow/infra/local/localtest"
	"loanflow/infra/local/sqlitedb"
	"loanflow/infra/local/sqs"
)

// stack is an SNS Service with a local SQS and Lambda registry on one
// SQLite file, served over HTTP for the SDK and the CLI.
type stack struct {
	t       *testing.T
	path    string
	db      *sql.DB
	queues  *sqs.Broker
	fns     *functions.Registry
	svc     *Service
	srv     *httptest.Server
	handler atomic.Pointer[Service]
	client  *awssns.Client
	opts    Options
}

func newStack(t *testing.T, opts Options) *stack {
	t.Helper()
	st := &stack{t: t, path: filepath.Join(t.TempDir(), "state.db"), opts: opts,
		fns: functions.NewRegistry("us-east-1", "000000000000", nil)}
	st.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		svc := st.handler.Load()
		if svc == nil || !IsRequest(r) {
			http.NotFound(w, r)
			return
		}
		svc.ServeHTTP(w, r)
	}))
	st.opts.BaseURL = "http://" + st.srv.Listener.Addr().String()
	st.open()
	st.srv.Start()
	t.Cleanup(func() {
		st.srv.Close()
		st.close()
	})
	st.client = awssns.New(awssns.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(st.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("x", "x", ""),
	})
	return st
}

func (st *stack) open() {
	t := st.t
	t.Helper()
	db, err := sqlitedb.Open(st.path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st.db = db
	if st.queues, err = sqs.New(ctx, db, sqs.Options{Region: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	opts := st.opts
	opts.Queues, opts.Functions = st.queues, st.fns
	if opts.RetryUnit == 0 {
		opts.RetryUnit = 5 * time.Millisecond
	}
	if st.svc, err = New(ctx, db, opts); err != nil {
		t.Fatal(err)
	}
	st.svc.Start(ctx)
	st.handler.Store(st.svc)
}

func (st *stack) close() {
	if st.svc == nil {
		return
	}
	st.handler.Store(nil)
	st.svc.Close()
	_ = sqlitedb.Close(st.db)
	st.svc = nil
}

// restart closes everything and opens it again from the file.
func (st *stack) restart() {
	st.close()
	st.open()
}

func (st *stack) createQueue(name string) string {
	st.t.Helper()
	if _, err := st.queues.CreateQueue(context.Background(), name, nil); err != nil {
		st.t.Fatal(err)
	}
	return st.queues.QueueARN(name)
}

// receive waits for one message on a queue.
func (st *stack) receive(queue string) sqs.Message {
	st.t.Helper()
	wait := 3 * time.Second
	msgs, err := st.queues.Receive(context.Background(), queue, sqs.ReceiveOptions{WaitTime: &wait})
	if err != nil {
		st.t.Fatal(err)
	}
	if len(msgs) != 1 {
		st.t.Fatalf("queue %s: want a message, got none", queue)
	}
	return msgs[0]
}

// queueEmpty reports whether a queue holds nothing to receive.
func (st *stack) queueEmpty(queue string) bool {
	st.t.Helper()
	qs, err := st.queues.QueueStats(context.Background(), queue)
	if err != nil {
		st.t.Fatal(err)
	}
	return qs.Visible == 0 && qs.Delayed == 0
}

func (st *stack) createTopic(name string) string {
	st.t.Helper()
	out, err := st.client.CreateTopic(context.Background(), &awssns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		st.t.Fatal(err)
	}
	return aws.ToString(out.TopicArn)
}

func (st *stack) subscribe(topicARN, protocol, endpoint string, attrs map[string]string) string {
	st.t.Helper()
	out, err := st.client.Subscribe(context.Background(), &awssns.SubscribeInput{TopicArn: aws.String(topicARN),
		Protocol: aws.String(protocol), Endpoint: aws.String(endpoint), Attributes: attrs, ReturnSubscriptionArn: true})
	if err != nil {
		st.t.Fatal(err)
	}
	return aws.ToString(out.SubscriptionArn)
}

// deliveryStates counts a message's deliveries by state.
func (st *stack) deliveryStates(messageID string) map[string]int {
	st.t.Helper()
	rows, err := st.db.Query(`SELECT state, count(*) FROM sns_deliveries WHERE message_id = ? GROUP BY state`, messageID)
	if err != nil {
		st.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			st.t.Fatal(err)
		}
		out[s] = n
	}
	return out
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

// waitFor fails t unless cond holds within 5 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	localtest.Eventually(t, 5*time.Second, what, func() (bool, string) { return cond(), "" })
}

// endpoint is an HTTP subscriber that records what SNS posts to it and
// answers with the status its status func returns.
type endpoint struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []posted
	status func(n int) int // n counts requests from 1
}

type posted struct {
	header http.Header
	body   string
}

func newEndpoint(t *testing.T, status func(n int) int) *endpoint {
	e := &endpoint{status: status}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.got = append(e.got, posted{header: r.Header.Clone(), body: string(b)})
		n := len(e.got)
		e.mu.Unlock()
		code := http.StatusOK
		if e.status != nil {
			code = e.status(n)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) posts() []posted {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]posted(nil), e.got...)
}

// waitPosts waits for n requests and returns them.
func (e *endpoint) waitPosts(t *testing.T, n int) []posted {
	t.Helper()
	waitFor(t, "posts to the endpoint", func() bool { return len(e.posts()) >= n })
	return e.posts()
}

func asType[T error](err error, target *T) bool { return errors.As(err, target) }
