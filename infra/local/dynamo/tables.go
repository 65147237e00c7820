package dynamo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Compiled on first use: its counted repetition costs milliseconds at every
// process start otherwise (loanflow run-definition never names a table).
var tableNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`) })

// KeySchemaElement names a key attribute: KeyType HASH or RANGE.
type KeySchemaElement struct {
	AttributeName string `json:"AttributeName"`
	KeyType       string `json:"KeyType"`
}

// AttributeDefinition gives a key attribute's type: S or N.
type AttributeDefinition struct {
	AttributeName string `json:"AttributeName"`
	AttributeType string `json:"AttributeType"`
}

// ProvisionedThroughput is accepted and reported, never enforced.
type ProvisionedThroughput struct {
	ReadCapacityUnits  int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits int64 `json:"WriteCapacityUnits"`
}

// tableSpec is what is stored about a table.
type tableSpec struct {
	KeySchema            []KeySchemaElement     `json:"KeySchema"`
	AttributeDefinitions []AttributeDefinition  `json:"AttributeDefinitions"`
	BillingMode          string                 `json:"BillingMode"`
	Provisioned          *ProvisionedThroughput `json:"Provisioned,omitempty"`
	TTLAttribute         string                 `json:"TTLAttribute,omitempty"`
	TTLEnabled           bool                   `json:"TTLEnabled,omitempty"`
	GSIs                 []indexSpec            `json:"GSIs,omitempty"`
	LSIs                 []indexSpec            `json:"LSIs,omitempty"`
	// BillingUpdated is when the table last became PAY_PER_REQUEST, in
	// epoch milliseconds; 0 means at its creation.
	BillingUpdated     int64 `json:"BillingUpdated,omitempty"`
	DeletionProtection bool  `json:"DeletionProtection,omitempty"`
}

// table is a table as the Store holds it. It is never changed once
// published in Store.tables: a change publishes a new one (newTable).
type table struct {
	Name    string
	created int64
	tableSpec

	keys    keyPair
	indexes []*index // GSIs and LSIs, by name
}

// newTable returns the table of a spec with its keys and indexes resolved.
func newTable(name string, created int64, spec tableSpec) *table {
	t := &table{Name: name, created: created, tableSpec: spec}
	t.keys = keyPair{hash: keyAttr{t.hashKey(), t.attrType(t.hashKey())}}
	if r := t.rangeKey(); r != "" {
		t.keys.rng = keyAttr{r, t.attrType(r)}
	}
	for i, specs := range [][]indexSpec{spec.GSIs, spec.LSIs} {
		for _, s := range specs {
			t.indexes = append(t.indexes, &index{indexSpec: s, local: i == 1, keys: keyPairOf(s.KeySchema, t.attrType)})
		}
	}
	slices.SortFunc(t.indexes, func(a, b *index) int { return strings.Compare(a.Name, b.Name) })
	return t
}

// cloneSpec returns a copy of the table's spec that shares nothing with it.
func (t *table) cloneSpec() tableSpec {
	s := t.tableSpec
	s.KeySchema = slices.Clone(s.KeySchema)
	s.AttributeDefinitions = slices.Clone(s.AttributeDefinitions)
	s.GSIs = slices.Clone(s.GSIs)
	s.LSIs = slices.Clone(s.LSIs)
	if s.Provisioned != nil {
		p := *s.Provisioned
		s.Provisioned = &p
	}
	return s
}

func (t *table) hashKey() string  { return t.key("HASH") }
func (t *table) rangeKey() string { return t.key("RANGE") }

func (t *table) key(kind string) string {
	for _, k := range t.KeySchema {
		if k.KeyType == kind {
			return k.AttributeName
		}
	}
	return ""
}

func (t *table) attrType(name string) string {
	for _, d := range t.AttributeDefinitions {
		if d.AttributeName == name {
			return d.AttributeType
		}
	}
	return ""
}

// index returns the table's index of that name, or nil.
func (t *table) index(name string) *index {
	for _, ix := range t.indexes {
		if ix.Name == name {
			return ix
		}
	}
	return nil
}

func (s *Store) tableARN(name string) string {
	return "arn:aws:dynamodb:" + s.region + ":000000000000:table/" + name
}

// CreateTableInput is the CreateTable request (the supported subset).
type CreateTableInput struct {
	TableName              string                 `json:"TableName"`
	KeySchema              []KeySchemaElement     `json:"KeySchema"`
	AttributeDefinitions   []AttributeDefinition  `json:"AttributeDefinitions"`
	BillingMode            string                 `json:"BillingMode"`
	ProvisionedThroughput  *ProvisionedThroughput `json:"ProvisionedThroughput"`
	GlobalSecondaryIndexes []GlobalSecondaryIndex `json:"GlobalSecondaryIndexes"`
	LocalSecondaryIndexes  []LocalSecondaryIndex  `json:"LocalSecondaryIndexes"`
	// DeletionProtectionEnabled makes DeleteTable refuse the table.
	DeletionProtectionEnabled *bool `json:"DeletionProtectionEnabled"`
	// Streams are refused when enabled.
	StreamSpecification *struct {
		StreamEnabled bool `json:"StreamEnabled"`
	} `json:"StreamSpecification"`
}

// TableDescription describes a table as DescribeTable does.
type TableDescription struct {
	TableName              string                            `json:"TableName"`
	TableARN               string                            `json:"TableArn"`
	TableID                string                            `json:"TableId"`
	TableStatus            string                            `json:"TableStatus"`
	CreationDateTime       float64                           `json:"CreationDateTime"`
	KeySchema              []KeySchemaElement                `json:"KeySchema"`
	AttributeDefinitions   []AttributeDefinition             `json:"AttributeDefinitions"`
	ItemCount              int64                             `json:"ItemCount"`
	TableSizeBytes         int64                             `json:"TableSizeBytes"`
	BillingModeSummary     *billingModeSummary               `json:"BillingModeSummary,omitempty"`
	ProvisionedThroughput  *ProvisionedThroughputDescription `json:"ProvisionedThroughput,omitempty"`
	GlobalSecondaryIndexes []IndexDescription                `json:"GlobalSecondaryIndexes,omitempty"`
	LocalSecondaryIndexes  []IndexDescription                `json:"LocalSecondaryIndexes,omitempty"`
	DeletionProtection     bool                              `json:"DeletionProtectionEnabled"`
}

// ProvisionedThroughputDescription is a table's throughput as described:
// zero capacity for an on-demand table.
type ProvisionedThroughputDescription struct {
	NumberOfDecreasesToday int64 `json:"NumberOfDecreasesToday"`
	ReadCapacityUnits      int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits     int64 `json:"WriteCapacityUnits"`
}

type billingModeSummary struct {
	BillingMode                       string   `json:"BillingMode"`
	LastUpdateToPayPerRequestDateTime *float64 `json:"LastUpdateToPayPerRequestDateTime,omitempty"`
}

// CreateTable creates a table with a partition key and an optional sort key
// of type S or N, and its secondary indexes.
func (s *Store) CreateTable(ctx context.Context, in *CreateTableInput) (*TableDescription, error) {
	switch {
	case in.StreamSpecification != nil && in.StreamSpecification.StreamEnabled:
		return nil, unsupported("DynamoDB Streams")
	case !tableNameRE().MatchString(in.TableName):
		return nil, validation("TableName must be at least 3 characters long and at most 255 characters long, and contain only [a-zA-Z0-9_.-]")
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	spec := tableSpec{KeySchema: in.KeySchema, AttributeDefinitions: in.AttributeDefinitions, BillingMode: in.BillingMode,
		Provisioned: in.ProvisionedThroughput, DeletionProtection: in.DeletionProtectionEnabled != nil && *in.DeletionProtectionEnabled}
	if spec.BillingMode == "" {
		spec.BillingMode = "PROVISIONED"
	}
	for _, g := range in.GlobalSecondaryIndexes {
		spec.GSIs = append(spec.GSIs, indexSpec{Name: g.IndexName, KeySchema: g.KeySchema, Projection: *g.Projection, Provisioned: g.ProvisionedThroughput})
	}
	for _, l := range in.LocalSecondaryIndexes {
		spec.LSIs = append(spec.LSIs, indexSpec{Name: l.IndexName, KeySchema: l.KeySchema, Projection: *l.Projection})
	}
	t := newTable(in.TableName, s.now().UnixMilli(), spec)
	raw, err := json.Marshal(t.tableSpec)
	if err != nil {
		return nil, fmt.Errorf("dynamo create table %s: %w", t.Name, err)
	}
	if _, err := s.table(t.Name); err == nil {
		return nil, &Error{Kind: ErrResourceInUse, Message: "Table already exists: " + t.Name}
	}
	var undo func()
	err = s.write(ctx, "create table", func(tx *sql.Tx) error {
		if _, err := s.table(t.Name); err == nil {
			return &Error{Kind: ErrResourceInUse, Message: "Table already exists: " + t.Name}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ddb_tables (name, created_at, spec) VALUES (?, ?, ?)`, t.Name, t.created, string(raw)); err != nil {
			return fmt.Errorf("dynamo create table %s: %w", t.Name, err)
		}
		undo = s.publish(t.Name, t)
		return nil
	})
	if err != nil {
		if undo != nil {
			undo()
		}
		return nil, err
	}
	s.log.InfoContext(ctx, "table created", "table", t.Name, "indexes", len(t.indexes))
	// DynamoDB's answer says CREATING however soon the table is ACTIVE
	// (API reference, CreateTable: "Upon receiving a CreateTable request,
	// DynamoDB immediately returns a response with a TableStatus of
	// CREATING. After the table is created, DynamoDB sets the TableStatus
	// to ACTIVE. You can perform read and write operations only on an
	// ACTIVE table.").
	return s.describeAs(t, tableStats{}, true), nil
}

// publish makes t (nil: no table) the table called name, from inside a
// write, so that the writes queued after it see it; it returns what undoes
// that should the transaction not commit.
func (s *Store) publish(name string, t *table) (undo func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, had := s.tables[name]
	if t == nil {
		delete(s.tables, name)
	} else {
		s.tables[name] = t
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if cur, ok := s.tables[name]; (t == nil && ok) || (t != nil && (!ok || cur != t)) {
			return // changed since: leave it
		}
		if had {
			s.tables[name] = old
		} else {
			delete(s.tables, name)
		}
	}
}

// tableStats are a table's figures: items and bytes, overall and per index.
type tableStats struct {
	count, size int64
	indexes     map[string][2]int64 // index name -> item count, size
}

func (s *Store) describe(t *table, st tableStats) *TableDescription {
	return s.describeAs(t, st, s.creating(t))
}

// describeAs describes t, as still CREATING or not: then it and its global
// indexes say CREATING, and an on-demand table has no
// LastUpdateToPayPerRequestDateTime yet (dynalite's createTable tests,
// recorded against DynamoDB).
func (s *Store) describeAs(t *table, st tableStats, creating bool) *TableDescription {
	created := float64(t.created) / 1000
	arn := s.tableARN(t.Name)
	status := "ACTIVE"
	if creating {
		status = "CREATING"
	}
	d := &TableDescription{
		TableName: t.Name, TableARN: arn,
		TableID: fmt.Sprintf("%08x-0000-4000-8000-%012x", len(t.Name), t.created), TableStatus: status,
		CreationDateTime: created, KeySchema: t.KeySchema, AttributeDefinitions: t.AttributeDefinitions,
		ItemCount: st.count, TableSizeBytes: st.size, BillingModeSummary: &billingModeSummary{BillingMode: t.BillingMode},
		ProvisionedThroughput: &ProvisionedThroughputDescription{}, DeletionProtection: t.DeletionProtection,
	}
	if t.BillingMode == "PAY_PER_REQUEST" && !creating {
		at := created
		if t.BillingUpdated != 0 {
			at = float64(t.BillingUpdated) / 1000
		}
		d.BillingModeSummary.LastUpdateToPayPerRequestDateTime = &at
	}
	if t.Provisioned != nil {
		d.ProvisionedThroughput.ReadCapacityUnits = t.Provisioned.ReadCapacityUnits
		d.ProvisionedThroughput.WriteCapacityUnits = t.Provisioned.WriteCapacityUnits
	}
	for _, ix := range t.indexes {
		figures := st.indexes[ix.Name]
		id := IndexDescription{IndexName: ix.Name, KeySchema: ix.KeySchema, Projection: ix.Projection,
			IndexARN: arn + "/index/" + ix.Name, ItemCount: figures[0], IndexSizeBytes: figures[1]}
		if ix.local {
			d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, id)
			continue
		}
		id.IndexStatus = status
		id.ProvisionedThroughput = &ProvisionedThroughputDescription{}
		if ix.Provisioned != nil {
			id.ProvisionedThroughput.ReadCapacityUnits = ix.Provisioned.ReadCapacityUnits
			id.ProvisionedThroughput.WriteCapacityUnits = ix.Provisioned.WriteCapacityUnits
		}
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, id)
	}
	return d
}

// stats counts a table's items and bytes, and its indexes'.
func (s *Store) stats(ctx context.Context, t *table) (tableStats, error) {
	st := tableStats{indexes: map[string][2]int64{}}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(LENGTH(item)), 0) FROM ddb_items WHERE tbl = ?`, t.Name).Scan(&st.count, &st.size); err != nil {
		return st, fmt.Errorf("dynamo describe table %s: %w", t.Name, err)
	}
	if len(t.indexes) == 0 {
		return st, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT idx, COUNT(*), COALESCE(SUM(size), 0) FROM ddb_index_items WHERE tbl = ? GROUP BY idx`, t.Name)
	if err != nil {
		return st, fmt.Errorf("dynamo describe indexes of %s: %w", t.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n, size int64
		if err := rows.Scan(&name, &n, &size); err != nil {
			return st, fmt.Errorf("dynamo describe indexes of %s: %w", t.Name, err)
		}
		st.indexes[name] = [2]int64{n, size}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("dynamo describe indexes of %s: %w", t.Name, err)
	}
	return st, nil
}

// DescribeTable describes a table with its current item count and size,
// and its indexes'.
func (s *Store) DescribeTable(ctx context.Context, name string) (*TableDescription, error) {
	t, err := s.table(name)
	if err != nil {
		return nil, err
	}
	st, err := s.stats(ctx, t)
	if err != nil {
		return nil, err
	}
	return s.describe(t, st), nil
}

// DeleteTable deletes a table and its items.
func (s *Store) DeleteTable(ctx context.Context, name string) (*TableDescription, error) {
	t, err := s.table(name)
	if err != nil {
		return nil, err
	}
	if t.DeletionProtection {
		return nil, validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	}
	if s.creating(t) {
		// API reference, DeleteTable: "If table is in CREATING or UPDATING
		// states, then DynamoDB returns a ResourceInUseException"; the
		// wording is dynalite's deleteTable test, recorded against DynamoDB.
		return nil, &Error{Kind: ErrResourceInUse, Message: "Attempt to change a resource which is still in use: Table is being created: " + t.Name}
	}
	var undo func()
	err = s.write(ctx, "delete table", func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM ddb_index_items WHERE tbl = ?`, `DELETE FROM ddb_items WHERE tbl = ?`, `DELETE FROM ddb_tables WHERE name = ?`} {
			if _, err := tx.ExecContext(ctx, q, t.Name); err != nil {
				return fmt.Errorf("dynamo delete table %s: %w", t.Name, err)
			}
		}
		undo = s.publish(t.Name, nil)
		return nil
	})
	if err != nil {
		if undo != nil {
			undo()
		}
		return nil, err
	}
	d := s.describe(t, tableStats{})
	d.TableStatus = "DELETING"
	return d, nil
}

// TimeToLiveDescription is the TTL state of a table.
type TimeToLiveDescription struct {
	TimeToLiveStatus string `json:"TimeToLiveStatus"`
	AttributeName    string `json:"AttributeName,omitempty"`
}

// UpdateTimeToLive enables or disables TTL on attr. Items whose attr is a
// number of epoch seconds in the past are then deleted by Sweep, after
// Options.TTLDeletionDelay; until then they are read like any other.
func (s *Store) UpdateTimeToLive(ctx context.Context, name, attr string, enabled bool) error {
	if _, err := s.table(name); err != nil {
		return err
	}
	if attr == "" {
		return validation("1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null")
	}
	var undo func()
	err := s.write(ctx, "update ttl", func(tx *sql.Tx) error {
		t, err := s.table(name) // as it is now, after the writes before this one
		if err != nil {
			return err
		}
		if enabled == t.TTLEnabled {
			if enabled {
				return validation("TimeToLive is already enabled")
			}
			return validation("TimeToLive is already disabled")
		}
		if !enabled && attr != t.TTLAttribute {
			return validation("TimeToLive is active on a different AttributeName: current AttributeName is %s", t.TTLAttribute)
		}
		spec := t.cloneSpec()
		spec.TTLEnabled, spec.TTLAttribute = enabled, attr
		if !enabled {
			spec.TTLAttribute = ""
		}
		nt := newTable(t.Name, t.created, spec)
		if err := saveSpec(ctx, tx, nt); err != nil {
			return err
		}
		if err := backfillTTL(ctx, tx, nt); err != nil {
			return err
		}
		undo = s.publish(name, nt)
		return nil
	})
	if err != nil && undo != nil {
		undo()
	}
	return err
}

// saveSpec stores t's spec.
func saveSpec(ctx context.Context, tx *sql.Tx, t *table) error {
	raw, err := json.Marshal(t.tableSpec)
	if err != nil {
		return fmt.Errorf("dynamo save table %s: %w", t.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE ddb_tables SET spec = ? WHERE name = ?`, string(raw), t.Name); err != nil {
		return fmt.Errorf("dynamo save table %s: %w", t.Name, err)
	}
	return nil
}

// backfillTTL recomputes expires_at for every item of t.
func backfillTTL(ctx context.Context, tx *sql.Tx, t *table) error {
	if !t.TTLEnabled {
		_, err := tx.ExecContext(ctx, `UPDATE ddb_items SET expires_at = NULL WHERE tbl = ?`, t.Name)
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT pk, sk, item FROM ddb_items WHERE tbl = ?`, t.Name)
	if err != nil {
		return fmt.Errorf("dynamo ttl backfill %s: %w", t.Name, err)
	}
	type upd struct {
		pk, sk string
		exp    any
	}
	var ups []upd
	for rows.Next() {
		var pk, sk, raw string
		if err := rows.Scan(&pk, &sk, &raw); err != nil {
			rows.Close()
			return fmt.Errorf("dynamo ttl backfill %s: %w", t.Name, err)
		}
		// An item that cannot be decoded has no expiry; it must not stop
		// TTL from being enabled on its table.
		it, _ := decodeStored(raw)
		ups = append(ups, upd{pk, sk, t.expiry(it)})
	}
	rows.Close()
	for _, u := range ups {
		if _, err := tx.ExecContext(ctx, `UPDATE ddb_items SET expires_at = ? WHERE tbl = ? AND pk = ? AND sk = ?`, u.exp, t.Name, u.pk, u.sk); err != nil {
			return fmt.Errorf("dynamo ttl backfill %s: %w", t.Name, err)
		}
	}
	return nil
}

// expiry returns the item's TTL in epoch seconds, or nil.
func (t *table) expiry(it Item) any {
	if !t.TTLEnabled {
		return nil
	}
	v, ok := it[t.TTLAttribute]
	if !ok || v.Type != TypeN {
		return nil
	}
	d, err := parseDecimal(v.S)
	if err != nil {
		return nil
	}
	f, _ := new(big.Float).SetInt(d.mant).Float64()
	sec := f * math.Pow10(d.exp)
	if sec > 1e15 || sec < 0 {
		return nil
	}
	return int64(sec)
}

// DescribeTimeToLive reports the TTL state of a table.
func (s *Store) DescribeTimeToLive(name string) (TimeToLiveDescription, error) {
	t, err := s.table(name)
	if err != nil {
		return TimeToLiveDescription{}, err
	}
	if !t.TTLEnabled {
		return TimeToLiveDescription{TimeToLiveStatus: "DISABLED"}, nil
	}
	return TimeToLiveDescription{TimeToLiveStatus: "ENABLED", AttributeName: t.TTLAttribute}, nil
}

// TableSummary is a table as a console lists it: its key, its item count
// and its secondary indexes.
type TableSummary struct {
	Name      string
	Key       string // "pk (S), sk (N)": the partition key, then the sort key
	ItemCount int64
	Indexes   []IndexSummary
}

// IndexSummary is a secondary index as a console lists it.
type IndexSummary struct {
	Name       string
	Global     bool
	Key        string
	Projection string // ALL, KEYS_ONLY, or INCLUDE with the attributes
	ItemCount  int64
}

// Summaries lists the tables, by name, with their indexes and item counts.
func (s *Store) Summaries(ctx context.Context) ([]TableSummary, error) {
	var out []TableSummary
	for _, name := range s.TableNames() {
		t, err := s.table(name)
		if err != nil {
			continue // deleted meanwhile
		}
		st, err := s.stats(ctx, t)
		if err != nil {
			return nil, err
		}
		ts := TableSummary{Name: t.Name, Key: t.keys.String(), ItemCount: st.count}
		for _, ix := range t.indexes {
			p := ix.Projection.ProjectionType
			if p == "INCLUDE" {
				p += " (" + strings.Join(ix.Projection.NonKeyAttributes, ", ") + ")"
			}
			ts.Indexes = append(ts.Indexes, IndexSummary{Name: ix.Name, Global: !ix.local, Key: ix.keys.String(), Projection: p,
				ItemCount: st.indexes[ix.Name][0]})
		}
		out = append(out, ts)
	}
	return out, nil
}
