package dynamo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
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
CREATE TABLE IF NOT EXISTS ddb_index_items (
	tbl  TEXT NOT NULL,
	idx  TEXT NOT NULL,
	ipk  TEXT NOT NULL,
	isk  TEXT NOT NULL,
	pk   TEXT NOT NULL,
	sk   TEXT NOT NULL,
	size INTEGER NOT NULL,
	PRIMARY KEY (tbl, idx, ipk, isk, pk, sk)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ddb_index_items_item ON ddb_index_items (tbl, pk, sk);
CREATE TABLE IF NOT EXISTS ddb_tx_tokens (
	token      TEXT PRIMARY KEY,
	digest     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	replay     TEXT NOT NULL
) WITHOUT ROWID;
`

// Options configure a Store.
type Options struct {
	// Region goes into table ARNs (default us-east-1).
	Region string
	// Now is the clock TTL expiry uses (default time.Now).
	Now func() time.Time
	// TTLDeletionDelay is how long an item stays, readable, past the time in
	// its TTL attribute before Sweep deletes it (default
	// DefaultTTLDeletionDelay; negative: none).
	TTLDeletionDelay time.Duration
	// CreationDelay is how long a new table stays CREATING, on the Now
	// clock (default DefaultCreationDelay; negative: none, the table is
	// ACTIVE once CreateTable has answered).
	CreationDelay time.Duration
	Logger        *slog.Logger
}

// DefaultCreationDelay is how long a new table stays CREATING: DynamoDB
// answers CreateTable with TableStatus CREATING and the table becomes
// ACTIVE some seconds later; until then its items cannot be read or
// written (ResourceNotFoundException) nor the table deleted
// (ResourceInUseException), so a client must wait for ACTIVE, with
// DescribeTable or the table-exists waiter. Locally that takes a tenth of
// a second: enough that a client which does not wait fails as it would on
// AWS, short enough that one which waits does not notice.
const DefaultCreationDelay = 100 * time.Millisecond

// DefaultTTLDeletionDelay is the local stand-in for the delay of
// DynamoDB's background TTL deletion (typically within two days): long
// enough that an expired item is always seen by reads for a while, as it
// is in AWS, and short enough to watch. With the stack's sweep every
// minute, an item is deleted one to two minutes after it expires.
const DefaultTTLDeletionDelay = time.Minute

// ttlMaxAge is how far in the past a TTL may be for DynamoDB to act on it:
// an item whose TTL is more than five years old is never deleted.
const ttlMaxAge = 5 * 365 * 24 * time.Hour

// ttlPrincipal is the identity DynamoDB's TTL deletions carry (in
// DynamoDB Streams records, as userIdentity.principalId).
const ttlPrincipal = "dynamodb.amazonaws.com"

// Store owns the DynamoDB tables stored in one SQLite database.
type Store struct {
	db       *sql.DB
	region   string
	now      func() time.Time
	ttlDelay time.Duration
	creation time.Duration
	log      *slog.Logger

	w *sqlitedb.Writer // commits writes together with the other components on db

	// mu guards tables. A table is changed from inside a write (publish),
	// so that the writes queued after it see the change; nothing may hold
	// mu while it waits for a write.
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
	switch {
	case opts.TTLDeletionDelay == 0:
		opts.TTLDeletionDelay = DefaultTTLDeletionDelay
	case opts.TTLDeletionDelay < 0:
		opts.TTLDeletionDelay = 0
	}
	switch {
	case opts.CreationDelay == 0:
		opts.CreationDelay = DefaultCreationDelay
	case opts.CreationDelay < 0:
		opts.CreationDelay = 0
	}
	s := &Store{db: db, w: sqlitedb.WriterOf(db), region: opts.Region, now: opts.Now, ttlDelay: opts.TTLDeletionDelay,
		creation: opts.CreationDelay, log: opts.Logger, tables: map[string]*table{}}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return nil, fmt.Errorf("dynamo: create tables: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT name, created_at, spec FROM ddb_tables`)
	if err != nil {
		return nil, fmt.Errorf("dynamo: load tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, raw string
		var created int64
		if err := rows.Scan(&name, &created, &raw); err != nil {
			return nil, fmt.Errorf("dynamo: load tables: %w", err)
		}
		var spec tableSpec
		if err := json.Unmarshal([]byte(raw), &spec); err != nil {
			return nil, fmt.Errorf("dynamo: load table %s: %w", name, err)
		}
		s.tables[name] = newTable(name, created, spec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dynamo: load tables: %w", err)
	}
	return s, nil
}

// table returns the table called name, which may also be given as its ARN.
func (s *Store) table(name string) (*table, error) {
	if name == "" {
		return nil, validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null")
	}
	if rest, ok := strings.CutPrefix(name, "arn:aws:dynamodb:"+s.region+":000000000000:table/"); ok && !strings.Contains(rest, "/") {
		name = rest
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.tables[name]
	if !ok {
		return nil, tableNotFound(name)
	}
	return t, nil
}

// itemTable is table for the item operations (reads, writes, batches,
// transactions): DynamoDB answers them "Requested resource not found" for
// a table that does not exist, without naming it, as the table operations
// do.
//
// A table still CREATING is answered the same: DynamoDB's
// ResourceNotFoundException is for "a nonexistent table or index. The
// resource might not be specified correctly, or its status might not be
// ACTIVE" (API reference, PutItem and the other item operations, Errors;
// dynalite's putItem/getItem/batch tests, recorded against
// DynamoDB, "should return ResourceNotFoundException if table is being
// created").
func (s *Store) itemTable(name string) (*table, error) {
	t, err := s.table(name)
	if errors.Is(err, ErrResourceNotFound) || (err == nil && s.creating(t)) {
		return nil, resourceNotFound()
	}
	return t, err
}

// creating says whether t is still being created (Options.CreationDelay).
func (s *Store) creating(t *table) bool {
	return s.creation > 0 && s.now().Before(time.UnixMilli(t.created).Add(s.creation))
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

// readTx begins a read-only transaction: the reads in it see one snapshot
// of the database (WAL), and it takes no write lock.
func (s *Store) readTx(ctx context.Context) (*sql.Tx, error) {
	return s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
}

// write runs fn in a write transaction serialised with the Store's others.
func (s *Store) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return s.w.Write(ctx, "dynamo "+op, fn)
}

// Sweep is DynamoDB's background TTL deletion: it deletes the items of
// every table with TTL enabled whose TTL attribute is a number of epoch
// seconds at least the TTL deletion delay in the past, and returns how many.
// As in DynamoDB, it acts on the item as it is when deleted (one whose TTL
// was moved forward or removed stays), ignores a TTL more than five years
// old, and deletes without conditions; each table's count is logged, like
// the TimeToLiveDeletedItemCount metric.
func (s *Store) Sweep(ctx context.Context) (int64, error) {
	now := s.now()
	due, oldest := now.Add(-s.ttlDelay).Unix(), now.Add(-ttlMaxAge).Unix()
	names := s.TableNames() // not under the writer: CreateTable takes s.mu, then the writer
	var total int64
	counts := map[string]int64{}
	err := s.write(ctx, "sweep", func(tx *sql.Tx) error {
		total = 0
		clear(counts)
		for _, name := range names {
			if t, err := s.table(name); err == nil && len(t.indexes) > 0 {
				if _, err := tx.ExecContext(ctx, `DELETE FROM ddb_index_items WHERE tbl = ? AND (pk, sk) IN
					(SELECT pk, sk FROM ddb_items WHERE tbl = ? AND expires_at <= ? AND expires_at >= ?)`, name, name, due, oldest); err != nil {
					return fmt.Errorf("dynamo sweep %s: index entries: %w", name, err)
				}
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM ddb_items WHERE tbl = ? AND expires_at <= ? AND expires_at >= ?`, name, due, oldest)
			if err != nil {
				return fmt.Errorf("dynamo sweep %s: %w", name, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				counts[name] = n
				total += n
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for name, n := range counts {
		s.log.InfoContext(ctx, "TTL deleted expired items", "table", name, "timeToLiveDeletedItemCount", n, "principalId", ttlPrincipal)
	}
	return total, nil
}
