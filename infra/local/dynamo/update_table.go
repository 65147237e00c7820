package dynamo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// UpdateTableInput is the UpdateTable request (the supported subset):
// billing mode and throughput, global secondary indexes to create, update
// or delete, deletion protection. SSESpecification, TableClass,
// OnDemandThroughput and WarmThroughput are accepted and have no effect
// here; enabling a stream or changing replicas is refused.
type UpdateTableInput struct {
	TableName                   string                       `json:"TableName"`
	AttributeDefinitions        []AttributeDefinition        `json:"AttributeDefinitions,omitempty"`
	BillingMode                 string                       `json:"BillingMode,omitempty"`
	ProvisionedThroughput       *ProvisionedThroughput       `json:"ProvisionedThroughput,omitempty"`
	GlobalSecondaryIndexUpdates []GlobalSecondaryIndexUpdate `json:"GlobalSecondaryIndexUpdates,omitempty"`
	DeletionProtectionEnabled   *bool                        `json:"DeletionProtectionEnabled,omitempty"`
	StreamSpecification         *struct {
		StreamEnabled bool `json:"StreamEnabled"`
	} `json:"StreamSpecification,omitempty"`
	ReplicaUpdates     json.RawMessage `json:"ReplicaUpdates,omitempty"`
	SSESpecification   json.RawMessage `json:"SSESpecification,omitempty"`
	TableClass         json.RawMessage `json:"TableClass,omitempty"`
	OnDemandThroughput json.RawMessage `json:"OnDemandThroughput,omitempty"`
	WarmThroughput     json.RawMessage `json:"WarmThroughput,omitempty"`
}

// GlobalSecondaryIndexUpdate is one change of UpdateTable's: exactly one
// of its members is set.
type GlobalSecondaryIndexUpdate struct {
	Create *GlobalSecondaryIndex `json:"Create,omitempty"`
	Update *struct {
		IndexName             string                 `json:"IndexName"`
		ProvisionedThroughput *ProvisionedThroughput `json:"ProvisionedThroughput,omitempty"`
	} `json:"Update,omitempty"`
	Delete *struct {
		IndexName string `json:"IndexName"`
	} `json:"Delete,omitempty"`
}

func (u GlobalSecondaryIndexUpdate) name() string {
	switch {
	case u.Create != nil:
		return u.Create.IndexName
	case u.Update != nil:
		return u.Update.IndexName
	case u.Delete != nil:
		return u.Delete.IndexName
	}
	return ""
}

func present(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

// UpdateTable changes a table's billing mode, throughput or deletion
// protection, and creates (filling it with the items the table holds),
// updates or deletes global secondary indexes. The change is done when
// UpdateTable returns; the description it returns says UPDATING, CREATING
// and DELETING as DynamoDB's does, and DescribeTable says ACTIVE at once.
func (s *Store) UpdateTable(ctx context.Context, in *UpdateTableInput) (*TableDescription, error) {
	if in.ProvisionedThroughput == nil && in.BillingMode == "" && in.StreamSpecification == nil && len(in.GlobalSecondaryIndexUpdates) == 0 &&
		in.DeletionProtectionEnabled == nil && !present(in.ReplicaUpdates) && !present(in.SSESpecification) && !present(in.TableClass) &&
		!present(in.OnDemandThroughput) && !present(in.WarmThroughput) {
		return nil, validation("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required")
	}
	switch in.BillingMode {
	case "", "PROVISIONED", "PAY_PER_REQUEST":
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", in.BillingMode)
	}
	seen := map[string]bool{}
	online := 0
	for _, u := range in.GlobalSecondaryIndexUpdates {
		n := 0
		for _, set := range []bool{u.Create != nil, u.Update != nil, u.Delete != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return nil, validation("One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null")
		}
		if seen[u.name()] {
			return nil, validation("One or more parameter values were invalid: Only one global secondary index update per index is allowed simultaneously. Index: %s", u.name())
		}
		seen[u.name()] = true
		if u.Update == nil {
			online++
		}
	}
	switch {
	case in.StreamSpecification != nil && in.StreamSpecification.StreamEnabled:
		return nil, unsupported("DynamoDB Streams")
	case present(in.ReplicaUpdates):
		return nil, unsupported("ReplicaUpdates (global tables)")
	}
	if _, err := s.table(in.TableName); err != nil {
		return nil, err
	}
	if online > 1 || len(in.GlobalSecondaryIndexUpdates) > 5 {
		return nil, &Error{Kind: ErrLimitExceeded, Message: "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"}
	}
	var (
		prev, nt *table
		changes  map[string]string // index name -> CREATING or DELETING
		undo     func()
	)
	err := s.write(ctx, "update table", func(tx *sql.Tx) error {
		t, err := s.table(in.TableName) // as it is now
		if err != nil {
			return err
		}
		spec, ch, err := s.updatedSpec(t, in)
		if err != nil {
			return err
		}
		prev, nt, changes = t, newTable(t.Name, t.created, spec), ch
		if err := saveSpec(ctx, tx, nt); err != nil {
			return err
		}
		for name, change := range changes {
			if change == "DELETING" {
				if _, err := tx.ExecContext(ctx, `DELETE FROM ddb_index_items WHERE tbl = ? AND idx = ?`, t.Name, name); err != nil {
					return fmt.Errorf("dynamo update table %s: delete index %s: %w", t.Name, name, err)
				}
				continue
			}
			if err := s.backfill(ctx, tx, nt, nt.index(name)); err != nil {
				return err
			}
		}
		undo = s.publish(t.Name, nt)
		return nil
	})
	if err != nil {
		if undo != nil {
			undo()
		}
		return nil, err
	}
	for name, change := range changes {
		s.log.InfoContext(ctx, "global secondary index changed", "table", nt.Name, "index", name, "change", change)
	}
	st, err := s.stats(ctx, nt)
	if err != nil {
		return nil, err
	}
	d := s.describe(nt, st)
	d.TableStatus = "UPDATING"
	for i := range d.GlobalSecondaryIndexes {
		if changes[d.GlobalSecondaryIndexes[i].IndexName] == "CREATING" {
			d.GlobalSecondaryIndexes[i].IndexStatus = "CREATING"
		}
	}
	for name, change := range changes {
		if ix := prev.index(name); change == "DELETING" && ix != nil {
			d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, IndexDescription{IndexName: name, IndexStatus: "DELETING",
				KeySchema: ix.KeySchema, Projection: ix.Projection, IndexARN: s.tableARN(nt.Name) + "/index/" + name,
				ProvisionedThroughput: &ProvisionedThroughputDescription{}})
		}
	}
	return d, nil
}

// updatedSpec returns t's spec as in changes it, and the indexes it creates
// or deletes.
func (s *Store) updatedSpec(t *table, in *UpdateTableInput) (tableSpec, map[string]string, error) {
	spec := t.cloneSpec()
	billing := in.BillingMode
	if billing == "" {
		billing = t.BillingMode
	}
	switch {
	case t.BillingMode == "PAY_PER_REQUEST" && in.BillingMode == "" && in.ProvisionedThroughput != nil,
		in.BillingMode == "PAY_PER_REQUEST" && in.ProvisionedThroughput != nil:
		return spec, nil, validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
	case in.BillingMode == "PROVISIONED" && t.BillingMode != "PROVISIONED" && in.ProvisionedThroughput == nil:
		return spec, nil, validation("One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
	}
	if pt := in.ProvisionedThroughput; pt != nil {
		if pt.ReadCapacityUnits < 1 || pt.WriteCapacityUnits < 1 {
			return spec, nil, validation("1 validation error detected: Value '%d' at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1", min(pt.ReadCapacityUnits, pt.WriteCapacityUnits))
		}
		if cur := t.Provisioned; cur != nil && t.BillingMode == "PROVISIONED" && *cur == *pt {
			return spec, nil, validation("The provisioned throughput for the table will not change. The requested value equals the current value. "+
				"Current ReadCapacityUnits provisioned for the table: %d. Requested ReadCapacityUnits: %d. Current WriteCapacityUnits provisioned for the table: %d. Requested WriteCapacityUnits: %d. "+
				"Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.", cur.ReadCapacityUnits, pt.ReadCapacityUnits, cur.WriteCapacityUnits, pt.WriteCapacityUnits)
		}
		p := *pt
		spec.Provisioned = &p
	}
	if billing != t.BillingMode {
		spec.BillingMode = billing
		if billing == "PAY_PER_REQUEST" {
			spec.Provisioned, spec.BillingUpdated = nil, s.now().UnixMilli()
			for i := range spec.GSIs {
				spec.GSIs[i].Provisioned = nil
			}
		} else {
			var missing []string // an index's throughput comes with an Update of it
			for _, g := range spec.GSIs {
				if !slices.ContainsFunc(in.GlobalSecondaryIndexUpdates, func(u GlobalSecondaryIndexUpdate) bool {
					return u.Update != nil && u.Update.IndexName == g.Name && u.Update.ProvisionedThroughput != nil
				}) {
					missing = append(missing, g.Name)
				}
			}
			if len(missing) > 0 {
				return spec, nil, validation("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", strings.Join(missing, ","))
			}
		}
	}
	if in.DeletionProtectionEnabled != nil {
		spec.DeletionProtection = *in.DeletionProtectionEnabled
	}
	changes := map[string]string{}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		switch {
		case u.Update != nil:
			i := slices.IndexFunc(spec.GSIs, func(g indexSpec) bool { return g.Name == u.Update.IndexName })
			if i < 0 {
				return spec, nil, validation("This operation cannot be performed with given input values. Please contact DynamoDB service team for more info: Action Blocked: IndexUpdate")
			}
			if billing == "PAY_PER_REQUEST" && u.Update.ProvisionedThroughput != nil {
				return spec, nil, validation("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", u.Update.IndexName)
			}
			spec.GSIs[i].Provisioned = u.Update.ProvisionedThroughput
		case u.Delete != nil:
			i := slices.IndexFunc(spec.GSIs, func(g indexSpec) bool { return g.Name == u.Delete.IndexName })
			if i < 0 {
				return spec, nil, &Error{Kind: ErrResourceNotFound, Message: "Requested resource not found: Table: " + u.Delete.IndexName + " not found"}
			}
			spec.GSIs = slices.Delete(spec.GSIs, i, i+1)
			changes[u.Delete.IndexName] = "DELETING"
		case u.Create != nil:
			c := u.Create
			if t.index(c.IndexName) != nil {
				return spec, nil, validation("One or more parameter values were invalid: Index already exists: %s", c.IndexName)
			}
			if err := checkIndexNames([]GlobalSecondaryIndex{*c}, nil); err != nil {
				return spec, nil, err
			}
			if err := checkGSIs([]GlobalSecondaryIndex{*c}, in.AttributeDefinitions, billing); err != nil {
				return spec, nil, err
			}
			for _, k := range c.KeySchema {
				i := slices.IndexFunc(in.AttributeDefinitions, func(d AttributeDefinition) bool { return d.AttributeName == k.AttributeName })
				d := in.AttributeDefinitions[i]
				switch {
				case d.AttributeType != TypeS && d.AttributeType != TypeN && d.AttributeType != TypeB:
					return spec, nil, validation("1 validation error detected: Value '%s' at 'attributeDefinitions.%d.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", d.AttributeType, i+1)
				case d.AttributeType == TypeB:
					return spec, nil, unsupported("Key attributes of type B (use S or N)")
				case !defined(spec.AttributeDefinitions, d.AttributeName):
					// An attribute defined already keeps its type, as in DynamoDB.
					spec.AttributeDefinitions = append(spec.AttributeDefinitions, d)
				}
			}
			spec.GSIs = append(spec.GSIs, indexSpec{Name: c.IndexName, KeySchema: c.KeySchema, Projection: *c.Projection, Provisioned: c.ProvisionedThroughput})
			if len(spec.GSIs) > maxGSIs {
				return spec, nil, validation("One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of %d", maxGSIs)
			}
			changes[c.IndexName] = "CREATING"
		}
	}
	spec.AttributeDefinitions = usedDefinitions(spec)
	return spec, changes, nil
}

// usedDefinitions keeps the attribute definitions of the key attributes of
// the table and its indexes: deleting an index drops those of its keys no
// other key uses.
func usedDefinitions(spec tableSpec) []AttributeDefinition {
	used := map[string]bool{}
	for _, k := range spec.KeySchema {
		used[k.AttributeName] = true
	}
	for _, ix := range append(slices.Clone(spec.GSIs), spec.LSIs...) {
		for _, k := range ix.KeySchema {
			used[k.AttributeName] = true
		}
	}
	return slices.DeleteFunc(spec.AttributeDefinitions, func(d AttributeDefinition) bool { return !used[d.AttributeName] })
}

// backfill fills a new index with the table's items: those that have its
// key attributes, of their types (DynamoDB leaves the others out of the
// index and reports them as index key violations).
func (s *Store) backfill(ctx context.Context, tx *sql.Tx, t *table, ix *index) error {
	rows, err := tx.QueryContext(ctx, `SELECT pk, sk, item FROM ddb_items WHERE tbl = ?`, t.Name)
	if err != nil {
		return fmt.Errorf("dynamo backfill index %s of %s: %w", ix.Name, t.Name, err)
	}
	type entry struct {
		pk, sk string
		it     Item
	}
	var entries []entry
	for rows.Next() {
		var pk, sk, raw string
		if err := rows.Scan(&pk, &sk, &raw); err != nil {
			rows.Close()
			return fmt.Errorf("dynamo backfill index %s of %s: %w", ix.Name, t.Name, err)
		}
		it, whole := s.decodeRow(ctx, t, pk, sk, raw)
		if whole {
			entries = append(entries, entry{pk, sk, it})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("dynamo backfill index %s of %s: %w", ix.Name, t.Name, err)
	}
	for _, e := range entries {
		if err := insertEntry(ctx, tx, t, ix, e.pk, e.sk, e.it); err != nil {
			return err
		}
	}
	return nil
}
