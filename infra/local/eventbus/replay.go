package eventbus

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Replay states, as the API names them.
const (
	ReplayStarting   = "STARTING"
	ReplayRunning    = "RUNNING"
	ReplayCancelling = "CANCELLING"
	ReplayCompleted  = "COMPLETED"
	ReplayCancelled  = "CANCELLED"
	ReplayFailed     = "FAILED"
)

// Replay sends the archived events of a time range again to the bus they
// came from: to the rules named by FilterARNs, or to every rule of the bus.
// Each replayed event carries "replay-name"; no archive keeps it.
type Replay struct {
	Name        string
	ARN         string
	Archive     string // the archive's name
	ArchiveARN  string
	Bus         string // the destination bus's name
	FilterARNs  []string
	Description string
	// EventStart and EventEnd bound the events' time, both included.
	EventStart, EventEnd time.Time
	State                string
	StateReason          string
	// Started and Ended are when the replay began and ended (zero while it runs).
	Started, Ended time.Time
	// LastReplayed is the time of the latest event replayed (zero before one is).
	LastReplayed time.Time
}

// StartReplay records a replay of archive's events between start and end to
// the rules filter names on the archive's bus (all of them when filter is
// empty); the scheduler loop sends them. The returned replay is STARTING.
func (b *Bus) StartReplay(ctx context.Context, name, archiveName string, start, end time.Time, filter []string, description string) (Replay, error) {
	a, err := b.DescribeArchive(ctx, archiveName)
	if err != nil {
		return Replay{}, err
	}
	if filter == nil {
		filter = []string{}
	}
	fa, _ := json.Marshal(filter)
	now := time.UnixMilli(b.opts.Now().UnixMilli())
	r := Replay{Name: name, ARN: b.ReplayARN(name), Archive: a.Name, ArchiveARN: a.ARN, Bus: a.Bus, FilterARNs: filter,
		Description: description, EventStart: start, EventEnd: end, State: ReplayStarting, Started: now}
	res, err := b.w.Exec(ctx, `INSERT OR IGNORE INTO evb_replays (name, archive, bus, filter_arns, description, event_start, event_end, state, replay_start)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, name, a.Name, a.Bus, string(fa), description, start.UnixMilli(), end.UnixMilli(), ReplayStarting, now.UnixMilli())
	if err != nil {
		return Replay{}, fmt.Errorf("start replay %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Replay{}, fmt.Errorf("%w: %s", ErrReplayExists, name)
	}
	b.pokeScheduler()
	return r, nil
}

// Replays lists the replays, by name.
func (b *Bus) Replays(ctx context.Context) ([]Replay, error) {
	return b.queryReplays(ctx, ``)
}

// DescribeReplay returns one replay.
func (b *Bus) DescribeReplay(ctx context.Context, name string) (Replay, error) {
	rs, err := b.queryReplays(ctx, `WHERE name = ?`, name)
	if err != nil {
		return Replay{}, err
	}
	if len(rs) == 0 {
		return Replay{}, fmt.Errorf("%w: %s", ErrReplayNotFound, name)
	}
	return rs[0], nil
}

func (b *Bus) queryReplays(ctx context.Context, where string, args ...any) ([]Replay, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT name, archive, bus, filter_arns, description, event_start, event_end, state, state_reason,
  replay_start, replay_end, last_replayed FROM evb_replays `+where+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list replays: %w", err)
	}
	defer rows.Close()
	var out []Replay
	for rows.Next() {
		var r Replay
		var filter string
		var start, end, started, ended, last int64
		if err := rows.Scan(&r.Name, &r.Archive, &r.Bus, &filter, &r.Description, &start, &end, &r.State, &r.StateReason,
			&started, &ended, &last); err != nil {
			return nil, fmt.Errorf("list replays: %w", err)
		}
		_ = json.Unmarshal([]byte(filter), &r.FilterARNs)
		r.ARN, r.ArchiveARN = b.ReplayARN(r.Name), b.ArchiveARN(r.Archive)
		r.EventStart, r.EventEnd, r.Started = time.UnixMilli(start), time.UnixMilli(end), time.UnixMilli(started)
		if ended != 0 {
			r.Ended = time.UnixMilli(ended)
		}
		if last != 0 {
			r.LastReplayed = time.UnixMilli(last)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CancelReplay asks a replay that has not ended to stop: it is CANCELLING
// until the scheduler loop sees it, then CANCELLED.
func (b *Bus) CancelReplay(ctx context.Context, name string) (Replay, error) {
	r, err := b.DescribeReplay(ctx, name)
	if err != nil {
		return Replay{}, err
	}
	if r.State != ReplayStarting && r.State != ReplayRunning {
		return Replay{}, fmt.Errorf("replay %s is %s: %w", name, r.State, ErrReplayNotCancellable)
	}
	res, err := b.w.Exec(ctx, `UPDATE evb_replays SET state = ? WHERE name = ? AND state IN (?, ?)`, ReplayCancelling, name, ReplayStarting, ReplayRunning)
	if err != nil {
		return Replay{}, fmt.Errorf("cancel replay %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Replay{}, fmt.Errorf("replay %s has ended: %w", name, ErrReplayNotCancellable)
	}
	r.State = ReplayCancelling
	b.pokeScheduler()
	return r, nil
}

// runReplays moves every replay that waits: a STARTING one sends its
// events and completes, a CANCELLING one is CANCELLED. Each is one
// transaction, so a crash leaves it as it was, to be done after restart.
func (b *Bus) runReplays(ctx context.Context) error {
	rs, err := b.queryReplays(ctx, `WHERE state IN (?, ?, ?)`, ReplayStarting, ReplayRunning, ReplayCancelling)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if err := b.runReplay(ctx, r); err != nil {
			if ctx.Err() != nil {
				return err
			}
			b.log.ErrorContext(ctx, "replay failed", "replay", r.Name, "err", err.Error())
			if _, uerr := b.w.Exec(ctx, `UPDATE evb_replays SET state = ?, state_reason = ?, replay_end = ? WHERE name = ?`,
				ReplayFailed, truncate(err.Error(), 500), b.opts.Now().UnixMilli(), r.Name); uerr != nil {
				return fmt.Errorf("record failed replay %s: %w", r.Name, uerr)
			}
		}
	}
	return nil
}

func (b *Bus) runReplay(ctx context.Context, r Replay) error {
	only := map[string]bool{}
	for _, arn := range r.FilterARNs {
		only[arn] = true
	}
	if len(only) == 0 {
		only = nil
	}
	// The events' own time decides; it has whole seconds, so the range's
	// start is taken to its second.
	rows, err := b.db.QueryContext(ctx, `SELECT event_id, at, envelope FROM evb_archived WHERE archive = ? AND at >= ? AND at <= ? ORDER BY at, seq`,
		r.Archive, r.EventStart.Truncate(time.Second).UnixMilli(), r.EventEnd.UnixMilli())
	if err != nil {
		return fmt.Errorf("read archive %s: %w", r.Archive, err)
	}
	var todo []routed
	var last time.Time
	for rows.Next() {
		var id, env string
		var at int64
		if err := rows.Scan(&id, &at, &env); err != nil {
			rows.Close()
			return fmt.Errorf("read archive %s: %w", r.Archive, err)
		}
		raw, err := withReplayName([]byte(env), r.Name)
		if err != nil {
			b.log.WarnContext(ctx, "archived event is not an event: not replayed", "replay", r.Name, "eventId", id, "err", err.Error())
			continue
		}
		a := b.route(r.Bus, raw, only)
		a.id = id
		var ev Event
		_ = json.Unmarshal(raw, &ev)
		a.source, a.detailType = ev.Source, ev.DetailType
		todo = append(todo, a)
		last = time.UnixMilli(at)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read archive %s: %w", r.Archive, err)
	}
	now := b.opts.Now()
	queued := 0
	err = b.w.Write(ctx, "replay", func(tx *sql.Tx) error {
		queued = 0
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM evb_replays WHERE name = ?`, r.Name).Scan(&state); err != nil {
			return err
		}
		if state == ReplayCancelling {
			_, err := tx.ExecContext(ctx, `UPDATE evb_replays SET state = ?, replay_end = ? WHERE name = ?`, ReplayCancelled, now.UnixMilli(), r.Name)
			return err
		}
		if state != ReplayStarting && state != ReplayRunning {
			return nil
		}
		if err := b.recordTx(ctx, tx, now, todo, &queued, nil); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE evb_replays SET state = ?, replay_end = ?, last_replayed = ? WHERE name = ?`,
			ReplayCompleted, now.UnixMilli(), unixMilli(last), r.Name)
		return err
	})
	if err != nil {
		return fmt.Errorf("replay %s: %w", r.Name, err)
	}
	if queued > 0 {
		b.poke()
	}
	return nil
}

// withReplayName adds "replay-name" to an envelope, where EventBridge puts
// it (after "region").
func withReplayName(env []byte, name string) ([]byte, error) {
	var ev Event
	if err := json.Unmarshal(env, &ev); err != nil {
		return nil, err
	}
	if ev.ID == "" {
		return nil, errors.New("no id")
	}
	ev.ReplayName = name
	if ev.Resources == nil {
		ev.Resources = []string{}
	}
	return json.Marshal(ev)
}

// replayRule reads a FilterArns entry: the name of a rule on bus.
func (b *Bus) replayRule(bus, arn string) (string, bool) {
	prefix := b.RuleARN(bus, "")
	if !strings.HasPrefix(arn, prefix) {
		return "", false
	}
	name := strings.TrimPrefix(arn, prefix)
	if _, err := b.Rule(bus, name); err != nil || name == "" {
		return name, false
	}
	return name, true
}
