package sqs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"loanflow/infra/local/internal/wakeup"
	"loanflow/infra/local/sqlitedb"
)

// AccountID is the account every local queue belongs to.
const AccountID = "000000000000"

// Options configure a Broker. The zero value serves queues at
// http://127.0.0.1:4566 in us-east-1 on the system clock.
type Options struct {
	// BaseURL is the scheme and host queue URLs start with.
	BaseURL string
	// Region goes into queue ARNs.
	Region string
	Clock  Clock
	Logger *slog.Logger
}

// Broker owns the SQS queues stored in one SQLite database.
type Broker struct {
	db      *sql.DB
	baseURL string
	region  string
	clock   Clock
	log     *slog.Logger

	// w commits this package's writes together with every other
	// component's on db (see sqlitedb.Writer).
	w *sqlitedb.Writer

	mu     sync.RWMutex
	queues map[string]*queue // by name; values are never mutated, only replaced

	waiters wakeup.Broadcast[int64] // long pollers, by queue id

	// tasksActive tells whether a message move task may be running or
	// cancelling (see advanceMoveTasks); it is set inside write transactions.
	tasksActive atomic.Bool
}

// New creates the sqs_ tables if needed and loads the existing queues.
func New(ctx context.Context, db *sql.DB, opts Options) (*Broker, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = "http://127.0.0.1:4566"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Broker{
		db:      db,
		w:       sqlitedb.WriterOf(db),
		baseURL: strings.TrimRight(opts.BaseURL, "/"),
		region:  opts.Region,
		clock:   opts.Clock,
		log:     opts.Logger,
		queues:  map[string]*queue{},
	}
	if err := migrate(ctx, db); err != nil {
		return nil, err
	}
	if err := b.loadQueues(ctx); err != nil {
		return nil, err
	}
	var active int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqs_move_tasks WHERE status IN (?, ?)`, MoveTaskRunning, MoveTaskCancelling).Scan(&active); err != nil {
		return nil, fmt.Errorf("sqs: load move tasks: %w", err)
	}
	b.tasksActive.Store(active > 0)
	return b, nil
}

// QueueURL returns the URL of the named queue (whether or not it exists).
func (b *Broker) QueueURL(name string) string {
	return b.baseURL + "/" + AccountID + "/" + name
}

// QueueARN returns the ARN of the named queue (whether or not it exists).
func (b *Broker) QueueARN(name string) string {
	return "arn:aws:sqs:" + b.region + ":" + AccountID + ":" + name
}

// NameFromURL extracts the queue name from a queue URL (its last path
// segment); a bare name is returned as is.
func NameFromURL(queueURL string) string {
	u := strings.TrimRight(queueURL, "/")
	if i := strings.LastIndexByte(u, '/'); i >= 0 {
		return u[i+1:]
	}
	return u
}

// nameFromARN returns the queue name of an SQS ARN in this account and region.
func (b *Broker) nameFromARN(arn string) (string, bool) {
	prefix := "arn:aws:sqs:" + b.region + ":" + AccountID + ":"
	name, ok := strings.CutPrefix(arn, prefix)
	return name, ok && name != ""
}

func (b *Broker) nowMS() int64 { return b.clock.Now().UnixMilli() }

// write runs fn in a write transaction, serialised with this Broker's other writes.
func (b *Broker) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return b.w.Write(ctx, "sqs "+op, fn)
}

func msToTime(ms int64) time.Time { return time.UnixMilli(ms) }
