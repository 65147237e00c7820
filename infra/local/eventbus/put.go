package eventbus

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"loanflow/infra/local/internal/ids"
)

// MaxEntrySize is PutEvents' limit on one entry (256 KiB).
const MaxEntrySize = 256 * 1024

// PutEvents validates, records and routes entries. Entries that fail
// validation get an error code in their Result; the rest are written, with one
// pending delivery per matched rule target and a copy in each archive of the
// bus whose pattern they match, in one transaction. An entry for a bus that
// does not exist is accepted and dropped, as EventBridge does (LocalStack's
// test_put_events_nonexistent_event_bus, recorded against AWS).
func (b *Bus) PutEvents(ctx context.Context, entries []Entry) ([]Result, int, error) {
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
	now := b.opts.Now()
	var todo []routed
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
		id := ids.UUID()
		env := e.event(id, b.opts.AccountID, b.opts.Region, now)
		results[i] = Result{EventID: id}
		if ok, _ := b.busExists(ctx, bus); !ok {
			b.log.WarnContext(ctx, "event for an event bus that does not exist: accepted and dropped, as EventBridge does",
				"eventId", id, "bus", bus, "source", e.Source, "detailType", e.DetailType)
			continue
		}
		raw, err := json.Marshal(env)
		if err != nil {
			return nil, 0, fmt.Errorf("encode event: %w", err)
		}
		a := b.route(bus, raw, nil)
		a.id, a.source, a.detailType = id, e.Source, e.DetailType
		a.archives = b.archivesFor(bus, raw)
		if len(a.archives) > 0 {
			// The envelope's time, as eventTime would read it back from
			// raw inside the write.
			a.at = eventTime(env.Time, now)
		}
		todo = append(todo, a)
	}
	err := b.record(ctx, "put events", now, todo)
	if err != nil {
		return nil, 0, fmt.Errorf("put events: %w", err)
	}
	return results, failed, nil
}

// routed is an event on its way in: the rules it matched and a delivery per
// target of theirs, the archives that keep it.
type routed struct {
	id, bus, source, detailType string
	raw                         []byte
	at                          time.Time // the event's time, for the archives
	matched                     []string
	deliveries                  []routedDelivery
	archives                    []string
}

type routedDelivery struct{ rule, target string }

// route matches an event against the enabled rules of bus that have a
// pattern, or, when only is not nil, against those of them it names.
func (b *Bus) route(bus string, raw []byte, only map[string]bool) routed {
	a := routed{bus: bus, raw: raw, matched: []string{}}
	for _, r := range b.Rules(bus) {
		if r.State == StateDisabled || r.compiled == nil || (only != nil && !only[r.ARN]) {
			continue
		}
		ok, err := r.compiled.Match(raw)
		if err != nil || !ok {
			continue
		}
		a.matched = append(a.matched, r.Name)
		for _, t := range b.cachedTargets(bus, r.Name) {
			a.deliveries = append(a.deliveries, routedDelivery{rule: r.Name, target: t.ID})
		}
	}
	return a
}

// record writes routed events in one transaction: their pending deliveries,
// their archived copies and the recent-events row. Once it has committed,
// it starts the deliveries on the workers it reserved for them (see
// handoff), or wakes the delivery loop to claim them.
func (b *Bus) record(ctx context.Context, what string, now time.Time, todo []routed) error {
	n := 0
	for _, a := range todo {
		n += len(a.deliveries)
	}
	h := b.reserve(n, now)
	queued := 0
	err := b.w.Write(ctx, what, func(tx *sql.Tx) error {
		queued = 0
		if h != nil {
			h.ds = h.ds[:0]
		}
		return b.recordTx(ctx, tx, now, todo, &queued, h)
	})
	switch {
	case h != nil && err != nil:
		b.release(n)
	case h != nil:
		b.start(h, n)
	case queued > 0:
		b.poke()
	}
	return err
}

// recordTx writes todo in tx and counts the deliveries it queued in queued.
// With a handoff, the deliveries are written leased until h.until and
// listed in h.ds; without, they are written due now for the loop to claim.
func (b *Bus) recordTx(ctx context.Context, tx *sql.Tx, now time.Time, todo []routed, queued *int, h *handoff) error {
	nextAt, leased := now, 0
	if h != nil {
		nextAt, leased = h.until, 1
	}
	for _, a := range todo {
		for _, d := range a.deliveries {
			res, err := tx.ExecContext(ctx, `INSERT INTO evb_deliveries (event_id, bus, rule, target, envelope, first_at, next_at, leased)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, a.id, a.bus, d.rule, d.target, string(a.raw), now.UnixMilli(), nextAt.UnixMilli(), leased)
			if err != nil {
				return fmt.Errorf("queue delivery: %w", err)
			}
			*queued++
			if h != nil {
				id, err := res.LastInsertId()
				if err != nil {
					return fmt.Errorf("queue delivery: row id: %w", err)
				}
				h.ds = append(h.ds, delivery{id: id, eventID: a.id, bus: a.bus, rule: d.rule, target: d.target,
					envelope: string(a.raw), firstAt: time.UnixMilli(now.UnixMilli())})
			}
		}
		at := a.at
		if at.IsZero() && len(a.archives) > 0 {
			at = envelopeTime(a.raw, now)
		}
		for _, name := range a.archives {
			if _, err := tx.ExecContext(ctx, `INSERT INTO evb_archived (archive, event_id, at, ingested, envelope) VALUES (?, ?, ?, ?, ?)`,
				name, a.id, at.UnixMilli(), now.UnixMilli(), string(a.raw)); err != nil {
				return fmt.Errorf("archive event: %w", err)
			}
		}
		matched, _ := json.Marshal(a.matched)
		if _, err := tx.ExecContext(ctx, `INSERT INTO evb_events (id, bus, at, source, detail_type, matched, envelope) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.id, a.bus, now.UnixMilli(), a.source, a.detailType, string(matched), string(a.raw)); err != nil {
			return fmt.Errorf("record event: %w", err)
		}
	}
	return nil
}

// envelopeTime reads an envelope's time, or returns def.
func envelopeTime(raw []byte, def time.Time) time.Time {
	var ev struct {
		Time string `json:"time"`
	}
	if json.Unmarshal(raw, &ev) != nil {
		return def
	}
	return eventTime(ev.Time, def)
}

// eventTime reads an envelope's time field, or returns def.
func eventTime(s string, def time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	return def
}

func busName(nameOrARN string) string {
	if i := strings.Index(nameOrARN, ":event-bus/"); i >= 0 {
		return nameOrARN[i+len(":event-bus/"):]
	}
	return nameOrARN
}

// validate checks one entry as PutEvents does and returns an error code and message.
func (b *Bus) validate(ctx context.Context, e Entry) (string, string) {
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
	if !isJSONObject(e.Detail) {
		return "MalformedDetail", "Detail is malformed."
	}
	return "", ""
}

// isJSONObject says s is one JSON object: what decoding it into a map
// accepts (null excepted), checked without building the map. Decoding
// refuses a number beyond float64's range (1e400), which json.Valid
// accepts, so the numbers are checked too.
func isJSONObject(s string) bool {
	t := strings.TrimLeft(s, " \t\r\n")
	return t != "" && t[0] == '{' && json.Valid([]byte(s)) && numbersFit(t)
}

// numbersFit says every number of the valid JSON text s fits a float64 as
// encoding/json decodes it. Only a number with an exponent or of more than
// 300 characters can overflow, so only those are parsed.
func numbersFit(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case c == '-' || (c >= '0' && c <= '9'):
			j, exp := i, false
			for j < len(s) && strings.IndexByte("+-.0123456789eE", s[j]) >= 0 {
				exp = exp || s[j] == 'e' || s[j] == 'E'
				j++
			}
			if exp || j-i > 300 {
				if _, err := strconv.ParseFloat(s[i:j], 64); err != nil {
					return false
				}
			}
			i = j - 1
		}
	}
	return true
}
