package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"
	"time"

	"loanflow/infra/local/asl/expr"
	"loanflow/infra/local/internal/jsonstr"
)

// abortedName marks a nested thread interrupted by StopExecution or the
// execution timeout; the top-level driver reports the real outcome.
const abortedName = "\x00aborted"

// maxInlineConcurrency bounds the goroutines of one unbounded Map.
const maxInlineConcurrency = 256

// aborted is the outcome of a nested thread interrupted by StopExecution,
// the execution's timeout, the history cap or a failed checkpoint.
func aborted() *StateError { return &StateError{Name: abortedName} }

// runThread runs a Parallel branch or Map iteration from cur to its end,
// blocking (in Host.Await) on waits. A durable thread (f.durable) is
// checkpointed before each task invocation, after each task result and at
// each wait, as the top-level thread is.
func (f *frame) runThread(ctx context.Context, m *Machine, path string, cur *Cursor, durable bool) (any, *StateError) {
	x := f.x
	host := x.host
	child := &frame{x: x, m: m, prev: f.lastEvent(), path: path, durable: durable}
	var suspendedAt *Cursor // the cursor as saved at the last suspend
	for {
		if ctx.Err() != nil {
			return nil, aborted()
		}
		invoking := cur.Phase == phaseInvoke
		o := child.step(ctx, cur)
		if x.HistoryFull() || x.Fault() != nil {
			return nil, aborted()
		}
		switch o.Kind {
		case StepNext:
			suspendedAt = nil
			switch {
			case durable && invoking:
				// A task has finished: checkpoint, so it never runs again.
				if !child.save(cur) {
					return nil, aborted()
				}
			case host.BufferFull():
				ok := false
				if durable {
					ok = child.save(cur)
				} else {
					ok = child.flush()
				}
				if !ok {
					return nil, aborted()
				}
			}
		case StepEnd:
			return o.Output, o.Err
		case StepInvoke:
			suspendedAt = nil
			if cur.Token != "" {
				host.Watch(cur.Token)
			}
			if !child.save(cur) {
				return nil, aborted()
			}
		case StepSuspend:
			if suspendedAt == nil || !sameSuspension(suspendedAt, cur) {
				if durable && !child.save(cur) {
					return nil, aborted()
				}
				c := *cur
				suspendedAt = &c
			}
			if !child.await(ctx, cur, o.WakeAt) {
				return nil, aborted()
			}
		}
	}
}

// await blocks the thread until wakeAt, an answer to the token it waits on,
// or the execution's deadline; false means the thread must end (aborted).
func (f *frame) await(ctx context.Context, cur *Cursor, wakeAt time.Time) bool {
	x := f.x
	until, deadline := wakeAt, x.info.Deadline
	if !deadline.IsZero() && (until.IsZero() || deadline.Before(until)) {
		until = deadline
	}
	sig, err := x.host.Await(ctx, cur.AwaitedToken(), until)
	if err != nil {
		if !errors.Is(err, ErrInterrupted) {
			x.setFault(err)
		}
		return false
	}
	if sig == (TaskSignal{}) && !deadline.IsZero() && !x.host.Now().Before(deadline) {
		return false // the execution timed out
	}
	cur.Resume(sig.HeartbeatAt, sig.Outcome)
	cur.ResumeActivity(sig.Start)
	return true
}

// sameSuspension reports whether a thread suspends where it was already
// checkpointed (a heartbeat woke it), so that no write is repeated.
func sameSuspension(a, b *Cursor) bool {
	return a.State == b.State && a.Phase == b.Phase && a.Entered == b.Entered && a.WakeAt == b.WakeAt &&
		a.Token == b.Token && a.HBAt == b.HBAt && a.RetryCount == b.RetryCount && a.Started == b.Started
}

// startThreads records that a Map or Parallel state starts its threads,
// once (not again when resumed), and checkpoints its cursor when they are
// durable so that their paths survive a restart. It returns the threads
// already checkpointed, by index, and false when the execution must stop.
func (f *frame) startThreads(cur *Cursor, event string, details map[string]any, durable bool) (map[int]Thread, bool) {
	if !cur.Started {
		f.emit(event, details)
		cur.Started = true
		if durable && !f.save(cur) {
			return nil, false
		}
		return nil, true
	}
	if !durable {
		return nil, true
	}
	prior, err := f.x.host.LoadThreads(f.threadPrefix(cur))
	if err != nil {
		f.x.setFault(err)
		return nil, false
	}
	return prior, true
}

// resumeThread runs thread i from its checkpoint, or from fresh (calling
// begin first), and records its end when durable. replayed is set when the
// thread had ended before a restart: its result is the recorded one.
func (f *frame) resumeThread(ctx context.Context, m *Machine, prefix string, i int, rec Thread, fresh func() *Cursor, durable bool) (out any, se *StateError, replayed bool) {
	switch rec.Status {
	case ThreadSucceeded:
		return rec.Output, nil, true
	case ThreadFailed:
		return nil, rec.Err, true
	}
	cur := rec.Cursor
	if cur == nil {
		cur = fresh()
	}
	path := prefix + strconv.Itoa(i)
	out, se = f.runThread(ctx, m, path, cur, durable)
	if durable && (se == nil || se.Name != abortedName) && !f.endThread(path, out, se, cur) {
		return nil, aborted(), false
	}
	return out, se, false
}

func (f *frame) parallel(ctx context.Context, st *state, cur *Cursor, ev *evalEnv) Outcome {
	eff, err := st.io.input(ev, cur.Input)
	if err != nil {
		return f.handleError(st, cur, ev, stateErr(st, cur, err))
	}
	args, _, err := st.io.arguments(ev, eff)
	if err != nil {
		return f.handleError(st, cur, ev, stateErr(st, cur, err))
	}
	if o, ok := f.mocked(st, cur, ev, -1, -1); ok {
		return o
	}
	durable := !st.branchesComputeOnly
	prior, ok := f.startThreads(cur, "ParallelStateStarted", nil, durable)
	if !ok {
		return Outcome{Kind: StepEnd, Err: aborted()}
	}
	prefix := f.threadPrefix(cur)
	results := make([]any, len(st.branches))
	var (
		mu    sync.Mutex
		first *StateError
	)
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Every branch begins at once: a failed branch cancels the others
	// (bctx), not the start of any (ctx).
	f.x.host.Run(ctx, len(st.branches), len(st.branches), func(i int) {
		b := st.branches[i]
		fresh := func() *Cursor { return &Cursor{State: b.startAt, Input: args, Vars: cur.Vars} }
		out, se, _ := f.resumeThread(bctx, b, prefix, i, prior[i], fresh, durable)
		mu.Lock()
		defer mu.Unlock()
		if se != nil {
			if first == nil || first.Name == abortedName {
				first = se
			}
			cancel()
			return
		}
		results[i] = out
	})
	if first != nil {
		if ctx.Err() != nil || first.Name == abortedName {
			return Outcome{Kind: StepEnd, Err: aborted()}
		}
		f.emit("ParallelStateFailed", nil)
		return f.handleError(st, cur, ev, first)
	}
	f.emit("ParallelStateSucceeded", nil)
	return f.complete(st, cur, ev, results)
}

// mapLimits resolves MaxConcurrency and the tolerated failure thresholds.
func mapLimits(ms *mapSpec, sc expr.Scope) (maxConc int, count int, pct float64, err error) {
	maxConc, count, pct = ms.maxConcurrency, -1, -1
	if ms.hasToleratedCount {
		count = ms.toleratedCount
	}
	if ms.hasToleratedPercent {
		pct = ms.toleratedPercent
	}
	if ms.maxConcurrencyPath != nil {
		v, gerr := ms.maxConcurrencyPath.get(sc)
		if gerr != nil {
			return 0, 0, 0, gerr
		}
		n, ok := asInt(v)
		if !ok {
			return 0, 0, 0, &expr.Error{Name: ErrRuntime, Cause: fmt.Sprintf("The MaxConcurrencyPath field refers to value %s which is not a valid integer: %s", quoteValue(v), ms.maxConcurrencyPath)}
		}
		if n < 0 {
			return 0, 0, 0, &expr.Error{Name: ErrRuntime, Cause: "MaxConcurrency cannot be negative."}
		}
		maxConc = int(n)
	}
	if ms.toleratedCountPath != nil {
		v, gerr := ms.toleratedCountPath.get(sc)
		if gerr != nil {
			return 0, 0, 0, gerr
		}
		n, ok := asInt(v)
		if !ok {
			return 0, 0, 0, &expr.Error{Name: ErrRuntime, Cause: fmt.Sprintf("The ToleratedFailureCountPath field refers to value %s which is not a valid integer: %s", quoteValue(v), ms.toleratedCountPath)}
		}
		if n < 0 {
			return 0, 0, 0, &expr.Error{Name: ErrRuntime, Cause: "ToleratedFailureCount cannot be negative."}
		}
		count = int(n)
	}
	if ms.toleratedPercentPath != nil {
		v, gerr := ms.toleratedPercentPath.get(sc)
		if gerr != nil {
			return 0, 0, 0, gerr
		}
		num, ok := v.(json.Number)
		p, perr := num.Float64()
		if !ok || perr != nil {
			return 0, 0, 0, &expr.Error{Name: ErrRuntime, Cause: fmt.Sprintf("The ToleratedFailurePercentagePath field refers to value %s which is not a valid float: %s", quoteValue(v), ms.toleratedPercentPath)}
		}
		if p < 0 || p > 100 {
			return 0, 0, 0, &expr.Error{Name: ErrRuntime, Cause: "ToleratedFailurePercentage must be between 0 and 100."}
		}
		pct = p
	}
	return maxConc, count, pct, nil
}

func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(n), n == math.Trunc(n)
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}

// quoteValue renders a value as AWS does in Map errors: strings in quotes,
// anything else as JSON.
func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return `"` + s + `"`
	}
	return `"` + EncodeJSON(v) + `"`
}

func (f *frame) mapState(ctx context.Context, st *state, cur *Cursor, ev *evalEnv) Outcome {
	ms := st.mapSpec
	eff, err := st.io.input(ev, cur.Input)
	if err != nil {
		return f.handleError(st, cur, ev, stateErr(st, cur, err))
	}
	itemsV := eff
	if ms.itemsPath != nil {
		if itemsV, err = ms.itemsPath.get(ev.scope(eff)); err != nil {
			return f.handleError(st, cur, ev, stateErr(st, cur, err))
		}
	}
	items, ok := itemsV.([]any)
	if !ok {
		name := ErrRuntime
		cause := "Map state input must be an array but was: " + EncodeJSON(itemsV)
		if st.jsonata {
			name = ErrQueryEvaluationError
			if r, isRef := ms.itemsPath.(*jsonataRef); isRef && r.isExpr() {
				cause = fmt.Sprintf("The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s", r, expr.TypeName(itemsV), EncodeJSON(itemsV))
			}
		}
		return f.handleError(st, cur, ev, stateErr(st, cur, &expr.Error{Name: name, Cause: cause}))
	}
	maxConc, tolCount, tolPct, err := mapLimits(ms, ev.scope(eff))
	if err != nil {
		return f.handleError(st, cur, ev, stateErr(st, cur, err))
	}
	inspectMap(ev, ms, itemsV, maxConc, tolCount, tolPct)
	itemEnv := func() (*evalEnv, map[string]any) {
		iev := &evalEnv{ctxObj: make(map[string]any, len(ev.ctxObj)+1), vars: ev.vars, input: ev.input, opts: ev.opts}
		for k, v := range ev.ctxObj {
			iev.ctxObj[k] = v
		}
		item := make(map[string]any, 2)
		iev.ctxObj["Map"] = map[string]any{"Item": item}
		return iev, item
	}
	itemInput := func(i int) (any, error) {
		iev, item := itemEnv()
		item["Index"], item["Value"] = int64(i), items[i]
		v, ok, err := st.io.arguments(iev, eff)
		if err != nil || !ok {
			return items[i], err
		}
		return v, nil
	}
	// Every item's ItemSelector is evaluated now, so that a failure fails
	// the Map before it starts, and built when its iteration starts: only
	// the running iterations' inputs are held, however many items a
	// selector copies the whole state input into. The check keeps no
	// value, so one context object serves every item.
	iev, item := itemEnv()
	for i := range items {
		item["Index"], item["Value"] = int64(i), items[i]
		if err := st.io.checkArguments(iev, eff); err != nil {
			return f.handleError(st, cur, ev, stateErr(st, cur, err))
		}
	}
	if o, ok := f.mocked(st, cur, ev, tolCount, tolPct); ok {
		return o
	}
	durable := !ms.computeOnly
	prior, ok := f.startThreads(cur, "MapStateStarted", map[string]any{"length": len(items)}, durable)
	if !ok {
		return Outcome{Kind: StepEnd, Err: aborted()}
	}
	prefix := f.threadPrefix(cur)
	results := make([]any, len(items))
	var (
		mu         sync.Mutex
		failures   int
		firstErr   *StateError
		wasAborted bool
	)
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tolerated := func(n int) bool {
		if tolCount < 0 && tolPct < 0 {
			return n == 0
		}
		if tolCount >= 0 && n <= tolCount {
			return true
		}
		return tolPct >= 0 && len(items) > 0 && float64(n)*100/float64(len(items)) <= tolPct
	}
	iterName := iterationName(st.Name)
	iterate := func(i int) {
		fresh := func() *Cursor {
			f.record(Event{Type: "MapIterationStarted", Details: iterationDetails(iterName, i)})
			in, _ := itemInput(i) // it built before the Map started
			return &Cursor{State: ms.processor.startAt, Input: in, Vars: cur.Vars}
		}
		out, se, replayed := f.resumeThread(mctx, ms.processor, prefix, i, prior[i], fresh, durable)
		mu.Lock()
		defer mu.Unlock()
		if se != nil {
			if se.Name == abortedName {
				// Stopped, timed out, at the history cap or a failed
				// checkpoint: no other iteration may start.
				wasAborted = true
				cancel()
				return
			}
			if !replayed {
				f.record(Event{Type: "MapIterationFailed", Details: iterationDetails(iterName, i)})
			}
			failures++
			results[i] = map[string]any{"Error": se.Name, "Cause": se.Cause}
			if firstErr == nil {
				firstErr = se
			}
			if !tolerated(failures) {
				cancel()
			}
			return
		}
		if !replayed {
			f.record(Event{Type: "MapIterationSucceeded", Details: iterationDetails(iterName, i)})
		}
		results[i] = out
	}
	workers := maxConc
	if workers <= 0 || workers > maxInlineConcurrency {
		workers = maxInlineConcurrency
	}
	if ms.computeOnly {
		// Iterations never block: more goroutines than processors would
		// only contend.
		workers = min(workers, runtime.GOMAXPROCS(0))
	}
	if workers > len(items) {
		workers = len(items)
	}
	f.x.host.Run(mctx, len(items), workers, iterate)
	if ctx.Err() != nil || f.x.Fault() != nil || f.x.HistoryFull() || (wasAborted && firstErr == nil) {
		return Outcome{Kind: StepEnd, Err: aborted()}
	}
	if !tolerated(failures) {
		f.emit("MapStateFailed", nil)
		if tolCount < 0 && tolPct < 0 {
			return f.handleError(st, cur, ev, firstErr)
		}
		return f.handleError(st, cur, ev, &StateError{Name: ErrExceedToleratedFailure, Cause: "The specified tolerated failure threshold was exceeded"})
	}
	f.emit("MapStateSucceeded", nil)
	return f.complete(st, cur, ev, results)
}

// iterationName is the tail of the details of a Map's MapIteration* events
// after the index: `,"name":<the state's name>}`.
func iterationName(state string) string {
	return string(jsonstr.Append([]byte(`,"name":`), state, true)) + "}"
}

// iterationDetails encodes the details {"index": i, "name": ...} of a
// MapIteration* event as emit would encode that map, without building it:
// there are two such events per item.
func iterationDetails(name string, i int) []byte {
	b := make([]byte, 0, len(`{"index":`)+20+len(name))
	b = append(b, `{"index":`...)
	b = strconv.AppendInt(b, int64(i), 10)
	return append(b, name...)
}
