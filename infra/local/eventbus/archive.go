package eventbus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"loanflow/infra/local/eventpattern"
)

// Archive is an event archive: it keeps the events of a bus that match its
// pattern (every event without one), for RetentionDays (0 keeps them
// forever), so that a replay can send them again. An event sent by a replay
// is never archived again.
type Archive struct {
	Name          string
	ARN           string
	Bus           string
	Pattern       string
	Description   string
	RetentionDays int
	Created       time.Time
	// EventCount and SizeBytes are what the archive holds.
	EventCount int64
	SizeBytes  int64
}

// archive is an archive as PutEvents uses it.
type archive struct {
	name     string
	compiled *eventpattern.Pattern // nil: every event
}

// Errors of archives and replays a caller can test for.
var (
	ErrArchiveNotFound = errors.New("archive does not exist")
	ErrArchiveExists   = errors.New("archive already exists")
	ErrReplayNotFound  = errors.New("replay does not exist")
	ErrReplayExists    = errors.New("replay already exists")
	// ErrReplayNotCancellable refuses to cancel a replay that has ended.
	ErrReplayNotCancellable = errors.New("replay is not in a state that can be cancelled")
)

// ArchiveARN returns the ARN of an archive.
func (b *Bus) ArchiveARN(name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:archive/%s", b.opts.Region, b.opts.AccountID, name)
}

// ReplayARN returns the ARN of a replay.
func (b *Bus) ReplayARN(name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:replay/%s", b.opts.Region, b.opts.AccountID, name)
}

func (b *Bus) loadArchives(ctx context.Context) error {
	rows, err := b.db.QueryContext(ctx, `SELECT name, bus, pattern FROM evb_archives`)
	if err != nil {
		return fmt.Errorf("load archives: %w", err)
	}
	defer rows.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for rows.Next() {
		var name, bus, pattern string
		if err := rows.Scan(&name, &bus, &pattern); err != nil {
			return fmt.Errorf("load archives: %w", err)
		}
		a := &archive{name: name}
		if pattern != "" {
			p, err := eventpattern.Compile([]byte(pattern))
			if err != nil {
				b.log.ErrorContext(ctx, "stored archive has an invalid pattern", "archive", name, "err", err.Error())
				continue
			}
			a.compiled = p
		}
		b.archives[bus] = append(b.archives[bus], a)
	}
	return rows.Err()
}

// archivesFor names the archives of bus that keep the event raw.
func (b *Bus) archivesFor(bus string, raw []byte) []string {
	b.mu.RLock()
	as := b.archives[bus]
	b.mu.RUnlock()
	var out []string
	for _, a := range as {
		if a.compiled != nil {
			if ok, err := a.compiled.Match(raw); err != nil || !ok {
				continue
			}
		}
		out = append(out, a.name)
	}
	return out
}

// CreateArchive creates an archive of bus. An invalid pattern returns
// *eventpattern.InvalidPatternError.
func (b *Bus) CreateArchive(ctx context.Context, name, bus, pattern, description string, retentionDays int) (Archive, error) {
	if ok, _ := b.busExists(ctx, bus); !ok {
		return Archive{}, fmt.Errorf("%w: %s", ErrBusNotFound, bus)
	}
	a := &archive{name: name}
	if pattern != "" {
		p, err := eventpattern.Compile([]byte(pattern))
		if err != nil {
			return Archive{}, err
		}
		a.compiled = p
	}
	now := time.UnixMilli(b.opts.Now().UnixMilli())
	res, err := b.w.Exec(ctx, `INSERT OR IGNORE INTO evb_archives (name, bus, pattern, description, retention_days, created) VALUES (?, ?, ?, ?, ?, ?)`,
		name, bus, pattern, description, retentionDays, now.UnixMilli())
	if err != nil {
		return Archive{}, fmt.Errorf("create archive %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Archive{}, fmt.Errorf("%w: %s", ErrArchiveExists, name)
	}
	b.mu.Lock()
	b.archives[bus] = append(b.archives[bus], a)
	b.mu.Unlock()
	return Archive{Name: name, ARN: b.ArchiveARN(name), Bus: bus, Pattern: pattern, Description: description,
		RetentionDays: retentionDays, Created: now}, nil
}

// EnsureArchive creates an archive unless one of that name exists, as a
// deployment does on every start.
func (b *Bus) EnsureArchive(ctx context.Context, name, bus, pattern, description string, retentionDays int) error {
	if _, err := b.CreateArchive(ctx, name, bus, pattern, description, retentionDays); err != nil && !errors.Is(err, ErrArchiveExists) {
		return err
	}
	return nil
}

// Archives lists the archives, by name, with what they hold.
func (b *Bus) Archives(ctx context.Context) ([]Archive, error) {
	return b.queryArchives(ctx, ``)
}

// DescribeArchive returns one archive.
func (b *Bus) DescribeArchive(ctx context.Context, name string) (Archive, error) {
	as, err := b.queryArchives(ctx, `WHERE a.name = ?`, name)
	if err != nil {
		return Archive{}, err
	}
	if len(as) == 0 {
		return Archive{}, fmt.Errorf("%w: %s", ErrArchiveNotFound, name)
	}
	return as[0], nil
}

func (b *Bus) queryArchives(ctx context.Context, where string, args ...any) ([]Archive, error) {
	rows, err := b.db.QueryContext(ctx, `SELECT a.name, a.bus, a.pattern, a.description, a.retention_days, a.created,
  (SELECT count(*) FROM evb_archived e WHERE e.archive = a.name),
  (SELECT coalesce(sum(length(CAST(e.envelope AS BLOB))), 0) FROM evb_archived e WHERE e.archive = a.name)
FROM evb_archives a `+where+` ORDER BY a.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("list archives: %w", err)
	}
	defer rows.Close()
	var out []Archive
	for rows.Next() {
		var a Archive
		var created int64
		if err := rows.Scan(&a.Name, &a.Bus, &a.Pattern, &a.Description, &a.RetentionDays, &created, &a.EventCount, &a.SizeBytes); err != nil {
			return nil, fmt.Errorf("list archives: %w", err)
		}
		a.ARN, a.Created = b.ArchiveARN(a.Name), time.UnixMilli(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateArchive changes an archive's description, pattern or retention;
// nil leaves one as it is. An invalid pattern returns
// *eventpattern.InvalidPatternError.
func (b *Bus) UpdateArchive(ctx context.Context, name string, description, pattern *string, retentionDays *int) (Archive, error) {
	a, err := b.DescribeArchive(ctx, name)
	if err != nil {
		return Archive{}, err
	}
	var compiled *eventpattern.Pattern
	if pattern != nil {
		if *pattern != "" {
			if compiled, err = eventpattern.Compile([]byte(*pattern)); err != nil {
				return Archive{}, err
			}
		}
		a.Pattern = *pattern
	}
	if description != nil {
		a.Description = *description
	}
	if retentionDays != nil {
		a.RetentionDays = *retentionDays
	}
	if _, err := b.w.Exec(ctx, `UPDATE evb_archives SET pattern = ?, description = ?, retention_days = ? WHERE name = ?`,
		a.Pattern, a.Description, a.RetentionDays, name); err != nil {
		return Archive{}, fmt.Errorf("update archive %s: %w", name, err)
	}
	if pattern != nil {
		b.mu.Lock()
		for _, x := range b.archives[a.Bus] {
			if x.name == name {
				x.compiled = compiled
			}
		}
		b.mu.Unlock()
	}
	return a, nil
}

// DeleteArchive deletes an archive and the events it holds.
func (b *Bus) DeleteArchive(ctx context.Context, name string) error {
	a, err := b.DescribeArchive(ctx, name)
	if err != nil {
		return err
	}
	err = b.w.Write(ctx, "delete archive", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM evb_archives WHERE name = ?`, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM evb_archived WHERE archive = ?`, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete archive %s: %w", name, err)
	}
	b.mu.Lock()
	keep := b.archives[a.Bus][:0:0]
	for _, x := range b.archives[a.Bus] {
		if x.name != name {
			keep = append(keep, x)
		}
	}
	b.archives[a.Bus] = keep
	b.mu.Unlock()
	return nil
}

// pruneArchives drops the archived events older than their archive's
// retention.
func (b *Bus) pruneArchives(ctx context.Context) error {
	_, err := b.w.Exec(ctx, `DELETE FROM evb_archived WHERE seq IN (SELECT e.seq FROM evb_archived e JOIN evb_archives a ON a.name = e.archive
WHERE a.retention_days > 0 AND e.ingested < ? - a.retention_days * 86400000)`, b.opts.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("prune archives: %w", err)
	}
	return nil
}
