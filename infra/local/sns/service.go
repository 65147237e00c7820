package sns

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"loanflow/infra/local/sqlitedb"
	"loanflow/infra/local/sqs"
)

// Queues is what the Service needs of the local SQS: SQS subscriptions and
// dead-letter queues are delivered to through it.
type Queues interface {
	Send(ctx context.Context, name string, msgs ...sqs.NewMessage) ([]sqs.Sent, error)
}

// Functions is what the Service needs of the local Lambda: lambda
// subscriptions are invoked through it (*functions.Registry has it).
type Functions interface {
	Invoke(ctx context.Context, nameOrARN string, payload []byte) ([]byte, error)
}

// Options configure a Service. Queues and Functions may be nil: deliveries
// to a protocol without its dependency fail as client errors.
type Options struct {
	// BaseURL is the local endpoint: SubscribeURL, UnsubscribeURL and
	// SigningCertURL point at it. Default http://127.0.0.1:4566.
	BaseURL string
	// Region and AccountID go into ARNs; default us-east-1, 000000000000.
	Region    string
	AccountID string
	Logger    *slog.Logger
	Queues    Queues
	Functions Functions
	// HTTPClient posts to http(s) subscriptions; default: a client with a
	// 15 s timeout (SNS's) that does not follow redirects.
	HTTPClient *http.Client
	// RetryUnit is what one second of a delivery policy lasts; default
	// time.Second. Tests shorten it.
	RetryUnit time.Duration
	// DeliveryTimeout bounds one delivery attempt; default 60 s.
	DeliveryTimeout time.Duration
	// Workers bounds concurrent deliveries; default 32.
	Workers int
	// KeepRecent is how many published messages are kept for the console
	// once their deliveries are done; default 500.
	KeepRecent int
	// ManagedMaxDelayRetries bounds the last phase of the retry policy for
	// sqs and lambda subscriptions (AWS: 100,000 retries 20 s apart, 23
	// days); default 35, which with the earlier phases makes 50 retries
	// over about 13 minutes.
	ManagedMaxDelayRetries int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Service is the local SNS.
type Service struct {
	db      *sql.DB
	w       *sqlitedb.Writer // commits writes together with the other components on db
	opts    Options
	log     *slog.Logger
	baseURL string
	signer  *signer
	client  *http.Client

	// mutate serialises changes to topics and subscriptions: each is a
	// write followed by an update of the cache below.
	mutate sync.Mutex
	mu     sync.RWMutex
	topics map[string]*topic        // by ARN; values are never mutated, only replaced
	subs   map[string]*subscription // by ARN; likewise

	runCtx context.Context // deliveries run under it; Close cancels it
	cancel context.CancelFunc
	runMu  sync.Mutex // guards closed and orders wg.Add before Close's wg.Wait
	closed bool
	wake   chan struct{}
	sem    chan struct{}
	wg     sync.WaitGroup
	start  sync.Once
}

type topic struct {
	arn, name   string
	attrs       map[string]string // attributes as set (Policy, DisplayName, DeliveryPolicy, ...)
	tags        map[string]string
	subsDeleted int64
	created     int64
}

type subscription struct {
	arn, topicARN, protocol, endpoint string
	attrs                             map[string]string // as set (RawMessageDelivery, FilterPolicy, ...)
	pending                           bool
	token                             string
	tokenExpires                      int64
	authenticated                     bool // ConfirmationWasAuthenticated
	authUnsubscribe                   bool // AuthenticateOnUnsubscribe: only signed requests may unsubscribe
	created                           int64

	filter *filter // compiled FilterPolicy; nil: every message
}

func (s *subscription) raw() bool { return s.attrs["RawMessageDelivery"] == "true" }

func (s *subscription) bodyScope() bool { return s.attrs["FilterPolicyScope"] == "MessageBody" }

// New creates the sns_ tables if needed, loads the topics and
// subscriptions and the signing key (made on first use). Deliveries start
// at once; retries and those left by a previous run wait for Start.
func New(ctx context.Context, db *sql.DB, opts Options) (*Service, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = "http://127.0.0.1:4566"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RetryUnit <= 0 {
		opts.RetryUnit = time.Second
	}
	if opts.DeliveryTimeout <= 0 {
		opts.DeliveryTimeout = time.Minute
	}
	if opts.Workers <= 0 {
		opts.Workers = 32
	}
	if opts.KeepRecent <= 0 {
		opts.KeepRecent = 500
	}
	if opts.ManagedMaxDelayRetries <= 0 {
		opts.ManagedMaxDelayRetries = 35
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}
	s := &Service{db: db, w: sqlitedb.WriterOf(db), opts: opts, log: opts.Logger, baseURL: strings.TrimRight(opts.BaseURL, "/"),
		client: client, topics: map[string]*topic{}, subs: map[string]*subscription{},
		wake: make(chan struct{}, 1), sem: make(chan struct{}, opts.Workers)}
	s.runCtx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	var err error
	if s.signer, err = loadSigner(ctx, db, s.w, opts.Region, opts.Now()); err != nil {
		return nil, err
	}
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// TopicARN returns the ARN of the named topic (whether or not it exists).
func (s *Service) TopicARN(name string) string {
	return "arn:aws:sns:" + s.opts.Region + ":" + s.opts.AccountID + ":" + name
}

func (s *Service) nowMS() int64 { return s.opts.Now().UnixMilli() }

func (s *Service) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return s.w.Write(ctx, "sns "+op, fn)
}

func (s *Service) load(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT arn, name, attributes, tags, subs_deleted, created_at FROM sns_topics`)
	if err != nil {
		return fmt.Errorf("sns: load topics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t := &topic{}
		var attrs, tags string
		if err := rows.Scan(&t.arn, &t.name, &attrs, &tags, &t.subsDeleted, &t.created); err != nil {
			return fmt.Errorf("sns: load topics: %w", err)
		}
		if err := errors.Join(json.Unmarshal([]byte(attrs), &t.attrs), json.Unmarshal([]byte(tags), &t.tags)); err != nil {
			return fmt.Errorf("sns: load topic %s: %w", t.arn, err)
		}
		s.topics[t.arn] = t
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sns: load topics: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT arn, topic_arn, protocol, endpoint, attributes, pending, token, token_expires_at,
		authenticated, auth_unsubscribe, created_at FROM sns_subscriptions`)
	if err != nil {
		return fmt.Errorf("sns: load subscriptions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		sub := &subscription{}
		var attrs string
		if err := rows.Scan(&sub.arn, &sub.topicARN, &sub.protocol, &sub.endpoint, &attrs, &sub.pending, &sub.token,
			&sub.tokenExpires, &sub.authenticated, &sub.authUnsubscribe, &sub.created); err != nil {
			return fmt.Errorf("sns: load subscriptions: %w", err)
		}
		if err := json.Unmarshal([]byte(attrs), &sub.attrs); err != nil {
			return fmt.Errorf("sns: load subscription %s: %w", sub.arn, err)
		}
		if p := sub.attrs["FilterPolicy"]; p != "" {
			f, ferr := compileFilterPolicy(p, sub.bodyScope())
			if ferr != nil {
				// Stored policies were checked when set; a policy this
				// version refuses matches nothing rather than everything.
				s.log.ErrorContext(ctx, "stored filter policy no longer compiles: the subscription receives nothing",
					"subscriptionArn", sub.arn, "err", ferr.Error())
				f = matchNothing
			}
			sub.filter = f
		}
		s.subs[sub.arn] = sub
	}
	return rows.Err()
}

func (s *Service) topic(arn string) (*topic, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.topics[arn]
	return t, ok
}

func (s *Service) subscription(arn string) (*subscription, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sub, ok := s.subs[arn]
	return sub, ok
}

// subscriptionsOf returns a topic's subscriptions, oldest first.
func (s *Service) subscriptionsOf(topicARN string) []*subscription {
	s.mu.RLock()
	var out []*subscription
	for _, sub := range s.subs {
		if sub.topicARN == topicARN {
			out = append(out, sub)
		}
	}
	s.mu.RUnlock()
	sortSubs(out)
	return out
}

func encodeMap(m map[string]string) string {
	if m == nil {
		m = map[string]string{}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// newToken returns a confirmation token: 128 random bytes in hex, as long
// as AWS's.
func newToken() string {
	b := make([]byte, 128)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
