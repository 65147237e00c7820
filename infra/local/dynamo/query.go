package dynamo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
)

// maxPageBytes is how much item data one Query or Scan reads (1 MB, before
// any filter); a page that reaches it ends with a LastEvaluatedKey.
const maxPageBytes = 1 << 20

// QueryInput is the Query request: a partition key equality, optionally an
// AND-ed sort key condition.
type QueryInput struct {
	TableName              string `json:"TableName"`
	KeyConditionExpression string `json:"KeyConditionExpression"`
	FilterExpression       string `json:"FilterExpression,omitempty"`
	ProjectionExpression   string `json:"ProjectionExpression,omitempty"`
	Limit                  *int   `json:"Limit,omitempty"`
	ExclusiveStartKey      Item   `json:"ExclusiveStartKey,omitempty"`
	ScanIndexForward       *bool  `json:"ScanIndexForward,omitempty"`
	ConsistentRead         *bool  `json:"ConsistentRead,omitempty"`
	Select                 string `json:"Select,omitempty"`
	Expressions
	legacy
}

// ScanInput is the Scan request.
type ScanInput struct {
	TableName            string `json:"TableName"`
	FilterExpression     string `json:"FilterExpression,omitempty"`
	ProjectionExpression string `json:"ProjectionExpression,omitempty"`
	Limit                *int   `json:"Limit,omitempty"`
	ExclusiveStartKey    Item   `json:"ExclusiveStartKey,omitempty"`
	ConsistentRead       *bool  `json:"ConsistentRead,omitempty"`
	Select               string `json:"Select,omitempty"`
	Segment              *int   `json:"Segment,omitempty"`
	TotalSegments        *int   `json:"TotalSegments,omitempty"`
	Expressions
	legacy
}

// ItemsOutput is the Query and Scan response. Items is nil with Select
// COUNT, and the response then has no Items, as DynamoDB's; otherwise it
// is a list, empty when nothing matched.
type ItemsOutput struct {
	Items            []Item
	Count            int
	ScannedCount     int
	LastEvaluatedKey Item
}

// MarshalJSON encodes the response as DynamoDB does: "Items" absent with
// Select COUNT, [] when nothing matched.
func (o ItemsOutput) MarshalJSON() ([]byte, error) {
	var items *[]Item
	if o.Items != nil {
		items = &o.Items
	}
	return json.Marshal(struct {
		Items            *[]Item `json:"Items,omitempty"`
		Count            int     `json:"Count"`
		ScannedCount     int     `json:"ScannedCount"`
		LastEvaluatedKey Item    `json:"LastEvaluatedKey,omitempty"`
	}{items, o.Count, o.ScannedCount, o.LastEvaluatedKey})
}

// row is an item read for Query or Scan, with its stored size.
type row struct {
	item Item
	size int
}

// readPlan is what Query and Scan share: filter, projection, limit, select.
type readPlan struct {
	filter cond
	proj   []docPath
	limit  int
	count  bool
}

func (s *Store) plan(ec *exprContext, filter, projection, sel string, limit *int) (*readPlan, error) {
	p := &readPlan{}
	var err error
	if filter != "" {
		if p.filter, err = ec.parseCondition("FilterExpression", filter); err != nil {
			return nil, err
		}
	}
	if projection != "" {
		if p.proj, err = ec.parseProjection(projection); err != nil {
			return nil, err
		}
	}
	switch sel {
	case "", "ALL_ATTRIBUTES", "SPECIFIC_ATTRIBUTES":
	case "COUNT":
		p.count = true
	default:
		return nil, unsupported("Select " + sel)
	}
	if limit != nil {
		if *limit < 1 {
			return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *limit)
		}
		p.limit = *limit
	}
	return p, ec.checkUnused()
}

// collect applies the plan to rows in order. Like DynamoDB, it stops once
// it has read Limit items or 1 MB, and then returns the key of the last one
// read as LastEvaluatedKey without looking ahead: the next page may be
// empty.
func (p *readPlan) collect(t *table, rows []row) (*ItemsOutput, error) {
	out := &ItemsOutput{Items: []Item{}}
	read := 0
	for _, r := range rows {
		out.ScannedCount++
		read += r.size
		match := true
		if p.filter != nil {
			var err error
			if match, err = evalCond(p.filter, r.item); err != nil {
				return nil, err
			}
		}
		if match {
			out.Count++
			if !p.count {
				out.Items = append(out.Items, project(r.item, p.proj))
			}
		}
		if (p.limit > 0 && out.ScannedCount == p.limit) || read >= maxPageBytes {
			out.LastEvaluatedKey = t.keyOf(r.item)
			break
		}
	}
	if p.count {
		out.Items = nil
	}
	return out, nil
}

// Query returns the items of one partition in sort key order.
func (s *Store) Query(ctx context.Context, in *QueryInput) (*ItemsOutput, error) {
	if err := in.legacy.check(); err != nil {
		return nil, err
	}
	t, err := s.table(in.TableName)
	if err != nil {
		return nil, err
	}
	if in.KeyConditionExpression == "" {
		return nil, validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	ec, err := in.Expressions.context()
	if err != nil {
		return nil, err
	}
	kc, err := ec.parseCondition("KeyConditionExpression", in.KeyConditionExpression)
	if err != nil {
		return nil, err
	}
	pkVal, skCond, err := t.splitKeyCondition(kc)
	if err != nil {
		return nil, err
	}
	pkCol, err := keyCol(pkVal)
	if err != nil {
		return nil, err
	}
	p, err := s.plan(ec, in.FilterExpression, in.ProjectionExpression, in.Select, in.Limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT pk, sk, item FROM ddb_items WHERE tbl = ? AND pk = ? ORDER BY sk`, t.Name, pkCol)
	if err != nil {
		return nil, fmt.Errorf("dynamo query %s: %w", t.Name, err)
	}
	items, err := s.scanRows(ctx, t, rows)
	if err != nil {
		return nil, err
	}
	rk := t.rangeKey()
	if rk != "" && t.attrType(rk) == TypeN {
		slices.SortStableFunc(items, func(a, b row) int { return compareNumbers(a.item[rk].S, b.item[rk].S) })
	}
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	if !forward {
		slices.Reverse(items)
	}
	var kept []row
	for _, r := range items {
		if skCond != nil {
			if ok, err := evalCond(skCond, r.item); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		kept = append(kept, r)
	}
	if in.ExclusiveStartKey != nil {
		if _, _, err := t.keyCols(in.ExclusiveStartKey, true); err != nil {
			return nil, validation("The provided starting key is invalid: %s", err.(*Error).Message)
		}
		kept = after(kept, rk, in.ExclusiveStartKey, forward)
	}
	return p.collect(t, kept)
}

// after drops the rows up to and including the start key, in the order of
// the Query; the start key's item need not exist any more.
func after(rows []row, rk string, start Item, forward bool) []row {
	if rk == "" {
		return nil // a partition without a sort key holds one item
	}
	for i, r := range rows {
		c, _ := compare(r.item[rk], start[rk])
		if (forward && c > 0) || (!forward && c < 0) {
			return rows[i:]
		}
	}
	return nil
}

// splitKeyCondition checks a key condition's shape and returns the
// partition key value and the sort key condition (nil if none).
func (t *table) splitKeyCondition(c cond) (Value, cond, error) {
	isPK := func(c cond) (Value, bool) {
		cc, ok := c.(cmpCond)
		if !ok || cc.op != "=" {
			return Value{}, false
		}
		p, pok := cc.a.(pathOp)
		v, vok := cc.b.(valueOp)
		if !pok || !vok || len(p.path) != 1 || p.path[0].name != t.hashKey() {
			return Value{}, false
		}
		return v.v, true
	}
	if v, ok := isPK(c); ok {
		return v, nil, t.checkPK(v)
	}
	and, ok := c.(andCond)
	if !ok {
		return Value{}, nil, validation("Query condition missed key schema element: %s", t.hashKey())
	}
	for _, pair := range [][2]cond{{and.a, and.b}, {and.b, and.a}} {
		if v, ok := isPK(pair[0]); ok {
			if !t.isSortKeyCondition(pair[1]) {
				return Value{}, nil, validation("Query key condition not supported")
			}
			return v, pair[1], t.checkPK(v)
		}
	}
	return Value{}, nil, validation("Query condition missed key schema element: %s", t.hashKey())
}

func (t *table) checkPK(v Value) error {
	if v.Type != t.attrType(t.hashKey()) {
		return validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
	}
	return nil
}

func (t *table) isSortKeyCondition(c cond) bool {
	onSK := func(o operand) bool {
		p, ok := o.(pathOp)
		return ok && len(p.path) == 1 && p.path[0].name == t.rangeKey() && t.rangeKey() != ""
	}
	switch c := c.(type) {
	case cmpCond:
		return c.op != "<>" && onSK(c.a)
	case betweenCond:
		return onSK(c.x)
	case fnCond:
		return c.fn == "begins_with" && len(c.path) == 1 && c.path[0].name == t.rangeKey()
	}
	return false
}

// Scan returns the items of a table in key order, a page at a time.
func (s *Store) Scan(ctx context.Context, in *ScanInput) (*ItemsOutput, error) {
	if err := in.legacy.check(); err != nil {
		return nil, err
	}
	if in.TotalSegments != nil && *in.TotalSegments > 1 {
		return nil, unsupported("Parallel Scan (TotalSegments > 1)")
	}
	t, err := s.table(in.TableName)
	if err != nil {
		return nil, err
	}
	ec, err := in.Expressions.context()
	if err != nil {
		return nil, err
	}
	p, err := s.plan(ec, in.FilterExpression, in.ProjectionExpression, in.Select, in.Limit)
	if err != nil {
		return nil, err
	}
	query := `SELECT pk, sk, item FROM ddb_items WHERE tbl = ?`
	args := []any{t.Name}
	if in.ExclusiveStartKey != nil {
		pk, sk, err := t.keyCols(in.ExclusiveStartKey, true)
		if err != nil {
			return nil, validation("The provided starting key is invalid: %s", err.(*Error).Message)
		}
		query += ` AND (pk, sk) > (?, ?)`
		args = append(args, pk, sk)
	}
	query += ` ORDER BY pk, sk`
	if p.limit > 0 {
		query += fmt.Sprintf(` LIMIT %d`, p.limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("dynamo scan %s: %w", t.Name, err)
	}
	items, err := s.scanRows(ctx, t, rows)
	if err != nil {
		return nil, err
	}
	return p.collect(t, items)
}

// scanRows decodes (pk, sk, item) rows. Items past their TTL are read
// like any other until the sweeper deletes them, as DynamoDB's are.
func (s *Store) scanRows(ctx context.Context, t *table, rows *sql.Rows) ([]row, error) {
	defer rows.Close()
	var out []row
	for rows.Next() {
		var pk, sk, raw string
		if err := rows.Scan(&pk, &sk, &raw); err != nil {
			return nil, fmt.Errorf("dynamo read %s: %w", t.Name, err)
		}
		it, _ := s.decodeRow(ctx, t, pk, sk, raw)
		out = append(out, row{item: it, size: len(raw)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dynamo read %s: %w", t.Name, err)
	}
	return out, nil
}
