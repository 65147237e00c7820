package asl

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// HistoryEvent is one execution history event in AWS's shape: Details is the
// object found under DetailsKey(Type) (for example stateEnteredEventDetails),
// with inputs and outputs as JSON strings.
type HistoryEvent struct {
	ID              int64
	PreviousEventID int64
	Timestamp       time.Time
	Type            string
	Details         map[string]any
}

// DetailsKey returns the field name AWS uses for an event type's details,
// e.g. "taskScheduledEventDetails"; "" for types without details.
func DetailsKey(eventType string) string {
	switch {
	case strings.HasSuffix(eventType, "StateEntered"):
		return "stateEnteredEventDetails"
	case strings.HasSuffix(eventType, "StateExited"):
		return "stateExitedEventDetails"
	case eventType == "ParallelStateStarted", eventType == "ParallelStateSucceeded", eventType == "ParallelStateFailed",
		eventType == "ParallelStateAborted", eventType == "MapStateSucceeded", eventType == "MapStateFailed", eventType == "MapStateAborted":
		return ""
	}
	return strings.ToLower(eventType[:1]) + eventType[1:] + "EventDetails"
}

// enteredType and exitedType name a state's entered/exited events.
func enteredType(st *state) string { return stateEventTypes[st.Type][0] }
func exitedType(st *state) string  { return stateEventTypes[st.Type][1] }

var stateEventTypes = func() map[string][2]string {
	m := map[string][2]string{}
	for _, t := range []string{"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"} {
		m[t] = [2]string{t + "StateEntered", t + "StateExited"}
	}
	return m
}()

// Execution data fields, stripped when includeExecutionData is false.
var dataFields = []string{"input", "output", "parameters"}

// stripData returns details without inputs, outputs and parameters.
func stripData(d map[string]any) map[string]any {
	if d == nil {
		return nil
	}
	out := make(map[string]any, len(d))
	for k, v := range d {
		out[k] = v
	}
	for _, f := range dataFields {
		delete(out, f)
		delete(out, f+"Details")
	}
	return out
}

func dataDetails(field, json string) map[string]any {
	return map[string]any{field: json, field + "Details": map[string]any{"truncated": false}}
}

// event is a history event buffered in memory until its checkpoint. A
// state's entered/exited event keeps its input or output as encoded JSON
// (data, under field); other events keep their details object encoded as
// json.Marshal would (nil when the event has none).
type event struct {
	id, prev int64
	ts       int64
	typ      string
	field    string // "input" or "output" for entered/exited events
	name     string // the state's name, for entered/exited events
	data     string
	// ref, when set, is an earlier event whose data is data or, with splice
	// set, whose data is an object that data equals with one member set.
	ref     int64
	splice  *splice
	details []byte
}

// splice describes data as ref's object with member text inserted as its
// at-th member (replacing the member there when replace is set).
type splice struct {
	at      int
	replace bool
	text    string // "key":value
}

// historyEvent expands ev into the shape GetExecutionHistory returns.
func (ev *event) historyEvent() (HistoryEvent, error) {
	h := HistoryEvent{ID: ev.id, PreviousEventID: ev.prev, Timestamp: time.Unix(0, ev.ts), Type: ev.typ}
	switch {
	case ev.field != "":
		h.Details = map[string]any{"name": ev.name, ev.field: ev.data, ev.field + "Details": map[string]any{"truncated": false}}
	case ev.details != nil:
		if err := json.Unmarshal(ev.details, &h.Details); err != nil {
			return h, fmt.Errorf("decode event %d: %w", ev.id, err)
		}
	}
	return h, nil
}

// historyBuf holds the events of a run not yet checkpointed, already in
// their stored form: execution events as rows, runs of the others encoded
// as chunks.
type historyBuf struct {
	n     int // events buffered
	bytes int // their data and details, roughly
	parts []historyPart
}

// historyPart is one sfn_history row (row set) or one chunk.
type historyPart struct {
	row         *event
	first, last int64
	count       int
	data        []byte
	lastTS      int64          // of the chunk's last event
	symbols     map[string]int // type and state names written so far
}

// add appends ev, whose id follows the events already buffered.
func (h *historyBuf) add(ev event) {
	h.n++
	h.bytes += len(ev.data) + len(ev.details)
	if ev.splice != nil {
		h.bytes += len(ev.splice.text)
	}
	if rowEvent(ev.typ) {
		h.parts = append(h.parts, historyPart{row: &ev})
		return
	}
	var p *historyPart
	if k := len(h.parts); k > 0 && h.parts[k-1].row == nil && h.parts[k-1].count < maxChunkEvents && len(h.parts[k-1].data) < maxChunkBytes {
		p = &h.parts[k-1]
	} else {
		h.parts = append(h.parts, historyPart{first: ev.id, data: make([]byte, 0, 8*1024)})
		p = &h.parts[len(h.parts)-1]
	}
	p.appendEvent(&ev)
}

// rowEvent reports whether an event type is stored in its own sfn_history
// row; all others are stored in chunks (sfn_history_chunks).
func rowEvent(typ string) bool { return strings.HasPrefix(typ, "Execution") }

// Chunk encoding of a run of events with consecutive ids, one
// sfn_history_chunks row: a version byte, then per event the id (uvarint,
// minus the previous event's), prev (uvarint, id minus prev), the timestamp
// (varint, minus the previous event's), the type (a symbol), a kind byte and
// the kind's payload. A symbol is uvarint n: n > 0 repeats the chunk's n-th
// symbol, 0 is followed by a new one (a string: uvarint length, bytes). A
// ref is uvarint id minus ref.
const (
	chunkVersion = 1

	chunkNoDetails = 0 // no payload
	chunkDetails   = 1 // details JSON
	chunkInput     = 2 // name, data (the input)
	chunkOutput    = 3 // name, data (the output)
	chunkInputRef  = 4 // name, ref; data is that of event ref, in the chunk
	chunkOutputRef = 5 // name, ref
	chunkSplice    = 6 // name, ref, at, replace, member text: an output

	// maxChunkEvents and maxChunkBytes bound one chunk.
	maxChunkEvents = 256
	maxChunkBytes  = 256 * 1024
)

// appendEvent appends ev, the next event, to chunk p.
func (p *historyPart) appendEvent(ev *event) {
	b := p.data
	if len(b) == 0 {
		b = append(b, chunkVersion)
		p.symbols = map[string]int{}
	}
	b = binary.AppendUvarint(b, uint64(ev.id-p.last))
	b = binary.AppendUvarint(b, uint64(ev.id-ev.prev))
	b = binary.AppendVarint(b, ev.ts-p.lastTS)
	b = p.appendSymbol(b, ev.typ)
	switch {
	case ev.field != "" && ev.ref >= p.first && ev.splice != nil && ev.field == "output":
		b = append(b, chunkSplice)
		b = p.appendSymbol(b, ev.name)
		b = binary.AppendUvarint(b, uint64(ev.id-ev.ref))
		b = binary.AppendUvarint(b, uint64(ev.splice.at))
		r := byte(0)
		if ev.splice.replace {
			r = 1
		}
		b = append(b, r)
		b = appendChunkString(b, ev.splice.text)
	case ev.field != "" && ev.ref >= p.first && ev.splice == nil:
		kind := byte(chunkOutputRef)
		if ev.field == "input" {
			kind = chunkInputRef
		}
		b = append(b, kind)
		b = p.appendSymbol(b, ev.name)
		b = binary.AppendUvarint(b, uint64(ev.id-ev.ref))
	case ev.field != "":
		kind := byte(chunkOutput)
		if ev.field == "input" {
			kind = chunkInput
		}
		b = append(b, kind)
		b = p.appendSymbol(b, ev.name)
		b = appendChunkString(b, ev.data)
	case ev.details != nil:
		b = append(b, chunkDetails)
		b = binary.AppendUvarint(b, uint64(len(ev.details)))
		b = append(b, ev.details...)
	default:
		b = append(b, chunkNoDetails)
	}
	p.data, p.last, p.lastTS = b, ev.id, ev.ts
	p.count++
}

func (p *historyPart) appendSymbol(b []byte, s string) []byte {
	if n, ok := p.symbols[s]; ok {
		return binary.AppendUvarint(b, uint64(n))
	}
	p.symbols[s] = len(p.symbols) + 1
	b = append(b, 0)
	return appendChunkString(b, s)
}

func appendChunkString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errBadChunk = errors.New("malformed history chunk")

// decodeChunk returns the events of a chunk in id order.
func decodeChunk(b []byte) ([]event, error) {
	if len(b) == 0 || b[0] != chunkVersion {
		return nil, errBadChunk
	}
	b = b[1:]
	var out []event
	uvarint := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	str := func() (string, bool) {
		n, ok := uvarint()
		if !ok || n > uint64(len(b)) {
			return "", false
		}
		s := string(b[:n])
		b = b[n:]
		return s, true
	}
	var symbols []string
	symbol := func() (string, bool) {
		n, ok := uvarint()
		switch {
		case !ok || n > uint64(len(symbols)):
			return "", false
		case n > 0:
			return symbols[n-1], true
		}
		s, ok := str()
		symbols = append(symbols, s)
		return s, ok
	}
	var lastID, lastTS int64
	for len(b) > 0 {
		var ev event
		id, ok1 := uvarint()
		prev, ok2 := uvarint()
		ts, n := binary.Varint(b)
		if !ok1 || !ok2 || n <= 0 {
			return nil, errBadChunk
		}
		b = b[n:]
		ev.id = lastID + int64(id)
		ev.prev, ev.ts = ev.id-int64(prev), lastTS+ts
		lastID, lastTS = ev.id, ev.ts
		var ok bool
		if ev.typ, ok = symbol(); !ok || len(b) == 0 {
			return nil, errBadChunk
		}
		kind := b[0]
		b = b[1:]
		switch kind {
		case chunkNoDetails:
		case chunkDetails:
			d, ok := str()
			if !ok {
				return nil, errBadChunk
			}
			ev.details = []byte(d)
		case chunkInput, chunkOutput:
			ev.field = "output"
			if kind == chunkInput {
				ev.field = "input"
			}
			name, ok1 := symbol()
			data, ok2 := str()
			if !ok1 || !ok2 {
				return nil, errBadChunk
			}
			ev.name, ev.data = name, data
		case chunkInputRef, chunkOutputRef, chunkSplice:
			ev.field = "output"
			if kind == chunkInputRef {
				ev.field = "input"
			}
			name, ok1 := symbol()
			ref, ok2 := uvarint()
			if !ok1 || !ok2 {
				return nil, errBadChunk
			}
			i, found := slices.BinarySearchFunc(out, ev.id-int64(ref), func(e event, id int64) int { return cmp.Compare(e.id, id) })
			if !found || out[i].field == "" {
				return nil, errBadChunk
			}
			ev.name, ev.data = name, out[i].data
			if kind == chunkSplice {
				at, ok1 := uvarint()
				if !ok1 || len(b) == 0 {
					return nil, errBadChunk
				}
				replace := b[0] == 1
				b = b[1:]
				text, ok2 := str()
				members, ok3 := scanMembers(ev.data)
				if !ok2 || !ok3 || int(at) > len(members) || replace && int(at) == len(members) {
					return nil, errBadChunk
				}
				ev.data = string(spliceText(nil, ev.data, members, int(at), replace, text))
			}
		default:
			return nil, errBadChunk
		}
		out = append(out, ev)
	}
	return out, nil
}

// readHistory returns up to n events of execution id after event from (or
// before it when reverse), merged from sfn_history rows and chunks.
func (e *Engine) readHistory(ctx context.Context, id, from int64, n int, reverse bool) ([]event, error) {
	rowQ := `SELECT id, prev, ts_ns, type, details FROM sfn_history WHERE exec_id = ? AND id > ? ORDER BY id LIMIT ?`
	chunkQ := `SELECT data FROM sfn_history_chunks WHERE exec_id = ? AND first_id >= COALESCE(
		(SELECT MAX(first_id) FROM sfn_history_chunks WHERE exec_id = ? AND first_id <= ?), 0) ORDER BY first_id`
	if reverse {
		rowQ = `SELECT id, prev, ts_ns, type, details FROM sfn_history WHERE exec_id = ? AND id < ? ORDER BY id DESC LIMIT ?`
		chunkQ = `SELECT data FROM sfn_history_chunks WHERE exec_id = ? AND first_id < ? ORDER BY first_id DESC`
	}
	rows, err := e.db.QueryContext(ctx, rowQ, id, from, n)
	if err != nil {
		return nil, err
	}
	var single []event
	for rows.Next() {
		var ev event
		var details sql.NullString
		if err := rows.Scan(&ev.id, &ev.prev, &ev.ts, &ev.typ, &details); err != nil {
			rows.Close()
			return nil, err
		}
		if details.Valid {
			ev.details = []byte(details.String)
		}
		single = append(single, ev)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	args := []any{id, id, from + 1} // the chunk holding event from+1, and later ones
	if reverse {
		args = []any{id, from}
	}
	crows, err := e.db.QueryContext(ctx, chunkQ, args...)
	if err != nil {
		return nil, err
	}
	defer crows.Close()
	var chunked []event
	for len(chunked) < n && crows.Next() {
		var data []byte
		if err := crows.Scan(&data); err != nil {
			return nil, err
		}
		evs, err := decodeChunk(data)
		if err != nil {
			return nil, err
		}
		if reverse {
			for i := len(evs) - 1; i >= 0 && len(chunked) < n; i-- {
				if evs[i].id < from {
					chunked = append(chunked, evs[i])
				}
			}
		} else {
			for i := 0; i < len(evs) && len(chunked) < n; i++ {
				if evs[i].id > from {
					chunked = append(chunked, evs[i])
				}
			}
		}
	}
	if err := crows.Err(); err != nil {
		return nil, err
	}

	out := make([]event, 0, min(n, len(single)+len(chunked)))
	for len(out) < n && (len(single) > 0 || len(chunked) > 0) {
		takeSingle := len(chunked) == 0 ||
			len(single) > 0 && (single[0].id < chunked[0].id) != reverse
		if takeSingle {
			out, single = append(out, single[0]), single[1:]
		} else {
			out, chunked = append(out, chunked[0]), chunked[1:]
		}
	}
	return out, nil
}
