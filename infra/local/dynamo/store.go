package dynamo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"loanflow/infra/local/sqlitedb"
)

const schema = `
CREATE TABLE IF NOT EXISTS ddb_tables (
	name       TEXT PRIMARY KEY,
	created_at INTEGER NOT NULL,
	spec       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ddb_items (
	tbl        TEXT NOT NULL,
	pk         TEXT NOT NULL,
	sk         TEXT NOT NULL,
	item       TEXT NOT NULL,
	expires_at INTEGER,
	PRIMARY KEY (tbl, pk, sk)
) WITHOUT ROWID;
`

// Options configure a Store.
type Options struct {
	// Region goes into table ARNs (default us-east-1).
	Region string
	// Now is the clock TTL expiry uses (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Store owns the DynamoDB tables stored in one SQLite database.
type Store struct {
	db     *sql.DB
	region string
	now    func() time.Time
	log    *slog.Logger

	w *sqlitedb.Writer // commits writes together with the other components on db

	mu     sync.RWMutex
	tables map[string]*table
}

// New creates the ddb_ tables if needed and loads the existing tables.
func New(ctx context.Context, db *sql.DB, opts Options) (*Store, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Store{db: db, w: sqlitedb.WriterOf(db), region: opts.Region, now: opts.Now, log: opts.Logger, tables: map[string]*table{}}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("dynamo: create tables: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT name, created_at, spec FROM ddb_tables`)
	if err != nil {
		return nil, fmt.Errorf("dynamo: load tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t := &table{}
		var spec string
		if err := rows.Scan(&t.Name, &t.created, &spec); err != nil {
			return nil, fmt.Errorf("dynamo: load tables: %w", err)
		}
		if err := json.Unmarshal([]byte(spec), &t.tableSpec); err != nil {
			return nil, fmt.Errorf("dynamo: load table %s: %w", t.Name, err)
		}
		s.tables[t.Name] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dynamo: load tables: %w", err)
	}
	return s, nil
}

func (s *Store) table(name string) (*table, error) {
	if name == "" {
		return nil, validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tables[name]
	if !ok {
		return nil, tableNotFound(name)
	}
	return t, nil
}

// TableNames returns the names of all tables, sorted.
func (s *Store) TableNames() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for n := range s.tables {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// write runs fn in a write transaction serialised with the Store's others.
func (s *Store) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return s.w.Write(ctx, "dynamo "+op, fn)
}

// Sweep deletes the items whose TTL has passed and returns how many.
func (s *Store) Sweep(ctx context.Context) (int64, error) {
	var n int64
	err := s.write(ctx, "sweep", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM ddb_items WHERE expires_at <= ?`, s.now().Unix())
		if err != nil {
			return fmt.Errorf("dynamo sweep: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
