package sfn

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"loanflow/infra/local/asl"
)

const testRole = "arn:aws:iam::000000000000:role/r"

// activityDef is a state machine whose one Task is done by activity arn;
// extra is spliced into the Task state (timeouts, Catch).
func activityDef(arn, extra string) string {
	return `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"` + arn + `",` + extra + `
	  "Parameters":{"loan.$":"$.loan","kind":"valuation"},"ResultPath":"$.result","End":true}}}`
}

func newActivity(t *testing.T, e *Engine, name string) string {
	t.Helper()
	arn, _, err := e.CreateActivity(context.Background(), CreateActivityInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

// takeTask polls activity arn until a task comes (GetActivityTask returns
// at once when one waits: the test clock never runs its 60 s).
func takeTask(t *testing.T, e *Engine, arn, worker string) *ActivityTask {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	task, err := e.GetActivityTask(ctx, arn, worker)
	if err != nil {
		t.Fatalf("get activity task: %v", err)
	}
	if task == nil {
		t.Fatal("no activity task")
	}
	return task
}

// startOn creates state machine name with def and starts an execution of it.
func startOn(t *testing.T, e *Engine, name, def, input string) string {
	t.Helper()
	ctx := context.Background()
	sm, _, err := e.CreateStateMachine(ctx, name, def, testRole, "")
	if err != nil {
		t.Fatal(err)
	}
	arn, _, err := e.StartExecution(ctx, sm, "", input)
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

func eventTypes(evs []HistoryEvent) string {
	var ts []string
	for _, ev := range evs {
		ts = append(ts, ev.Type)
	}
	return strings.Join(ts, ",")
}

func eventOf(t *testing.T, evs []HistoryEvent, typ string) HistoryEvent {
	t.Helper()
	for _, ev := range evs {
		if ev.Type == typ {
			return ev
		}
	}
	t.Fatalf("no %s event in %s", typ, eventTypes(evs))
	return HistoryEvent{}
}

func TestActivityCreateDescribeListDelete(t *testing.T) {
	ctx := context.Background()
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock})
	arn, created, err := e.CreateActivity(ctx, CreateActivityInput{Name: "valuer", Tags: map[string]string{"team": "loans"}})
	if err != nil {
		t.Fatal(err)
	}
	if arn != "arn:aws:states:us-east-1:000000000000:activity:valuer" {
		t.Fatalf("arn %s", arn)
	}
	// Idempotent on the name; different tags are ignored, not applied.
	clock.Advance(time.Minute)
	again, created2, err := e.CreateActivity(ctx, CreateActivityInput{Name: "valuer", Tags: map[string]string{"team": "other"}})
	if err != nil || again != arn || !created2.Equal(created) {
		t.Fatalf("second create: %s %v %v (first %v)", again, created2, err, created)
	}
	tags, err := e.ListTagsForResource(ctx, arn)
	if err != nil || len(tags) != 1 || tags[0] != (Tag{Key: "team", Value: "loans"}) {
		t.Fatalf("tags %v %v", tags, err)
	}
	kms := &EncryptionConfiguration{Type: "CUSTOMER_MANAGED_KMS_KEY", KMSKeyID: "alias/k"}
	if _, _, err := e.CreateActivity(ctx, CreateActivityInput{Name: "valuer", Encryption: kms}); ErrorCode(err) != CodeActivityAlreadyExists {
		t.Fatalf("other encryption: got %v, want ActivityAlreadyExists", err)
	}
	if _, _, err := e.CreateActivity(ctx, CreateActivityInput{Name: "bad name"}); ErrorCode(err) != CodeInvalidName || !strings.Contains(err.Error(), "Invalid Name: 'bad name'") {
		t.Fatalf("bad name: %v", err)
	}
	if _, _, err := e.CreateActivity(ctx, CreateActivityInput{Name: "x", Encryption: &EncryptionConfiguration{Type: "NONE"}}); ErrorCode(err) != CodeValidationException {
		t.Fatalf("bad encryption type: %v", err)
	}
	a, err := e.DescribeActivity(ctx, arn)
	if err != nil || a.Name != "valuer" || !a.CreationDate.Equal(created) || a.Encryption.Type != "AWS_OWNED_KEY" {
		t.Fatalf("describe %+v %v", a, err)
	}
	if _, err := e.DescribeActivity(ctx, "no_an_activity_arn"); ErrorCode(err) != CodeInvalidARN || !strings.Contains(err.Error(), "Invalid Arn: 'Invalid ARN prefix: no_an_activity_arn'") {
		t.Fatalf("bad arn: %v", err)
	}
	for _, n := range []string{"b", "a", "c"} {
		newActivity(t, e, n)
	}
	var names []string
	token := ""
	for {
		page, next, err := e.ListActivities(ctx, 2, token)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("page of %d", len(page))
		}
		for _, a := range page {
			names = append(names, a.Name)
		}
		if next == "" {
			break
		}
		token = next
	}
	if strings.Join(names, ",") != "a,b,c,valuer" {
		t.Fatalf("listed %v", names)
	}
	if _, _, err := e.ListActivities(ctx, 0, "!!"); ErrorCode(err) != CodeInvalidToken {
		t.Fatalf("bad token: %v", err)
	}
	if _, _, err := e.ListActivities(ctx, 1001, ""); ErrorCode(err) != CodeValidationException {
		t.Fatalf("maxResults 1001: %v", err)
	}
	for range 2 { // deleting a deleted activity succeeds
		if err := e.DeleteActivity(ctx, arn); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.DescribeActivity(ctx, arn); ErrorCode(err) != CodeActivityDoesNotExist || !strings.Contains(err.Error(), "Activity Does Not Exist: '"+arn+"'") {
		t.Fatalf("describe deleted: %v", err)
	}
	if _, err := e.GetActivityTask(ctx, arn, "w"); ErrorCode(err) != CodeActivityDoesNotExist {
		t.Fatalf("poll deleted: %v", err)
	}
	if _, err := e.ListTagsForResource(ctx, arn); ErrorCode(err) != CodeResourceNotFound {
		t.Fatalf("tags of deleted: %v", err)
	}
}

func TestActivityTaskLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{Clock: NewFakeClock(time.Unix(1_700_000_000, 0))})
	act := newActivity(t, e, "valuer")
	arn := start(t, e, activityDef(act, `"TimeoutSeconds":300,"HeartbeatSeconds":60,`), "loan-1", `{"loan":{"id":"L1"}}`)
	poll(t, "scheduled", func() bool {
		sums, err := e.ActivitySummaries(ctx)
		return err == nil && len(sums) == 1 && sums[0] == ActivitySummary{ARN: act, Name: "valuer", Waiting: 1}
	})
	task := takeTask(t, e, act, "worker-7")
	if sums, err := e.ActivitySummaries(ctx); err != nil || len(sums) != 1 || sums[0].Waiting != 0 || sums[0].InProgress != 1 {
		t.Fatalf("summaries once taken: %+v %v", sums, err)
	}
	var in map[string]any
	if err := json.Unmarshal([]byte(task.Input), &in); err != nil || in["kind"] != "valuation" || in["loan"].(map[string]any)["id"] != "L1" {
		t.Fatalf("task input %q (%v)", task.Input, err)
	}
	if err := checkToken(task.TaskToken); err != nil {
		t.Fatalf("task token: %v", err)
	}
	if err := e.SendTaskHeartbeat(ctx, task.TaskToken); err != nil {
		t.Fatalf("heartbeat: %v", err)
	}
	if err := e.SendTaskSuccess(ctx, task.TaskToken, `{"value":250000}`); err != nil {
		t.Fatal(err)
	}
	x := waitDone(t, e, arn)
	if x.Status != StatusSucceeded || !strings.Contains(*x.Output, `"result":{"value":250000}`) {
		t.Fatalf("got %s %v", x.Status, x.Output)
	}
	evs := historyOf(t, e, arn)
	if got := eventTypes(evs); got != "ExecutionStarted,TaskStateEntered,ActivityScheduled,ActivityStarted,ActivitySucceeded,TaskStateExited,ExecutionSucceeded" {
		t.Fatalf("history %s", got)
	}
	sched := eventOf(t, evs, "ActivityScheduled").Details
	if sched["resource"] != act || sched["input"] != task.Input || fmt.Sprint(sched["timeoutInSeconds"]) != "300" || fmt.Sprint(sched["heartbeatInSeconds"]) != "60" {
		t.Fatalf("ActivityScheduled details %v", sched)
	}
	if d := eventOf(t, evs, "ActivityStarted").Details; d["workerName"] != "worker-7" {
		t.Fatalf("ActivityStarted details %v", d)
	}
	if d := eventOf(t, evs, "ActivitySucceeded").Details; d["output"] != `{"value":250000}` {
		t.Fatalf("ActivitySucceeded details %v", d)
	}
	if err := e.SendTaskSuccess(ctx, task.TaskToken, `{}`); ErrorCode(err) != CodeTaskDoesNotExist {
		t.Fatalf("second answer: %v", err)
	}
}

// GetActivityTask waits up to 60 s: a task scheduled meanwhile is handed
// out at once; with none, the poll ends empty after 60 s.
func TestGetActivityTaskLongPoll(t *testing.T) {
	ctx := context.Background()
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock})
	act := newActivity(t, e, "valuer")
	type result struct {
		task *ActivityTask
		err  error
	}
	poll1 := make(chan result, 1)
	timers := clock.Timers()
	go func() {
		task, err := e.GetActivityTask(ctx, act, "")
		poll1 <- result{task, err}
	}()
	poll(t, "poller waiting", func() bool { return clock.Timers() > timers })
	arn := start(t, e, activityDef(act, ""), "", `{"loan":1}`)
	var r result
	select {
	case r = <-poll1:
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting poller was not given the new task")
	}
	if r.err != nil || r.task == nil || !strings.Contains(r.task.Input, `"loan":1`) {
		t.Fatalf("poll: %+v %v", r.task, r.err)
	}
	if err := e.SendTaskFailure(ctx, r.task.TaskToken, "Valuer.Broken", "no comparables"); err != nil {
		t.Fatal(err)
	}
	x := waitDone(t, e, arn)
	if x.Status != StatusFailed || *x.Error != "Valuer.Broken" || *x.Cause != "no comparables" {
		t.Fatalf("got %s %v %v", x.Status, x.Error, x.Cause)
	}
	evs := historyOf(t, e, arn)
	if d := eventOf(t, evs, "ActivityFailed").Details; d["error"] != "Valuer.Broken" || d["cause"] != "no comparables" {
		t.Fatalf("ActivityFailed details %v", d)
	}
	if d := eventOf(t, evs, "ActivityStarted").Details; len(d) != 0 {
		t.Fatalf("ActivityStarted without a worker name: %v, want {}", d)
	}

	poll2 := make(chan result, 1)
	timers = clock.Timers()
	go func() {
		task, err := e.GetActivityTask(ctx, act, "w")
		poll2 <- result{task, err}
	}()
	poll(t, "poller waiting", func() bool { return clock.Timers() > timers })
	clock.Advance(59 * time.Second)
	select {
	case r := <-poll2:
		t.Fatalf("poll ended before 60 s: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
	clock.Advance(time.Second)
	select {
	case r := <-poll2:
		if r.err != nil || r.task != nil {
			t.Fatalf("empty poll: %+v %v", r.task, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("poll did not end after 60 s")
	}
}

// TimeoutSeconds runs from scheduling; HeartbeatSeconds from the worker's
// start, and each heartbeat restarts it.
func TestActivityTimeouts(t *testing.T) {
	ctx := context.Background()
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock})
	act := newActivity(t, e, "valuer")

	unclaimed := startOn(t, e, "unclaimed", activityDef(act, `"TimeoutSeconds":5,`), `{"loan":1}`)
	poll(t, "scheduled", func() bool { s, _ := e.Stats(ctx); return s.PendingTasks == 1 })
	poll(t, "scheduler asleep", func() bool { return clock.Timers() > 0 })
	clock.Advance(5 * time.Second)
	x := waitDone(t, e, unclaimed)
	if x.Status != StatusFailed || *x.Error != asl.ErrTimeout {
		t.Fatalf("unclaimed: %s %v", x.Status, x.Error)
	}
	evs := historyOf(t, e, unclaimed)
	if got := eventTypes(evs); got != "ExecutionStarted,TaskStateEntered,ActivityScheduled,ActivityTimedOut,ExecutionFailed" {
		t.Fatalf("history %s", got)
	}
	if d := eventOf(t, evs, "ActivityTimedOut").Details; d["error"] != asl.ErrTimeout {
		t.Fatalf("ActivityTimedOut details %v", d)
	}
	ectx, cancel := context.WithCancel(ctx)
	cancel() // a timed-out task is never handed out: the poll finds nothing and ends with ctx
	if task, err := e.GetActivityTask(ectx, act, "late"); task != nil {
		t.Fatalf("timed-out task handed out: %+v %v", task, err)
	}

	hb := startOn(t, e, "hb", activityDef(act, `"TimeoutSeconds":1000,"HeartbeatSeconds":10,`), `{"loan":2}`)
	poll(t, "scheduled", func() bool { s, _ := e.Stats(ctx); return s.PendingTasks == 1 })
	clock.Advance(30 * time.Second) // no worker yet: the heartbeat timer has not started
	task := takeTask(t, e, act, "slow")
	poll(t, "started", func() bool { return strings.Contains(eventTypes(historyOf(t, e, hb)), "ActivityStarted") })
	clock.Advance(8 * time.Second)
	if err := e.SendTaskHeartbeat(ctx, task.TaskToken); err != nil {
		t.Fatal(err)
	}
	clock.Advance(8 * time.Second) // 16 s after the start, 8 after the heartbeat
	if x := status(t, e, hb); x.Status != StatusRunning {
		t.Fatalf("heartbeat did not extend the deadline: %s %v", x.Status, x.Error)
	}
	clock.Advance(3 * time.Second)
	x = waitDone(t, e, hb)
	if x.Status != StatusFailed || *x.Error != asl.ErrHeartbeatTimeout {
		t.Fatalf("hb: %s %v", x.Status, x.Error)
	}
	if d := eventOf(t, historyOf(t, e, hb), "ActivityTimedOut").Details; d["error"] != asl.ErrHeartbeatTimeout {
		t.Fatalf("ActivityTimedOut details %v", d)
	}
	if err := e.SendTaskSuccess(ctx, task.TaskToken, `{}`); ErrorCode(err) != CodeTaskTimedOut {
		t.Fatalf("late success: %v", err)
	}
}

// A definition may name an activity that does not exist; the execution
// fails with States.Runtime when the state runs, which Catch does not
// handle.
func TestMissingActivityFailsTheExecution(t *testing.T) {
	e := newTestEngine(t, Options{Clock: NewFakeClock(time.Unix(1_700_000_000, 0))})
	missing := "arn:aws:states:us-east-1:000000000000:activity:nobody"
	def := `{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"` + missing + `",
	  "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},"Caught":{"Type":"Succeed"}}}`
	arn := start(t, e, def, "", `{}`)
	x := waitDone(t, e, arn)
	want := "An error occurred while executing the state 'Work' (entered at the event id #2). The activity " + missing + " does not exist."
	if x.Status != StatusFailed || *x.Error != asl.ErrRuntime || *x.Cause != want {
		t.Fatalf("got %s %v %v", x.Status, x.Error, x.Cause)
	}
	if got := eventTypes(historyOf(t, e, arn)); got != "ExecutionStarted,TaskStateEntered,ExecutionFailed" {
		t.Fatalf("history %s", got)
	}
}

// A scheduled activity task survives a restart: the new process hands it
// to a worker and its answer completes the execution; a task taken before
// the restart is answered after it.
func TestActivityTasksSurviveARestart(t *testing.T) {
	ctx := context.Background()
	rs := newRestartable(t, &fakeInvoker{})
	act := newActivity(t, rs.e, "valuer")
	def := `{"StartAt":"Both","States":{"Both":{"Type":"Parallel","End":true,"Branches":[
	  {"StartAt":"Top","States":{"Top":{"Type":"Pass","End":true}}},
	  {"StartAt":"Nested","States":{"Nested":{"Type":"Task","Resource":"` + act + `","HeartbeatSeconds":600,"End":true}}}]}}}`
	topARN := start(t, rs.e, activityDef(act, ""), "top", `{"loan":"top"}`)
	poll(t, "top scheduled", func() bool { s, _ := rs.e.Stats(ctx); return s.PendingTasks == 1 })
	nestedARN := startOn(t, rs.e, "nested", def, `{"loan":"nested"}`)
	poll(t, "both scheduled", func() bool { s, _ := rs.e.Stats(ctx); return s.PendingTasks == 2 })
	first := takeTask(t, rs.e, act, "before") // the oldest: the top-level one

	rs.crash()
	second := takeTask(t, rs.e, act, "after")
	if !strings.Contains(first.Input, `"top"`) || second.Input != `{"loan":"nested"}` {
		t.Fatalf("inputs %q, %q", first.Input, second.Input)
	}
	if err := rs.e.SendTaskSuccess(ctx, first.TaskToken, `{"v":1}`); err != nil {
		t.Fatalf("answer to a task taken before the restart: %v", err)
	}
	if err := rs.e.SendTaskSuccess(ctx, second.TaskToken, `{"v":2}`); err != nil {
		t.Fatalf("answer to a task taken after the restart: %v", err)
	}
	for _, c := range []struct{ arn, worker string }{{topARN, "before"}, {nestedARN, "after"}} {
		x := waitDone(t, rs.e, c.arn)
		if x.Status != StatusSucceeded {
			t.Fatalf("%s: %s %v %v", c.arn, x.Status, x.Error, x.Cause)
		}
		evs := historyOf(t, rs.e, c.arn)
		if d := eventOf(t, evs, "ActivityStarted").Details; d["workerName"] != c.worker {
			t.Fatalf("%s: ActivityStarted %v", c.arn, d)
		}
		if n := strings.Count(eventTypes(evs), "ActivityStarted"); n != 1 {
			t.Fatalf("%s: %d ActivityStarted events", c.arn, n)
		}
	}
}

// A failed activity task is retried as a new task with a new token.
func TestActivityTaskRetry(t *testing.T) {
	ctx := context.Background()
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock})
	act := newActivity(t, e, "valuer")
	arn := start(t, e, activityDef(act, `"Retry":[{"ErrorEquals":["Valuer.Busy"],"IntervalSeconds":10,"MaxAttempts":1}],`), "", `{"loan":1}`)
	first := takeTask(t, e, act, "w1")
	if err := e.SendTaskFailure(ctx, first.TaskToken, "Valuer.Busy", "later"); err != nil {
		t.Fatal(err)
	}
	poll(t, "retry timer armed", func() bool {
		return clock.Timers() > 0 && strings.Contains(eventTypes(historyOf(t, e, arn)), "ActivityFailed")
	})
	clock.Advance(10 * time.Second)
	second := takeTask(t, e, act, "w2")
	if second.TaskToken == first.TaskToken || second.Input != first.Input {
		t.Fatalf("retry: token reused or input changed: %q %q", second.Input, first.Input)
	}
	if err := e.SendTaskSuccess(ctx, second.TaskToken, `{"ok":true}`); err != nil {
		t.Fatal(err)
	}
	if x := waitDone(t, e, arn); x.Status != StatusSucceeded {
		t.Fatalf("got %s %v", x.Status, x.Error)
	}
	if got := strings.Count(eventTypes(historyOf(t, e, arn)), "ActivityScheduled"); got != 2 {
		t.Fatalf("%d ActivityScheduled events, want 2", got)
	}
	if err := e.SendTaskSuccess(ctx, first.TaskToken, `{}`); ErrorCode(err) != CodeTaskDoesNotExist {
		t.Fatalf("answer to the failed attempt: %v", err)
	}
}

// In JSONata, the activity task's input is the state's Arguments and its
// output the worker's.
func TestActivityTaskInJSONata(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, Options{Clock: NewFakeClock(time.Unix(1_700_000_000, 0))})
	act := newActivity(t, e, "valuer")
	def := `{"QueryLanguage":"JSONata","StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"` + act + `",
	  "Arguments":{"id":"{% $states.input.loan %}","n":"{% 1 + 1 %}"},"Output":{"got":"{% $states.result.v %}"},"End":true}}}`
	arn := start(t, e, def, "", `{"loan":"L3"}`)
	task := takeTask(t, e, act, "")
	if task.Input != `{"id":"L3","n":2}` {
		t.Fatalf("input %s", task.Input)
	}
	if err := e.SendTaskSuccess(ctx, task.TaskToken, `{"v":7}`); err != nil {
		t.Fatal(err)
	}
	if x := waitDone(t, e, arn); x.Status != StatusSucceeded || *x.Output != `{"got":7}` {
		t.Fatalf("got %s %v", x.Status, x.Output)
	}
}

// A task that closed before any worker took it (here: timed out) is dropped
// from the activity's queue when the next poll walks past it, and the live
// task behind it is the one handed out.
func TestClosedActivityTasksAreDropped(t *testing.T) {
	ctx := context.Background()
	clock := NewFakeClock(time.Unix(1_700_000_000, 0))
	e := newTestEngine(t, Options{Clock: clock})
	act := newActivity(t, e, "valuer")
	waiting := func() int {
		var n int
		if err := e.store.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sfn_activity_tasks WHERE started_ns IS NULL`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	dead := startOn(t, e, "dead", activityDef(act, `"TimeoutSeconds":5,`), `{"loan":1}`)
	poll(t, "scheduled", func() bool { s, _ := e.Stats(ctx); return s.PendingTasks == 1 })
	poll(t, "scheduler asleep", func() bool { return clock.Timers() > 0 })
	clock.Advance(5 * time.Second)
	if x := waitDone(t, e, dead); x.Status != StatusFailed {
		t.Fatalf("dead: %s", x.Status)
	}
	live := startOn(t, e, "live", activityDef(act, ``), `{"loan":2}`)
	poll(t, "scheduled", func() bool { s, _ := e.Stats(ctx); return s.PendingTasks == 1 })
	if n := waiting(); n != 2 {
		t.Fatalf("%d activity tasks queued before the poll, want the dead one and the live one", n)
	}
	task := takeTask(t, e, act, "w")
	if !strings.Contains(task.Input, `"loan":2`) {
		t.Fatalf("handed out %s, want the live task", task.Input)
	}
	if n := waiting(); n != 0 {
		t.Fatalf("%d activity tasks still queued, want none (the dead one dropped)", n)
	}
	if err := e.SendTaskSuccess(ctx, task.TaskToken, `{}`); err != nil {
		t.Fatal(err)
	}
	if x := waitDone(t, e, live); x.Status != StatusSucceeded {
		t.Fatalf("live: %s", x.Status)
	}
}
