package asl

import "strconv"

// Map iterations and Parallel branches that can block (they run tasks, wait
// or retry) are checkpointed like the top-level thread (Host.SaveThread):
// each is saved under its path, with its cursor while it runs and its
// output or error once it has ended. After a crash the Map or Parallel state
// resumes (its own cursor was checkpointed when it started) and runs only
// what had not ended, each from its last checkpoint, so a task that finished
// inside an iteration is not run again. Threads that only compute are not
// checkpointed: running them again is invisible.
//
// A thread's path is its parent thread's path ("" at the top level), then
// "/<id of the state's entered event>.<retry count>:<index>": unique within
// the execution, and the same after a restart.

// threadPrefix is the path prefix of the threads a Map or Parallel state
// with cursor cur starts in frame f.
func (f *frame) threadPrefix(cur *Cursor) string {
	return f.path + "/" + strconv.FormatInt(cur.Entered, 10) + "." + strconv.Itoa(cur.RetryCount) + ":"
}

// save checkpoints cur, the cursor of f's thread, with the buffered events
// and tasks. On failure it records the fault on the execution (the runtime
// then sees it, and the execution is run again from its checkpoints) and
// returns false.
func (f *frame) save(cur *Cursor) bool {
	return f.saved(f.x.host.SaveThread(f.path, Thread{Status: ThreadRunning, Cursor: cur}))
}

// endThread records that thread path ended with output or se; a failed
// thread keeps cur, where it failed, for a redrive of the execution.
func (f *frame) endThread(path string, output any, se *StateError, cur *Cursor) bool {
	t := Thread{Status: ThreadSucceeded, Output: output}
	if se != nil {
		t = Thread{Status: ThreadFailed, Err: se, Cursor: cur}
	}
	return f.saved(f.x.host.SaveThread(path, t))
}

// flush writes the buffered events of a thread that is not checkpointed,
// bounding the memory they hold.
func (f *frame) flush() bool {
	return f.saved(f.x.host.Flush())
}

// saved records err, if any, as the execution's fault; false when there
// was one.
func (f *frame) saved(err error) bool {
	if err != nil {
		f.x.setFault(err)
		return false
	}
	return true
}
