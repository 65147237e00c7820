package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"loanflow/infra/local/asl"
)

// The details GetExecutionHistory returns for a chunked event are those the
// old per-row storage returned: json.Marshal of the details map, decoded.
func TestChunkRoundTripMatchesJSONDetails(t *testing.T) {
	data := `{"a":"<&>\u2028","n":[1,2.5]}`
	events := []asl.Event{
		{ID: 2, Prev: 1, Time: 10, Type: "PassStateEntered", Field: "input", Name: "A <b>", Data: data},
		{ID: 3, Prev: 2, Time: 11, Type: "PassStateExited", Field: "output", Name: "A <b>", Data: data},
		{ID: 4, Prev: 3, Time: 12, Type: "ChoiceStateEntered", Field: "input", Name: "C", Data: data, Ref: 3},
		{ID: 5, Prev: 4, Time: 13, Type: "MapIterationStarted", Details: mustAppendDetails(t, map[string]any{"name": "M", "index": 7})},
		{ID: 6, Prev: 5, Time: 14, Type: "ChoiceStateExited", Field: "output", Name: "C", Data: `{"a":"<&>\u2028","m":true,"n":[1,2.5]}`,
			Ref: 4, Splice: &asl.Splice{At: 1, Text: `"m":true`}},
		{ID: 7, Prev: 0, Time: 15, Type: "MapStateSucceeded"},
	}
	p := historyPart{first: 2}
	for i := range events {
		p.appendEvent(&events[i])
	}
	chunk := p.data
	got, err := decodeChunk(chunk)
	if err != nil {
		t.Fatal(err)
	}
	old := []map[string]any{
		{"name": "A <b>", "input": data, "inputDetails": map[string]any{"truncated": false}},
		{"name": "A <b>", "output": data, "outputDetails": map[string]any{"truncated": false}},
		{"name": "C", "input": data, "inputDetails": map[string]any{"truncated": false}},
		{"name": "M", "index": 7},
		{"name": "C", "output": `{"a":"<&>\u2028","m":true,"n":[1,2.5]}`, "outputDetails": map[string]any{"truncated": false}},
		nil,
	}
	for i := range got {
		h, err := historyEvent(&got[i])
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]any
		if old[i] != nil {
			b, _ := json.Marshal(old[i])
			_ = json.Unmarshal(b, &want)
		}
		if h.ID != events[i].ID || h.PreviousEventID != events[i].Prev || h.Timestamp.UnixNano() != events[i].Time || h.Type != events[i].Type || !reflect.DeepEqual(h.Details, want) {
			t.Errorf("event %d: got %+v, want details %v", i, h, want)
		}
	}
	if _, err := decodeChunk(chunk[:len(chunk)-3]); err == nil {
		t.Errorf("truncated chunk decoded")
	}
}

func mustAppendDetails(t *testing.T, d map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// History read in pages of any size, forwards or backwards, is the same
// sequence, across chunk boundaries and separate execution rows.
func TestHistoryPagingAcrossChunks(t *testing.T) {
	const def = `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"C","States":{
	 "C":{"Type":"Choice","Choices":[{"Variable":"$.v","NumericGreaterThan":5,"Next":"Big"}],"Default":"Small"},
	 "Big":{"Type":"Pass","Result":"<big & \u2028>","ResultPath":"$.size","End":true},
	 "Small":{"Type":"Pass","Parameters":{"s.$":"States.Format('small {}', $.v)"},"End":true}}},"End":true}}}`
	var items []string
	for i := range 300 {
		items = append(items, fmt.Sprintf(`{"v":%d}`, i%10))
	}
	e := newTestEngine(t, Options{})
	arn := start(t, e, def, "paging", `{"items":[`+strings.Join(items, ",")+`]}`)
	if x := waitDone(t, e, arn); x.Status != "SUCCEEDED" {
		t.Fatalf("status %s", x.Status)
	}
	ctx := context.Background()
	read := func(size int, reverse bool) []HistoryEvent {
		var all []HistoryEvent
		next := ""
		for {
			evs, n, err := e.GetExecutionHistory(ctx, HistoryInput{ExecutionARN: arn, MaxResults: size, ReverseOrder: reverse, NextToken: next})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) > size {
				t.Fatalf("page of %d events for MaxResults %d", len(evs), size)
			}
			all = append(all, evs...)
			if n == "" {
				return all
			}
			next = n
		}
	}
	all := read(1000, false)
	// ExecutionStarted, MapStateEntered, MapStateStarted, 300 x (iteration
	// started, 2 states entered/exited, iteration succeeded), MapStateSucceeded,
	// MapStateExited, ExecutionSucceeded.
	if want := 3 + 300*6 + 3; len(all) != want {
		t.Fatalf("%d events, want %d", len(all), want)
	}
	byID := map[int64]HistoryEvent{}
	for i, ev := range all {
		if ev.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i, ev.ID)
		}
		byID[ev.ID] = ev
		if strings.HasSuffix(ev.Type, "StateEntered") {
			prev := byID[ev.PreviousEventID]
			if strings.HasSuffix(prev.Type, "StateExited") && prev.Details["output"] != ev.Details["input"] {
				t.Fatalf("event %d: input %v after output %v", ev.ID, ev.Details["input"], prev.Details["output"])
			}
			if len(ev.Details) != 3 || !reflect.DeepEqual(ev.Details["inputDetails"], map[string]any{"truncated": false}) {
				t.Fatalf("event %d: details %v", ev.ID, ev.Details)
			}
		}
	}
	if all[0].Type != "ExecutionStarted" || all[len(all)-1].Type != "ExecutionSucceeded" {
		t.Fatalf("first %s, last %s", all[0].Type, all[len(all)-1].Type)
	}
	for _, size := range []int{3, 100, 256, 257} {
		if got := read(size, false); !reflect.DeepEqual(got, all) {
			t.Fatalf("forward pages of %d differ", size)
		}
		got := read(size, true)
		slices.Reverse(got)
		if !reflect.DeepEqual(got, all) {
			t.Fatalf("reverse pages of %d differ", size)
		}
	}
}
