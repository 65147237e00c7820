package sqlitedb

import (
	"context"
	"database/sql"
	"sync"
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
	// checkpointEvery spaces checkpoints while writes keep coming.
	checkpointEvery = 100 * time.Millisecond
	// checkpointIdle ends the checkpointer's goroutine when no write has come
	// for this long; the next write starts it again.
	checkpointIdle = 2 * time.Second
	// walFramesRestart: when readers have kept PASSIVE checkpoints from
	// finishing and the WAL holds more frames than this (about 200 MB of 4 KiB
	// pages), a RESTART checkpoint waits for them (writers wait too, briefly).
	walFramesRestart = 50_000
)

type checkpointer struct {
	db *sql.DB

	mu      sync.Mutex
	pending bool // a write has committed since the last checkpoint began
	running bool
	kicked  chan struct{}
}

// kick records a commit and makes sure a checkpoint follows it.
func (c *checkpointer) kick() {
	c.mu.Lock()
	c.pending = true
	if c.kicked == nil {
		c.kicked = make(chan struct{}, 1)
	}
	if !c.running {
		c.running = true
		go c.loop()
	}
	c.mu.Unlock()
	select {
	case c.kicked <- struct{}{}:
	default:
	}
}

func (c *checkpointer) loop() {
	idle := time.NewTimer(checkpointIdle)
	defer idle.Stop()
	for {
		c.mu.Lock()
		work := c.pending
		c.pending = false
		c.mu.Unlock()
		if work {
			if err := c.checkpoint(); err != nil {
				// The database is closed, or SQLite refused: stop; the next
				// commit starts a new attempt.
				c.stop()
				return
			}
			time.Sleep(checkpointEvery)
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

func (c *checkpointer) stop() {
	c.mu.Lock()
	c.running = false
	c.mu.Unlock()
}

// checkpoint runs one PASSIVE checkpoint, and a RESTART one when readers have
// let the WAL grow past walFramesRestart.
func (c *checkpointer) checkpoint() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var busy, frames, copied int64
	if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		return err
	}
	if frames > walFramesRestart && copied < frames {
		return c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &frames, &copied)
	}
	return nil
}
