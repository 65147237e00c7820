package console

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// ErrNotFound is what a Source returns, wrapped or not, for an execution or a
// queue it does not know; the console answers it with a 404 page.
var ErrNotFound = errors.New("not found")

// ErrInvalid is what a Source returns, wrapped, for an action it refuses
// because of what was asked, such as redriving a queue that is not a
// dead-letter queue; the console answers it with a 400 page.
var ErrInvalid = errors.New("invalid request")

// invalidError is an ErrInvalid that reads as its message alone.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// invalidf returns an error that is ErrInvalid, with the formatted text.
func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// Statuses are the execution statuses the console filters on, in the order
// it shows them.
var Statuses = []string{"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}

// Options tune the console. The zero value is usable.
type Options struct {
	// Title names the console in the page header; default "loanflow".
	Title string
	// Logger receives Source errors and recovered panics; default slog.Default().
	Logger *slog.Logger
	// Now is the clock ages and expiries are measured against; default time.Now.
	Now func() time.Time
	// Location is the time zone timestamps are shown in; default time.Local.
	Location *time.Location
	// RefreshInterval is how often an open page refreshes itself; default
	// 3s, negative turns live refresh off.
	RefreshInterval time.Duration
	// Limit caps every list the console asks Source for; default 50.
	Limit int
}

func (o Options) withDefaults() Options {
	if o.Title == "" {
		o.Title = "loanflow"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.RefreshInterval == 0 {
		o.RefreshInterval = 3 * time.Second
	}
	if o.Limit <= 0 {
		o.Limit = 50
	}
	return o
}

// server holds the console's dependencies; its methods are the handlers.
type server struct {
	src  Source
	opts Options
	log  *slog.Logger
	tmpl *templates
}

// New returns the console's handler. It serves:
//
//	GET  /                         overview
//	GET  /executions?status=&q=    executions, filtered
//	GET  /executions/detail?arn=   one execution: summary, drawing, history
//	GET  /queues/detail?name=      one queue's messages, peeked
//	POST /queues/redrive           name=<dlq>: redrive a dead-letter queue (same origin only)
//	GET  /topics                   SNS topics: subscriptions, recent messages and their deliveries
//	GET  /tables                   DynamoDB tables and their secondary indexes (a TableLister Source only)
//
// Every GET page also answers ?fragment=1 with just its live part, which the
// page's script polls.
func New(src Source, opts Options) http.Handler {
	opts = opts.withDefaults()
	s := &server{src: src, opts: opts, log: opts.Logger, tmpl: mustParseTemplates(opts)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.overview)
	mux.HandleFunc("GET /executions", s.executions)
	mux.HandleFunc("GET /executions/detail", s.execution)
	mux.HandleFunc("GET /queues/detail", s.queue)
	mux.HandleFunc("POST /queues/redrive", s.redrive)
	mux.HandleFunc("GET /topics", s.topics)
	mux.HandleFunc("GET /tables", s.tables)
	mux.HandleFunc("/", s.notFound)
	return s.guard(mux)
}

// guard sets the headers every answer carries and turns a panic into a 500
// page, so a bug in one view never takes the local stack down with it.
func (s *server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.fail(w, r, fmt.Errorf("%s %s: panic: %v", r.Method, r.URL.Path, v))
			}
		}()
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
