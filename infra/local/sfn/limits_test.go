package sfn

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/asl"
)

// A wait past what time.Duration and UnixNano hold used to overflow and end
// at once: the execution succeeded immediately. It now waits, and the
// execution's one-year limit ends it as AWS ends it.
func TestVeryLongWaitsTimeOutAfterAYear(t *testing.T) {
	for name, state := range map[string]string{
		"SecondsPath":   `{"Type":"Wait","SecondsPath":"$.s","End":true}`,
		"TimestampPath": `{"Type":"Wait","TimestampPath":"$.ts","End":true}`,
		"Timestamp":     `{"Type":"Wait","Timestamp":"2300-01-01T00:00:00Z","End":true}`,
	} {
		t.Run(name, func(t *testing.T) {
			clock := NewFakeClock(time.Unix(1_700_000_000, 0))
			e := newTestEngine(t, Options{Clock: clock})
			def := `{"StartAt":"W","States":{"W":` + state + `}}`
			arn := start(t, e, def, "", `{"s":9223372036,"ts":"2300-01-01T00:00:00Z"}`)
			poll(t, "the wait checkpointed", func() bool { return clock.Timers() > 0 && e.activeCount() == 0 })
			if x := status(t, e, arn); x.Status != "RUNNING" {
				t.Fatalf("status after start: %s (the wait ended at once)", x.Status)
			}
			clock.Advance(364 * 24 * time.Hour)
			poll(t, "idle", func() bool { return e.activeCount() == 0 })
			if x := status(t, e, arn); x.Status != "RUNNING" {
				t.Fatalf("status after 364 days: %s", x.Status)
			}
			clock.Advance(2 * 24 * time.Hour)
			x := waitDone(t, e, arn)
			if x.Status != "TIMED_OUT" || x.Error == nil || *x.Error != asl.ErrTimeout {
				t.Fatalf("after a year: %s %v", x.Status, x.Error)
			}
		})
	}
}

func TestWaitSecondsBoundIsNamed(t *testing.T) {
	e := newTestEngine(t, Options{})
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":315360000,"End":true}}}`
	_, _, err := e.CreateStateMachine(context.Background(), "long-wait", def, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if ErrorCode(err) != CodeInvalidDefinition || !strings.Contains(err.Error(), "between 0 and 99999999") {
		t.Fatalf("got %v, want InvalidDefinition naming the bound", err)
	}
	def = strings.Replace(def, "315360000", "99999999", 1)
	if _, _, err := e.CreateStateMachine(context.Background(), "longest-wait", def, "arn:aws:iam::000000000000:role/r", "STANDARD"); err != nil {
		t.Fatalf("99999999 seconds is allowed: %v", err)
	}
}

// An execution without TimeoutSeconds still ends after a year.
func TestExecutionsEndAfterAYear(t *testing.T) {
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	inv := &fakeInvoker{}
	e := newTestEngine(t, Options{Clock: clock, Invoker: inv})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
	  "Parameters":{"QueueUrl":"q","MessageBody":{"t.$":"$$.Task.Token"}},"End":true}}}`
	arn := start(t, e, def, "", `{}`)
	poll(t, "token task waiting", func() bool { return inv.count() == 1 && clock.Timers() > 0 && e.activeCount() == 0 })
	clock.Advance(365*24*time.Hour + 2*time.Second)
	if x := waitDone(t, e, arn); x.Status != "TIMED_OUT" {
		t.Fatalf("got %s, want TIMED_OUT", x.Status)
	}
}

// historyOf returns every event of arn.
func historyOf(t *testing.T, e *Engine, arn string) []HistoryEvent {
	t.Helper()
	var all []HistoryEvent
	token := ""
	for {
		page, next, err := e.GetExecutionHistory(context.Background(), HistoryInput{ExecutionARN: arn, MaxResults: 1000, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		token = next
	}
}

// A loop that never ends fails at the history cap, event 25,000 being the
// ExecutionFailed, as AWS records it: whether the history is written every
// 512 events or, as RunDefinition buffers it, all at the end.
func TestRunawayLoopFailsAtTheHistoryCap(t *testing.T) {
	for _, buffer := range []int{0, asl.MaxHistoryEvents} {
		t.Run(fmt.Sprintf("buffer %d", buffer), func(t *testing.T) { testRunawayLoopAtTheCap(t, buffer) })
	}
}

func testRunawayLoopAtTheCap(t *testing.T, buffer int) {
	for name, def := range map[string]string{
		"top level": `{"StartAt":"Spin","States":{"Spin":{"Type":"Pass","Next":"Again"},
		  "Again":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Out"}],"Default":"Spin"},
		  "Out":{"Type":"Succeed"}}}`,
		"inside a Map": `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","End":true,
		  "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"Spin","States":{
		    "Spin":{"Type":"Pass","Next":"Again"},
		    "Again":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Out"}],"Default":"Spin"},
		    "Out":{"Type":"Succeed"}}}}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			e := newTestEngine(t, Options{bufferEvents: buffer})
			arn := start(t, e, def, "", `{"items":[{},{},{}]}`)
			x := waitDone(t, e, arn)
			if x.Status != "FAILED" || x.Error == nil || *x.Error != asl.ErrRuntime || x.Cause == nil || *x.Cause != asl.HistoryLimitError().Cause {
				t.Fatalf("got %s %v %v", x.Status, x.Error, x.Cause)
			}
			h := historyOf(t, e, arn)
			if len(h) != asl.MaxHistoryEvents {
				t.Fatalf("history has %d events, want %d", len(h), asl.MaxHistoryEvents)
			}
			last := h[len(h)-1]
			if last.ID != asl.MaxHistoryEvents || last.Type != "ExecutionFailed" || last.PreviousEventID != asl.MaxHistoryEvents-1 {
				t.Fatalf("last event: %+v", last)
			}
		})
	}
}

// An execution whose 25,000th event is its success succeeds.
func TestSuccessAtTheCapSucceeds(t *testing.T) {
	// ExecutionStarted, then 2 events per Pass state: 12,499 states make
	// 24,999 events, the success is event 25,000.
	var b strings.Builder
	b.WriteString(`{"StartAt":"S0","States":{`)
	const n = 12_499
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		if i == n-1 {
			b.WriteString(`"S` + strconv.Itoa(i) + `":{"Type":"Pass","End":true}`)
		} else {
			b.WriteString(`"S` + strconv.Itoa(i) + `":{"Type":"Pass","Next":"S` + strconv.Itoa(i+1) + `"}`)
		}
	}
	b.WriteString(`}}`)
	e := newTestEngine(t, Options{})
	arn := start(t, e, b.String(), "", `{}`)
	if x := waitDone(t, e, arn); x.Status != "SUCCEEDED" {
		t.Fatalf("got %s %v %v", x.Status, x.Error, x.Cause)
	}
	if h := historyOf(t, e, arn); len(h) != asl.MaxHistoryEvents || h[len(h)-1].Type != "ExecutionSucceeded" {
		t.Fatalf("history: %d events, last %s", len(h), h[len(h)-1].Type)
	}
}

// Data that doubles at every state fails at the payload cap, at whichever
// state first exceeds it, inside a Map iteration as at the top level.
func TestDoublingDataFailsAtThePayloadCap(t *testing.T) {
	loop := `"Grow":{"Type":"Pass","Parameters":{"a.$":"$","b.$":"$"},"Next":"Again"},
	  "Again":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Out"}],"Default":"Grow"},
	  "Out":{"Type":"Succeed"}`
	for name, def := range map[string]string{
		"top level":    `{"StartAt":"Grow","States":{` + loop + `}}`,
		"inside a Map": `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"Grow","States":{` + loop + `}}}}}`,
		"Parallel":     `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"Grow","States":{` + loop + `}}]}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			e := newTestEngine(t, Options{})
			arn := start(t, e, def, "", `[{"seed":"`+strings.Repeat("x", 1000)+`"}]`)
			x := waitDone(t, e, arn)
			if x.Status != "FAILED" || *x.Error != asl.ErrDataLimitExceeded || !strings.Contains(*x.Cause, "'Grow'") {
				t.Fatalf("got %s %v %v", x.Status, x.Error, x.Cause)
			}
		})
	}
}

// A Map of Maps whose ItemSelector copies the whole input into each of its
// items ends at the history cap, and holds only the running iterations'
// inputs meanwhile (it held every copy at once before: 6.8 GB for 2,000
// items of a 220 KB input; the figure is in BenchmarkRunawayMapOfMaps).
func TestRunawayMapOfMapsEndsAtTheCap(t *testing.T) {
	e := newTestEngine(t, Options{})
	arn := start(t, e, runawayMapOfMaps, "", runawayInput(300))
	x := waitDone(t, e, arn)
	if x.Status != "FAILED" || *x.Cause != asl.HistoryLimitError().Cause {
		t.Fatalf("got %s %v %v", x.Status, x.Error, x.Cause)
	}
}

const runawayMapOfMaps = `{"StartAt":"Outer","States":{"Outer":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"all.$":"$","i.$":"$$.Map.Item.Index"},"End":true,
 "ItemProcessor":{"StartAt":"Inner","States":{"Inner":{"Type":"Map","ItemsPath":"$.all.items","End":true,
   "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}}}}`

func runawayInput(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = `{"pad":"` + strings.Repeat("x", 100) + `"}`
	}
	return `{"items":[` + strings.Join(items, ",") + `]}`
}

func BenchmarkRunawayMapOfMaps(b *testing.B) {
	e := newTestEngine(b, Options{})
	ctx := context.Background()
	sm, _, err := e.CreateStateMachine(ctx, "runaway", runawayMapOfMaps, "arn:aws:iam::000000000000:role/r", "STANDARD")
	if err != nil {
		b.Fatal(err)
	}
	in := runawayInput(2000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		arn, _, err := e.StartExecution(ctx, sm, "run-"+strconv.Itoa(i), in)
		if err != nil {
			b.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		x, err := e.WaitExecution(wctx, arn)
		cancel()
		if err != nil || x.Status != "FAILED" {
			b.Fatalf("%v %v", x, err)
		}
	}
}
