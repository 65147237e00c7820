package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// LockFile is the state directory's lock: the stack that serves the
// directory holds it until it stops (the system drops it when the process
// dies), and it names that stack.
const LockFile = "loanflow.lock"

// ErrStateInUse refuses a state directory that another local stack serves.
var ErrStateInUse = errors.New("the state directory is in use by another local stack")

// stateLock is a held LockFile.
type stateLock struct {
	f    *os.File
	path string
}

// lockHolder is what LockFile says about the stack that holds it.
type lockHolder struct {
	PID      int    `json:"pid"`
	Endpoint string `json:"endpoint"`
	Since    string `json:"since"`
}

// lockState takes dir's LockFile, without waiting. Two stacks on one
// directory would each run the same waiting executions, timers and
// deliveries; the services that resume what a previous run left (leased
// deliveries, in-flight attempts) rely on this lock to know that no other
// process is making them. A file removed or replaced between its open and
// its lock is opened again. The lock file is not written until announce: a
// start refused for damage changes nothing in the directory.
func lockState(dir string) (*stateLock, error) {
	path := filepath.Join(dir, LockFile)
	for range 3 {
		f, err := openLockFile(path)
		if errors.Is(err, os.ErrNotExist) {
			// A failed start that had made the directory removed it since.
			if err = os.MkdirAll(dir, 0o700); err == nil {
				continue
			}
		}
		if err != nil {
			return nil, fmt.Errorf("lock state dir: %w", err)
		}
		held, err := tryLock(f)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("lock state dir: %s: %w", path, err)
		}
		if !held {
			_ = f.Close()
			return nil, inUse(dir, path)
		}
		fi, ferr := f.Stat()
		pi, perr := os.Stat(path)
		if ferr != nil || perr != nil || !os.SameFile(fi, pi) {
			_ = f.Close() // locked a file that is no longer the lock file
			continue
		}
		return &stateLock{f: f, path: path}, nil
	}
	return nil, fmt.Errorf("lock state dir: %s keeps being replaced", path)
}

// announce writes into the held lock file which stack holds it, for the
// message of a start it refuses.
func (l *stateLock) announce(endpoint string) error {
	b, err := json.Marshal(lockHolder{PID: os.Getpid(), Endpoint: endpoint, Since: time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		return fmt.Errorf("state dir: %s: %w", l.path, err)
	}
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("state dir: %s: %w", l.path, err)
	}
	if _, err := l.f.WriteAt(append(b, '\n'), 0); err != nil {
		return fmt.Errorf("state dir: %s: %w", l.path, err)
	}
	return nil
}

// ServingEndpoint returns the endpoint that dir's lock file says the stack
// holding it serves; false when it names none (no stack has run there, or
// the last one stopped). A stack killed without stopping leaves its
// endpoint named.
func ServingEndpoint(dir string) (string, bool) {
	var h lockHolder
	b, err := os.ReadFile(filepath.Join(dir, LockFile))
	if err != nil || json.Unmarshal(b, &h) != nil || h.Endpoint == "" {
		return "", false
	}
	return h.Endpoint, true
}

// inUse is ErrStateInUse, naming the holder when its lock file says who.
func inUse(dir, path string) error {
	who := "a stack that is starting"
	var h lockHolder
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &h) == nil && h.PID > 0 {
		// After a kill -9, a stack starting on the directory holds the
		// lock before it has written itself in: the file then still names
		// the killed one.
		who = fmt.Sprintf("pid %d, serving %s since %s, as the lock file says", h.PID, h.Endpoint, h.Since)
	}
	return fmt.Errorf("%w: %s is held by %s (%s). Stop that stack first, or give this one another directory (--state DIR)",
		ErrStateInUse, dir, who, path)
}

// vacate empties the lock file, so that it names no stack, then drops the
// lock: a stack's last step when it stops. A start that finds the lock held
// by a stack that has not announced itself yet then says so, instead of
// naming the stack that stopped.
func (l *stateLock) vacate() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	l.release()
}

// release drops the lock; the file stays, for the next start to lock.
func (l *stateLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Close()
	l.f = nil
}
