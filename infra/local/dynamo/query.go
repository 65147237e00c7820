package dynamo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
)

// maxPageBytes is how much item data one Query or Scan reads (1 MB, before
// any filter); a page that reaches it ends with a LastEvaluatedKey.
const maxPageBytes = 1 << 20

// Parallel Scan's bounds (API reference, Scan: TotalSegments 1 to 1000000).
const maxTotalSegments = 1_000_000

// QueryInput is the Query request: a partition key equality, optionally an
// AND-ed sort key condition, on the table or one of its indexes.
type QueryInput struct {
	TableName              string `json:"TableName"`
	IndexName              string `json:"IndexName,omitempty"`
	KeyConditionExpression string `json:"KeyConditionExpression"`
	FilterExpression       string `json:"FilterExpression,omitempty"`
	ProjectionExpression   string `json:"ProjectionExpression,omitempty"`
	Limit                  *int   `json:"Limit,omitempty"`
	ExclusiveStartKey      Item   `json:"ExclusiveStartKey,omitempty"`
	ScanIndexForward       *bool  `json:"ScanIndexForward,omitempty"`
	ConsistentRead         *bool  `json:"ConsistentRead,omitempty"`
	Select                 string `json:"Select,omitempty"`
	ReturnConsumedCapacity string `json:"ReturnConsumedCapacity,omitempty"`
	Expressions
	legacy
}

// ScanInput is the Scan request, of the table or one of its indexes, whole
// or one segment of a parallel scan.
type ScanInput struct {
	TableName              string `json:"TableName"`
	IndexName              string `json:"IndexName,omitempty"`
	FilterExpression       string `json:"FilterExpression,omitempty"`
	ProjectionExpression   string `json:"ProjectionExpression,omitempty"`
	Limit                  *int   `json:"Limit,omitempty"`
	ExclusiveStartKey      Item   `json:"ExclusiveStartKey,omitempty"`
	ConsistentRead         *bool  `json:"ConsistentRead,omitempty"`
	Select                 string `json:"Select,omitempty"`
	Segment                *int   `json:"Segment,omitempty"`
	TotalSegments          *int   `json:"TotalSegments,omitempty"`
	ReturnConsumedCapacity string `json:"ReturnConsumedCapacity,omitempty"`
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
	ConsumedCapacity *ConsumedCapacity
}

// MarshalJSON encodes the response as DynamoDB does: "Items" absent with
// Select COUNT, [] when nothing matched.
func (o ItemsOutput) MarshalJSON() ([]byte, error) {
	var items *[]Item
	if o.Items != nil {
		items = &o.Items
	}
	return json.Marshal(struct {
		Items            *[]Item           `json:"Items,omitempty"`
		Count            int               `json:"Count"`
		ScannedCount     int               `json:"ScannedCount"`
		LastEvaluatedKey Item              `json:"LastEvaluatedKey,omitempty"`
		ConsumedCapacity *ConsumedCapacity `json:"ConsumedCapacity,omitempty"`
	}{items, o.Count, o.ScannedCount, o.LastEvaluatedKey, o.ConsumedCapacity})
}

// row is an item read for Query or Scan: where it sits (the table's key
// columns, and the index's, which are the table's for a table read), the
// item, and what the read sees of it.
type row struct {
	pk, sk   string
	ipk, isk string
	item     Item // the whole item
	view     Item // what the filter and the projection see: item or index entry
	out      Item // what the response holds before ProjectionExpression
	size     int  // bytes read: of the item, or of the index entry
	fetched  int  // bytes of the whole item fetched for a local index read past its projection
}

// source is what a Query or Scan reads: a table, or one of its indexes.
type source struct {
	t    *table
	ix   *index // nil: the table
	keys keyPair
	// fetch says a local index read fetches the whole items, for the
	// attributes the index does not hold; outWhole that the response gives
	// them whole (Select ALL_ATTRIBUTES).
	fetch, outWhole bool
}

// sourceOf resolves IndexName and checks what may be asked of it.
func (t *table) sourceOf(indexName string, consistent *bool) (*source, error) {
	if indexName == "" {
		return &source{t: t, keys: t.keys}, nil
	}
	ix := t.index(indexName)
	if ix == nil {
		return nil, validation("The table does not have the specified index: %s", indexName)
	}
	if !ix.local && consistent != nil && *consistent {
		return nil, validation("Consistent reads are not supported on global secondary indexes")
	}
	return &source{t: t, ix: ix, keys: ix.keys}, nil
}

// rowOf makes the row of an item read from the source.
func (src *source) rowOf(pk, sk, ipk, isk string, it Item) row {
	r := row{pk: pk, sk: sk, ipk: ipk, isk: isk, item: it, view: it, out: it}
	if src.ix == nil {
		r.ipk, r.isk = pk, sk
		r.size = itemSize(it)
		return r
	}
	entry := src.ix.view(src.t, it)
	r.size = itemSize(entry)
	r.view, r.out = entry, entry
	if src.fetch {
		r.view, r.fetched = it, itemSize(it)
		if src.outWhole {
			r.out = it
		}
	}
	return r
}

// lastKey is the LastEvaluatedKey of a row: the table's key, and the
// index's on an index read.
func (src *source) lastKey(r row) Item {
	k := Item{}
	attrs := src.t.keys.attrs()
	if src.ix != nil {
		attrs = append(attrs, src.ix.keys.attrs()...)
	}
	for _, a := range attrs {
		if v, ok := r.item[a.name]; ok {
			k[a.name] = v
		}
	}
	return k
}

// startKey checks an ExclusiveStartKey and returns the position it names.
// On a table it is the table's key; on an index, the table's key and the
// index's.
func (src *source) startKey(esk Item, invalid string) (row, error) {
	if src.ix == nil {
		pk, sk, err := src.t.keyCols(esk, true)
		if err != nil {
			return row{}, validation("The provided starting key is invalid: %s", err.(*Error).Message)
		}
		return row{pk: pk, sk: sk, ipk: pk, isk: sk}, nil
	}
	want := map[string]string{}
	for _, a := range append(src.t.keys.attrs(), src.ix.keys.attrs()...) {
		want[a.name] = a.typ
	}
	if len(esk) != len(want) {
		return row{}, validation("%s", invalid)
	}
	for name, typ := range want {
		if v, ok := esk[name]; !ok || v.Type != typ {
			return row{}, validation("%s", invalid)
		}
	}
	pk, sk, err := src.t.keyCols(src.t.keyOf(esk), true)
	if err != nil {
		return row{}, validation("%s", invalid)
	}
	ipk, isk, ok := src.ix.entry(esk)
	if !ok {
		return row{}, validation("%s", invalid)
	}
	return row{pk: pk, sk: sk, ipk: ipk, isk: isk}, nil
}

// compareRows orders the rows of one partition of the source: by sort key
// (numbers as numbers), then by the table's key columns.
func (src *source) compareRows(a, b row) int {
	var c int
	if src.keys.rng.typ == TypeN {
		c = compareNumbers(a.isk, b.isk)
	} else {
		c = strings.Compare(a.isk, b.isk)
	}
	if c != 0 {
		return c
	}
	if c = strings.Compare(a.pk, b.pk); c != 0 {
		return c
	}
	return strings.Compare(a.sk, b.sk)
}

// readPlan is what Query and Scan share: filter, projection, limit, select.
type readPlan struct {
	filter cond
	proj   []docPath
	limit  int
	count  bool
}

// plan parses the expressions of a read and checks Select against them
// and the source; for a local index read past its projection it sets the
// source to fetch the items.
func (s *Store) plan(ec *exprContext, src *source, filter, projection, sel string, limit *int, query bool) (*readPlan, error) {
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
	case "", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "COUNT":
		if sel != "" && projection != "" {
			return nil, validation("Cannot specify the ProjectionExpression when choosing to get %s", sel)
		}
	case "SPECIFIC_ATTRIBUTES":
		if projection == "" {
			prefix := ""
			if query {
				prefix = "1 validation error detected: "
			}
			return nil, validation("%sMust specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES", prefix)
		}
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]", sel)
	}
	p.count = sel == "COUNT"
	if sel == "ALL_PROJECTED_ATTRIBUTES" && src.ix == nil {
		return nil, validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
	}
	if ix := src.ix; ix != nil && ix.Projection.ProjectionType != "ALL" {
		if sel == "ALL_ATTRIBUTES" && !ix.local {
			return nil, validation("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", ix.Name)
		}
		if ix.local {
			src.outWhole = sel == "ALL_ATTRIBUTES" || p.proj != nil
			src.fetch = sel == "ALL_ATTRIBUTES" || !src.holdsAll(p.proj) || !src.holdsAll(condPaths(p.filter))
		}
	}
	if limit != nil {
		if *limit < 1 {
			return nil, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *limit)
		}
		p.limit = *limit
	}
	return p, ec.checkUnused()
}

// holdsAll reports whether the index holds the attributes of all paths.
func (src *source) holdsAll(paths []docPath) bool {
	for _, p := range paths {
		if !src.ix.holds(src.t, p[0].name) {
			return false
		}
	}
	return true
}

// collector applies a plan to rows in order. Like DynamoDB, it stops once
// it has read Limit items or 1 MB, and then returns the key of the last one
// read as LastEvaluatedKey without looking ahead: the next page may be
// empty.
type collector struct {
	p   *readPlan
	src *source
	out *ItemsOutput
	// read is the bytes read, fetched those fetched from the table for a
	// local index read, in whole items.
	read    int
	fetched float64
}

func (p *readPlan) collector(src *source) *collector {
	return &collector{p: p, src: src, out: &ItemsOutput{Items: []Item{}}}
}

// add takes a row; it returns true when the page is full.
func (c *collector) add(r row, consistent bool) (bool, error) {
	c.out.ScannedCount++
	c.read += r.size
	if r.fetched > 0 {
		c.fetched += readUnits(r.fetched, consistent)
	}
	match := true
	if c.p.filter != nil {
		var err error
		if match, err = evalCond(c.p.filter, r.view); err != nil {
			return false, err
		}
	}
	if match {
		c.out.Count++
		if !c.p.count {
			out := r.out
			if c.p.proj != nil {
				out = project(r.view, c.p.proj)
			}
			c.out.Items = append(c.out.Items, out)
		}
	}
	if (c.p.limit > 0 && c.out.ScannedCount == c.p.limit) || c.read >= maxPageBytes {
		c.out.LastEvaluatedKey = c.src.lastKey(r)
		return true, nil
	}
	return false, nil
}

// done finishes the page and reports the capacity it used.
func (c *collector) done(mode capMode, consistent bool) *ItemsOutput {
	if c.p.count {
		c.out.Items = nil
	}
	u := units{}
	n := readUnits(c.read, consistent)
	if c.src.ix == nil {
		u.table = n
	} else {
		u.addIndex(c.src.ix, n)
		u.table = c.fetched
	}
	c.out.ConsumedCapacity = u.report(c.src.t.Name, mode, axisNone)
	return c.out
}

// Query returns the items of one partition of the table or of an index,
// in sort key order.
func (s *Store) Query(ctx context.Context, in *QueryInput) (*ItemsOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	t, err := s.itemTable(in.TableName)
	if err != nil {
		return nil, err
	}
	mode, err := parseCapMode(in.ReturnConsumedCapacity)
	if err != nil {
		return nil, err
	}
	if in.KeyConditionExpression == "" {
		return nil, validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	src, err := t.sourceOf(in.IndexName, in.ConsistentRead)
	if err != nil {
		return nil, err
	}
	ec, err := in.context()
	if err != nil {
		return nil, err
	}
	kc, err := ec.parseCondition("KeyConditionExpression", in.KeyConditionExpression)
	if err != nil {
		return nil, err
	}
	pkVal, skCond, err := src.keys.splitKeyCondition(kc)
	if err != nil {
		return nil, err
	}
	pkCol, err := keyCol(pkVal)
	if err != nil {
		return nil, err
	}
	p, err := s.plan(ec, src, in.FilterExpression, in.ProjectionExpression, in.Select, in.Limit, true)
	if err != nil {
		return nil, err
	}
	if err := src.keys.checkFilter(p.filter); err != nil {
		return nil, err
	}
	var start *row
	if in.ExclusiveStartKey != nil {
		r, err := src.startKey(in.ExclusiveStartKey, "The provided starting key is invalid")
		if err != nil {
			return nil, err
		}
		if r.ipk != pkCol {
			return nil, validation("The provided starting key is outside query boundaries based on provided conditions")
		}
		start = &r
	}
	var rows *sql.Rows
	if src.ix == nil {
		rows, err = s.db.QueryContext(ctx, `SELECT pk, sk, pk, sk, item FROM ddb_items WHERE tbl = ? AND pk = ?`, t.Name, pkCol)
	} else {
		rows, err = s.db.QueryContext(ctx, `SELECT i.pk, i.sk, i.ipk, i.isk, d.item FROM ddb_index_items i
			JOIN ddb_items d ON d.tbl = i.tbl AND d.pk = i.pk AND d.sk = i.sk
			WHERE i.tbl = ? AND i.idx = ? AND i.ipk = ?`, t.Name, src.ix.Name, pkCol)
	}
	if err != nil {
		return nil, fmt.Errorf("dynamo query %s: %w", t.Name, err)
	}
	var items []row
	err = s.scanRows(ctx, src, rows, func(r row) (bool, error) {
		items = append(items, r)
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(items, src.compareRows)
	forward := in.ScanIndexForward == nil || *in.ScanIndexForward
	if !forward {
		slices.Reverse(items)
	}
	consistent := in.ConsistentRead != nil && *in.ConsistentRead
	c := p.collector(src)
	for _, r := range items {
		if start != nil {
			if d := src.compareRows(r, *start); (forward && d <= 0) || (!forward && d >= 0) {
				continue
			}
		}
		if skCond != nil {
			ok, err := evalCond(skCond, r.item)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		full, err := c.add(r, consistent)
		if err != nil {
			return nil, err
		}
		if full {
			break
		}
	}
	return c.done(mode, consistent), nil
}

// splitKeyCondition checks a key condition's shape and returns the
// partition key value and the sort key condition (nil if none).
func (k keyPair) splitKeyCondition(c cond) (Value, cond, error) {
	isPK := func(c cond) (Value, bool) {
		cc, ok := c.(cmpCond)
		if !ok || cc.op != "=" {
			return Value{}, false
		}
		p, pok := cc.a.(pathOp)
		v, vok := cc.b.(valueOp)
		if !pok || !vok || len(p.path) != 1 || p.path[0].name != k.hash.name {
			return Value{}, false
		}
		return v.v, true
	}
	if v, ok := isPK(c); ok {
		return v, nil, k.checkPK(v)
	}
	and, ok := c.(andCond)
	if !ok {
		return Value{}, nil, validation("Query condition missed key schema element: %s", k.hash.name)
	}
	for _, pair := range [][2]cond{{and.a, and.b}, {and.b, and.a}} {
		if v, ok := isPK(pair[0]); ok {
			if !k.isSortKeyCondition(pair[1]) {
				return Value{}, nil, validation("Query key condition not supported")
			}
			if err := k.checkPK(v); err != nil {
				return Value{}, nil, err
			}
			return v, pair[1], k.checkSortKeyValues(pair[1])
		}
	}
	return Value{}, nil, validation("Query condition missed key schema element: %s", k.hash.name)
}

// checkFilter refuses a Query filter that reads a key attribute of what is
// queried (the table's keys, or the index's), as DynamoDB does: the key
// condition is the place for those. It names the first such key, partition
// key first.
func (k keyPair) checkFilter(filter cond) error {
	paths := condPaths(filter)
	for _, a := range k.attrs() {
		for _, p := range paths {
			if len(p) > 0 && p[0].name == a.name {
				return validation("Filter Expression can only contain non-primary key attributes: Primary key attribute: %s", a.name)
			}
		}
	}
	return nil
}

// msgConditionType is DynamoDB's answer to a key condition value whose type
// is not the key attribute's.
const msgConditionType = "One or more parameter values were invalid: Condition parameter type does not match schema type"

func (k keyPair) checkPK(v Value) error {
	if v.Type != k.hash.typ {
		return validation("%s", msgConditionType)
	}
	return nil
}

// checkSortKeyValues checks the values a sort key condition compares the
// sort key with, as DynamoDB does, in two steps: a value no key could be
// (a BOOL in an ordering, anything but S or B in begins_with) is an operand
// error of the operator; one of another key type than the sort key's fails
// the schema check.
func (k keyPair) checkSortKeyValues(c cond) error {
	op, values := sortKeyValues(c)
	for _, v := range values {
		keyType := v.Type == TypeS || v.Type == TypeN || v.Type == TypeB
		switch {
		case op == "begins_with" && v.Type != TypeS && v.Type != TypeB, op != "=" && !keyType:
			return validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: %s, operand type: %s", op, v.Type)
		case v.Type != k.rng.typ:
			return validation("%s", msgConditionType)
		}
	}
	return nil
}

// sortKeyValues returns the operator of a sort key condition and the values
// it compares the sort key with.
func sortKeyValues(c cond) (string, []Value) {
	var op string
	var operands []operand
	switch c := c.(type) {
	case cmpCond:
		op, operands = c.op, []operand{c.b}
	case betweenCond:
		op, operands = "BETWEEN", []operand{c.lo, c.hi}
	case fnCond:
		op, operands = c.fn, []operand{c.arg}
	}
	var values []Value
	for _, o := range operands {
		if v, ok := o.(valueOp); ok {
			values = append(values, v.v)
		}
	}
	return op, values
}

func (k keyPair) isSortKeyCondition(c cond) bool {
	onSK := func(o operand) bool {
		p, ok := o.(pathOp)
		return ok && len(p.path) == 1 && p.path[0].name == k.rng.name && k.rng.name != ""
	}
	switch c := c.(type) {
	case cmpCond:
		return c.op != "<>" && onSK(c.a)
	case betweenCond:
		return onSK(c.x)
	case fnCond:
		return c.fn == "begins_with" && len(c.path) == 1 && c.path[0].name == k.rng.name
	}
	return false
}

// Scan returns the items of a table or of an index, a page at a time; with
// TotalSegments, those of one segment: the items whose partition key hashes
// into it, each item in exactly one segment.
func (s *Store) Scan(ctx context.Context, in *ScanInput) (*ItemsOutput, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	if err := checkSegments(in.Segment, in.TotalSegments); err != nil {
		return nil, err
	}
	t, err := s.itemTable(in.TableName)
	if err != nil {
		return nil, err
	}
	mode, err := parseCapMode(in.ReturnConsumedCapacity)
	if err != nil {
		return nil, err
	}
	src, err := t.sourceOf(in.IndexName, in.ConsistentRead)
	if err != nil {
		return nil, err
	}
	ec, err := in.context()
	if err != nil {
		return nil, err
	}
	p, err := s.plan(ec, src, in.FilterExpression, in.ProjectionExpression, in.Select, in.Limit, false)
	if err != nil {
		return nil, err
	}
	segment, total := 0, 1
	if in.TotalSegments != nil {
		segment, total = *in.Segment, *in.TotalSegments
	}
	var query string
	args := []any{t.Name}
	if src.ix == nil {
		query = `SELECT pk, sk, pk, sk, item FROM ddb_items WHERE tbl = ?`
	} else {
		query = `SELECT i.pk, i.sk, i.ipk, i.isk, d.item FROM ddb_index_items i
			JOIN ddb_items d ON d.tbl = i.tbl AND d.pk = i.pk AND d.sk = i.sk WHERE i.tbl = ? AND i.idx = ?`
		args = append(args, src.ix.Name)
	}
	if in.ExclusiveStartKey != nil {
		start, err := src.startKey(in.ExclusiveStartKey, "The provided starting key is invalid: "+msgKeySchema)
		if err != nil {
			return nil, err
		}
		if total > 1 && segmentOf(start.ipk, total) != segment {
			return nil, validation("The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: %d Segment: %d", total, segment)
		}
		if src.ix == nil {
			query += ` AND (pk, sk) > (?, ?)`
			args = append(args, start.pk, start.sk)
		} else {
			query += ` AND (i.ipk, i.isk, i.pk, i.sk) > (?, ?, ?, ?)`
			args = append(args, start.ipk, start.isk, start.pk, start.sk)
		}
	}
	if src.ix == nil {
		query += ` ORDER BY pk, sk`
	} else {
		query += ` ORDER BY i.ipk, i.isk, i.pk, i.sk`
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("dynamo scan %s: %w", t.Name, err)
	}
	consistent := in.ConsistentRead != nil && *in.ConsistentRead
	c := p.collector(src)
	err = s.scanRows(ctx, src, rows, func(r row) (bool, error) {
		if total > 1 && segmentOf(r.ipk, total) != segment {
			return false, nil
		}
		return c.add(r, consistent)
	})
	if err != nil {
		return nil, err
	}
	return c.done(mode, consistent), nil
}

// checkSegments checks a parallel scan's Segment and TotalSegments.
func checkSegments(segment, total *int) error {
	switch {
	case segment != nil && total == nil:
		return validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	case segment == nil && total != nil:
		return validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
	case segment == nil:
		return nil
	case *total < 1:
		return validation("1 validation error detected: Value '%d' at 'totalSegments' failed to satisfy constraint: Member must have value greater than or equal to 1", *total)
	case *total > maxTotalSegments:
		return validation("1 validation error detected: Value '%d' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to %d", *total, maxTotalSegments)
	case *segment < 0:
		return validation("1 validation error detected: Value '%d' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0", *segment)
	case *segment >= *total:
		return validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", *segment, *total)
	}
	return nil
}

// segmentOf is the segment of a partition among total: the partition key's
// hash, cut into total equal ranges as DynamoDB cuts its hash space.
func segmentOf(partition string, total int) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(partition))
	x := h.Sum64() // FNV's high bits barely differ for keys that differ at the end: mix them (MurmurHash3's finalizer)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return int((x >> 32) * uint64(total) >> 32)
}

// scanRows decodes (pk, sk, ipk, isk, item) rows of src and hands each to
// fn until it returns true. Items past their TTL are read like any other
// until the sweeper deletes them, as DynamoDB's are.
func (s *Store) scanRows(ctx context.Context, src *source, rows *sql.Rows, fn func(row) (bool, error)) error {
	defer rows.Close()
	for rows.Next() {
		var pk, sk, ipk, isk, raw string
		if err := rows.Scan(&pk, &sk, &ipk, &isk, &raw); err != nil {
			return fmt.Errorf("dynamo read %s: %w", src.t.Name, err)
		}
		it, _ := s.decodeRow(ctx, src.t, pk, sk, raw)
		stop, err := fn(src.rowOf(pk, sk, ipk, isk, it))
		if err != nil || stop {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("dynamo read %s: %w", src.t.Name, err)
	}
	return nil
}

// condPaths lists the document paths a condition reads.
func condPaths(c cond) []docPath {
	var out []docPath
	var visit func(o operand)
	visit = func(o operand) {
		switch o := o.(type) {
		case pathOp:
			out = append(out, o.path)
		case sizeOp:
			out = append(out, o.path)
		case ifNotExistsOp:
			out = append(out, o.path)
			visit(o.def)
		case listAppendOp:
			visit(o.a)
			visit(o.b)
		case arithOp:
			visit(o.a)
			visit(o.b)
		}
	}
	var walk func(c cond)
	walk = func(c cond) {
		switch c := c.(type) {
		case andCond:
			walk(c.a)
			walk(c.b)
		case orCond:
			walk(c.a)
			walk(c.b)
		case notCond:
			walk(c.c)
		case cmpCond:
			visit(c.a)
			visit(c.b)
		case betweenCond:
			visit(c.x)
			visit(c.lo)
			visit(c.hi)
		case inCond:
			visit(c.x)
			for _, o := range c.list {
				visit(o)
			}
		case fnCond:
			out = append(out, c.path)
			if c.arg != nil {
				visit(c.arg)
			}
		}
	}
	if c != nil {
		walk(c)
	}
	return out
}
