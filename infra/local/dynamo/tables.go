package dynamo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
)

var tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

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
}

type table struct {
	Name    string
	created int64
	tableSpec
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

// CreateTableInput is the CreateTable request (the supported subset).
type CreateTableInput struct {
	TableName             string                 `json:"TableName"`
	KeySchema             []KeySchemaElement     `json:"KeySchema"`
	AttributeDefinitions  []AttributeDefinition  `json:"AttributeDefinitions"`
	BillingMode           string                 `json:"BillingMode"`
	ProvisionedThroughput *ProvisionedThroughput `json:"ProvisionedThroughput"`
	// Indexes and streams are refused when present.
	GlobalSecondaryIndexes json.RawMessage `json:"GlobalSecondaryIndexes"`
	LocalSecondaryIndexes  json.RawMessage `json:"LocalSecondaryIndexes"`
	StreamSpecification    *struct {
		StreamEnabled bool `json:"StreamEnabled"`
	} `json:"StreamSpecification"`
}

// TableDescription describes a table as DescribeTable does.
type TableDescription struct {
	TableName             string                            `json:"TableName"`
	TableArn              string                            `json:"TableArn"`
	TableID               string                            `json:"TableId"`
	TableStatus           string                            `json:"TableStatus"`
	CreationDateTime      float64                           `json:"CreationDateTime"`
	KeySchema             []KeySchemaElement                `json:"KeySchema"`
	AttributeDefinitions  []AttributeDefinition             `json:"AttributeDefinitions"`
	ItemCount             int64                             `json:"ItemCount"`
	TableSizeBytes        int64                             `json:"TableSizeBytes"`
	BillingModeSummary    *billingModeSummary               `json:"BillingModeSummary,omitempty"`
	ProvisionedThroughput *ProvisionedThroughputDescription `json:"ProvisionedThroughput,omitempty"`
	DeletionProtection    bool                              `json:"DeletionProtectionEnabled"`
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
// of type S or N.
func (s *Store) CreateTable(ctx context.Context, in *CreateTableInput) (*TableDescription, error) {
	switch {
	case len(in.GlobalSecondaryIndexes) > 0 && string(in.GlobalSecondaryIndexes) != "null",
		len(in.LocalSecondaryIndexes) > 0 && string(in.LocalSecondaryIndexes) != "null":
		return nil, unsupported("Secondary indexes")
	case in.StreamSpecification != nil && in.StreamSpecification.StreamEnabled:
		return nil, unsupported("DynamoDB Streams")
	case !tableNameRE.MatchString(in.TableName):
		return nil, validation("TableName must be at least 3 characters long and at most 255 characters long, and contain only [a-zA-Z0-9_.-]")
	}
	t := &table{Name: in.TableName, created: s.now().UnixMilli(), tableSpec: tableSpec{
		KeySchema: in.KeySchema, AttributeDefinitions: in.AttributeDefinitions, BillingMode: in.BillingMode, Provisioned: in.ProvisionedThroughput,
	}}
	if t.BillingMode == "" {
		t.BillingMode = "PROVISIONED"
	}
	if err := t.validate(); err != nil {
		return nil, err
	}
	spec, err := json.Marshal(t.tableSpec)
	if err != nil {
		return nil, fmt.Errorf("dynamo create table %s: %w", t.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tables[t.Name]; ok {
		return nil, &Error{Kind: ErrResourceInUse, Message: "Table already exists: " + t.Name}
	}
	err = s.write(ctx, "create table", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ddb_tables (name, created_at, spec) VALUES (?, ?, ?)`, t.Name, t.created, string(spec)); err != nil {
			return fmt.Errorf("dynamo create table %s: %w", t.Name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.tables[t.Name] = t
	s.log.InfoContext(ctx, "table created", "table", t.Name)
	return s.describe(t, 0, 0), nil
}

func (t *table) validate() error {
	if len(t.KeySchema) == 0 || len(t.KeySchema) > 2 || t.KeySchema[0].KeyType != "HASH" ||
		(len(t.KeySchema) == 2 && t.KeySchema[1].KeyType != "RANGE") {
		return validation("1 validation error detected: Invalid KeySchema: The first KeySchemaElement is not a HASH key type, or there are more than two elements")
	}
	if len(t.AttributeDefinitions) != len(t.KeySchema) {
		return validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	for _, k := range t.KeySchema {
		switch t.attrType(k.AttributeName) {
		case TypeS, TypeN:
		case "":
			return validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: %v", k.AttributeName, t.AttributeDefinitions)
		default:
			return unsupported("Key attributes of type " + t.attrType(k.AttributeName) + " (use S or N)")
		}
	}
	switch t.BillingMode {
	case "PAY_PER_REQUEST":
	case "PROVISIONED":
		if t.Provisioned == nil {
			return validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
	default:
		return validation("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", t.BillingMode)
	}
	return nil
}

func (s *Store) describe(t *table, count, size int64) *TableDescription {
	created := float64(t.created) / 1000
	d := &TableDescription{
		TableName: t.Name, TableArn: "arn:aws:dynamodb:" + s.region + ":000000000000:table/" + t.Name,
		TableID: fmt.Sprintf("%08x-0000-4000-8000-%012x", len(t.Name), t.created), TableStatus: "ACTIVE",
		CreationDateTime: created, KeySchema: t.KeySchema, AttributeDefinitions: t.AttributeDefinitions,
		ItemCount: count, TableSizeBytes: size, BillingModeSummary: &billingModeSummary{BillingMode: t.BillingMode},
		ProvisionedThroughput: &ProvisionedThroughputDescription{},
	}
	if t.BillingMode == "PAY_PER_REQUEST" {
		d.BillingModeSummary.LastUpdateToPayPerRequestDateTime = &created
	}
	if t.Provisioned != nil {
		d.ProvisionedThroughput.ReadCapacityUnits = t.Provisioned.ReadCapacityUnits
		d.ProvisionedThroughput.WriteCapacityUnits = t.Provisioned.WriteCapacityUnits
	}
	return d
}

// DescribeTable describes a table with its current item count and size.
func (s *Store) DescribeTable(ctx context.Context, name string) (*TableDescription, error) {
	t, err := s.table(name)
	if err != nil {
		return nil, err
	}
	var count, size int64
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(LENGTH(item)), 0) FROM ddb_items WHERE tbl = ?`, name).Scan(&count, &size); err != nil {
		return nil, fmt.Errorf("dynamo describe table %s: %w", name, err)
	}
	return s.describe(t, count, size), nil
}

// DeleteTable deletes a table and its items.
func (s *Store) DeleteTable(ctx context.Context, name string) (*TableDescription, error) {
	t, err := s.table(name)
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, "delete table", func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM ddb_items WHERE tbl = ?`, `DELETE FROM ddb_tables WHERE name = ?`} {
			if _, err := tx.ExecContext(ctx, q, name); err != nil {
				return fmt.Errorf("dynamo delete table %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	delete(s.tables, name)
	s.mu.Unlock()
	d := s.describe(t, 0, 0)
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
	t, err := s.table(name)
	if err != nil {
		return err
	}
	if attr == "" {
		return validation("1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null")
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
	nt := &table{Name: t.Name, created: t.created, tableSpec: t.tableSpec}
	nt.TTLEnabled, nt.TTLAttribute = enabled, attr
	if !enabled {
		nt.TTLAttribute = ""
	}
	spec, err := json.Marshal(nt.tableSpec)
	if err != nil {
		return fmt.Errorf("dynamo update ttl %s: %w", name, err)
	}
	err = s.write(ctx, "update ttl", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE ddb_tables SET spec = ? WHERE name = ?`, string(spec), name); err != nil {
			return fmt.Errorf("dynamo update ttl %s: %w", name, err)
		}
		return backfillTTL(ctx, tx, nt)
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.tables[name] = nt
	s.mu.Unlock()
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
