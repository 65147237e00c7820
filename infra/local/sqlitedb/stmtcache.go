package sqlitedb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strings"

	"modernc.org/sqlite"
)

// driverName is the database/sql driver Open uses: modernc's SQLite driver
// with a per-connection cache of prepared statements.
const driverName = "sqlite-stmtcache"

// maxCachedStmts bounds each connection's cache; queries built from data (a
// list of n placeholders) add a few variants each, never an unbounded number,
// but a bound keeps a mistake from growing memory.
const maxCachedStmts = 256

// baseDriver is modernc's driver under the cache; tests register SQL
// functions on it.
var baseDriver = &sqlite.Driver{}

func init() { sql.Register(driverName, cachingDriver{base: baseDriver}) }

// cachingDriver wraps modernc's driver. database/sql prepares, runs and
// finalizes a statement for every Exec and Query that is not made on a
// *sql.Stmt; SQLite's parser then costs more than running the statement. The
// wrapper keeps each connection's statements prepared, keyed by their text,
// so every component gets the saving without preparing statements itself.
type cachingDriver struct{ base driver.Driver }

func (d cachingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.base.Open(name)
	if err != nil {
		return nil, err
	}
	return &cachingConn{base: c, stmts: map[string]*cachedStmt{}}, nil
}

// cachingConn is one SQLite connection with its statements. database/sql
// uses a connection from one goroutine at a time (and closes rows under the
// same lock), so the cache needs no mutex of its own.
type cachingConn struct {
	base  driver.Conn
	stmts map[string]*cachedStmt
}

// cachedStmt is a prepared statement; busy while rows read from it are open,
// when a second use of the same text gets a statement of its own.
type cachedStmt struct {
	stmt driver.Stmt
	busy bool
}

// The interfaces database/sql looks for on a connection.
var (
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
)

// cacheable reports whether query is worth keeping: one statement (a script
// of several is re-parsed by the driver anyway).
func cacheable(query string) bool {
	q := strings.TrimSpace(query)
	q = strings.TrimSuffix(q, ";")
	return !strings.Contains(q, ";")
}

// lookup returns the cached statement for query, preparing it on first use;
// nil when the query should run uncached.
func (c *cachingConn) lookup(ctx context.Context, query string) (*cachedStmt, error) {
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	if !cacheable(query) || len(c.stmts) >= maxCachedStmts {
		return nil, nil
	}
	st, err := c.base.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{stmt: st}
	c.stmts[query] = cs
	return cs, nil
}

// ExecContext and QueryContext run the statement to its end even if ctx is
// cancelled meanwhile: modernc's driver answers a cancellation with
// sqlite3_interrupt, and SQLite answers an interrupted write inside a
// transaction by rolling back the whole transaction, which in the Writer's
// group commit holds other callers' writes too. A caller whose context has
// ended before the statement starts still gets its error from database/sql.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	ctx = context.WithoutCancel(ctx)
	cs, err := c.lookup(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.base.(driver.ExecerContext).ExecContext(ctx, query, args)
	}
	return cs.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	cs, err := c.lookup(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.base.(driver.QueryerContext).QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, stmt: cs}, nil
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.base.Prepare(query) }

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.base.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.base.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error { return c.base.(driver.Pinger).Ping(ctx) }

func (c *cachingConn) ResetSession(ctx context.Context) error {
	return c.base.(driver.SessionResetter).ResetSession(ctx)
}

func (c *cachingConn) IsValid() bool { return c.base.(driver.Validator).IsValid() }

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, cs := range c.stmts {
		errs = append(errs, cs.stmt.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.base.Close())
	return errors.Join(errs...)
}

// cachedRows frees its statement for the next use when closed (the driver
// resets a reused statement instead of finalizing it).
type cachedRows struct {
	driver.Rows
	stmt *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.stmt.busy = false
	return err
}
