package dynamo

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

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

// ItemsOutput is the Query and Scan response.
type ItemsOutput struct {
	Items            []Item `json:"Items"`
	Count            int    `json:"Count"`
	ScannedCount     int    `json:"ScannedCount"`
	LastEvaluatedKey Item   `json:"LastEvaluatedKey,omitempty"`
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

// collect applies the plan to items in order.
func (p *readPlan) collect(t *table, items []Item) (*ItemsOutput, error) {
	out := &ItemsOutput{Items: []Item{}}
	for _, it := range items {
		if p.limit > 0 && out.ScannedCount == p.limit {
			out.LastEvaluatedKey = t.keyOf(items[out.ScannedCount-1])
			break
		}
		out.ScannedCount++
		if p.filter != nil {
			ok, err := evalCond(p.filter, it)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		out.Count++
		if !p.count {
			out.Items = append(out.Items, project(it, p.proj))
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
	rows, err := s.db.QueryContext(ctx, `SELECT pk, sk, item, expires_at FROM ddb_items WHERE tbl = ? AND pk = ? ORDER BY sk`, t.Name, pkCol)
	if err != nil {
		return nil, fmt.Errorf("dynamo query %s: %w", t.Name, err)
	}
	items, err := s.scanRows(ctx, t, rows)
	if err != nil {
		return nil, err
	}
	rk := t.rangeKey()
	if rk != "" && t.attrType(rk) == TypeN {
		slices.SortStableFunc(items, func(a, b Item) int { return compareNumbers(a[rk].S, b[rk].S) })
	}
	if in.ScanIndexForward != nil && !*in.ScanIndexForward {
		slices.Reverse(items)
	}
	var kept []Item
	for _, it := range items {
		if skCond != nil {
			if ok, err := evalCond(skCond, it); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		kept = append(kept, it)
	}
	if in.ExclusiveStartKey != nil {
		if _, _, err := t.keyCols(in.ExclusiveStartKey, true); err != nil {
			return nil, validation("The provided starting key is invalid: %s", err.(*Error).Message)
		}
		for i, it := range kept {
			if t.keyOf(it)[rk].Equal(in.ExclusiveStartKey[rk]) || rk == "" {
				kept = kept[i+1:]
				break
			}
		}
	}
	return p.collect(t, kept)
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
	query := `SELECT pk, sk, item, expires_at FROM ddb_items WHERE tbl = ?`
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
		query += fmt.Sprintf(` LIMIT %d`, p.limit+1)
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

// scanRows decodes (pk, sk, item, expires_at) rows, leaving out expired items.
func (s *Store) scanRows(ctx context.Context, t *table, rows *sql.Rows) ([]Item, error) {
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var (
			pk, sk, raw string
			exp         sql.NullInt64
		)
		if err := rows.Scan(&pk, &sk, &raw, &exp); err != nil {
			return nil, fmt.Errorf("dynamo read %s: %w", t.Name, err)
		}
		if s.expired(exp) {
			continue
		}
		it, _ := s.decodeRow(ctx, t, pk, sk, raw)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dynamo read %s: %w", t.Name, err)
	}
	return out, nil
}
