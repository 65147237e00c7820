// Package eventbus emulates Amazon EventBridge on the local stack: event buses,
// rules with faithful pattern matching (package eventpattern) or a schedule
// (rate and cron expressions, fired by a scheduler on an injectable clock),
// targets invoked with their input settings and retry policy, failures
// ending in a dead-letter queue, archives that keep a bus's events and
// replays that send them again, and tags on buses and rules.
// Accepted events are written to SQLite before PutEvents answers, so a crash
// loses no delivery (delivery is at least once, as on AWS).
package eventbus

import (
	"context"
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
	// Clock tells the time and wakes the scheduler; nil means Now with
	// real timers, or the wall clock.
	Clock Clock
	// Now is the clock when Clock is nil; nil means time.Now.
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

// Rule states.
const (
	StateEnabled  = "ENABLED"
	StateDisabled = "DISABLED"
)

// Rule is a rule on a bus: it matches events by Pattern, fires on
// ScheduleExpression, or both. A DISABLED rule does neither (the state
// ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS is enabled).
type Rule struct {
	Bus                string
	Name               string
	ARN                string
	Pattern            string
	ScheduleExpression string
	State              string
	Description        string
	// NextFire is when a scheduled rule fires next (zero without a schedule).
	NextFire time.Time

	compiled *eventpattern.Pattern // nil without a pattern
	sched    schedule              // nil without a schedule
}

// MaxTargetsPerRule is EventBridge's quota of targets on one rule.
const MaxTargetsPerRule = 5

// Bus is the local EventBridge.
type Bus struct {
	db    *sql.DB
	w     *sqlitedb.Writer // commits writes together with the other components on db
	opts  Options
	clock Clock
	log   *slog.Logger
	deliv Deliverer
	dlq   DeadLetterer

	mu       sync.RWMutex
	rules    map[string][]*Rule    // bus name -> rules
	targets  map[string][]Target   // bus + "/" + rule -> targets
	buses    map[string]bool       // bus names, so PutEvents checks them without a query
	archives map[string][]*archive // bus name -> its archives
	busInfo  map[string]BusInfo    // bus name -> what Describe/ListEventBuses show

	wake      chan struct{} // the delivery loop
	schedWake chan struct{} // the scheduler and replay loop
	sem       chan struct{}
	wg        sync.WaitGroup
	stop      context.CancelFunc

	runMu   sync.Mutex      // guards running and runCtx against Close
	running bool            // Start has run and Close has not
	runCtx  context.Context // the delivery loop's context while running
}

// BusInfo is what DescribeEventBus and ListEventBuses show of a bus.
type BusInfo struct {
	Name        string
	ARN         string
	Description string
	Created     time.Time
}

// Errors a caller can test for.
var (
	ErrBusNotFound  = errors.New("event bus does not exist")
	ErrRuleNotFound = errors.New("rule does not exist")
	// ErrRuleHasTargets refuses to delete a rule that still has targets.
	ErrRuleHasTargets = errors.New("rule has targets")
	// ErrTooManyTargets refuses a sixth target on a rule.
	ErrTooManyTargets = errors.New("too many targets on the rule")
	// ErrBusHasRules refuses to delete a bus that still has rules (an
	// archive's rule counts).
	ErrBusHasRules = errors.New("event bus has rules")
	// ErrDefaultBus refuses to delete the default bus.
	ErrDefaultBus = errors.New("the default event bus cannot be deleted")
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
	clock := opts.Clock
	switch {
	case clock != nil:
		opts.Now = clock.Now
	case opts.Now != nil:
		clock = funcClock(opts.Now)
	default:
		clock, opts.Now = SystemClock{}, time.Now
	}
	b := &Bus{db: db, w: sqlitedb.WriterOf(db), opts: opts, clock: clock, log: opts.Logger, deliv: d, dlq: dlq,
		rules: map[string][]*Rule{}, targets: map[string][]Target{}, buses: map[string]bool{}, archives: map[string][]*archive{},
		busInfo: map[string]BusInfo{}, wake: make(chan struct{}, 1), schedWake: make(chan struct{}, 1), sem: make(chan struct{}, opts.Workers)}
	if err := b.migrate(ctx); err != nil {
		return nil, err
	}
	if _, err := b.CreateBus(ctx, "default"); err != nil {
		return nil, err
	}
	if err := b.loadBuses(ctx); err != nil {
		return nil, err
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
	if err := b.loadArchives(ctx); err != nil {
		return nil, err
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
  at INTEGER NOT NULL, envelope TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evb_tags (arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (arn, key));
CREATE TABLE IF NOT EXISTS evb_archives (name TEXT PRIMARY KEY, bus TEXT NOT NULL, pattern TEXT NOT NULL,
  description TEXT NOT NULL, retention_days INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS evb_archived (seq INTEGER PRIMARY KEY AUTOINCREMENT, archive TEXT NOT NULL, event_id TEXT NOT NULL,
  at INTEGER NOT NULL, ingested INTEGER NOT NULL, envelope TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS evb_archived_time ON evb_archived (archive, at);
CREATE TABLE IF NOT EXISTS evb_replays (name TEXT PRIMARY KEY, archive TEXT NOT NULL, bus TEXT NOT NULL, filter_arns TEXT NOT NULL,
  description TEXT NOT NULL, event_start INTEGER NOT NULL, event_end INTEGER NOT NULL, state TEXT NOT NULL,
  state_reason TEXT NOT NULL DEFAULT '', replay_start INTEGER NOT NULL, replay_end INTEGER NOT NULL DEFAULT 0,
  last_replayed INTEGER NOT NULL DEFAULT 0);`)
	if err != nil {
		return fmt.Errorf("migrate eventbus: %w", err)
	}
	// Columns added since the first version of the tables: a state file
	// written before them gains them here.
	for _, c := range []struct{ table, column, decl string }{
		{"evb_buses", "description", "TEXT NOT NULL DEFAULT ''"},
		{"evb_rules", "schedule", "TEXT NOT NULL DEFAULT ''"},
		{"evb_rules", "next_fire", "INTEGER NOT NULL DEFAULT 0"},
		{"evb_deliveries", "leased", "INTEGER NOT NULL DEFAULT 0"},
	} {
		if err := b.addColumn(ctx, c.table, c.column, c.decl); err != nil {
			return err
		}
	}
	// One Bus owns the file (the state directory's lock), so a delivery
	// still leased is one whose attempt a crash or a stop cut short: it is
	// due again at once, not when its lease would have ended. A state file
	// from before the column has its leases judged as retries, as before.
	if _, err := b.w.Exec(ctx, `UPDATE evb_deliveries SET leased = 0, next_at = ? WHERE leased = 1`, b.opts.Now().UnixMilli()); err != nil {
		return fmt.Errorf("migrate eventbus: release leases: %w", err)
	}
	return nil
}

// addColumn adds a column to a table that lacks it.
func (b *Bus) addColumn(ctx context.Context, table, column, decl string) error {
	var n int
	if err := b.db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, table, column).Scan(&n); err != nil {
		return fmt.Errorf("migrate eventbus: inspect %s: %w", table, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := b.w.Exec(ctx, `ALTER TABLE `+table+` ADD COLUMN `+column+` `+decl); err != nil {
		return fmt.Errorf("migrate eventbus: add %s.%s: %w", table, column, err)
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
	arn, _, err := b.createBus(ctx, name, "")
	return arn, err
}

func (b *Bus) createBus(ctx context.Context, name, description string) (arn string, created bool, err error) {
	now := b.opts.Now()
	res, err := b.w.Exec(ctx, `INSERT OR IGNORE INTO evb_buses (name, created, description) VALUES (?, ?, ?)`,
		name, now.UnixMilli(), description)
	if err != nil {
		return "", false, fmt.Errorf("create bus %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return "", false, fmt.Errorf("create bus %s: %w", name, err)
	}
	b.mu.Lock()
	if !b.buses[name] {
		b.buses[name] = true
		b.busInfo[name] = BusInfo{Name: name, ARN: b.BusARN(name), Description: description, Created: time.UnixMilli(now.UnixMilli())}
	}
	b.mu.Unlock()
	return b.BusARN(name), n == 1, nil
}

func (b *Bus) loadBuses(ctx context.Context) error {
	rows, err := b.db.QueryContext(ctx, `SELECT name, created, description FROM evb_buses`)
	if err != nil {
		return fmt.Errorf("load buses: %w", err)
	}
	defer rows.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for rows.Next() {
		var i BusInfo
		var created int64
		if err := rows.Scan(&i.Name, &created, &i.Description); err != nil {
			return fmt.Errorf("load buses: %w", err)
		}
		i.ARN, i.Created = b.BusARN(i.Name), time.UnixMilli(created)
		b.buses[i.Name], b.busInfo[i.Name] = true, i
	}
	return rows.Err()
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

// Bus describes one bus.
func (b *Bus) Bus(name string) (BusInfo, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	i, ok := b.busInfo[name]
	if !ok {
		return BusInfo{}, fmt.Errorf("%w: %s", ErrBusNotFound, name)
	}
	return i, nil
}

// DeleteBus deletes a custom bus that has no rules and no archives, and its
// tags. Deleting a bus that does not exist succeeds, as on AWS.
func (b *Bus) DeleteBus(ctx context.Context, name string) error {
	if name == "default" {
		return ErrDefaultBus
	}
	b.mu.RLock()
	exists, busy := b.buses[name], len(b.rules[name]) > 0 || len(b.archives[name]) > 0
	b.mu.RUnlock()
	if !exists {
		return nil
	}
	if busy {
		return fmt.Errorf("delete bus %s: %w", name, ErrBusHasRules)
	}
	err := b.w.Write(ctx, "delete bus", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM evb_buses WHERE name = ?`, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM evb_tags WHERE arn = ?`, b.BusARN(name))
		return err
	})
	if err != nil {
		return fmt.Errorf("delete bus %s: %w", name, err)
	}
	b.mu.Lock()
	delete(b.buses, name)
	delete(b.busInfo, name)
	b.mu.Unlock()
	return nil
}

func (b *Bus) busExists(_ context.Context, name string) (bool, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.buses[name], nil
}

func (b *Bus) loadRules(ctx context.Context) error {
	rows, err := b.db.QueryContext(ctx, `SELECT bus, name, pattern, state, description, schedule, next_fire FROM evb_rules`)
	if err != nil {
		return fmt.Errorf("load rules: %w", err)
	}
	defer rows.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for rows.Next() {
		r := &Rule{}
		var next int64
		if err := rows.Scan(&r.Bus, &r.Name, &r.Pattern, &r.State, &r.Description, &r.ScheduleExpression, &next); err != nil {
			return err
		}
		if err := r.compile(); err != nil {
			b.log.ErrorContext(ctx, "stored rule has an invalid pattern or schedule", "rule", r.Name, "err", err.Error())
			continue
		}
		if r.sched != nil {
			r.NextFire = time.UnixMilli(next).UTC()
		}
		r.ARN = b.RuleARN(r.Bus, r.Name)
		b.rules[r.Bus] = append(b.rules[r.Bus], r)
	}
	return rows.Err()
}

// compile parses the rule's pattern and schedule.
func (r *Rule) compile() error {
	r.compiled, r.sched = nil, nil
	if r.Pattern != "" {
		p, err := eventpattern.Compile([]byte(r.Pattern))
		if err != nil {
			return err
		}
		r.compiled = p
	}
	if r.ScheduleExpression != "" {
		s, err := parseSchedule(r.ScheduleExpression)
		if err != nil {
			return err
		}
		r.sched = s
	}
	return nil
}

// PutRule creates or updates a rule matching pattern. An invalid pattern
// returns *eventpattern.InvalidPatternError.
func (b *Bus) PutRule(ctx context.Context, bus, name, pattern, state, description string) (string, error) {
	return b.putRule(ctx, Rule{Bus: bus, Name: name, Pattern: pattern, State: state, Description: description})
}

// putRule creates or updates a rule: r's pattern, schedule (or both), state
// and description replace the old ones; its targets and tags stay.
func (b *Bus) putRule(ctx context.Context, r Rule) (string, error) {
	if ok, err := b.busExists(ctx, r.Bus); err != nil {
		return "", err
	} else if !ok {
		return "", fmt.Errorf("%w: %s", ErrBusNotFound, r.Bus)
	}
	if err := r.compile(); err != nil {
		return "", err
	}
	if r.State == "" {
		r.State = StateEnabled
	}
	r.ARN = b.RuleARN(r.Bus, r.Name)
	r.NextFire = time.Time{}
	if r.sched != nil {
		now := b.opts.Now().UTC()
		if at, ok := r.sched.next(now, now); ok {
			r.NextFire = at
		}
	}
	if _, err := b.w.Exec(ctx, `INSERT INTO evb_rules (bus, name, pattern, state, description, schedule, next_fire) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (bus, name) DO UPDATE SET pattern = excluded.pattern, state = excluded.state, description = excluded.description,
  schedule = excluded.schedule, next_fire = excluded.next_fire`,
		r.Bus, r.Name, r.Pattern, r.State, r.Description, r.ScheduleExpression, unixMilli(r.NextFire)); err != nil {
		return "", fmt.Errorf("put rule %s: %w", r.Name, err)
	}
	b.mu.Lock()
	rs := b.rules[r.Bus][:0:0]
	for _, old := range b.rules[r.Bus] {
		if old.Name != r.Name {
			rs = append(rs, old)
		}
	}
	b.rules[r.Bus] = append(rs, &r)
	b.mu.Unlock()
	if r.sched != nil {
		b.pokeScheduler()
	}
	return r.ARN, nil
}

// unixMilli is t in epoch milliseconds, 0 for the zero time.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// SetRuleState enables (ENABLED) or disables (DISABLED) a rule: a disabled
// rule matches no event and its schedule does not fire.
func (b *Bus) SetRuleState(ctx context.Context, bus, name, state string) error {
	if _, err := b.Rule(bus, name); err != nil {
		return err
	}
	if _, err := b.w.Exec(ctx, `UPDATE evb_rules SET state = ? WHERE bus = ? AND name = ?`, state, bus, name); err != nil {
		return fmt.Errorf("set state of rule %s: %w", name, err)
	}
	b.mu.Lock()
	for i, old := range b.rules[bus] {
		if old.Name == name {
			nr := *old
			nr.State = state
			b.rules[bus][i] = &nr
		}
	}
	b.mu.Unlock()
	return nil
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

// DeleteRule deletes a rule that has no targets, and its tags. Deleting a
// rule that does not exist succeeds, as on AWS ("If you call delete rule
// multiple times for the same rule, all calls will succeed").
func (b *Bus) DeleteRule(ctx context.Context, bus, name string) error {
	r, err := b.Rule(bus, name)
	if errors.Is(err, ErrRuleNotFound) {
		return nil
	}
	ts, err := b.Targets(ctx, bus, name)
	if err != nil {
		return err
	}
	if len(ts) > 0 {
		return fmt.Errorf("delete rule %s: %w", name, ErrRuleHasTargets)
	}
	err = b.w.Write(ctx, "delete rule", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM evb_rules WHERE bus = ? AND name = ?`, bus, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM evb_tags WHERE arn = ?`, r.ARN)
		return err
	})
	if err != nil {
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
// and none is stored; more than MaxTargetsPerRule targets on the rule
// returns ErrTooManyTargets.
func (b *Bus) PutTargets(ctx context.Context, bus, rule string, targets []Target) error {
	if _, err := b.Rule(bus, rule); err != nil {
		return err
	}
	for _, t := range targets {
		if err := t.validate(); err != nil {
			return err
		}
	}
	ids := map[string]bool{}
	for _, t := range b.cachedTargets(bus, rule) {
		ids[t.ID] = true
	}
	for _, t := range targets {
		ids[t.ID] = true
	}
	if len(ids) > MaxTargetsPerRule {
		return fmt.Errorf("rule %s: %d targets: %w", rule, len(ids), ErrTooManyTargets)
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
