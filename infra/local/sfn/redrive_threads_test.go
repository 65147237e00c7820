package sfn

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"loanflow/infra/local/asl"
)

// perItem counts a fake invoker's calls by the "item" parameter.
type perItem struct {
	fakeInvoker
	failing atomic.Bool
}

func (p *perItem) count(item string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.calls {
		if m, _ := c.Parameters.(map[string]any); m != nil && m["item"] == item {
			n++
		}
	}
	return n
}

// A redriven Map runs again only its iterations that did not succeed: the
// one that failed runs again, the one never started runs, the one that
// succeeded keeps its result and is not called again (API reference,
// RedriveExecution: "reschedules and redrives only the iterations and
// branches that failed or aborted").
func TestRedriveMapRerunsOnlyUnsuccessfulIterations(t *testing.T) {
	inv := &perItem{}
	inv.failing.Store(true)
	inv.answer = func(call asl.TaskCall, _ int) (any, error) {
		m, _ := call.Parameters.(map[string]any)
		if m["item"] == "b" && inv.failing.Load() {
			return nil, &asl.TaskError{Name: "Boom", Cause: "item b failed"}
		}
		return map[string]any{"done": m["item"]}, nil
	}
	e := newTestEngine(t, Options{Invoker: inv})
	def := `{"StartAt":"Each","States":{"Each":{"Type":"Map","MaxConcurrency":1,"ItemsPath":"$.items",
		"ItemProcessor":{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","item.$":"$"},"OutputPath":"$.done","End":true}}},
		"End":true}}}`
	arn := start(t, e, def, "", `{"items":["a","b","c"]}`)
	if x := waitDone(t, e, arn); x.Status != StatusFailed || *x.Error != "Boom" {
		t.Fatalf("first run: %s %v", x.Status, x.Error)
	}
	if inv.count("a") != 1 || inv.count("b") != 1 || inv.count("c") != 0 {
		t.Fatalf("first run calls a=%d b=%d c=%d, want 1 1 0", inv.count("a"), inv.count("b"), inv.count("c"))
	}
	inv.failing.Store(false)
	if _, err := e.RedriveExecution(context.Background(), arn); err != nil {
		t.Fatal(err)
	}
	x := waitDone(t, e, arn)
	if x.Status != StatusSucceeded || *x.Output != `["a","b","c"]` {
		t.Fatalf("redriven: %s %v %v", x.Status, x.Output, x.Cause)
	}
	if inv.count("a") != 1 || inv.count("b") != 2 || inv.count("c") != 1 {
		t.Errorf("calls after the redrive a=%d b=%d c=%d, want 1 2 1: only the unsuccessful iterations run again", inv.count("a"), inv.count("b"), inv.count("c"))
	}
	var rows int
	if err := e.store.db.QueryRow(`SELECT COUNT(*) FROM sfn_threads`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("%d thread rows left after the redriven execution succeeded (%v)", rows, err)
	}
}

// A redriven Parallel runs again only its failed branch.
func TestRedriveParallelRerunsOnlyTheFailedBranch(t *testing.T) {
	inv := &perItem{}
	inv.failing.Store(true)
	inv.answer = func(call asl.TaskCall, _ int) (any, error) {
		m, _ := call.Parameters.(map[string]any)
		if m["item"] == "b" && inv.failing.Load() {
			// Fail only once branch a's call is made, so that a succeeds.
			for deadline := time.Now().Add(5 * time.Second); inv.count("a") == 0 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			return nil, &asl.TaskError{Name: "Boom", Cause: "branch b failed"}
		}
		return m["item"], nil
	}
	e := newTestEngine(t, Options{Invoker: inv})
	branch := func(item string) string {
		return `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","item":"` + item + `"},"End":true}}}`
	}
	def := `{"StartAt":"Both","States":{"Both":{"Type":"Parallel","Branches":[` + branch("a") + `,` + branch("b") + `],"End":true}}}`
	arn := start(t, e, def, "", `{}`)
	if x := waitDone(t, e, arn); x.Status != StatusFailed {
		t.Fatalf("first run: %s", x.Status)
	}
	inv.failing.Store(false)
	if _, err := e.RedriveExecution(context.Background(), arn); err != nil {
		t.Fatal(err)
	}
	x := waitDone(t, e, arn)
	if x.Status != StatusSucceeded || *x.Output != `["a","b"]` {
		t.Fatalf("redriven: %s %v %v", x.Status, x.Output, x.Cause)
	}
	if inv.count("a") != 1 || inv.count("b") != 2 {
		t.Errorf("calls a=%d b=%d, want 1 and 2: only the failed branch runs again", inv.count("a"), inv.count("b"))
	}
}

// A redriven execution that was stopped inside a Map restarts its
// interrupted iteration's state, which waits on a new task token.
func TestRedriveAfterStopRestartsTheInterruptedIteration(t *testing.T) {
	inv := &perItem{}
	e := newTestEngine(t, Options{Invoker: inv})
	def := `{"StartAt":"Each","States":{"Each":{"Type":"Map","MaxConcurrency":1,"ItemsPath":"$.items",
		"ItemProcessor":{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","Parameters":{"QueueUrl":"q","item.$":"$","token.$":"$$.Task.Token"},"End":true}}},
		"End":true}}}`
	arn := start(t, e, def, "", `{"items":["a"]}`)
	poll(t, "the first call", func() bool { return inv.count("a") == 1 })
	if _, err := e.StopExecution(context.Background(), arn, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RedriveExecution(context.Background(), arn); err != nil {
		t.Fatal(err)
	}
	poll(t, "the redriven call", func() bool { return inv.count("a") == 2 })
	inv.mu.Lock()
	first, second := inv.calls[0].TaskToken, inv.calls[1].TaskToken
	inv.mu.Unlock()
	if err := e.SendTaskSuccess(context.Background(), first, `"old"`); ErrorCode(err) == "" {
		t.Errorf("the token of the stopped attempt still answers")
	}
	if err := e.SendTaskSuccess(context.Background(), second, `"new"`); err != nil {
		t.Fatal(err)
	}
	if x := waitDone(t, e, arn); x.Status != StatusSucceeded || *x.Output != `["new"]` {
		t.Fatalf("redriven: %s %v", x.Status, x.Output)
	}
}

// Inside a failed Parallel branch, a redrive resumes the branch where it
// failed: the states it had passed do not run again, and its Map reruns
// only its failed iteration.
func TestRedriveNestedMapInAFailedBranch(t *testing.T) {
	inv := &perItem{}
	inv.failing.Store(true)
	inv.answer = func(call asl.TaskCall, _ int) (any, error) {
		m, _ := call.Parameters.(map[string]any)
		if m["item"] == "b" && inv.failing.Load() {
			return nil, &asl.TaskError{Name: "Boom", Cause: "item b failed"}
		}
		return m["item"], nil
	}
	e := newTestEngine(t, Options{Invoker: inv})
	def := `{"StartAt":"Both","States":{"Both":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"Prep","States":{
		"Prep":{"Type":"Pass","Result":["a","b"],"Next":"Each"},
		"Each":{"Type":"Map","MaxConcurrency":1,"End":true,"ItemProcessor":{"StartAt":"Call","States":{
			"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","item.$":"$"},"End":true}}}}}}]}}}`
	arn := start(t, e, def, "", `{}`)
	if x := waitDone(t, e, arn); x.Status != StatusFailed {
		t.Fatalf("first run: %s", x.Status)
	}
	inv.failing.Store(false)
	if _, err := e.RedriveExecution(context.Background(), arn); err != nil {
		t.Fatal(err)
	}
	x := waitDone(t, e, arn)
	if x.Status != StatusSucceeded || *x.Output != `[["a","b"]]` {
		t.Fatalf("redriven: %s %v %v", x.Status, x.Output, x.Cause)
	}
	if inv.count("a") != 1 || inv.count("b") != 2 {
		t.Errorf("calls a=%d b=%d, want 1 and 2", inv.count("a"), inv.count("b"))
	}
	passes := 0
	for _, ev := range historyOf(t, e, arn) {
		if ev.Type == "PassStateEntered" {
			passes++
		}
	}
	if passes != 1 {
		t.Errorf("Prep entered %d times, want once", passes)
	}
}
