// Package eventbus emulates Amazon EventBridge on the local stack: event buses,
// rules with faithful pattern matching (package eventpattern), and targets
// invoked with their retry policy, failures ending in a dead-letter queue.
// Accepted events are written to SQLite before PutEvents answers, so a crash
// loses no delivery (delivery is at least once, as on AWS).
package eventbus

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"loanflow/infra/local/eventpattern"
	"loanflow/infra/local/sqlitedb"
)

// Deliverer invokes a rule target: arn names a Lambda function, an SQS queue,
// an SNS topic or a Step Functions state machine, and event is the target's
// input (the event, or what the target's Input, InputPath or
// InputTransformer made of it). An error means the delivery failed and will
// be retried.
type Deliverer interface {
	Deliver(ctx context.Context, targetARN string, event []byte) error
}

// DeadLetterer sends an undeliverable event to a target's dead-letter queue.
type DeadLetterer interface {
	SendToDLQ(ctx context.Context, queueARN string, event []byte, attrs map[string]string) error
}

// Options configure a Bus.
type Options struct {
	Region    string
	AccountID string
	Logger    *slog.Logger
	// RetryBase is the first retry delay; each retry doubles it, with jitter, up to RetryMax.
	RetryBase time.Duration
	RetryMax  time.Duration
	// DeliveryTimeout bounds one target invocation.
	DeliveryTimeout time.Duration
	// Workers bounds concurrent deliveries.
	Workers int
	// KeepRecent is how many recent events are kept for the console.
	KeepRecent int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// RetryPolicy is a target's retry policy, as in PutTargets.
type RetryPolicy struct {
	MaximumRetryAttempts     int `json:"MaximumRetryAttempts"`
	MaximumEventAgeInSeconds int `json:"MaximumEventAgeInSeconds"`
}

// Target is a rule target. At most one of Input, InputPath and
// InputTransformer is set; they shape what the target receives instead of
// the whole event (see targetInput).
type Target struct {
	ID               string            `json:"Id"`
	ARN              string            `json:"Arn"`
	RoleARN          string            `json:"RoleArn,omitempty"`
	RetryPolicy      RetryPolicy       `json:"RetryPolicy"`
	DeadLetterARN    string            `json:"DeadLetterArn,omitempty"`
	Input            string            `json:"Input,omitempty"`
	InputPath        string            `json:"InputPath,omitempty"`
	InputTransformer *InputTransformer `json:"InputTransformer,omitempty"`
}

// Rule is a rule on a bus.
type Rule struct {
	Bus         string
	Name        string
	ARN         string
	Pattern     string
	State       string
	Description string
	compiled    *eventpattern.Pattern
}

// Bus is the local EventBridge.
type Bus struct {
	db    *sql.DB
	w     *sqlitedb.Writer // commits writes together with the other components on db
	opts  Options
	log   *slog.Logger
	deliv Deliverer
	dlq   DeadLetterer

	mu      sync.RWMutex
	rules   map[string][]*Rule  // bus name -> rules
	targets map[string][]Target // bus + "/" + rule -> targets
	buses   map[string]bool     // bus names, so PutEvents checks them without a query

	wake chan struct{}
	sem  chan struct{}
	wg   sync.WaitGroup
	stop context.CancelFunc
}

// Errors a caller can test for.
var (
	ErrBusNotFound  = errors.New("event bus does not exist")
	ErrRuleNotFound = errors.New("rule does not exist")
)

// New opens the bus on db, creating its tables and the default bus.
func New(ctx context.Context, db *sql.DB, opts Options, d Deliverer, dlq DeadLetterer) (*Bus, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = time.Second
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 5 * time.Minute
	}
	if opts.DeliveryTimeout <= 0 {
		opts.DeliveryTimeout = 30 * time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = 64
	}
	if opts.KeepRecent <= 0 {
		opts.KeepRecent = 500
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	b := &Bus{db: db, w: sqlitedb.WriterOf(db), opts: opts, log: opts.Logger, deliv: d, dlq: dlq, rules: map[string][]*Rule{}, targets: map[string][]Target{}, buses: map[string]bool{},
		wake: make(chan struct{}, 1), sem: make(chan struct{}, opts.Workers)}
	if err := b.migrate(ctx); err != nil {
		return nil, err
	}
	if _, err := b.CreateBus(ctx, "default"); err != nil {
		return nil, err
	}
	names, err := b.Buses(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b.buses[n] = true
	}
	if err := b.loadRules(ctx); err != nil {
		return nil, err
	}
	for bus, rs := range b.rules {
		for _, r := range rs {
			if err := b.refreshTargets(ctx, bus, r.Name); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

func (b *Bus) migrate(ctx context.Context) error {
	_, err := b.w.Exec(ctx, `
CREATE TABLE IF NOT EXISTS evb_buses (name TEXT PRIMARY KEY, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS evb_rules (bus TEXT NOT NULL, name TEXT NOT NULL, pattern TEXT NOT NULL, state TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '', PRIMARY KEY (bus, name));
CREATE TABLE IF NOT EXISTS evb_targets (bus TEXT NOT NULL, rule TEXT NOT NULL, id TEXT NOT NULL, spec TEXT NOT NULL,
  PRIMARY KEY (bus, rule, id));
CREATE TABLE IF NOT EXISTS evb_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, bus TEXT NOT NULL,
  at INTEGER NOT NULL, source TEXT NOT NULL, detail_type TEXT NOT NULL, matched TEXT NOT NULL, envelope TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evb_deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, bus TEXT NOT NULL,
  rule TEXT NOT NULL, target TEXT NOT NULL, envelope TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  first_at INTEGER NOT NULL, next_at INTEGER NOT NULL, last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS evb_deliveries_due ON evb_deliveries (next_at);
CREATE TABLE IF NOT EXISTS evb_failed (id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, bus TEXT NOT NULL,
  rule TEXT NOT NULL, target_arn TEXT NOT NULL, dlq_arn TEXT NOT NULL, attempts INTEGER NOT NULL, error TEXT NOT NULL,
  at INTEGER NOT NULL, envelope TEXT NOT NULL);`)
	if err != nil {
		return fmt.Errorf("migrate eventbus: %w", err)
	}
	return nil
}

// BusARN returns the ARN of a bus.
func (b *Bus) BusARN(name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", b.opts.Region, b.opts.AccountID, name)
}

// RuleARN returns the ARN of a rule.
func (b *Bus) RuleARN(bus, rule string) string {
	if bus == "default" {
		return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", b.opts.Region, b.opts.AccountID, rule)
	}
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s/%s", b.opts.Region, b.opts.AccountID, bus, rule)
}

// CreateBus creates a bus if it does not exist and returns its ARN.
func (b *Bus) CreateBus(ctx context.Context, name string) (string, error) {
	if _, err := b.w.Exec(ctx, `INSERT OR IGNORE INTO evb_buses (name, created) VALUES (?, ?)`, name, b.opts.Now().UnixMilli()); err != nil {
		return "", fmt.Errorf("create bus %s: %w", name, err)
	}
	b.mu.Lock()
	b.buses[name] = true
	b.mu.Unlock()
	return b.BusARN(name), nil
}

// Buses lists bus names.
func (b *Bus) Buses(ctx context.Context) ([]string, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT name FROM evb_buses ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list buses: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func (b *Bus) busExists(ctx context.Context, name string) (bool, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.buses[name], nil
}

func (b *Bus) loadRules(ctx context.Context) error {
	rows, err := b.db.QueryContext(ctx, `SELECT bus, name, pattern, state, description FROM evb_rules`)
	if err != nil {
		return fmt.Errorf("load rules: %w", err)
	}
	defer rows.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for rows.Next() {
		r := &Rule{}
		if err := rows.Scan(&r.Bus, &r.Name, &r.Pattern, &r.State, &r.Description); err != nil {
			return err
		}
		p, err := eventpattern.Compile([]byte(r.Pattern))
		if err != nil {
			b.log.Error("stored rule has an invalid pattern", "rule", r.Name, "error", err.Error())
			continue
		}
		r.compiled, r.ARN = p, b.RuleARN(r.Bus, r.Name)
		b.rules[r.Bus] = append(b.rules[r.Bus], r)
	}
	return rows.Err()
}

// PutRule creates or updates a rule. An invalid pattern returns
// *eventpattern.InvalidPatternError.
func (b *Bus) PutRule(ctx context.Context, bus, name, pattern, state, description string) (string, error) {
	if ok, err := b.busExists(ctx, bus); err != nil {
		return "", err
	} else if !ok {
		return "", fmt.Errorf("%w: %s", ErrBusNotFound, bus)
	}
	p, err := eventpattern.Compile([]byte(pattern))
	if err != nil {
		return "", err
	}
	if state == "" {
		state = "ENABLED"
	}
	if _, err := b.w.Exec(ctx, `INSERT INTO evb_rules (bus, name, pattern, state, description) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (bus, name) DO UPDATE SET pattern = excluded.pattern, state = excluded.state, description = excluded.description`,
		bus, name, pattern, state, description); err != nil {
		return "", fmt.Errorf("put rule %s: %w", name, err)
	}
	r := &Rule{Bus: bus, Name: name, ARN: b.RuleARN(bus, name), Pattern: pattern, State: state, Description: description, compiled: p}
	b.mu.Lock()
	rs := b.rules[bus][:0:0]
	for _, old := range b.rules[bus] {
		if old.Name != name {
			rs = append(rs, old)
		}
	}
	b.rules[bus] = append(rs, r)
	b.mu.Unlock()
	return r.ARN, nil
}

// Rules lists the rules on a bus.
func (b *Bus) Rules(bus string) []Rule {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]Rule, 0, len(b.rules[bus]))
	for _, r := range b.rules[bus] {
		out = append(out, *r)
	}
	return out
}

// Rule returns one rule.
func (b *Bus) Rule(bus, name string) (Rule, error) {
	for _, r := range b.Rules(bus) {
		if r.Name == name {
			return r, nil
		}
	}
	return Rule{}, fmt.Errorf("%w: %s on %s", ErrRuleNotFound, name, bus)
}

// DeleteRule deletes a rule that has no targets.
func (b *Bus) DeleteRule(ctx context.Context, bus, name string) error {
	ts, err := b.Targets(ctx, bus, name)
	if err != nil {
		return err
	}
	if len(ts) > 0 {
		return fmt.Errorf("rule %s can't be deleted since it has targets", name)
	}
	if _, err := b.w.Exec(ctx, `DELETE FROM evb_rules WHERE bus = ? AND name = ?`, bus, name); err != nil {
		return fmt.Errorf("delete rule %s: %w", name, err)
	}
	b.mu.Lock()
	rs := b.rules[bus][:0:0]
	for _, r := range b.rules[bus] {
		if r.Name != name {
			rs = append(rs, r)
		}
	}
	b.rules[bus] = rs
	b.mu.Unlock()
	return nil
}

// PutTargets adds or replaces targets of a rule. A target EventBridge would
// refuse, or one the local stack can't invoke, returns *InvalidTargetError
// and none is stored.
func (b *Bus) PutTargets(ctx context.Context, bus, rule string, targets []Target) error {
	if _, err := b.Rule(bus, rule); err != nil {
		return err
	}
	for _, t := range targets {
		if err := t.validate(); err != nil {
			return err
		}
	}
	for _, t := range targets {
		spec, _ := json.Marshal(t)
		if _, err := b.w.Exec(ctx, `INSERT INTO evb_targets (bus, rule, id, spec) VALUES (?, ?, ?, ?)
ON CONFLICT (bus, rule, id) DO UPDATE SET spec = excluded.spec`, bus, rule, t.ID, string(spec)); err != nil {
			return fmt.Errorf("put target %s: %w", t.ID, err)
		}
	}
	return b.refreshTargets(ctx, bus, rule)
}

func (b *Bus) refreshTargets(ctx context.Context, bus, rule string) error {
	ts, err := b.Targets(ctx, bus, rule)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.targets[bus+"/"+rule] = ts
	b.mu.Unlock()
	return nil
}

func (b *Bus) cachedTargets(bus, rule string) []Target {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.targets[bus+"/"+rule]
}

func (b *Bus) cachedTarget(bus, rule, id string) (Target, bool) {
	for _, t := range b.cachedTargets(bus, rule) {
		if t.ID == id {
			return t, true
		}
	}
	return Target{}, false
}

// RemoveTargets removes targets by id.
func (b *Bus) RemoveTargets(ctx context.Context, bus, rule string, ids []string) error {
	for _, id := range ids {
		if _, err := b.w.Exec(ctx, `DELETE FROM evb_targets WHERE bus = ? AND rule = ? AND id = ?`, bus, rule, id); err != nil {
			return fmt.Errorf("remove target %s: %w", id, err)
		}
	}
	return b.refreshTargets(ctx, bus, rule)
}

// Targets lists a rule's targets.
func (b *Bus) Targets(ctx context.Context, bus, rule string) ([]Target, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT spec FROM evb_targets WHERE bus = ? AND rule = ? ORDER BY id`, bus, rule)
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	defer rows.Close()
	var out []Target
	for rows.Next() {
		var spec string
		if err := rows.Scan(&spec); err != nil {
			return nil, err
		}
		var t Target
		if err := json.Unmarshal([]byte(spec), &t); err != nil {
			return nil, fmt.Errorf("decode target: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// newID returns a random UUID (v4) as EventBridge event ids are.
func newID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}
