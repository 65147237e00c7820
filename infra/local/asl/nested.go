package asl

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"

	"loanflow/infra/local/asl/expr"
)

// abortedName marks a nested thread interrupted by StopExecution or the
// execution timeout; the top-level driver reports the real outcome.
const abortedName = "\x00aborted"

// maxInlineConcurrency bounds the goroutines of one unbounded Map.
const maxInlineConcurrency = 256

// runThread runs a Parallel branch or Map iteration to its end, blocking
// (holding a goroutine) on waits.
func (f *frame) runThread(ctx context.Context, m *machine, input any, vars map[string]any) (any, *stateError) {
	child := &frame{r: f.r, m: m, prev: f.lastEvent()}
	cur := &cursor{State: m.StartAt, Input: input, Vars: vars}
	for {
		if ctx.Err() != nil {
			return nil, &stateError{Name: abortedName}
		}
		o := child.step(ctx, cur)
		if f.r.historyFull() {
			return nil, &stateError{Name: abortedName}
		}
		switch o.kind {
		case stepNext:
		case stepEnd:
			return o.output, o.err
		case stepInvoke:
			if cur.Token != "" && f.r.hasPendingTasks() {
				f.r.e.watchToken(cur.Token)
				if err := f.r.e.persistTasks(ctx, f.r); err != nil {
					return nil, &stateError{Name: ErrRuntime, Cause: err.Error()}
				}
			}
		case stepSuspend:
			if !f.r.e.block(ctx, f.r, cur, o.wakeAt) {
				return nil, &stateError{Name: abortedName}
			}
		}
	}
}

func (f *frame) parallel(ctx context.Context, st *state, cur *cursor, ev *evalEnv) outcome {
	eff, err := st.io.input(ev, cur.Input)
	if err != nil {
		return f.handleError(st, cur, ev, stateErr(st, cur, err))
	}
	args, _, err := st.io.arguments(ev, eff)
	if err != nil {
		return f.handleError(st, cur, ev, stateErr(st, cur, err))
	}
	f.emit("ParallelStateStarted", nil)
	results := make([]any, len(st.branches))
	var (
		mu    sync.Mutex
		first *stateError
		wg    sync.WaitGroup
	)
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i, b := range st.branches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, se := f.runThread(bctx, b, args, cur.Vars)
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
		}()
	}
	wg.Wait()
	if first != nil {
		if ctx.Err() != nil || first.Name == abortedName {
			return outcome{kind: stepEnd, err: &stateError{Name: abortedName}}
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
	return `"` + encodeJSON(v) + `"`
}

func (f *frame) mapState(ctx context.Context, st *state, cur *cursor, ev *evalEnv) outcome {
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
		return f.handleError(st, cur, ev, stateErr(st, cur, &expr.Error{Name: ErrRuntime, Cause: "Map state input must be an array but was: " + encodeJSON(itemsV)}))
	}
	maxConc, tolCount, tolPct, err := mapLimits(ms, ev.scope(eff))
	if err != nil {
		return f.handleError(st, cur, ev, stateErr(st, cur, err))
	}
	inputs := make([]any, len(items))
	for i, it := range items {
		inputs[i] = it
		iev := &evalEnv{ctxObj: make(map[string]any, len(ev.ctxObj)+1), vars: ev.vars}
		for k, v := range ev.ctxObj {
			iev.ctxObj[k] = v
		}
		iev.ctxObj["Map"] = map[string]any{"Item": map[string]any{"Index": int64(i), "Value": it}}
		if v, ok, err := st.io.arguments(iev, eff); err != nil {
			return f.handleError(st, cur, ev, stateErr(st, cur, err))
		} else if ok {
			inputs[i] = v
		}
	}
	f.emit("MapStateStarted", map[string]any{"length": len(items)})
	results := make([]any, len(items))
	var (
		mu       sync.Mutex
		failures int
		firstErr *stateError
		aborted  bool
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
	iterate := func(i int) {
		f.emit("MapIterationStarted", map[string]any{"name": st.Name, "index": i})
		out, se := f.runThread(mctx, ms.processor, inputs[i], cur.Vars)
		mu.Lock()
		defer mu.Unlock()
		if se != nil {
			if se.Name == abortedName {
				aborted = true
				return
			}
			f.emit("MapIterationFailed", map[string]any{"name": st.Name, "index": i})
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
		f.emit("MapIterationSucceeded", map[string]any{"name": st.Name, "index": i})
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
	if workers <= 1 {
		for i := range items {
			if mctx.Err() != nil {
				break
			}
			iterate(i)
		}
	} else {
		next := make(chan int)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					iterate(i)
				}
			}()
		}
	feed:
		for i := range items {
			select {
			case next <- i:
			case <-mctx.Done():
				break feed
			}
		}
		close(next)
		wg.Wait()
	}
	if ctx.Err() != nil || (aborted && firstErr == nil) {
		return outcome{kind: stepEnd, err: &stateError{Name: abortedName}}
	}
	if !tolerated(failures) {
		f.emit("MapStateFailed", nil)
		if tolCount < 0 && tolPct < 0 {
			return f.handleError(st, cur, ev, firstErr)
		}
		return f.handleError(st, cur, ev, &stateError{Name: ErrExceedToleratedFailure, Cause: "The specified tolerated failure threshold was exceeded"})
	}
	f.emit("MapStateSucceeded", nil)
	return f.complete(st, cur, ev, results)
}
