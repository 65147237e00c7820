package eventbus

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"loanflow/events"
)

// MaxEntrySize is PutEvents' limit on one entry (256 KiB).
const MaxEntrySize = 256 * 1024

// Result is one entry's outcome, as in the PutEvents response.
type Result struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// PutEvents validates, records and routes entries. Entries that fail
// validation get an error code in their Result; the rest are written, with one
// pending delivery per matched rule target, in one transaction.
func (b *Bus) PutEvents(ctx context.Context, entries []events.Entry) ([]Result, int, error) {
	results := make([]Result, len(entries))
	failed := 0
	// Validate before the write transaction: it must not wait on a second connection.
	codes := make([][2]string, len(entries))
	for i, e := range entries {
		code, msg := b.validate(ctx, e)
		codes[i] = [2]string{code, msg}
	}
	// Envelopes and rule matches are worked out before the write, which then
	// only inserts.
	type delivery struct{ rule, target string }
	type accepted struct {
		id, bus, source, detailType string
		raw, matched                []byte
		deliveries                  []delivery
	}
	now := b.opts.Now()
	var todo []accepted
	for i, e := range entries {
		if code, msg := codes[i][0], codes[i][1]; code != "" {
			results[i] = Result{ErrorCode: code, ErrorMessage: msg}
			failed++
			continue
		}
		bus := e.EventBusName
		if bus == "" {
			bus = "default"
		}
		bus = busName(bus)
		id := newID()
		env, err := e.Envelope(id, b.opts.AccountID, b.opts.Region, now)
		if err != nil {
			results[i] = Result{ErrorCode: "MalformedDetail", ErrorMessage: err.Error()}
			failed++
			continue
		}
		raw, err := json.Marshal(env)
		if err != nil {
			return nil, 0, fmt.Errorf("encode event: %w", err)
		}
		a := accepted{id: id, bus: bus, source: e.Source, detailType: e.DetailType, raw: raw}
		matched := []string{}
		for _, r := range b.Rules(bus) {
			if r.State != "ENABLED" {
				continue
			}
			ok, err := r.compiled.Match(raw)
			if err != nil || !ok {
				continue
			}
			matched = append(matched, r.Name)
			for _, t := range b.cachedTargets(bus, r.Name) {
				a.deliveries = append(a.deliveries, delivery{rule: r.Name, target: t.ID})
			}
		}
		a.matched, _ = json.Marshal(matched)
		todo = append(todo, a)
		results[i] = Result{EventID: id}
	}
	queued := 0
	err := b.w.Write(ctx, "put events", func(tx *sql.Tx) error {
		queued = 0
		for _, a := range todo {
			for _, d := range a.deliveries {
				if _, err := tx.ExecContext(ctx, `INSERT INTO evb_deliveries (event_id, bus, rule, target, envelope, first_at, next_at)
VALUES (?, ?, ?, ?, ?, ?, ?)`, a.id, a.bus, d.rule, d.target, string(a.raw), now.UnixMilli(), now.UnixMilli()); err != nil {
					return fmt.Errorf("queue delivery: %w", err)
				}
				queued++
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO evb_events (id, bus, at, source, detail_type, matched, envelope) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				a.id, a.bus, now.UnixMilli(), a.source, a.detailType, string(a.matched), string(a.raw)); err != nil {
				return fmt.Errorf("record event: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("put events: %w", err)
	}
	if queued > 0 {
		b.poke()
	}
	return results, failed, nil
}

func busName(nameOrARN string) string {
	if i := strings.Index(nameOrARN, ":event-bus/"); i >= 0 {
		return nameOrARN[i+len(":event-bus/"):]
	}
	return nameOrARN
}

// validate checks one entry as PutEvents does and returns an error code and message.
func (b *Bus) validate(ctx context.Context, e events.Entry) (string, string) {
	switch {
	case strings.TrimSpace(e.Source) == "":
		return "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."
	case strings.TrimSpace(e.DetailType) == "":
		return "InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."
	case strings.TrimSpace(e.Detail) == "":
		return "InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."
	case strings.HasPrefix(e.Source, "aws."):
		return "NotAuthorizedForSourceException", "Not authorized for the source."
	}
	size := len(e.Source) + len(e.DetailType) + len(e.Detail)
	for _, r := range e.Resources {
		size += len(r)
	}
	if size > MaxEntrySize {
		return "EntrySizeExceeded", fmt.Sprintf("Total size of the entry is %d bytes, over the %d-byte limit.", size, MaxEntrySize)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(e.Detail), &obj); err != nil || obj == nil {
		return "MalformedDetail", "Detail is malformed."
	}
	bus := e.EventBusName
	if bus == "" {
		bus = "default"
	}
	if ok, err := b.busExists(ctx, busName(bus)); err != nil || !ok {
		return "ResourceNotFoundException", fmt.Sprintf("Event bus %s does not exist.", busName(bus))
	}
	return "", ""
}
