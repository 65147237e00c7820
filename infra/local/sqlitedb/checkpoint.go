package sqlitedb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite's own automatic checkpoint runs inside the commit that fills the WAL
// past 1,000 pages: that one commit, and every write queued behind it, waits
// while pages are copied back and the database file is synced. Measured on
// the loan benchmark, those commits were the p99 of webhook-to-resume. Open
// turns the automatic checkpoint off (wal_autocheckpoint(0)) and the Writer
// asks a checkpointer instead, which runs PASSIVE checkpoints on a
// connection of its own: they copy what no reader still needs, take no write
// lock and make no commit wait. When a checkpoint has copied the whole WAL,
// SQLite's next writer starts the WAL over from its beginning, and
// journal_size_limit trims the file.

const (
	// checkpointEvery spaces checkpoints while writes keep coming. A
	// PASSIVE checkpoint makes no commit wait on a lock, but it is not free
	// for the work beside it: it copies pages on one of the process's
	// threads and syncs the WAL and the database file, and on the bench
	// machine (2 cores, a shared disk) one took 5 to 100 ms of wall time,
	// mostly waiting on the syncs (a few ms of CPU). A webhook-to-resume sample that met one took a
	// median 7 to 12 ms instead of 2; at 100 ms apart they met 5-6% of the
	// webhook samples (it is the longer path), enough on their own to set
	// its p99. Half a second apart they meet under 1% of them, and copy
	// each hot page once per interval instead of five times; the WAL stays
	// bounded by walFramesRestart.
	checkpointEvery = 500 * time.Millisecond
	// checkpointIdle ends the checkpointer's goroutine when no write has come
	// for this long; the next write starts it again.
	checkpointIdle = 2 * time.Second
	// walFramesRestart: PASSIVE checkpoints copy the WAL but, under steady
	// reads and writes, SQLite seldom finds a moment to start it over. Past
	// this many frames (about 40 MB of 4 KiB pages) a RESTART checkpoint waits
	// for the readers of the old WAL (up to restartBusy; writers wait too) so
	// that the next write starts the WAL over. While it waits it holds the
	// write lock: a reader open longer than restartBusy stalls writes for up
	// to that long per try (tries are busyBackoff apart); rare, and bounded.
	walFramesRestart = 10_000
	restartBusy      = 200 * time.Millisecond
	// busyBackoff spaces RESTART checkpoints that readers kept busy: longer
	// than checkpointEvery, since each try may hold the write lock for
	// restartBusy.
	busyBackoff = time.Second
)

type checkpointer struct {
	db *sql.DB

	mu      sync.Mutex
	pending bool // a write has committed since the last checkpoint began
	running bool
	kicked  chan struct{} // buffered (1): wakes the loop
	closed  bool          // Close: no more checkpoints
	stop    chan struct{} // closed by close: ends the pause between checkpoints
	exited  chan struct{} // closed when the running loop returns

	restarts      atomic.Int64 // RESTART checkpoints that finished
	restartFrames atomic.Int64 // tests: walFramesRestart when set
}

// kick records a commit and makes sure a checkpoint follows it.
func (c *checkpointer) kick() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.pending = true
	if !c.running {
		c.running = true
		c.exited = make(chan struct{})
		go c.loop(c.exited)
	}
	c.mu.Unlock()
	select {
	case c.kicked <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop(exited chan struct{}) {
	defer close(exited)
	idle := time.NewTimer(checkpointIdle)
	defer idle.Stop()
	for {
		c.mu.Lock()
		if c.closed {
			c.running = false
			c.mu.Unlock()
			return
		}
		work := c.pending
		c.pending = false
		c.mu.Unlock()
		if work {
			busy, err := c.checkpoint()
			if err != nil {
				// The database is closed, or SQLite refused: stop; the next
				// commit starts a new attempt.
				c.mu.Lock()
				c.running = false
				c.mu.Unlock()
				return
			}
			pause := checkpointEvery
			if busy {
				pause = busyBackoff
			}
			if !c.sleep(pause) {
				continue // closed: the loop's next turn returns
			}
			idle.Reset(checkpointIdle)
			continue
		}
		select {
		case <-c.kicked:
		case <-idle.C:
			c.mu.Lock()
			if c.pending {
				c.mu.Unlock()
				idle.Reset(checkpointIdle)
				continue
			}
			c.running = false
			c.mu.Unlock()
			return
		}
	}
}

// sleep waits d between checkpoints; false when close cut it short (Close
// would otherwise wait out the pause: 100 ms at the end of every short run).
func (c *checkpointer) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.stop:
		return false
	}
}

// close stops checkpointing and waits for a checkpoint in progress, so that
// no connection is in use when the database closes.
func (c *checkpointer) close() {
	c.mu.Lock()
	if !c.closed && c.stop != nil {
		close(c.stop)
	}
	c.closed = true
	running, exited := c.running, c.exited
	c.mu.Unlock()
	if !running {
		return
	}
	select {
	case c.kicked <- struct{}{}: // wake an idle loop
	default:
	}
	<-exited
}

// checkpoint runs one PASSIVE checkpoint, and a RESTART one when the WAL has
// grown past walFramesRestart. busy says SQLite could not finish one.
func (c *checkpointer) checkpoint() (busy bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var b, frames, copied int64
	if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&b, &frames, &copied); err != nil {
		return false, err
	}
	limit := int64(walFramesRestart)
	if n := c.restartFrames.Load(); n > 0 {
		limit = n
	}
	if frames <= limit {
		return false, nil // a busy PASSIVE checkpoint is retried at the next kick
	}
	// On a connection of its own, with a short busy timeout, restored before
	// the connection goes back to the pool.
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	var was int64
	if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&was); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", restartBusy.Milliseconds())); err != nil {
		return false, err
	}
	rerr := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&b, &frames, &copied)
	if rerr == nil && b == 0 {
		c.restarts.Add(1)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", was)); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // do not pool it with the short timeout
		return false, err
	}
	return b != 0, rerr
}
