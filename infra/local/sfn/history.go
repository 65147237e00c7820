package sfn

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"loanflow/infra/local/asl"
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

// historyEvent expands ev, as stored, into the shape GetExecutionHistory
// returns.
func historyEvent(ev *asl.Event) (HistoryEvent, error) {
	h := HistoryEvent{ID: ev.ID, PreviousEventID: ev.Prev, Timestamp: time.Unix(0, ev.Time), Type: ev.Type}
	switch {
	case ev.Field != "":
		h.Details = map[string]any{"name": ev.Name, ev.Field: ev.Data, ev.Field + "Details": map[string]any{"truncated": false}}
	case ev.Details != nil:
		if err := json.Unmarshal(ev.Details, &h.Details); err != nil {
			return h, fmt.Errorf("decode event %d: %w", ev.ID, err)
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
	row         *asl.Event
	first, last int64
	count       int
	data        []byte
	lastTS      int64          // of the chunk's last event
	symbols     map[string]int // type and state names written so far
}

// add appends ev, whose id follows the events already buffered.
func (h *historyBuf) add(ev asl.Event) {
	h.n++
	h.bytes += len(ev.Data) + len(ev.Details)
	if ev.Splice != nil {
		h.bytes += len(ev.Splice.Text)
	}
	if rowEvent(ev.Type) {
		// A copy, so that only row events are moved to the heap (taking
		// &ev would move every event's parameter there).
		row := ev
		h.parts = append(h.parts, historyPart{row: &row})
		return
	}
	var p *historyPart
	if k := len(h.parts); k > 0 && h.parts[k-1].row == nil && h.parts[k-1].count < maxChunkEvents && len(h.parts[k-1].data) < maxChunkBytes {
		p = &h.parts[k-1]
	} else {
		// Sized for this event and a few small ones after it: a checkpoint's
		// chunk holds a handful of events, and a buffer of fixed size
		// (8 KiB) was most of the bytes the engine allocated per execution.
		size := 256 + len(ev.Data) + len(ev.Details)
		if ev.Splice != nil {
			size += len(ev.Splice.Text)
		}
		h.parts = append(h.parts, historyPart{first: ev.ID, data: make([]byte, 0, size)})
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
func (p *historyPart) appendEvent(ev *asl.Event) {
	b := p.data
	if len(b) == 0 {
		b = append(b, chunkVersion)
		p.symbols = map[string]int{}
	}
	b = binary.AppendUvarint(b, uint64(ev.ID-p.last))
	b = binary.AppendUvarint(b, uint64(ev.ID-ev.Prev))
	b = binary.AppendVarint(b, ev.Time-p.lastTS)
	b = p.appendSymbol(b, ev.Type)
	switch {
	case ev.Field != "" && ev.Ref >= p.first && ev.Splice != nil && ev.Field == "output":
		b = append(b, chunkSplice)
		b = p.appendSymbol(b, ev.Name)
		b = binary.AppendUvarint(b, uint64(ev.ID-ev.Ref))
		b = binary.AppendUvarint(b, uint64(ev.Splice.At))
		r := byte(0)
		if ev.Splice.Replace {
			r = 1
		}
		b = append(b, r)
		b = appendChunkString(b, ev.Splice.Text)
	case ev.Field != "" && ev.Ref >= p.first && ev.Splice == nil:
		kind := byte(chunkOutputRef)
		if ev.Field == "input" {
			kind = chunkInputRef
		}
		b = append(b, kind)
		b = p.appendSymbol(b, ev.Name)
		b = binary.AppendUvarint(b, uint64(ev.ID-ev.Ref))
	case ev.Field != "":
		kind := byte(chunkOutput)
		if ev.Field == "input" {
			kind = chunkInput
		}
		b = append(b, kind)
		b = p.appendSymbol(b, ev.Name)
		b = appendChunkString(b, ev.Data)
	case ev.Details != nil:
		b = append(b, chunkDetails)
		b = binary.AppendUvarint(b, uint64(len(ev.Details)))
		b = append(b, ev.Details...)
	default:
		b = append(b, chunkNoDetails)
	}
	p.data, p.last, p.lastTS = b, ev.ID, ev.Time
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
func decodeChunk(b []byte) ([]asl.Event, error) {
	if len(b) == 0 || b[0] != chunkVersion {
		return nil, errBadChunk
	}
	b = b[1:]
	var out []asl.Event
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
		var ev asl.Event
		id, ok1 := uvarint()
		prev, ok2 := uvarint()
		ts, n := binary.Varint(b)
		if !ok1 || !ok2 || n <= 0 {
			return nil, errBadChunk
		}
		b = b[n:]
		ev.ID = lastID + int64(id)
		ev.Prev, ev.Time = ev.ID-int64(prev), lastTS+ts
		lastID, lastTS = ev.ID, ev.Time
		var ok bool
		if ev.Type, ok = symbol(); !ok || len(b) == 0 {
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
			ev.Details = []byte(d)
		case chunkInput, chunkOutput:
			ev.Field = "output"
			if kind == chunkInput {
				ev.Field = "input"
			}
			name, ok1 := symbol()
			data, ok2 := str()
			if !ok1 || !ok2 {
				return nil, errBadChunk
			}
			ev.Name, ev.Data = name, data
		case chunkInputRef, chunkOutputRef, chunkSplice:
			ev.Field = "output"
			if kind == chunkInputRef {
				ev.Field = "input"
			}
			name, ok1 := symbol()
			ref, ok2 := uvarint()
			if !ok1 || !ok2 {
				return nil, errBadChunk
			}
			i, found := slices.BinarySearchFunc(out, ev.ID-int64(ref), func(e asl.Event, id int64) int { return cmp.Compare(e.ID, id) })
			if !found || out[i].Field == "" {
				return nil, errBadChunk
			}
			ev.Name, ev.Data = name, out[i].Data
			if kind == chunkSplice {
				at, ok1 := uvarint()
				if !ok1 || len(b) == 0 {
					return nil, errBadChunk
				}
				replace := b[0] == 1
				b = b[1:]
				text, ok2 := str()
				if !ok2 {
					return nil, errBadChunk
				}
				sp := asl.Splice{At: int(at), Replace: replace, Text: text}
				data, ok3 := sp.Apply(ev.Data)
				if !ok3 {
					return nil, errBadChunk
				}
				ev.Data = data
			}
		default:
			return nil, errBadChunk
		}
		out = append(out, ev)
	}
	return out, nil
}
